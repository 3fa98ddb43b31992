# The inbound call flow from line-card reports. Shared: CPython (pytest) and MicroPython
# (mp_runner.py).

import fw

Calls = fw.module("calls").Calls
messages = fw.module("link.messages")
Ports = fw.module("ports").Ports

RUNS_ON_MICROPYTHON = True

DEFS = [{"n": 0, "kind": "fxo", "name": "fxo1"}, {"n": 1, "kind": "fxs", "name": "fxs1"}]


class Board:
    def __init__(self, cfg=None):
        self.ports = Ports(DEFS)
        self.calls = Calls(DEFS, cfg)
        self.ev = []
        self.cmd = []

    def report(self, now, **r):
        self.ev.extend(self.ports.line(r, now))
        self.calls.line(r, now, self.ports, self.ev, self.cmd)

    def tick(self, now):
        ev = list(self.ports.tick(now))
        self.calls.tick(now, self.ports, ev, self.cmd)
        self.ev.extend(ev)

    def states(self):
        return [v["state"] for k, v in self.ev if k == messages.EV_CALL]

    def cmds(self):
        return [c["t"] for c in self.cmd]


def test_inbound_call_flow():
    b = Board()
    b.report(0, what="ring", port=0, on=True)
    b.report(2000, what="ring", port=0, on=False)
    b.report(2600, what="cid", port=0, number="5551234", name="ALICE", status="ok")
    b.report(6000, what="ring", port=0, on=True)
    assert b.cmds() == ["cid_arm", "answer", "play"]
    assert b.cmd[2] == {"t": "play", "port": 0, "prompt": "welcome", "barge_in": True}
    assert b.ports.state(0) == "call"
    b.report(7600, what="prompt_done", port=0, prompt="welcome", reason="complete")
    b.report(8000, what="dtmf", port=0, digit="4")
    b.report(8200, what="dtmf", port=0, digit="#")
    assert b.states() == ["ringing", "answered", "prompt", "collect", "digits", "ended"]
    cid = [v for k, v in b.ev if k == messages.EV_CID][0]
    assert cid == {"port": 0, "call": 1, "number": "5551234", "name": "ALICE", "status": "ok"}
    digits = [v for k, v in b.ev if k == messages.EV_CALL][-2]
    assert digits["digits"] == "4#" and digits["end"] == "#"
    assert b.cmds()[-1] == "hangup" and b.ports.state(0) == "idle"


def test_caller_hangs_up_during_the_prompt():
    b = Board({"answer_rings": 1})
    b.report(0, what="ring", port=0, on=True)
    b.report(500, what="loop", port=0, on=True)
    b.report(900, what="loop", port=0, on=False)
    assert b.states() == ["ringing", "answered", "prompt", "ended"]
    end = [v for k, v in b.ev if k == messages.EV_CALL][-1]
    assert end["by"] == "caller" and end["reason"] == "loop-drop"
    assert b.cmds() == ["cid_arm", "answer", "play", "hangup"]


def test_digit_timeout_and_a_new_call_id():
    b = Board({"answer_rings": 1, "first_digit_ms": 1000, "digit_ms": 500})
    b.report(0, what="ring", port=0, on=True)
    b.report(100, what="prompt_done", port=0, reason="complete")
    b.tick(600)
    b.report(700, what="dtmf", port=0, digit="3")
    b.tick(1100)
    assert "digits" not in b.states()  # 400 ms after the digit: the 500 ms timer still runs
    b.tick(1300)
    digits = [v for k, v in b.ev if k == messages.EV_CALL][-2]
    assert digits["digits"] == "3" and digits["end"] == "timeout"
    b.report(5000, what="ring", port=0, on=True)
    assert [v for k, v in b.ev if k == messages.EV_CALL][-3]["call"] == 2


def test_unanswered_call_is_abandoned():
    b = Board({"answer_rings": 4})
    b.report(0, what="ring", port=0, on=True)
    b.report(2000, what="ring", port=0, on=False)
    b.tick(9000)
    end = [v for k, v in b.ev if k == messages.EV_CALL][-1]
    assert end["state"] == "ended" and end["reason"] == "abandoned" and b.cmds() == ["cid_arm", "hangup"]


def test_agent_phone_dial_tone_and_digits():
    b = Board()
    b.report(0, what="hook", port=1, off=True)
    b.report(100, what="dtmf", port=1, digit="7")
    b.report(200, what="hook", port=1, off=False)
    assert b.cmd == [{"t": "tone", "port": 1, "plan": "US", "name": "dial"}, {"t": "stop", "port": 1},
                     {"t": "stop", "port": 1}]
    assert [v for k, v in b.ev if k == messages.EV_DTMF] == [{"port": 1, "digit": "7", "call": 0}]
