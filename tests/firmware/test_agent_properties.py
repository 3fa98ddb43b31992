"""Property: whatever agents do (log in and out, pause with reasons, key feature codes and
dispositions, miss offers) while callers come and go, only ready agents are offered calls, for
every strategy and with skills; each agent's interval records tile their time (each starts
where the one before ended, in the state it said came next); every call still ends in exactly
one record; and no port gets stuck.

The world of test_center_properties.py (line cards and callers around the firmware's call
flow, on CPython), plus agents who act over the link and from their phones at random times."""

from hypothesis import Phase, given, settings, strategies as st

from test_center_properties import AGENTS, TRUNKS, World, caller
from test_fw_center import site

REASONS = ("lunch", "training", "callback")
EXT = {2: "201", 3: "202"}

act = st.tuples(
    st.integers(0, 600_000),
    st.sampled_from(AGENTS),
    st.sampled_from(["login", "logout", "ready", "pause", "pause-bad", "keys"]),
    st.sampled_from(REASONS),
    st.sampled_from(["*1", "*3", "*21", "*22", "*231", "*29", "*41", "*42#", "*4", "9", "*"]),
)
agent = st.fixed_dictionaries({
    "answer": st.one_of(st.none(), st.integers(200, 20_000)),
    "talk": st.integers(1000, 300_000),
    "idle_pickups": st.lists(st.integers(0, 600_000), max_size=1),
})


def agent_site(strategy, auto_pause, start):
    b = site(sales={"strategy": strategy}, support={"strategy": strategy})
    b["agents"].update(start=start, auto_pause=auto_pause, dispositions={"1": "resolved", "2": "follow-up"})
    return b


class AgentWorld(World):
    def link(self, p, do, reason):
        ev, cmd = [], []
        try:
            self.calls.agent_do(EXT[p], do, reason, self.now, self.ports, ev, cmd)
        except ValueError:
            pass
        self.do(cmd)

    def keys(self, p, digits):
        a = self.agents[p]
        if p in self.offhook or a["ringing"]:
            return
        self.hook(p, True)
        t = self.now
        for d in digits:
            t += 300
            self.at(t, self.key_agent, p, d)
        self.at(t + 500, self.keys_done, p)

    def key_agent(self, p, d):
        if p in self.offhook:
            self.report(what="dtmf", port=p, digit=d)

    def keys_done(self, p):
        if p not in self.bridged:
            self.hook(p, False)

    def act(self, p, what, reason, digits):
        if what == "keys":
            self.keys(p, digits)
        elif what == "pause-bad":
            self.link(p, "pause", "nap")
        else:
            self.link(p, what, reason)


@settings(max_examples=150, deadline=None, phases=(Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink))
@given(st.lists(caller, max_size=10), st.tuples(agent, agent), st.lists(act, max_size=14),
       st.sampled_from(["longest-idle", "round-robin", "fewest-calls", "ring-all"]), st.integers(0, 3),
       st.sampled_from(["ready", "logged-out"]))
def test_only_ready_agents_are_offered_calls_and_intervals_tile(callers, agents, acts, strategy, auto_pause, start):
    w = AgentWorld(agent_site(strategy, auto_pause, start))
    w.ringing = {}
    for p, a in zip(AGENTS, agents):
        w.agents[p] = dict(a, ringing=False)
        for t in a["idle_pickups"]:
            w.at(t, w.idle_pickup, p)
    for t, p, what, reason, digits in acts:
        w.at(t, w.act, p, what, reason, digits)
    for who in callers:
        w.at(who["at"], w.place, dict(who, answered=False, gone=False))
    w.run(until=3_000_000)
    staff = w.calls.acd.staff
    lines = staff.lines
    for p in AGENTS:
        mine = [r for r in lines if r["port"] == p]
        for r in mine:
            assert r["start"] <= r["end"], r
            if r["next"] == "ringing":  # offered a call: only from ready
                assert r["state"] == "ready", r
            if r["next"] == "paused":
                assert r["next_reason"] in REASONS + ("no-answer",), r
        for a, b in zip(mine, mine[1:]):
            assert b["start"] == a["end"] and b["state"] == a["next"] and b["reason"] == a["next_reason"], (a, b)
        g = w.calls.acd.agents[p]
        if mine:
            assert (g.state, g.reason, g.start) == (mine[-1]["next"], mine[-1]["next_reason"], mine[-1]["end"])
        assert g.state in ("ready", "paused", "logged-out"), g.state
        if auto_pause == 0:
            assert g.reason != "no-answer"
    for c in w.calls.calls.values():
        assert c.state == "idle", (c.port, c.state)
    assert all(w.ports.state(p) == "idle" for p in TRUNKS + AGENTS), w.ports.status()
    assert not w.calls.acd.waiting and staff.held() == 0
    ids = [r["id"] for r in w.records]
    assert len(ids) == len(set(ids)) == w.rang
    for r in w.records:
        assert r["disposition"] in (None, "resolved", "follow-up"), r
        if r["disposition"] is not None:
            assert r["outcome"] == "answered", r
