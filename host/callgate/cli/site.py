"""`callgate site check SITE.yaml` and `callgate site build SITE.yaml OUT_DIR`: site files.

    callgate site check sites/demo/site.yaml           # "ok": exit 0; else one line per problem, exit 2
    callgate site build sites/demo/site.yaml build/site-demo   # site.json + prompts/*.wav

A problem reads `FILE:LINE: FIELD: message` (docs/site.md). Nothing is written unless the
whole site is valid. With --json, check prints {"ok": bool, "problems": [...]} and build the
bundle's summary.
"""

import sys

from ..site import SiteError, build, load_site
from .output import emit, wants_json


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("site", help="check or compile a site file (ports, IVR, queues, hours)",
                              description=__doc__)
    sub = p.add_subparsers(dest="site_command", metavar="[check|build]", required=True)
    c = sub.add_parser("check", help="validate a site file", description=__doc__)
    c.add_argument("site", help="the site file (YAML)")
    c.add_argument("--boards", metavar="DIR", help="board definitions (default: the source tree's boards/)")
    c.set_defaults(func=run_check)
    b = sub.add_parser("build", help="validate, then write the compiled site and its prompts", description=__doc__)
    b.add_argument("site", help="the site file (YAML)")
    b.add_argument("out", help="output folder (created): site.json and prompts/")
    b.add_argument("--boards", metavar="DIR", help="board definitions (default: the source tree's boards/)")
    b.set_defaults(func=run_build)


def problems(args, e, after: str = "", file=None) -> int:
    """An invalid site (or campaign: any error with .problems, the file it read named by
    `file`): with --json {"ok": false, "error", "problems": [...]} on standard output, else
    one line per problem on standard error. Exit 2."""
    summary = f"{len(e.problems)} problem(s) in {file or args.site}{after}"
    if wants_json(args):
        emit(args, {"ok": False, "error": summary, "problems": [
            {"file": f, "line": n, "field": fld, "message": m} for f, n, fld, m in e.problems]})
    else:
        for line in str(e).splitlines():
            print(line, file=sys.stderr)
        print(f"callgate: {summary}", file=sys.stderr)
    return 2


def run_check(args) -> int:
    try:
        site = load_site(args.site, args.boards)
    except SiteError as e:
        return problems(args, e)
    d = site.data
    emit(args, {"ok": True, "problems": [], "site": d["site"], "board": d["board"], "ports": len(d["ports"]),
                "menus": len(d["ivr"]["menus"]), "queues": len(d.get("queues", {})), "prompts": len(d["prompts"])},
         f"{args.site}: ok (site {d['site']} on {d['board']}: {len(d['ports'])} ports, "
         f"{len(d['ivr']['menus'])} menus, {len(d.get('queues', {}))} queues, {len(d['prompts'])} prompts)")
    return 0


def run_build(args) -> int:
    try:
        site = load_site(args.site, args.boards)
    except SiteError as e:
        return problems(args, e)
    b = build(site, args.out)
    ms = sum(p["ms"] for p in b["prompts"].values())
    emit(args, {"ok": True, "out": args.out, "law": b["law"], "prompts": len(b["prompts"]), "prompt_ms": ms},
         f"{args.out}: site.json and {len(b['prompts'])} prompts ({ms / 1000:.1f} s, 8 kHz {b['law']})")
    return 0
