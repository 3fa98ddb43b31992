"""The simulated phone network around the board: a central office on the FXO ports, agent
phones on the FXS ports. Everything here runs on the audio plane's thread and clock (audio.py);
other threads call place_call() / phone(), which hand the work over.

FXO, an inbound call (place_call):
    ring cadence (2 s on, 4 s off) -> FSK caller ID (callerid.generate, Bell 202) between the
    first and second ring -> the board answers (its firmware's `answer`) -> the caller
    listens to the prompt, then keys the digits (real DTMF, generate_dtmf), after an optional
    speech WAV -> either the board hangs up, or the caller does (`hangup_after_ms`): loop
    current drop, a polarity reversal, or only busy tone on the line ("busy": the board's
    disconnect supervision must hear it). Unanswered after `max_rings`, the caller gives up.
FXS, an agent phone (phone(port)): off_hook(), dial(digits) (DTMF into the port's rx),
    talk(samples), hang_up(); what the phone hears is counted (heard_ms).

Progress of a call is a list of dicts, each {"what", "at" (model seconds since it began), ...}, and a
`done` event; `result()` summarises it.
"""

import threading

import numpy as np

from ..dsp.callerid import CallerId, generate
from ..dsp.tones import generate_dtmf, generate_tone
from ..dsp.wav import read_wav, resample

HEAR_LEVEL = 300  # linear peak: louder than this in a frame is "something to hear"
HANGUP_MODES = ("loop-drop", "reversal", "busy")


class _Queue:
    """Audio a far end sends: int16 chunks, read out frame by frame as G.711 codes."""

    def __init__(self):
        self.chunks = []
        self.pos = 0

    def put(self, samples) -> None:
        if len(samples):
            self.chunks.append(np.asarray(samples, np.int16))

    def clear(self) -> None:
        self.chunks, self.pos = [], 0

    @property
    def busy(self) -> bool:
        return bool(self.chunks)

    def read(self, n: int):
        if not self.chunks:
            return None
        out = np.zeros(n, np.int16)
        got = 0
        while got < n and self.chunks:
            c = self.chunks[0]
            take = min(n - got, len(c) - self.pos)
            out[got:got + take] = c[self.pos:self.pos + take]
            got += take
            self.pos += take
            if self.pos >= len(c):
                self.chunks.pop(0)
                self.pos = 0
        return out


class Call:
    """One inbound call from the central office to an FXO port."""

    def __init__(self, port, number="", name="", digits="", speech=None, *, ring_on_ms=2000,
                 ring_off_ms=4000, cid=True, cid_delay_ms=600, max_rings=6, digit_delay_ms=None,
                 hangup=None, hangup_after_ms=None, max_call_ms=60000, digit_audio=None,
                 cid_audio=None):
        if hangup is not None and hangup not in HANGUP_MODES:
            raise ValueError(f"hangup must be one of {', '.join(HANGUP_MODES)}, not {hangup!r}")
        generate_dtmf(digits)  # ValueError for a non-digit, before anything starts
        self.port = port
        self.number, self.name, self.digits = number, name, digits
        self.speech = speech  # int16 at 8 kHz, or None
        self.ring_on_ms, self.ring_off_ms = ring_on_ms, ring_off_ms
        self.cid, self.cid_delay_ms, self.max_rings = cid, cid_delay_ms, max_rings
        self.digit_delay_ms = digit_delay_ms  # None: key the digits once the prompt has ended
        self.hangup = hangup or "loop-drop"
        self.hangup_after_ms = hangup_after_ms  # None: wait for the board to hang up
        self.max_call_ms = max_call_ms
        # The test rig (host/callgate/rig) sends its own audio: int16 at 8 kHz keyed instead of
        # generate_dtmf(digits), and sent instead of the MDMF caller ID. None: generated here.
        self.digit_audio = None if digit_audio is None else np.asarray(digit_audio, np.int16)
        self.cid_audio = None if cid_audio is None else np.asarray(cid_audio, np.int16)
        self.progress = []
        self.done = threading.Event()
        self.listeners = []  # fn(progress item), called on the audio thread
        # run state
        self.state = "new"
        self.t0 = 0
        self.rings = 0
        self.answered_at = None
        self.heard = 0  # samples with sound heard from the board
        self.heard_any = False
        self.quiet = 0  # samples of silence since the last sound
        self.keyed_at = None  # when the caller starts keying digits
        self.keyed = False
        self.hangup_at = None
        self.cid_at = None
        self.ended_by = None
        self.rx = _Queue()

    def note(self, now, what, **fields) -> None:
        item = {"what": what, "at": round((now - self.t0) / 8000, 3), **fields}
        self.progress.append(item)
        for fn in list(self.listeners):
            fn(item)

    def result(self) -> dict:
        return {"port": self.port, "number": self.number, "name": self.name, "state": self.state,
                "rings": self.rings, "answered": self.answered_at is not None,
                "heard_ms": self.heard // 8, "digits_sent": self.digits if self.keyed else "",
                "ended_by": self.ended_by, "progress": list(self.progress)}


class Phone:
    """The agent phone on an FXS port."""

    def __init__(self, net, port):
        self.net = net
        self.port = port
        self.rx = _Queue()
        self.heard = 0

    @property
    def heard_ms(self) -> int:
        return self.heard // 8

    def off_hook(self) -> None:
        self.net.plane.run_soon(self._hook, True)

    def hang_up(self) -> None:
        self.net.plane.run_soon(self._hook, False)

    def dial(self, digits: str, on_ms=80, off_ms=80) -> None:
        audio = generate_dtmf(digits, -10.0, 0.0, on_ms, off_ms, self.net.plane.law)
        self.net.plane.run_soon(self.rx.put, audio)

    def talk(self, samples) -> None:
        self.net.plane.run_soon(self.rx.put, np.asarray(samples, np.int16))

    def _hook(self, off: bool) -> None:
        if not off:
            self.rx.clear()
        self.net.plane.lines.hook(self.port, off)


class Network:
    def __init__(self, plane):
        self.plane = plane
        kinds = plane.kinds
        self.calls = [None] * len(kinds)  # the call on each FXO port
        self.phones = {p: Phone(self, p) for p, k in enumerate(kinds) if k == "fxs"}
        self.history = []

    # -- from any thread --------------------------------------------------------------------

    def place_call(self, port: int, **spec) -> Call:
        """Start an inbound call on FXO port `port` (Call's keywords); returns the Call."""
        if port < 0 or port >= len(self.plane.kinds) or self.plane.kinds[port] != "fxo":
            fxo = [p for p, k in enumerate(self.plane.kinds) if k == "fxo"]
            raise ValueError(f"port {port} is not an FXO port (FXO: {fxo})")
        call = Call(port, **spec)
        self.plane.run_soon(self._start, call)
        return call

    def phone(self, port: int) -> Phone:
        if port not in self.phones:
            raise ValueError(f"port {port} is not an FXS port (FXS: {sorted(self.phones)})")
        return self.phones[port]

    # -- on the audio thread ----------------------------------------------------------------

    def _start(self, call: Call) -> None:
        busy = self.calls[call.port]
        if busy is not None:
            call.state = "failed"
            call.note(self.plane.now, "failed", reason=f"port {call.port} already has a call")
            call.done.set()
            return
        self.calls[call.port] = call
        call.t0 = self.plane.now
        call.state = "ringing"
        call.note(self.plane.now, "calling", port=call.port, number=call.number, name=call.name)

    def rx(self, port: int, n: int):
        call = self.calls[port]
        if call is not None:
            data = call.rx.read(n)
        elif port in self.phones and self.plane.lines.offhook(port):
            data = self.phones[port].rx.read(n)
        else:
            return None
        return None if data is None else self.plane.encode(data)

    def tx(self, port: int, codes) -> None:
        call = self.calls[port]
        phone = self.phones.get(port)
        if call is None and phone is None:
            return
        loud = int(np.abs(self.plane.decode(codes)).max()) > HEAR_LEVEL
        if phone is not None:
            if loud and self.plane.lines.offhook(port):
                phone.heard += len(codes)
            return
        if call.state != "connected":
            return
        if loud:
            call.heard += len(codes)
            call.heard_any = True
            call.quiet = 0
        else:
            call.quiet += len(codes)

    def engine_event(self, e) -> None:
        pass  # the far ends only hear audio; they do not peek at the board's detectors

    def answered(self, port: int) -> None:
        call = self.calls[port]
        now = self.plane.now
        if call is None or call.state != "ringing":
            return
        if self.plane.lines.ringing(port):
            self.plane.lines.ring(port, False)
        call.rx.clear()
        call.state = "connected"
        call.answered_at = now
        call.note(now, "answered", rings=call.rings)
        self.plane.lines.loop(port, True)
        if call.speech is not None:
            call.rx.put(np.zeros(2400, np.int16))
            call.rx.put(call.speech)
            call.note(now, "speech", seconds=round(len(call.speech) / 8000, 2))
        if call.digit_delay_ms is not None:
            call.keyed_at = now + call.digit_delay_ms * 8
        if call.hangup_after_ms is not None and not call.digits:
            call.hangup_at = now + call.hangup_after_ms * 8  # e.g. gone in the middle of the prompt

    def released(self, port: int, was_answered: bool) -> None:
        """The board hung up (went on hook) on an FXO port."""
        call = self.calls[port]
        now = self.plane.now
        if call is None:
            return
        if call.state == "connected":
            call.ended_by = "board"
            call.note(now, "hangup", by="board")
            self._finish(call, now)
        elif call.state == "caller-gone":
            call.note(now, "released", by="board")
            self._finish(call, now)
        elif call.state == "ringing" and not was_answered:
            pass  # the board reset an unanswered port (e.g. to disarm caller ID): still ringing

    def tick(self, now: int) -> None:
        for call in self.calls:
            if call is not None:
                self._tick_call(call, now)

    def _tick_call(self, call: Call, now: int) -> None:
        lines = self.plane.lines
        port = call.port
        ms = (now - call.t0) // 8
        if call.state == "ringing":
            period = call.ring_on_ms + call.ring_off_ms
            ring_no, phase = divmod(ms, period)
            on = phase < call.ring_on_ms
            if on and not lines.ringing(port):
                if ring_no >= call.max_rings:
                    call.ended_by = "caller"
                    call.note(now, "no-answer", rings=call.rings)
                    self._finish(call, now)
                    return
                call.rings += 1
                lines.ring(port, True)
                call.note(now, "ring", n=call.rings)
            elif not on and lines.ringing(port):
                lines.ring(port, False)
                if call.rings == 1 and call.cid:
                    call.cid_at = now + call.cid_delay_ms * 8
            if call.cid_at is not None and now >= call.cid_at:
                call.cid_at = None
                if call.cid_audio is not None:
                    call.rx.put(call.cid_audio)
                else:
                    cid = CallerId("mdmf", number=call.number, name=call.name,
                                   date=_date_now())
                    call.rx.put(generate(cid, "bell202", law=self.plane.law))
                call.note(now, "caller-id", number=call.number, name=call.name)
        elif call.state == "connected":
            if call.keyed_at is None and call.heard_any and call.quiet >= 2400 and not call.rx.busy:
                call.keyed_at = now  # the prompt has ended: 300 ms of quiet after sound
            if call.keyed_at is not None and now >= call.keyed_at and not call.keyed:
                call.keyed = True
                if call.digit_audio is not None:
                    call.rx.put(call.digit_audio)
                    call.note(now, "digits", digits=call.digits)
                    if call.hangup_after_ms is not None:
                        call.hangup_at = now + call.hangup_after_ms * 8
                elif call.digits:
                    call.rx.put(generate_dtmf(call.digits, -8.0, 0.0, 80, 80, self.plane.law))
                    call.note(now, "digits", digits=call.digits)
                    if call.hangup_after_ms is not None:
                        call.hangup_at = now + call.hangup_after_ms * 8
            if call.hangup_at is not None and now >= call.hangup_at:
                self._caller_hangs_up(call, now)
            elif (now - call.answered_at) // 8 > call.max_call_ms:
                self._caller_hangs_up(call, now)
        elif call.state == "caller-gone":
            if not call.rx.busy:  # the exchange keeps sending busy tone until the board releases
                call.rx.put(generate_tone(self.plane.plan, "busy", 1.0, law=self.plane.law))
            if (now - call.hangup_at) // 8 > 15000:
                call.note(now, "released", by="timeout")
                self._finish(call, now)

    def _caller_hangs_up(self, call: Call, now: int) -> None:
        lines = self.plane.lines
        call.state = "caller-gone"
        call.ended_by = "caller"
        call.hangup_at = now
        call.rx.clear()
        call.note(now, "hangup", by="caller", how=call.hangup)
        if call.hangup == "loop-drop":
            lines.loop(call.port, False)
        elif call.hangup == "reversal":
            lines.reversal(call.port)
        call.rx.put(np.zeros(2400, np.int16))  # then busy tone (above)

    def _finish(self, call: Call, now: int) -> None:
        lines = self.plane.lines
        if lines.ringing(call.port):
            lines.ring(call.port, False)
        if lines._loop.get(call.port):
            lines.loop(call.port, False)  # whoever hung up, the loop is open now
        call.state = "ended"
        call.note(now, "ended", heard_ms=call.heard // 8)
        self.calls[call.port] = None
        self.history.append(call)
        del self.history[:-20]
        call.done.set()


def _date_now():
    import time

    t = time.localtime()
    return (t.tm_mon, t.tm_mday, t.tm_hour, t.tm_min)


def load_speech(path) -> np.ndarray:
    """A WAV file as int16 mono at 8 kHz (the caller's speech)."""
    wav = read_wav(path)
    samples = wav.samples if wav.channels == 1 else wav.samples.mean(axis=1).astype(np.int16)
    if wav.sample_rate != 8000:
        samples = resample(samples, wav.sample_rate, 8000)
    return np.asarray(samples, np.int16)
