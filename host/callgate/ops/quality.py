"""Quality review: the scorecard from the site file, a call's scores weighed, the worklist.

    card = scorecard("sites/demo/site.yaml")      # the site's `quality:` section, checked
    sc = score(card, {"greeting": 5, "need": 2, ...})  # -> scores, percent, passed, the card
    wl = worklist(store, card, since_ms, until_ms, seed=7, per_agent=2)

A scorecard has criteria, each with a weight and a top score (`max`, default 5): a reviewer
gives each a whole score from 0 to its max, and the call's percent is the weighted mean of
score / max, times 100. A site's `pass_percent` turns that into passed / failed. The card as
scored (ids, labels, weights, maxes) is stored with each scorecard, so a site file changed
later leaves the old scores meaning what they meant.

The worklist is `callgate recordings sample` (callcenter/sampling.py) over the call records in
the store: per agent, `per_agent` recorded, answered calls with at least `min_talk_s` of talk,
drawn with the seed; each call comes with its scorecards so far, so the list stays the same
while it is worked through. The same store, period and seed give the same list (and the
draw is returned with it, as the command writes it).
"""

from ..callcenter import sampling
from ..site import schema as S


class ScoreError(ValueError):
    """Scores that do not fit the card (the API's 400)."""


def card_from_site_data(data: dict):
    """The scorecard of a site's data (already checked), or None when it has no `quality`."""
    q = data.get("quality")
    if not q:
        return None
    return {"criteria": [{"id": c["id"], "label": c["label"], "weight": c["weight"], "max": c.get("max", S.QUALITY_MAX)}
                         for c in q["criteria"]],
            "per_agent": q.get("per_agent", 3), "min_talk_s": q.get("min_talk_s", 0),
            "pass_percent": q.get("pass_percent")}


def scorecard(site_path: str):
    """The scorecard of a site file (SiteError, with file:line, for a bad one); None without one."""
    from ..site import load_site

    return card_from_site_data(load_site(site_path).data)


def score(card: dict, scores) -> dict:
    """Weigh one review: every criterion scored, a whole number from 0 to its max."""
    if not isinstance(scores, dict):
        raise ScoreError("\"scores\" must be an object: {criterion id: score}")
    known = {c["id"] for c in card["criteria"]}
    unknown = sorted(set(scores) - known)
    if unknown:
        raise ScoreError(f"no criterion {unknown[0]!r} on the scorecard (it has {', '.join(sorted(known))})")
    total = weights = 0.0
    out = {}
    for c in card["criteria"]:
        v = scores.get(c["id"])
        if v is None:
            raise ScoreError(f"{c['id']!r} ({c['label']}) is not scored")
        if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= c["max"]:
            raise ScoreError(f"{c['id']!r}: {v!r} is not a whole score from 0 to {c['max']}")
        out[c["id"]] = v
        total += c["weight"] * v / c["max"]
        weights += c["weight"]
    percent = round(100.0 * total / weights, 1)
    passed = None if card.get("pass_percent") is None else percent >= card["pass_percent"]
    return {"scores": out, "percent": percent, "passed": passed,
            "card": [{k: c[k] for k in ("id", "label", "weight", "max")} for c in card["criteria"]]}


def worklist(store, card: dict, since_ms=None, until_ms=None, seed: int = 0, per_agent=None, min_talk_s=None) -> dict:
    """The calls to review (sampling.draw over the store's records) and how they were drawn;
    each call with "scorecards" (those saved so far)."""
    records = store.calls(since_ms=since_ms, until_ms=until_ms)
    s = sampling.draw(records, per_agent or card["per_agent"], seed,
                      card["min_talk_s"] if min_talk_s is None else min_talk_s, since_ms, until_ms)
    cards = {}
    for sc in store.scorecards(calls=[r["id"] for r in s["calls"]]):
        cards.setdefault(sc["call"], []).append(sc)
    for r in s["calls"]:
        r["scorecards"] = cards.get(r["id"], [])
    done = sum(1 for r in s["calls"] if r["scorecards"])
    return {"calls": s["calls"], "drawn": s["drawn"], "done": done, "to_do": len(s["calls"]) - done}
