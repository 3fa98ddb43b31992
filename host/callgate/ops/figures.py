"""The wallboard's figures from the stored call records, by callcenter/stats.py (the same
code as `callgate report`, so the totals agree on the same records).

    wallboard_figures(store, now_ms, target_s=20) -> {"today": summary, "last_60_min": ..., "last_15_min": ...}

"Today" starts at midnight in the site's time zone (its hours' utc_offset; else the host's) on the boards' clock (now_ms: see
live.Floor.board_now_ms); a window takes the calls that arrived in it.
"""

import datetime

from ..callcenter.stats import summary

WINDOWS = (("today", None), ("last_60_min", 60), ("last_15_min", 15))


def day_start_ms(now_ms: float, utc_offset_min=None) -> int:
    """Midnight before now_ms in the site's time zone (a UTC offset in minutes), else the host's."""
    if utc_offset_min is None:
        tz = None
    else:
        tz = datetime.timezone(datetime.timedelta(minutes=utc_offset_min))
    t = datetime.datetime.fromtimestamp(now_ms / 1000, tz).astimezone(tz)
    return int(t.replace(hour=0, minute=0, second=0, microsecond=0).timestamp() * 1000)


def wallboard_figures(store, now_ms: float, target_s: float = 20, utc_offset_min=None) -> dict:
    start = day_start_ms(now_ms, utc_offset_min)
    today = [r for r in store.calls(since_ms=start)]
    out = {}
    for name, minutes in WINDOWS:
        since = start if minutes is None else now_ms - minutes * 60000
        recs = [r for r in today if (r.get("arrived") or 0) >= since]
        s = summary(recs, target_s)
        survey = s["survey"]
        s["survey_average"] = (sum(v["average"] * v["count"] for v in survey.values())
                               / sum(v["count"] for v in survey.values())) if survey else None
        s["abandon_rate"] = s["abandoned"] / s["calls"] if s["calls"] else None
        out[name] = s
    out["since_ms"] = start
    return out


def chart(store, now_ms: float, hours: int = 4, bucket_min: int = 15) -> list:
    """Offered / answered / abandoned per bucket over the last hours (oldest first)."""
    since = now_ms - hours * 3600000
    step = bucket_min * 60000
    first = int(since // step * step)
    buckets = [{"start": first + i * step, "offered": 0, "answered": 0, "abandoned": 0}
               for i in range(int((now_ms - first) // step) + 1)]
    for r in store.calls(since_ms=first):
        i = int((r["arrived"] - first) // step)
        if 0 <= i < len(buckets):
            b = buckets[i]
            b["offered"] += 1
            if r.get("outcome") in ("answered", "abandoned"):
                b[r["outcome"]] += 1
    return buckets
