"""`callgate sim call`, `phone` and `agent`: drive a running virtual board's phone network.

They find the running `callgate sim` through its record (callgate.sim.control: by --port when
several run, or --sim naming its control socket) and ask its board model:

    callgate sim call --from 5551234 --name ALICE --digits 1#     # an inbound call on FXO 0
    callgate sim phone 2 off ; callgate sim phone 2 dial 42 ; callgate sim phone 2 on
    callgate sim phone 5 flash ; callgate sim phone 5 dial 202   # a blind transfer to 202
    callgate sim call --digits 2,1 --patience-ms 30000 --talk-ms 20000 --survey 45
    callgate sim agent --port 2 --answer-ms 2000 --talk-ms 20000-40000 ; ... --port 2 --off

`call` has an option per field of the caller description (sim/caller.py: --from for the
number, --no-cid, and the others named after their field); a bad value is a one-line usage
error naming it. It prints what the caller experienced, one line per step (or JSON lines with --json), and
exits 0 when the call was answered, 1 otherwise.
"""

import argparse
import os

from ..dsp.wav import WavError, open_wav
from ..sim import control
from ..sim.callee import ANSWERS, RINGS, NumberError, check_answer, check_number
from ..sim.caller import FIELDS, Caller, CallerError, options

# `call` has an option per Caller field (sim/caller.py: its help, check and default), named
# after the field but for these, and with the caller's defaults but for these.
FLAGS = {"number": "--from", "cid": "--no-cid"}
DEFAULTS = {"number": "5551234"}
from . import validate
from .output import emit, to_json


def add_parsers(sub) -> None:
    p = sub.add_parser("call", help="place a simulated inbound call on a running virtual board", description=__doc__)
    p.add_argument("--port-index", type=validate.whole(least=0), default=0, metavar="N", help="the FXO port called (default 0)")
    _caller_options(p)
    _common(p)
    p.set_defaults(func=run_call)

    p = sub.add_parser("phone", help="an agent phone on an FXS port of a running virtual board", description=__doc__)
    p.add_argument("index", type=validate.whole(least=0), metavar="PORT", help="the FXS port")
    p.add_argument("action", choices=control.PHONE_ACTIONS, help="off hook, on hook, dial DIGITS, or flash the hook")
    p.add_argument("digits", nargs="?", default="")
    _common(p)
    p.set_defaults(func=run_phone)

    p = sub.add_parser("agent", help="make an FXS phone of a running virtual board answer and hang up by itself",
                       description=__doc__)
    p.add_argument("--port", dest="agent_port", type=validate.whole(least=0), required=True, metavar="N", help="the FXS port")
    p.add_argument("--answer-ms", type=validate.milliseconds, default=2000, metavar="MS", help="answer MS after ringing starts (default 2000)")
    p.add_argument("--never-answer", action="store_true", help="let it ring")
    p.add_argument("--talk-ms", type=_talk, default=60000, metavar="MS[-MS]",
                   help="hang up MS after being put through, or a random time in MS-MS (default 60000)")
    p.add_argument("--seed", type=validate.whole(), help="seed of the random talk times")
    p.add_argument("--off", action="store_true", help="a manual phone again")
    _common(p)
    p.set_defaults(func=run_agent)

    p = sub.add_parser("number", help="how the exchange of a running virtual board answers calls to a number",
                       description="The board's outbound calls to NUMBER (decoded from its DTMF) get this answer; "
                                   "a number nobody set is vacant (SIT).")
    p.add_argument("number", type=_dialled_number, metavar="NUMBER", help="the number, digits 0-9 * #")
    p.add_argument("--answers", required=True, type=_answers, metavar="ANSWER",
                   help=f"{'|'.join(ANSWERS)}, person:KEYS (a person who keys KEYS), sit:KIND (a North American "
                        f"SIT of that kind: intercept, "
                        f"vacant-code, reorder, no-circuit...) or wav:FILE (answer, then play FILE)")
    p.add_argument("--rings", type=validate.whole(least=0), metavar="N",
                   help=f"rings before a person, machine, fax or WAV answers (default {RINGS})")
    _common(p)
    p.set_defaults(func=run_number)

    p = sub.add_parser("trunk", help="the exchange side of an FXO trunk of a running virtual board",
                       description="Dial tone when the board seizes the trunk (or none), and the country plan of its tones.")
    p.add_argument("index", type=validate.whole(least=0), metavar="PORT", help="the FXO port")
    p.add_argument("--dial-tone", choices=("on", "off"), help="dial tone on seizure (default on)")
    p.add_argument("--plan", choices=("CN", "US", "EU"), help="the trunk's tone plan (default: the board's)")
    _common(p)
    p.set_defaults(func=run_trunk)


def _common(p) -> None:
    p.add_argument("--sim", metavar="SOCKET", help="the sim's control socket (default: the running sim's)")


def _caller_options(p) -> None:
    for f in FIELDS:
        meta = f.metadata
        kw = {"dest": "caller_" + f.name, "default": DEFAULTS.get(f.name)}
        default = DEFAULTS.get(f.name, f.default)
        if f.default is True:
            kw.update(action="store_const", const=False, help=f"{f.name} off (on by default: {meta['help']})")
        else:
            parse = {"MS": _number, "N": int, "FILE": _wav_file}.get(meta["metavar"], str)
            kw.update(type=_checked(f.name, parse), metavar=meta["metavar"], choices=options(f.name),
                      help=meta["help"] + ("" if default in (None, "") else f" (default {default})"))
        p.add_argument(FLAGS.get(f.name, "--" + f.name.replace("_", "-")), **kw)


def _checked(name, parse):
    """An argparse type: the text parsed, then checked as the Caller's field `name`."""

    def convert(text):
        try:
            value = parse(text)
        except WavError as e:
            raise argparse.ArgumentTypeError(f"{name}: {e}") from None
        except OSError as e:
            raise argparse.ArgumentTypeError(f"{name}: {text!r}: {e.strerror or e}") from None
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be a number, not {text!r}") from None
        try:
            return Caller.check(name, value)
        except CallerError as e:
            raise argparse.ArgumentTypeError(str(e)) from None

    convert.__name__ = name
    return convert


def _wav_file(text: str) -> str:
    """A WAV file the board model will read: its header checked here, its path made absolute
    (the model runs in another folder)."""
    open_wav(text)
    return os.path.abspath(text)


def _number(text: str):
    try:
        return int(text)
    except ValueError:
        return float(text)


def caller_of(args) -> Caller:
    """The Caller the `call` options describe (options not given: the Caller's defaults)."""
    return Caller.given(**{f.name: getattr(args, "caller_" + f.name) for f in FIELDS})


def _control(args) -> control.Control:
    path = args.sim or control.find(getattr(args, "port", None)).control
    try:
        return control.Control(path)
    except OSError as e:  # name the socket: --sim, or the one the sim's record gave
        raise OSError(e.errno, f"{e.strerror or e} (a running `callgate sim`'s control socket?)", path) from None


def run_call(args) -> int:
    done = {}
    with _control(args) as ctl:
        for item in ctl.call(args.port_index, caller_of(args)):
            if args.json:
                print(to_json(item), flush=True)
            elif item["t"] == "progress":
                print(format_progress(item), flush=True)
            if item["t"] == "done":
                done = item
    if not args.json:
        print(f"call on port {done.get('port')}: {'answered' if done.get('answered') else 'not answered'} "
              f"after {done.get('rings')} ring(s), heard {done.get('heard_ms', 0) / 1000:.2f} s from the board, "
              f"keyed {done.get('digits_sent') or 'nothing'}, hung up by {done.get('ended_by')}", flush=True)
        if done.get("agent") is not None:
            print(f"  agent on port {done['agent']} after {done['waited_ms'] / 1000:.2f} s, talked "
                  f"{done['bridged_ms'] / 1000:.2f} s, survey {done.get('survey') or 'none'}", flush=True)
    return 0 if done.get("answered") else 1


def format_progress(item: dict) -> str:
    """'  6.000 s  answered   rings=2': model time since the call started, then the step."""
    fields = " ".join(f"{k}={v}" for k, v in item.items() if k not in ("t", "what", "at"))
    return f"{item.get('at', 0):7.3f} s  {item['what']:<10} {fields}".rstrip()


def _talk(text: str):
    """MS or LOW-HIGH (ms) -> a number or a [low, high] pair."""
    lo, sep, hi = text.partition("-")
    try:
        return [int(lo), int(hi)] if sep else int(lo)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not MS or MS-MS: {text!r}") from None


def run_agent(args) -> int:
    with _control(args) as ctl:
        r = ctl.agent(args.agent_port, None if args.never_answer else args.answer_ms, args.talk_ms, args.seed,
                      args.off)
    if args.json:
        emit(args, r)
    elif r.get("auto") is None:
        print(f"ok: phone {r['port']} is manual")
    else:
        a = r["auto"]
        talk = "-".join(map(str, a["talk_ms"])) if isinstance(a["talk_ms"], list) else a["talk_ms"]
        print(f"ok: phone {r['port']} answers after {a['answer_ms']} ms, talks {talk} ms")
    return 0


def _dialled_number(text: str) -> str:
    try:
        return check_number(text)
    except NumberError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def _answers(text: str) -> str:
    try:
        check_answer(text)
    except NumberError as e:
        raise argparse.ArgumentTypeError(str(e)) from None
    if text.startswith("wav:"):
        try:
            return "wav:" + _wav_file(text[4:])
        except WavError as e:
            raise argparse.ArgumentTypeError(f"--answers {text}: {e}") from None
        except OSError as e:
            raise argparse.ArgumentTypeError(f"--answers {text}: {e.strerror or e}") from None
    return text


def run_number(args) -> int:
    with _control(args) as ctl:
        r = ctl.number(args.number, args.answers, args.rings)
    emit(args, r, f"ok: {r['number']} answers {r['answers']}" + (f" after {r['rings']} ring(s)" if "rings" in r else ""))
    return 0


def run_trunk(args) -> int:
    with _control(args) as ctl:
        r = ctl.trunk(args.index, None if args.dial_tone is None else args.dial_tone == "on", args.plan)
    emit(args, r, f"ok: trunk {r['port']}: dial tone {'on' if r['dial_tone'] else 'off'}, plan {r['plan']}")
    return 0


def run_phone(args) -> int:
    with _control(args) as ctl:
        r = ctl.phone(args.index, args.action, args.digits)
    emit(args, r, f"ok: phone {r['port']} {r['action']} {args.digits}".rstrip())
    return 0
