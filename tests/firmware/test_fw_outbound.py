# Outbound calls (outbound.py) from line-card reports: seize, dial tone, DTMF, the cpa result,
# the call record. Shared: CPython (pytest) and MicroPython (mp_runner.py).

import fw

Calls = fw.module("calls").Calls
messages = fw.module("link.messages")
Ports = fw.module("ports").Ports
outbound = fw.module("outbound")

RUNS_ON_MICROPYTHON = True

DEFS = [{"n": 0, "kind": "fxo", "name": "fxo1"}, {"n": 1, "kind": "fxo", "name": "fxo2"},
        {"n": 2, "kind": "fxs", "name": "fxs1"}]


class Board:
    def __init__(self):
        self.records = []
        self.ports = Ports(DEFS)
        self.calls = Calls(DEFS, {"plan": "EU"}, sink=self.records.append, epoch=lambda ms: 1000000 + ms)
        self.ev = []
        self.cmd = []

    def dial(self, now, number, trunk=None, play=None):
        return self.calls.dial(number, trunk, play, now, self.ports, self.ev, self.cmd)

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

    def end(self):
        return [v for k, v in self.ev if k == messages.EV_CALL][-1]


def test_busy():
    b = Board()
    r = b.dial(0, "5551234")
    assert r["port"] == 0 and r["number"] == "5551234" and r["call"] == 1
    assert b.cmd[0] == {"t": "seize", "port": 0}
    assert b.cmd[1] == {"t": "cpa_arm", "port": 0, "plan": "EU", "dial_ms": 3000, "no_answer_ms": 30000}
    assert b.ports.state(0) == "call"
    b.report(700, what="dial_tone", port=0)
    assert b.cmd[2] == {"t": "dtmf", "port": 0, "digits": "5551234"}
    b.report(4000, what="cpa", port=0, result="busy", ms=1520, kind="busy")
    assert b.states() == ["seized", "dialing", "ended"]
    assert b.cmds() == ["seize", "cpa_arm", "dtmf", "hangup"]
    end = b.end()
    assert end["outcome"] == "busy" and end["decide_ms"] == 1520 and end["direction"] == "out"
    assert b.ports.state(0) == "idle"
    (rec,) = b.records
    assert rec["direction"] == "out" and rec["number"] == "5551234" and rec["outcome"] == "busy"
    assert rec["decide_ms"] == 1520 and rec["arrived"] == 1000000 and rec["ended"] == 1004000
    assert rec["answered"] is None and rec["id"] == end["cdr"]


def test_a_person_hears_the_prompt_then_the_board_hangs_up():
    b = Board()
    b.dial(0, "42", trunk=1, play="notice")
    b.report(600, what="dial_tone", port=1)
    b.report(9000, what="cpa", port=1, result="person", ms=7400, kind=900)
    assert b.cmd[-1] == {"t": "play", "port": 1, "prompt": "notice", "barge_in": False}
    assert b.states() == ["seized", "dialing", "answered"]
    b.report(12000, what="prompt_done", port=1, prompt="notice", reason="complete")
    assert b.end()["outcome"] == "person" and b.end()["by"] == "board"
    assert b.records[0]["answered"] == 1009000 and b.cmds()[-1] == "hangup"


def test_the_callee_hangs_up_first():
    b = Board()
    b.dial(0, "42", play="notice")
    b.report(600, what="dial_tone", port=0)
    b.report(9000, what="cpa", port=0, result="machine", ms=7400, kind=3100)
    b.report(9500, what="loop", port=0, on=False)
    end = b.end()
    assert end["by"] == "callee" and end["outcome"] == "machine"


def test_no_dial_tone_dials_nothing():
    b = Board()
    b.dial(0, "42")
    b.report(3000, what="cpa", port=0, result="no-dial-tone", ms=3000, kind="")
    assert b.cmds() == ["seize", "cpa_arm", "hangup"] and b.end()["outcome"] == "no-dial-tone"


def test_silent_line_cards_end_the_call_after_the_guard_time():
    b = Board()
    b.dial(0, "42")
    b.tick(60000)
    assert b.states() == ["seized"]
    b.tick(3000 + 30000 + 30000)
    assert b.end()["outcome"] == "no-result" and b.records[0]["outcome"] == "no-result"


def test_a_ring_on_a_seized_line_is_not_an_inbound_call():
    b = Board()
    b.dial(0, "42")
    b.report(100, what="ring", port=0, on=True)
    assert b.states() == ["seized"] and len(b.calls.calls[0].cdr["ivr"]) == 0


def refused(b, number, trunk=None):
    try:
        b.dial(0, number, trunk)
    except outbound.DialError as e:
        return str(e)
    raise AssertionError("not refused: %r on %r" % (number, trunk))


def test_bad_input_is_refused_and_nothing_starts():
    b = Board()
    assert "'-' is not a digit" in refused(b, "555-1234")
    assert "no number" in refused(b, "")
    assert "longer than 24" in refused(b, "1" * 25)
    assert "no trunk 7" in refused(b, "42", 7)
    assert "no trunk 2" in refused(b, "42", 2)  # FXS
    assert "no trunk 'x'" in refused(b, "42", "x")
    assert b.cmd == [] and b.ev == [] and b.records == []
    b.dial(0, "42", trunk=0)
    assert "is busy" in refused(b, "43", 0)
    b.dial(0, "43")  # the next free one
    assert b.cmd[-2]["port"] == 1
    assert "busy" in refused(b, "44")


def test_the_site_says_which_trunks_may_call_out():
    b = Board()
    site = {"ports": [{"n": 0, "kind": "fxo", "name": "t1", "plan": "CN",
                       "out": {"allow": False, "prefix": "", "no_answer_ms": 30000}},
                      {"n": 1, "kind": "fxo", "name": "t2", "plan": "US",
                       "out": {"allow": True, "prefix": "9", "no_answer_ms": 20000}}]}
    b.calls.calls[0].trunk, b.calls.calls[1].trunk = "t1", "t2"
    b.calls.outbound.use_site(site)
    assert "may not call out" in refused(b, "42", "t1")
    try:
        b.dial(0, "42", None, "nosuch")
        raise AssertionError("a prompt the site does not have was taken")
    except outbound.DialError as e:
        assert "no prompt 'nosuch' in the site" in str(e)
    r = b.dial(0, "42")
    assert r["port"] == 1 and r["trunk"] == "t2"
    assert b.cmd[1]["plan"] == "US" and b.cmd[1]["no_answer_ms"] == 20000
    b.report(500, what="dial_tone", port=1)
    assert b.cmd[-1]["digits"] == "942"
    b.report(5000, what="cpa", port=1, result="sit", ms=900, kind="sit")
    assert b.records[0]["number"] == "42" and b.records[0]["trunk"] == "t2"
    b.calls.outbound.use_site({"ports": []})
    assert "no trunk may call out" in refused(b, "42")


def test_a_trunk_that_dials_pulses_gets_a_pulse_command_and_no_star():
    b = Board()
    b.calls.outbound.use_site({"ports": [{"n": 0, "kind": "fxo", "name": "t1", "plan": "EU",
                                          "out": {"allow": True, "prefix": "0", "no_answer_ms": 30000,
                                                  "pulse": True}}]})
    assert "dials pulses, which have no * or #" in refused(b, "55*1")
    b.dial(0, "5551")
    b.report(500, what="dial_tone", port=0)
    assert b.cmd[-1] == {"t": "pulse", "port": 0, "digits": "05551"}


def test_pulses_are_played_60_ms_open_40_closed_700_between_digits():
    Pulser = fw.module("linecard").Pulser
    for tick_ms in (10, 20):
        p, t, edges = Pulser("103", tick_ms), 0, []
        while True:
            e = p.step()
            if e is not None:
                edges.append((t, e))
            if e == "done":
                break
            t += tick_ms
        breaks = [at for at, e in edges if e == "break"]
        assert len(breaks) == 1 + 10 + 3  # a 0 is ten pulses
        for at, e in edges:
            if e == "break":
                assert (at + 60, "make") in edges
        assert breaks[1] - breaks[0] == 60 + 700 and breaks[2] - breaks[1] == 100  # the gap; 10 a second
        assert edges[-1] == (breaks[-1] + 60 + 700, "done")
    try:
        Pulser("12#", 20)
        raise AssertionError("# taken for a pulse digit")
    except ValueError as e:
        assert "0-9 only" in str(e)


def test_a_loop_drop_before_dial_tone_is_the_last_calls_release_not_a_hang_up():
    """A trunk seized again at once: the exchange's loop drop for the call before comes after
    the seizure (the demo's survey lost a call so: "hung up by the callee" 70 ms in)."""
    b = Board()
    b.dial(0, "42", trunk=0)
    b.report(100, what="loop", port=0, on=False)
    assert b.states() == ["seized"]
    b.report(600, what="dial_tone", port=0)
    b.report(5000, what="loop", port=0, on=False)  # now it is the callee
    assert b.end()["reason"] == "hangup" and b.end()["by"] == "callee"
