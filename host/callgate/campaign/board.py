"""The files a campaign is planned from on the board (firmware/callgate/campaigns.py reads
them): cp/NAME.json (the settings), cp/NAME.contacts (one fixed-width line per contact, found
by seek) and cp/NAME.dnc (the do-not-call numbers, sorted, fixed-width, searched by seek).

    files(campaign) -> {"cp/autumn.json": b"...", "cp/autumn.contacts": b"...", "cp/autumn.dnc": b"..."}
"""

import json

from ..firmware import campaigns as fw
from ..site.check import _minutes
from ..site.schema import DAYS
from . import schema as S


def settings(c) -> dict:
    """cp/NAME.json's dict: the campaign file with its defaults filled in, in the board's units."""
    d = c.data
    start, end = (d.get("window") or S.DEFAULT_WINDOW).split("-")
    retry = {o: (r["after_s"], r["attempts"]) for o, r in d.get("retry", {}).items()}
    rules = dict(S.DEFAULT_RETRY, **retry)
    out = {"name": c.name, "kind": c.kind, "window": [_minutes(start), _minutes(end)],
           "days": [DAYS.index(x) for x in d.get("days", DAYS)], "attempts": d.get("attempts", 3),
           "lines": d.get("lines", 1), "retry": {o: [s * 1000, n] for o, (s, n) in sorted(rules.items())},
           "contacts": len(c.contacts), "dnc": len(c.dnc)}
    section = S.SECTION[c.kind]
    body = dict(d[section])
    if c.kind == "survey":
        body["questions"] = [dict(q, min=q.get("min", 1), max=q.get("max", 5)) for q in body["questions"]]
    if c.kind == "agent-connected":
        body.setdefault("max_abandon_pct", 3)
    out[section] = body
    return out


def files(c) -> dict:
    base = f"{fw.FOLDER}/{c.name}"
    return {
        base + ".json": json.dumps(settings(c), separators=(",", ":")).encode(),
        base + ".contacts": b"".join(fw.contact_line(x.number, x.offset_min) for x in c.contacts),
        base + ".dnc": b"".join(fw.dnc_line(n) for n in sorted(c.dnc)),
    }

