# The campaigns' dialler (dialer.py) through calls.py and outbound.py, from line-card reports:
# a survey campaign dials its contacts on free trunks, asks its questions once a person answers,
# and journals each attempt with the answers. Shared: CPython (pytest) and MicroPython.

import os

import fw
from test_fw_campaigns import D, MONDAY_10_UTC, _write
from test_fw_outbound import Board

campaigns = fw.module("campaigns")
files = fw.module("files")
messages = fw.module("link.messages")

RUNS_ON_MICROPYTHON = True


def _survey_board(contacts, **cfg):
    files.remove(D)
    os.mkdir(D)
    survey = {"questions": [{"id": "q1", "prompt": "survey_q1", "min": 1, "max": 5},
                            {"id": "q2", "prompt": "survey_q2", "min": 1, "max": 5}],
              "thanks_prompt": "thanks", "timeout_ms": 3000}
    return _running(Board(), _write(contacts, [], kind="survey", survey=survey, **cfg))


def _running(b, c):
    """Campaign settings c on the flash, loaded by board b's dialler and running."""
    import json

    with open(D + "/cp/t.json", "w") as f:
        f.write(json.dumps(c))
    b.calls.epoch = lambda ms: MONDAY_10_UTC + ms
    dialer = b.calls.campaigns()
    cp = dialer.load("t", 0, D + "/cp")
    cp.set_run(campaigns.R_RUNNING, MONDAY_10_UTC)
    return b, dialer, cp


def _answer(b, port, now):
    b.report(now, what="dial_tone", port=port)
    b.report(now + 3000, what="cpa", port=port, result="person", ms=2000, kind=900)


def test_a_survey_call_asks_each_question_and_keeps_the_answers():
    b, dialer, cp = _survey_board([("5550001", 0), ("5550002", 0), ("5550003", 0)], lines=2)
    try:
        b.tick(100)
        seized = [c for c in b.cmd if c["t"] == "seize"]
        assert [c["port"] for c in seized] == [0, 1] and dialer.active["t"] == 2  # its two lines
        assert cp.status()["dialing"] == 2
        _answer(b, 0, 1000)
        assert b.cmd[-1] == {"t": "play", "port": 0, "prompt": "survey_q1", "barge_in": True}
        b.report(6000, what="dtmf", port=0, digit="4")  # during the question: it stops, the next plays
        assert b.cmd[-2] == {"t": "stop", "port": 0} and b.cmd[-1]["prompt"] == "survey_q2"
        b.report(6100, what="prompt_done", port=0, prompt="survey_q1", reason="barge-in")  # the cut one: ignored
        b.report(9000, what="prompt_done", port=0, prompt="survey_q2", reason="complete")
        b.tick(9500)
        b.report(10000, what="dtmf", port=0, digit="9")  # out of range: not an answer
        b.tick(12100)  # the wait runs out: q2 unanswered, thanks
        assert b.cmd[-1]["prompt"] == "thanks"
        b.report(14000, what="prompt_done", port=0, prompt="thanks", reason="complete")
        assert cp.state[0] == campaigns.C_DONE
        rec = [r for r in b.records if r.get("campaign") == "t"][0]
        assert rec["contact"] == 0 and rec["campaign_answers"] == {"q1": 4} and rec["outcome"] == "person"
        b.report(15000, what="dial_tone", port=1)
        b.report(16000, what="cpa", port=1, result="busy", ms=900, kind="busy")
        assert cp.state[1] == campaigns.C_RETRY
        b.tick(16100)  # a line free again: the third contact
        assert cp.state[2] == campaigns.C_DIALING and dialer.active["t"] == 1  # (1: its retry is not due)
        journal = []
        fw.module("records").scan(cp.log_path, journal.append)
        answered = [r for r in journal if r.get("c") == 0 and r.get("s") == "done"]
        assert answered[0]["r"] == {"q1": 4}
    finally:
        files.remove(D)


def test_nothing_is_dialled_without_a_free_trunk_and_paused_campaigns_wait():
    b, dialer, cp = _survey_board([("5550001", 0)])
    try:
        b.dial(0, "42", trunk=0)
        b.dial(0, "43", trunk=1)  # both trunks busy with calls of their own
        b.tick(100)
        assert cp.status()["pending"] == 1 and cp.tries[0] == 0  # not taken: no trunk
        cp.set_run(campaigns.R_PAUSED, MONDAY_10_UTC)
        b.report(200, what="dial_tone", port=0)
        b.report(300, what="cpa", port=0, result="busy", ms=100, kind="busy")
        b.tick(400)
        assert cp.tries[0] == 0
    finally:
        files.remove(D)


# -- agent-connected: an agent first, then the contact (callbacks' board: trunks 0-1, agents 2-3) --

def _agent_board(contacts, **cfg):
    from test_fw_callbacks import Board as CenterBoard
    from test_fw_callbacks import cb_site, fresh

    fresh()
    files.remove(D)
    os.mkdir(D)
    body = {"queue": "reception", "id_prompt": "callback_thanks", "max_abandon_pct": 3}
    site = cb_site()
    del site["callbacks"]
    return _running(CenterBoard(site), _write(contacts, [], kind="agent-connected", agent_connected=body, **cfg))


def _pick_up_and_dial(b, agent, t):
    """Agent `agent` answers its ring at t; the trunk seized for it gets dial tone: the port."""
    b.at(t).hook(agent, True)
    (seize,) = [c for c in b.cmds(None, "seize")][-1:]
    b.at(t + 500).report(what="dial_tone", port=seize["port"])
    return seize["port"]


def test_an_agent_is_rung_first_then_the_contact_is_dialled_and_a_person_bridged_to_them():
    b, dialer, cp = _agent_board([("5550001", 0), ("5550002", 0)])
    try:
        b.hook(3, True)  # Bob busy: only Alice is ready
        b.tick(100)
        assert b.cmds(None, "seize") == []  # nothing dialled before an agent is on the line
        ring = b.cmds(2, "ring")[-1]
        assert ring["on"] and ring["number"] == "5550001"  # the agent sees who comes
        pop = [v for k, v in b.ev if k == messages.EV_POP][-1]
        assert pop["campaign"] == "t" and pop["ext"] == "201"
        b.tick(200)
        assert len(dialer.leads["t"]) == 1  # one line: one lead
        port = _pick_up_and_dial(b, 2, 1000)
        assert cp.state[0] == campaigns.C_DIALING and cp.tries[0] == 1
        assert b.cmds(port, "dtmf")[-1]["digits"] == "5550001"
        b.at(6000).report(what="cpa", port=port, result="person", ms=2500, kind=0)
        assert b.cmds(port, "bridge")[-1] == {"t": "bridge", "port": port, "a": port, "b": 2}
        b.tick(200000)  # a long talk is not cut by the dial's guard time
        assert b.cmds(port, "hangup") == []
        b.at(200100).hook(2, False)  # the agent ends the call
        assert b.cmds(port, "unbridge") and b.cmds(port, "hangup")
        rec = [r for r in b.records if r.get("campaign") == "t"][0]
        assert rec["outcome"] == "person" and rec["agent"] == "201" and rec["contact"] == 0
        assert "abandoned" not in rec and rec["connected"]
        st = cp.status()
        assert st["done"] == 1 and st["persons"] == 1 and st["abandoned"] == 0
    finally:
        files.remove(D)


def test_a_machine_gets_the_identification_and_the_agent_is_freed_at_once():
    b, dialer, cp = _agent_board([("5550001", 0)])
    try:
        b.hook(3, True)
        b.tick(100)
        port = _pick_up_and_dial(b, 2, 1000)
        b.at(9000).report(what="cpa", port=port, result="machine", ms=5000, kind=0)
        assert b.cmds(port, "bridge") == []
        assert b.cmds(port, "play")[-1]["prompt"] == "callback_thanks"
        assert b.cmds(2, "tone")[-1]["name"] == "busy"  # the agent: free for the next
        b.at(14000).report(what="prompt_done", port=port, prompt="callback_thanks", reason="complete")
        assert b.cmds(port, "hangup") and cp.outcome[0] == "machine" and cp.abandoned == 0
    finally:
        files.remove(D)


def test_a_person_whose_agent_left_hears_the_identification_and_the_campaign_pauses_past_3_percent():
    b, dialer, cp = _agent_board([("5550001", 0), ("5550002", 0)])
    try:
        b.hook(3, True)
        b.tick(100)
        port = _pick_up_and_dial(b, 2, 1000)
        b.at(3000).hook(2, False)  # the agent gives up while it rings
        assert b.cmds(port, "hangup") == []  # the call goes on to the analyser's result
        b.at(8000).report(what="cpa", port=port, result="person", ms=2500, kind=0)
        assert b.cmds(port, "bridge") == [] and b.cmds(port, "play")[-1]["prompt"] == "callback_thanks"
        b.at(12000).report(what="prompt_done", port=port, prompt="callback_thanks", reason="complete")
        rec = [r for r in b.records if r.get("campaign") == "t"][0]
        assert rec["outcome"] == "person" and rec["abandoned"] is True
        assert cp.status()["abandoned"] == 1 and cp.run == campaigns.R_PAUSED  # 1 of 1 > 3 %
        (v,) = [v for k, v in b.ev if k == messages.EV_CAMPAIGN]
        assert v == {"name": "t", "run": "paused", "why": "abandon-limit", "persons": 1, "abandoned": 1}
        b.tick(30000)  # wrap-up over: Alice ready, but the campaign waits for a supervisor
        assert len(b.cmds(None, "seize")) == 1 and not dialer.leads["t"]
        cp2 = dialer.load("t", 40000, D + "/cp")  # the journal keeps the counts across a boot
        assert (cp2.persons, cp2.abandoned) == (1, 1)
    finally:
        files.remove(D)


def test_live_callers_go_before_the_campaign():
    b, dialer, cp = _agent_board([("5550001", 0)])
    try:
        b.hook(3, True)  # Bob busy
        b.tick(100)
        assert b.cmds(2, "ring")[-1]["number"] == "5550001"  # Alice rung for the campaign...
        b.report(what="ring", port=0, on=True)  # ... when a caller comes: reception (key 0)
        b.at(900).report(what="dtmf", port=0, digit="0")
        b.tick(16000)  # Alice let the campaign's ring go: the live caller is next, not the lead
        rings = [c for c in b.cmds(2, "ring") if c["on"]]
        assert len(rings) == 2 and rings[1]["number"] != "5550001", rings
        assert b.cmds(1, "seize") == [] and cp.tries[0] == 0
    finally:
        files.remove(D)


def test_a_sit_saying_the_network_is_busy_is_tried_again_like_congestion():
    retry = {"congestion": [5 * 60000, 3], "busy": [60000, 3]}
    b, dialer, cp = _survey_board([("5550001", 0), ("5550002", 0)], lines=2, retry=retry)
    try:
        b.tick(100)
        for port, kind in ((0, "no-circuit"), (1, "vacant-code")):
            b.report(1000, what="dial_tone", port=port)
            b.report(4000, what="cpa", port=port, result="sit", ms=2300, kind="sit", sit=kind)
        assert cp.state[0] == campaigns.C_RETRY and cp.outcome[0] == "sit"  # congestion's rule
        assert cp.due[0] == MONDAY_10_UTC + 4000 + 5 * 60000
        assert cp.state[1] == campaigns.C_FAILED  # a number that does not exist: never again
        recs = {r["contact"]: r for r in b.records if r.get("campaign") == "t"}
        assert (recs[0]["sit_kind"], recs[1]["sit_kind"]) == ("no-circuit", "vacant-code")
    finally:
        files.remove(D)
