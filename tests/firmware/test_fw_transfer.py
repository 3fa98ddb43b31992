# Hook flash and blind transfer (calls.py with acd.py): an agent's on-hook shorter than the
# site's flash_ms in a call is a flash: the caller holds, the agent keys another agent's
# extension or a queue's, and the call is queued again for them; a longer one is the hang-up
# it was, dated when it began. Or the site's outside prefix, a number and #: the board dials
# it on a free trunk that may call out (outbound.py) and bridges the caller to whoever
# answers, trunk to trunk. The call record keeps both legs. Shared: CPython (pytest) and
# MicroPython (mp_runner.py).

import fw
from test_fw_center import Board, site

messages = fw.module("link.messages")

RUNS_ON_MICROPYTHON = True

C, T, ALICE, BOB = 0, 1, 2, 3  # T: the trunk that may call out (in center(out=True))


def center(flash_ms=800, out=False):
    b = site()
    b["survey"] = None
    b["agents"]["flash_ms"] = flash_ms
    b["agents"]["outside"] = "9"
    b["queues"]["support"]["ext"] = "302"
    b["queues"]["sales"]["ext"] = "301"
    if out:
        b["ports"][T]["out"] = {"allow": True, "prefix": "0", "no_answer_ms": 30000}
    return Board(b)


def talking(b):
    b.call_in_queue()  # sales: only Alice has the skill
    b.at(3000).done(C, "recorded")
    b.at(4000).hook(ALICE, True)
    assert b.agent(ALICE) == "talking"


def flash(b, port, t, keys):
    b.at(t).hook(port, False)
    b.at(t + 500).hook(port, True)
    t += 500
    for d in keys:
        t += 200
        b.at(t).key(port, d)
    return t


def test_a_flash_then_an_extension_hands_the_call_to_that_agent():
    b = center()
    talking(b)
    n = len(b.cmd)
    b.at(20000).hook(ALICE, False)
    assert b.agent(ALICE) == "talking" and b.cmd[n:] == []  # not yet: a flash or a hang-up
    b.at(20500).hook(ALICE, True)  # back within 800 ms: a flash
    assert {"t": "unbridge", "port": C} in b.cmd[n:] and b.cmds(C, "play")[-1]["prompt"] == "hold"
    assert b.cmds(ALICE, "tone")[-1]["name"] == "dial"
    for i, d in enumerate("202"):
        b.at(20700 + 200 * i).key(ALICE, d)
    assert b.agent(ALICE) == "wrapup" and b.cmds(ALICE, "tone")[-1]["name"] == "ringback"
    assert b.agent(BOB) == "ringing" and b.states()[-3:] == ["transfer", "queued", "offered"]
    b.at(21500).hook(ALICE, False)
    b.at(22000).hook(BOB, True)
    assert b.agent(BOB) == "talking" and b.cmds(C, "bridge")[-1] == {"t": "bridge", "port": C, "a": C, "b": BOB}
    b.at(40000).hook(BOB, False)
    b.tick(41000)  # past flash_ms: Bob hung up at 40 s
    assert b.agent(BOB) == "wrapup"
    r = b.records[-1]
    assert r["agent"] == "202" and r["connected"] == 1000000 + 4000 and r["agent_left"] == 1000000 + 40000
    assert r["legs"] == [{"agent": "201", "connected": 1004000, "left": 1021100},
                         {"agent": "202", "connected": 1022000, "left": 1040000}]
    assert r["transfers"] == [{"from": "201", "to": "202", "queue": None, "at": 1021100}]
    assert r["outcome"] == "answered" and r["queues"] == ["sales", "sales"]


def test_a_flash_then_a_queue_s_extension_queues_the_caller_there():
    b = center()
    talking(b)
    flash(b, ALICE, 20000, "302")  # support: Bob
    assert b.agent(BOB) == "ringing" and b.calls.calls[C].q.name == "support"
    r = b.calls.calls[C].cdr
    assert r["transfers"][0]["queue"] == "support" and r["queues"] == ["sales", "support"]


def test_a_long_on_hook_is_a_hang_up_dated_when_it_began():
    b = center()
    talking(b)
    b.at(30000).hook(ALICE, False)
    b.tick(30500)
    assert b.agent(ALICE) == "talking"
    b.tick(30800)
    assert b.agent(ALICE) == "wrapup" and b.records[-1]["agent_left"] == 1000000 + 30000


def test_a_hang_up_and_a_pick_up_read_late_together_are_timed_by_when_they_happened():
    """A busy firmware reads the agent's hang-up (at 30 s) and their pick-up 1.5 s later
    (to key a disposition) in one go, at 31.6 s: by the line cards' times that is a hang-up
    and then an off-hook, not a flash; read apart by 500 ms, it was."""
    b = center()
    talking(b)
    holds = len(b.cmds(C, "play"))
    b.at(31600).hook(ALICE, False, at=30000)
    b.hook(ALICE, True, at=31500)
    assert b.records and b.records[-1]["agent_left"] == 1000000 + 30000
    assert len(b.cmds(C, "play")) == holds  # the caller was not put on hold
    b = center()
    talking(b)
    b.at(31600).hook(ALICE, False, at=31000)
    b.hook(ALICE, True, at=31500)
    assert not b.records and b.cmds(C, "play")[-1]["prompt"] == "hold"


def test_digits_nobody_has_put_the_caller_back_and_a_site_without_flash_hangs_up_at_once():
    b = center()
    talking(b)
    flash(b, ALICE, 20000, "9#")
    assert b.agent(ALICE) == "talking" and b.cmds(C, "bridge")[-1]["b"] == ALICE
    assert "transfers" not in b.calls.calls[C].cdr
    b = center(flash_ms=0)
    talking(b)
    b.at(20000).hook(ALICE, False)
    assert b.agent(ALICE) == "wrapup"


def test_the_caller_hanging_up_while_the_agent_keys_ends_the_call():
    b = center()
    talking(b)
    flash(b, ALICE, 20000, "2")
    b.at(21000).report(what="loop", port=C, on=False)
    assert b.states()[-1] == "ended" and b.records[-1]["outcome"] == "answered"
    assert not b.calls.xfer
    b.at(21500).hook(ALICE, False)
    b.tick(23000)
    assert b.agent(ALICE) == "wrapup"


def outside(b, number="5550123", result="person"):
    """Alice, talking, transfers the caller to `number` (her # at 22.3 s); the trunk gets dial
    tone at 22.6 s and the analyser's result at 30 s. Returns when she keyed #."""
    talking(b)
    t = flash(b, ALICE, 20000, "9" + number + "#")
    assert b.agent(ALICE) == "wrapup" and b.cmds(ALICE, "tone")[-1]["name"] == "ringback"
    assert b.cmds(T) == [{"t": "seize", "port": T},
                         {"t": "cpa_arm", "port": T, "plan": "US", "dial_ms": 3000, "no_answer_ms": 30000}]
    assert b.calls.calls[C].state == "outside" and b.states()[-2:] == ["transfer", "outside"]
    assert b.events(messages.EV_CALL)[-2]["outside"] and b.events(messages.EV_CALL)[-1]["trunk"] == "trunk2"
    b.at(t + 400).hook(ALICE, False)  # she hangs up: wrap-up
    b.at(t + 300).report(what="dial_tone", port=T)
    assert b.cmds(T, "dtmf") == [{"t": "dtmf", "port": T, "digits": "0" + number}]  # the trunk's prefix first
    b.at(25000).done(C, "hold")  # still ringing out: the caller hears hold again
    assert b.cmds(C, "play")[-1]["prompt"] == "hold"
    b.at(30000).report(what="cpa", port=T, result=result, ms=5000, kind=900)
    return t


def test_an_outside_number_a_person_answers_is_bridged_trunk_to_trunk_and_both_legs_are_in_the_record():
    b = center(out=True)
    t = outside(b)
    assert b.cmds(C)[-1] == {"t": "bridge", "port": C, "a": C, "b": T} and b.cmds(C)[-2]["t"] == "stop"
    assert b.events(messages.EV_CALL)[-1] == {"port": C, "call": 1, "state": "outside", "number": "5550123",
                                              "trunk": "trunk2", "result": "person", "bridged": True}
    assert b.cmds(C, "record") and b.cmds(C, "record_stop")  # recorded with Alice, not with the outside party
    assert len(b.cmds(C, "record")) == len(b.cmds(C, "record_stop")) == 1
    b.tick(100000)  # well past the outbound guard: a bridged call lasts as long as they talk
    assert b.calls.calls[T].state == "answered" and b.calls.calls[C].state == "outside"
    b.at(110000).report(what="loop", port=T, on=False)  # the outside party hangs up: both end
    assert b.cmds(C)[-2:] == [{"t": "unbridge", "port": C}, {"t": "hangup", "port": C}]
    assert b.cmds(T)[-1] == {"t": "hangup", "port": T}
    assert b.ports.state(C) == b.ports.state(T) == "idle"
    inbound, out = b.records[-2:]  # (the caller's call ends first, then the trunk's)
    assert inbound["direction"] == "in" and inbound["by"] == "callee" and inbound["outcome"] == "answered"
    assert inbound["legs"] == [{"agent": "201", "connected": 1004000, "left": 1000000 + t},
                               {"number": "5550123", "trunk": "trunk2", "connected": 1030000, "left": 1110000}]
    assert inbound["transfers"] == [{"from": "201", "to": "95550123", "queue": None, "outside": True,
                                     "trunk": "trunk2", "result": "person", "at": 1000000 + t}]
    assert out["direction"] == "out" and out["transfer_for"] == inbound["id"] and out["number"] == "5550123"
    assert out["outcome"] == "person" and out["decide_ms"] == 5000 and out["trunk"] == "trunk2"
    assert out["connected"] == 1030000 and out["by"] == "callee"
    assert inbound["agent_left"] == 1000000 + t  # Alice's talk ended with her transfer (talk_s, AHT)


def test_the_caller_hanging_up_on_the_outside_party_releases_the_trunk():
    b = center(out=True)
    outside(b)
    b.at(40000).report(what="loop", port=C, on=False)
    assert b.cmds(T)[-1] == {"t": "hangup", "port": T} and b.calls.calls[T].out is None
    out, inbound = b.records[-2:]  # (the trunk's call ends first, as the caller's ends)
    assert inbound["by"] == "caller" and inbound["legs"][-1]["left"] == 1040000
    assert out["outcome"] == "person" and out["by"] == "caller" and out["transfer_for"] == inbound["id"]


def test_a_busy_outside_number_queues_the_caller_again_for_the_agent_who_transferred_it():
    b = center(out=True)
    outside(b, "5550177", result="busy")
    assert b.cmds(T)[-1] == {"t": "hangup", "port": T} and b.records[-1]["outcome"] == "busy"
    v = [v for v in b.events(messages.EV_CALL) if v["port"] == C]
    assert v[-2] == {"port": C, "call": 1, "state": "outside", "number": "5550177", "trunk": "trunk2",
                     "result": "busy", "bridged": False}
    assert v[-1]["state"] == "queued" and v[-1]["queue"] == "sales"
    assert b.agent(BOB) == "ready"  # ready, but the caller waits for Alice alone
    b.tick(33000)  # Alice's wrap-up (10 s from the transfer) is over: her phone rings
    assert b.agent(ALICE) == "ringing" and b.agent(BOB) == "ready"
    b.at(34000).hook(ALICE, True)
    assert b.cmds(C, "bridge")[-1]["b"] == ALICE
    r = b.calls.calls[C].cdr
    assert r["transfers"][0]["result"] == "busy" and [g.get("agent") for g in r["legs"]] == ["201", "201"]
    assert b.records[-1]["transfer_for"] == r["id"] and b.records[-1]["direction"] == "out"


def test_a_fax_is_not_bridged_and_the_caller_waits_for_the_agent_again():
    b = center(out=True)
    outside(b, result="fax")
    assert not [c for c in b.cmds(C, "bridge") if c["b"] == T]
    assert b.calls.calls[C].state == "queued" and b.calls.calls[C].cdr["transfers"][0]["result"] == "fax"


def test_no_trunk_to_dial_on_puts_the_caller_back_to_the_agent_saying_why():
    b = center()  # no trunk may call out
    talking(b)
    flash(b, ALICE, 20000, "95550123#")
    assert b.agent(ALICE) == "talking" and b.cmds(C, "bridge")[-1]["b"] == ALICE and not b.cmds(T)
    v = b.events(messages.EV_CALL)[-1]
    assert v["state"] == "connected" and v["agent"] == "201" and v["to"] == "95550123"
    assert v["refused"] == "no trunk may call out (the site's outbound: allow)"
    assert "transfers" not in b.calls.calls[C].cdr
    b = center(out=True)
    b.calls.dial("5550000", T, None, 0, b.ports, b.ev, b.cmd)  # the trunk is busy calling out
    talking(b)
    flash(b, ALICE, 20000, "95550123#")
    assert b.events(messages.EV_CALL)[-1]["refused"] == "every trunk that may call out is busy"
    assert b.agent(ALICE) == "talking" and b.cmds(C, "bridge")[-1]["b"] == ALICE


def test_the_prefix_waits_for_the_hash_and_a_bad_number_is_refused():
    b = center(out=True)
    talking(b)
    flash(b, ALICE, 20000, "9555")
    assert b.calls.xfer[ALICE][1] == "9555" and not b.cmds(T)  # more keys to come: only # ends a number
    b.at(21000).key(ALICE, "#")
    assert b.cmds(T, "seize")
    b = center(out=True)
    talking(b)
    flash(b, ALICE, 20000, "9#")
    assert b.events(messages.EV_CALL)[-1]["refused"] == "no number to dial" and b.agent(ALICE) == "talking"


def test_the_caller_hanging_up_while_the_outside_number_rings_releases_the_trunk():
    b = center(out=True)
    talking(b)
    flash(b, ALICE, 20000, "95550123#")
    b.at(22600).report(what="dial_tone", port=T)
    b.at(24000).report(what="loop", port=C, on=False)
    assert b.cmds(T)[-1] == {"t": "hangup", "port": T} and b.ports.state(T) == "idle"
    assert b.calls.calls[T].out is None and b.calls.calls[T].state == "idle"
    out, inbound = b.records[-2:]
    assert inbound["by"] == "caller" and inbound["transfers"][0]["result"] is None
    assert inbound["legs"] == [{"agent": "201", "connected": 1004000, "left": inbound["transfers"][0]["at"]}]
    assert out["outcome"] == "no-result" and out["by"] == "caller" and out["transfer_for"] == inbound["id"]
    b.at(30000).report(what="cpa", port=T, result="person", ms=5000, kind=900)  # too late: nothing happens
    assert b.cmds(T)[-1]["t"] == "hangup" and len(b.records) == 2
