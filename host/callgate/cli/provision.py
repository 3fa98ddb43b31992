"""`callgate --port P provision SITE.yaml [--dry-run]` and `callgate --port P config pull`.

    callgate --port P provision sites/demo/site.yaml --dry-run   # what would change
    callgate --port P provision sites/demo/site.yaml             # send, verify, switch, reload
    callgate --port P config pull [-o FILE|-] [--prompts DIR]    # the site.yaml the board runs

provision checks the site first (an invalid one: the problems as `site check` prints them,
exit 2, nothing sent) and refuses a site for another board. It builds the site, shows what
changes against the board's current site (per section, and prompts by sha256), sends only
what the board lacks into site/<id>/ (resumable, verified), switches site.json atomically and
asks the board to load it (OP_SITE_RELOAD); a board that cannot says so and loads it at its
next boot. docs/callcenter.md, Host tools.
"""

import argparse
import sys

from ..link.files import RemoteFiles
from ..provision import provision, pull_config, pull_prompts
from ..site import SiteError, load_site
from ._board import add_link_arguments, add_pull_command, board_link
from .output import emit, is_stdout, wants_json, write_output
from .site import problems


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("provision", help="put a site on a board (diff, verified, atomic, reload)",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_link_arguments(p)
    p.add_argument("site", help="the site file (YAML)")
    p.add_argument("--boards", metavar="DIR", help="board definitions (default: the source tree's boards/)")
    p.add_argument("--dry-run", action="store_true", help="show what would change, change nothing")
    p.add_argument("--reload", action="store_true", help="ask the board to reload its site even when up to date")
    p.set_defaults(func=run_provision)

    pull, _ = add_pull_command(subparsers, "config", "read the site a board runs back from it",
                            "the board's site.yaml (and prompts)", __doc__, run_pull)
    pull.add_argument("-o", "--output", metavar="FILE", help="write site.yaml here (default, or -: standard output)")
    pull.add_argument("--prompts", metavar="DIR", help="also download the prompts as DIR/NAME.wav")


def _names(d: dict) -> str:
    parts = []
    for what, sign in (("added", "+"), ("removed", "-"), ("changed", "~")):
        parts.extend(sign + n for n in d.get(what, []))
    return " ".join(parts)


def print_plan(r: dict) -> None:
    was = (f"was {r['previous']}" if r["previous"] else "the board had no site" if not r["had_site"]
           else "was unreadable" if r.get("unreadable") else "was a site in the flash root")
    print(f"board {r['board']}: site {r['site']} -> {r['dir']} ({was})")
    if r.get("unreadable"):
        print(f"  the board's site.json was unreadable: {r['unreadable']}")
    if r["up_to_date"]:
        return
    if not r["changes"] and not any(r["prompts"].values()):
        print("  no change to the site (its files are sent again)")
    for section, d in r["changes"].items():
        print(f"  {section}: {_names(d)}")
    if any(r["prompts"].values()):
        print(f"  prompts: {_names(r['prompts'])}")
    if r["send"]:
        print(f"  send: {len(r['send'])} file(s), {r['bytes_to_send']} bytes: {', '.join(r['send'])}")
    if r["copy"]:
        print(f"  unchanged (copied on the board): {len(r['copy'])} file(s)")
    if r["have"]:
        print(f"  already on the board: {len(r['have'])} file(s)")


def run_provision(args) -> int:
    try:
        site = load_site(args.site, args.boards)
    except SiteError as e:
        return problems(args, e, ": nothing sent")
    json_out = wants_json(args)
    with board_link(args) as c:
        quiet = json_out or not sys.stderr.isatty()
        r = provision(c, site, dry_run=args.dry_run, out=None if quiet else sys.stderr, force_reload=args.reload)
    if json_out:
        emit(args, r)
        return 0
    print_plan(r)
    if r["up_to_date"]:
        print("up to date: nothing to do" + ("" if "reload" in r else " (--reload asks the board to load it again)"))
    elif r["dry_run"]:
        print(f"dry run: {r['bytes_to_send']} bytes would be sent, nothing changed")
        return 0
    else:
        print(f"sent {r['sent']} bytes, {r['verified']} files verified on the board, site.json switched "
              f"in {r['transfer_s']:.2f} s")
    if "reload" in r:
        rl = r["reload"]
        if "error" in rl:
            why = "the board does not know OP_SITE_RELOAD" if rl.get("unknown_op") else f"reload refused: {rl['error']}"
            print(f"site stored; it applies at the board's next boot ({why})")
        elif rl.get("pending"):
            print(f"site stored; the board loads {rl.get('site')} when its last call ends")
        else:
            print(f"site {rl.get('site')} applied" if rl.get("applied") else f"board replied {rl}")
    if r.get("removed"):
        print(f"removed {len(r['removed'])} old site folder(s)")
    if r.get("kept"):
        print(f"kept {', '.join(r['kept'])} (the site the board still runs)")
    return 0


def run_pull(args) -> int:
    with board_link(args) as c:
        fs = RemoteFiles(c)
        text, current = pull_config(fs)
        written = pull_prompts(fs, current, args.prompts) if args.prompts else []
    result = {"site": current.get("site"), "dir": current["dir"], "prompts": written}
    if wants_json(args) and (args.output is None or is_stdout(args.output)):
        emit(args, dict(result, yaml=text.decode("utf-8", "replace")))  # the YAML as a field of the JSON
        return 0
    write_output(args.output or "-", text)
    if args.output and not is_stdout(args.output):
        emit(args, dict(result, output=args.output), f"{args.output}: site {current.get('site')} from {current['dir']}",
             to_stderr=not wants_json(args))
    if args.prompts and not wants_json(args):
        print(f"{args.prompts}: {len(written)} prompt(s)", file=sys.stderr)
    return 0
