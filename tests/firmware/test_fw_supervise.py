# A supervisor on an agent's call (supervise.py with agents.py and calls.py): the codes + an
# extension on a supervisor's phone join the call through the line cards' hear sets, a key
# switches the mode, any party's hang-up ends it, the call record and the link events say so,
# and nobody else may. Shared: CPython (pytest) and MicroPython (mp_runner.py).

import fw
from test_fw_center import Board, site

messages = fw.module("link.messages")
supervise = fw.module("supervise")

RUNS_ON_MICROPYTHON = True

C, ALICE, BOB = 0, 2, 3  # the caller's trunk, the agent, the supervisor (Bob)


def center(bob_supervises=True):
    b = site()
    b["survey"] = None
    b["ports"][3]["supervisor"] = bob_supervises
    return Board(b)


def talking(b):
    """A caller in the sales queue, Alice picks up at 4 s."""
    b.call_in_queue()
    b.at(3000).done(C, "recorded")
    b.at(4000).hook(ALICE, True)
    assert b.agent(ALICE) == "talking"


def dial(b, port, digits, t):
    b.at(t).hook(port, True)
    for d in digits:
        t += 200
        b.at(t).key(port, d)
    return t


def hears(b, since):
    """{port: the ports it hears} as the hear commands after cmd index `since` set them."""
    out = {}
    for c in b.cmd[since:]:
        if c["t"] == "hear":
            out[c["port"]] = c["from"]
    return out


def test_listen_whisper_barge_and_back_set_every_leg_s_hear_row():
    b = center()
    talking(b)
    n = len(b.cmd)
    dial(b, BOB, "*51201", 10000)
    assert b.agent(BOB) == "offhook"
    assert hears(b, n) == {BOB: [C, ALICE], ALICE: [C], C: [ALICE]}  # listen: nobody hears Bob
    assert [c["name"] for c in b.cmds(BOB, "tone")] == ["dial"]  # stopped at the first key; no other tone
    n = len(b.cmd)
    b.at(12000).key(BOB, "2")
    assert hears(b, n) == {BOB: [C, ALICE], ALICE: [C, BOB], C: [ALICE]}  # whisper: Alice only
    n = len(b.cmd)
    b.at(15000).key(BOB, "3")
    assert hears(b, n) == {BOB: [C, ALICE], ALICE: [C, BOB], C: [ALICE, BOB]}  # barge: all three
    n = len(b.cmd)
    b.at(15500).key(BOB, "9")  # not a mode: nothing
    b.at(16000).key(BOB, "3")  # the mode it is in: nothing
    assert hears(b, n) == {}
    b.at(17000).key(BOB, "1")
    assert hears(b, n) == {BOB: [C, ALICE], ALICE: [C], C: [ALICE]}  # back to listen
    n = len(b.cmd)
    b.at(20000).hook(BOB, False)  # the supervisor hangs up: out of every row
    assert {"t": "unbridge", "port": BOB} in b.cmd[n:] and not hears(b, n)
    assert b.agent(BOB) == "ready" and b.agent(ALICE) == "talking" and not b.calls.sup.sessions
    ev = b.events(messages.EV_SUPERVISE)
    assert [v["mode"] for v in ev] == ["listen", "whisper", "barge", "listen", None]
    assert ev[0] == {"port": BOB, "ext": "202", "agent": "201", "agent_port": ALICE, "call": 1, "trunk": C,
                     "mode": "listen", "ms": 0}
    assert ev[-1]["ms"] == 20000 - 11200
    b.at(30000).hook(ALICE, False)  # the agent hangs up: no survey, the call ends and its record goes
    r = b.records[-1]
    assert r["supervised"] == [{"ext": "202", "mode": "listen", "ms": 800}, {"ext": "202", "mode": "whisper", "ms": 3000},
                               {"ext": "202", "mode": "barge", "ms": 2000}, {"ext": "202", "mode": "listen", "ms": 3000}]


def test_the_caller_or_the_agent_hanging_up_ends_the_session_with_busy_tone():
    for leaver in (C, ALICE):
        b = center()
        talking(b)
        dial(b, BOB, "*53201", 10000)
        n = len(b.cmd)
        if leaver == C:
            b.at(14000).report(what="loop", port=C, on=False)
        else:
            b.at(14000).hook(ALICE, False)
        assert {"t": "unbridge", "port": BOB} in b.cmd[n:]
        assert b.cmds(BOB, "tone")[-1]["name"] == "busy" and not b.calls.sup.sessions
        assert b.events(messages.EV_SUPERVISE)[-1]["mode"] is None
        b.at(15000).key(BOB, "1")  # no session: a key is no mode switch
        assert not [c for c in b.cmd[n:] if c["t"] == "hear"]
        b.at(16000).hook(BOB, False)
        assert b.cmds(BOB)[-1] == {"t": "stop", "port": BOB} and b.agent(BOB) == "ready"
        b.tick(30000)
        assert b.records[-1]["supervised"] == [{"ext": "202", "mode": "barge", "ms": 14000 - 11200}], leaver


def test_only_a_supervisor_may_and_only_on_an_agent_talking_to_a_caller():
    b = center(bob_supervises=False)
    talking(b)
    dial(b, BOB, "*51", 10000)  # refused at the code: Bob is no supervisor
    assert b.cmds(BOB, "tone")[-1]["name"] == "congestion" and not b.calls.sup.sessions
    assert not b.cmds(None, "hear")
    b = center()
    dial(b, BOB, "*51201", 1000)  # Alice is not on a call
    assert b.cmds(BOB, "tone")[-1]["name"] == "congestion"
    b.at(2000).hook(BOB, False)
    dial(b, BOB, "*51202", 3000)  # himself
    assert b.cmds(BOB, "tone")[-1]["name"] == "congestion"
    b.at(4000).hook(BOB, False)
    dial(b, BOB, "*52299#", 5000)  # nobody has 299
    assert b.cmds(BOB, "tone")[-1]["name"] == "congestion"
    assert not b.cmds(None, "hear") and not b.events(messages.EV_SUPERVISE)
    b = center()
    talking(b)
    dial(b, BOB, "*52201", 10000)  # now she is: whisper
    assert b.events(messages.EV_SUPERVISE)[-1]["mode"] == "whisper" and len(b.calls.sup.sessions) == 1


def test_the_modes_rows_hear_what_the_issue_says():
    for mode, must in (("listen", {0: {2}, 2: {0}, 3: {0, 2}}), ("whisper", {0: {2}, 2: {0, 3}, 3: {0, 2}}),
                       ("barge", {0: {2, 3}, 2: {0, 3}, 3: {0, 2}})):
        rows = supervise.rows(mode, 0, 2, 3)
        assert {p: set(h) for p, h in rows} == must, mode
