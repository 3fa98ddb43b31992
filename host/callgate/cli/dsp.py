"""`callgate dsp ...`: the DSP core on WAV files, for users who do not write code."""

import argparse

from . import validate
from .errors import UsageError
from .output import emit, is_stdout, write_output


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("dsp", help="run the DSP core on WAV files")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (func, add_arguments, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        add_arguments(p)
        p.set_defaults(func=func)


# name -> (function, argument adder, one-line help); filled below by each command.
COMMANDS = {}


# --- gen-dtmf, tone, convert: make tones and DTMF, convert WAV files ------------------------
# Levels are in dBm0 per tone, referred to the output's law: A-law for --encoding alaw,
# mu-law for ulaw and pcm16.

_ENCODINGS = ("pcm16", "alaw", "ulaw")


def _law_of(encoding: str) -> str:
    return "alaw" if encoding == "alaw" else "ulaw"


def _add_output_options(p) -> None:
    p.add_argument("--encoding", choices=_ENCODINGS, default="pcm16",
                   help="sample encoding of OUT.wav (default pcm16)")


def _write(args, path, samples, encoding: str) -> None:
    """OUT.wav (or standard output for -) through the CLI's one output writer."""
    from callgate.dsp.wav import encode_wav

    write_output(path, encode_wav(samples, 8000, encoding))


_OUT_HELP = "the WAV file to write (- for standard output)"
# The ranges the DSP core takes (c_src), checked here so the message names the option.
_LEVEL = validate.number(least=-80, most=3, unit="dBm0")
_MIN_LEVEL_CID = validate.number(least=-70, most=0, unit="dBm0")
_MIN_LEVEL_DTMF = validate.number(least=-70, most=3, unit="dBm0")


def _args_gen_dtmf(p) -> None:
    p.add_argument("digits", metavar="DIGITS", help="digits to dial: 0-9 * # A-D")
    p.add_argument("output", metavar="OUT.wav", help=_OUT_HELP)
    p.add_argument("--level", type=_LEVEL, default=-10.0, metavar="DBM0",
                   help="low-group tone level in dBm0, -80..3 (default -10)")
    p.add_argument("--twist", type=validate.number(least=-40, most=40, unit="dB"), default=0.0, metavar="DB",
                   help="high-group level minus low-group level in dB, -40..40 (default 0)")
    p.add_argument("--on-ms", type=validate.whole(least=2, most=65535, unit="ms"), default=50, metavar="MS",
                   help="tone per digit (default 50)")
    p.add_argument("--off-ms", type=validate.whole(least=2, most=65535, unit="ms"), default=55, metavar="MS",
                   help="silence after each digit (default 55)")
    _add_output_options(p)


def cmd_gen_dtmf(args) -> int:
    from callgate.dsp.tones import SAMPLE_RATE, generate_dtmf
    if not args.digits:
        raise ValueError("DIGITS is empty: give at least one digit (0-9 * # A-D)")
    if not -80 <= args.level + args.twist <= 3:
        raise UsageError(f"--level {args.level:g} with --twist {args.twist:+g} puts the high-group tone at "
                         f"{args.level + args.twist:g} dBm0, outside -80..3")
    law = _law_of(args.encoding)
    samples = generate_dtmf(args.digits, level_dbm0=args.level, twist_db=args.twist,
                            on_ms=args.on_ms, off_ms=args.off_ms, law=law)
    _write(args, args.output, samples, args.encoding)
    record = {"command": "gen-dtmf", "output": args.output, "digits": args.digits,
              "encoding": args.encoding, "law": law, "sample_rate": SAMPLE_RATE,
              "samples": len(samples), "seconds": len(samples) / SAMPLE_RATE,
              "level_dbm0": args.level, "twist_db": args.twist, "on_ms": args.on_ms,
              "off_ms": args.off_ms}
    emit(args, record, [
        f"{args.output}: {len(args.digits)} DTMF digit(s), {record['seconds']:.3f} s, "
        f"{args.encoding} at {SAMPLE_RATE} Hz; {args.level:g} dBm0 ({law}) low group, "
        f"twist {args.twist:+g} dB, {args.on_ms}/{args.off_ms} ms"], to_stderr=is_stdout(args.output))
    return 0


def _args_tone(p) -> None:
    p.add_argument("plan", metavar="PLAN", help="tone plan: CN, US, EU (ITU)")
    p.add_argument("name", metavar="NAME",
                   help="tone: dial, busy, ringback, congestion, call-waiting, sit, cng, ced")
    p.add_argument("output", metavar="OUT.wav", help=_OUT_HELP)
    p.add_argument("--seconds", type=validate.number(above=0, most=3600, unit="s"), required=True, metavar="N",
                   help="length of OUT.wav (up to 3600)")
    p.add_argument("--level", type=_LEVEL, default=None, metavar="DBM0",
                   help="level per frequency in dBm0, -80..3 (default: the plan's)")
    _add_output_options(p)


def cmd_tone(args) -> int:
    from callgate.dsp.tones import SAMPLE_RATE, find_plan, find_tone, generate_tone
    plan = find_plan(args.plan).name  # ValueError lists the valid plans
    tone = find_tone(plan, args.name)  # ... or the plan's tones
    law = _law_of(args.encoding)
    samples = generate_tone(args.plan, args.name, args.seconds, law=law, level_dbm0=args.level)
    _write(args, args.output, samples, args.encoding)
    level = tone.level_dbm0 if args.level is None else args.level
    record = {"command": "tone", "output": args.output, "plan": plan, "tone": tone.name,
              "description": tone.describe(), "frequencies_hz": list(tone.frequencies_hz),
              "segments": tone.as_dict()["segments"], "repeat": tone.repeat,
              "level_dbm0": level, "law": law, "encoding": args.encoding,
              "sample_rate": SAMPLE_RATE, "samples": len(samples),
              "seconds": len(samples) / SAMPLE_RATE}
    emit(args, record, [
        f"{args.output}: {plan} {tone.name} ({tone.describe()}) at {level:g} dBm0 ({law}), "
        f"{record['seconds']:.3f} s, {args.encoding} at {SAMPLE_RATE} Hz"], to_stderr=is_stdout(args.output))
    return 0


def _args_convert(p) -> None:
    p.add_argument("input", metavar="IN.wav")
    p.add_argument("output", metavar="OUT.wav", help=_OUT_HELP)
    p.add_argument("--to", choices=_ENCODINGS, required=True, help="encoding of OUT.wav")
    p.add_argument("--resample", action="store_true",
                   help="convert another sample rate to 8000 Hz and mix channels down to mono")


def cmd_convert(args) -> int:
    """Block by block (constant memory): the input's header is checked first, then its audio
    is read, converted and written in pieces; a regular output file is replaced atomically."""
    import math

    from callgate.dsp.g711 import alaw_to_ulaw, ulaw_to_alaw
    from callgate.dsp.tones import SAMPLE_RATE
    from callgate.dsp.wav import encode_payload, open_wav, resample_blocks, wav_header

    wav = open_wav(args.input)
    resampled = False
    frames = wav.frames
    if wav.sample_rate != SAMPLE_RATE or wav.channels != 1:
        shape = "mono" if wav.channels == 1 else f"{wav.channels} channels"
        if not args.resample:
            raise ValueError(f"{args.input} is {wav.sample_rate} Hz {shape}; callgate works at "
                             f"{SAMPLE_RATE} Hz mono: add --resample to convert the rate and "
                             f"mix the channels down")
        blocks, resampled = resample_blocks(wav.blocks(), wav.sample_rate, SAMPLE_RATE), True
        g = math.gcd(wav.sample_rate, SAMPLE_RATE)
        frames = -(-wav.frames * (SAMPLE_RATE // g) // (wav.sample_rate // g))  # resample_poly's length
        how = "resampled" if wav.sample_rate != SAMPLE_RATE else "mixed down"
    else:
        blocks = wav.blocks()
        how = "copied" if wav.encoding == args.to else "converted"
    if not resampled and wav.encoding != "pcm16" and args.to != "pcm16":
        # G.711 to G.711: the codes themselves, by G.711's tables when the law changes.
        blocks = wav.blocks(codes=True)
        if wav.encoding != args.to:
            table = alaw_to_ulaw if wav.encoding == "alaw" else ulaw_to_alaw
            blocks = (table(b) for b in blocks)
            how = "transcoded by the G.711 tables"
    header = wav_header(frames, SAMPLE_RATE, args.to)

    def pieces():
        yield header
        written = 0
        for block in blocks:
            written += len(block)
            yield encode_payload(block, args.to)
        if written != frames:  # the header said otherwise: leave no such file
            raise ValueError(f"{args.input}: {written} frames came out, not {frames}")
        if args.to != "pcm16" and frames & 1:
            yield b"\0"  # the data chunk's pad byte

    write_output(args.output, pieces())
    record = {"command": "convert", "input": args.input, "output": args.output,
              "from": {"encoding": wav.encoding, "sample_rate": wav.sample_rate,
                       "channels": wav.channels, "frames": wav.frames},
              "to": {"encoding": args.to, "sample_rate": SAMPLE_RATE, "channels": 1,
                     "frames": frames},
              "resampled": resampled, "how": how}
    emit(args, record, [
        f"{args.output}: {args.to} at {SAMPLE_RATE} Hz mono, {frames / SAMPLE_RATE:.3f} s "
        f"({how} from {wav.encoding} at {wav.sample_rate} Hz, {wav.channels} channel(s))"], to_stderr=is_stdout(args.output))
    return 0


COMMANDS["gen-dtmf"] = (cmd_gen_dtmf, _args_gen_dtmf, "write DTMF digits to a WAV file")
COMMANDS["tone"] = (cmd_tone, _args_tone, "write a call-progress tone of a tone plan to a WAV file")
COMMANDS["convert"] = (cmd_convert, _args_convert,
                       "convert a WAV file to 8 kHz mono pcm16, A-law or mu-law")


# --- cid, gen-cid: caller ID (FSK Bell 202 / V.23 and DTMF) ---------------------------------

_CID_STANDARDS = ("bell202", "v23", "auto")


def _args_cid(p) -> None:
    p.add_argument("input", metavar="FILE.wav", help="8 kHz mono WAV (pcm16, A-law or mu-law)")
    p.add_argument("--standard", choices=_CID_STANDARDS, default="auto",
                   help="FSK standard (default auto: listen for both)")
    p.add_argument("--no-dtmf", action="store_true", help="do not look for DTMF caller ID")
    p.add_argument("--min-level", type=_MIN_LEVEL_CID, default=-52.0, metavar="DBM0",
                   help="weakest FSK carrier accepted, -70..0 (default -52)")


def _cid_line(record: dict) -> str:
    at = f"{record['start_s']:8.3f}-{record['end_s']:.3f} s"
    if record["event"] == "alert":
        return f"{at}  dual-tone alert at {record.get('level_dbm0', 0):g} dBm0"
    what = record.get("standard", "dtmf") + " " + record["type"]
    if record["event"] == "error":
        detail = f"  bytes {record['bytes']}" if "bytes" in record else ""
        return f"{at}  {what}: {record['status']}{detail}"
    fields = []
    for key in ("date", "number", "name", "number_absence", "name_absence", "mwi"):
        if key in record:
            value = record[key]
            if key == "mwi":
                value = "on" if value else "off"
            fields.append(f"{key.replace('_', ' ')}={value}")
    level = f" at {record['level_dbm0']:g} dBm0" if "level_dbm0" in record else ""
    return f"{at}  {what}{level}: " + ", ".join(fields)


def cmd_cid(args) -> int:
    from callgate.dsp.callerid import CallerIdScanner
    from callgate.dsp.wav import open_wav

    wav = open_wav(args.input)
    if wav.sample_rate != 8000 or wav.channels != 1:
        raise ValueError(f"{args.input} is {wav.sample_rate} Hz, {wav.channels} channel(s): "
                         f"convert it first (callgate dsp convert --resample)")
    # auto: both FSK receivers, each message labelled by its tones (callerid.CallerIdScanner)
    scanner = CallerIdScanner(args.standard, dtmf=not args.no_dtmf, min_level_dbm0=args.min_level)
    events = [e for block in wav.blocks() for e in scanner.feed(block)] + scanner.flush()
    unique = [e.to_dict() for e in events]
    lines = [_cid_line(r) for r in unique] or [f"{args.input}: no caller ID found"]
    emit(args, {"command": "cid", "input": args.input, "events": unique}, lines)
    return 0 if any(r["event"] == "message" for r in unique) else 1


def _args_gen_cid(p) -> None:
    p.add_argument("output", metavar="OUT.wav", help=_OUT_HELP)
    p.add_argument("--format", choices=("sdmf", "mdmf", "mwi", "dtmf"), default="mdmf")
    p.add_argument("--standard", choices=_CID_STANDARDS[:2], default="bell202")
    p.add_argument("--number", type=_cid_number, default="", help="calling number (up to 20 digits)")
    p.add_argument("--name", type=_cid_name, default="", help="calling name (MDMF; up to 50 ASCII characters)")
    p.add_argument("--absence", choices=("private", "unavailable"), default=None,
                   help="send a reason for absence instead of a number (and name)")
    p.add_argument("--date", type=_cid_date, default=None, metavar="MMDDhhmm",
                   help="date and time (SDMF needs it)")
    p.add_argument("--mwi", choices=("on", "off"), default="on", help="for --format mwi")
    p.add_argument("--level", type=_LEVEL, default=-13.5, metavar="DBM0", help="FSK level, -80..3 (default -13.5)")
    p.add_argument("--alert", action="store_true", help="send a dual-tone alert first")
    _add_output_options(p)


def _cid_number(text: str) -> str:
    if not text.isascii() or not (text.isdigit() or text == "") or len(text) > 20:
        raise argparse.ArgumentTypeError(f"{text!r} is not a calling number (up to 20 digits 0-9)")
    return text


def _cid_name(text: str) -> str:
    if not text.isascii() or not text.isprintable() or len(text) > 50:
        raise argparse.ArgumentTypeError(f"{text!r} is not a calling name (up to 50 printable ASCII characters)")
    return text


def _cid_date(text: str) -> tuple:
    """MMDDhhmm -> (month, day, hour, minute)."""
    if len(text) == 8 and text.isascii() and text.isdigit():
        month, day, hour, minute = (int(text[i:i + 2]) for i in range(0, 8, 2))
        if 1 <= month <= 12 and 1 <= day <= 31 and hour <= 23 and minute <= 59:
            return month, day, hour, minute
    raise argparse.ArgumentTypeError(f"{text!r} is not a date and time MMDDhhmm (e.g. 11231000)")


def cmd_gen_cid(args) -> int:
    from callgate.dsp.callerid import CallerId, encode, encode_dtmf, generate

    date = args.date
    if args.format in ("sdmf", "dtmf") and not (args.number or args.absence):
        raise UsageError(f"--format {args.format} needs --number DIGITS or --absence")
    if args.format == "mdmf" and not (args.number or args.name or args.absence or date):
        raise UsageError("--format mdmf needs one of --number, --name, --date, --absence")
    if args.format == "sdmf" and date is None:
        raise UsageError("--format sdmf needs --date MMDDhhmm")
    if args.format == "mwi":
        message = CallerId("sdmf-mwi", mwi=args.mwi == "on")
    else:
        message = CallerId(args.format, number="" if args.absence else args.number,
                           number_absence=args.absence,
                           name="" if args.absence or args.format != "mdmf" else args.name,
                           name_absence=args.absence if args.format == "mdmf" else None,
                           date=date if args.format != "dtmf" else None)
    payload = encode_dtmf(message) if args.format == "dtmf" else encode(message).hex()
    samples = generate(message, args.standard, level_dbm0=args.level,
                       law=_law_of(args.encoding), alert_ms=100 if args.alert else 0)
    _write(args, args.output, samples, args.encoding)
    record = {"command": "gen-cid", "output": args.output, "message": message.to_dict(),
              "payload": payload, "standard": args.standard, "samples": len(samples),
              "seconds": len(samples) / 8000}
    emit(args, record, [f"{args.output}: {args.format} caller ID ({payload}), "
                        f"{record['seconds']:.3f} s, {args.encoding}"], to_stderr=is_stdout(args.output))
    return 0


COMMANDS["cid"] = (cmd_cid, _args_cid, "find caller ID (FSK Bell 202 / V.23, DTMF) in a WAV file")
COMMANDS["gen-cid"] = (cmd_gen_cid, _args_gen_cid, "write a caller ID sequence to a WAV file")


# --- dtmf: find DTMF digits in a WAV file ---------------------------------------------------

def read_line_audio(path, resample_ok: bool = False):
    """A WAV file as blocks of 8 kHz mono int16 (and its law for levels): the shape every
    detector takes, read block by block (constant memory; the header is checked first).
    Another rate or several channels is an error unless resample_ok."""
    from callgate.dsp.wav import open_wav, resample_blocks

    wav = open_wav(path)
    law = "alaw" if wav.encoding == "alaw" else "ulaw"
    if wav.sample_rate == 8000 and wav.channels == 1:
        return wav.blocks(), law
    shape = "mono" if wav.channels == 1 else f"{wav.channels} channels"
    if not resample_ok:
        raise ValueError(f"{path} is {wav.sample_rate} Hz {shape}; callgate works at 8000 Hz "
                         f"mono: add --resample to convert the rate and mix the channels down")
    return resample_blocks(wav.blocks(), wav.sample_rate, 8000), law


def _args_dtmf(p) -> None:
    p.add_argument("input", metavar="FILE.wav", help="WAV file (pcm16, A-law or mu-law)")
    p.add_argument("--resample", action="store_true",
                   help="accept another sample rate or several channels (converted first)")
    p.add_argument("--min-level", type=_MIN_LEVEL_DTMF, default=-38.0, metavar="DBM0",
                   help="weakest tone accepted, per tone, -70..3 (default -38)")


def cmd_dtmf(args) -> int:
    from callgate.dsp.dtmf import DtmfDetector

    blocks, law = read_line_audio(args.input, args.resample)
    detector = DtmfDetector(law=law, min_level_dbm0=args.min_level)
    events = [e for block in blocks for e in detector.feed(block)] + detector.flush()
    records = [{"digit": e.digit, "start_s": round(e.start_s, 4), "end_s": round(e.end_s, 4),
                "start": e.start, "end": e.end, "duration_ms": round(e.duration_ms, 1),
                "level_dbm0": e.level_dbm0, "twist_db": e.twist_db} for e in events]
    lines = [f"{r['digit']}  {r['start_s']:9.3f} s - {r['end_s']:9.3f} s  "
             f"{r['duration_ms']:6.1f} ms  {r['level_dbm0']:6.1f} dBm0  twist {r['twist_db']:+.1f} dB"
             for r in records]
    digits = "".join(r["digit"] for r in records)
    lines.append(f"{len(records)} digit(s): {digits}" if records else "no DTMF digits found")
    emit(args, {"command": "dtmf", "input": args.input, "law": law, "digits": digits,
                "events": records}, lines)
    return 0


COMMANDS["dtmf"] = (cmd_dtmf, _args_dtmf, "find DTMF digits in a WAV file, with times and levels")


# --- cpa: outbound call-progress analysis of a recorded line -----------------------------------

def _args_cpa(p) -> None:
    p.add_argument("input", metavar="FILE.wav", help="the line from dialling (or off-hook) on")
    p.add_argument("--plan", default="CN", help="tone plan: CN, US, EU (ITU); default CN")
    p.add_argument("--resample", action="store_true",
                   help="accept another sample rate or several channels (converted first)")
    p.add_argument("--wait-dial-tone", type=validate.whole(least=0, most=600000, unit="ms"), default=0, metavar="MS",
                   help="the file starts off-hook: dial tone must come within MS (default: the "
                        "file starts after dialling)")
    p.add_argument("--no-answer", type=validate.whole(least=1000, most=600000, unit="ms"), default=30000,
                   metavar="MS", help="ringback timeout, 1000..600000 (default 30000)")
    p.add_argument("--tones", action="store_true", help="also list the tones, voice and beeps heard")


def cmd_cpa(args) -> int:
    from callgate.dsp.cpa import CallProgressAnalyzer, ToneDetector
    from callgate.dsp.tones import find_plan

    plan = find_plan(args.plan).name  # ValueError lists the valid plans
    blocks, law = read_line_audio(args.input, args.resample)
    cpa = CallProgressAnalyzer(plan, law=law, no_dial_tone_ms=args.wait_dial_tone,
                               no_answer_ms=args.no_answer)
    tones = ToneDetector(plan, law=law) if args.tones else None
    heard = []
    for block in blocks:  # read until the result (and to the end with --tones)
        if cpa.result is None:
            cpa.feed(block)
        if tones is None and cpa.result is not None:
            break
        if tones is not None:
            heard += tones.feed(block)
    result = cpa.result or cpa.finish()
    record = {"command": "cpa", "input": args.input, "plan": plan, "law": law,
              **result.to_dict()}
    what = result.result + (f" ({result.tone})" if result.tone and result.tone != result.result
                            else "")
    if result.result in ("human", "machine"):
        what += f", greeting {result.greeting_ms} ms"
    lines = [f"{args.input}: {what}, decided at {result.end / 8000:.2f} s "
             f"({result.decide_s:.2f} s after the analysis began)"]
    if args.tones:
        events = [e.to_dict() for e in heard if e.kind != "silence"]
        record["events"] = events
        lines += [f"  {e['start_s']:8.2f}-{e['end_s']:.2f} s  {e['kind']} "
                  f"{e.get('tone', '') or e.get('frequency_hz', '')}".rstrip() for e in events]
    emit(args, record, lines)
    return 0


COMMANDS["cpa"] = (cmd_cpa, _args_cpa,
                   "call-progress analysis of a recorded outbound call: busy, no answer, "
                   "person, machine, ...")
