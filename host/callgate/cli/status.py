"""`callgate --port P status`: what the board says about itself."""

import json

from ..firmware.link import messages
from ..firmware.link.errors import RemoteError

from ._board import add_link_arguments, board_link


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("status", help="show a board's ports, firmware and uptime", description=__doc__)
    add_link_arguments(p)
    p.set_defaults(func=run)


def run(args) -> int:
    with board_link(args) as c:
        st = c.status()
        try:
            st.update(c.request(messages.OP_CALLS))  # calls and agents (firmware with a call center)
        except RemoteError:
            pass
    if args.json:
        print(json.dumps(st))
        return 0
    print(
        f"board {st['board']}  firmware {st['fw']}  boot {st['boot']:08x}  uptime {st['uptime_ms'] / 1000:.1f} s"
    )
    print(f"{'port':<5} {'kind':<5} {'name':<8} state")
    for p in st["ports"]:
        print(f"{p['n']:<5} {p['kind']:<5} {p['name']:<8} {p['state']}")
    if st.get("site"):
        print(f"site {st['site']}")
    for c in st.get("calls", ()):
        if c["state"] != "idle":
            print(f"call {c['call']} on port {c['port']}: {c['state']}")
    for a in st.get("agents", ()):
        print(f"agent {a['ext']} (port {a['port']}): {a['state']}, {a['calls']} calls")
    link = st.get("link", {})
    print(
        f"link: {link.get('rx_frames', 0)} frames in, {link.get('rx_errors', 0)} bad, "
        f"{link.get('repeats', 0)} repeated requests, {link.get('events', 0)} events"
    )
    return 0
