"""Calls on the virtual board, end to end: the real firmware on MicroPython, the board model
running the C media engine on its own clock (8x real time here), a real pty and pyserial.
The caller ID and the digits reach the firmware only as audio the engine decodes."""

import json
import os
import queue
import select
import subprocess
import sys
import time

import numpy as np
import pytest

from callgate.dsp.wav import write_wav
from callgate.link.client import connect
from callgate.sim.board import VirtualBoard
from callgate.sim.control import Control

CALLGATE = [sys.executable, "-m", "callgate"]
CLOCK = 8.0


@pytest.fixture(scope="module")
def fast_board():
    with VirtualBoard("virtual-4", clock=CLOCK) as vb:
        yield vb


@pytest.fixture
def events(fast_board):
    with connect(fast_board.data_port) as c:
        q = queue.SimpleQueue()
        c.subscribe(q.put)
        yield q


def collect(q, until, timeout=10.0):
    """Events from q up to and including the first for which until(ev) is true."""
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            ev = q.get(timeout=max(0.01, deadline - time.monotonic()))
        except queue.Empty:
            break
        seen.append(ev)
        if until(ev):
            return seen
    raise AssertionError(f"not seen in {timeout} s; saw {seen}")


def ended(port):
    return lambda e: e.name == "call" and e.value.get("state") == "ended" and e.value["port"] == port


def calls_of(seen, port=0):
    return [e.value["state"] for e in seen if e.name == "call" and e.value["port"] == port]


def test_full_scripted_call(fast_board, events):
    call = fast_board.model.network.place_call(0, number="5551234", name="ALICE", digits="1#")
    seen = collect(events, ended(0))
    assert calls_of(seen) == ["ringing", "answered", "prompt", "collect", "digits", "ended"]
    names = [e.name for e in seen]
    assert names.index("cid") < names.index("call", names.index("cid"))  # caller ID before the answer
    final = [e.value for e in seen if e.name == "call"][-2:]
    assert final[0]["digits"] == "1#" and final[0]["end"] == "#"
    assert final[1]["by"] == "board" and final[1]["reason"] == "done"
    assert call.done.wait(5)
    r = call.result()
    assert r["answered"] and r["rings"] == 2 and r["ended_by"] == "board"
    assert 1000 < r["heard_ms"] <= 1700  # the whole 1.6 s welcome prompt, then the digits
    ids = {e.value["call"] for e in seen if e.name in ("call", "cid", "dtmf")}
    assert len(ids) == 1


def test_caller_id_reaches_host(fast_board, events):
    fast_board.model.network.place_call(1, number="0791234567", name="BOB SMITH", digits="#")
    seen = collect(events, ended(1))
    cid = [e.value for e in seen if e.name == "cid"]
    assert len(cid) == 1
    assert cid[0]["number"] == "0791234567" and cid[0]["name"] == "BOB SMITH" and cid[0]["status"] == "ok"


def test_digits_reach_host(fast_board, events):
    fast_board.model.network.place_call(0, number="5551234", digits="4711*9#")
    seen = collect(events, ended(0))
    digits = "".join(e.value["digit"] for e in seen if e.name == "dtmf" and e.value["port"] == 0)
    assert digits == "4711*9#"
    report = [e.value for e in seen if e.name == "call" and e.value["state"] == "digits"]
    assert report[0]["digits"] == "4711*9#"


def test_digits_barge_in_on_the_prompt(fast_board, events):
    call = fast_board.model.network.place_call(0, number="5551234", digits="7#", digit_delay_ms=300)
    seen = collect(events, ended(0))
    assert calls_of(seen) == ["ringing", "answered", "prompt", "collect", "digits", "ended"]
    assert call.done.wait(5)
    assert call.result()["heard_ms"] < 800  # the prompt was cut by the first digit


@pytest.mark.parametrize("how", ["loop-drop", "reversal", "busy"])
def test_caller_hangs_up_mid_prompt(fast_board, events, how):
    call = fast_board.model.network.place_call(0, number="5551234", hangup="busy" if how == "busy" else how,
                                               hangup_after_ms=400)
    seen = collect(events, ended(0))
    states = calls_of(seen)
    if how == "busy":  # heard by disconnect supervision after a few cadences: the prompt may end first
        assert states in (["ringing", "answered", "prompt", "ended"], ["ringing", "answered", "prompt", "collect", "ended"])
    else:
        assert states == ["ringing", "answered", "prompt", "ended"]
    end = [e.value for e in seen if e.name == "call"][-1]
    assert end["by"] == "caller" and end["reason"] == how
    assert seen[-1].name == "call"
    assert call.done.wait(5) and call.result()["ended_by"] == "caller"
    idle = collect(events, lambda e: e.name == "port" and e.value["port"] == 0)
    assert idle[-1].value == {"port": 0, "state": "idle", "was": "call"}


def test_a_call_on_each_fxo_port_at_once(fast_board, events):
    net = fast_board.model.network
    a = net.place_call(0, number="111", name="ONE", digits="1#")
    b = net.place_call(1, number="222", name="TWO", digits="22#")
    seen = collect(events, ended(0), timeout=10)
    if not any(ended(1)(e) for e in seen):
        seen += collect(events, ended(1), timeout=10)
    assert a.done.wait(5) and b.done.wait(5)
    for port, number, digits in ((0, "111", "1#"), (1, "222", "22#")):
        assert calls_of(seen, port) == ["ringing", "answered", "prompt", "collect", "digits", "ended"]
        assert [e.value["number"] for e in seen if e.name == "cid" and e.value["port"] == port] == [number]
        got = "".join(e.value["digit"] for e in seen if e.name == "dtmf" and e.value["port"] == port)
        assert got == digits
    ids = {e.value["call"] for e in seen if e.name == "call"}
    assert len(ids) == 2


def test_caller_speech_then_digits(fast_board, events, tmp_path):
    t = np.arange(8000) / 8000.0
    voice = (3000 * np.sin(2 * np.pi * 180 * t) * np.sin(2 * np.pi * 3 * t)).astype(np.int16)
    path = tmp_path / "hello.wav"
    write_wav(path, voice, 8000, "pcm16")
    with Control(fast_board.control_path) as ctl:
        items = list(ctl.call(0, number="5551234", digits="5#", speech=str(path)))
    assert items[-1]["t"] == "done" and items[-1]["digits_sent"] == "5#"
    assert "speech" in [i.get("what") for i in items]
    seen = collect(events, ended(0))
    assert [e.value["digit"] for e in seen if e.name == "dtmf"] == ["5", "#"]


def test_agent_phone_on_fxs(fast_board, events):
    phone = fast_board.model.network.phone(2)
    phone.off_hook()
    seen = collect(events, lambda e: e.name == "port" and e.value["port"] == 2)
    assert [e.value for e in seen if e.name == "hook"] == [{"port": 2, "off": True}]
    assert seen[-1].value["state"] == "offhook"
    time.sleep(0.3)  # 2.4 s on the line's clock: the firmware's dial tone
    assert phone.heard_ms > 1000
    phone.dial("42")
    seen = collect(events, lambda e: e.name == "dtmf" and e.value["digit"] == "2")
    assert [(e.value["port"], e.value["digit"]) for e in seen if e.name == "dtmf"] == [(2, "4"), (2, "2")]
    heard = phone.heard_ms
    time.sleep(0.2)
    assert phone.heard_ms - heard < 100  # the first digit stopped the dial tone
    phone.hang_up()
    seen = collect(events, lambda e: e.name == "port" and e.value["port"] == 2)
    assert seen[-1].value == {"port": 2, "state": "idle", "was": "offhook"}


def _monitor(port):
    proc = subprocess.Popen(CALLGATE + ["--port", port, "monitor", "--json"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    assert select.select([proc.stderr], [], [], 15)[0], "monitor did not start"
    assert proc.stderr.readline().startswith("monitoring")
    return proc


def test_sim_call_cli_and_monitor(fast_board):
    mon = _monitor(fast_board.data_port)
    try:
        r = subprocess.run(CALLGATE + ["sim", "call", "--sim", fast_board.control_path, "--from", "5550000",
                                       "--name", "CAROL", "--digits", "9#", "--json"],
                           capture_output=True, text=True, timeout=30)
        assert r.returncode == 0, r.stderr
        items = [json.loads(line) for line in r.stdout.splitlines()]
        assert items[-1]["t"] == "done" and items[-1]["answered"] and items[-1]["ended_by"] == "board"
        time.sleep(0.5)  # the monitor prints the last events
        mon.terminate()
        out, _ = mon.communicate(timeout=5)
        lines = [json.loads(line) for line in out.splitlines()]
        steps = [(e["event"], e.get("state") or e.get("digit") or e.get("number")) for e in lines
                 if e["event"] in ("call", "cid", "dtmf")]
        assert steps == [("call", "ringing"), ("cid", "5550000"), ("call", "answered"), ("call", "prompt"),
                         ("call", "collect"), ("dtmf", "9"), ("dtmf", "#"), ("call", "digits"), ("call", "ended")]
    finally:
        mon.terminate()
        mon.wait(timeout=5)


def test_sim_call_without_a_sim_is_one_line_error(tmp_path):
    env = dict(os.environ, CALLGATE_RUNTIME_DIR=str(tmp_path))
    r = subprocess.run(CALLGATE + ["sim", "call", "--digits", "1#"], capture_output=True, text=True, timeout=30,
                       env=env)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "callgate sim" in r.stderr


def test_board_killed_mid_call_restarts_clean_and_takes_the_next_call(fast_board):
    """SIGKILL the firmware while a caller listens to the prompt: the restarted firmware
    puts the line back on hook (the caller is released, nothing stays off hook) and the
    next call on the same port goes through from ring to hang-up."""
    with connect(fast_board.data_port) as c:
        q = queue.SimpleQueue()
        c.subscribe(q.put)
        call = fast_board.model.network.place_call(0, number="5551234", digits="9#",
                                                   digit_delay_ms=20000)
        collect(q, lambda e: e.name == "call" and e.value.get("state") == "prompt"
                and e.value["port"] == 0)
        old_pid = fast_board.proc.pid
        fast_board.kill_firmware()
        assert fast_board.wait_restart(old_pid), fast_board.console()
        assert call.done.wait(10), "the caller was never released"
        assert call.result()["ended_by"] == "board", call.result()["progress"][-3:]  # not the caller giving up
        deadline = time.monotonic() + 5
        while c.status()["ports"][0]["state"] != "idle":
            assert time.monotonic() < deadline, c.status()["ports"][0]
            time.sleep(0.05)
        fast_board.model.network.place_call(0, number="5550000", digits="1#")
        seen = collect(q, ended(0))
    assert calls_of(seen)[-6:] == ["ringing", "answered", "prompt", "collect", "digits", "ended"]
