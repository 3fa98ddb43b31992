"""A simulated caller, described once: what the caller of one inbound call does.

Every tool that places a call on the virtual board's exchange says what its caller does with
a `Caller`: the exchange itself (exchange.py runs it), the control socket's `call` op
(control.py: `Caller.to_json()` on the wire, `Caller.from_json()` on the board model's side),
`callgate sim call` (its options are made from FIELDS), the test rig's far end and its plans
(rig/farend.py, rig/plan.py), and the demo call center (demo_center.py).

    Caller(number="5551234", name="ALICE", digits="2,1", patience_ms=30000, survey="45")
    Caller.given(talk_ms=None, hangup=None)   # None: the field's default (options not given)
    Caller.from_json({"number": "5551234"})   # missing fields: their defaults

A Caller is checked whole when it is made: a bad value raises CallerError (a ValueError)
naming the field and the value. Durations are ms (a number >= 0, int or float); WAV files are
paths (read by the board model, so a client sends absolute ones).

"A prompt ended" is what a caller can hear: 300 ms of quiet after sound from the board, with
nothing of its own left to send. The fields, in FIELDS order, and what they mean:
"""

import dataclasses
import math

from ..dsp.callerid import STANDARDS, lib
from ..dsp.tones import check_digits

HANGUP_MODES = ("loop-drop", "reversal", "busy")
CID_STARTS = ("ring-end", "reversal", "alert")
CID_STANDARDS = tuple(STANDARDS)  # bell202, v23
MAX_NUMBER = lib.CG_CID_MAX_NUMBER  # caller ID number: 0-9 * # +, at most 20
MAX_NAME = lib.CG_CID_MAX_NAME  # caller ID name: printable ASCII, at most 50
NUMBER_CHARS = frozenset("0123456789*#+")


class CallerError(ValueError):
    """A caller field with a bad value; `field` names it."""

    def __init__(self, field: str, msg: str):
        super().__init__(msg)
        self.field = field


# -- the checks: each returns the value, or raises CallerError naming field and value --------

def _fail(name, what, value):
    raise CallerError(name, f"{name} must be {what}, not {value!r}")


def _text(name, value, chars=None, limit=None, what="text"):
    if not isinstance(value, str):
        _fail(name, what, value)
    bad = [c for c in value if not (c in chars if chars else " " <= c <= "~")]
    if bad or len(value) > limit:
        _fail(name, f"{what} (at most {limit} characters)", value)
    return value


def _number(name, value):
    return _text(name, value, NUMBER_CHARS, MAX_NUMBER, "a caller ID number of 0-9 * # +")


def _name(name, value):
    return _text(name, value, None, MAX_NAME, "a caller ID name of printable ASCII")


def _dtmf(name, value, *, none=True, empty=True):
    if value is None and none:
        return None
    if not isinstance(value, str):
        _fail(name, f"a string of DTMF digits{' or None' if none else ''}", value)
    if not value and not empty:
        raise CallerError(name, f"{name} must not be empty (None: no {name}), not {value!r}")
    try:
        check_digits(value)
    except ValueError as e:
        raise CallerError(name, f"{name} {value!r}: {_why(e)}") from None
    return value


def _groups(name, value):
    if not isinstance(value, str):
        _fail(name, "a string of DTMF digits (groups split by ',')", value)
    groups = value.split(",") if value else []
    for i, g in enumerate(groups):
        try:
            check_digits(g)
        except ValueError as e:
            where = f", group {i + 1} {g!r}" if len(groups) > 1 else ""
            raise CallerError(name, f"{name} {value!r}{where}: {_why(e)}") from None
    return value


def _why(e) -> str:
    """check_digits' message without its own "digits: " (the field is named already)."""
    return str(e).removeprefix("digits: ")


def _ms(name, value, *, none=True, positive=False):
    if value is None and none:
        return None
    if (isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value)
            or not (value > 0 if positive else value >= 0)):
        _fail(name, f"a number of ms {'> 0' if positive else '>= 0'}{' or None' if none else ''}", value)
    return value


def _ms_given(name, value):
    return _ms(name, value, none=False)


def _ms_positive(name, value):
    return _ms(name, value, none=False, positive=True)


def _dtmf_some(name, value):
    return _dtmf(name, value, empty=False)


def _count(name, value):
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        _fail(name, "a whole number >= 1", value)
    return value


def _flag(name, value):
    if not isinstance(value, bool):
        _fail(name, "true or false", value)
    return value


def _choice(options):
    def check(name, value):
        if value not in options:
            _fail(name, "one of " + ", ".join(options), value)
        return value

    check.options = options
    return check


def _wav(name, value):
    if value is not None and (not isinstance(value, str) or not value or "\0" in value):
        _fail(name, "the path of a WAV file, or None", value)
    return value


def _field(default, check, help, metavar=None):
    """A Caller field: its default, its check (name, value) -> value, what it means (the CLI's
    help and this module's table), and the CLI's metavar."""
    return dataclasses.field(default=default, metadata={"check": check, "help": help, "metavar": metavar})


@dataclasses.dataclass(frozen=True)
class Caller:
    number: str = _field("", _number, "the caller's number (caller ID)", "NUMBER")
    name: str = _field("", _name, "the caller's name (caller ID)", "NAME")
    digits: str = _field("", _groups, "DTMF digits keyed after the first prompt ends (e.g. 1#); groups split "
                         "by commas are keyed after successive prompts (2,1); an empty group keys nothing",
                         "DIGITS")
    speech: str | None = _field(None, _wav, "a WAV file the caller says after the answer", "FILE")
    cid: bool = _field(True, _flag, "the exchange sends caller ID")
    cid_standard: str = _field("bell202", _choice(CID_STANDARDS), "the caller ID's FSK standard")
    cid_start: str = _field("ring-end", _choice(CID_STARTS), "caller ID after the first ring (ring-end), or before "
                            "it after a polarity reversal or a dual-tone alert (ETSI)")
    cid_delay_ms: float = _field(600, _ms_given, "caller ID this long after the first ring ends (ring-end)", "MS")
    ring_on_ms: float = _field(2000, _ms_positive, "ring cadence: ringing this long", "MS")
    ring_off_ms: float = _field(4000, _ms_given, "ring cadence: then quiet this long", "MS")
    max_rings: int = _field(6, _count, "give up unanswered after this many rings", "N")
    digit_delay_ms: float | None = _field(None, _ms, "key the first group this long after the answer "
                                          "(barge-in) instead of after the prompt", "MS")
    hangup: str = _field("loop-drop", _choice(HANGUP_MODES), "how the caller's hang-up shows on the line: loop "
                         "current drop, a polarity reversal, or only busy tone")
    hangup_after_ms: float | None = _field(None, _ms, "hang up this long after the last group is keyed (or after "
                                           "the answer, keying nothing); None: wait for the board", "MS")
    patience_ms: float | None = _field(None, _ms, "abandon unless put through to an agent this long after the "
                                       "answer; None: wait", "MS")
    talk_ms: float | None = _field(None, _ms, "hang up this long after being put through; None: wait for the "
                                   "agent", "MS")
    survey: str | None = _field(None, _dtmf, "after the agent left, one digit keyed after each prompt; None: hang "
                                "up 1 s after the agent left; '': key nothing, wait", "DIGITS")
    callback: str | None = _field(None, _dtmf_some, "keyed (e.g. 5559876#) when the board waits 2 s after a prompt, "
                                  "never put through, the digit groups used up", "DIGITS")
    max_call_ms: float = _field(60000, _ms_given, "give up this long after the answer, time with an agent not "
                                "counted", "MS")
    digit_audio: str | None = _field(None, _wav, "a WAV file keyed instead of the digits, as one group (the "
                                     "test rig's own DTMF)", "FILE")
    cid_audio: str | None = _field(None, _wav, "a WAV file sent instead of the exchange's caller ID (the test "
                                   "rig's own)", "FILE")

    def __post_init__(self):
        for f in FIELDS:
            f.metadata["check"](f.name, getattr(self, f.name))

    # -- forms ------------------------------------------------------------------------------

    @classmethod
    def given(cls, **options) -> "Caller":
        """A Caller from options that may be None for "not given": the field's default."""
        return cls.from_json({k: v for k, v in options.items() if v is not None})

    @classmethod
    def from_json(cls, obj) -> "Caller":
        """From its JSON form (a dict; missing fields take their defaults)."""
        if not isinstance(obj, dict):
            raise CallerError("caller", f"a caller is a JSON object of its fields, not {obj!r}")
        unknown = sorted(set(obj) - set(NAMES))
        if unknown:
            raise CallerError(unknown[0], f"unknown caller field {unknown[0]!r} (known: {', '.join(NAMES)})")
        return cls(**obj)

    def to_json(self) -> dict:
        """Every field, as JSON values (what from_json takes back)."""
        return {f.name: getattr(self, f.name) for f in FIELDS}

    def replace(self, **changes) -> "Caller":
        return dataclasses.replace(self, **changes)

    @classmethod
    def check(cls, name: str, value):
        """One field's value checked alone (the CLI's and the plans' options); CallerError if bad."""
        if name not in NAMES:
            raise CallerError(name, f"unknown caller field {name!r} (known: {', '.join(NAMES)})")
        return BY_NAME[name].metadata["check"](name, value)

    @property
    def groups(self) -> list:
        """The digit groups, one per prompt ("2,1" -> ["2", "1"]); the rig's digit_audio is one."""
        if self.digit_audio is not None:
            return [self.digits]
        return self.digits.split(",") if self.digits else []


FIELDS = dataclasses.fields(Caller)
NAMES = tuple(f.name for f in FIELDS)
BY_NAME = {f.name: f for f in FIELDS}
WAV_FIELDS = tuple(f.name for f in FIELDS if f.metadata["check"] is _wav)


def options(name: str):
    """The values a choice field takes (cid_standard, cid_start, hangup), else None."""
    return getattr(BY_NAME[name].metadata["check"], "options", None)


__doc__ += "\n" + "\n".join(f"    {f.name:<16} {f.default!r:<12} {f.metadata['help']}" for f in FIELDS)
