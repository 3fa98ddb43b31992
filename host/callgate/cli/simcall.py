"""`callgate sim call` and `callgate sim phone`: drive a running virtual board's phone network.

They find the running `callgate sim` through its record (callgate.sim.control: by --port when
several run, or --sim naming its control socket) and ask its board model:

    callgate sim call --from 5551234 --name ALICE --digits 1#     # an inbound call on FXO 0
    callgate sim phone 2 off ; callgate sim phone 2 dial 42 ; callgate sim phone 2 on

`call` prints what the caller experienced, one line per step (or JSON lines with --json), and
exits 0 when the call was answered, 1 otherwise.
"""

import argparse
import json

from ..sim import control
from ..sim.network import HANGUP_MODES


def add_parsers(sub) -> None:
    p = sub.add_parser("call", help="place a simulated inbound call on a running virtual board", description=__doc__)
    p.add_argument("--from", dest="number", default="5551234", metavar="NUMBER", help="the caller's number (caller ID)")
    p.add_argument("--name", default="", help="the caller's name (caller ID)")
    p.add_argument("--digits", default="", help="DTMF digits the caller keys after the prompt (e.g. 1#)")
    p.add_argument("--speech", metavar="FILE", help="a WAV file the caller says after the answer")
    p.add_argument("--port-index", type=int, default=0, metavar="N", help="the FXO port called (default 0)")
    p.add_argument("--no-cid", action="store_true", help="send no caller ID")
    p.add_argument("--digit-delay-ms", type=int, metavar="MS", help="key digits MS after the answer (default: after the prompt)")
    p.add_argument("--hangup-after-ms", type=int, metavar="MS", help="the caller hangs up MS after its digits (or the answer)")
    p.add_argument("--hangup", choices=HANGUP_MODES, default="loop-drop", help="how the caller's hang-up shows on the line")
    _common(p)
    p.set_defaults(func=run_call)

    p = sub.add_parser("phone", help="an agent phone on an FXS port of a running virtual board", description=__doc__)
    p.add_argument("index", type=int, metavar="PORT", help="the FXS port")
    p.add_argument("action", choices=("off", "on", "dial"), help="off hook, on hook, or dial DIGITS")
    p.add_argument("digits", nargs="?", default="")
    _common(p)
    p.set_defaults(func=run_phone)


def _common(p) -> None:
    p.add_argument("--sim", metavar="SOCKET", help="the sim's control socket (default: the running sim's)")
    p.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="JSON lines")


def _control(args) -> control.Control:
    path = args.sim or control.find(getattr(args, "port", None)).control
    return control.Control(path)


def run_call(args) -> int:
    options = {"cid": not args.no_cid, "hangup": args.hangup, "digit_delay_ms": args.digit_delay_ms,
               "hangup_after_ms": args.hangup_after_ms}
    done = {}
    with _control(args) as ctl:
        for item in ctl.call(args.port_index, args.number, args.name, args.digits, args.speech, **options):
            if args.json:
                print(json.dumps(item), flush=True)
            elif item["t"] == "progress":
                print(format_progress(item), flush=True)
            if item["t"] == "done":
                done = item
    if not args.json:
        print(f"call on port {done.get('port')}: {'answered' if done.get('answered') else 'not answered'} "
              f"after {done.get('rings')} ring(s), heard {done.get('heard_ms', 0) / 1000:.2f} s from the board, "
              f"keyed {done.get('digits_sent') or 'nothing'}, hung up by {done.get('ended_by')}", flush=True)
    return 0 if done.get("answered") else 1


def format_progress(item: dict) -> str:
    """'  6.000 s  answered   rings=2': model time since the call started, then the step."""
    fields = " ".join(f"{k}={v}" for k, v in item.items() if k not in ("t", "what", "at"))
    return f"{item.get('at', 0):7.3f} s  {item['what']:<10} {fields}".rstrip()


def run_phone(args) -> int:
    with _control(args) as ctl:
        r = ctl.phone(args.index, args.action, args.digits)
    print(json.dumps(r) if args.json else f"ok: phone {r['port']} {r['action']} {args.digits}".rstrip())
    return 0
