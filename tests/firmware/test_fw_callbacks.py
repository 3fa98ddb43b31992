# Callbacks (callbacks.py with calls.py, acd.py, outbound.py): a caller leaves a number, keeps
# their place in the queue, an agent is rung first, then the board dials; retries per outcome;
# the journal on the flash survives a power cut without dialling an attempt twice. Shared:
# CPython (pytest) and MicroPython (mp_runner.py).

import os

import fw
from test_fw_center import DEFS, site
from test_fw_ivr import MON_10

Calls = fw.module("calls").Calls
messages = fw.module("link.messages")
Ports = fw.module("ports").Ports
records = fw.module("records")
ticks_diff = fw.module("compat").ticks_diff

RUNS_ON_MICROPYTHON = True

JOURNAL = "/tmp/callgate-test-callbacks.log"
RULES = {"queue": None, "machine": "leave",
         "retry": {"busy": [30000, 3], "no-answer": [60000, 2], "cut": [20000, 3], "no-result": [20000, 2]}}


def cb_site(**rules):
    b = site()
    for p in b["ports"]:
        if p["kind"] == "fxo":
            p["out"] = {"allow": True, "prefix": "", "no_answer_ms": 30000}
    b["callbacks"] = dict(RULES, **rules)
    return b


def fresh():
    for p in (JOURNAL, JOURNAL + ".new"):
        try:
            os.remove(p)
        except OSError:
            pass


class Board:
    def __init__(self, bundle=None, now=0):
        self.ports = Ports(DEFS)
        self.records = []
        self.calls = Calls(DEFS, {"answer_rings": 1}, sink=self.records.append, epoch=lambda ms: 1000000 + ms,
                           boot=0xAB, rand=lambda: 0.5)
        self.calls.use_site(bundle or cb_site(), lambda: MON_10, cb_file=JOURNAL)
        self.ev = []
        self.cmd = []
        self.now = now

    def at(self, ms):
        self.now = ms
        return self

    def report(self, **r):
        self.ev.extend(self.ports.line(r, self.now))
        self.calls.line(r, self.now, self.ports, self.ev, self.cmd)

    def tick(self, ms):
        self.now = ms
        ev = list(self.ports.tick(ms))
        self.calls.tick(ms, self.ports, ev, self.cmd)
        self.ev.extend(ev)

    def hook(self, port, off):
        self.report(what="hook", port=port, off=off)

    def cbs(self, state=None):
        return [v for k, v in self.ev if k == messages.EV_CALLBACK and (state is None or v["state"] == state)]

    def cmds(self, port=None, t=None):
        return [c for c in self.cmd if (port is None or c.get("port") == port) and (t is None or c["t"] == t)]

    def leave_number(self, number="5559876"):
        """Both agents busy (off hook); a caller on trunk 0 waits in sales, overflows to
        reception, then to a callback, and keys the number."""
        self.tick(0)
        self.hook(2, True)
        self.hook(3, True)
        self.report(what="ring", port=0, on=True)
        self.at(900).report(what="dtmf", port=0, digit="1")
        self.tick(300900)  # sales -> reception
        self.tick(360900)  # reception -> callback
        self.at(362000).report(what="prompt_done", port=0, prompt="callback", reason="complete")
        for d in number + "#":
            self.report(what="dtmf", port=0, digit=d)
        self.at(366000).report(what="prompt_done", port=0, prompt="thanks", reason="complete")
        assert self.ports.state(0) == "idle"

    def agents_free(self, t):
        self.at(t).hook(2, False)
        self.hook(3, False)
        self.tick(t + 100)


def test_the_agent_is_rung_first_then_the_number_is_dialled_and_bridged():
    fresh()
    b = Board()
    b.leave_number()
    (inbound,) = b.records
    assert inbound["outcome"] == "callback" and inbound["callback"] == "5559876"
    (p,) = b.cbs("pending")
    assert p["id"] == inbound["id"] and p["queue"] == "reception" and p["number"] == "5559876"
    assert b.cmds(0, "seize") == []  # nobody dialled while every agent is busy
    b.agents_free(400000)
    assert b.cmds(2, "ring")[-1] == {"t": "ring", "port": 2, "on": True, "number": "5559876", "name": "callback"}
    assert b.cbs("offered") and b.cmds(None, "seize") == []  # agent-first: no trunk yet
    pop = [v for k, v in b.ev if k == messages.EV_POP][-1]
    assert pop["callback"] == inbound["id"] and pop["waited_ms"] == 400100 - 900  # its place: first queued
    b.at(401000).hook(2, True)
    assert b.cmds(0, "seize") == [{"t": "seize", "port": 0}]
    assert b.cmds(3, "ring")[-1]["on"] is False  # ring-all: Bob stops ringing
    (d,) = b.cbs("dialing")
    assert d["agent"] == "201" and d["port"] == 0 and d["attempt"] == 1
    b.at(401500).report(what="dial_tone", port=0)
    assert b.cmds(0, "dtmf")[-1]["digits"] == "5559876"
    b.at(405000).report(what="cpa", port=0, result="person", ms=2100, kind=900)
    assert b.cmds(0, "bridge") == [{"t": "bridge", "port": 0, "a": 0, "b": 2}]
    assert b.cbs("connected")[-1]["result"] == "person"
    b.tick(500000)  # a long talk: no guard time ends a bridged callback
    assert b.ports.state(0) == "call"
    b.at(520000).hook(2, False)  # the agent hangs up: the trunk too
    assert [c["t"] for c in b.cmds(0)][-2:] == ["unbridge", "hangup"]
    (done,) = b.cbs("done")
    assert done["outcome"] == "answered"
    out = b.records[1]
    assert out["direction"] == "out" and out["callback_for"] == inbound["id"] and out["attempt"] == 1
    assert out["number"] == "5559876" and out["trunk"] == "trunk1" and out["outcome"] == "person"
    assert out["decide_ms"] == 2100 and out["agent"] == "201" and out["connected"] == 1405000
    assert b.calls.callbacks.kept == []
    b.tick(700000)
    assert len(b.cmds(None, "seize")) == 1  # never dialled again
    assert b.calls.busy() == 0


def test_busy_is_retried_after_its_interval_at_the_back_of_the_queue():
    fresh()
    b = Board()
    b.leave_number()
    b.agents_free(400000)
    b.at(401000).hook(2, True)
    b.at(401500).report(what="dial_tone", port=0)
    b.at(403000).report(what="cpa", port=0, result="busy", ms=1400, kind="busy")
    assert b.cmds(2, "tone")[-1]["name"] == "busy"  # the agent hears it, hangs up
    rings = len([c for c in b.cmds(None, "ring") if c["on"]])
    (r,) = b.cbs("retry")
    assert r["outcome"] == "busy" and r["due"] == 1000000 + 403000 + 30000
    assert b.records[1]["outcome"] == "busy" and b.records[1]["callback_for"] == b.records[0]["id"]
    b.at(404000).hook(2, False)
    b.tick(420000)  # wrap-up over, retry not due: nothing rings for it
    assert len([c for c in b.cmds(None, "ring") if c["on"]]) == rings
    b.tick(433000)
    assert b.cbs("pending")[-1]["attempt"] == 1
    assert b.cmds(2, "ring")[-1]["on"] is True
    pop = [v for k, v in b.ev if k == messages.EV_POP][-1]
    assert pop["waited_ms"] == 0  # a retry rejoins at the back: its place is when it came due
    b.at(434000).hook(3, True)  # Bob takes it this time
    b.at(434500).report(what="dial_tone", port=0)
    b.at(437000).report(what="cpa", port=0, result="person", ms=1900, kind=900)
    assert b.cmds(0, "bridge")[-1]["b"] == 3
    b.at(440000).report(what="loop", port=0, on=False)  # the callee hangs up first
    assert b.cmds(3, "tone")[-1]["name"] == "busy"
    assert b.cbs("done")[-1]["attempt"] == 2
    outs = [r for r in b.records if r["direction"] == "out"]
    assert [(r["attempt"], r["outcome"], r["agent"]) for r in outs] == [(1, "busy", "201"), (2, "person", "202")]


def test_no_attempts_left_fails_and_an_outcome_without_a_rule_is_not_retried():
    fresh()
    b = Board(cb_site(retry={"busy": [1000, 1]}))
    b.leave_number()
    b.agents_free(400000)
    b.at(401000).hook(2, True)
    b.at(401500).report(what="dial_tone", port=0)
    b.at(403000).report(what="cpa", port=0, result="busy", ms=1400, kind="busy")
    (f,) = b.cbs("failed")
    assert f["outcome"] == "busy" and b.calls.callbacks.kept == []
    fresh()
    b = Board(cb_site(machine="retry"))
    b.leave_number()
    b.agents_free(400000)
    b.at(401000).hook(2, True)
    b.at(401500).report(what="dial_tone", port=0)
    b.at(409000).report(what="cpa", port=0, result="machine", ms=6000, kind=0)
    assert b.cmds(0, "bridge") == [] and b.cbs("failed")[-1]["outcome"] == "machine"


def test_a_machine_is_left_a_message_by_the_agent_when_the_site_says_leave():
    fresh()
    b = Board()
    b.leave_number()
    b.agents_free(400000)
    b.at(401000).hook(2, True)
    b.at(401500).report(what="dial_tone", port=0)
    b.at(409000).report(what="cpa", port=0, result="machine", ms=6000, kind=0)
    assert b.cmds(0, "bridge")[-1]["b"] == 2
    b.at(420000).hook(2, False)
    assert b.cbs("done")[-1]["outcome"] == "answered" and b.records[-1]["outcome"] == "machine"


def test_a_power_cut_while_dialling_counts_the_attempt_and_never_dials_it_again():
    fresh()
    b = Board()
    b.leave_number()
    b.agents_free(400000)
    b.at(401000).hook(2, True)
    assert len(b.cmds(None, "seize")) == 1
    # the power goes: a new board on the same flash, its clock from 0 (its epoch moved on)
    b2 = Board(now=0)
    b2.calls.epoch = lambda ms: 1500000 + ms
    b2.tick(0)
    (cut,) = b2.records
    assert cut["outcome"] == "cut" and cut["callback_for"] == b.records[0]["id"] and cut["attempt"] == 1
    assert b2.cbs("retry")[-1]["due"] == 1500000 + 20000
    b2.tick(10000)
    assert b2.cmds(None, "ring") == [] and b2.cmds(None, "seize") == []
    b2.tick(20000)  # due: back in its queue, the agent rung first, then attempt 2
    assert b2.cmds(2, "ring")[-1]["on"] is True
    b2.at(21000).hook(2, True)
    assert b2.cbs("dialing")[-1]["attempt"] == 2
    # and a cut journal line is never read as two callbacks: one line per callback after load
    b3 = Board()
    b3.tick(0)
    assert len(b3.calls.callbacks.kept) == 1 and b3.calls.callbacks.kept[0].attempt == 2
    got = []
    records.scan(JOURNAL, got.append)
    assert len(got) == 1


def test_a_pending_callback_survives_a_power_cut_in_its_place():
    fresh()
    b = Board()
    b.leave_number()
    b2 = Board()
    b2.calls.epoch = lambda ms: 1000000 + 500000 + ms  # it boots 500 s later
    b2.tick(0)
    (cb,) = b2.calls.callbacks.kept
    assert cb.since == 1000900 and ticks_diff(cb.queued_at, 0) == 900 - 500000 and b2.calls.acd.waiting == [cb]
    assert cb.state == "offered"  # the new board's agents are ready: it is their first call
    pop = [v for k, v in b2.ev if k == messages.EV_POP][-1]
    assert pop["callback"] == b.records[0]["id"] and pop["waited_ms"] == 500000 - 900
    fresh()


def test_a_bundle_without_callbacks_only_keeps_the_number():
    fresh()
    b = Board(site())
    b.leave_number()
    assert b.calls.callbacks is None and b.records[0]["callback"] == "5559876"
    b.agents_free(400000)
    assert b.cmds(2, "ring") == [] and b.cbs() == []
    try:
        os.stat(JOURNAL)
        assert False, "a journal was written"
    except OSError:
        pass


def test_a_number_the_exchange_would_not_take_is_not_kept():
    fresh()
    b = Board()
    b.leave_number("55A1")
    assert b.records[0]["callback"] == "55A1" and b.calls.callbacks.kept == [] and b.cbs() == []


def test_a_reloaded_site_without_the_callbacks_queue_sends_it_to_the_operator_queue():
    fresh()
    b = Board()
    b.leave_number()
    s = cb_site()
    del s["queues"]["reception"]  # (the operator queue is reception: none left either)
    s["ivr"]["operator"] = "support"
    s["queues"]["support"]["overflow"] = {"do": "hangup"}
    s["queues"]["sales"]["overflow"] = {"do": "hangup"}
    b2 = Board(s)
    b2.tick(0)
    (cb,) = b2.calls.callbacks.kept
    assert cb.queue == "support" and b2.calls.acd.waiting == [cb]
    s["ivr"]["operator"] = None
    del s["queues"]["support"]
    fresh()
    b = Board()
    b.leave_number()
    b3 = Board(s)
    b3.tick(0)
    assert b3.calls.callbacks.kept == [] and b3.cbs("failed")[-1]["outcome"] == "no-queue"
