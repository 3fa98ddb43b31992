"""`callgate --port P monitor`: the board's events as they happen, one line each.

Standard output carries only the events; the "monitoring ..." line, printed once the
handshake is done (from then on no event is missed), goes to standard error.

It survives a board restart: the board's BOOT event is printed, the client shakes hands
again and goes on (a PING each second of silence notices a restart whose BOOT event was
lost).
"""

import queue
import sys
import time

from . import validate
from ._board import add_link_arguments, board_link
from .output import emit


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("monitor", help="print a board's events, one line each", description=__doc__)
    add_link_arguments(p)
    p.add_argument("--count", type=validate.whole(least=1), metavar="N", help="stop after N events")
    p.add_argument("--seconds", type=validate.seconds, metavar="S", help="stop after S seconds")
    p.set_defaults(func=run)


_FIRST = ("port", "call", "state", "was", "on", "off", "digit", "number", "name")


def format_event(ev) -> str:
    t = time.strftime("%H:%M:%S", time.localtime(ev.received)) + f".{int(ev.received * 1000) % 1000:03d}"
    n = "-" if ev.number is None else f"#{ev.number}"
    if isinstance(ev.value, dict):  # the board's maps come in hash order: port, call, state first
        items = sorted(ev.value.items(), key=lambda kv: (_FIRST.index(kv[0]) if kv[0] in _FIRST else len(_FIRST), kv[0]))
        fields = " ".join(f"{k}={v}" for k, v in items)
    else:
        fields = repr(ev.value)
    return f"{t} {n:>6} {ev.name:<5} {fields}"


def run(args) -> int:
    deadline = None if args.seconds is None else time.monotonic() + args.seconds
    events = queue.SimpleQueue()
    seen = 0
    with board_link(args, on_event=events.put, keepalive=1.0) as c:
        print(f"monitoring {c.info['board']} (firmware {c.info['fw']}); Ctrl-C to stop", file=sys.stderr, flush=True)
        while args.count is None or seen < args.count:
            wait = 0.5 if deadline is None else min(0.5, deadline - time.monotonic())
            if wait <= 0:
                break
            try:
                ev = events.get(timeout=wait)
            except queue.Empty:
                continue
            seen += 1
            emit(args, {"t": round(ev.received, 3), **ev.as_dict()}, format_event(ev))  # JSON: one line each
    return 0
