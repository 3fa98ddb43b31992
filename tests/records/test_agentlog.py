"""Agent-state records on the host (callgate.callcenter.agentlog): CSV and JSON round trips,
the tiling check, per-agent sums by state and pause reason, and `callgate report --agent-log`
with the dispositions of the call records."""

import json

import pytest

from callgate.callcenter import agentlog
from callgate.cli import main as cli_main

T0 = 1795392000000  # 2026-11-23T00:00Z


def iv(state, start_s, end_s, nxt, reason=None, next_reason=None, agent="201", cut=False):
    r = {"v": 1, "agent": agent, "name": "Alice", "port": 5, "state": state, "reason": reason,
         "start": T0 + start_s * 1000, "end": T0 + end_s * 1000, "next": nxt, "next_reason": next_reason}
    if cut:
        r["cut"] = True
    return r


DAY = [
    iv("logged-out", 0, 0, "ready"),
    iv("ready", 0, 60, "ringing"),
    iv("ringing", 60, 65, "talking"),
    iv("talking", 65, 185, "wrapup"),
    iv("wrapup", 185, 195, "ready"),
    iv("ready", 195, 200, "paused", next_reason="lunch"),
    iv("paused", 200, 500, "paused", "lunch", "training"),
    iv("paused", 500, 560, "logged-out", "training", cut=True),
    iv("logged-out", 560, 900, "offhook"),
    iv("offhook", 900, 905, "ready"),  # keying *1 to log in: still logged out
    iv("ready", 905, 1000, "ready"),
]


def test_sums_by_state_and_reason_leave_out_logged_out_time():
    a = agentlog.per_agent(DAY)["201"]
    assert a["logged_in_s"] == 655 and a["ready_s"] == 165 and a["offhook_s"] == 0 and a["talk_s"] == 120 and a["wrapup_s"] == 10
    assert a["pause_s"] == 360 and a["pause_by_reason"] == {"lunch": 300, "training": 60}
    assert agentlog.per_agent(DAY, since=T0 + 300_000)["201"]["pause_s"] == 260


def test_tiling_is_checked():
    assert agentlog.gaps(DAY) == []
    holed = DAY[:3] + DAY[4:]
    assert [(a, p["state"], r["state"]) for a, p, r in agentlog.gaps(holed)] == [("201", "ringing", "wrapup")]
    wrong_reason = DAY[:6] + [dict(DAY[6], reason="training")] + DAY[7:]
    assert len(agentlog.gaps(wrong_reason)) == 1


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_a_pulled_file_loads_back(tmp_path, fmt):
    p = tmp_path / f"agents.{fmt}"
    p.write_text(agentlog.to_text(DAY, fmt))
    back = agentlog.load(p)
    assert [(r["state"], r["reason"], r["start"], r["end"], bool(r.get("cut"))) for r in back] == \
        [(r["state"], r["reason"], r["start"], r["end"], bool(r.get("cut"))) for r in DAY]
    if fmt == "csv":
        assert p.read_text().splitlines()[3].split(",")[7] == "5"  # the ringing interval's seconds


def test_not_agent_records_is_one_clear_error(tmp_path, capsys):
    calls = tmp_path / "calls.json"
    calls.write_text(json.dumps([{"id": "x-1", "arrived": T0, "outcome": "answered", "agent": "201",
                                  "connected": T0 + 1000, "agent_left": T0 + 61000, "ended": T0 + 62000,
                                  "queued": T0, "disposition": "resolved"}]))
    bad = tmp_path / "bad.json"
    bad.write_text('{"state": 1}')
    assert cli_main(["report", str(calls), "--agent-log", str(bad)]) == 2
    assert "not agent-state records" in capsys.readouterr().err


def test_report_adds_agent_time_and_dispositions(tmp_path, capsys):
    calls = tmp_path / "calls.json"
    base = {"arrived": T0, "outcome": "answered", "agent": "201", "agent_name": "Alice", "queued": T0,
            "connected": T0 + 1000, "agent_left": T0 + 61000, "ended": T0 + 62000, "wrap_s": 10}
    calls.write_text(json.dumps([dict(base, id="x-1", disposition="resolved"),
                                 dict(base, id="x-2", disposition="follow-up"),
                                 dict(base, id="x-3", disposition="resolved"), dict(base, id="x-4")]))
    log = tmp_path / "agents.json"
    log.write_text(agentlog.to_text(DAY, "json"))
    assert cli_main(["--json", "report", str(calls), "--agent-log", str(log)]) == 0
    s = json.loads(capsys.readouterr().out)
    assert s["dispositions"] == {"follow-up": 1, "resolved": 2}
    assert s["agents"]["201"]["dispositions"] == {"follow-up": 1, "resolved": 2}
    assert s["agent_time"]["201"]["pause_by_reason"] == {"lunch": 300, "training": 60}
    assert cli_main(["report", str(calls), "--agent-log", str(log)]) == 0
    out = capsys.readouterr().out
    assert "dispositions: follow-up 1, resolved 2" in out and "lunch 300.0 s" in out
