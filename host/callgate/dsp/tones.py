"""Tones and DTMF digits from the C core (c_src/tone.c, c_src/dtmf_tx.c) as int16 arrays.

The tone plans are const data in C; `tone_plans()` reads them from the compiled core, so the
generator, this module and a call-progress detector all see the same numbers. Levels are in
dBm0 per frequency, referred to the law given by `law` ("ulaw" or "alaw").

Quick use::

    generate_dtmf("0123#")                      # -10 dBm0 per tone, 50 ms on / 55 ms off
    generate_tone("CN", "busy", seconds=2.0)    # 450 Hz, 350 ms on / 350 ms off
    tone_plans()["US"].tones["ringback"]        # Tone(frequencies 440+480, 2000/4000 ms, ...)

Streaming: `ToneGenerator` and `DtmfGenerator` hand out any number of samples per call, and
the samples do not depend on how a stream is cut into calls.
"""

from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from callgate._dsp import ffi, lib

from ._args import LAWS, law_value, number, whole  # noqa: F401 (LAWS: public name)
from ._buffers import as_output, check
from .events import SAMPLE_RATE
DTMF_DIGITS = "0123456789*#ABCD"
# Per tone; CG_TONE_MIN/MAX_LEVEL_DBM0 in c_src/include/callgate/tone.h (float macros do not
# reach Python through cffi). The C core checks them again.
MIN_LEVEL_DBM0 = -80.0
MAX_LEVEL_DBM0 = 3.0
MAX_SECONDS = 3600.0
_MIN_SEGMENT_MS = lib.CG_TONE_MIN_SEGMENT_MS
_MAX_FREQ_HZ = lib.CG_TONE_MAX_FREQ_HZ


def _samples_for(seconds) -> int:
    return int(round(number("seconds", seconds, 0.0, MAX_SECONDS) * SAMPLE_RATE))


# --- Tone plans ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Segment:
    """One step of a cadence: up to two frequencies (0 = none) for duration_ms."""

    freq1_hz: int
    freq2_hz: int
    duration_ms: int

    @property
    def frequencies_hz(self) -> tuple:
        return tuple(f for f in (self.freq1_hz, self.freq2_hz) if f)

    @property
    def silent(self) -> bool:
        return not self.frequencies_hz


@dataclass(frozen=True)
class Tone:
    """A cadence and its level in dBm0 per frequency; `repeat` loops it."""

    name: str
    level_dbm0: float
    repeat: bool
    segments: tuple

    @property
    def cycle_ms(self) -> int:
        return sum(s.duration_ms for s in self.segments)

    @property
    def frequencies_hz(self) -> tuple:
        return tuple(sorted({f for s in self.segments for f in s.frequencies_hz}))

    @property
    def continuous(self) -> bool:
        return self.repeat and not any(s.silent for s in self.segments)

    def describe(self) -> str:
        """'480+620 Hz 500/500 ms', '450 Hz continuous', '2100 Hz 3000 ms, once'."""
        groups = []
        for s in self.segments:
            text = "+".join(str(f) for f in s.frequencies_hz)
            if text and text not in groups:
                groups.append(text)
        freqs = ", ".join(groups) + " Hz"
        if self.continuous:
            return f"{freqs} continuous"
        cadence = "/".join(str(s.duration_ms) for s in self.segments)
        return f"{freqs} {cadence} ms" + ("" if self.repeat else ", once")

    def as_dict(self) -> dict:
        return {
            "name": self.name, "level_dbm0": self.level_dbm0, "repeat": self.repeat,
            "frequencies_hz": list(self.frequencies_hz), "cycle_ms": self.cycle_ms,
            "segments": [[s.freq1_hz, s.freq2_hz, s.duration_ms] for s in self.segments],
        }


@dataclass(frozen=True)
class TonePlan:
    name: str
    description: str
    tones: MappingProxyType  # tone name -> Tone, in the plan's order (read-only)


def _tone_from_c(desc) -> Tone:
    segments = tuple(Segment(int(desc.segments[i].freq1_hz), int(desc.segments[i].freq2_hz),
                             int(desc.segments[i].duration_ms)) for i in range(desc.n_segments))
    name = ffi.string(desc.name).decode() if desc.name != ffi.NULL else ""
    return Tone(name, float(desc.level_dbm0), bool(desc.repeat), segments)


def _load_plans() -> dict:
    plans = {}
    for i in range(lib.cg_tone_plan_count()):
        plan = lib.cg_tone_plan_at(i)
        tones = {}
        for j in range(plan.n_tones):
            tone = _tone_from_c(lib.cg_tone_plan_tone(plan, j))
            tones[tone.name] = tone
        name = ffi.string(plan.name).decode()
        plans[name] = TonePlan(name, ffi.string(plan.description).decode(),
                               MappingProxyType(tones))
    return plans


_PLANS = _load_plans()


def tone_plans() -> dict:
    """Plan name ("CN", "US", "EU") -> TonePlan, whose `tones` map names to Tone."""
    return dict(_PLANS)


def find_plan(plan: str) -> TonePlan:
    """A tone plan by name, as the C core looks it up: any case, "ITU" = "EU". An unknown one
    is a ValueError listing the valid names."""
    if not isinstance(plan, str):
        raise ValueError(f"plan must be a string, not {plan!r}")
    c_plan = ffi.new("cg_tone_plan_t **")
    if "\0" in plan or lib.cg_tone_plan_find(plan.encode(), c_plan) < 0:
        raise ValueError(f"unknown tone plan {plan!r} (valid: {', '.join(_PLANS)}; ITU = EU)")
    return _PLANS[ffi.string(c_plan[0].name).decode()]


def find_tone(plan: str, name: str) -> Tone:
    """A plan's tone by name, as the C core looks it up: any case, "ITU" = "EU",
    "reorder" = "congestion". An unknown one is a ValueError listing the valid names."""
    found = find_plan(plan)
    if not isinstance(name, str):
        raise ValueError(f"tone name must be a string, not {name!r}")
    c_plan = ffi.new("cg_tone_plan_t **")
    lib.cg_tone_plan_find(found.name.encode(), c_plan)
    c_tone = ffi.new("cg_tone_desc_t **")
    if "\0" in name or lib.cg_tone_find(c_plan[0], name.encode(), c_tone) < 0:
        raise ValueError(f"plan {found.name} has no tone {name!r} "
                         f"(valid: {', '.join(found.tones)})")
    return found.tones[ffi.string(c_tone[0].name).decode()]


def custom_tone(segments, level_dbm0=-10.0, repeat=True, name="custom") -> Tone:
    """A Tone from (freq1_hz, freq2_hz, duration_ms) triples (freq 0 = none), checked."""
    level = number("level_dbm0", level_dbm0, MIN_LEVEL_DBM0, MAX_LEVEL_DBM0)
    try:
        items = list(segments)
    except TypeError:
        raise ValueError("segments must be a list of (freq1_hz, freq2_hz, duration_ms)") from None
    if not 1 <= len(items) <= 0xFFFF:
        raise ValueError(f"segments must hold 1 to 65535 segments, not {len(items)}")
    out = []
    for i, item in enumerate(items):
        try:
            f1, f2, ms = item
        except (TypeError, ValueError):
            raise ValueError(f"segments[{i}] must be (freq1_hz, freq2_hz, duration_ms), "
                             f"not {item!r}") from None
        out.append(Segment(whole(f"segments[{i}] freq1_hz", f1, 0, _MAX_FREQ_HZ),
                           whole(f"segments[{i}] freq2_hz", f2, 0, _MAX_FREQ_HZ),
                           whole(f"segments[{i}] duration_ms", ms, _MIN_SEGMENT_MS, 0xFFFF)))
    return Tone(str(name), level, bool(repeat), tuple(out))


# The North American SIT of each kind (Telcordia GR-1162, as cpa.SIT_KINDS names them): the
# first two segments low or high in frequency, short (274 ms) or long (380 ms), then 1776.7 Hz
# long. Frequencies to the hertz (the generator's unit; an exchange's are within 1.5 %).
_SIT_LOW, _SIT_HIGH = (914, 1371), (985, 1429)
_SIT_SHORT, _SIT_LONG = 274, 380
SIT_KIND_SEGMENTS = {  # kind: ((high, long) of the first segment, (high, long) of the second)
    "intercept": ((False, False), (False, False)),
    "vacant-code": ((True, True), (False, False)),
    "reorder": ((False, False), (True, True)),  # (RO'; RO'' is high short, low long)
    "no-circuit": ((False, True), (False, True)),  # (NC'; NC'' is high long, high long)
    "ineffective-other": ((False, True), (True, False)),
    "reserved": ((True, False), (True, False)),
}


def sit_kind_tone(kind: str, level_dbm0=-24.0, pause_ms=0) -> Tone:
    """The SIT of a kind once (pause_ms > 0: then that silence, repeated)."""
    if kind not in SIT_KIND_SEGMENTS:
        raise ValueError(f"no SIT kind {kind!r} (valid: {', '.join(SIT_KIND_SEGMENTS)})")
    segs = []
    for i, (high, long) in enumerate(SIT_KIND_SEGMENTS[kind]):
        segs.append(((_SIT_HIGH if high else _SIT_LOW)[i], 0, _SIT_LONG if long else _SIT_SHORT))
    segs.append((1777, 0, _SIT_LONG))
    if pause_ms:
        segs.append((0, 0, pause_ms))
    return custom_tone(segs, level_dbm0, repeat=bool(pause_ms), name=f"sit-{kind}")


# --- Generators ----------------------------------------------------------------------------

class ToneGenerator:
    """Plays a Tone (from find_tone, tone_plans or custom_tone) as a stream of int16 samples."""

    def __init__(self, tone: Tone, law="ulaw", level_dbm0=None):
        if not isinstance(tone, Tone):
            raise ValueError(f"tone must be a Tone (see find_tone), not {type(tone).__name__}")
        level = tone.level_dbm0 if level_dbm0 is None else level_dbm0
        level = number("level_dbm0", level, MIN_LEVEL_DBM0, MAX_LEVEL_DBM0)
        self.tone = tone
        self.level_dbm0 = level
        self.law = law
        # The C generator keeps a pointer to the segments: they live as long as self.
        self._segments = ffi.new("cg_tone_segment_t[]",
                                 [(s.freq1_hz, s.freq2_hz, s.duration_ms) for s in tone.segments])
        desc = ffi.new("cg_tone_desc_t *")
        desc.segments = self._segments
        desc.n_segments = len(tone.segments)
        desc.repeat = 1 if tone.repeat else 0
        desc.level_dbm0 = level
        self._state = ffi.new("cg_tone_gen_t *")
        check(lib.cg_tone_gen_init(self._state, desc, law_value(law)), "tone")
        self.ended = False

    def fill(self, out) -> int:
        """Write into the int16 array out; returns the samples written (fewer once ended)."""
        out, ptr = as_output(out, len(out) if isinstance(out, np.ndarray) else 0, np.int16)
        n = lib.cg_tone_gen_process(self._state, ptr, len(out))
        if n < len(out):
            self.ended = True
        return n

    def read(self, n: int) -> np.ndarray:
        """Up to n samples (fewer, down to none, once a cadence that does not repeat ends)."""
        n = whole("n", n, 0, 2**31 - 1)
        out = np.empty(n, np.int16)
        return out[:self.fill(out)]


def generate_tone(plan: str, name: str, seconds, law="ulaw", level_dbm0=None) -> np.ndarray:
    """`seconds` of a plan's tone (e.g. "CN", "busy"); after a tone that does not repeat
    (ced) has ended, the rest is silence. level_dbm0 overrides the plan's level."""
    return _play(find_tone(plan, name), seconds, law, level_dbm0)


def generate_cadence(segments, seconds, level_dbm0=-10.0, repeat=True, law="ulaw") -> np.ndarray:
    """`seconds` of a cadence of (freq1_hz, freq2_hz, duration_ms) segments (freq 0 = none)."""
    return _play(custom_tone(segments, level_dbm0, repeat), seconds, law, None)


def _play(tone, seconds, law, level_dbm0) -> np.ndarray:
    n = _samples_for(seconds)
    gen = ToneGenerator(tone, law=law, level_dbm0=level_dbm0)
    out = np.zeros(n, np.int16)
    gen.fill(out)
    return out


class DtmfGenerator:
    """DTMF digits as a stream: put() digits, then read() or fill() samples."""

    def __init__(self, level_dbm0=-10.0, twist_db=0.0, on_ms=50, off_ms=55, law="ulaw"):
        cfg = ffi.new("cg_dtmf_tx_cfg_t *")
        cfg.law = law_value(law)
        cfg.level_dbm0 = number("level_dbm0", level_dbm0, MIN_LEVEL_DBM0, MAX_LEVEL_DBM0)
        cfg.twist_db = number("twist_db", twist_db, -40.0, 40.0)
        high = cfg.level_dbm0 + cfg.twist_db
        if not MIN_LEVEL_DBM0 <= high <= MAX_LEVEL_DBM0:
            raise ValueError(f"twist_db {twist_db:g} puts the high-group tone at {high:g} dBm0, "
                             f"outside {MIN_LEVEL_DBM0:g}..{MAX_LEVEL_DBM0:g}")
        cfg.on_ms = whole("on_ms", on_ms, _MIN_SEGMENT_MS, 0xFFFF)
        cfg.off_ms = whole("off_ms", off_ms, _MIN_SEGMENT_MS, 0xFFFF)
        self.level_dbm0, self.twist_db = float(cfg.level_dbm0), float(cfg.twist_db)
        self.on_ms, self.off_ms, self.law = int(cfg.on_ms), int(cfg.off_ms), law
        self._state = ffi.new("cg_dtmf_tx_t *")
        check(lib.cg_dtmf_tx_init(self._state, cfg), "dtmf generator")

    @property
    def pending(self) -> int:
        """Digits queued and not yet started."""
        return lib.cg_dtmf_tx_pending(self._state)

    @property
    def space(self) -> int:
        return lib.CG_DTMF_TX_QUEUE - self.pending

    def put(self, digits: str) -> None:
        """Queue digits (all or none); ValueError for a non-DTMF character or a full queue."""
        raw = check_digits(digits)
        if len(raw) > self.space:
            raise ValueError(f"digits: {len(raw)} do not fit in the queue "
                             f"({self.space} of {lib.CG_DTMF_TX_QUEUE} free)")
        check(lib.cg_dtmf_tx_put(self._state, raw, len(raw)), "digits")

    def fill(self, out) -> int:
        out, ptr = as_output(out, len(out) if isinstance(out, np.ndarray) else 0, np.int16)
        return lib.cg_dtmf_tx_process(self._state, ptr, len(out))

    def read(self, n: int) -> np.ndarray:
        """Up to n samples; fewer once the queue runs dry."""
        n = whole("n", n, 0, 2**31 - 1)
        out = np.empty(n, np.int16)
        return out[:self.fill(out)]


def check_digits(digits) -> bytes:
    """The digits as ASCII bytes; ValueError naming the first one that is not DTMF."""
    if not isinstance(digits, str):
        raise ValueError(f"digits must be a string, not {type(digits).__name__}")
    for i, ch in enumerate(digits):
        if ch.upper() not in DTMF_DIGITS or len(ch.upper()) != 1:
            raise ValueError(f"digits: {ch!r} at position {i} is not a DTMF digit "
                             f"(valid: 0-9 * # A-D)")
    return digits.encode("ascii")


def generate_dtmf(digits: str, level_dbm0=-10.0, twist_db=0.0, on_ms=50, off_ms=55,
                  law="ulaw") -> np.ndarray:
    """The digits as DTMF: each is on_ms of its two tones, then off_ms of silence. The level
    is the low-group tone's, in dBm0 of `law`; twist_db sets the high-group tone relative to
    it. Returns len(digits) * (on_ms + off_ms) * 8 samples."""
    gen = DtmfGenerator(level_dbm0, twist_db, on_ms, off_ms, law)
    check_digits(digits)
    period = (gen.on_ms + gen.off_ms) * SAMPLE_RATE // 1000
    if len(digits) * period > MAX_SECONDS * SAMPLE_RATE:
        raise ValueError(f"digits: {len(digits)} digits would last over {MAX_SECONDS:g} s")
    out = np.empty(len(digits) * period, np.int16)
    done, queued = 0, 0
    # Blocks of at most one digit period, topping the queue up before each, so the generator
    # always sees the next digit in time to ramp it in.
    while done < len(out):
        take = min(gen.space, len(digits) - queued)
        if take:
            gen.put(digits[queued:queued + take])
            queued += take
        n = gen.fill(out[done:done + period])
        if n == 0:
            break
        done += n
    assert done == len(out), (done, len(out))
    return out
