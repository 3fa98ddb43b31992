"""Recordings off a board (localboard.py): only what the folder lacks, each checked by sha256,
written atomically, listed in index.json; `callgate recordings pull`."""

import contextlib
import hashlib
import json
import os

from callgate.callcenter.lines import encode
from callgate.callcenter.recordings import pull
from callgate.cli import main as cli_main
from callgate.link.files import RemoteFiles
from localboard import LocalBoard


def entry(i, kind="call", size=1000):
    return {"id": f"1a2b3c4d-{i}", "file": f"rec/1a2b3c4d-{i}.wav", "kind": kind, "call": f"1a2b3c4d-{i}",
            "agent": "201", "queue": "sales", "start": 1795000000000 + i * 60000, "ms": size // 8, "bytes": size}


def board():
    files = {f"rec/1a2b3c4d-{i}.wav": os.urandom(1000 + 300 * i) for i in (1, 2)}
    index = encode(entry(1)) + encode(entry(2, "voicemail")) + b"garbage\n" + encode(entry(3))  # 3: deleted
    files["rec/index.log"] = index
    return LocalBoard(files=files)


def test_pull_then_nothing_then_a_changed_file(tmp_path):
    b = board()
    fs = RemoteFiles(b)
    r = pull(fs, tmp_path / "rec")
    assert (r["entries"], r["pulled"], r["have"], r["missing"], r["failed"]) == (
        3, ["rec/1a2b3c4d-1.wav", "rec/1a2b3c4d-2.wav"], [], ["rec/1a2b3c4d-3.wav"], [])
    assert r["bytes"] == 1300 + 1600 and [str(x) for x in r["bad"]] == ["rec/index.log:3: no CRC"]
    for i in (1, 2):
        assert (tmp_path / "rec" / f"1a2b3c4d-{i}.wav").read_bytes() == b.files[f"rec/1a2b3c4d-{i}.wav"]
    index = json.loads((tmp_path / "rec" / "index.json").read_text())
    assert [e["path"] for e in index] == ["1a2b3c4d-1.wav", "1a2b3c4d-2.wav"]
    assert index[1]["kind"] == "voicemail"
    assert index[0]["sha256"] == hashlib.sha256(b.files["rec/1a2b3c4d-1.wav"]).hexdigest()
    assert not list((tmp_path / "rec").glob("*.part"))

    b.ops.clear()
    r = pull(fs, tmp_path / "rec")
    assert r["pulled"] == [] and len(r["have"]) == 2 and r["bytes"] == 0
    assert set(b.ops_named("fs-read")) == {"rec/index.log"}  # only the index was read
    assert b.ops_named("fs-hash") == ["rec/1a2b3c4d-3.wav"]  # what it has is not hashed on the board again

    (tmp_path / "rec" / "1a2b3c4d-2.wav").write_bytes(b"damaged")
    del b.files["rec/1a2b3c4d-1.wav"]  # the board's retention removed it: the local copy stays listed
    r = pull(fs, tmp_path / "rec")
    assert r["pulled"] == ["rec/1a2b3c4d-2.wav"] and r["missing"] == ["rec/1a2b3c4d-3.wav"]
    assert r["have"] == ["rec/1a2b3c4d-1.wav"]  # its copy here is whole: the board is not asked
    assert (tmp_path / "rec" / "1a2b3c4d-2.wav").read_bytes() == b.files["rec/1a2b3c4d-2.wav"]
    assert [e["path"] for e in json.loads((tmp_path / "rec" / "index.json").read_text())] == [
        "1a2b3c4d-1.wav", "1a2b3c4d-2.wav"]


def test_no_index_no_recordings(tmp_path):
    r = pull(RemoteFiles(LocalBoard()), tmp_path / "rec")
    assert r["entries"] == 0 and r["pulled"] == [] and json.loads((tmp_path / "rec" / "index.json").read_text()) == []


def test_cli_recordings_pull(monkeypatch, tmp_path, capsys):
    from callgate.cli import records as cli_records

    b = board()
    monkeypatch.setattr(cli_records, "board_link", lambda args: contextlib.nullcontext(b))
    monkeypatch.chdir(tmp_path)
    assert cli_main(["--port", "x", "recordings", "pull"]) == 0
    out, err = capsys.readouterr()
    assert out.strip() == ("recordings: 3 recording(s) on the board: 2 pulled (2.9 kB), 0 already here, "
                           "1 no longer on the board")
    assert err.strip() == "callgate: skipped rec/index.log:3: no CRC"
    assert cli_main(["--port", "x", "recordings", "pull", str(tmp_path / "recordings"), "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["pulled"] == [] and len(r["have"]) == 2


def test_a_file_that_changes_while_read_is_read_again(tmp_path):
    from callgate.firmware.link import messages

    class Changing(LocalBoard):
        hashed = 0

        def request(self, op, value=None, timeout=None, retries=None):
            r = super().request(op, value, timeout, retries)
            if op == messages.OP_FS_HASH and value["p"] == "rec/1a2b3c4d-1.wav":
                self.hashed += 1
                if self.hashed == 1:  # the board finishes the file after the host asked its hash
                    self.files[value["p"]] += b"more"
            return r

    b = board()
    b.__class__ = Changing
    r = pull(RemoteFiles(b), tmp_path)
    assert r["pulled"] == ["rec/1a2b3c4d-1.wav", "rec/1a2b3c4d-2.wav"] and b.hashed == 2
    assert (tmp_path / "1a2b3c4d-1.wav").read_bytes() == b.files["rec/1a2b3c4d-1.wav"]
    assert json.loads((tmp_path / "index.json").read_text())[0]["sha256"] == hashlib.sha256(
        b.files["rec/1a2b3c4d-1.wav"]).hexdigest()


def test_an_index_line_with_its_sha256_spares_the_board_hashing_the_file(tmp_path):
    """The board's recorder hashes a recording as it writes it and puts the sha256 in its index
    line: the host reads the file without FS_HASH (which makes the board read it all), and
    still checks what it read against that hash."""
    wav = os.urandom(5000)
    e = dict(entry(7, size=len(wav) - 58), sha256=hashlib.sha256(wav).hexdigest())
    b = LocalBoard(files={"rec/1a2b3c4d-7.wav": wav, "rec/index.log": encode(e)})
    r = pull(RemoteFiles(b), tmp_path)
    assert r["pulled"] == ["rec/1a2b3c4d-7.wav"] and b.ops_named("fs-hash") == []
    assert (tmp_path / "1a2b3c4d-7.wav").read_bytes()[58:] == wav[58:]
    b.files["rec/index.log"] = encode(dict(e, sha256="0" * 64))  # a line that does not match the file
    (tmp_path / "1a2b3c4d-7.wav").unlink()
    r = pull(RemoteFiles(b), tmp_path)
    assert r["pulled"] == ["rec/1a2b3c4d-7.wav"] and b.ops_named("fs-hash") == ["rec/1a2b3c4d-7.wav"]
