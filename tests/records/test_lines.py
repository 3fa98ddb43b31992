"""The record-line format (CRC-32 TAB compact JSON LF): round trips, the board's own writer,
and every way a line goes bad: torn at the end of the file, torn and followed by the next
line, garbled bytes, junk; parse() never raises and keeps every whole line."""

import json
import zlib

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import callgate
from callgate.callcenter.lines import BadLine, LineError, decode_line, encode, parse
from callgate import runtime

CDR = {"v": 1, "id": "1a2b3c4d-7", "port": 0, "trunk": "trunk1", "number": "5551234", "name": "ALICE",
       "arrived": 1795000000000, "answered": 1795000002000, "ivr": [["main", "2"], ["support", "1"]],
       "queue": "support", "queues": ["support"], "queued": 1795000009000, "agent": "202", "agent_name": "Bob",
       "offered": 1, "connected": 1795000021000, "agent_left": 1795000141000, "ended": 1795000150000,
       "by": "agent", "how": "survey-done", "outcome": "answered", "recording": None,
       "survey": {"satisfaction": 4}, "callback": None, "wrap_s": 10}


def test_encode_is_crc_tab_compact_json_lf():
    line = encode({"id": "a", "n": 1})
    assert line == b'%08x\t{"id":"a","n":1}\n' % zlib.crc32(b'{"id":"a","n":1}')
    assert line[:8] == line[:8].lower()
    assert decode_line(line[:-1]) == {"id": "a", "n": 1}


def test_the_boards_writer_and_this_reader_agree():
    fw = str(runtime.FIRMWARE / "callgate")
    if fw not in callgate.__path__:
        callgate.__path__.append(fw)
    from callgate import records as board  # firmware/callgate/records.py

    data = board.line(CDR) + board.line({"id": "x", "name": "Zoë"})
    assert parse(data, "cdr/x.log") == ([CDR, {"id": "x", "name": "Zoë"}], [])
    assert board.parse(encode(CDR)) == CDR


def test_bad_lines_are_named_and_skipped():
    good = [encode({"n": i}) for i in range(6)]
    flipped = bytearray(good[1])
    flipped[14] ^= 0x01  # a digit of the JSON: still JSON, wrong CRC
    garbled = good[2][:9] + b"{not json}\n"
    data = (good[0] + bytes(flipped) + garbled + b"hello\n" + good[3][:15] + good[4] + b"\n" + good[5][:-3])
    records, bad = parse(data, "cdr/20261123.log")
    assert records == [{"n": 0}, {"n": 4}]
    assert bad == [
        BadLine("cdr/20261123.log", 2, "crc mismatch"),
        BadLine("cdr/20261123.log", 3, "crc mismatch (not JSON)"),
        BadLine("cdr/20261123.log", 4, "no CRC"),
        BadLine("cdr/20261123.log", 5, "truncated (the next line follows it)"),
        BadLine("cdr/20261123.log", 7, "truncated"),
    ]
    assert str(bad[0]) == "cdr/20261123.log:2: crc mismatch"


def test_right_crc_wrong_json_and_not_an_object():
    body = b'{"a":'
    assert parse(b"%08x\t%s\n" % (zlib.crc32(body), body))[1][0].reason == "not JSON"
    body = b"[1,2]"
    assert parse(b"%08x\t%s\n" % (zlib.crc32(body), body))[1][0].reason == "not a JSON object"
    try:
        decode_line(b"ABCDEF01\t{}")  # upper-case hex is not the format
    except LineError as e:
        assert e.reason == "no CRC"


# -- properties --------------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=12,
)
records = st.dictionaries(st.text(max_size=8), json_values, max_size=6)
record_lists = st.lists(records, min_size=1, max_size=8)


@given(record_lists)
def test_round_trip(recs):
    data = b"".join(encode(r) for r in recs)
    assert parse(data) == (recs, [])
    for line in data.split(b"\n")[:-1]:
        assert b"\t" not in line[9:]  # compact JSON never holds a raw TAB (nor an LF)


@given(record_lists, st.data())
@settings(suppress_health_check=[HealthCheck.too_slow])
def test_a_torn_line_costs_that_line_only(recs, data):
    lines = [encode(r) for r in recs]
    k = data.draw(st.integers(0, len(lines) - 1), label="torn line")
    cut = data.draw(st.integers(1, len(lines[k]) - 1), label="bytes kept")
    torn = lines[:k] + [lines[k][:cut]] + lines[k + 1:]
    got, bad = parse(b"".join(torn), "f")
    if k == len(lines) - 1 and cut == len(lines[k]) - 1:  # only the LF lost: the CRC proves it whole
        assert got == recs and bad == []
        return
    assert got == recs[:k] + recs[k + 1:]
    assert len(bad) == 1 and bad[0].line == k + 1 and bad[0].reason.startswith("truncated")


@given(record_lists, st.data())
def test_a_garbled_line_costs_that_line_only(recs, data):
    lines = [encode(r) for r in recs]
    k = data.draw(st.integers(0, len(lines) - 1), label="garbled line")
    i = data.draw(st.integers(0, len(lines[k]) - 2), label="byte")
    new = data.draw(st.integers(0, 255).filter(lambda b: b not in (10, lines[k][i])), label="value")
    line = bytearray(lines[k])
    line[i] = new
    got, bad = parse(b"".join(lines[:k] + [bytes(line)] + lines[k + 1:]), "f")
    assert got == recs[:k] + recs[k + 1:]
    assert [b.line for b in bad] == [k + 1]
    assert bad[0].reason in ("crc mismatch", "crc mismatch (not JSON)", "not JSON", "no CRC", "not a JSON object")


@given(st.binary(max_size=400))
def test_any_bytes_parse_without_raising(junk):
    got, bad = parse(junk, "junk")
    assert all(isinstance(r, dict) for r in got)
    assert all(isinstance(b, BadLine) and 1 <= b.line <= junk.count(b"\n") + 1 for b in bad)


@given(record_lists, st.binary(max_size=60).filter(lambda b: b"\n" not in b))
def test_junk_between_lines_costs_no_whole_line(recs, junk):
    assume(junk)
    lines = [encode(r) for r in recs]
    data = b"".join(lines[:1]) + junk + b"\n" + b"".join(lines[1:])
    got, bad = parse(data)
    assert got == recs and len(bad) == 1 and bad[0].line == 2


def test_json_in_records_is_compact():
    assert json.loads(encode(CDR)[9:]) == CDR
    assert b", " not in encode({"a": [1, 2]})
