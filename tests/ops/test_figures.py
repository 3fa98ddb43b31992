"""The wallboard's windows: today in the site's time zone, the last 60 and 15 minutes."""

from callgate.callcenter.stats import summary
from callgate.callcenter.cdr import from_iso
from callgate.ops.figures import chart, day_start_ms, wallboard_figures
from callgate.ops.store import Store


def rec(i, arrived_iso, outcome="answered", wait_s=10, survey=None):
    a = from_iso(arrived_iso)
    r = {"id": f"0000000a-{i}", "arrived": a, "queued": a + 1000, "outcome": outcome, "queue": "sales",
         "survey": survey, "wrap_s": 5}
    if outcome == "answered":
        r.update(connected=a + 1000 + wait_s * 1000, agent="201", agent_left=a + 60000, ended=a + 61000)
    else:
        r.update(ended=a + 1000 + wait_s * 1000)
    return r


def test_today_starts_at_midnight_in_the_sites_time_zone():
    now = from_iso("2026-11-23T02:30:00Z")  # 10:30 at +08:00
    assert day_start_ms(now, 480) == from_iso("2026-11-23T00:00:00+08:00")
    assert day_start_ms(now, 0) == from_iso("2026-11-23T00:00:00Z")
    assert day_start_ms(now, -300) == from_iso("2026-11-22T00:00:00-05:00")


def test_each_window_is_summary_of_the_calls_that_arrived_in_it(tmp_path):
    s = Store(str(tmp_path / "ops.db"))
    records = [rec(1, "2026-11-22T23:50:00+08:00"),  # yesterday at the site
               rec(2, "2026-11-23T09:00:00+08:00", wait_s=30, survey={"satisfaction": 2}),
               rec(3, "2026-11-23T10:00:00+08:00", outcome="abandoned"),
               rec(4, "2026-11-23T10:20:00+08:00", survey={"satisfaction": 5}),
               rec(5, "2026-11-23T10:28:00+08:00", wait_s=25)]
    s.add_calls("b", records)
    now = from_iso("2026-11-23T10:30:00+08:00")
    f = wallboard_figures(s, now, 20, 480)
    assert f["today"]["calls"] == 4 and f["last_60_min"]["calls"] == 3 and f["last_15_min"]["calls"] == 2
    for name, recs in (("today", records[1:]), ("last_60_min", records[2:]), ("last_15_min", records[3:])):
        want = summary(recs, 20)
        for k in ("answered", "abandoned", "asa_s", "service_level", "service_level_with_abandoned", "aht_s"):
            assert f[name][k] == want[k], (name, k)
    assert f["today"]["abandon_rate"] == 0.25 and f["today"]["survey_average"] == 3.5
    assert f["last_15_min"]["survey_average"] == 5
    buckets = chart(s, now, hours=2)
    assert sum(b["offered"] for b in buckets) == 4 and sum(b["abandoned"] for b in buckets) == 1
