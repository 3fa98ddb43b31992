"""`callgate --port P dial NUMBER`: the board places one outbound call and says how it ended.

The board seizes a free FXO trunk that may call out (or --trunk, a port number or the site's
trunk name), waits for dial tone, dials the number (the trunk's prefix first) as DTMF, and
analyses the line's call progress until one outcome: no-dial-tone, busy, congestion,
no-answer, sit, fax, person or machine, with the time it took to decide (from the end of
dialling). With --play, a person or machine then hears that prompt before the board hangs up.
Every attempt leaves a call record (`cdr pull`: direction out). Exit 0 when the call was
answered (person, machine, fax), 1 otherwise. docs/outbound.md.
"""

import queue
import time

from ..firmware.link import messages
from ..firmware.link.errors import RemoteError
from ._board import add_link_arguments, board_link
from .errors import UsageError
from .output import emit

DIGITS = "0123456789*#"
WAIT_S = 240.0  # the longest a call takes, in real time, before the command gives up waiting
ANSWERED = ("person", "machine", "fax")


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("dial", help="place one outbound call and print its outcome", description=__doc__)
    add_link_arguments(p)
    p.add_argument("number", type=_number, metavar="NUMBER", help="the number to dial: digits 0-9 * #")
    p.add_argument("--trunk", type=_trunk, metavar="N", help="the FXO port (or the site's trunk name) to call on")
    p.add_argument("--play", metavar="PROMPT", type=_prompt, help="a prompt of the site to play when answered")
    p.set_defaults(func=run)


def _number(text: str) -> str:
    import argparse

    bad = [c for c in text if c not in DIGITS]
    if not text or bad:
        raise argparse.ArgumentTypeError(f"number {text!r}: {bad[0]!r} is not a digit (0-9 * #)" if bad
                                         else "empty number")
    if len(text) > 24:
        raise argparse.ArgumentTypeError(f"number {text!r}: longer than 24 digits")
    return text


def _name(text: str) -> bool:
    return bool(text) and len(text) <= 32 and all(c.isalnum() or c in "_-" for c in text) and text.isascii()


def _trunk(text: str):
    import argparse

    if text.isdigit():
        return int(text)
    if not _name(text):
        raise argparse.ArgumentTypeError(f"{text!r} is neither a port number nor a trunk name")
    return text


def _prompt(text: str) -> str:
    import argparse

    if not _name(text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a prompt name (letters, digits, _ and -)")
    return text


def run(args) -> int:
    events = queue.SimpleQueue()
    with board_link(args, on_event=events.put, keepalive=1.0) as c:
        try:
            started = c.request(messages.OP_DIAL, {"number": args.number, "trunk": args.trunk, "play": args.play})
        except RemoteError as e:
            if e.code == messages.ERR_UNKNOWN_OP:
                raise UsageError("dial: this board's firmware cannot call out (update it: callgate deploy)") from None
            raise UsageError(f"dial: {e.message}") from None
        call, port = started["call"], started["port"]
        steps = []
        end = None
        deadline = time.monotonic() + WAIT_S
        while end is None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise UsageError(f"dial: call {call} on port {port} did not end within {WAIT_S:.0f} s")
            try:
                ev = events.get(timeout=min(left, 1.0))
            except queue.Empty:
                continue
            v = ev.value if isinstance(ev.value, dict) else {}
            if ev.kind != messages.EV_CALL or v.get("call") != call or v.get("port") != port:
                continue
            steps.append(v.get("state"))
            if v.get("state") == "ended":
                end = v
    outcome = end.get("outcome")
    result = {"number": args.number, "port": port, "trunk": started.get("trunk") or "", "call": call,
              "cdr": end.get("cdr"), "outcome": outcome, "decide_ms": end.get("decide_ms"),
              "by": end.get("by"), "reason": end.get("reason"), "steps": steps}
    if end.get("sit_kind"):  # why the network refused it (reorder, no circuit: try again later)
        result["sit_kind"] = end["sit_kind"]
        outcome = f"{outcome} ({end['sit_kind']})"
    decide = "" if end.get("decide_ms") is None else f", decided in {end['decide_ms'] / 1000:.2f} s"
    emit(args, result, f"{args.number} on port {port}: {outcome}{decide} (call record {end.get('cdr')})")
    outcome = result["outcome"]
    return 0 if outcome in ANSWERED else 1
