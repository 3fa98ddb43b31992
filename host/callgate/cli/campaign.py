"""`callgate campaign ...`: outbound campaigns (docs/outbound.md, Campaigns).

    callgate campaign check campaigns/autumn-survey.yaml --site sites/demo/site.yaml
    callgate --port P campaign load campaigns/autumn-survey.yaml [--site SITE]
    callgate --port P campaign start|pause|stop|status autumn-survey
    callgate --port P campaign results autumn-survey -o results.csv

check: "ok" and the numbers (contacts to call, those on a do-not-call list, the window): exit 0;
else one `FILE:LINE: FIELD: message` line per problem, exit 2. With --site, the prompts and the
queue the campaign names must be the site's. load: checks the file, then puts the campaign's
files on the board (cp/NAME.json, .contacts, .dnc) and has the board read them; a campaign of
that name already on the board with other settings or contacts is refused (its progress
belongs to its list: give the new one another name). start, pause, stop: the board dials while
it runs (in each callee's window); status: contacts pending, dialling, retry, done, failed, on
the do-not-call list, attempts and outcomes. results: one CSV row per contact (the board's
journal, cp/NAME.log): number, state, attempts, last outcome, answers.
"""

import csv
import io
import json

from ..campaign import CampaignError, load_campaign
from ..campaign.board import files as board_files
from ..callcenter.lines import parse
from ..firmware import campaigns as fw
from ..firmware.link import messages
from ..firmware.link.errors import RemoteError
from ..link.files import RemoteFiles
from ..site import SiteError, load_site
from ._board import add_link_arguments, board_link
from .errors import UsageError
from .output import emit, write_output
from .site import problems


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("campaign", help="outbound campaigns: check, load, run, results", description=__doc__)
    sub = p.add_subparsers(dest="campaign_command", metavar="[check|load|start|pause|stop|status|results]",
                           required=True)
    c = sub.add_parser("check", help="validate a campaign file, its contacts and do-not-call lists",
                       description=__doc__)
    c.add_argument("file", help="the campaign file (YAML)")
    c.add_argument("--site", metavar="SITE", help="the site file whose prompts and queues it uses")
    c.set_defaults(func=run_check)
    c = sub.add_parser("load", help="check a campaign file and put it on the board", description=__doc__)
    add_link_arguments(c)
    c.add_argument("file", help="the campaign file (YAML)")
    c.add_argument("--site", metavar="SITE", help="the site file whose prompts and queues it uses")
    c.set_defaults(func=run_load)
    for do, what in (("start", "let the board dial the campaign"), ("pause", "stop dialling for now"),
                     ("stop", "stop dialling"), ("status", "the campaign's progress")):
        c = sub.add_parser(do, help=what, description=__doc__)
        add_link_arguments(c)
        c.add_argument("name", type=_name, help="the campaign's name")
        c.set_defaults(func=run_do, do=do)
    c = sub.add_parser("results", help="one CSV row per contact", description=__doc__)
    add_link_arguments(c)
    c.add_argument("name", type=_name, help="the campaign's name")
    c.add_argument("-o", "--output", required=True, metavar="FILE", help="the CSV to write (- for standard output)")
    c.set_defaults(func=run_results)


def _name(text: str) -> str:
    import argparse
    import re

    if not re.fullmatch(r"[a-z][a-z0-9_-]{0,31}", text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a campaign name (a lowercase letter, then up to 31 "
                                         "of a-z 0-9 _ -)")
    return text


def run_check(args) -> int:
    site = None
    if args.site:
        try:
            site = load_site(args.site)
        except SiteError as e:
            return problems(args, e, " (the campaign's --site)")
    try:
        c = load_campaign(args.file, site)
    except CampaignError as e:
        return problems(args, e, file=args.file)
    d = c.data
    window = d.get("window", "08:00-21:00")
    checked = "prompts checked against " + args.site if site else "prompts not checked (no --site)"
    emit(args, {"ok": True, "problems": [], "campaign": c.name, "kind": c.kind, "contacts": len(c.contacts),
                "do_not_call": len(c.skipped), "window": window, "site_checked": site is not None},
         f"{args.file}: ok ({c.kind} campaign {c.name}: {len(c.contacts)} contacts to call, "
         f"{len(c.skipped)} on a do-not-call list, window {window} callee time; {checked})")
    return 0


def _check(args):
    site = load_site(args.site) if args.site else None
    return load_campaign(args.file, site)


def _say(args, st, what) -> None:
    outcomes = ", ".join(f"{k} {v}" for k, v in sorted(st.get("outcomes", {}).items())) or "none yet"
    abandoned = ""
    if "abandoned" in st:  # agent-connected: the FTC rule's figure
        pct = 100 * st["abandoned"] / st["persons"] if st["persons"] else 0
        abandoned = f"; {st['abandoned']} abandoned of {st['persons']} persons answered ({pct:.1f} %)"
    emit(args, st, f"campaign {st['name']} ({st.get('kind')}) {what}: {st['run']}; {st['contacts']} contacts: "
                   f"{st['pending']} pending, {st['dialing']} dialling, {st['retry']} to retry, {st['done']} done, "
                   f"{st['failed']} failed, {st['dnc']} do-not-call; {st['attempts']} attempts; outcomes: {outcomes}"
                   f"{abandoned}")


def _request(c, value):
    try:
        return c.request(messages.OP_CAMPAIGN, value)
    except RemoteError as e:
        if e.code == messages.ERR_UNKNOWN_OP:
            raise UsageError("campaign: this board's firmware has no campaigns (update it: callgate deploy)") from None
        raise UsageError(f"campaign {value.get('do')}: {e.message}") from None


def run_load(args) -> int:
    try:
        c = _check(args)
    except SiteError as e:
        return problems(args, e, " (the campaign's --site)")
    except CampaignError as e:
        return problems(args, e, file=args.file)
    out = board_files(c)
    with board_link(args) as link:
        fs = RemoteFiles(link)
        settings = f"{fw.FOLDER}/{c.name}.json"
        try:
            there = fs.read(settings)
        except RemoteError as e:
            if e.code != messages.ERR_NOT_FOUND:
                raise
            there = None
        contacts = f"{fw.FOLDER}/{c.name}.contacts"
        if there is not None and (there != out[settings] or fs.sha256(contacts) != _sha(out[contacts])):
            raise UsageError(f"campaign load: {c.name} is on the board with other settings or contacts; its "
                             "progress belongs to that list: give the new campaign another name")
        if there is None:
            for path in (contacts, f"{fw.FOLDER}/{c.name}.dnc", settings):  # the settings last: they make it one
                fs.upload(path, out[path])
        st = _request(link, {"do": "load", "name": c.name})
    _say(args, st, "loaded")
    return 0


def _sha(data: bytes) -> bytes:
    import hashlib

    return hashlib.sha256(data).digest()


def run_do(args) -> int:
    with board_link(args) as link:
        st = _request(link, {"do": args.do, "name": args.name})
    _say(args, st, {"start": "started", "pause": "paused", "stop": "stopped", "status": "is"}[args.do])
    return 0


def run_results(args) -> int:
    with board_link(args) as link:
        st = _request(link, {"do": "status", "name": args.name})
        fs = RemoteFiles(link)
        contacts = fs.read(f"{fw.FOLDER}/{args.name}.contacts")
        try:
            journal = fs.read(f"{fw.FOLDER}/{args.name}.log")
        except RemoteError as e:
            if e.code != messages.ERR_NOT_FOUND:
                raise
            journal = b""
    rows = results(contacts, journal)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["contact", "number", "state", "attempts", "outcome", "answers"])
    for r in rows:
        w.writerow([r["contact"], r["number"], r["state"], r["attempts"], r["outcome"] or "",
                    json.dumps(r["answers"], sort_keys=True) if r["answers"] else ""])
    write_output(args.output, buf.getvalue())
    emit(args, {"name": args.name, "output": args.output, "contacts": len(rows), "status": st},
         f"{args.output}: {len(rows)} contacts of campaign {args.name}")
    return 0


def results(contacts: bytes, journal: bytes) -> list:
    """One dict per contact from the board's files: its last journal line says where it is."""
    rows = []
    for i in range(len(contacts) // fw.CONTACT_LINE):
        raw = contacts[i * fw.CONTACT_LINE:(i + 1) * fw.CONTACT_LINE]
        rows.append({"contact": i, "number": raw[:fw.NUMBER_WIDTH].decode().strip(), "state": "pending",
                     "attempts": 0, "outcome": None, "answers": None})
    records, _ = parse(journal, "journal")
    for r in records:
        k = r.get("c")
        if isinstance(k, int) and 0 <= k < len(rows):
            row = rows[k]
            row["state"] = r.get("s", row["state"])
            row["attempts"] = r.get("a", row["attempts"])
            if r.get("o") is not None:
                row["outcome"] = r["o"]
            if r.get("r") is not None:
                row["answers"] = r["r"]
    return rows
