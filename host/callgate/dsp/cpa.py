"""Call-progress analysis and disconnect supervision with the C core (c_src/cpa_tone.c,
cpa_outbound.c, disconnect.c).

How it works, the tolerances and the phases are in their headers, c_src/include/callgate/
cpa_tone.h, cpa_outbound.h and disconnect.h. Quick use::

    analyze_call(samples, plan="CN")          # CpaResult(result="busy", decide_s=1.09, ...)
    ToneDetector("US").feed(samples)          # [ToneEvent("busy", ...), ...]
    sup = DisconnectSupervisor("CN")
    sup.line("loop-drop", at_sample=...); sup.feed(samples)   # -> DisconnectEvent or None

The plans (frequencies and cadences) are the tone.h descriptors the generator plays.
"""

from dataclasses import dataclass

import numpy as np

from callgate._dsp import ffi, lib

from ._args import choice, law_value
from ._buffers import DspError, as_input, check
from .events import KIND_NAMES, SampleSpan, names_from_c
from .tones import find_plan

TICK = lib.CG_CPA_TICK
RESULTS = ("no-dial-tone", "busy", "congestion", "no-answer", "sit", "fax", "human", "machine")
_METHOD_NAMES = names_from_c(lib.cg_disc_method_name, 16)  # 1 -> "loop-drop", 2, 4, 8
METHODS = {name: bit for bit, name in _METHOD_NAMES.items()}
_SIGNALS = {"loop-drop": lib.CG_LINE_LOOP_DROP, "loop-on": lib.CG_LINE_LOOP_ON,
            "reversal": lib.CG_LINE_REVERSAL}


def _c_plan(plan: str):
    found = find_plan(plan)  # ValueError lists the valid names
    c_plan = ffi.new("cg_tone_plan_t **")
    lib.cg_tone_plan_find(found.name.encode(), c_plan)
    return found, c_plan[0]


def _tone_cfg(cfg, c_plan, law, min_level_dbm0, voice_level_dbm0, tolerance_pct, tolerance_ms,
              beeps=True):
    cfg.plan = c_plan
    cfg.law = law_value(law)
    cfg.min_level_dbm0 = min_level_dbm0
    cfg.voice_level_dbm0 = voice_level_dbm0
    cfg.tolerance_pct = tolerance_pct
    cfg.tolerance_ms = tolerance_ms
    if not beeps:
        cfg.beep_max_hz = 0


@dataclass(frozen=True)
class ToneEvent(SampleSpan):
    """What the tone detector heard: kind is "tone", "tone-end", "voice", "silence" or "beep";
    tone is the plan tone's name (tone events), frequency_hz the beep's."""

    kind: str
    start: int
    end: int
    tone: str = ""
    level_dbm0: float = 0.0
    frequency_hz: int = 0

    def to_dict(self) -> dict:
        d = {"kind": self.kind, "start_s": round(self.start_s, 3), "end_s": round(self.end_s, 3),
             "start": self.start, "end": self.end, "level_dbm0": round(self.level_dbm0, 1)}
        if self.tone:
            d["tone"] = self.tone
        if self.frequency_hz:
            d["frequency_hz"] = self.frequency_hz
        return d


class ToneDetector:
    """Cadence-aware detector of a plan's tones, voice, silence and beeps (streaming).
    ``tones``: the names of the plan tones to listen for (default all); the others are not
    filtered for, and sound as voice or silence."""

    def __init__(self, plan="CN", *, law="ulaw", min_level_dbm0=-40.0, voice_level_dbm0=-45.0,
                 tolerance_pct=20, tolerance_ms=50, sit_kinds=False, tones=None):
        self.plan, c_plan = _c_plan(plan)
        self._names = list(self.plan.tones)
        cfg = ffi.new("cg_cpa_tone_cfg_t *")
        lib.cg_cpa_tone_cfg_default(cfg)
        _tone_cfg(cfg, c_plan, law, min_level_dbm0, voice_level_dbm0, tolerance_pct,
                  tolerance_ms)
        cfg.sit_kinds = bool(sit_kinds)
        if tones is not None:
            if isinstance(tones, str) or not tones or any(t not in self._names for t in tones):
                raise ValueError(f"tones must be some of the plan's ({', '.join(self._names)}), "
                                 f"not {tones!r}")
            cfg.tones = sum(1 << self._names.index(t) for t in set(tones))
        self._state = ffi.new("cg_cpa_tone_t *")
        check(lib.cg_cpa_tone_init(self._state, ffi.NULL, cfg), "ToneDetector")
        self._events = ffi.new("cg_event_t[]", 64)

    def feed(self, samples) -> list:
        array, ptr = as_input(samples, np.int16, "samples")
        need = (len(array) // TICK + 1) * 4
        if len(self._events) < need:
            self._events = ffi.new("cg_event_t[]", need)
        count = check(lib.cg_cpa_tone_process(self._state, ptr, len(array), self._events,
                                              len(self._events)), "feed")
        return [self._convert(self._events[i]) for i in range(count)]

    def _convert(self, ev) -> ToneEvent:
        kind = KIND_NAMES[ev.kind].removeprefix("cpa-")
        tone = self._names[ev.value] if kind in ("tone", "tone-end") else ""
        hz = int(ev.value) if kind == "beep" else 0
        return ToneEvent(kind, int(ev.start_sample), int(ev.end_sample), tone,
                         float(ev.level_dbm0), hz)


# A SIT's kind (cg_sit_kind_t, callgate/cpa_tone.h): why a North American exchange says the
# call failed, from its SIT's frequencies and lengths; "unknown" for the ITU-T SIT.
SIT_KINDS = ("unknown", "intercept", "vacant-code", "reorder", "no-circuit", "ineffective-other",
             "reserved")


@dataclass(frozen=True)
class CpaResult(SampleSpan):
    """The one result of an outbound attempt (RESULTS), where the analysis began and where it
    decided (samples), and the time it took. tone: the plan tone behind a tone result;
    greeting_ms: the greeting's length for human/machine; sit_kind: a SIT's (SIT_KINDS)."""

    result: str
    start: int
    end: int
    decide_s: float
    tone: str = ""
    greeting_ms: int = 0
    level_dbm0: float = 0.0
    sit_kind: str = ""

    def to_dict(self) -> dict:
        d = {"result": self.result, "decide_s": round(self.decide_s, 3),
             "start_s": round(self.start_s, 3), "end_s": round(self.end_s, 3),
             "start": self.start, "end": self.end}
        if self.tone:
            d["tone"] = self.tone
        if self.sit_kind:
            d["sit_kind"] = self.sit_kind
        if self.result in ("human", "machine"):
            d["greeting_ms"] = self.greeting_ms
        if self.result not in ("no-dial-tone", "no-answer"):
            d["level_dbm0"] = round(self.level_dbm0, 1)
        return d


class CallProgressAnalyzer:
    """Outbound-call analyser: feed() audio until it returns a CpaResult (then done), or call
    finish() at the end of the stream for the result so far."""

    def __init__(self, plan="CN", *, law="ulaw", no_dial_tone_ms=0, no_answer_ms=30000,
                 human_max_ms=1800, machine_min_ms=2500, end_silence_ms=800,
                 min_level_dbm0=-40.0, voice_level_dbm0=-45.0, tolerance_pct=20,
                 tolerance_ms=50):
        self.plan, c_plan = _c_plan(plan)
        self._names = list(self.plan.tones)
        cfg = ffi.new("cg_cpa_cfg_t *")
        lib.cg_cpa_cfg_default(cfg)
        _tone_cfg(cfg.tone, c_plan, law, min_level_dbm0, voice_level_dbm0, tolerance_pct,
                  tolerance_ms)
        cfg.no_dial_tone_ms = no_dial_tone_ms
        cfg.no_answer_ms = no_answer_ms
        cfg.human_max_ms = human_max_ms
        cfg.machine_min_ms = machine_min_ms
        cfg.end_silence_ms = end_silence_ms
        self._state = ffi.new("cg_cpa_t *")
        check(lib.cg_cpa_init(self._state, cfg), "CallProgressAnalyzer")
        self._event = ffi.new("cg_event_t[]", 1)
        self.result = None

    @property
    def done(self) -> bool:
        return bool(lib.cg_cpa_done(self._state))

    def dialed(self, at_sample: int) -> None:
        """Dialling ended at at_sample: progress analysis starts there."""
        check(lib.cg_cpa_dialed(self._state, at_sample), "dialed")

    def feed(self, samples):
        """Process int16 samples; the CpaResult if the attempt ended in them, else None."""
        array, ptr = as_input(samples, np.int16, "samples")
        count = check(lib.cg_cpa_process(self._state, ptr, len(array), self._event, 1), "feed")
        return self._take(count)

    def finish(self):
        """End of stream: the result (decided now if it was not yet)."""
        count = check(lib.cg_cpa_flush(self._state, self._event, 1), "finish")
        self._take(count)
        return self.result

    def _take(self, count):
        if not count:
            return None
        ev = self._event[0]
        result = KIND_NAMES[ev.kind].removeprefix("cpa-")
        tone = self._names[ev.value] if result in ("busy", "congestion", "fax") else ""
        greeting = int(ev.value) if result in ("human", "machine") else 0
        sit_kind = sit_kind_name(ev.value) if result == "sit" else ""
        self.result = CpaResult(result, int(ev.start_sample), int(ev.end_sample),
                                float(ev.detail), "sit" if sit_kind else tone, greeting,
                                float(ev.level_dbm0), sit_kind)
        return self.result


def sit_kind_name(value: int) -> str:
    """The name of a cg_sit_kind_t value (a cpa-sit event's)."""
    return SIT_KINDS[value] if 0 <= value < len(SIT_KINDS) else "unknown"


def analyze_call(samples, plan="CN", **options) -> CpaResult:
    """The result of one outbound attempt recorded in samples (int16, 8 kHz)."""
    cpa = CallProgressAnalyzer(plan, **options)
    return cpa.feed(samples) or cpa.finish()


@dataclass(frozen=True)
class DisconnectEvent(SampleSpan):
    method: str  # "loop-drop", "reversal", "tone", "silence"
    start: int   # where the condition began
    end: int     # where it fired
    tone: str = ""


class DisconnectSupervisor:
    """FXO disconnect supervision: any of `methods` (default all); the first one fires."""

    def __init__(self, plan="CN", *, law="ulaw", methods=None, loop_drop_ms=200, reversals=1,
                 silence_ms=30000, min_level_dbm0=-40.0, voice_level_dbm0=-45.0):
        self.plan, c_plan = _c_plan(plan)
        self._names = list(self.plan.tones)
        cfg = ffi.new("cg_disc_cfg_t *")
        lib.cg_disc_cfg_default(cfg)
        _tone_cfg(cfg.tone, c_plan, law, min_level_dbm0, voice_level_dbm0, 20, 50, beeps=False)
        if methods is not None:
            unknown = set(methods) - set(METHODS)
            if unknown or not methods:
                raise ValueError(f"methods must be some of {', '.join(METHODS)}, not {methods!r}")
            cfg.methods = sum(METHODS[m] for m in set(methods))
        cfg.loop_drop_ms = loop_drop_ms
        cfg.reversals = reversals
        cfg.silence_ms = silence_ms
        self._state = ffi.new("cg_disc_t *")
        check(lib.cg_disc_init(self._state, cfg), "DisconnectSupervisor")
        self._event = ffi.new("cg_event_t[]", 1)
        self.fired = None

    def line(self, signal: str, at_sample: int):
        """A line-card signal ("loop-drop", "loop-on", "reversal") at at_sample."""
        code = choice(_SIGNALS, signal, "signal")
        return self._take(check(lib.cg_disc_line(self._state, code, at_sample, self._event, 1),
                                "line"))

    def feed(self, samples):
        array, ptr = as_input(samples, np.int16, "samples")
        return self._take(check(lib.cg_disc_process(self._state, ptr, len(array), self._event,
                                                     1), "feed"))

    def _take(self, count):
        if not count:
            return None
        ev = self._event[0]
        method = _METHOD_NAMES.get(ev.value, "unknown")
        tone = self._names[int(ev.detail)] if method == "tone" else ""
        self.fired = DisconnectEvent(method, int(ev.start_sample), int(ev.end_sample), tone)
        return self.fired


__all__ = ["ToneDetector", "ToneEvent", "CallProgressAnalyzer", "CpaResult", "analyze_call",
           "DisconnectSupervisor", "DisconnectEvent", "RESULTS", "METHODS", "DspError"]
