"""`callgate --port P bootstrap --board NAME [--repl R]`: set a board up through its REPL.

For a board that has only MicroPython (a stock image) or whose app no longer answers: puts
main.py (the boot path that chooses the slot), board.json and a first slot built from
firmware/ on it through the REPL (mpremote's raw REPL and raw-paste writes, every file checked
by its sha256), then soft-resets it. --repl names the REPL port when it is not --port (the
virtual board, boards with two USB serial interfaces); then the link on --port is asked
whether the board came up. Afterwards `callgate deploy` updates it over the link.
docs/deploy.md.
"""

import sys
import time

from ..deploy import bundle as bundle_mod
from ..deploy.bootstrap import bootstrap
from ..firmware.link import messages
from ..firmware.link.errors import LinkError
from ..link.client import connect
from ._board import add_link_arguments, need_port
from .output import emit


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("bootstrap", help="install the updater and a first version through the REPL", description=__doc__)
    add_link_arguments(p)
    p.add_argument("--board", required=True, metavar="NAME", help="the board folder in boards/")
    p.add_argument("--repl", metavar="PORT", help="the board's REPL port (default: --port)")
    p.add_argument("--bundle", metavar="DIR", help="install a saved bundle instead of building one")
    p.set_defaults(func=run)


def run(args) -> int:
    port = need_port(args)
    repl = args.repl or port
    b = bundle_mod.Bundle.load(args.bundle) if args.bundle else bundle_mod.build(args.board)
    quiet = args.json
    r = bootstrap(repl, b, out=None if quiet else sys.stdout)
    if repl != port:
        r["state"] = _wait_up(port, b.slot, args.timeout)
    if args.json:
        emit(args, r)
    else:
        print(f"installed {r['version']} in {r['slot']} ({r['files']} files, {r['sent']} bytes, {r['seconds']:.2f} s) and reset the board")
        if "state" in r:
            print(f"board {r['state']}")
    return 0 if r.get("state", "running") == "running" else 1


def _wait_up(port: str, slot: str, timeout: float, wait: float = 15.0) -> str:
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            with connect(port, timeout=timeout) as c:
                st = c.request(messages.OP_DEPLOY_STATE)
                if st.get("active") == slot and st.get("ok"):
                    return "running"
                if (st.get("rollback") or {}).get("from") == slot:
                    return "rolled back"
        except LinkError:
            pass
        time.sleep(0.2)
    return "not confirmed"
