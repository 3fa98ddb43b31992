"""Agent-state records: fetch them from a board, write them as CSV or JSON, sum them per agent.

    with connect(port) as c:
        intervals, bad = fetch(RemoteFiles(c))   # every agents/*.log, by agent then start
    to_text(intervals, "csv")                     # COLUMNS, ISO-8601 UTC times, seconds
    per_agent(intervals)                          # {ext: {"logged_in_s", "ready_s", ...}}

The board (firmware/callgate/agents.py) writes one line per state an agent leaves: the state,
its pause reason, start and end (Unix ms), and the state that came next; "cut": true when the
board lost power during it. An agent's intervals tile their time: logged-in time is the sum
of every interval but logged-out. `agent-log pull` adds each agent's interval still going, up
to the board's now, with "open": true.
"""

import io
import json
import csv

from ..firmware import agents as board
from .cdr import from_iso, iso
from .lines import fetch_folder

FOLDER = board.FOLDER
COLUMNS = ["agent", "name", "port", "state", "reason", "start", "end", "seconds", "next", "next_reason", "cut", "open"]
# What each state counts towards in a summary (ringing counts as ready: the agent was waiting).
TOTALS = {"ready": "ready_s", "ringing": "ready_s", "talking": "talk_s", "wrapup": "wrapup_s",
          "paused": "pause_s", "offhook": "offhook_s"}


def fetch(fs, folder: str = FOLDER) -> tuple:
    """(intervals sorted by agent then start, bad lines) of every *.log in the board's agents/
    folder. fs: a link.files.RemoteFiles."""
    out, bad = fetch_folder(fs, folder)
    return sort(out), bad


def open_intervals(status) -> list:
    """Each agent's interval still going (OP_AGENTS' answer), up to the board's now, marked
    "open": true (the board writes it when the agent leaves that state)."""
    now = status["now"]
    return [{"v": board.VERSION, "agent": a["ext"], "name": a.get("name"), "port": a["port"], "state": a["state"],
             "reason": a.get("reason"), "start": a["since"], "end": max(now, a["since"]), "next": None,
             "next_reason": None, "open": True} for a in status.get("agents", [])]


def sort(intervals) -> list:
    return sorted(intervals, key=lambda r: (str(r.get("agent")), r.get("start") or 0, r.get("end") or 0))


def row(r) -> dict:
    out = {}
    for col in COLUMNS:
        v = r.get(col)
        if col in ("start", "end"):
            out[col] = iso(v)
        elif col == "seconds":
            out[col] = f"{(r['end'] - r['start']) / 1000:.3f}".rstrip("0").rstrip(".")
        elif col in ("cut", "open"):
            out[col] = "true" if v else ""
        else:
            out[col] = "" if v is None else str(v)
    return out


def to_text(intervals, fmt: str) -> str:
    buf = io.StringIO()
    if fmt == "csv":
        w = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
        w.writeheader()
        for r in intervals:
            w.writerow(row(r))
    else:
        json.dump(list(intervals), buf, indent=1, ensure_ascii=False)
        buf.write("\n")
    return buf.getvalue()


def gaps(intervals) -> list:
    """(agent, the interval before, the one after) wherever an agent's intervals do not tile:
    one does not start where the one before ended, or not in the state it named."""
    out = []
    last = {}
    for r in sort(intervals):
        a = r.get("agent")
        p = last.get(a)
        if p is not None and (r["start"] != p["end"] or r["state"] != p["next"] or r.get("reason") != p.get("next_reason")):
            out.append((a, p, r))
        last[a] = r
    return out


def load(path) -> list:
    """Intervals from a file `agent-log pull` wrote: .csv, else JSON. A file that is not one
    is a ValueError naming it."""
    path = str(path)
    what = f"{path}: not agent-state records (a file `callgate agent-log pull` wrote)"
    with open(path, encoding="utf-8", newline="") as f:
        if path.lower().endswith(".csv"):
            reader = csv.DictReader(f)
            if not {"agent", "state", "start", "end"} <= set(reader.fieldnames or ()):
                raise ValueError(what)
            out = []
            for c in reader:
                try:
                    out.append({"agent": c["agent"], "name": c.get("name") or None,
                                "port": int(c["port"]) if c.get("port") else None, "state": c["state"],
                                "reason": c.get("reason") or None, "start": from_iso(c["start"]),
                                "end": from_iso(c["end"]), "next": c.get("next") or None,
                                "next_reason": c.get("next_reason") or None, "cut": c.get("cut") == "true",
                                "open": c.get("open") == "true"})
                except ValueError:
                    raise ValueError(what) from None
            return out
        try:
            data = json.load(f)
        except ValueError:
            raise ValueError(what) from None
    if not isinstance(data, list) or any(not isinstance(r, dict) or not {"agent", "state", "start", "end"} <= set(r)
                                         for r in data):
        raise ValueError(what)
    return data


def per_agent(intervals, since=None, until=None) -> dict:
    """{ext: {"name", "logged_in_s", "ready_s", "talk_s", "wrapup_s", "pause_s", "offhook_s",
    "pause_by_reason": {reason: s}}} from the intervals (clipped to [since, until) in Unix ms).
    Off hook after logged out (keying the login code) counts as logged out."""
    out = {}
    before = {}  # agent -> the state of their interval before this one
    for r in sort(intervals):
        was, before[r["agent"]] = before.get(r["agent"]), r["state"]
        if r["state"] == "offhook" and was == "logged-out":
            before[r["agent"]] = "logged-out"  # picked up while logged out (to log in): not logged-in time
            continue
        start, end = r["start"], r["end"]
        if since is not None:
            start = max(start, since)
        if until is not None:
            end = min(end, until)
        if end <= start or r["state"] == "logged-out":
            continue
        s = (end - start) / 1000
        a = out.setdefault(r["agent"], {"name": r.get("name"), "logged_in_s": 0.0, "ready_s": 0.0, "talk_s": 0.0,
                                          "wrapup_s": 0.0, "pause_s": 0.0, "offhook_s": 0.0, "pause_by_reason": {}})
        a["logged_in_s"] += s
        key = TOTALS.get(r["state"])
        if key:
            a[key] += s
        if r["state"] == "paused":
            reason = r.get("reason") or "?"
            a["pause_by_reason"][reason] = a["pause_by_reason"].get(reason, 0.0) + s
    for a in out.values():
        for k, v in a.items():
            if isinstance(v, float):
                a[k] = round(v, 3)
        a["pause_by_reason"] = {k: round(v, 3) for k, v in sorted(a["pause_by_reason"].items())}
    return dict(sorted(out.items()))
