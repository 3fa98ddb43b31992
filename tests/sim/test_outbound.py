"""Outbound calls end to end on the virtual board (issue 15, docs/outbound.md): `callgate dial`
(a real process) asks the firmware on MicroPython to call out; the line cards seize the FXO
line and run the C call-progress analyser on it; the exchange gives dial tone, decodes the
board's DTMF from the line's audio and answers as `callgate sim number` set it, with the
plan's tones and espeak-ng voices. Each outcome is checked, with its call record.
"""

import contextlib
import json
import pathlib
import subprocess
import sys

import pytest

from callgate.sim.board import VirtualBoard
from callgate.sim.control import Control

ROOT = pathlib.Path(__file__).resolve().parents[2]
CALLGATE = [sys.executable, "-m", "callgate"]
sys.path.insert(0, str(ROOT / "tests" / "records"))
from minisite import make_site  # noqa: E402

NUMBERS = {"5550100": "busy", "5550101": "no-answer", "5550102": "person", "5550103": "machine",
           "5550104": "sit", "5550105": "congestion", "5550106": "fax"}


def callgate(*argv, check_code=None):
    r = subprocess.run(CALLGATE + [str(a) for a in argv], capture_output=True, text=True, timeout=300)
    assert "Traceback" not in r.stderr, r.stderr
    if check_code is not None:
        assert r.returncode == check_code, (argv, r.stdout, r.stderr)
    return r


@contextlib.contextmanager
def answering_board(numbers):
    """A virtual-4 board at 8x whose exchange answers each of numbers as told."""
    with VirtualBoard("virtual-4", clock=8.0) as vb:
        with Control(vb.control_path) as ctl:
            for number, answers in numbers.items():
                ctl.number(number, answers)
        yield vb


@contextlib.contextmanager
def trunk2_calling_out(board, tmp_path, outbound):
    """The small site with trunk2 (CN) calling out as `outbound` (YAML flow) says, provisioned;
    the exchange's trunk 1 given CN tones, and US again after."""
    site = make_site(tmp_path / "site")
    site.write_text(site.read_text().replace("name: trunk2, plan: CN,", f"name: trunk2, plan: CN, outbound: {outbound},"))
    callgate("--port", board.data_port, "provision", site, check_code=0)
    with Control(board.control_path) as ctl:
        ctl.trunk(1, plan="CN")
    try:
        yield
    finally:
        with Control(board.control_path) as ctl:
            ctl.trunk(1, plan="US")


@pytest.fixture(scope="module")
def board():
    with answering_board(NUMBERS) as vb:
        yield vb


def dial(board, number, *more, code=None):
    r = callgate("--port", board.data_port, "dial", number, "--json", *more, check_code=code)
    return json.loads(r.stdout)


def records(board, tmp_path):
    out = tmp_path / "cdr.json"
    callgate("--port", board.data_port, "cdr", "pull", "-o", out, "--format", "json", check_code=0)
    return {r["id"]: r for r in json.loads(out.read_text())}


@pytest.mark.parametrize("number, outcome, code", [
    ("5550100", "busy", 1), ("5550101", "no-answer", 1), ("5550102", "person", 0),
    ("5550103", "machine", 0), ("5550104", "sit", 1), ("5550105", "congestion", 1),
    ("5550106", "fax", 0),
    ("5550199", "sit", 1),  # nobody has this number: vacant, SIT
])
def test_each_outcome_with_its_call_record(board, tmp_path, number, outcome, code):
    r = dial(board, number, code=code)
    assert r["outcome"] == outcome, r
    assert r["number"] == number and r["port"] in (0, 1)
    assert 0 < r["decide_ms"] < 40000
    if outcome in ("person", "machine", "fax"):
        assert r["steps"] == ["seized", "dialing", "answered", "ended"]
    rec = records(board, tmp_path)[r["cdr"]]
    assert rec["direction"] == "out" and rec["number"] == number and rec["outcome"] == outcome
    assert rec["decide_ms"] == r["decide_ms"] and rec["port"] == r["port"]
    with Control(board.control_path) as ctl:
        far = ctl.dialled()[-1]
    assert far["digits"] == number  # what the exchange decoded from the line


@pytest.mark.parametrize("kind", ["vacant-code", "no-circuit"])
def test_a_north_american_sit_says_why_then_its_announcement(board, tmp_path, kind):
    """The exchange answers with a SIT of a kind, then a spoken announcement: the outcome is
    SIT, with its kind in the output and the call record (and not a machine: the
    announcement's voice follows the SIT at once)."""
    number = {"vacant-code": "5550401", "no-circuit": "5550402"}[kind]
    with Control(board.control_path) as ctl:
        ctl.number(number, f"sit:{kind}")
    r = dial(board, number, code=1)
    assert (r["outcome"], r["sit_kind"]) == ("sit", kind), r
    assert records(board, tmp_path)[r["cdr"]]["sit_kind"] == kind
    text = callgate("--port", board.data_port, "dial", number, check_code=1).stdout
    assert f": sit ({kind})" in text, text


def test_decide_times_are_those_of_the_line(board):
    busy = dial(board, "5550100")["decide_ms"]
    person = dial(board, "5550102")["decide_ms"]
    no_answer = dial(board, "5550101")["decide_ms"]
    assert busy < 3000  # US busy: on, off, on of 500 ms
    assert 12000 <= person <= 16000  # two US ring cycles of 6 s, then "hello?" and its silence
    assert 29500 <= no_answer <= 31500  # the default 30 s from the first ringback (it starts as the last digit ends)


def test_a_wrong_digit_reaches_a_wrong_number(board):
    with Control(board.control_path) as ctl:
        ctl.number("5550777", "busy")
        ctl.number("5550778", "person")
    assert dial(board, "5550778")["outcome"] == "person"
    assert dial(board, "5550777")["outcome"] == "busy"


def test_no_dial_tone(board, tmp_path):
    with Control(board.control_path) as ctl:
        ctl.trunk(1, dial_tone=False)
    try:
        r = dial(board, "5550102", "--trunk", "1", code=1)
    finally:
        with Control(board.control_path) as ctl:
            ctl.trunk(1, dial_tone=True)
    assert r["outcome"] == "no-dial-tone" and r["port"] == 1 and r["steps"] == ["seized", "ended"]
    assert 2900 <= r["decide_ms"] <= 3200  # the board waits 3 s for dial tone
    assert records(board, tmp_path)[r["cdr"]]["outcome"] == "no-dial-tone"
    with Control(board.control_path) as ctl:
        assert ctl.dialled()[-1]["digits"] == ""  # nothing was dialled


def test_bad_input_refused_with_a_clear_error(board, tmp_path):
    before = len(records(board, tmp_path))
    for argv, words in ((["55a5"], "'a' is not a digit"), (["5550100", "--trunk", "7"], "no trunk 7"),
                        (["5550100", "--trunk", "2"], "no trunk 2"),  # an FXS port
                        ([""], "empty number")):
        r = callgate("--port", board.data_port, "dial", *argv)
        assert r.returncode == 2, r
        assert words in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
        r = callgate("--port", board.data_port, "--json", "dial", *argv)
        assert r.returncode == 2 and words in json.loads(r.stdout)["error"]
    assert len(records(board, tmp_path)) == before  # nothing dialled, nothing recorded


def test_site_trunk_permission_and_prefix(board, tmp_path):
    with trunk2_calling_out(board, tmp_path, "{allow: true, prefix: '9'}"):
        with Control(board.control_path) as ctl:
            ctl.number("95550300", "busy")  # the exchange sees the prefix too
        r = callgate("--port", board.data_port, "dial", "5550300", "--trunk", "trunk1")
        assert r.returncode == 2 and "trunk 'trunk1' may not call out" in r.stderr, r.stderr
        r = dial(board, "5550300", code=1)  # the only trunk that may: trunk2, CN tones
        assert r["outcome"] == "busy" and r["port"] == 1 and r["trunk"] == "trunk2"
        with Control(board.control_path) as ctl:
            assert ctl.dialled()[-1]["digits"] == "95550300"
            ctl.number("95550301", "person", rings=1)
        r = dial(board, "5550301", "--play", "welcome")  # the site's prompt, then the hang-up
        with Control(board.control_path) as ctl:
            far = ctl.dialled()[-1]
        assert r["outcome"] == "person" and r["reason"] == "played" and r["by"] == "board", \
            (r, far, board.model.audio.failures)
        r = callgate("--port", board.data_port, "dial", "5550301", "--play", "nosuch")
        assert r.returncode == 2 and r.stderr.strip() == "callgate: error: dial: no prompt 'nosuch' in the site"


def test_a_trunk_that_dials_pulses(board, tmp_path):
    """The site says trunk2 dials pulses: the line card breaks the loop 60 ms per pulse (10 a
    second, 700 ms between digits) and the exchange counts the breaks into the number, which
    then answers as set (a 0 is ten pulses); * and # cannot be pulsed."""
    with trunk2_calling_out(board, tmp_path, "{allow: true, prefix: '9', dialing: pulse}"):
        with Control(board.control_path) as ctl:
            ctl.number("95550370", "busy")
        r = dial(board, "5550370", code=1)
        assert (r["outcome"], r["port"]) == ("busy", 1), r
        with Control(board.control_path) as ctl:
            assert ctl.dialled()[-1]["digits"] == "95550370"  # counted from the loop's breaks
        r = callgate("--port", board.data_port, "dial", "5550*1")
        assert r.returncode == 2 and "dials pulses, which have no * or #" in r.stderr, r.stderr
