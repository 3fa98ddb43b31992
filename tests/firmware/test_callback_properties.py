"""Property: live callers are never starved by callbacks (the rule in docs/callcenter.md and
firmware/callgate/callbacks.py). Whatever live callers, callbacks, agents and callees do, every
time an agent is rung for a callback (1) no live caller of its queue waiting unrung has queued
before the callback's place, and (2) no other callback of that queue is being rung, dialled or
talked to; and no attempt of a callback is dialled twice.

A small world on CPython plays the callers (they ring, key 0 for the operator queue, hang up
after their patience), the agents (answer after a delay, talk, hang up) and the exchange (dial
tone, then a call-progress result for each number) around the firmware's call flow."""

import os

from hypothesis import HealthCheck, given, settings, strategies as st

from callgate.firmware.callbacks import Callback
from callgate.firmware.calls import Calls
from callgate.firmware.ports import Ports
from test_fw_callbacks import cb_site
from test_fw_center import DEFS
from test_fw_ivr import MON_10

STEP = 250
END = 900_000
CPA = ("person", "busy", "no-answer", "machine")

caller = st.fixed_dictionaries({"at": st.integers(0, 600_000), "trunk": st.sampled_from((0, 1)),
                                "patience": st.integers(5_000, 400_000)})
callback = st.fixed_dictionaries({"place": st.integers(-300_000, 500_000), "results": st.lists(st.sampled_from(CPA),
                                                                                                 min_size=1, max_size=3)})
agent = st.fixed_dictionaries({"answer": st.integers(300, 12_000), "talk": st.integers(2_000, 90_000)})


class World:
    def __init__(self, path, cbs, agents):
        for p in (path, path + ".new"):
            if os.path.exists(p):
                os.remove(p)
        self.ports = Ports(DEFS)
        self.records = []
        self.calls = Calls(DEFS, {"answer_rings": 1}, sink=self.records.append, rand=lambda: 0.3)
        self.calls.use_site(cb_site(retry={"busy": [20_000, 3], "no-answer": [30_000, 2]}), lambda: MON_10,
                            cb_file=path)
        self.now = 0
        self.todo = []  # (at, fn)
        self.ev, self.cmd = [], []
        self.seen = 0
        self.agents = agents
        self.talking = {}
        self.results = {}  # number -> results left
        self.calls.tick(0, self.ports, self.ev, self.cmd)
        cb_obj = self.calls.callbacks
        for i, c in enumerate(cbs):
            cb = Callback(cb_obj, "00000000-%d" % (900 + i), "55500%02d" % i, "reception", c["place"])
            cb_obj.kept.append(cb)
            cb_obj._join(cb, c["place"], 0)
            self.results[cb.number] = list(c["results"])

    def at(self, t, fn):
        self.todo.append((t, fn))

    def report(self, **r):
        self.ev.extend(self.ports.line(r, self.now))
        self.calls.line(r, self.now, self.ports, self.ev, self.cmd)
        self.check()

    def check(self):
        acd = self.calls.acd
        cbs = self.calls.callbacks
        busy = [x for x in cbs.kept if x.state in ("offered", "dialing", "connected")]
        assert len(busy) <= 1, [x.line() for x in busy]  # one queue (reception) here
        while self.seen < len(self.cmd):
            c = self.cmd[self.seen]
            self.seen += 1
            if c["t"] == "ring" and c["on"]:
                if c["name"] == "callback":
                    cb = acd.agents[c["port"]].call
                    assert cb.agent_first
                    for w in acd.waiting:
                        if not w.agent_first and w.q is cb.q and acd.ringing(w) is None:
                            assert w.queued_at >= cb.queued_at, "a live caller who queued first waits"
                self.at(self.now + self.agents[c["port"] - 2]["answer"], lambda p=c["port"]: self.pick_up(p))
            elif c["t"] == "seize":
                self.at(self.now + 500, lambda p=c["port"]: self.report(what="dial_tone", port=p))
            elif c["t"] == "dtmf":
                cb = [x for x in self.calls.callbacks.kept if x.call is not None and x.call.port == c["port"]]
                if cb:
                    left = self.results[cb[0].number]
                    result = left.pop(0) if len(left) > 1 else left[0]
                    self.at(self.now + 4000, lambda p=c["port"], r=result: self.cpa(p, r))
            elif c["t"] == "bridge":
                g = c["b"]
                self.at(self.now + self.agents[g - 2]["talk"], lambda p=g: self.hang_up(p))

    def attempts(self):
        """(callback id, attempt) of every attempt begun (the dialing events), in order."""
        from callgate.firmware.link import messages

        return [(v["id"], v["attempt"]) for k, v in self.ev if k == messages.EV_CALLBACK and v["state"] == "dialing"]

    def cpa(self, port, result):
        if self.calls.calls[port].out is not None:
            self.report(what="cpa", port=port, result=result, ms=3000, kind=0)

    def pick_up(self, port):
        if self.calls.acd.agents[port].state == "ringing":
            self.report(what="hook", port=port, off=True)
            call = self.calls.acd.agents[port].call
            if call is not None and not call.agent_first:
                self.at(self.now + self.agents[port - 2]["talk"], lambda: self.hang_up(port))
            elif call is not None:
                self.at(self.now + 60_000, lambda: self.hang_up(port))  # gives up on a silent line

    def hang_up(self, port):
        if self.calls.acd.agents[port].state in ("talking", "offhook"):
            self.report(what="hook", port=port, off=False)

    def place(self, c):
        if self.calls.calls[c["trunk"]].state != "idle":
            return
        self.report(what="ring", port=c["trunk"], on=True)
        self.at(self.now + 900, lambda: self.report(what="dtmf", port=c["trunk"], digit="0"))
        self.at(self.now + c["patience"], lambda: self.leave(c["trunk"]))

    def leave(self, trunk):
        call = self.calls.calls[trunk]
        if call.out is None and call.state != "idle":
            self.report(what="loop", port=trunk, on=False)

    def run(self):
        t = 0
        while t < END:
            self.todo.sort(key=lambda x: x[0])
            while self.todo and self.todo[0][0] <= t:
                at, fn = self.todo.pop(0)
                self.now = t
                fn()
            self.now = t
            ev = list(self.ports.tick(t))
            self.calls.tick(t, self.ports, ev, self.cmd)
            self.check()
            t += STEP


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(callers=st.lists(caller, max_size=8), cbs=st.lists(callback, min_size=1, max_size=3),
       agents=st.lists(agent, min_size=2, max_size=2))
def test_callbacks_never_jump_a_live_caller_and_one_at_a_time(tmp_path_factory, callers, cbs, agents):
    w = World(str(tmp_path_factory.mktemp("cb") / "callbacks.log"), cbs, agents)
    for c in callers:
        w.at(c["at"], lambda c=c: w.place(c))
    w.run()
    cb = w.calls.callbacks
    for x in cb.kept:  # what is left waits for a retry, an agent or a trunk: never half-way
        assert x.state in ("pending", "retry", "offered"), x.line()
    attempts = {}
    begun = w.attempts()
    assert len(set(begun)) == len(begun)  # no attempt dialled twice
    for rid, n in begun:
        assert n == attempts.get(rid, 0) + 1  # attempts go 1, 2, 3 without a gap or a repeat
        attempts[rid] = n
    outs = [r for r in w.records if r["direction"] == "out"]
    assert sorted((r["callback_for"], r["attempt"]) for r in outs) == sorted(begun)  # a record each
