"""Quality review sampling (callcenter/sampling.py): properties over random call records, and
the CLI on a file."""

import json
import subprocess
import sys

from hypothesis import given, settings, strategies as st

from callgate.callcenter.sampling import draw, eligible

AGENTS = ["201", "202", "203"]


@st.composite
def record(draw_, i):
    answered = draw_(st.booleans())
    connected = 1_000_000 + i * 60_000
    return {"id": f"b-{i}", "arrived": connected - draw_(st.integers(1000, 50_000)),
            "outcome": "answered" if answered else draw_(st.sampled_from(["abandoned", "ivr", "callback"])),
            "agent": draw_(st.sampled_from(AGENTS)) if answered else None,
            "connected": connected if answered else None,
            "agent_left": connected + draw_(st.integers(0, 300_000)) if answered else None,
            "ended": connected + 400_000, "wrap_s": 10,
            "recording": f"rec/b-{i}.wav" if answered and draw_(st.booleans()) else None}


records = st.integers(0, 40).flatmap(lambda n: st.tuples(*[record(i) for i in range(n)]).map(list))


@settings(max_examples=150, deadline=None)
@given(records, st.integers(1, 5), st.integers(0, 2**32), st.floats(0, 200), st.data())
def test_a_sample_keeps_its_promises(recs, n, seed, min_talk, data):
    reviewed = data.draw(st.sets(st.sampled_from([r["id"] for r in recs]))) if recs else set()
    s = draw(recs, n, seed, min_talk_s=min_talk, reviewed=reviewed)
    ids = [r["id"] for r in s["calls"]]
    assert len(ids) == len(set(ids))
    for r in s["calls"]:  # every chosen call passes every filter
        assert eligible(r, min_talk, None, None, reviewed) and r["id"] not in reviewed
    for agent in AGENTS:
        pool = [r for r in recs if r["agent"] == agent and eligible(r, min_talk, None, None, reviewed)]
        mine = [r for r in s["calls"] if r["agent"] == agent]
        assert len(mine) == min(n, len(pool))  # N each, or all there are
        if pool:
            assert s["drawn"]["agents"][agent] == {"eligible": len(pool), "chosen": sorted(r["id"] for r in mine)}
    assert draw(recs, n, seed, min_talk_s=min_talk, reviewed=reviewed) == s  # the seed repeats the draw


def test_the_time_window_and_bad_arguments():
    recs = [{"id": f"x-{i}", "arrived": i * 1000, "outcome": "answered", "agent": "201", "connected": i * 1000 + 5,
             "agent_left": i * 1000 + 60_005, "recording": f"rec/x-{i}.wav"} for i in range(10)]
    s = draw(recs, 10, 1, since_ms=3000, until_ms=6000)
    assert [r["id"] for r in s["calls"]] == ["x-3", "x-4", "x-5"]
    for bad in (0, -1, True, 1.5):
        try:
            draw(recs, bad, 1)
        except ValueError as e:
            assert "per_agent" in str(e)
        else:
            raise AssertionError(f"per_agent={bad!r} accepted")


def test_cli_writes_the_sample_and_how_it_was_drawn(tmp_path):
    recs = [{"id": f"x-{i}", "arrived": 1795420800000 + i * 1000, "outcome": "answered", "agent": "20" + str(i % 2 + 1),
             "connected": 1795420800000 + i * 1000, "agent_left": 1795420800000 + i * 1000 + 90_000,
             "recording": f"rec/x-{i}.wav"} for i in range(8)]
    cdr = tmp_path / "calls.json"
    cdr.write_text(json.dumps(recs))
    (tmp_path / "reviewed.txt").write_text("x-0\nx-1\n")
    out = tmp_path / "sample.json"
    cmd = [sys.executable, "-m", "callgate", "recordings", "sample", str(cdr), "--per-agent", "2", "--seed", "9",
           "--reviewed", str(tmp_path / "reviewed.txt"), "-o", str(out)]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    s = json.loads(out.read_text())
    assert {c["agent"] for c in s["calls"]} == {"201", "202"} and len(s["calls"]) == 4
    assert not {"x-0", "x-1"} & {c["id"] for c in s["calls"]}
    assert s["drawn"]["seed"] == 9 and s["drawn"]["excluded_reviewed"] == 2
    assert "agent 201: 2 of 3 eligible" in r.stderr
    r = subprocess.run(cmd[:-2] + ["--since", "soon"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "--since 'soon' is not an ISO 8601 time" in r.stderr
