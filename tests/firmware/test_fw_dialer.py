# The campaigns' dialler (dialer.py) through calls.py and outbound.py, from line-card reports:
# a survey campaign dials its contacts on free trunks, asks its questions once a person answers,
# and journals each attempt with the answers. Shared: CPython (pytest) and MicroPython.

import os

import fw
from test_fw_campaigns import D, MONDAY_10_UTC, _write
from test_fw_outbound import Board

campaigns = fw.module("campaigns")
files = fw.module("files")

RUNS_ON_MICROPYTHON = True


def _survey_board(contacts, **cfg):
    files.remove(D)
    os.mkdir(D)
    survey = {"questions": [{"id": "q1", "prompt": "survey_q1", "min": 1, "max": 5},
                            {"id": "q2", "prompt": "survey_q2", "min": 1, "max": 5}],
              "thanks_prompt": "thanks", "timeout_ms": 3000}
    c = _write(contacts, [], kind="survey", survey=survey, **cfg)
    with open(D + "/cp/t.json", "w") as f:
        import json

        f.write(json.dumps(c))
    b = Board()
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
