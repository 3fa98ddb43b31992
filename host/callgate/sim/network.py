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
    A call-center caller (docs/callcenter.md): `digits` in groups ("2,1", one group after each
    prompt), `patience_ms` (abandons if no agent by then), `talk_ms` (hangs up that long into
    the conversation), `survey` (a digit per question after the agent left), `callback`
    (a number keyed at prompts while waiting). While bridged to an agent it talks (speech-like
    noise bursts), so a recording has sound.
FXS, an agent phone (phone(port)): off_hook(), dial(digits) (DTMF into the port's rx),
    talk(samples), hang_up(); what the phone hears is counted (heard_ms). The firmware rings it
    (audio.py `ring`: ringing); auto() makes it answer, talk and hang up by itself.

"A prompt ended" is what a caller can hear: 300 ms of quiet after sound from the board, with
nothing left to send. Progress of a call is a list of dicts, each {"what", "at" (model seconds
since it began), ...}, and a `done` event; `result()` summarises it.
"""

import random
import threading

import numpy as np

from ..dsp.callerid import CallerId, generate
from ..dsp.tones import generate_dtmf, generate_tone
from ..dsp.wav import read_wav, resample
from .caller import Caller

HEAR_LEVEL = 300  # linear peak: louder than this in a frame is "something to hear"
PRE_RING_MS = 500  # ETSI caller ID before the first ring: from the data's end to the ring
REVERSAL_GAP_MS = 250  # from the polarity reversal to the data (ETSI: at least 100 ms)
PROMPT_END = 2400  # samples of quiet after sound: the prompt has ended (300 ms)
CALLBACK_QUIET = 16000  # samples of quiet after a prompt: the board waits for the number (2 s)
TALK_RMS = 1600  # linear RMS of the talk bursts: about -20 dBm0 (mu-law 0 dBm0 sine: RMS 16 000)
AGENT_LEAVES_MS = 500  # an automatic agent hangs up this long after the caller left
AGENT_NO_CALL_MS = 3000  # ... or this long after answering when no caller is put through
SURVEY_NONE_MS = 1000  # a caller without a survey hangs up this long after the agent left


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


def _ms(name, value, allow_none=True):
    """A duration keyword: None (when allowed) or a number >= 0."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
        raise ValueError(f"{name} must be a number of ms >= 0{' or None' if allow_none else ''}, not {value!r}")
    return value


def talk_ms_range(value):
    """talk_ms for an agent: a number, or a (low, high) pair (ms) drawn uniformly per call."""
    if isinstance(value, (list, tuple)):
        if len(value) != 2:
            raise ValueError(f"talk_ms must be a number or a (low, high) pair, not {value!r}")
        lo, hi = (_ms("talk_ms", v, allow_none=False) for v in value)
        if lo > hi:
            raise ValueError(f"talk_ms: low {lo} is above high {hi}")
        return (lo, hi)
    return _ms("talk_ms", value)


def speech_chunk(rng: np.random.Generator) -> np.ndarray:
    """Speech-like audio (int16, 8 kHz): one burst of band-limited noise (300-3400 Hz, about
    -20 dBm0, 0.2-0.8 s, 10 ms ramps) then as long a pause on average (half duty)."""
    on = int(rng.uniform(0.2, 0.8) * 8000)
    off = int(rng.uniform(0.2, 0.8) * 8000)
    x = np.convolve(rng.standard_normal(on + len(_BAND) - 1), _BAND, mode="valid")
    x *= TALK_RMS / max(1e-9, float(np.sqrt(np.mean(x * x))))
    ramp = min(80, on // 2)
    env = np.ones(on)
    env[:ramp] = np.linspace(0, 1, ramp)
    env[on - ramp:] = np.linspace(1, 0, ramp)
    out = np.zeros(on + off, np.int16)
    out[:on] = np.clip(x * env, -32768, 32767).astype(np.int16)
    return out


def _bandpass(lo_hz=300.0, hi_hz=3400.0, taps=63) -> np.ndarray:
    n = np.arange(taps) - (taps - 1) / 2
    lp = lambda f: 2 * f / 8000 * np.sinc(2 * f / 8000 * n)  # noqa: E731
    return (lp(hi_hz) - lp(lo_hz)) * np.hamming(taps)


_BAND = _bandpass()


class Call:
    """One inbound call from the central office to an FXO port, its caller described by a
    Caller (caller.py: what each field does)."""

    def __init__(self, port, caller: Caller):
        if not isinstance(caller, Caller):
            raise ValueError(f"a call needs a Caller, not {caller!r}")
        self.port = port
        self.caller = caller
        c = caller
        self.number, self.name, self.digits = c.number, c.name, c.digits
        self.groups = c.groups
        self.ring_on_ms, self.ring_off_ms = c.ring_on_ms, c.ring_off_ms
        self.cid, self.cid_delay_ms, self.max_rings = c.cid, c.cid_delay_ms, c.max_rings
        # ETSI: the caller ID comes before the first ring, after a polarity reversal or a
        # dual-tone alert; the ringing then starts PRE_RING_MS after it (ring-end: none).
        self.cid_start, self.cid_standard = c.cid_start, c.cid_standard
        self.pre_ms = None if c.cid and c.cid_start != "ring-end" else 0  # None: not sent yet
        self.digit_delay_ms = c.digit_delay_ms  # None: key the digits once the prompt has ended
        self.hangup = c.hangup
        self.hangup_after_ms = c.hangup_after_ms  # None: wait for the board to hang up
        self.max_call_ms = c.max_call_ms
        self.patience_ms = c.patience_ms
        self.talk_ms = c.talk_ms
        self.survey = c.survey
        self.callback = c.callback
        # WAV files read now (OSError if one cannot be): the caller's speech, and the test
        # rig's own audio (host/callgate/rig) keyed instead of generate_dtmf(digits) and sent
        # instead of the MDMF caller ID. None: none / generated here.
        self.speech, self.digit_audio, self.cid_audio = (
            None if path is None else load_speech(path) for path in (c.speech, c.digit_audio, c.cid_audio))
        self.progress = []
        self.done = threading.Event()
        self.listeners = []  # fn(progress item), called on the audio thread
        # run state
        self.state = "new"
        self.t0 = 0
        self.rings = 0
        self.answered_at = None
        self.heard = 0  # samples with sound heard from the board
        self.heard_any = False  # sound since the last prompt end
        self.quiet = 0  # samples of silence since the last sound
        self.key_at = None  # digit_delay_ms: when the first group is keyed
        self.sent = 0  # digit groups keyed
        self.hangup_at = None
        self.cid_at = None
        self.ended_by = None
        self.agent = None  # the agent's port (the last one bridged)
        self.peer = None  # the port bridged to now
        self.bridged_at = None
        self.first_bridge_at = None
        self.bridged = 0  # samples bridged, over finished bridges
        self.agent_left = False  # a bridge ended while the caller was on the line
        self.surveyed = ""  # survey digits keyed
        self.callbacks = 0  # times the callback number was keyed
        self.callback_armed = False  # a prompt ended: key the callback if the quiet lasts
        self.clock = None  # fn() -> the model's now, once the call has started
        self.rx = _Queue()

    def note(self, now, what, **fields) -> None:
        item = {"what": what, "at": round((now - self.t0) / 8000, 3), **fields}
        self.progress.append(item)
        for fn in list(self.listeners):
            fn(item)

    def bridged_samples(self, now=None) -> int:
        if self.peer is not None and now is not None:
            return self.bridged + now - self.bridged_at
        return self.bridged

    def result(self) -> dict:
        waited = None
        if self.answered_at is not None and self.first_bridge_at is not None:
            waited = (self.first_bridge_at - self.answered_at) // 8
        return {"port": self.port, "number": self.number, "name": self.name, "state": self.state,
                "rings": self.rings, "answered": self.answered_at is not None,
                "heard_ms": self.heard // 8, "digits_sent": ",".join(self.groups[:self.sent]),
                "ended_by": self.ended_by, "agent": self.agent, "waited_ms": waited,
                "bridged_ms": self.bridged_samples(self.clock and self.clock()) // 8, "survey": self.surveyed,
                "callbacks": self.callbacks, "progress": list(self.progress)}


class Phone:
    """The agent phone on an FXS port.

    The firmware rings it (`ringing`); off_hook() answers. auto() makes it an automatic agent:
    it answers answer_ms after it starts ringing, hangs up talk_ms after it is bridged to a
    caller, AGENT_LEAVES_MS after the bridge ends when the caller left first, or
    AGENT_NO_CALL_MS after answering when nobody is put through (the caller was gone). `calls`
    counts bridges; `progress` is a short list of {"what", "at" (model seconds since the
    board started), ...}: ring, ring-stop, ring-trip, off-hook, on-hook, bridged, unbridged.
    """

    def __init__(self, net, port):
        self.net = net
        self.port = port
        self.rx = _Queue()
        self.heard = 0
        self.ringing = False
        self.calls = 0
        self.progress = []
        self.peer = None  # the port bridged to now
        self.auto_spec = None  # (answer_ms, talk_ms, rng) while automatic
        self.answer_at = None
        self.hangup_at = None

    @property
    def heard_ms(self) -> int:
        return self.heard // 8

    def auto(self, answer_ms=2000, talk_ms=60000, rng=None) -> None:
        """Answer answer_ms after ringing starts (None: never), hang up talk_ms after being
        bridged (ms, or a (low, high) pair drawn uniformly with rng, a random.Random; None:
        stay until the caller leaves)."""
        answer_ms = _ms("answer_ms", answer_ms)
        talk_ms = talk_ms_range(talk_ms)
        if rng is not None and not isinstance(rng, random.Random):
            raise ValueError(f"rng must be a random.Random, not {rng!r}")
        self.auto_spec = (answer_ms, talk_ms, rng or random.Random())

    def manual(self) -> None:
        """No more answering or hanging up by itself."""
        self.auto_spec = None
        self.net.plane.run_soon(self._cancel_timers)

    def status(self) -> dict:
        spec = self.auto_spec
        auto = None if spec is None else {"answer_ms": spec[0], "talk_ms": spec[1]}
        return {"port": self.port, "offhook": self.net.plane.lines.offhook(self.port),
                "ringing": self.ringing, "calls": self.calls, "peer": self.peer, "auto": auto}

    def off_hook(self) -> None:
        self.net.plane.run_soon(self._hook, True)

    def hang_up(self) -> None:
        self.net.plane.run_soon(self._hook, False)

    def dial(self, digits: str, on_ms=80, off_ms=80) -> None:
        audio = generate_dtmf(digits, -10.0, 0.0, on_ms, off_ms, self.net.plane.law)
        self.net.plane.run_soon(self.rx.put, audio)

    def talk(self, samples) -> None:
        self.net.plane.run_soon(self.rx.put, np.asarray(samples, np.int16))

    # -- on the audio thread ----------------------------------------------------------------

    def note(self, what, **fields) -> None:
        self.progress.append({"what": what, "at": round(self.net.plane.now / 8000, 3), **fields})
        del self.progress[:-50]

    def _cancel_timers(self) -> None:
        self.answer_at = self.hangup_at = None

    def _hook(self, off: bool) -> None:
        lines = self.net.plane.lines
        if off == lines.offhook(self.port):
            return
        self.answer_at = self.hangup_at = None
        if off:
            self.note("off-hook", answered=self.ringing)
            self.ringing = False  # ring trip: lifting the handset stops the ringing
        else:
            self.rx.clear()
            self.note("on-hook")
        lines.hook(self.port, off)

    def _ring(self, on: bool) -> None:
        now = self.net.plane.now
        if on and self.net.plane.lines.offhook(self.port):
            self.note("ring-trip")  # an off-hook phone trips the ringing at once
        elif on and not self.ringing:
            self.ringing = True
            self.note("ring")
            spec = self.auto_spec
            if spec is not None and spec[0] is not None:
                self.answer_at = now + int(spec[0] * 8)
        elif not on and self.ringing:
            self.ringing = False
            self.answer_at = None
            self.note("ring-stop")

    def _bridged(self, peer: int) -> None:
        self.peer = peer
        self.calls += 1
        self.note("bridged", caller=peer)
        self.hangup_at = None
        spec = self.auto_spec
        if spec is not None and spec[1] is not None:
            talk = spec[1]
            ms = spec[2].uniform(*talk) if isinstance(talk, tuple) else talk
            self.hangup_at = self.net.plane.now + int(ms * 8)

    def _unbridged(self) -> None:
        self.peer = None
        self.rx.clear()
        self.note("unbridged")
        self.hangup_at = None
        if self.auto_spec is not None and self.net.plane.lines.offhook(self.port):
            self.hangup_at = self.net.plane.now + AGENT_LEAVES_MS * 8  # the caller left first

    def _tick(self, now: int) -> None:
        if self.answer_at is not None and now >= self.answer_at:
            self._hook(True)
            if self.peer is None:
                self.hangup_at = now + AGENT_NO_CALL_MS * 8  # unless a caller is put through
        if self.hangup_at is not None and now >= self.hangup_at:
            self._hook(False)
        if self.peer is not None and not self.rx.busy and self.net.plane.lines.offhook(self.port):
            self.rx.put(speech_chunk(self.net.rng))


class Network:
    def __init__(self, plane, seed=0):
        self.plane = plane
        kinds = plane.kinds
        self.calls = [None] * len(kinds)  # the call on each FXO port
        self.phones = {p: Phone(self, p) for p, k in enumerate(kinds) if k == "fxs"}
        self.peers = {}  # port -> the port the board bridged it to
        self.history = []
        self.rng = np.random.default_rng(seed)  # the talk bursts (the same every run)

    # -- from any thread --------------------------------------------------------------------

    def place_call(self, port: int, caller: Caller | None = None, **fields) -> Call:
        """Start an inbound call on FXO port `port` by `caller`, or by a Caller of `fields`;
        returns the Call."""
        if caller is None:
            caller = Caller(**fields)
        elif fields:
            raise ValueError("place_call takes a Caller or its fields, not both")
        if port < 0 or port >= len(self.plane.kinds) or self.plane.kinds[port] != "fxo":
            fxo = [p for p, k in enumerate(self.plane.kinds) if k == "fxo"]
            raise ValueError(f"port {port} is not an FXO port (FXO: {fxo})")
        call = Call(port, caller)
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
        call.clock = lambda: self.plane.now
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

    def ring_phone(self, port: int, on: bool) -> None:
        """The firmware rings (or stops ringing) the phone on FXS port `port`."""
        self.phone(port)._ring(on)

    def bridged(self, a: int, b: int) -> None:
        """The board bridged ports a and b (audio.py `bridge`): callers and agents talk."""
        for p in (a, b):
            if self.peers.get(p) not in (None, a, b):
                self.unbridged(p)  # the engine dropped its old bridge
        if self.peers.get(a) == b:
            return
        self.peers[a], self.peers[b] = b, a
        for me, other in ((a, b), (b, a)):
            call = self.calls[me]
            if call is not None:
                self._call_bridged(call, other)
            if me in self.phones:
                self.phones[me]._bridged(other)

    def unbridged(self, port: int) -> None:
        """The bridge of `port` ended (audio.py `unbridge`, or a `hangup` of either side)."""
        other = self.peers.pop(port, None)
        if other is None:
            return
        self.peers.pop(other, None)
        for p in (port, other):
            call = self.calls[p]
            if call is not None:
                self._call_unbridged(call)
            if p in self.phones:
                self.phones[p]._unbridged()

    def _call_bridged(self, call: Call, agent: int) -> None:
        now = self.plane.now
        if call.state != "connected" or call.peer is not None:
            return
        call.peer = agent
        call.agent = agent
        call.bridged_at = now
        if call.first_bridge_at is None:
            call.first_bridge_at = now
        call.key_at = None
        call.rx.clear()
        call.note(now, "bridged", agent=agent, waited_ms=(now - call.answered_at) // 8)
        if call.talk_ms is not None:
            call.hangup_at = now + int(call.talk_ms * 8)

    def _call_unbridged(self, call: Call) -> None:
        now = self.plane.now
        if call.peer is None:
            return
        call.bridged += now - call.bridged_at
        call.note(now, "unbridged", agent=call.peer, talked_ms=(now - call.bridged_at) // 8)
        call.peer = None
        call.bridged_at = None
        if call.state != "connected":
            return
        call.agent_left = True
        call.rx.clear()
        call.heard_any, call.quiet = False, 0  # the next prompt is the survey's
        call.hangup_at = now + SURVEY_NONE_MS * 8 if call.survey is None else None

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
        if call.digit_delay_ms is not None and call.groups:
            call.key_at = now + int(call.digit_delay_ms * 8)
        if call.hangup_after_ms is not None and not call.digits:
            call.hangup_at = now + int(call.hangup_after_ms * 8)  # e.g. gone in the middle of the prompt

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
        for phone in self.phones.values():
            phone._tick(now)

    def _tick_call(self, call: Call, now: int) -> None:
        lines = self.plane.lines
        port = call.port
        ms = (now - call.t0) // 8
        if call.state == "ringing" and (call.pre_ms is None or ms < call.pre_ms):
            if call.pre_ms is None:  # before the first ring: the reversal or alert, then the data
                audio = self._cid_audio(call)
                call.pre_ms = ms + len(audio) // 8 + PRE_RING_MS
                if call.cid_start == "reversal":
                    lines.reversal(port)
                    call.rx.put(np.zeros(REVERSAL_GAP_MS * 8, np.int16))
                    call.pre_ms += REVERSAL_GAP_MS
                call.rx.put(audio)
                call.note(now, "caller-id", number=call.number, name=call.name, start=call.cid_start)
            return
        ms -= call.pre_ms
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
                if call.rings == 1 and call.cid and call.cid_start == "ring-end":
                    call.cid_at = now + call.cid_delay_ms * 8
            if call.cid_at is not None and now >= call.cid_at:
                call.cid_at = None
                call.rx.put(self._cid_audio(call))
                call.note(now, "caller-id", number=call.number, name=call.name)
        elif call.state == "connected":
            if call.key_at is not None and now >= call.key_at:
                call.key_at = None
                self._key_group(call, now)
            if (call.peer is None and call.heard_any and call.quiet >= PROMPT_END
                    and not call.rx.busy):
                call.heard_any = False  # the next prompt has to be heard first
                self._prompt_ended(call, now)
            if call.callback_armed and (call.heard_any or call.peer is not None):
                call.callback_armed = False  # another prompt (the hold loop) or an agent
            elif call.callback_armed and call.quiet >= CALLBACK_QUIET and not call.rx.busy:
                call.callback_armed = False
                call.callbacks += 1
                call.rx.put(generate_dtmf(call.callback, -8.0, 0.0, 80, 80, self.plane.law))
                call.note(now, "callback", digits=call.callback)
            waiting = (now - call.answered_at - call.bridged_samples(now)) // 8
            if call.hangup_at is not None and now >= call.hangup_at:
                self._caller_hangs_up(call, now)
            elif (call.patience_ms is not None and call.first_bridge_at is None
                  and now - call.answered_at >= call.patience_ms * 8):
                call.note(now, "abandoned", waited_ms=(now - call.answered_at) // 8)
                self._caller_hangs_up(call, now)
            elif waiting > call.max_call_ms:
                self._caller_hangs_up(call, now)
            elif call.peer is not None and not call.rx.busy:
                call.rx.put(speech_chunk(self.rng))  # talking to the agent
        elif call.state == "caller-gone":
            if not call.rx.busy:  # the exchange keeps sending busy tone until the board releases
                call.rx.put(generate_tone(self.plane.plan, "busy", 1.0, law=self.plane.law))
            if (now - call.hangup_at) // 8 > 15000:
                call.note(now, "released", by="timeout")
                self._finish(call, now)

    def _prompt_ended(self, call: Call, now: int) -> None:
        """A prompt ended while the caller is not bridged: key what comes next."""
        if call.agent_left:
            if call.survey is not None and len(call.surveyed) < len(call.survey):
                digit = call.survey[len(call.surveyed)]
                call.surveyed += digit
                call.rx.put(generate_dtmf(digit, -8.0, 0.0, 80, 80, self.plane.law))
                call.note(now, "survey", digits=digit)
        elif call.sent < len(call.groups):
            if call.key_at is None:  # else digit_delay_ms keys the first group
                self._key_group(call, now)
        elif call.callback is not None and call.first_bridge_at is None:
            call.callback_armed = True

    def _key_group(self, call: Call, now: int) -> None:
        group = call.groups[call.sent]
        call.sent += 1
        if call.digit_audio is not None:
            call.rx.put(call.digit_audio)
        elif group:
            call.rx.put(generate_dtmf(group, -8.0, 0.0, 80, 80, self.plane.law))
        if call.digit_audio is not None or group:
            call.note(now, "digits", digits=group)
        if call.hangup_after_ms is not None and call.sent == len(call.groups):
            call.hangup_at = now + int(call.hangup_after_ms * 8)

    def _cid_audio(self, call: Call):
        """The caller ID the exchange sends: the rig's own audio, or an MDMF message in the
        call's standard (after a dual-tone alert for the alert start)."""
        if call.cid_audio is not None:
            return call.cid_audio
        cid = CallerId("mdmf", number=call.number, name=call.name, date=_date_now())
        return generate(cid, call.cid_standard, law=self.plane.law,
                        alert_ms=100 if call.cid_start == "alert" else 0)

    def _caller_hangs_up(self, call: Call, now: int) -> None:
        lines = self.plane.lines
        call.state = "caller-gone"
        call.ended_by = "caller"
        call.hangup_at = now
        call.rx.clear()
        call.note(now, "hangup", by="caller", how=call.hangup)
        if call.peer is not None:  # the caller's side of the bridge ends here
            call.bridged += now - call.bridged_at
            call.peer = call.bridged_at = None
        if call.hangup == "loop-drop":
            lines.loop(call.port, False)
        elif call.hangup == "reversal":
            lines.reversal(call.port)
        call.rx.put(np.zeros(2400, np.int16))  # then busy tone (above)

    def _finish(self, call: Call, now: int) -> None:
        lines = self.plane.lines
        if call.peer is not None:
            call.bridged += now - call.bridged_at
            call.peer = None
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
