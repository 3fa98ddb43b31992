"""Call-center figures from call records, worked out by hand, and Erlang C against the known
answer in REFERENCE.md (100 calls in 30 min, AHT 180 s, 14 agents, 20 s)."""

import math
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from callgate.callcenter.stats import agents_for, erlang_c, handle_s, summary, talk_s, wait_s
from cdrs import ALICE, BOB, cdr, day


def test_wait_talk_handle():
    r = cdr(1, agent=ALICE, wait=10, talk=60, wrap=7)
    assert (wait_s(r), talk_s(r), handle_s(r)) == (10, 60, 67)
    ab = cdr(2, "abandoned", wait=40)
    assert (wait_s(ab), talk_s(ab), handle_s(ab)) == (40, None, None)
    assert wait_s(cdr(3, "ivr", queue=None)) is None
    assert wait_s(cdr(4, "voicemail")) is None  # overflowed: no time of leaving the queue
    no_left = dict(r, agent_left=None)
    assert talk_s(no_left) == (no_left["ended"] - no_left["connected"]) / 1000


def test_summary_of_a_day():
    s = summary(day(), target_s=20)
    assert (s["calls"], s["answered"], s["abandoned"]) == (7, 3, 2)
    assert s["outcomes"] == {"abandoned": 2, "answered": 3, "ivr": 1, "voicemail": 1}
    assert s["other"] == {"ivr": 1, "voicemail": 1}
    assert s["asa_s"] == pytest.approx(15)  # (10 + 30 + 5) / 3
    assert s["answered_within"] == 2
    assert s["service_level"] == pytest.approx(2 / 3)
    assert s["service_level_with_abandoned"] == pytest.approx(2 / 5)
    assert s["aht_s"] == pytest.approx(100)  # (70 + 130 + 100) / 3
    assert s["abandon_wait_s"] == pytest.approx(30)
    assert s["survey"] == {"satisfaction": {"count": 2, "average": 4.0}}
    sales, support = s["queues"]["sales"], s["queues"]["support"]
    assert (sales["calls"], sales["answered"], sales["abandoned"], sales["asa_s"]) == (3, 2, 1, 20)
    assert sales["service_level"] == pytest.approx(1 / 2) and sales["service_level_with_abandoned"] == pytest.approx(1 / 3)
    assert (support["calls"], support["answered"], support["abandoned"], support["asa_s"]) == (3, 1, 1, 5)
    assert support["service_level"] == 1 and support["service_level_with_abandoned"] == pytest.approx(1 / 2)
    a, b = s["agents"]["201"], s["agents"]["202"]
    assert (a["name"], a["calls"], a["talk_s"], a["aht_s"]) == ("Alice", 1, 60, 70)
    assert a["survey"] == {"satisfaction": {"count": 1, "average": 5.0}}
    assert (b["name"], b["calls"], b["talk_s"], b["average_talk_s"], b["aht_s"]) == ("Bob", 2, 220, 110, 115)


def test_target_is_inclusive_and_moves_the_service_level():
    recs = day()
    assert summary(recs, target_s=30)["service_level"] == 1
    assert summary(recs, target_s=9)["service_level"] == pytest.approx(1 / 3)


def test_no_calls():
    s = summary([])
    assert s["calls"] == 0 and s["asa_s"] is None and s["service_level"] is None and s["aht_s"] is None
    assert s["queues"] == {} and s["agents"] == {} and s["first"] is None


def test_erlang_c_known_answer():
    e = erlang_c(calls=100, period_s=1800, aht_s=180, agents=14, target_s=20)
    assert e["traffic_erl"] == pytest.approx(10)
    assert e["p_wait"] == pytest.approx(0.17413, abs=5e-6)
    assert e["service_level"] == pytest.approx(0.88835, abs=5e-6)
    assert e["asa_s"] == pytest.approx(7.836, abs=5e-4)
    assert e["occupancy"] == pytest.approx(0.7143, abs=5e-5)


def test_erlang_c_with_too_few_agents_never_catches_up():
    e = erlang_c(100, 1800, 180, 10)
    assert (e["p_wait"], e["service_level"], e["occupancy"]) == (1.0, 0.0, 1.0) and math.isinf(e["asa_s"])
    with pytest.raises(ValueError):
        erlang_c(100, 0, 180, 14)


def test_agents_for_a_target():
    n = agents_for(100, 1800, 180, service_level=0.8, target_s=20)
    assert erlang_c(100, 1800, 180, n, 20)["service_level"] >= 0.8 > erlang_c(100, 1800, 180, n - 1, 20)["service_level"]
    assert n == 14  # 13 agents: below 80 %


@given(st.floats(1, 500), st.floats(60, 7200), st.floats(10, 900), st.integers(1, 80), st.floats(0, 120))
def test_erlang_c_properties(calls, period, aht, agents, target):
    e = erlang_c(calls, period, aht, agents, target)
    assert 0 <= e["p_wait"] <= 1 and 0 <= e["service_level"] <= 1 and 0 < e["occupancy"] <= 1
    more = erlang_c(calls, period, aht, agents + 1, target)
    assert more["p_wait"] <= e["p_wait"] + 1e-12 and more["service_level"] >= e["service_level"] - 1e-12
    if e["traffic_erl"] < agents:
        assert e["service_level"] >= 1 - e["p_wait"] - 1e-12  # those who do not wait are all in


@given(st.integers(0, 2**32), st.integers(1, 40), st.integers(0, 60))
def test_summary_properties(seed, n, target):
    rnd = random.Random(seed)
    recs = []
    for i in range(n):
        kind = rnd.choice(["answered", "answered", "abandoned", "ivr", "callback"])
        if kind == "answered":
            recs.append(cdr(i, agent=rnd.choice([ALICE, BOB]), wait=rnd.randint(0, 90), talk=rnd.randint(1, 600),
                            queue=rnd.choice(["sales", "support"])))
        elif kind == "abandoned":
            recs.append(cdr(i, "abandoned", wait=rnd.randint(0, 90)))
        else:
            recs.append(cdr(i, kind, queue=None))
    s = summary(recs, target)
    assert s["answered"] + s["abandoned"] + sum(s["other"].values()) == s["calls"] == n
    if s["answered"]:
        assert 0 <= s["service_level_with_abandoned"] <= s["service_level"] <= 1
        assert sum(a["calls"] for a in s["agents"].values()) == s["answered"]
    assert sum(q["calls"] for q in s["queues"].values()) == s["answered"] + s["abandoned"]


def test_outbound_calls_are_not_inbound_traffic():
    """The board's own calls (direction out, docs/outbound.md) are counted apart: a busy
    number dialled is not an abandoned caller, nor a call in the Erlang figures."""
    out = [dict(cdr(90 + i, "ivr"), direction="out", outcome=o) for i, o in enumerate(["busy", "person", "busy"])]
    s = summary(day() + out, target_s=20)
    assert s == dict(summary(day(), target_s=20), outbound={"busy": 2, "person": 1})
    assert summary(iter(day()), target_s=20)["calls"] == 7 and summary(day())["outbound"] == {}
