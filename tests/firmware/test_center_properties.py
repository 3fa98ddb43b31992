"""Property: whatever callers and agents do, no port gets stuck and every call that rang ends
in exactly one complete call record.

A small discrete-event world plays the line cards and the people around the firmware's call
flow (calls.py + ivr.py + acd.py, on CPython): ring cadences, prompts that take time to play and
can be cut by a key (barge-in), callers who key menu choices, lose patience, hang up mid-survey
or key out-of-range scores, agents who answer late or never, talk for a while, pick up their
phone with no call. Hypothesis draws the people; the world runs until everyone is done."""

import heapq

from hypothesis import given, settings, strategies as st

from callgate.firmware.calls import Calls
from callgate.firmware.ports import Ports
from test_fw_center import DEFS, site
from test_fw_ivr import MON_10

PROMPT_MS = 1500
TRUNKS = (0, 1)
AGENTS = (2, 3)
OUTCOMES = {"answered", "abandoned", "ivr", "callback", "voicemail", "unanswered"}

caller = st.fixed_dictionaries({
    "trunk": st.sampled_from(TRUNKS),
    "at": st.integers(0, 600_000),
    "keys": st.lists(st.sampled_from("0123456789*#"), max_size=4),
    "key_delay": st.integers(100, 7000),
    "patience": st.one_of(st.none(), st.integers(1000, 400_000)),
    "talk": st.one_of(st.none(), st.integers(1000, 200_000)),
    "survey": st.one_of(st.none(), st.sampled_from("0123456789#")),
    "max_rings": st.integers(1, 6),
})
agent = st.fixed_dictionaries({
    "answer": st.one_of(st.none(), st.integers(200, 20_000)),
    "talk": st.integers(1000, 300_000),
    "idle_pickups": st.lists(st.integers(0, 600_000), max_size=2),
})


class World:
    def __init__(self, bundle):
        self.ports = Ports(DEFS)
        self.records = []
        self.calls = Calls(DEFS, {"answer_rings": 2}, sink=self.records.append, rand=lambda: 0.3)
        for p in bundle["ports"]:
            if p["kind"] == "fxo":
                p["rings"] = 2
        self.calls.use_site(bundle, lambda: MON_10)
        self.now = 0
        self.q = []
        self.seq = 0
        self.prompt = {}  # port -> (token, barge_in)
        self.token = 0
        self.line = {}  # trunk -> the caller on it, while the line is up
        self.bridged = {}  # port -> peer
        self.offhook = set()
        self.agents = {}
        self.rang = 0

    # -- the event queue ---------------------------------------------------------------------

    def at(self, t, fn, *args):
        self.seq += 1
        heapq.heappush(self.q, (t, self.seq, fn, args))

    def run(self, until):
        tick = 0
        while self.q or tick <= until:
            if self.q and self.q[0][0] <= tick:
                t, _, fn, args = heapq.heappop(self.q)
                self.now = max(self.now, t)
                fn(*args)
            else:
                self.now = tick
                ev, cmd = list(self.ports.tick(tick)), []
                self.calls.tick(tick, self.ports, ev, cmd)
                self.do(cmd)
                tick += 250
                if tick > until and not self.q:
                    break

    def report(self, **r):
        ev, cmd = self.ports.line(r, self.now), []
        self.calls.line(r, self.now, self.ports, ev, cmd)
        self.do(cmd)

    # -- the line cards: the firmware's commands ----------------------------------------------

    def do(self, cmds):
        for c in cmds:
            t, p = c["t"], c.get("port")
            if t == "answer":
                who = self.ringing.pop(p, None)
                if who is not None:
                    if who.get("ring_on"):  # off hook: the ringing stops at once
                        who["ring_on"] = False
                        self.report(what="ring", port=p, on=False)
                    who["answered"] = True
                    self.line[p] = who
                    self.caller_answered(who)
            elif t == "play":
                self.token += 1
                self.prompt[p] = (self.token, c["barge_in"], c["prompt"])
                self.at(self.now + PROMPT_MS, self.prompt_end, p, self.token)
                who = self.line.get(p)
                if who is not None and c["prompt"].startswith("survey") and who["survey"] is not None:
                    self.at(self.now + 300, self.key, p, who, who["survey"])
            elif t in ("stop", "hangup"):
                self.prompt.pop(p, None)
                if t == "hangup":
                    self.bridged.pop(p, None)
                    who = self.line.pop(p, None)
                    if who is not None:
                        who["gone"] = True
            elif t == "ring" and c["on"]:
                a = self.agents[p]
                a["ringing"] = True
                self.token += 1
                a["ring"] = self.token
                if a["answer"] is not None:
                    self.at(self.now + a["answer"], self.agent_pickup, p, self.token)
            elif t == "ring":
                self.agents[p]["ringing"] = False
            elif t == "bridge":
                self.bridged[c["a"]] = c["b"]
                self.bridged[c["b"]] = c["a"]
                self.prompt.pop(c["a"], None)
                a = self.agents[c["b"]]
                self.at(self.now + a["talk"], self.agent_hangup, c["b"], c["a"])
                who = self.line.get(c["a"])
                if who is not None and who["talk"] is not None:
                    self.at(self.now + who["talk"], self.caller_hangup, c["a"], who)
            elif t == "unbridge":
                peer = self.bridged.pop(p, None)
                if peer is not None:
                    self.bridged.pop(peer, None)
            elif t == "tone" and c["name"] == "busy" and p in self.agents:
                self.at(self.now + 1000, self.hook, p, False)  # the caller left: the agent hangs up

    def prompt_end(self, p, token):
        cur = self.prompt.get(p)
        if cur is not None and cur[0] == token:
            del self.prompt[p]
            self.report(what="prompt_done", port=p, prompt=cur[2], reason="complete")

    # -- callers ------------------------------------------------------------------------------

    def place(self, who):
        p = who["trunk"]
        if p in self.line or p in self.ringing or self.ports.state(p) != "idle":
            return  # the trunk is busy: this caller gets the exchange's busy tone, never the board
        self.rang += 1
        self.ringing[p] = who
        self.ring(p, who, 0)

    def ring(self, p, who, n):
        if self.ringing.get(p) is not who:
            return
        if n >= who["max_rings"]:
            del self.ringing[p]  # gave up before an answer
            return
        who["ring_on"] = True
        self.report(what="ring", port=p, on=True)
        self.at(self.now + 2000, self.ring_off, p, who, n)

    def ring_off(self, p, who, n):
        if who["ring_on"]:
            who["ring_on"] = False
            self.report(what="ring", port=p, on=False)
        self.at(self.now + 4000, self.ring, p, who, n + 1)

    def caller_answered(self, who):
        p = who["trunk"]
        t = self.now
        for k in who["keys"]:
            t += who["key_delay"]
            self.at(t, self.key, p, who, k)
        if who["patience"] is not None:
            self.at(self.now + who["patience"], self.impatient, p, who)

    def key(self, p, who, d):
        if self.line.get(p) is not who:
            return
        cur = self.prompt.get(p)
        if cur is not None and cur[1]:  # barge-in: the engine cuts the prompt
            del self.prompt[p]
            self.report(what="prompt_done", port=p, prompt=cur[2], reason="barge-in")
        self.report(what="dtmf", port=p, digit=d)

    def impatient(self, p, who):
        if self.line.get(p) is who and p not in self.bridged:
            self.caller_hangup(p, who)

    def caller_hangup(self, p, who):
        if self.line.get(p) is who:
            del self.line[p]
            who["gone"] = True
            self.report(what="loop", port=p, on=False)

    # -- agents -------------------------------------------------------------------------------

    def hook(self, p, off):
        if off == (p in self.offhook):
            return
        (self.offhook.add if off else self.offhook.discard)(p)
        if off:
            self.agents[p]["ringing"] = False  # picked up: the phone stops ringing
        self.report(what="hook", port=p, off=off)

    def agent_pickup(self, p, ring):
        a = self.agents[p]
        if a["ringing"] and a["ring"] == ring:  # still the ring this agent meant to answer
            self.hook(p, True)

    def agent_hangup(self, p, caller_port):
        if self.bridged.get(p) == caller_port:
            self.hook(p, False)

    def idle_pickup(self, p):
        a = self.agents[p]
        if p not in self.offhook and not a["ringing"]:
            self.hook(p, True)
            self.at(self.now + 5000, self.idle_putdown, p)

    def idle_putdown(self, p):
        if p not in self.bridged:
            self.hook(p, False)


@settings(max_examples=200, deadline=None)
@given(st.lists(caller, max_size=12), st.tuples(agent, agent), st.sampled_from(
    ["longest-idle", "round-robin", "fewest-calls", "ring-all"]))
def test_no_port_gets_stuck_and_every_call_has_one_complete_record(callers, agents, strategy):
    w = World(site(sales={"strategy": strategy}))
    w.ringing = {}
    for p, a in zip(AGENTS, agents):
        w.agents[p] = dict(a, ringing=False)
        for t in a["idle_pickups"]:
            w.at(t, w.idle_pickup, p)
    for who in callers:
        w.at(who["at"], w.place, dict(who, answered=False, gone=False))
    w.run(until=3_000_000)
    for c in w.calls.calls.values():
        assert c.state == "idle", (c.port, c.state)
    assert all(w.ports.state(p) == "idle" for p in TRUNKS + AGENTS), w.ports.status()
    assert not w.calls.acd.waiting
    assert all(a.state == "ready" for a in w.calls.acd.order), [(a.port, a.state) for a in w.calls.acd.order]
    ids = [r["id"] for r in w.records]
    assert len(ids) == len(set(ids)) == w.rang
    for r in w.records:
        assert r["outcome"] in OUTCOMES and r["ended"] is not None and r["by"] and r["how"], r
        if r["outcome"] == "answered":
            assert r["agent"] and r["connected"] is not None and r["queued"] <= r["connected"], r
        times = [r[k] for k in ("arrived", "answered", "queued", "connected", "agent_left", "ended")
                 if r[k] is not None]
        assert times == sorted(times), r
