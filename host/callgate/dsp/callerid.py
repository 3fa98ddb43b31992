"""Caller ID (FSK Bell 202 / V.23 and DTMF) with the C core (c_src/cid_*.c; figures in cid.h).

Three layers, as in C:

- messages: ``encode``/``decode`` (SDMF, MDMF, message waiting, with checksum) and
  ``encode_dtmf``/``decode_dtmf`` (DTMF caller ID strings), on ``CallerId`` values;
- ``generate``: the audio of a whole caller ID sequence (alert, seizure, marks, data; or DTMF);
- ``CallerIdReceiver``: streaming reception within a window opened by a start condition;
  ``CallerIdScanner`` over it for long recordings of unknown standard ("auto": both FSK
  receivers at once, each message labelled by ``fsk_standard``, the shift its tones have).

>>> cid = CallerId("mdmf", number="5551234", name="ALICE", date=(12, 25, 9, 30))
>>> audio = generate(cid, "bell202")
>>> [e.message.number for e in decode_audio(audio) if e.ok]
['5551234']
"""

from dataclasses import dataclass, field, replace

import numpy as np

from callgate._dsp import ffi, lib

from ._args import choice, law_value
from ._buffers import as_input, check
from .events import KIND_NAMES, SampleSpan, names_from_c

STANDARDS = {"bell202": lib.CG_CID_BELL202, "v23": lib.CG_CID_V23}
TYPES = {"sdmf": lib.CG_CID_TYPE_SDMF, "sdmf-mwi": lib.CG_CID_TYPE_SDMF_MWI,
         "mdmf": lib.CG_CID_TYPE_MDMF, "mdmf-mwi": lib.CG_CID_TYPE_MDMF_MWI,
         "dtmf": lib.CG_CID_TYPE_DTMF}
TYPE_NAMES = {v: k for k, v in TYPES.items()}
ABSENCE = {"unavailable": b"O", "private": b"P"}
ABSENCE_NAMES = {v: k for k, v in ABSENCE.items()}
START_CONDITIONS = {"ring-end": lib.CG_CID_ARM_RING_END, "reversal": lib.CG_CID_ARM_REVERSAL,
                    "alert": lib.CG_CID_ARM_ALERT}
LINE_EVENTS = {"ring-start": lib.CG_CID_LINE_RING_START, "ring-end": lib.CG_CID_LINE_RING_END,
               "reversal": lib.CG_CID_LINE_REVERSAL}


STATUS_NAMES = names_from_c(lib.cg_cid_status_name, 32)  # 0 -> "ok", 1 -> "bad-checksum", ...


def _counts(cfg, **counts) -> None:
    """Set cfg.NAME = value for each, after checking it is a non-negative int (not a bool)."""
    for name, value in counts.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"{name} must be a non-negative int, not {value!r}")
        setattr(cfg, name, value)


@dataclass(frozen=True)
class CallerId:
    """One caller ID message. ``status`` is "ok" for a good one; a bad one has no fields."""

    type: str = "mdmf"  # sdmf, mdmf, sdmf-mwi, mdmf-mwi, dtmf
    number: str = ""
    name: str = ""
    number_absence: str | None = None  # "private" or "unavailable"
    name_absence: str | None = None
    date: tuple | None = None  # (month, day, hour, minute)
    mwi: bool | None = None  # message waiting on / off
    status: str = "ok"
    unknown_params: int = 0

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def to_dict(self) -> dict:
        d = {"type": self.type, "status": self.status}
        for key in ("number", "name", "number_absence", "name_absence", "mwi"):
            value = getattr(self, key)
            if value not in ("", None):
                d[key] = value
        if self.date is not None:
            d["date"] = "%02d-%02d %02d:%02d" % self.date
        return d


def _to_c(cid: CallerId):
    if not isinstance(cid, CallerId):
        raise TypeError(f"expected a CallerId, not {type(cid).__name__}")
    m = ffi.new("cg_cid_msg_t *")
    lib.cg_cid_msg_clear(m)
    m.type = choice(TYPES, cid.type, "type")
    for attr, limit in (("number", lib.CG_CID_MAX_NUMBER), ("name", lib.CG_CID_MAX_NAME)):
        value = getattr(cid, attr)
        if not isinstance(value, str):
            raise TypeError(f"{attr} must be a str")
        raw = value.encode("ascii", errors="strict") if value.isascii() else None
        if raw is None or len(raw) > limit:
            raise ValueError(f"{attr} must be at most {limit} ASCII characters: {value!r}")
        setattr(m, attr, raw)
    for attr in ("number_absence", "name_absence"):
        value = getattr(cid, attr)
        if value is not None:
            setattr(m, attr, choice(ABSENCE, value, attr))
    if cid.date is not None:
        if len(cid.date) != 4 or not all(isinstance(v, int) for v in cid.date):
            raise ValueError(f"date must be (month, day, hour, minute), not {cid.date!r}")
        m.month, m.day, m.hour, m.minute = cid.date
    if cid.mwi is not None:
        m.mwi = 1 if cid.mwi else 0
    return m


def _from_c(m) -> CallerId:
    date = None if m.month < 0 else (m.month, m.day, m.hour, m.minute)
    return CallerId(
        type=TYPE_NAMES.get(m.type, f"0x{m.type:02x}"),
        number=ffi.string(m.number).decode("ascii"),
        name=ffi.string(m.name).decode("ascii"),
        number_absence=ABSENCE_NAMES.get(m.number_absence),
        name_absence=ABSENCE_NAMES.get(m.name_absence),
        date=date,
        mwi=None if m.mwi < 0 else bool(m.mwi),
        status=STATUS_NAMES.get(m.status, f"status-{m.status}"),
        unknown_params=int(m.unknown_params),
    )


def encode(cid: CallerId) -> bytes:
    """The on-hook data message bytes (type, length, payload, checksum) for an FSK type."""
    m = _to_c(cid)
    if cid.type == "dtmf":
        raise ValueError("a DTMF caller ID is a digit string: use encode_dtmf")
    buf = ffi.new("uint8_t[]", lib.CG_CID_MAX_BYTES)
    n = check(lib.cg_cid_encode(m, buf, lib.CG_CID_MAX_BYTES), f"encode {cid.type}")
    return bytes(ffi.buffer(buf, n))


def decode(data: bytes) -> CallerId:
    """Decode message bytes; the result's status says whether (and why not) it is good."""
    data = bytes(data)
    m = ffi.new("cg_cid_msg_t *")
    lib.cg_cid_decode(data, len(data), m)
    return _from_c(m)


def encode_dtmf(cid: CallerId) -> str:
    """The DTMF caller ID digits: A<number>C, B00C (unavailable) or B10C (private)."""
    buf = ffi.new("char[]", lib.CG_CID_MAX_DTMF + 1)
    n = check(lib.cg_cid_encode_dtmf(_to_c(replace(cid, type="dtmf")), buf,
                                     lib.CG_CID_MAX_DTMF + 1), "encode_dtmf")
    return ffi.string(buf, n).decode("ascii")


def decode_dtmf(digits: str) -> CallerId:
    if not isinstance(digits, str) or not digits.isascii():
        raise ValueError(f"digits must be an ASCII str, not {digits!r}")
    raw = digits.encode("ascii")
    m = ffi.new("cg_cid_msg_t *")
    lib.cg_cid_decode_dtmf(raw, len(raw), m)
    return _from_c(m)


def generate(cid, standard="bell202", *, law="ulaw", level_dbm0=-13.5, twist_db=0.0,
             freq_offset_pct=0.0, baud_offset_pct=0.0, seizure_bits=300, mark_bits=180,
             trailing_mark_bits=10, alert_ms=0, alert_gap_ms=100, alert_level_dbm0=-16.0,
             dtmf_on_ms=70, dtmf_off_ms=70, dtmf_level_dbm0=-10.0) -> np.ndarray:
    """The int16 audio of one caller ID sequence.

    ``cid`` is a CallerId (its type picks FSK or DTMF) or raw message bytes (sent as they are,
    for testing receivers with bad messages). ``twist_db`` is the space level minus the mark
    level; the offsets shift both tone frequencies, or the bit rate, by a percentage.
    """
    cfg = ffi.new("cg_cid_tx_cfg_t *")
    check(lib.cg_cid_tx_cfg_default(cfg, choice(STANDARDS, standard, "standard")), "generate")
    cfg.law = law_value(law)
    cfg.level_dbm0 = level_dbm0
    cfg.space_twist_db = twist_db
    cfg.mark_hz *= 1.0 + freq_offset_pct / 100.0
    cfg.space_hz *= 1.0 + freq_offset_pct / 100.0
    cfg.baud *= 1.0 + baud_offset_pct / 100.0
    _counts(cfg, seizure_bits=seizure_bits, mark_bits=mark_bits,
            trailing_mark_bits=trailing_mark_bits, alert_ms=alert_ms, alert_gap_ms=alert_gap_ms,
            dtmf_on_ms=dtmf_on_ms, dtmf_off_ms=dtmf_off_ms)
    cfg.alert_level_dbm0 = alert_level_dbm0
    cfg.dtmf_level_dbm0 = dtmf_level_dbm0
    tx = ffi.new("cg_cid_tx_t *")
    check(lib.cg_cid_tx_init(tx, cfg), "generate: a parameter is out of range")
    if isinstance(cid, (bytes, bytearray)):
        check(lib.cg_cid_tx_fsk(tx, bytes(cid), len(cid)), "generate")
    elif isinstance(cid, CallerId) and cid.type == "dtmf":
        digits = encode_dtmf(cid).encode("ascii")
        check(lib.cg_cid_tx_dtmf(tx, digits, len(digits)), "generate")
    elif isinstance(cid, str):
        raw = cid.encode("ascii")
        check(lib.cg_cid_tx_dtmf(tx, raw, len(raw)), f"generate: DTMF digits {cid!r}")
    else:
        data = encode(cid)
        check(lib.cg_cid_tx_fsk(tx, data, len(data)), "generate")
    chunks = []
    block = ffi.new("int16_t[]", 4096)
    while True:
        n = lib.cg_cid_tx_generate(tx, block, 4096)
        if n == 0:
            break
        chunks.append(np.frombuffer(ffi.buffer(block, 2 * n), dtype=np.int16).copy())
    return np.concatenate(chunks) if chunks else np.zeros(0, np.int16)


@dataclass(frozen=True)
class CidEvent(SampleSpan):
    """What the receiver reports: an alert, a message, or an error with its reason."""

    kind: str  # "alert", "message", "error"
    start: int
    end: int
    level_dbm0: float
    message: CallerId | None = None
    raw: bytes = field(default=b"", repr=False)
    standard: str = ""  # set by CallerIdScanner for FSK events: "bell202" or "v23"

    @property
    def ok(self) -> bool:
        return self.kind == "message"

    def to_dict(self) -> dict:
        d = {"event": self.kind, "start_s": round(self.start_s, 4),
             "end_s": round(self.end_s, 4)}
        if self.level_dbm0 > -199:
            d["level_dbm0"] = round(self.level_dbm0, 1)
        if self.message is not None:
            d.update(self.message.to_dict())
        if self.standard:
            d["standard"] = self.standard
        if self.raw:
            d["bytes"] = self.raw.hex()
        return d


def rx_cfg(standard, law, start, min_mark_bits, window_ms, dtmf):
    """A checked receiver configuration (the C defaults for the rest): CallerIdReceiver's, and
    the media engine's per-port one. ``start``: a start condition or several."""
    cfg = ffi.new("cg_cid_rx_cfg_t *")
    lib.cg_cid_rx_cfg_default(cfg)
    cfg.standard = choice(STANDARDS, standard, "standard")
    cfg.law = law_value(law)
    if isinstance(start, str):
        start = (start,)
    arm = 0
    for condition in start:
        arm |= choice(START_CONDITIONS, condition, "start condition")
    cfg.arm = arm
    _counts(cfg, min_mark_bits=min_mark_bits, window_ms=window_ms)
    cfg.dtmf = 1 if dtmf else 0
    return cfg


class CallerIdReceiver:
    """Streaming caller ID receiver.

    ``start`` names the start conditions that open the receive window ("ring-end",
    "reversal", "alert"); empty means always listening. Report line events with ``line()``
    between blocks; feed int16 blocks of any length.
    """

    def __init__(self, standard="bell202", *, start=(), law="ulaw", min_level_dbm0=-52.0,
                 min_mark_bits=20, window_ms=5000, dtmf=True, alert_min_level_dbm0=-40.0):
        cfg = rx_cfg(standard, law, start, min_mark_bits, window_ms, dtmf)
        for name, value in (("min_level_dbm0", min_level_dbm0),
                            ("alert_min_level_dbm0", alert_min_level_dbm0)):
            if not isinstance(value, (int, float)):
                raise TypeError(f"{name} must be a number")
            setattr(cfg, name, value)
        self._state = ffi.new("cg_cid_rx_t *")
        check(lib.cg_cid_rx_init(self._state, cfg), "CallerIdReceiver: a parameter is out of range")
        self._events = ffi.new("cg_event_t[]", lib.CG_CID_RX_BLOCK // 400 + 4)
        self._msg = ffi.new("cg_cid_msg_t *")
        self._raw = ffi.new("uint8_t[]", lib.CG_CID_MAX_BYTES)

    def line(self, event: str) -> None:
        """The line card saw "ring-start", "ring-end" or "reversal" (at the current position)."""
        check(lib.cg_cid_rx_line(self._state, choice(LINE_EVENTS, event, "line event")), "line")

    def feed(self, samples) -> list:
        array, _ = as_input(samples, np.int16, "samples")
        out = []
        block = lib.CG_CID_RX_BLOCK
        for i in range(0, len(array), block):
            part = array[i:i + block]
            ptr = ffi.from_buffer("int16_t[]", part)
            count = check(lib.cg_cid_rx_process(self._state, ptr, len(part), self._events,
                                                len(self._events)), "feed")
            out.extend(self._convert(self._events[k]) for k in range(count))
        return out

    def flush(self) -> list:
        count = check(lib.cg_cid_rx_flush(self._state, self._events, len(self._events)), "flush")
        return [self._convert(self._events[k]) for k in range(count)]

    def _convert(self, ev) -> CidEvent:
        kind = KIND_NAMES.get(ev.kind, "unknown").removeprefix("cid-")
        if kind == "alert":
            return CidEvent("alert", int(ev.start_sample), int(ev.end_sample),
                            float(ev.level_dbm0))
        lib.cg_cid_rx_message(self._state, self._msg)
        message = _from_c(self._msg)
        raw = b""
        if message.type != "dtmf":
            n = lib.cg_cid_rx_raw(self._state, self._raw, lib.CG_CID_MAX_BYTES)
            raw = bytes(ffi.buffer(self._raw, n))
        return CidEvent(kind, int(ev.start_sample), int(ev.end_sample), float(ev.level_dbm0),
                        message, raw)


def decode_audio(samples, standard="bell202", *, line_events=(), **options) -> list:
    """All caller ID events in a whole signal. ``line_events`` is [(sample, "ring-end"), ...],
    applied at those positions (give ``start=`` in options to make them matter)."""
    rx = CallerIdReceiver(standard, **options)
    array, _ = as_input(samples, np.int16, "samples")
    events, pos = [], 0
    for at, what in sorted(line_events, key=lambda e: e[0]):
        at = min(max(int(at), pos), len(array))
        events += rx.feed(array[pos:at])
        rx.line(what)
        pos = at
    events += rx.feed(array[pos:])
    return events + rx.flush()


# FSK tones: both standards centre on 1700 Hz; the shift from mark to space tells them apart.
FSK_TONES_HZ = {"bell202": (1200.0, 2200.0), "v23": (1300.0, 2100.0)}
_CENTRE_HZ = 1700.0
_SHIFT_SPLIT_HZ = 900.0  # between Bell 202's 1000 Hz and V.23's 800 Hz
_MIN_MARKS = 64  # samples of mark (about 10 bits) for the mark test
_MIN_MESSAGE = 64


def fsk_standard(marks, message=()) -> str:
    """Which FSK standard's tones these are: "bell202", "v23", or "" if too few samples.

    ``marks``: samples of the mark run just before a message (every message has one: the
    receiver needs ``min_mark_bits`` of it, 20 by default). The mark tone is 1200 Hz in Bell
    202 and 1300 Hz in V.23: the correlation with each (a two-point DFT over the run) decides.
    White noise adds the same energy to both in expectation, so this holds far below the SNR
    at which messages decode (tested to -3 dB), and with the tones off by +-3 %.

    ``message``: the message's own samples, used only when there are too few marks: the
    medians of the instantaneous frequency (analytic signal) below and above 1700 Hz are the
    two tones, 1000 Hz apart in Bell 202 and 800 Hz in V.23 whatever the bits sent. Noise
    pulls both towards 1700 Hz, so this one needs a clean signal (about 15 dB SNR).

    What does not work, and was used before (issue 12): power in narrow bands around each
    standard's tones over the message. At 1200 baud a tone lasts one to a few bits, so its
    energy spreads over +-1200 Hz, and the bit pattern, not the 100 Hz between the two
    standards' tones, decides which bands get more.
    """
    x = np.asarray(marks, dtype=np.float64)
    if len(x) >= _MIN_MARKS:
        n = np.arange(len(x))
        bell, v23 = (abs(np.dot(x, np.exp(-2j * np.pi * FSK_TONES_HZ[std][0] / 8000.0 * n)))
                     for std in ("bell202", "v23"))
        if bell != v23:
            return "bell202" if bell > v23 else "v23"
    return _standard_by_shift(np.asarray(message, dtype=np.float64))


def _standard_by_shift(x) -> str:
    n = len(x)
    if n < _MIN_MESSAGE:
        return ""
    weights = np.zeros(n)
    weights[0] = 1.0
    weights[1:(n + 1) // 2] = 2.0
    if n % 2 == 0:
        weights[n // 2] = 1.0
    analytic = np.fft.ifft(np.fft.fft(x - x.mean()) * weights)
    magnitude = np.abs(analytic)
    freq = np.diff(np.unwrap(np.angle(analytic))) * (8000.0 / (2.0 * np.pi))
    loud = magnitude > 0.5 * np.median(magnitude)
    freq = freq[loud[1:] & loud[:-1]]
    mark = freq[(freq > _CENTRE_HZ - 1000.0) & (freq < _CENTRE_HZ)]
    space = freq[(freq >= _CENTRE_HZ) & (freq < _CENTRE_HZ + 1000.0)]
    if len(mark) < 8 or len(space) < 8:
        return ""
    shift = float(np.median(space) - np.median(mark))
    return "bell202" if shift >= _SHIFT_SPLIT_HZ else "v23"


class CallerIdScanner:
    """Caller ID in a stream of any length, for one FSK standard or "auto" (both).

    With "auto" a Bell 202 and a V.23 receiver listen side by side (their tones are close, so
    both often decode the same message); the two reports of one message (starts within
    50 ms) become one, a good message over an error. Every FSK event is labelled with the
    standard its tones have, measured on its samples (``fsk_standard``: the mark run before
    it, ``min_mark_bits`` long less a margin), not with the receiver that heard it. Alerts and
    DTMF caller ID come from the first receiver only.

    Memory is constant: the last ``HISTORY`` samples are kept for the labels (the longest
    message, 258 bytes with 40-bit gaps, lasts under 11 s), and an event is held back
    ``HOLD`` samples after its end for its twin. ``feed`` returns events in start order.
    """

    HISTORY = 16 * 8000
    HOLD = 8000
    _CHUNK = 16000
    _TWIN = 400  # 50 ms

    def __init__(self, standard="auto", *, dtmf=True, **options):
        if standard == "auto":
            standards = tuple(STANDARDS)
        else:
            choice(STANDARDS, standard, "standard")
            standards = (standard,)
        self._receivers = [(s, CallerIdReceiver(s, dtmf=dtmf and i == 0, **options))
                           for i, s in enumerate(standards)]
        # the mark run every message has before it, less two bits either end
        self._marks = max(0, options.get("min_mark_bits", 20) - 4) * 8000 // 1200
        self._history = np.zeros(0, np.int16)
        self._pos = 0  # samples fed so far
        self._pending = []  # (event, standard of the receiver that reported it)

    def line(self, event: str) -> None:
        """A line event at the current position (see CallerIdReceiver.line)."""
        for _, rx in self._receivers:
            rx.line(event)

    def feed(self, samples) -> list:
        array, _ = as_input(samples, np.int16, "samples")
        for i in range(0, len(array), self._CHUNK):
            chunk = array[i:i + self._CHUNK]
            self._history = np.concatenate([self._history, chunk])[-self.HISTORY:]
            self._pos += len(chunk)
            for k, (standard, rx) in enumerate(self._receivers):
                for event in rx.feed(chunk):
                    self._add(k, standard, event)
        return self._release(self._pos - self.HOLD)

    def flush(self) -> list:
        for k, (standard, rx) in enumerate(self._receivers):
            for event in rx.flush():
                self._add(k, standard, event)
        return self._release(None)

    def _span(self, start: int, end: int) -> np.ndarray:
        first = self._pos - len(self._history)
        return self._history[max(start, first) - first:max(end, first) - first]

    def _add(self, k: int, standard: str, event: CidEvent) -> None:
        if event.kind == "alert" or (event.message is not None and event.message.type == "dtmf"):
            if k == 0:
                self._pending.append((event, ""))
            return
        before = event.start - 2 * 8000 // 1200
        measured = fsk_standard(self._span(before - self._marks, before),
                                self._span(event.start, event.end))
        event = replace(event, standard=measured or standard)
        twin = next((i for i, (e, s) in enumerate(self._pending)
                     if s and s != standard and abs(e.start - event.start) < self._TWIN), None)
        if twin is None:
            self._pending.append((event, standard))
            return
        other, other_standard = self._pending[twin]
        if (event.ok, event.standard == standard) > (other.ok, other.standard == other_standard):
            self._pending[twin] = (event, standard)

    def _release(self, before) -> list:
        self._pending.sort(key=lambda p: p[0].start)
        n = 0
        while n < len(self._pending) and (before is None or self._pending[n][0].end < before):
            n += 1
        out = [e for e, _ in self._pending[:n]]
        del self._pending[:n]
        return out


__all__ = ["CallerId", "CidEvent", "CallerIdReceiver", "CallerIdScanner", "encode", "decode",
           "encode_dtmf", "decode_dtmf", "fsk_standard", "generate", "decode_audio", "STANDARDS",
           "START_CONDITIONS", "FSK_TONES_HZ"]
