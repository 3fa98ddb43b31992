"""Call records off a board (an in-memory one: localboard.py) into CSV and JSON, and back, and
`callgate cdr pull` / `callgate report` on them."""

import contextlib
import csv
import io
import json

import pytest

from callgate.callcenter import cdr
from callgate.callcenter.lines import encode
from callgate.cli import main as cli_main
from callgate.link.files import RemoteFiles
from cdrs import T0, day
from localboard import LocalBoard


def board_with_day():
    recs = day()
    day1, day2 = recs[:4], recs[4:]
    log2 = b"".join(encode(r) for r in day2[::-1])  # not in arrival order: the reader sorts
    bad = bytearray(encode(day1[1]))
    bad[23] ^= 0x04  # a letter of the id: still JSON
    log1 = encode(day1[0]) + bytes(bad) + encode(day1[2]) + encode(day1[3]) + encode({"id": "torn"})[:17]
    return LocalBoard(files={"cdr/20261118.log": log1, "cdr/20261119.log": log2, "cdr/notes.txt": b"x",
                            "site.json": b"{}"}), recs


def test_fetch_sorts_by_arrival_and_names_bad_lines():
    b, recs = board_with_day()
    got, bad = cdr.fetch(RemoteFiles(b))
    assert got == [r for i, r in enumerate(recs) if i != 1]
    assert [str(x) for x in bad] == ["cdr/20261118.log:2: crc mismatch", "cdr/20261118.log:5: truncated"]
    assert cdr.fetch(RemoteFiles(LocalBoard())) == ([], [])  # no cdr/ folder: no records


def test_csv_columns_and_cells():
    text = cdr.to_text(day(), "csv")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == cdr.COLUMNS
    assert rows[0][:3] == ["id", "port", "trunk"] and rows[0][-2:] == ["wait_s", "talk_s"]
    first = dict(zip(rows[0], rows[1]))
    assert first["arrived"] == cdr.iso(T0 + 60000) and first["arrived"].endswith("Z")
    assert first["ivr"] == "main:1" and first["queues"] == "sales" and first["survey"] == "satisfaction=5"
    assert (first["wait_s"], first["talk_s"], first["wrap_s"], first["name"]) == ("10", "60", "10", "")
    fourth = dict(zip(rows[0], rows[4]))
    assert fourth["ivr"] == "main:2>support:1"
    sixth = dict(zip(rows[0], rows[6]))
    assert sixth["queues"] == "sales>support" and sixth["wait_s"] == "" and sixth["agent"] == ""


def test_iso_times():
    assert cdr.iso(0) == "1970-01-01T00:00:00.000Z"
    assert cdr.iso(1795000000123) == "2026-11-18T11:06:40.123Z"
    assert cdr.from_iso("2026-11-18T11:06:40.123Z") == 1795000000123
    assert cdr.iso(None) == "" and cdr.from_iso("") is None


def test_csv_reads_back_as_the_records():
    recs = day()
    recs[2].update(overflow="support", recording_cut=True)
    recs[4]["digits"] = "12#"
    recs[0]["supervised"] = [{"ext": "203", "mode": "listen", "ms": 1743}, {"ext": "203", "mode": "barge", "ms": 3000}]
    recs[1]["legs"] = [{"agent": "201", "connected": T0, "left": T0 + 5000}, {"agent": "202", "connected": T0 + 6000,
                                                                               "left": None}]
    recs[1]["transfers"] = [{"from": "201", "to": "302", "queue": "support", "at": T0 + 5000}]
    back = cdr.read_csv(io.StringIO(cdr.to_text(recs, "csv")))
    for r, b in zip(recs, back, strict=True):
        want = {k: r.get(k) for k in cdr.COLUMNS if k not in cdr.COMPUTED + cdr.EXTRA or k in r}
        want["ivr"] = [list(x) for x in want["ivr"]]
        assert b == want


def test_csv_has_the_fields_a_record_has_only_when_they_happened():
    recs = day()
    recs[0].update(overflow="support", recording_cut=True)
    rows = list(csv.DictReader(io.StringIO(cdr.to_text(recs, "csv"))))
    assert (rows[0]["overflow"], rows[0]["recording_cut"]) == ("support", "true")
    assert (rows[1]["overflow"], rows[1]["recording_cut"], rows[1]["digits"]) == ("", "", "")
    recs[1]["supervised"] = [{"ext": "203", "mode": "listen", "ms": 1743}, {"ext": "203", "mode": "whisper", "ms": 3000}]
    rows = list(csv.DictReader(io.StringIO(cdr.to_text(recs, "csv"))))
    assert rows[1]["supervised"] == "203:listen:1.743;203:whisper:3" and rows[0]["supervised"] == ""


def test_a_callback_attempt_reads_back_from_csv():
    recs = day()
    recs[1].update(direction="out", callback_for=recs[0]["id"], attempt=2)
    back = cdr.read_csv(io.StringIO(cdr.to_text(recs, "csv")))
    assert (back[1]["callback_for"], back[1]["attempt"]) == (recs[0]["id"], 2)
    assert "attempt" not in back[0] and "callback_for" not in back[0]


def test_an_outside_transfer_reads_back_from_csv():
    recs = day()
    recs[0]["legs"] = [{"agent": "201", "connected": 1, "left": 2},
                       {"number": "5550123", "trunk": "trunk5", "connected": 3, "left": 4}]
    recs[0]["transfers"] = [{"from": "201", "to": "95550123", "queue": None, "outside": True, "trunk": "trunk5",
                             "result": "person", "at": 2}]
    recs[1].update(direction="out", transfer_for=recs[0]["id"])
    back = cdr.read_csv(io.StringIO(cdr.to_text(recs, "csv")))
    assert back[1]["transfer_for"] == recs[0]["id"] and "transfer_for" not in back[0]
    assert (back[0]["legs"], back[0]["transfers"]) == (recs[0]["legs"], recs[0]["transfers"])


def test_json_is_the_records_as_stored():
    assert json.loads(cdr.to_text(day(), "json")) == day()


@contextlib.contextmanager
def fake_link(board):
    yield board


@pytest.fixture
def on_board(monkeypatch):
    def use(board):
        from callgate.cli import records as cli_records
        monkeypatch.setattr(cli_records, "board_link", lambda args: fake_link(board))
    return use


def test_cli_cdr_pull(on_board, tmp_path, capsys):
    b, recs = board_with_day()
    on_board(b)
    assert cli_main(["--port", "x", "cdr", "pull"]) == 0
    out, err = capsys.readouterr()
    assert out.splitlines()[0] == ",".join(cdr.COLUMNS) and len(out.splitlines()) == 7
    assert err.splitlines() == ["callgate: skipped cdr/20261118.log:2: crc mismatch",
                                "callgate: skipped cdr/20261118.log:5: truncated"]
    assert cli_main(["--port", "x", "cdr", "pull", "-o", str(tmp_path / "calls.json")]) == 0
    assert json.loads((tmp_path / "calls.json").read_text()) == [r for i, r in enumerate(recs) if i != 1]
    assert cli_main(["--port", "x", "cdr", "pull", "--format", "csv", "-o", str(tmp_path / "calls.csv")]) == 0
    assert "6 call record(s), 2 bad line(s) skipped" in capsys.readouterr().err

    # the report reads either file and gives the same figures
    assert cli_main(["--json", "report", str(tmp_path / "calls.json")]) == 0
    from_json = json.loads(capsys.readouterr().out)
    assert cli_main(["report", str(tmp_path / "calls.csv"), "--json"]) == 0
    from_csv = json.loads(capsys.readouterr().out)
    assert from_json == from_csv and from_json["calls"] == 6 and from_json["answered"] == 2


def test_cli_report_text(tmp_path, capsys):
    path = tmp_path / "calls.json"
    path.write_text(json.dumps(day()))
    assert cli_main(["report", str(path), "--agents", "2", "--period", "3600"]) == 0
    out = capsys.readouterr().out
    assert "7 calls, " in out and "answered 3, abandoned 2, ivr 1, voicemail 1" in out
    assert "ASA 15.0 s, AHT 100.0 s, abandoned after 30.0 s" in out
    assert "service level (20 s): 66.7 % of answered, 40.0 % of answered + abandoned" in out
    assert "survey satisfaction: 4.00 average of 2" in out
    assert "sales" in out and "202 Bob" in out and "Erlang C, 2 agents" in out
    assert cli_main(["report", str(path), "--agents", "1", "--period", "60", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["erlang_c"]["asa_s"] is None  # endless queue
    bad = tmp_path / "bad.json"
    bad.write_text('{"a": 1}')
    assert cli_main(["report", str(bad)]) == 2
    assert "not a list of call records" in capsys.readouterr().err
