"""Events from the C core as Python values.

Event kinds are defined once, by the CG_EVENT_KINDS X-macro in c_src/include/callgate/common.h;
this module reads their names from the compiled core, so the two cannot drift apart.
"""

from dataclasses import dataclass

from callgate._dsp import ffi, lib

SAMPLE_RATE = 8000


def _kinds() -> dict:
    kinds = {}
    for value in range(256):
        name = ffi.string(lib.cg_event_kind_name(value)).decode()
        if name != "unknown":
            kinds[name] = value
    return kinds


KIND_VALUES = _kinds()  # "dtmf" -> 2, ...
KIND_NAMES = {v: k for k, v in KIND_VALUES.items()}


@dataclass(frozen=True)
class Event:
    """One event from a detector. Sample positions count from the start of the stream."""

    kind: str
    start: int  # first sample covered
    end: int  # one past the last sample covered
    value: int
    level_dbm0: float
    detail: float

    @property
    def start_s(self) -> float:
        return self.start / SAMPLE_RATE

    @property
    def end_s(self) -> float:
        return self.end / SAMPLE_RATE

    @classmethod
    def from_c(cls, ev) -> "Event":
        return cls(KIND_NAMES.get(ev.kind, f"kind-{ev.kind}"), int(ev.start_sample),
                   int(ev.end_sample), int(ev.value), float(ev.level_dbm0), float(ev.detail))
