"""Events from the C core as Python values.

Event kinds are defined once, by the CG_EVENT_KINDS X-macro in c_src/include/callgate/common.h;
this module reads their names from the compiled core, so the two cannot drift apart.
"""

from dataclasses import dataclass

from callgate._dsp import ffi, lib

SAMPLE_RATE = 8000


def names_from_c(name_function, limit: int) -> dict:
    """{value: name} for the values 0..limit-1 that the C name function knows (it answers
    "unknown" for the others): how every X-macro name table reaches Python."""
    names = {}
    for value in range(limit):
        name = ffi.string(name_function(value)).decode()
        if name != "unknown":
            names[value] = name
    return names


KIND_NAMES = names_from_c(lib.cg_event_kind_name, 256)  # 2 -> "dtmf", ...
KIND_VALUES = {name: value for value, name in KIND_NAMES.items()}


class SampleSpan:
    """Mixin for event dataclasses with `start` and `end` sample positions (end exclusive)."""

    @property
    def start_s(self) -> float:
        return self.start / SAMPLE_RATE

    @property
    def end_s(self) -> float:
        return self.end / SAMPLE_RATE

    @property
    def duration_ms(self) -> float:
        return (self.end - self.start) * 1000.0 / SAMPLE_RATE


@dataclass(frozen=True)
class Event(SampleSpan):
    """One event from a detector. Sample positions count from the start of the stream."""

    kind: str
    start: int  # first sample covered
    end: int  # one past the last sample covered
    value: int
    level_dbm0: float
    detail: float

    @classmethod
    def from_c(cls, ev) -> "Event":
        return cls(KIND_NAMES.get(ev.kind, f"kind-{ev.kind}"), int(ev.start_sample),
                   int(ev.end_sample), int(ev.value), float(ev.level_dbm0), float(ev.detail))
