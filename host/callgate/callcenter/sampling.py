"""Quality review sampling: N recorded calls per agent, drawn at random, and how they were drawn.

    s = draw(records, per_agent=3, seed=7, min_talk_s=30, since_ms=..., until_ms=..., reviewed={...})
    s["calls"]      the chosen records, by agent then arrival
    s["drawn"]      how: the filters, the seed, per agent how many were eligible and chosen

A call is eligible when an agent answered it, it has a recording, it talked at least min_talk_s,
it arrived in [since_ms, until_ms), and its id is not in `reviewed` (the ids of calls already
reviewed). For each agent, min(N, eligible) calls are drawn without replacement by
random.Random(seed) over the agent's eligible ids in sorted order: the same records, seed and
filters give the same sample, and the record of the draw lets anyone check it.
"""

import random

from .stats import talk_s


def eligible(rec, min_talk_s=0.0, since_ms=None, until_ms=None, reviewed=()) -> bool:
    if rec.get("outcome") != "answered" or not rec.get("agent") or not rec.get("recording"):
        return False
    t = talk_s(rec)
    if t is None or t < min_talk_s:
        return False
    arrived = rec.get("arrived") or 0
    if since_ms is not None and arrived < since_ms:
        return False
    if until_ms is not None and arrived >= until_ms:
        return False
    return rec.get("id") not in reviewed


def draw(records, per_agent: int, seed: int, min_talk_s: float = 0.0, since_ms=None, until_ms=None,
         reviewed=()) -> dict:
    if isinstance(per_agent, bool) or not isinstance(per_agent, int) or per_agent < 1:
        raise ValueError(f"per_agent must be a whole number of calls, at least 1, not {per_agent!r}")
    if min_talk_s < 0:
        raise ValueError(f"min_talk_s must be 0 or more seconds, not {min_talk_s!r}")
    reviewed = set(reviewed)
    by_agent = {}
    for r in records:
        if eligible(r, min_talk_s, since_ms, until_ms, reviewed):
            by_agent.setdefault(str(r["agent"]), {})[str(r["id"])] = r
    rng = random.Random(seed)
    calls, per = [], {}
    for agent in sorted(by_agent):
        pool = by_agent[agent]
        ids = sorted(pool)
        chosen = sorted(rng.sample(ids, min(per_agent, len(ids))))
        per[agent] = {"eligible": len(ids), "chosen": chosen}
        calls.extend(sorted((pool[i] for i in chosen), key=lambda r: (r.get("arrived") or 0, str(r["id"]))))
    return {
        "calls": calls,
        "drawn": {"per_agent": per_agent, "seed": seed, "min_talk_s": min_talk_s, "since_ms": since_ms,
                  "until_ms": until_ms, "excluded_reviewed": len(reviewed), "records": len(records),
                  "agents": per, "method": "random.Random(seed).sample over each agent's eligible ids, sorted"},
    }
