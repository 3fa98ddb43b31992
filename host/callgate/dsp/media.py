"""The media engine (c_src/media.c; callgate/media.h is the manual) from Python.

One ``MediaEngine`` owns N ports. Each ``process()`` call takes one G.711 frame received on
every port and returns the frame to send on every port, plus the events of that frame::

    eng = MediaEngine(ports=2, law="ulaw")
    eng.play(0, prompt_codes, barge_in=True)
    eng.bridge(0, 1)
    tx, events = eng.process([rx0, rx1])       # rx*: uint8 arrays of n codes each

What goes out on a port, highest priority first: prompt > tone > DTMF > the audio it hears >
silence. Who hears whom: ``bridge(a, b)`` (a hears b, b hears a), or per port
``hear(port, [ports...])``: a conference's listen matrix (a supervisor's listen, whisper and
barge are three such matrices, callgate/media.h).

Buffers are allocated once: ``process`` copies the rx frames into ``self.rx`` and returns a
view of ``self.tx`` (valid until the next call); a caller that fills ``eng.rx`` itself calls
``process(n=...)`` and nothing is copied. Only the event list is new per frame.
"""

from dataclasses import dataclass

import numpy as np

from callgate._dsp import ffi, lib

from ._args import LAWS, choice, law_value  # noqa: F401 (LAWS: public name)
from ._buffers import DspError, check
from .callerid import LINE_EVENTS, CallerId, _from_c, rx_cfg
from .events import KIND_NAMES, SampleSpan
from .tones import Tone, check_digits, find_plan, find_tone

MAX_PORTS = lib.CG_MEDIA_MAX_PORTS
MAX_FRAME = lib.CG_MEDIA_MAX_FRAME
SILENCE = {"ulaw": 0xFF, "alaw": 0xD5}
PROMPT_END = {lib.CG_MEDIA_END_COMPLETE: "complete", lib.CG_MEDIA_END_BARGE_IN: "barge-in"}


@dataclass(frozen=True)
class MediaEvent(SampleSpan):
    """An engine event. Positions are samples since the engine started, on every port alike.

    kind: "dtmf-begin", "dtmf", "cid-alert", "cid-message", "cid-error", "prompt-done",
    "tone-done", "dtmf-sent", "record-full", and of call-progress analysis (cpa_arm)
    "cpa-tone" (dial tone heard: dial now) and one result, "cpa-no-dial-tone", "cpa-busy",
    "cpa-congestion", "cpa-no-answer", "cpa-sit", "cpa-fax", "cpa-human", "cpa-machine".
    ``digit`` is set for DTMF kinds, ``message`` for caller ID messages and errors, ``reason``
    for prompt-done ("complete", "barge-in"), ``tone`` for a CPA tone or a tone result (the
    plan's tone name: "dial", "busy", "sit", "ced"...), ``decide_s`` for a CPA result (seconds
    from the analysis' start, or the dialling's end, to the decision); ``value`` is the C
    event's value (record-full: bytes recorded; human, machine: the greeting in ms; cpa-sit: the
    SIT's kind, cpa.SIT_KINDS).
    """

    port: int
    kind: str
    start: int
    end: int
    value: int = 0
    digit: str | None = None
    message: CallerId | None = None
    reason: str | None = None
    level_dbm0: float = 0.0
    tone: str | None = None
    decide_s: float | None = None


class MediaEngine:
    """N ports of G.711 audio: detectors on rx, prompt/tone/DTMF/heard audio on tx, a recorder."""

    def __init__(self, ports=4, law="ulaw"):
        if isinstance(ports, bool) or not isinstance(ports, int) or not 1 <= ports <= MAX_PORTS:
            raise ValueError(f"ports must be an int from 1 to {MAX_PORTS}, not {ports!r}")
        self.ports = ports
        self._m = ffi.new("cg_media_t *")
        check(lib.cg_media_init(self._m, ports, law_value(law)), "MediaEngine")
        self._laws = [law] * ports
        self.rx = np.empty((ports, MAX_FRAME), dtype=np.uint8)
        self.tx = np.empty((ports, MAX_FRAME), dtype=np.uint8)
        rx_buf = ffi.from_buffer("uint8_t[]", self.rx)
        tx_buf = ffi.from_buffer("uint8_t[]", self.tx, require_writable=True)
        self._rx_rows = [rx_buf + p * MAX_FRAME for p in range(ports)]
        self._rx_ptrs = ffi.new("const uint8_t *[]", self._rx_rows)
        self._tx_ptrs = ffi.new("uint8_t *[]", [tx_buf + p * MAX_FRAME for p in range(ports)])
        self._keep = (rx_buf, tx_buf)
        self._ev = ffi.new("cg_media_event_t[]", lib.CG_MEDIA_MAX_EVENTS)
        self._msg = ffi.new("cg_cid_msg_t *")
        # Memory the C engine points into, kept alive here per port.
        self._prompt = [None] * ports
        self._tone = [None] * ports
        self._record = [None] * ports
        self._cid = [None] * ports
        self._cpa = [None] * ports  # (analyser, its plan's tone names) while armed

    # --- the frame ---------------------------------------------------------------------

    def process(self, rx=None, n=None):
        """One frame on every port.

        ``rx``: one entry per port, each a uint8 array of n codes in that port's law, or None
        for a port whose line sends nothing; or None to use what the caller wrote into
        ``self.rx[:, :n]``. Returns (tx, events): tx is a (ports, n) uint8 view of ``self.tx``,
        overwritten by the next call.
        """
        if rx is not None:
            if len(rx) != self.ports:
                raise ValueError(f"rx must have one frame per port ({self.ports}), not {len(rx)}")
            for p, frame in enumerate(rx):
                if frame is None:
                    continue
                if not isinstance(frame, np.ndarray) or frame.dtype != np.uint8 or frame.ndim != 1:
                    raise TypeError(f"rx[{p}] must be a 1-D numpy array of uint8")
                if n is None:
                    n = len(frame)
                if len(frame) != n:
                    raise ValueError(f"rx[{p}] has {len(frame)} codes, the frame is {n}")
        if n is None:
            raise ValueError("process: give n when no rx frame says how long the frame is")
        if isinstance(n, bool) or not isinstance(n, int) or not 0 <= n <= MAX_FRAME:
            raise ValueError(f"n must be an int from 0 to {MAX_FRAME}, not {n!r}")
        for p in range(self.ports):
            frame = None if rx is None else rx[p]
            if rx is not None and frame is None:
                self._rx_ptrs[p] = ffi.NULL
            else:
                self._rx_ptrs[p] = self._rx_rows[p]
                if frame is not None:
                    self.rx[p, :n] = frame
        count = check(lib.cg_media_process(self._m, self._rx_ptrs, self._tx_ptrs, n, self._ev,
                                           len(self._ev)), "process")
        return self.tx[:, :n], [self._event(self._ev[i]) for i in range(count)]

    def _event(self, e) -> MediaEvent:
        kind = KIND_NAMES.get(e.ev.kind, f"kind-{e.ev.kind}")
        port = int(e.port)
        value = int(e.ev.value)
        digit = message = reason = tone = decide_s = None
        if kind in _CPA_KINDS:
            names = self._cpa[port][1] if self._cpa[port] is not None else ()
            if kind in ("cpa-tone", "cpa-busy", "cpa-congestion", "cpa-fax"):
                tone = names[value] if 0 <= value < len(names) else str(value)
            elif kind == "cpa-sit":  # (value: the SIT's kind, cpa.SIT_KINDS)
                tone = "sit"
            if kind != "cpa-tone":
                decide_s = round(float(e.ev.detail), 3)
                self._cpa[port] = None  # a result disarms the analyser
        if kind in ("dtmf", "dtmf-begin"):
            digit = chr(value)
        elif kind in ("cid-message", "cid-error"):
            lib.cg_media_cid_message(self._m, port, self._msg)
            message = _from_c(self._msg)
        elif kind == "prompt-done":
            reason = PROMPT_END.get(value, str(value))
            self._prompt[port] = None
        elif kind == "tone-done":
            self._tone[port] = None
        return MediaEvent(port, kind, int(e.ev.start_sample), int(e.ev.end_sample), value,
                          digit, message, reason, round(float(e.ev.level_dbm0), 2), tone,
                          decide_s)

    @property
    def now(self) -> int:
        """Samples processed since the engine started."""
        return int(lib.cg_media_now(self._m))

    # --- commands ----------------------------------------------------------------------

    def _port(self, port) -> int:
        if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port < self.ports:
            raise ValueError(f"port must be an int from 0 to {self.ports - 1}, not {port!r}")
        return port

    def law(self, port) -> str:
        return self._laws[self._port(port)]

    def silence(self, port) -> int:
        """The G.711 silence code of the port's law."""
        return SILENCE[self.law(port)]

    def port_init(self, port, law=None) -> None:
        """Reset a port for a new call (stops everything on it), optionally in another law."""
        port = self._port(port)
        law = self._laws[port] if law is None else law
        check(lib.cg_media_port_init(self._m, port, law_value(law)), f"port_init({port})")
        self._laws[port] = law
        self._prompt[port] = self._tone[port] = self._record[port] = self._cid[port] = None
        self._cpa[port] = None

    def play(self, port, codes, barge_in=False) -> None:
        """Play G.711 codes (in the port's law); a copy is kept until the prompt ends."""
        port = self._port(port)
        if isinstance(codes, (bytes, bytearray, memoryview)):
            codes = np.frombuffer(codes, dtype=np.uint8)
        if not isinstance(codes, np.ndarray) or codes.dtype != np.uint8 or codes.ndim != 1:
            raise TypeError("play: codes must be bytes or a 1-D uint8 array of G.711 codes")
        codes = codes.copy()  # the engine reads it frame by frame: ours, not the caller's
        if len(codes) == 0:
            raise ValueError("play: the prompt is empty")
        check(lib.cg_media_play(self._m, port, ffi.from_buffer("uint8_t[]", codes), len(codes),
                                1 if barge_in else 0), f"play({port})")
        self._prompt[port] = codes

    def stop(self, port) -> int:
        """Stop the prompt (no event); returns how many of its codes were played."""
        port = self._port(port)
        played = check(lib.cg_media_stop(self._m, port), f"stop({port})")
        self._prompt[port] = None
        return played

    def tone(self, port, plan_or_tone, name=None) -> None:
        """Play a plan's tone, ``tone(0, "US", "busy")``, or a Tone, ``tone(0, custom_tone(...))``,
        in place of the port's current tone."""
        port = self._port(port)
        if isinstance(plan_or_tone, Tone):
            t = plan_or_tone
            segments = ffi.new("cg_tone_segment_t[]",
                               [(s.freq1_hz, s.freq2_hz, s.duration_ms) for s in t.segments])
            desc = ffi.new("cg_tone_desc_t *")
            desc.segments = segments
            desc.n_segments = len(t.segments)
            desc.repeat = 1 if t.repeat else 0
            desc.level_dbm0 = t.level_dbm0
            check(lib.cg_media_tone_desc(self._m, port, desc), f"tone({port})")
            self._tone[port] = (segments, desc)
            return
        plan = find_plan(plan_or_tone)
        tone = find_tone(plan.name, name)
        plan_index = list(_plan_names()).index(plan.name)
        tone_index = list(plan.tones).index(tone.name)
        check(lib.cg_media_tone(self._m, port, plan_index, tone_index), f"tone({port})")
        self._tone[port] = None

    def tone_stop(self, port) -> None:
        check(lib.cg_media_tone_stop(self._m, self._port(port)), "tone_stop")

    def dtmf(self, port, digits: str) -> None:
        """Queue DTMF digits to send (-10 dBm0, 50 ms on, 55 ms off)."""
        raw = check_digits(digits)
        check(lib.cg_media_dtmf(self._m, self._port(port), raw, len(raw)), f"dtmf({digits!r})")

    def bridge(self, a, b) -> None:
        """Connect two ports both ways (transcoding if their laws differ)."""
        a, b = self._port(a), self._port(b)
        if a == b:
            raise ValueError(f"cannot bridge port {a} to itself")
        check(lib.cg_media_bridge(self._m, a, b), "bridge")

    def unbridge(self, port) -> None:
        """Take the port out of every hear set: it hears nobody, nobody hears it (for a bridge:
        both sides are disconnected)."""
        check(lib.cg_media_unbridge(self._m, self._port(port)), "unbridge")

    def peer(self, port):
        """The bridged port (the one port that hears only this one, and that this one only
        hears), or None."""
        p = lib.cg_media_peer(self._m, self._port(port))
        return None if p == lib.CG_MEDIA_NO_PEER else p

    def hear(self, port, ports) -> None:
        """From the next frame ``port`` hears the sum of what the ports in ``ports`` receive
        (a sequence or 1-D integer array; empty: nothing). One source is passed through code
        for code (or transcoded); two or more are mixed with saturation. Only ``port``'s own
        hearing changes."""
        port = self._port(port)
        if isinstance(ports, (str, bytes)) or not hasattr(ports, "__len__"):
            raise TypeError(f"hear: ports must be a sequence of port numbers, not {ports!r}")
        sources = []
        for q in ports:
            if isinstance(q, (bool, np.bool_)) or not isinstance(q, (int, np.integer)):
                raise ValueError(f"hear: a port must be an int, not {q!r}")
            if not 0 <= q < self.ports:
                raise ValueError(f"hear: no port {int(q)} (ports 0 to {self.ports - 1})")
            if q == port:
                raise ValueError(f"hear: port {port} cannot hear itself")
            sources.append(int(q))
        check(lib.cg_media_hear(self._m, port, ffi.new("size_t[]", sources) if sources else ffi.NULL,
                                len(sources)), f"hear({port})")

    def hears(self, port) -> list:
        """The ports ``port`` hears, ascending."""
        port = self._port(port)
        out = ffi.new("size_t[]", MAX_PORTS)
        k = check(lib.cg_media_hears(self._m, port, out, MAX_PORTS), f"hears({port})")
        return [int(out[i]) for i in range(k)]

    def record(self, port, capacity=None, out=None) -> np.ndarray:
        """Record both directions of the port mixed, in its law, into ``out`` (a writeable uint8
        array) or a new array of ``capacity`` bytes; returns that array."""
        port = self._port(port)
        if out is None:
            if isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 1:
                raise ValueError(f"capacity must be a positive int, not {capacity!r}")
            out = np.zeros(capacity, dtype=np.uint8)
        elif (not isinstance(out, np.ndarray) or out.dtype != np.uint8 or out.ndim != 1
              or not out.flags.c_contiguous or not out.flags.writeable or len(out) == 0):
            raise ValueError("out must be a non-empty writeable contiguous 1-D uint8 array")
        check(lib.cg_media_record(self._m, port, ffi.from_buffer("uint8_t[]", out,
                                                                  require_writable=True),
                                  len(out)), f"record({port})")
        self._record[port] = out
        return out

    def record_stop(self, port) -> np.ndarray:
        """Stop recording; returns the recorded codes (a view of the recording buffer)."""
        port = self._port(port)
        n = check(lib.cg_media_record_stop(self._m, port), "record_stop")
        out = self._record[port]
        return out[:n] if out is not None else np.zeros(0, dtype=np.uint8)

    def record_bytes(self, port) -> int:
        return int(lib.cg_media_record_bytes(self._m, self._port(port)))

    def cid_arm(self, port, standard="bell202", *, start=(), min_mark_bits=20, window_ms=5000,
                dtmf=True) -> None:
        """Listen for caller ID on the port (a receiver is allocated here, once per arm)."""
        port = self._port(port)
        cfg = rx_cfg(standard, self._laws[port], start, min_mark_bits, window_ms, dtmf)
        rx = ffi.new("cg_cid_rx_t *")
        check(lib.cg_media_cid_arm(self._m, port, rx, cfg), f"cid_arm({port})")
        self._cid[port] = rx

    def cid_disarm(self, port) -> None:
        port = self._port(port)
        check(lib.cg_media_cid_disarm(self._m, port), "cid_disarm")
        self._cid[port] = None

    def cid_line(self, port, event: str) -> None:
        """Tell the port's caller ID receiver: "ring-start", "ring-end" or "reversal"."""
        port = self._port(port)
        if self._cid[port] is None:
            raise DspError(f"cid_line: caller ID is not armed on port {port}")
        check(lib.cg_media_cid_line(self._m, port, choice(LINE_EVENTS, event, "line event")),
              "cid_line")

    # --- call-progress analysis live on the port (media.h, cg_media_cpa_arm) -------------

    def cpa_arm(self, port, plan="US", *, no_dial_tone_ms=0, no_answer_ms=30000,
                human_max_ms=1800, machine_min_ms=2500, end_silence_ms=800,
                min_level_dbm0=-40.0, voice_level_dbm0=-45.0) -> None:
        """Analyse what the port's line sends from the next frame on, with a plan's tones
        ("CN", "US", "EU"). no_dial_tone_ms > 0: first wait that long for dial tone (a
        "cpa-tone" event with tone "dial" says dial now; none: "cpa-no-dial-tone"); then, after
        cpa_dialed(), one result event. An analyser is allocated here, once per arm."""
        from .cpa import _c_plan, _tone_cfg

        port = self._port(port)
        found, c_plan = _c_plan(plan)
        cfg = ffi.new("cg_cpa_cfg_t *")
        lib.cg_cpa_cfg_default(cfg)
        _tone_cfg(cfg.tone, c_plan, self._laws[port], min_level_dbm0, voice_level_dbm0, 20, 50)
        cfg.no_dial_tone_ms = no_dial_tone_ms
        cfg.no_answer_ms = no_answer_ms
        cfg.human_max_ms = human_max_ms
        cfg.machine_min_ms = machine_min_ms
        cfg.end_silence_ms = end_silence_ms
        cpa = ffi.new("cg_cpa_t *")
        check(lib.cg_media_cpa_arm(self._m, port, cpa, cfg), f"cpa_arm({port})")
        self._cpa[port] = (cpa, list(found.tones))

    def cpa_dialed(self, port, at=None) -> None:
        """Dialling ended at engine sample ``at`` (default: now): progress analysis starts."""
        port = self._port(port)
        check(lib.cg_media_cpa_dialed(self._m, port, self.now if at is None else at),
              f"cpa_dialed({port})")

    def cpa_disarm(self, port) -> None:
        port = self._port(port)
        check(lib.cg_media_cpa_disarm(self._m, port), "cpa_disarm")
        self._cpa[port] = None

    def cpa_armed(self, port) -> bool:
        """True while the port's analyser listens (armed and not decided)."""
        return bool(lib.cg_media_cpa_armed(self._m, self._port(port)))


_CPA_KINDS = ("cpa-tone", "cpa-no-dial-tone", "cpa-busy", "cpa-congestion", "cpa-no-answer", "cpa-sit",
              "cpa-fax", "cpa-human", "cpa-machine")


def _plan_names():
    for i in range(lib.cg_tone_plan_count()):
        yield ffi.string(lib.cg_tone_plan_at(i).name).decode()


def sizes() -> dict:
    """sizeof of the engine's C state, in bytes (this host)."""
    return {"cg_media_t": ffi.sizeof("cg_media_t"), "cg_cid_rx_t": ffi.sizeof("cg_cid_rx_t"),
            "cg_dtmf_rx_t": ffi.sizeof("cg_dtmf_rx_t"), "cg_dtmf_tx_t": ffi.sizeof("cg_dtmf_tx_t"),
            "cg_tone_gen_t": ffi.sizeof("cg_tone_gen_t")}


__all__ = ["MediaEngine", "MediaEvent", "MAX_PORTS", "MAX_FRAME", "SILENCE", "sizes"]
