# Hook flash and blind transfer (calls.py with acd.py): an agent's on-hook shorter than the
# site's flash_ms in a call is a flash: the caller holds, the agent keys another agent's
# extension or a queue's, and the call is queued again for them; a longer one is the hang-up
# it was, dated when it began. The call record keeps both legs. Shared: CPython (pytest) and
# MicroPython (mp_runner.py).

import fw
from test_fw_center import Board, site

messages = fw.module("link.messages")

RUNS_ON_MICROPYTHON = True

C, ALICE, BOB = 0, 2, 3


def center(flash_ms=800):
    b = site()
    b["survey"] = None
    b["agents"]["flash_ms"] = flash_ms
    b["queues"]["support"]["ext"] = "302"
    b["queues"]["sales"]["ext"] = "301"
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
