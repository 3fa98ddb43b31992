# The call center's flow (calls.py + ivr.py + acd.py) on a small site: queues, agents, screen
# pops, recording, survey, callback, voicemail and one call record per call. Line-card reports
# in, commands and events out, as the app sees them. Shared: CPython (pytest) and MicroPython
# (mp_runner.py).

import fw
from test_fw_ivr import MON_10, bundle

Calls = fw.module("calls").Calls
messages = fw.module("link.messages")
Ports = fw.module("ports").Ports

RUNS_ON_MICROPYTHON = True

DEFS = [{"n": 0, "kind": "fxo", "name": "fxo1"}, {"n": 1, "kind": "fxo", "name": "fxo2"},
        {"n": 2, "kind": "fxs", "name": "fxs1"}, {"n": 3, "kind": "fxs", "name": "fxs2"}]


def site(**queue_changes):
    b = bundle()
    b["ports"][0]["name"], b["ports"][1]["name"] = "trunk1", "trunk2"
    b["ports"] += [{"n": 2, "kind": "fxs", "name": "fxs1", "agent": "Alice", "ext": "201", "skills": ["sales", "support"],
                    "supervisor": False},
                   {"n": 3, "kind": "fxs", "name": "fxs2", "agent": "Bob", "ext": "202", "skills": ["support"], "supervisor": False}]
    for q in b["queues"].values():
        q.update({"ring_s": 15, "wrap_s": 10, "positions": ["pos1", "pos2"], "announce_s": 30})
    b["queues"]["sales"]["overflow"] = {"do": "queue", "to": "reception"}
    b["queues"]["reception"]["max_wait_s"] = 60
    b["queues"]["reception"]["overflow"] = {"do": "callback", "prompt": "callback", "then": "thanks"}
    for name, changes in queue_changes.items():
        b["queues"][name].update(changes)
    b["survey"] = {"questions": [{"id": "satisfaction", "prompt": "survey_q1", "min": 1, "max": 5}],
                   "intro": None, "thanks": "thanks", "ms": 5000}
    b["recording"] = {"mode": "all", "percent": 100, "announce": "recorded", "days": 90}
    return b


class Board:
    def __init__(self, bundle=None):
        self.ports = Ports(DEFS)
        self.records = []
        self.calls = Calls(DEFS, {"answer_rings": 1}, sink=self.records.append, epoch=lambda ms: 1000000 + ms,
                           boot=0xAB, rand=lambda: 0.5)
        self.calls.use_site(bundle or site(), lambda: MON_10)
        self.ev = []
        self.cmd = []
        self.now = 0

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

    def done(self, port, prompt):
        self.report(what="prompt_done", port=port, prompt=prompt, reason="complete")

    def key(self, port, d):
        self.report(what="dtmf", port=port, digit=d)

    def hook(self, port, off, at=None):
        """The phone's hook switch; at: when it moved (line-card ms), if not now."""
        if at is None:
            self.report(what="hook", port=port, off=off)
        else:
            self.report(what="hook", port=port, off=off, at=at)

    def events(self, kind):
        return [v for k, v in self.ev if k == kind]

    def states(self, port=0):
        return [v["state"] for v in self.events(messages.EV_CALL) if v["port"] == port]

    def agent(self, port):
        return self.calls.acd.agents[port].state

    def cmds(self, port=None, t=None):
        return [c for c in self.cmd if (port is None or c.get("port") == port) and (t is None or c["t"] == t)]

    def call_in_queue(self, port=0, key="1", number="5551234"):
        """Ring, caller ID, answer, key `key` at the main menu."""
        self.report(what="ring", port=port, on=True)
        self.report(what="cid", port=port, number=number, name="ALICE", status="ok")
        self.at(self.now + 900).key(port, key)


def test_a_call_through_the_queue_to_an_agent_then_the_survey():
    b = Board()
    b.call_in_queue()
    assert b.states() == ["ringing", "answered", "menu", "queued", "offered"]
    assert b.agent(2) == "ringing" and b.agent(3) == "ready"  # sales: only Alice has the skill
    assert b.cmds(2, "ring") == [{"t": "ring", "port": 2, "on": True, "number": "5551234", "name": "ALICE"}]
    pop = b.events(messages.EV_POP)
    assert pop == [{"port": 2, "ext": "201", "agent": "Alice", "call": 1, "trunk": 0, "number": "5551234",
                    "name": "ALICE", "ivr": [["main", "1"]], "queue": "sales", "waited_ms": 0}]
    # the caller hears the recording notice, then the position
    assert [c["prompt"] for c in b.cmds(0, "play")][-1] == "recorded"
    b.at(3000).done(0, "recorded")
    assert b.cmds(0, "play")[-1]["prompt"] == "pos1"
    b.at(4000).hook(2, True)
    assert b.states()[-1] == "connected" and b.agent(2) == "talking"
    assert b.cmds(0)[-3:] == [{"t": "stop", "port": 0}, {"t": "bridge", "port": 0, "a": 0, "b": 2},
                              {"t": "record", "port": 0, "id": "000000ab-1", "file": "rec/000000ab-1.wav",
                               "kind": "call", "call": "000000ab-1", "agent": "201", "queue": "sales",
                               "number": "5551234"}]
    b.at(64000).hook(2, False)  # the agent hangs up first: the survey
    assert b.agent(2) == "wrapup"
    assert [c["t"] for c in b.cmds(0)][-3:] == ["unbridge", "record_stop", "play"]
    assert b.states()[-1] == "survey" and b.cmds(0, "play")[-1]["prompt"] == "survey_q1"
    b.at(66000).done(0, "survey_q1")
    b.at(67000).key(0, "4")
    assert b.cmds(0, "play")[-1] == {"t": "play", "port": 0, "prompt": "thanks", "barge_in": False}
    b.at(68000).done(0, "thanks")
    assert b.states()[-1] == "ended" and b.cmds(0)[-1] == {"t": "hangup", "port": 0}
    assert len(b.records) == 1
    r = b.records[0]
    assert r["outcome"] == "answered" and r["by"] == "board" and r["how"] == "survey-done"
    assert r["survey"] == {"satisfaction": 4} and r["agent"] == "201" and r["agent_name"] == "Alice"
    assert r["recording"] == "rec/000000ab-1.wav" and r["queue"] == "sales" and r["queues"] == ["sales"]
    assert r["number"] == "5551234" and r["ivr"] == [["main", "1"]] and r["offered"] == 1
    assert (r["arrived"], r["queued"], r["connected"], r["agent_left"], r["ended"]) == (
        1000000, 1000900, 1004000, 1064000, 1068000)
    b.tick(73000)
    assert b.agent(2) == "wrapup"
    b.tick(74000)  # 10 s of wrap-up
    assert b.agent(2) == "ready"
    assert [v["state"] for v in b.events(messages.EV_AGENT) if v["port"] == 2] == [
        "ringing", "talking", "wrapup", "ready"]
    cdr_ev = b.events(messages.EV_CALL)[-1]
    assert cdr_ev["cdr"] == "000000ab-1"


def test_a_caller_who_hangs_up_in_the_queue_is_abandoned():
    b = Board()
    b.hook(2, True)  # Alice picked up her phone without a call: dial tone, not offered calls
    assert b.cmds(2)[-1]["name"] == "dial" and b.agent(2) == "offhook"
    b.call_in_queue()
    assert b.states()[-1] == "queued" and not b.cmds(2, "ring")
    b.at(20000).report(what="loop", port=0, on=False)
    assert b.states()[-1] == "ended"
    r = b.records[0]
    assert r["outcome"] == "abandoned" and r["by"] == "caller" and r["how"] == "loop-drop"
    assert r["agent"] is None and r["connected"] is None and r["recording"] is None
    b.hook(2, False)
    assert b.agent(2) == "ready"


def test_a_hold_prompt_the_line_card_refuses_is_tried_again_later_not_at_once():
    """A waiting caller's prompt that fails at once (its file cannot be opened now): played
    again only after a pause, so refusals and plays do not follow each other without end."""
    b = Board()
    b.hook(2, True)  # Alice busy dialling: the sales caller waits
    b.call_in_queue()
    b.at(3000).done(0, "recorded")
    assert b.cmds(0, "play")[-1]["prompt"] == "pos1"
    plays = len(b.cmds(0, "play"))
    b.at(3100).report(what="error", port=0, cmd="play", msg="ENOMEM")
    b.tick(3200)
    b.tick(7900)
    assert len(b.cmds(0, "play")) == plays and b.states()[-1] == "queued"
    b.tick(8100)
    assert len(b.cmds(0, "play")) == plays + 1 and b.cmds(0, "play")[-1]["prompt"] == "hold"
    b.at(8200).done(0, "hold")  # played this time: the loop goes on at once
    assert len(b.cmds(0, "play")) == plays + 2


def test_no_answer_rings_the_next_agent_then_ring_all_takes_the_first_pick_up():
    b = Board()
    b.call_in_queue(port=1, key="1")  # support: round-robin over Alice and Bob
    assert b.cmds(2, "ring")[-1]["on"] and b.agent(3) == "ready"
    b.tick(16000)  # Alice does not answer in 15 s: stop, ring Bob
    assert b.cmds(2, "ring")[-1] == {"t": "ring", "port": 2, "on": False}
    assert b.agent(2) == "ready" and b.agent(3) == "ringing"
    b.at(17000).hook(3, True)
    assert b.states(1)[-1] == "connected" and b.records == []
    b.at(20000).report(what="reversal", port=1)  # the caller hangs up: Bob hears busy tone
    assert b.cmds(3)[-1] == {"t": "tone", "port": 3, "plan": "US", "name": "busy"}
    assert b.records[0]["outcome"] == "answered" and b.records[0]["by"] == "caller"
    assert b.records[0]["agent"] == "202" and b.records[0]["offered"] == 2
    b.at(21000).hook(3, False)
    assert b.agent(3) == "wrapup" and b.cmds(3)[-1] == {"t": "stop", "port": 3}
    # operator (ring-all): both free agents ring, the first to pick up takes it
    b2 = Board()
    b2.call_in_queue(key="0")
    assert b2.agent(2) == "ringing" and b2.agent(3) == "ringing"
    b2.at(2000).hook(3, True)
    assert b2.agent(2) == "ready" and b2.agent(3) == "talking"
    assert b2.cmds(2, "ring")[-1]["on"] is False


def test_strategies_pick_agents():
    def first_rung(strategy, agents_state):
        b = Board(site(support={"strategy": strategy}))
        for port, (since, calls) in agents_state.items():
            a = b.calls.acd.agents[port]
            a.since, a.calls = since, calls
        b.at(100000).call_in_queue(port=1, key="1")
        return [c["port"] for c in b.cmds(t="ring") if c["on"]]

    assert first_rung("longest-idle", {2: (500, 0), 3: (100, 9)}) == [3]
    assert first_rung("fewest-calls", {2: (500, 1), 3: (100, 9)}) == [2]
    assert first_rung("ring-all", {2: (0, 0), 3: (0, 0)}) == [2, 3]
    b = Board()  # round-robin: the next agent after the last one rung
    order = []
    for i in range(3):
        b.at(i * 100000).call_in_queue(port=1, key="1")
        g = [c["port"] for c in b.cmds(t="ring") if c["on"]][-1]
        order.append(g)
        b.at(i * 100000 + 2000).hook(g, True)
        b.at(i * 100000 + 3000).hook(g, False)
        b.at(i * 100000 + 4000).report(what="loop", port=1, on=False)
        b.tick(i * 100000 + 20000)
    assert order == [2, 3, 2]


def test_max_wait_overflows_to_another_queue_then_to_a_callback():
    b = Board()
    b.hook(2, True)  # nobody free for sales or reception
    b.hook(3, True)
    b.call_in_queue()
    b.tick(300900)  # sales' max wait (300 s) -> reception
    assert b.states()[-1] == "queued" and b.events(messages.EV_CALL)[-1]["queue"] == "reception"
    b.tick(360000)
    assert b.states()[-1] == "queued"
    b.tick(360900)  # reception's 60 s -> callback
    assert b.states()[-1] == "callback"
    assert b.cmds(0, "play")[-1] == {"t": "play", "port": 0, "prompt": "callback", "barge_in": True}
    b.at(362000).done(0, "callback")
    for d in "5559876#":
        b.key(0, d)
    assert b.cmds(0, "play")[-1]["prompt"] == "thanks"
    b.at(366000).done(0, "thanks")
    r = b.records[0]
    assert r["outcome"] == "callback" and r["callback"] == "5559876" and r["queues"] == ["sales", "reception"]
    assert r["overflow"] == "reception" and r["queued"] == 1000900


def test_voicemail_records_the_caller_until_hash():
    b = Board(site(support={"max_wait_s": 10, "overflow": {"do": "voicemail", "prompt": "vm", "max_s": 60}}))
    b.hook(2, True)
    b.hook(3, True)
    b.call_in_queue(port=1, key="1")
    b.tick(11000)
    assert b.states(1)[-1] == "voicemail"
    b.at(14000).done(1, "vm")
    rec = b.cmds(1, "record")[-1]
    assert rec["id"] == "000000ab-1-vm" and rec["kind"] == "voicemail" and rec["file"] == "rec/000000ab-1-vm.wav"
    b.at(30000).key(1, "#")
    assert [c["t"] for c in b.cmds(1)][-2:] == ["record_stop", "hangup"]
    assert b.records[0]["outcome"] == "voicemail" and b.records[0]["recording"] == "rec/000000ab-1-vm.wav"


def test_survey_asks_again_once_for_a_key_out_of_range_and_skips_on_silence():
    b = Board()
    b.call_in_queue()
    b.at(2000).hook(2, True)
    b.at(5000).hook(2, False)
    b.at(6000).done(0, "survey_q1")
    b.key(0, "9")  # out of 1..5: the question again
    assert b.cmds(0, "play")[-1]["prompt"] == "survey_q1"
    b.at(8000).done(0, "survey_q1")
    b.tick(13000)  # no key in 5 s: skipped, thanks
    assert b.cmds(0, "play")[-1]["prompt"] == "thanks"
    b.at(14000).report(what="loop", port=0, on=False)  # gone during the thanks
    r = b.records[0]
    assert r["survey"] == {} and r["outcome"] == "answered" and r["by"] == "caller"


def test_unanswered_and_ivr_calls_leave_records_too():
    b = Board()
    b.report(what="ring", port=0, on=True)
    b.at(500).key(0, "*")  # the hang-up key
    b2 = Board(site())
    b2.calls.calls[0].answer_rings = 3
    b2.report(what="ring", port=0, on=True)
    b2.report(what="ring", port=0, on=False)
    b2.tick(9000)  # ringing stopped: the caller gave up
    assert [r["outcome"] for r in b.records + b2.records] == ["ivr", "unanswered"]
    assert b2.records[0]["answered"] is None and b2.records[0]["how"] == "abandoned"


def test_only_the_ports_disconnect_methods_end_a_call():
    s = site()
    s["ports"][0]["disconnect"] = ["busy"]  # a line whose exchange neither drops loop nor reverses
    b = Board(s)
    b.call_in_queue()
    b.at(5000).report(what="loop", port=0, on=False)
    b.report(what="reversal", port=0)
    assert b.states()[-1] != "ended"
    b.at(9000).report(what="disconnect", port=0, method="tone", tone="busy")
    assert b.states()[-1] == "ended" and b.records[0]["how"] == "busy"


def test_caller_id_before_the_first_ring_belongs_to_the_call():
    s = site()
    s["ports"][0].update({"cid": "v23", "cid_start": "reversal", "rings": 2})
    b = Board(s)
    b.tick(250)  # an idle port whose caller ID comes first: its receiver is armed at once
    assert b.cmd == [{"t": "cid_arm", "port": 0, "standard": "v23", "start": "reversal"}]
    b.at(1000).report(what="reversal", port=0)
    b.at(1800).report(what="cid", port=0, number="5550123", name="EARLY", status="ok")
    b.at(2500).report(what="ring", port=0, on=True)
    assert [c["t"] for c in b.cmds(0)] == ["cid_arm"]  # armed already: not again at the ring
    cid = b.events(messages.EV_CID)
    assert cid == [{"port": 0, "call": 1, "number": "5550123", "name": "EARLY", "status": "ok"}]
    b.report(what="ring", port=0, on=False)
    b.at(8500).report(what="ring", port=0, on=True)  # answered at the second ring
    b.at(9000).key(0, "*")
    assert b.records[0]["number"] == "5550123" and b.records[0]["cid"] == "ok"
    # the hang-up reset the receiver: armed again at once, for a next call right behind
    assert b.cmd[-2:] == [{"t": "hangup", "port": 0}, {"t": "cid_arm", "port": 0, "standard": "v23", "start": "reversal"}]


def scripted_call(b, t):
    """One whole call at time t: menu key 1, Alice answers and hangs up, survey 4, thanks, her
    wrap-up ends (9 line-card reports and a tick; bench/bench_center.py times it). The board's
    lists are emptied afterwards; the call's record is returned."""
    b.at(t).call_in_queue()
    b.at(t + 2000).hook(2, True)
    b.at(t + 5000).hook(2, False)
    b.at(t + 6000).done(0, "survey_q1")
    b.key(0, "4")
    b.at(t + 7000).done(0, "thanks")
    b.tick(t + 20000)  # Alice's wrap-up ends
    assert len(b.records) == 1 and b.records[0]["survey"] == {"satisfaction": 4}, b.records
    r = b.records[0]
    del b.ev[:], b.cmd[:], b.records[:]
    del b.calls.acd.staff.lines[:]  # the agents' interval records: the app writes them to the flash
    return r


def test_the_call_center_fits_the_budget_and_calls_leave_nothing_behind():
    """On MicroPython: the call flow with a site (IVR, queues, agents) takes a few KB, and 20
    calls through queue, agent and survey leave the heap where it was, the records excepted."""
    from test_fw_ivr import _mem_alloc

    before = _mem_alloc()
    b = Board()
    used = _mem_alloc() - before
    print("center: calls with a site take %d bytes" % used)
    assert used < 13500, "the call center takes %d bytes" % used  # 12.0 KB with agents and outbound, 12.9 (13184 B) with supervisors and transfer

    scripted_call(b, 0)
    settled = _mem_alloc()
    for i in range(1, 21):
        scripted_call(b, i * 100000)
    grew = _mem_alloc() - settled
    assert grew < 1024, "20 calls left %d bytes behind" % grew
