# Agents as people (agents.py with acd.py and calls.py): feature codes on the agent's phone,
# link requests, auto-pause, dispositions held in wrap-up, interval records that tile, and
# recovery of the last interval from the flash. Shared: CPython (pytest) and MicroPython
# (mp_runner.py).

import fw
from test_fw_center import Board, site

agents = fw.module("agents")
files = fw.module("files")
messages = fw.module("link.messages")

RUNS_ON_MICROPYTHON = True

D = "_cg_agents_test"


def center(**changes):
    b = site()
    b["agents"].update(changes)
    return Board(b)


def keys(b, port, digits, t):
    b.at(t).hook(port, True)
    for d in digits:
        t += 200
        b.at(t).key(port, d)
    b.at(t + 300).hook(port, False)
    return t + 300


def tiles(lines, port):
    mine = [r for r in lines if r["port"] == port]
    for a, c in zip(mine, mine[1:]):
        assert c["start"] == a["end"] and c["state"] == a["next"] and c["reason"] == a["next_reason"], (a, c)
    return mine


def test_feature_codes_pause_with_a_reason_log_out_and_back_in():
    b = center()
    staff = b.calls.acd.staff
    t = keys(b, 2, "*21", 1000)  # pause: lunch
    assert b.agent(2) == "paused" and b.calls.acd.agents[2].reason == "lunch"
    tones = [c["name"] for c in b.cmds(2, "tone")]
    assert tones == ["dial", "ringback"]  # dial tone, then the confirmation
    t = keys(b, 2, "*231", t + 1000)  # callback: a code of two digits ("3" alone is none)
    assert b.calls.acd.agents[2].reason == "callback"
    t = keys(b, 2, "*29", t + 1000)  # no reason 9: refused, still paused
    assert b.cmds(2, "tone")[-1]["name"] == "congestion" and b.agent(2) == "paused"
    t = keys(b, 2, "*1", t + 1000)  # log out
    assert b.agent(2) == "logged-out"
    t = keys(b, 2, "*22", t + 1000)  # no pause while logged out
    assert b.cmds(2, "tone")[-1]["name"] == "congestion" and b.agent(2) == "logged-out"
    t = keys(b, 2, "*1", t + 1000)  # log in: ready
    assert b.agent(2) == "ready"
    mine = tiles(staff.lines, 2)
    states = [(r["state"], r["reason"]) for r in mine]
    assert ("paused", "lunch") in states and ("paused", "callback") in states and ("logged-out", None) in states
    ev = [v for v in b.events(messages.EV_AGENT) if v["port"] == 2]
    assert [v["state"] for v in ev][-2:] == ["offhook", "ready"]
    assert ev[0]["reason"] is None and "since" in ev[0]


def test_a_paused_agent_is_not_offered_a_call_until_ready():
    b = center()
    b.at(100)
    st = b.calls.agent_do("201", "pause", "training", 100, b.ports, b.ev, b.cmd)
    assert st["state"] == "paused" and st["reason"] == "training"
    b.call_in_queue()  # sales: only Alice has the skill
    assert b.agent(2) == "paused" and not b.cmds(2, "ring")
    b.tick(5000)
    assert not b.cmds(2, "ring")
    b.at(6000)
    b.calls.agent_do("201", "ready", None, 6000, b.ports, b.ev, b.cmd)
    b.tick(6250)
    assert b.agent(2) == "ringing" and b.cmds(2, "ring")[-1]["on"]
    try:
        b.calls.agent_do("201", "pause", "nap", 7000, b.ports, b.ev, b.cmd)
        assert False, "a reason the site lacks"
    except ValueError:
        pass
    try:
        b.calls.agent_do("299", "ready", None, 7000, b.ports, b.ev, b.cmd)
        assert False, "no such agent"
    except KeyError:
        pass
    b.calls.agent_do("201", "logout", None, 7000, b.ports, b.ev, b.cmd)  # while ringing: stops it
    assert b.agent(2) == "logged-out" and b.cmds(2, "ring")[-1]["on"] is False


def test_auto_pause_after_offers_not_answered():
    b = center(auto_pause=2)
    b.call_in_queue()
    assert b.agent(2) == "ringing"
    b.tick(16000)  # 15 s of ringing: the first miss, rung again
    assert b.agent(2) == "ringing"
    b.tick(32000)  # the second: paused, no-answer
    assert b.agent(2) == "paused" and b.calls.acd.agents[2].reason == "no-answer"
    auto = [v for v in b.events(messages.EV_AGENT) if v.get("why") == "auto-pause"]
    assert len(auto) == 1 and auto[0]["ext"] == "201" and auto[0]["reason"] == "no-answer"
    b.tick(40000)
    assert b.agent(2) == "paused"


def test_a_disposition_keyed_in_wrap_up_goes_into_the_record():
    bundle = site()
    bundle["survey"] = None
    bundle["agents"]["dispositions"] = {"1": "resolved", "2": "follow-up"}
    b = Board(bundle)
    b.call_in_queue()
    b.at(3000).done(0, "recorded")
    b.at(4000).hook(2, True)
    b.at(30000).hook(2, False)  # the agent hangs up: wrap-up; the call ends (no survey)
    assert b.agent(2) == "wrapup" and b.states()[-1] == "ended"
    assert b.records == []  # it waits for the disposition
    assert b.calls.busy() >= 1
    keys(b, 2, "*42", 31000)
    assert len(b.records) == 1 and b.records[0]["disposition"] == "follow-up"
    assert b.agent(2) == "wrapup"  # back to the rest of the wrap-up
    b.tick(41000)
    assert b.agent(2) == "ready" and b.calls.busy() == 0


def test_a_record_without_a_disposition_goes_when_wrap_up_ends():
    bundle = site()
    bundle["survey"] = None
    bundle["agents"]["dispositions"] = {"1": "resolved"}
    b = Board(bundle)
    b.call_in_queue()
    b.at(4000).hook(2, True)
    b.at(30000).hook(2, False)
    assert b.records == []
    b.tick(41000)
    assert len(b.records) == 1 and b.records[0]["disposition"] is None


def test_the_last_interval_is_recovered_and_closed_at_the_next_boot():
    files.remove(D)
    try:
        log = agents.AgentLog(D)
        b = center()
        b.calls.agent_do("201", "pause", "lunch", 5000, b.ports, b.ev, b.cmd)
        for r in b.calls.acd.staff.lines:
            log.write(r)
        past = log.recover(["201", "202", "999"], 1000000 + 9000)
        assert past["201"][:3] == ("paused", "lunch", 1000000 + 5000) and past["202"][0] == "ready"
        assert "999" not in past
        calls = Board().calls
        calls.use_site(site(), None, 9000, past)
        a = calls.acd.agents[2]
        assert (a.state, a.reason) == ("paused", "lunch")
        cut = [r for r in calls.acd.staff.lines if r.get("cut")]
        assert len(cut) == 2 and cut[0]["start"] == 1000000 + 5000 and cut[0]["end"] == 1000000 + 9000
    finally:
        files.remove(D)
