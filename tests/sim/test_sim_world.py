"""The call center's simulated world (docs/callcenter.md, simulator side): FXS ringing and
automatic agents, recordings streamed as rec reports, the clock report, callers with patience,
digit groups, surveys and callbacks. Driven without firmware: an AudioPlane over Lines, its
frames stepped on the test's thread (plane.step), the firmware's commands injected with
lines.command(); one VirtualBoard test checks the control socket and the 8-port board."""

import base64
import json
import random

import numpy as np
import pytest

from callgate.cli.simcall import _talk
from callgate.dsp import g711
from callgate.dsp.tones import generate_cadence
from callgate.dsp.wav import encode_wav
from callgate.sim.linecards import REC_CHUNK
from callgate.sim.linecards import AudioPlane
from callgate.sim.control import Control
from callgate.sim.lines import Lines
from callgate.sim.caller import Caller
from callgate.sim.clock import parse_epoch
from callgate.sim.phones import AGENT_NO_CALL_MS

import world

BOARD = world.board_def("virtual-8")
EPOCH = 1795399200.0  # 2026-11-23T02:00:00Z
AGENT = 5  # the first FXS port of virtual-8


class World(world.World):
    """virtual-8's line cards at EPOCH, with a few steps of a call."""

    def __init__(self, clock=1.0):
        super().__init__(BOARD, clock=clock, epoch=EPOCH)

    def answered_call(self, port=0, **spec):
        call = self.net.place_call(port, number="5551234", **spec)
        self.plane.step(1)
        self.cmd(t="answer", port=port)
        assert call.state == "connected"
        return call

    def prompt(self, port=0, seconds=1.0):
        self.cmd(t="play", port=port, prompt="p", wav=PROMPT[seconds], barge_in=True)


def _prompt(seconds):
    audio = generate_cadence([(440, 0, 1000)], seconds, level_dbm0=-12.0, repeat=True)
    return base64.b64encode(encode_wav(audio, 8000, "pcm16")).decode()


PROMPT = {s: _prompt(s) for s in (0.5, 1.0)}


def progress(call, what):
    return [i for i in call.progress if i["what"] == what]


def test_fxs_ring_and_an_automatic_agent_answers():
    w = World()
    phone = w.net.phone(AGENT)
    phone.auto(answer_ms=1000, talk_ms=3000)
    w.cmd(t="ring", port=AGENT, on=True)
    w.ms(500)
    assert phone.ringing and not w.lines.offhook(AGENT)
    w.ms(600)
    assert not phone.ringing and w.lines.offhook(AGENT)
    assert w.of("hook", AGENT) == [{"what": "hook", "port": AGENT, "off": True}]
    assert [p["what"] for p in phone.progress] == ["ring", "off-hook"]
    assert phone.progress[1]["answered"] is True
    w.cmd(t="ring", port=AGENT, on=False)  # the firmware stops ringing: nothing left to stop
    assert [p["what"] for p in phone.progress] == ["ring", "off-hook"]

    call = w.answered_call(0)
    w.ms(400)
    w.cmd(t="bridge", a=0, b=AGENT)
    assert phone.calls == 1 and phone.peer == 0 and call.peer == AGENT
    assert progress(call, "bridged")[0]["agent"] == AGENT
    w.ms(2900)
    assert w.lines.offhook(AGENT)
    w.ms(200)  # talk_ms: the agent hangs up
    assert not w.lines.offhook(AGENT)
    assert w.of("hook", AGENT)[-1]["off"] is False
    w.cmd(t="unbridge", port=AGENT)  # what the firmware does then
    assert progress(call, "unbridged") and call.agent_left
    w.ms(1100)  # no survey: the caller hangs up 1 s after the agent left
    assert call.state == "caller-gone" and call.ended_by == "caller"
    w.cmd(t="hangup", port=0)
    r = call.result()
    assert r["state"] == "ended" and r["agent"] == AGENT
    assert 2900 <= r["bridged_ms"] <= 3200 and 380 <= r["waited_ms"] <= 460


def test_ring_errors_and_ring_trip():
    w = World()
    w.cmd(t="ring", port=0, on=True)
    err = w.of("error")
    assert err and err[0]["cmd"] == "ring" and "not FXS" in err[0]["msg"]
    phone = w.net.phone(AGENT + 1)
    phone.off_hook()
    w.ms(20)
    w.cmd(t="ring", port=AGENT + 1, on=True)
    assert not phone.ringing and phone.progress[-1]["what"] == "ring-trip"
    never = w.net.phone(AGENT + 2)
    never.auto(answer_ms=None)
    w.cmd(t="ring", port=AGENT + 2, on=True)
    w.ms(5000)
    assert never.ringing and not w.lines.offhook(AGENT + 2)
    never.manual()
    w.cmd(t="ring", port=AGENT + 2, on=False)
    assert not never.ringing and never.progress[-1]["what"] == "ring-stop"
    w.cmd(t="ring", port=AGENT + 2, on=True)
    w.cmd(t="hangup", port=AGENT + 2)  # a reset line card stops ringing too
    assert not never.ringing


def test_an_agent_put_through_to_nobody_hangs_up():
    w = World()
    phone = w.net.phone(AGENT)
    phone.auto(answer_ms=200, talk_ms=None)
    w.cmd(t="ring", port=AGENT, on=True)
    w.ms(300)
    assert w.lines.offhook(AGENT)
    w.ms(AGENT_NO_CALL_MS - 200)
    assert w.lines.offhook(AGENT)
    w.ms(300)  # AGENT_NO_CALL_MS after answering with no caller: gone
    assert not w.lines.offhook(AGENT)
    w.cmd(t="ring", port=AGENT, on=True)
    w.ms(300)
    w.answered_call(0)
    w.cmd(t="bridge", a=0, b=AGENT)
    w.ms(10000)  # put through: talks as long as the caller likes
    assert w.lines.offhook(AGENT) and phone.calls == 1


def test_agent_leaves_after_the_caller_and_talk_range():
    w = World()
    phone = w.net.phone(AGENT)
    phone.auto(answer_ms=0, talk_ms=(60000, 90000), rng=random.Random(1))
    w.cmd(t="ring", port=AGENT, on=True)
    w.ms(40)
    assert w.lines.offhook(AGENT)
    call = w.answered_call(1, talk_ms=1500)
    w.cmd(t="bridge", a=1, b=AGENT)
    assert 60000 * 8 <= phone.hangup_at - w.plane.now <= 90000 * 8
    w.ms(1600)
    assert call.state == "caller-gone" and progress(call, "hangup")[0]["by"] == "caller"
    w.cmd(t="hangup", port=1)  # the board releases the trunk, which ends the bridge
    assert phone.peer is None and w.lines.offhook(AGENT)
    w.ms(600)  # 500 ms after the caller left
    assert not w.lines.offhook(AGENT)
    assert 1450 <= call.result()["bridged_ms"] <= 1560


def test_an_agent_made_automatic_mid_call_carries_on_from_there():
    """`callgate sim agent --port N --talk-ms 1000` on a phone already talking: it used to
    start its timers only at the next ring or bridge, so the call stayed bridged for good
    (the caller waits for the agent; max_call_ms does not count time with one)."""
    w = World()
    phone = w.net.phone(AGENT)
    w.cmd(t="ring", port=AGENT, on=True)
    phone.off_hook()  # a person answers
    w.ms(40)
    call = w.answered_call(0)
    w.cmd(t="bridge", a=0, b=AGENT)
    w.ms(5000)
    phone.auto(answer_ms=2000, talk_ms=1000)
    w.ms(900)
    assert w.lines.offhook(AGENT) and phone.peer == 0
    w.ms(200)
    assert not w.lines.offhook(AGENT), "made automatic while bridged: hangs up talk_ms later"
    w.cmd(t="unbridge", port=AGENT)
    assert call.agent_left

    ringing = w.net.phone(AGENT + 1)
    w.cmd(t="ring", port=AGENT + 1, on=True)
    w.ms(3000)
    ringing.auto(answer_ms=500, talk_ms=1000)
    w.ms(600)
    assert w.lines.offhook(AGENT + 1), "made automatic while ringing: answers answer_ms later"

    idle = w.net.phone(AGENT + 2)
    idle.off_hook()
    w.ms(1000)
    idle.auto(answer_ms=500, talk_ms=1000)
    w.ms(AGENT_NO_CALL_MS - 100)
    assert w.lines.offhook(AGENT + 2)
    w.ms(200)
    assert not w.lines.offhook(AGENT + 2), "off hook with nobody: gone AGENT_NO_CALL_MS later"


def test_an_agent_bridged_before_it_answers_still_hangs_up():
    """The talk timer of a bridge that came while the phone rang (talk_ms shorter than
    answer_ms) used to fire on hook, do nothing, and be wiped by the answer: bridged for good."""
    w = World()
    phone = w.net.phone(AGENT)
    phone.auto(answer_ms=2000, talk_ms=1000)
    w.cmd(t="ring", port=AGENT, on=True)
    w.answered_call(0)
    w.cmd(t="bridge", a=0, b=AGENT)
    w.ms(2000)
    assert w.lines.offhook(AGENT) and phone.peer == 0  # answered at 2.0 s
    w.ms(800)
    assert w.lines.offhook(AGENT)
    w.ms(200)  # talk_ms after it answered
    assert not w.lines.offhook(AGENT)


def test_record_streams_rec_reports_with_sound_while_bridged():
    w = World()
    phone = w.net.phone(AGENT)
    phone.auto(answer_ms=0, talk_ms=None)
    w.cmd(t="ring", port=AGENT, on=True)
    w.ms(40)
    w.answered_call(0)
    w.cmd(t="bridge", a=0, b=AGENT)
    start = w.plane.now
    w.lines.command({"t": "record", "port": 0, "id": "1a2b-7"})
    w.ms(2500)
    w.lines.command({"t": "record_stop", "port": 0})
    w.plane.step(1)
    frames = (w.plane.now - start) // 160 - 1  # the record command and the stop run before a frame
    recs = w.of("rec", 0)
    n = len(recs)  # whole chunks, then the rest with end true
    assert n >= 2500 * 8 // REC_CHUNK
    assert [r["seq"] for r in recs] == list(range(n)) and [r["end"] for r in recs] == [False] * (n - 1) + [True]
    assert {r["id"] for r in recs} == {"1a2b-7"}
    data = b"".join(base64.b64decode(r["data"]) for r in recs)
    assert {len(base64.b64decode(r["data"])) for r in recs[:-1]} == {REC_CHUNK}
    assert abs(len(data) - frames * 160) <= 160
    pcm = g711.ulaw_decode(np.frombuffer(data, np.uint8)).astype(float)
    rms = np.array([np.sqrt(np.mean(pcm[i:i + 800] ** 2)) for i in range(0, len(pcm) - 800, 800)])
    assert np.mean(rms > 200) > 0.5  # two people talking, each in bursts half the time
    for i in range(0, len(pcm) - 8000, 8000):  # and every second has some of it
        assert np.abs(pcm[i:i + 8000]).max() > 1000
    w.lines.command({"t": "record_stop", "port": 0})  # again: no error, no report
    w.plane.step(1)
    assert len(w.of("rec")) == n and not w.of("error")


def test_recording_ends_on_hangup_and_on_a_new_record():
    w = World()
    w.answered_call(2)
    w.cmd(t="record", port=2, id=1)
    w.ms(300)
    w.cmd(t="record", port=2, id=2)
    w.ms(1300)
    w.cmd(t="hangup", port=2)
    recs = w.of("rec", 2)
    second = [(2, i, False) for i in range(1300 * 8 // REC_CHUNK)] + [(2, 1300 * 8 // REC_CHUNK, True)]
    assert [(r["id"], r["seq"], r["end"]) for r in recs] == [(1, 0, False), (1, 1, True)] + second
    assert sum(len(base64.b64decode(r["data"])) for r in recs[:2]) == 300 // 20 * 160 + 160
    w.cmd(t="record", port=2)
    assert w.of("error")[-1]["cmd"] == "record"


def test_a_late_last_chunk_comes_late_and_a_lost_one_never():
    """rec_end_delay_ms (a slow line-card bus, for the firmware's tests): only the report with
    end true is held back, by that much model time; None drops it."""
    w = World()
    w.answered_call(2)
    w.plane.rec_end_delay_ms = 500
    w.cmd(t="record", port=2, id="a")
    w.ms(700)
    w.cmd(t="record_stop", port=2)
    assert [r["end"] for r in w.of("rec", 2)] == [False, False]
    w.ms(460)
    assert [r["end"] for r in w.of("rec", 2)] == [False, False]
    w.ms(60)
    assert [(r["seq"], r["end"]) for r in w.of("rec", 2)] == [(0, False), (1, False), (2, True)]
    w.plane.rec_end_delay_ms = None
    w.cmd(t="record", port=2, id="b")
    w.ms(100)
    w.cmd(t="hangup", port=2)
    w.ms(5000)
    assert [r["id"] for r in w.of("rec", 2)] == ["a", "a", "a"]


def test_every_line_card_command_is_carried_out():
    """The virtual line cards take every command of firmware/callgate/linecard.py (hello is
    the board model's, clock the pacing's), and refuse another with an error report."""
    from callgate.firmware import linecard
    from callgate.sim.linecards import COMMANDS

    assert set(COMMANDS) == set(linecard.COMMANDS) - {linecard.CMD_HELLO, linecard.CMD_CLOCK}
    assert all(callable(getattr(AudioPlane, m)) for m in COMMANDS.values())
    w = World()
    w.cmd(t="fly", port=0)
    w.cmd(t="answer", port=99)
    assert [(r["cmd"], r["msg"]) for r in w.of(linecard.REPORT_ERROR)] == [
        ("fly", "unknown command 'fly'"), ("answer", "no port 99")]


def test_the_line_cards_wait_for_a_slow_firmware():
    """Pacing: once the firmware has taken a clock report, the frames run at most PACE_MS of
    model time ahead of the last one it took, however fast the clock; a firmware that takes
    none for LOST_S no longer holds them."""
    import time

    from callgate.sim import linecards

    w = World(clock=1000.0)
    w.lines.command({"t": "clock", "ms": 0})  # before the plane starts: none of its frames unpaced
    w.plane.start()
    try:
        time.sleep(0.5)  # 25 s of model time at 1000x, unpaced
        held = w.plane.now_ms
        assert linecards.PACE_MS <= held <= linecards.PACE_MS + 40
        assert w.plane.waited >= 1
        w.lines.command({"t": "clock", "ms": 3000})
        time.sleep(0.2)
        assert 3000 + linecards.PACE_MS <= w.plane.now_ms <= 3000 + linecards.PACE_MS + 40
        time.sleep(linecards.LOST_S + 0.5)  # no more clock reports taken: the frames run on
        assert w.plane.now_ms > 3000 + linecards.PACE_MS + 10000
    finally:
        w.plane.stop()


def test_clock_reports():
    w = World(clock=20.0)
    snap = w.lines.snapshot()
    assert snap[0] == {"what": "clock", "ms": 0, "epoch": EPOCH, "rate": 20.0}
    w.ms(3000)
    clocks = w.of("clock")
    assert [c["ms"] for c in clocks] == [1000, 2000, 3000]
    assert [c["epoch"] for c in clocks] == [EPOCH + 1, EPOCH + 2, EPOCH + 3]
    assert {c["rate"] for c in clocks} == {20.0}
    w.net.place_call(0)
    w.ms(100)
    snap = w.lines.snapshot()
    assert snap[0]["what"] == "clock" and snap[0]["ms"] == 3100 and snap[1]["what"] == "ring"


def test_caller_patience_abandons():
    w = World()
    call = w.answered_call(0, patience_ms=2000, hangup="reversal")
    w.prompt(0)
    w.ms(1900)
    assert call.state == "connected"
    w.ms(200)
    assert call.state == "caller-gone"
    assert progress(call, "abandoned")[0]["waited_ms"] == 2000
    assert w.of("reversal", 0)
    w.cmd(t="hangup", port=0)
    r = call.result()
    assert r["state"] == "ended" and r["agent"] is None and r["waited_ms"] is None and r["bridged_ms"] == 0


def test_patience_does_not_count_once_bridged():
    w = World()
    call = w.answered_call(0, patience_ms=1000, talk_ms=3000)
    w.ms(500)
    w.cmd(t="bridge", a=0, b=AGENT)
    w.ms(2000)
    assert call.state == "connected" and not progress(call, "abandoned")
    assert 1950 <= call.result()["bridged_ms"] <= 2050  # so far


def test_digit_groups_after_successive_prompts():
    w = World()
    call = w.answered_call(0, digits="2,1#")
    w.prompt(0, 1.0)
    w.ms(1200)
    assert [r["digit"] for r in w.of("dtmf", 0)] == []  # 300 ms of quiet first
    w.ms(400)
    assert [r["digit"] for r in w.of("dtmf", 0)] == ["2"]
    w.ms(1500)
    assert [r["digit"] for r in w.of("dtmf", 0)] == ["2"]  # the next group waits for a prompt
    w.prompt(0, 0.5)
    w.ms(1200)
    assert [r["digit"] for r in w.of("dtmf", 0)] == ["2", "1", "#"]
    assert [i["digits"] for i in progress(call, "digits")] == ["2", "1#"]
    assert call.result()["digits_sent"] == "2,1#"


def test_survey_after_the_agent_left_and_callback_while_waiting():
    w = World()
    call = w.answered_call(0, digits="3", callback="55#", survey="45")
    w.prompt(0, 0.5)
    w.ms(900)
    assert [r["digit"] for r in w.of("dtmf", 0)] == ["3"]
    for gap in (700, 700, 3000):  # a hold loop: each prompt follows the last, at worst 3 s on
        w.prompt(0, 0.5)
        w.ms(gap)
    assert [r["digit"] for r in w.of("dtmf", 0)] == ["3"] and call.callbacks == 0
    w.prompt(0, 0.5)  # e.g. the queue's overflow: the callback prompt, then the board waits
    w.ms(4300)
    assert [r["digit"] for r in w.of("dtmf", 0)] == ["3"]  # 4 s of quiet first
    w.ms(1000)
    assert "".join(r["digit"] for r in w.of("dtmf", 0)) == "355#"
    assert call.callbacks == 1
    w.cmd(t="bridge", a=0, b=AGENT)
    w.ms(1000)
    w.cmd(t="unbridge", port=0)
    n = len(w.of("dtmf", 0))
    for expect in ("4", "5"):
        w.prompt(0, 0.5)  # a survey question
        w.ms(1000)
        assert w.of("dtmf", 0)[-1]["digit"] == expect
    assert len(w.of("dtmf", 0)) == n + 2
    w.prompt(0, 0.5)  # thanks: nothing more to key
    w.ms(1000)
    assert len(w.of("dtmf", 0)) == n + 2 and call.state == "connected"
    assert [i["digits"] for i in progress(call, "survey")] == ["4", "5"]
    w.cmd(t="hangup", port=0)
    r = call.result()
    assert r["survey"] == "45" and r["ended_by"] == "board" and r["callbacks"] == 1


@pytest.mark.parametrize("spec, words", [
    ({"digits": "1,x"}, "group 2"),
    ({"digits": 12}, "digits must be a string"),
    ({"patience_ms": -1}, "patience_ms"),
    ({"talk_ms": "long"}, "talk_ms"),
    ({"survey": "4x"}, "survey"),
    ({"callback": ""}, "callback must not be empty"),
    ({"max_call_ms": None}, "max_call_ms"),
])
def test_bad_caller_keywords(spec, words):
    with pytest.raises(ValueError, match=words):
        Caller(**spec)


def test_bad_agent_and_plane_values():
    w = World()
    phone = w.net.phone(AGENT)
    for kw, words in (({"talk_ms": (5, 1)}, "above"), ({"talk_ms": (1, 2, 3)}, "pair"),
                      ({"answer_ms": -5}, "answer_ms"), ({"rng": 3}, "rng")):
        with pytest.raises(ValueError, match=words):
            phone.auto(**kw)
    with pytest.raises(ValueError, match="not an FXS port"):
        w.net.phone(0)
    with pytest.raises(ValueError, match="epoch"):
        AudioPlane(Lines(BOARD["ports"]), BOARD, epoch="today")
    assert parse_epoch("2026-11-23T10:00+08:00") == EPOCH
    assert parse_epoch("2026-11-23T02:00") == EPOCH
    assert parse_epoch(str(EPOCH)) == EPOCH
    for text in ("tomorrow", "nan", "inf", "2026-13-01T00:00"):
        with pytest.raises(ValueError, match="not a"):
            parse_epoch(text)
    assert _talk("20000-40000") == [20000, 40000] and _talk("500") == 500


def test_virtual_8_control_ops():
    from callgate.sim.board import VirtualBoard

    with VirtualBoard("virtual-8", clock=20.0, epoch=EPOCH) as vb, Control(vb.control_path, timeout=20) as ctl:
        info = ctl.info()
        assert info["epoch"] == EPOCH and len(info["ports"]) == 8
        assert [p["port"] for p in info["phones"]] == [5, 6, 7]
        r = ctl.agent(6, answer_ms=500, talk_ms=(1000, 2000), seed=3)
        assert r["auto"] == {"answer_ms": 500, "talk_ms": [1000, 2000]}
        assert vb.model.network.phone(6).auto_spec[:2] == (500, (1000, 2000))
        assert ctl.agent(6, off=True)["auto"] is None
        with pytest.raises(ValueError, match="not an FXS port"):
            ctl.agent(0)
        with pytest.raises(ValueError, match="group 2"):
            list(ctl.call(port=4, digits="1,z"))
        # the board model checks the caller's JSON form itself: a client that skips Caller
        for caller, words in (({"max_rings": 0}, "max_rings must be a whole number >= 1, not 0"),
                              ({"from": "5551234"}, "unknown caller field 'from'"),
                              ("5551234", "a caller is a JSON object")):
            with pytest.raises(ValueError, match=words):
                ctl.request({"op": "call", "port": 4, "caller": caller})
        items = list(ctl.call(port=4, digits="1#", patience_ms=60000, survey="5", max_call_ms=30000))
        assert items[-1]["t"] == "done" and items[-1]["answered"] and items[-1]["agent"] is None


def test_sim_cli_epoch_and_agent():
    import subprocess
    import sys

    cmd = [sys.executable, "-m", "callgate"]
    sim = subprocess.Popen(cmd + ["sim", "--board", "virtual-8", "--clock", "10", "--epoch", "2026-11-23T10:00+08:00",
                                  "--seconds", "20", "--json"], stdout=subprocess.PIPE, stdin=subprocess.DEVNULL,
                           text=True)
    try:
        info = json.loads(sim.stdout.readline())
        with Control(info["control"], timeout=20) as ctl:
            assert ctl.info()["epoch"] == EPOCH
        r = subprocess.run(cmd + ["sim", "agent", "--sim", info["control"], "--port", "7", "--talk-ms", "1000-2000",
                                  "--json"], capture_output=True, text=True, timeout=30)
        assert r.returncode == 0, r.stderr
        assert json.loads(r.stdout)["auto"] == {"answer_ms": 2000, "talk_ms": [1000, 2000]}
        r = subprocess.run(cmd + ["sim", "agent", "--sim", info["control"], "--port", "1"], capture_output=True,
                           text=True, timeout=30)
        assert r.returncode == 2 and "not an FXS port" in r.stderr
    finally:
        sim.terminate()
        sim.wait(timeout=10)


def test_sim_prompt_agent_command():
    from types import SimpleNamespace

    from callgate.cli.sim import command

    w = World()
    vb = SimpleNamespace(model=SimpleNamespace(network=w.net))
    assert command(vb, "agent 6 1500 20000-40000").startswith("ok: agent 6")
    assert w.net.phone(6).auto_spec[:2] == (1500, (20000, 40000))
    assert command(vb, "agent 7").startswith("ok") and w.net.phone(7).auto_spec[:2] == (2000, 60000)
    assert command(vb, "agent 6 off") == "ok: agent 6 off" and w.net.phone(6).auto_spec is None
    assert command(vb, "agent 0").startswith("error: port 0 is not an FXS port")
    assert command(vb, "agent 6 10 x").startswith("error: not MS")


def test_caller_id_before_the_first_ring_after_a_reversal():
    """ETSI: the exchange reverses the line, sends the data, then rings; the board model hands
    the reversal to the armed receiver, which decodes V.23 before any ring."""
    from callgate.sim.linecards import AudioPlane
    from callgate.sim.lines import Lines

    defs = [{"n": 0, "kind": "fxo", "name": "fxo1"}]
    lines = Lines(defs)
    reports = []
    lines.subscribe(reports.append)
    plane = AudioPlane(lines, {"ports": defs})
    plane.engine.cid_arm(0, "v23", start="reversal")
    call = plane.network.place_call(0, number="5550123", name="EARLY", cid_start="reversal", cid_standard="v23")
    plane.step(150)  # 3 s
    whats = [r["what"] for r in reports]
    assert whats.index("reversal") < whats.index("cid") < whats.index("ring")
    cid = next(r for r in reports if r["what"] == "cid")
    assert (cid["status"], cid["number"], cid["name"]) == ("ok", "5550123", "EARLY")
    assert [p["what"] for p in call.progress][:3] == ["calling", "caller-id", "ring"]
