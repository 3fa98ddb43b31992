"""`callgate site check SITE.yaml` and `callgate site build SITE.yaml OUT_DIR`: site files.

    callgate site check sites/demo/site.yaml           # "ok": exit 0; else one line per problem, exit 2
    callgate site build sites/demo/site.yaml build/site-demo   # site.json + prompts/*.wav

A problem reads `FILE:LINE: FIELD: message` (docs/site.md). Nothing is written unless the
whole site is valid. With --json, check prints {"ok": bool, "problems": [...]} and build the
bundle's summary.
"""

import json
import sys

from ..site import SiteError, build, load_site


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


def _problems(args, e: SiteError) -> int:
    if args.json:
        print(json.dumps({"ok": False, "problems": [
            {"file": f, "line": n, "field": fld, "message": m} for f, n, fld, m in e.problems]}))
    else:
        for line in str(e).splitlines():
            print(line, file=sys.stderr)
        print(f"callgate: {len(e.problems)} problem(s) in {args.site}", file=sys.stderr)
    return 2


def run_check(args) -> int:
    try:
        site = load_site(args.site, args.boards)
    except SiteError as e:
        return _problems(args, e)
    d = site.data
    if args.json:
        print(json.dumps({"ok": True, "problems": []}))
    else:
        print(f"{args.site}: ok (site {d['site']} on {d['board']}: {len(d['ports'])} ports, "
              f"{len(d['ivr']['menus'])} menus, {len(d.get('queues', {}))} queues, {len(d['prompts'])} prompts)")
    return 0


def run_build(args) -> int:
    try:
        site = load_site(args.site, args.boards)
    except SiteError as e:
        return _problems(args, e)
    b = build(site, args.out)
    ms = sum(p["ms"] for p in b["prompts"].values())
    if args.json:
        print(json.dumps({"ok": True, "out": args.out, "law": b["law"], "prompts": len(b["prompts"]),
                          "prompt_ms": ms}))
    else:
        print(f"{args.out}: site.json and {len(b['prompts'])} prompts ({ms / 1000:.1f} s, 8 kHz {b['law']})")
    return 0
