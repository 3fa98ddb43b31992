"""`callgate --port P status`: what the board says about itself.

A board that answers nothing at all is most often one whose app is not running: stopped at
its REPL (mpremote interrupted it, or a REPL request) or kept off by safe mode; the data port
then stays silent. status says so and how to start the app again, naming the REPL port of a
running `callgate sim`.
"""

import os

from ..firmware.link import messages
from ..firmware.link.errors import RemoteError
from ..link.client import LinkTimeout

from ._board import LinkFailed, add_link_arguments, board_link
from .output import emit


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("status", help="show a board's ports, firmware and uptime", description=__doc__)
    add_link_arguments(p)
    p.set_defaults(func=run)


def silent_board_hint(port: str, rx_bytes: int) -> str:
    """Why a board may not answer HELLO, and what to do, from what came back (rx_bytes)."""
    if rx_bytes:
        return (f"{rx_bytes} bytes came back but no reply: is {port} the board's data port (not "
                f"its REPL)?")
    sim = _virtual_board(port)
    if sim is not None:
        record, firmware = sim
        if firmware is None:
            return (f"the virtual board's app is not running: it is stopped at its REPL "
                    f"(mpremote or a REPL request stopped it) or in safe mode. Start it again "
                    f"from the REPL port: `mpremote connect {record.repl} repl`, then Ctrl-D (a "
                    f"soft reset runs main.py); in safe mode remove the safe file first "
                    f"(`mpremote connect {record.repl} rm :safe`)")
        return "the virtual board's app is running but does not answer"
    return ("nothing came back at all. If the board's app is stopped at its REPL (mpremote or a "
            "REPL request stopped it) or in safe mode (the boot escape), the data port stays "
            "silent: start the app again from the board's REPL port (`mpremote connect "
            "REPL_PORT repl`, then Ctrl-D for a soft reset) or press reset. Otherwise check the "
            "port and that the board is powered")


def _virtual_board(port: str):
    """(sim record, its firmware's hello or None) if a running `callgate sim` has this data
    port, else None."""
    from ..sim import control

    try:
        for record in control.running():
            if record.data and os.path.realpath(record.data) == os.path.realpath(port):
                with control.Control(record.control, timeout=2.0) as ctl:
                    return record, ctl.info().get("firmware")
    except (OSError, ValueError):
        return None
    return None


def run(args) -> int:
    try:
        with board_link(args) as c:
            st = c.status()
            for op, value in ((messages.OP_CALLS, None), (messages.OP_STATUS, {"part": "line_cards"})):
                try:  # calls and agents (firmware with a call center); the line cards as the board saw them
                    st.update(c.request(op, value))
                except RemoteError:
                    pass
    except LinkFailed as e:
        cause = e.__cause__
        if isinstance(cause, LinkTimeout) and cause.op == "hello":
            raise LinkFailed(f"{e}; {silent_board_hint(args.port, cause.rx_bytes)}") from cause
        raise
    if args.json:
        emit(args, st)
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
    cards = st.get("line_cards") or {}
    if "ticks" in cards:  # an MCU's line-card bus
        print(f"line cards: {cards['ticks']} bus ticks run, {cards['lost']} lost, {cards['bad']} bad frames, "
              f"{cards['empty']} unread slots, {cards['oom']} short of memory, {cards['waiting']} reports waiting")
    elif cards:  # the virtual board's model
        print(f"line cards: {cards['reports']} reports, {cards['bad']} not understood, {cards['oom']} short of memory")
    heap = st.get("heap") or {}
    if heap:
        largest = f" (largest free block {heap['largest']})" if "largest" in heap else ""
        print(f"heap: {heap['used']} bytes live, {heap['free']} free{largest}")
    return 0
