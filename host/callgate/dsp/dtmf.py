"""DTMF reception with the C core's receiver (c_src/dtmf_rx.c; Q.24 figures in its header)."""

from dataclasses import dataclass

import numpy as np

from callgate._dsp import ffi, lib

from ._args import law_value, number
from ._buffers import DspError, as_input, check
from .events import KIND_VALUES, SampleSpan


@dataclass(frozen=True)
class DtmfEvent(SampleSpan):
    """A digit heard: positions in samples from the start of the stream."""

    digit: str
    start: int
    end: int
    level_dbm0: float  # mean of the two tones
    twist_db: float  # high-group tone minus low-group tone
    final: bool = True  # False for a digit-begin report (end not known yet)


class DtmfDetector:
    """Streaming DTMF receiver: feed int16 blocks of any length, get the digits completed.

    >>> det = DtmfDetector()
    >>> events = det.feed(samples) + det.flush()
    """

    def __init__(self, *, law="ulaw", min_level_dbm0=-38.0, max_normal_twist_db=10.0,
                 max_reverse_twist_db=6.0, max_freq_error_pct=2.5, report_begin=False):
        cfg = ffi.new("cg_dtmf_rx_cfg_t *")
        lib.cg_dtmf_rx_cfg_default(cfg)
        cfg.law = law_value(law)
        for name, value, low, high in (
            ("min_level_dbm0", min_level_dbm0, -70.0, 3.0),
            ("max_normal_twist_db", max_normal_twist_db, 0.0, 20.0),
            ("max_reverse_twist_db", max_reverse_twist_db, 0.0, 20.0),
            ("max_freq_error_pct", max_freq_error_pct, 0.01, 6.0),
        ):
            setattr(cfg, name, number(name, value, low, high))
        cfg.report_begin = 1 if report_begin else 0
        self._state = ffi.new("cg_dtmf_rx_t *")
        check(lib.cg_dtmf_rx_init(self._state, cfg), "DtmfDetector")
        self._events = ffi.new("cg_event_t[]", 64)

    def _ensure_room(self, n: int) -> None:
        need = n // 51 + 2
        if len(self._events) < need:
            self._events = ffi.new("cg_event_t[]", need)

    def feed(self, samples) -> list:
        """Process int16 samples; return the DtmfEvents completed in them."""
        array, ptr = as_input(samples, np.int16, "samples")
        self._ensure_room(len(array))
        count = check(lib.cg_dtmf_rx_process(self._state, ptr, len(array), self._events,
                                             len(self._events)), "feed")
        return [self._convert(self._events[i]) for i in range(count)]

    def flush(self) -> list:
        """End of stream: the digit still sounding, if any."""
        count = check(lib.cg_dtmf_rx_flush(self._state, self._events, len(self._events)),
                      "flush")
        return [self._convert(self._events[i]) for i in range(count)]

    @staticmethod
    def _convert(ev) -> DtmfEvent:
        final = ev.kind == KIND_VALUES["dtmf"]
        return DtmfEvent(chr(ev.value), int(ev.start_sample), int(ev.end_sample),
                         round(float(ev.level_dbm0), 2), round(float(ev.detail), 2), final)


def detect_dtmf(samples, **options) -> list:
    """All digits in a whole signal (a convenience over DtmfDetector)."""
    det = DtmfDetector(**options)
    return det.feed(samples) + det.flush()


__all__ = ["DtmfDetector", "DtmfEvent", "detect_dtmf", "DspError", "law_value"]
