"""`callgate --port P deploy [--board NAME] [--source DIR] [--dry-run]`: put the firmware on a board.

Builds the bundle (the firmware package callgate installed, or the one in --source DIR, a
checkout's firmware/ folder, compiled by mpy-cross for the board's architecture,
the board's files, a manifest with every file's sha256), compares it with the slot the board
runs, sends only what changed (resuming a deploy that was cut off), has the board check every
file, switches atomically and restarts the board into the new version, which the board rolls
back by itself if it fails to come up 3 times. --dry-run prints what would change.
Refused before anything changes: a bundle for another board, a bad hash, a version older
than the board's minimum, files larger than the board's free storage. docs/deploy.md.
"""

import sys

from ..deploy import bundle as bundle_mod
from ..deploy.deploy import deploy
from ._board import add_link_arguments, board_link
from .output import emit


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("deploy", help="deploy the firmware to a board (verified, resumable, atomic)", description=__doc__)
    add_link_arguments(p)
    p.add_argument("--board", metavar="NAME", help="the board folder in boards/ (default: the board's own id)")
    p.add_argument("--bundle", metavar="DIR", help="deploy a bundle saved earlier instead of building one")
    p.add_argument("--save", metavar="DIR", help="also save the bundle built into DIR")
    p.add_argument("--version", dest="fw_version", metavar="V", help="the bundle's version (default: callgate.VERSION)")
    p.add_argument("--min-version", metavar="V", help="the oldest version the board may take after this one")
    p.add_argument("--source", metavar="DIR", help="the firmware tree to build from, as a checkout's firmware/ "
                   "(default: the firmware installed with callgate)")
    p.add_argument("--py", action="store_true", help="ship .py sources, not .mpy")
    p.add_argument("--dry-run", action="store_true", help="list what would change, change nothing")
    p.add_argument("--no-restart", action="store_true", help="switch, but let the next reset start the new version")
    p.set_defaults(func=run)


def run(args) -> int:
    with board_link(args) as c:
        if args.bundle:
            b = bundle_mod.Bundle.load(args.bundle)
        else:
            b = bundle_mod.build(args.board or c.info.get("board"), firmware=args.source, version=args.fw_version,
                                 min_version=args.min_version, mpy=not args.py)
        if args.save:
            b.save(args.save)
        quiet = args.json or not sys.stderr.isatty()
        r = deploy(c, b, dry_run=args.dry_run, out=None if quiet else sys.stderr, restart=not args.no_restart)
    if args.json:
        emit(args, r)
        return 0 if r.get("state") in (None, "running") else 1
    print(f"board {r['board']}: running {r['running']} ({r['active'] or 'frozen'}), bundle {r['version']} -> {r['slot']}")
    if r["up_to_date"]:
        print("up to date: nothing to do")
        return 0
    for what in ("send", "copy", "have"):
        label = {"send": "send", "copy": "unchanged (copied on the board)", "have": "already on the board"}[what]
        if r[what]:
            print(f"  {label}: {len(r[what])} file(s)" + ("" if what != "send" else ": " + ", ".join(r[what])))
    if r.get("dry_run"):
        print(f"dry run: {r['bytes_to_send']} bytes would be sent, nothing changed")
        return 0
    print(f"sent {r['sent']} bytes, {r['verified']} files verified on the board, switched in {r['transfer_s']:.2f} s")
    if r.get("state") == "running":
        print(f"board running {r['running']} from {r['slot']} ({r['total_s']:.2f} s in all)")
        return 0
    if r.get("state") == "rolled back":
        print(f"the new version failed to come up {r['rollback']['tries']} times: the board rolled back to {r['rollback']['to'] or 'the frozen firmware'}")
        return 1
    print(f"switched; the board did not confirm the new version ({r.get('state')})")
    return 0 if r.get("state") is None else 1
