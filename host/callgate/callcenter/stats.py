"""Call-center figures from call records, and Erlang C (docs/callcenter.md, REFERENCE.md).

    s = summary(records, target_s=20)   # calls, answered, abandoned, ASA, service level (both
                                        # definitions), AHT, per queue, per agent, survey,
                                        # dispositions (overall and per agent)
    erlang_c(calls=100, period_s=1800, aht_s=180, agents=14, target_s=20)
        -> {"traffic_erl": 10.0, "p_wait": 0.17413, "service_level": 0.88835,
            "asa_s": 7.836, "occupancy": 0.7143}

A record's times are Unix milliseconds (null: the step did not happen). Wait = connected -
queued, or ended - queued when the caller abandoned; talk = agent_left - connected (ended when
agent_left is missing); handling time = talk + wrap_s. "Answered" means answered by an agent
(outcome "answered"); "abandoned" means the caller hung up while queued or offered. Service
level counts the answered calls that waited at most target_s, over the answered calls (the
first definition) and over answered + abandoned (the second, which counts every abandon as a
miss).
"""

import math


def _span_s(a, b):
    if a is None or b is None:
        return None
    return max(0, b - a) / 1000.0


def wait_s(rec):
    """Seconds in queue: until connected, or until the caller gave up; None if never queued."""
    q = rec.get("queued")
    if q is None:
        return None
    if rec.get("connected") is not None:
        return _span_s(q, rec["connected"])
    if rec.get("outcome") == "abandoned":
        return _span_s(q, rec.get("ended"))
    return None


def talk_s(rec):
    """Seconds connected to an agent; None if never connected."""
    c = rec.get("connected")
    if c is None:
        return None
    end = rec.get("agent_left")
    return _span_s(c, end if end is not None else rec.get("ended"))


def handle_s(rec):
    """Talk plus wrap-up seconds; None if never connected."""
    t = talk_s(rec)
    return None if t is None else t + (rec.get("wrap_s") or 0)


def _mean(xs):
    xs = [x for x in xs if x is not None]
    return sum(xs) / len(xs) if xs else None


def _figures(recs, target_s):
    answered = [r for r in recs if r.get("outcome") == "answered"]
    abandoned = [r for r in recs if r.get("outcome") == "abandoned"]
    waits = [wait_s(r) for r in answered]
    within = sum(1 for w in waits if w is not None and w <= target_s)
    n_ans, n_ab = len(answered), len(abandoned)
    return {
        "calls": len(recs),
        "answered": n_ans,
        "abandoned": n_ab,
        "asa_s": _mean(waits),
        "answered_within": within,
        "service_level": within / n_ans if n_ans else None,
        "service_level_with_abandoned": within / (n_ans + n_ab) if n_ans + n_ab else None,
        "aht_s": _mean(handle_s(r) for r in answered),
        "abandon_wait_s": _mean(wait_s(r) for r in abandoned),
    }


def _survey(recs):
    out = {}
    for r in recs:
        for q, v in (r.get("survey") or {}).items():
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                out.setdefault(q, []).append(v)
    return {q: {"count": len(vs), "average": sum(vs) / len(vs)} for q, vs in sorted(out.items())}


def summary(records, target_s: float = 20) -> dict:
    """The figures of a list of CDRs (dicts as the board stores them). Calls the board made
    (direction "out", docs/outbound.md) are not inbound traffic: they are only counted, by
    outcome, in "outbound"."""
    records = list(records)
    recs = [r for r in records if r.get("direction") != "out"]
    outbound = {}
    for r in records:
        if r.get("direction") == "out":
            o = r.get("outcome") or "unknown"
            outbound[o] = outbound.get(o, 0) + 1
    out = _figures(recs, target_s)
    out["outbound"] = dict(sorted(outbound.items()))
    out["target_s"] = target_s
    outcomes = {}
    for r in recs:
        o = r.get("outcome") or "unknown"
        outcomes[o] = outcomes.get(o, 0) + 1
    out["outcomes"] = dict(sorted(outcomes.items()))
    out["other"] = {k: v for k, v in out["outcomes"].items() if k not in ("answered", "abandoned")}
    arrived = [r["arrived"] for r in recs if r.get("arrived") is not None]
    out["first"], out["last"] = (min(arrived), max(arrived)) if arrived else (None, None)
    out["survey"] = _survey(recs)
    queues = {}
    for r in recs:
        if r.get("queue"):
            queues.setdefault(r["queue"], []).append(r)
    out["queues"] = {q: _figures(rs, target_s) for q, rs in sorted(queues.items())}
    agents = {}
    for r in recs:
        if r.get("agent") and r.get("connected") is not None:
            agents.setdefault(r["agent"], []).append(r)
    out["agents"] = {}
    for ext, rs in sorted(agents.items()):
        talk = [talk_s(r) for r in rs]
        out["agents"][ext] = {
            "name": next((r.get("agent_name") for r in reversed(rs) if r.get("agent_name")), None),
            "calls": len(rs),
            "talk_s": sum(t for t in talk if t is not None),
            "average_talk_s": _mean(talk),
            "aht_s": _mean(handle_s(r) for r in rs),
            "survey": _survey(rs),
            "dispositions": _dispositions(rs),
        }
    out["dispositions"] = _dispositions(recs)
    return out


def _dispositions(recs):
    """{disposition: calls} of the records an agent keyed one for."""
    out = {}
    for r in recs:
        d = r.get("disposition")
        if d:
            out[d] = out.get(d, 0) + 1
    return dict(sorted(out.items()))


def erlang_b(traffic_erl: float, agents: int) -> float:
    """Erlang B blocking probability (the stable recurrence, no factorials)."""
    b = 1.0
    for k in range(1, agents + 1):
        b = traffic_erl * b / (k + traffic_erl * b)
    return b


def erlang_c(calls: float, period_s: float, aht_s: float, agents: int, target_s: float = 20) -> dict:
    """Erlang C for `calls` arriving in `period_s` seconds, each handled in `aht_s` seconds on
    average, by `agents` agents: the chance a caller waits, the share answered within
    target_s, the average speed of answer and the agents' occupancy. With no more agents
    than Erlang of traffic the queue grows without end: p_wait 1, service level 0, ASA inf."""
    if period_s <= 0 or aht_s <= 0 or agents < 0 or calls < 0:
        raise ValueError("erlang_c: period and handling time must be > 0, calls and agents >= 0")
    a = calls * aht_s / period_s
    out = {"traffic_erl": a, "agents": agents}
    if agents <= a:
        out.update(p_wait=1.0, service_level=0.0, asa_s=math.inf, occupancy=1.0 if agents else math.inf)
        return out
    b = erlang_b(a, agents)
    c = agents * b / (agents - a * (1 - b))
    out.update(
        p_wait=c,
        service_level=1 - c * math.exp(-(agents - a) * target_s / aht_s),
        asa_s=c * aht_s / (agents - a),
        occupancy=a / agents,
    )
    return out


def agents_for(calls: float, period_s: float, aht_s: float, service_level: float = 0.8,
               target_s: float = 20, limit: int = 10000) -> int:
    """The fewest agents for which Erlang C reaches service_level within target_s."""
    n = max(1, math.floor(calls * aht_s / period_s) + 1)
    while n <= limit:
        if erlang_c(calls, period_s, aht_s, n, target_s)["service_level"] >= service_level:
            return n
        n += 1
    raise ValueError(f"more than {limit} agents needed")
