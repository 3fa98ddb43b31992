# The inbound call flow with a site: an answered call goes to the IVR (calls.py + ivr.py).
# Shared: CPython (pytest) and MicroPython (mp_runner.py).

import fw
from test_fw_ivr import MON_10, SUN_10, bundle

Calls = fw.module("calls").Calls
messages = fw.module("link.messages")
Ports = fw.module("ports").Ports

RUNS_ON_MICROPYTHON = True

DEFS = [{"n": 0, "kind": "fxo", "name": "fxo1"}, {"n": 1, "kind": "fxo", "name": "fxo2"},
        {"n": 2, "kind": "fxs", "name": "fxs1"}]


class Board:
    def __init__(self, tm=MON_10, site=True):
        self.ports = Ports(DEFS)
        self.calls = Calls(DEFS, {"answer_rings": 1})
        self.calls.use_site(bundle() if site else None, lambda: tm)
        self.ev = []
        self.cmd = []

    def report(self, now, **r):
        self.ev.extend(self.ports.line(r, now))
        self.calls.line(r, now, self.ports, self.ev, self.cmd)

    def tick(self, now):
        ev = list(self.ports.tick(now))
        self.calls.tick(now, self.ports, ev, self.cmd)
        self.ev.extend(ev)

    def calls_ev(self):
        return [v for k, v in self.ev if k == messages.EV_CALL]

    def states(self):
        return [v["state"] for v in self.calls_ev()]


def test_answered_call_goes_to_the_menu_then_a_queue():
    b = Board()
    b.report(0, what="ring", port=0, on=True)
    assert [c["t"] for c in b.cmd] == ["cid_arm", "answer", "play"]
    assert b.cmd[-1] == {"t": "play", "port": 0, "prompt": "welcome", "barge_in": True}
    b.report(900, what="dtmf", port=0, digit="2")  # barge-in: the support menu
    b.report(950, what="prompt_done", port=0, prompt="welcome", reason="barge-in")
    b.report(2000, what="prompt_done", port=0, prompt="support", reason="complete")
    b.report(2500, what="dtmf", port=0, digit="1")
    assert b.states() == ["ringing", "answered", "menu", "menu", "queued"]
    assert b.calls_ev()[-1] == {"port": 0, "call": 1, "state": "queued", "queue": "support", "position": 1}
    assert [c["t"] for c in b.cmd][3:] == ["stop", "play", "stop", "play"]
    assert b.cmd[-1] == {"t": "play", "port": 0, "prompt": "hold", "barge_in": False}
    assert b.calls.status()[0]["state"] == "queued" and b.ports.state(0) == "call"
    b.report(9000, what="loop", port=0, on=False)  # nobody takes the queue yet: the caller gives up
    assert b.states()[-1] == "ended" and b.calls_ev()[-1]["by"] == "caller"
    assert b.cmd[-1]["t"] == "hangup" and b.ports.state(0) == "idle"


def test_digit_timeouts_run_on_the_tick_and_fall_back_to_the_operator():
    b = Board()
    b.report(0, what="ring", port=0, on=True)
    now = 1000
    for prompt in ("welcome", "noinput", "welcome", "noinput", "welcome"):
        b.report(now, what="prompt_done", port=0, prompt=prompt, reason="complete")
        if prompt == "welcome":
            b.tick(now + 4900)
            assert b.calls.calls[0].state == "menu"
            now += 5000
            b.tick(now)
        now += 100
    assert b.calls_ev()[-1] == {"port": 0, "call": 1, "state": "queued", "queue": "reception", "position": 1,
                                 "operator": True}


def test_after_hours_hang_up_after_the_hours_prompt():
    b = Board(SUN_10)
    b.report(0, what="ring", port=1, on=True)
    assert b.cmd[-1] == {"t": "play", "port": 1, "prompt": "closed", "barge_in": False}
    b.report(3000, what="prompt_done", port=1, prompt="closed", reason="complete")
    b.report(3500, what="dtmf", port=1, digit="3")
    b.report(8000, what="prompt_done", port=1, prompt="hours", reason="complete")
    assert b.calls_ev()[-1] == {"port": 1, "call": 1, "state": "ended", "by": "board", "reason": "ivr",
                                 "cdr": "00000000-1"}
    assert b.cmd[-1] == {"t": "hangup", "port": 1} and b.calls.calls[1].ivr.state == "idle"


def test_a_prompt_the_card_cannot_play_does_not_stall_the_menu():
    b = Board()
    b.report(0, what="ring", port=0, on=True)
    b.report(10, what="error", port=0, cmd="play", msg="no prompt 'welcome'")
    assert b.calls.calls[0].timing  # waiting for a key as if the prompt had played


def test_the_site_sets_the_rings_before_answering():
    site = bundle()
    site["ports"][0]["rings"] = 3
    b = Board()
    b.calls.use_site(site, lambda: MON_10)
    for t in (0, 6000):
        b.report(t, what="ring", port=0, on=True)
        b.report(t + 2000, what="ring", port=0, on=False)
    assert "answer" not in [c["t"] for c in b.cmd]
    b.report(12000, what="ring", port=0, on=True)
    assert [c["t"] for c in b.cmd] == ["cid_arm", "answer", "play"]


def test_the_site_arms_caller_id_per_port():
    site = bundle()
    site["ports"][0]["cid"] = "v23"
    site["ports"][0]["cid_start"] = "ring-end"
    site["ports"][1]["cid"] = "none"
    b = Board()
    b.calls.use_site(site, lambda: MON_10)
    b.report(0, what="ring", port=0, on=True)
    assert b.cmd[0] == {"t": "cid_arm", "port": 0, "standard": "v23", "start": "ring-end"}
    b.cmd = []
    b.report(0, what="ring", port=1, on=True)
    assert [c["t"] for c in b.cmd] == ["answer", "play"]


def test_without_a_site_the_plain_flow_stays():
    b = Board(site=False)
    b.report(0, what="ring", port=0, on=True)
    assert b.cmd[-1] == {"t": "play", "port": 0, "prompt": "welcome", "barge_in": True}
    assert b.states() == ["ringing", "answered", "prompt"]
