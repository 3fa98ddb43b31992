"""Synthetic call records for the unit tests (the board writes the real ones)."""

T0 = 1795000000000  # Unix ms: 2026-11-18T...


def cdr(n, outcome="answered", queue="sales", agent=None, wait=None, talk=None, wrap=10, survey=None,
        arrived_s=None, **kw):
    """Call n: arrives at T0 + 60 n s, queued 5 s later; wait/talk in seconds."""
    arrived = T0 + (arrived_s if arrived_s is not None else 60 * n) * 1000
    queued = arrived + 5000 if queue else None
    r = {"v": 1, "id": f"1a2b3c4d-{n}", "port": n % 2, "trunk": f"trunk{n % 2 + 1}", "number": f"555{n:04d}",
         "name": None, "arrived": arrived, "answered": arrived + 1000, "ivr": [["main", "1"]] if queue else [],
         "queue": queue, "queues": [queue] if queue else [], "queued": queued, "offered": None,
         "agent": None, "agent_name": None, "connected": None, "agent_left": None, "ended": None,
         "by": "caller", "how": "loop-drop", "outcome": outcome, "recording": None, "survey": survey,
         "callback": None, "wrap_s": None}
    if outcome == "answered":
        ext, name = agent
        r.update(agent=ext, agent_name=name, offered=1, connected=queued + wait * 1000,
                 agent_left=queued + (wait + talk) * 1000, ended=queued + (wait + talk) * 1000 + 500,
                 by="agent", how="survey-done", wrap_s=wrap)
    elif outcome == "abandoned":
        r.update(ended=queued + wait * 1000, how="abandoned")
    else:
        r.update(ended=arrived + 30000, by="board", how=outcome)
    r.update(kw)
    return r


ALICE, BOB = ("201", "Alice"), ("202", "Bob")


def day():
    """7 calls; the figures are worked out by hand in test_stats.py."""
    return [
        cdr(1, agent=ALICE, wait=10, talk=60, survey={"satisfaction": 5}, recording="rec/1a2b3c4d-1.wav"),
        cdr(2, agent=BOB, wait=30, talk=120, survey={"satisfaction": 3}),
        cdr(3, "abandoned", wait=40),
        cdr(4, queue="support", agent=BOB, wait=5, talk=100, wrap=0, ivr=[["main", "2"], ["support", "1"]]),
        cdr(5, "ivr", queue=None),
        cdr(6, "voicemail", queue="support", queues=["sales", "support"]),
        cdr(7, "abandoned", queue="support", wait=20),
    ]
