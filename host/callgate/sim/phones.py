"""The agent phones on the FXS ports: a person at a desk phone, or an automatic agent.

The firmware rings a phone (the line cards' ring command, firmware/callgate/linecard.py:
`ringing`); off_hook() answers, dial(digits) keys DTMF into the port, talk(samples) speaks,
flash() flashes the hook (on hook FLASH_MS, then off again: a blind transfer's start),
hang_up() hangs up; what the phone hears is counted (heard_ms). auto() makes it an automatic
agent that answers, talks and hangs up by itself. Other threads call these; the work runs on
the line cards' thread and clock (the exchange, exchange.py, ticks the phones and tells them
of bridges and of who hears whom).

A phone talks while someone hears it (`listeners`: the bridged caller; in a conference, the
legs whose hear sets hold it), so a supervisor who only listens stays quiet. A phone that
hears a call without being bridged to it (`hearing`: a supervisor listening, whispering or
barging) is in a session of its own: automatic, it keeps the line talk_ms from the session's
start as an agent does from a bridge, and hangs up AGENT_LEAVES_MS after the session ends.
"""

import random

import numpy as np

from ..dsp.tones import generate_dtmf
from .speech import AudioQueue, speech_chunk

AGENT_LEAVES_MS = 500  # an automatic agent hangs up this long after the caller left
AGENT_NO_CALL_MS = 8000  # ... or this long after answering when no caller is put through
# (a person waits a while on a silent line; a loaded board may bridge seconds after the answer)
# (and again while the board dials out: a callback rings the agent before it dials)
KEYS_AFTER_MS = 1500  # an automatic agent with dispositions keys one this long after a call
KEY_GAP_MS = 400  # off hook -> the keys -> on hook, this far apart
FLASH_MS = 500  # a hook flash: this long on hook (a site's agents.flash_ms is longer)


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
        self.net = net  # the exchange
        self.port = port
        self.rx = AudioQueue()
        self.heard = 0
        self.ringing = False
        self.calls = 0
        self.progress = []
        self.peer = None  # the port bridged to now
        self.hearing = frozenset()  # the ports it hears (the board's hear set for it)
        self.listeners = frozenset()  # the ports that hear it
        self.sessions = 0  # times it heard a call without being bridged (a supervisor)
        self.in_session = False
        self.auto_spec = None  # (answer_ms, talk_ms, rng) while automatic
        self.answer_at = None
        self.hangup_at = None
        self.habits = None  # {"dispositions": [keys], "breaks": {...}}: what an automatic agent keys
        self.script = []  # [(sample time, "off" | "on" | keys)]: keys being keyed now
        self.dispose_at = None  # when an automatic agent keys a disposition (in wrap-up)
        self.break_at = None  # the next break (sample time), with habits
        self.back_at = None  # the end of the break
    @property
    def heard_ms(self) -> int:
        return self.heard // 8

    def auto(self, answer_ms=2000, talk_ms=60000, rng=None, dispositions=None, breaks=None) -> None:
        """Answer answer_ms after ringing starts (None: never), hang up talk_ms after being
        bridged (ms, or a (low, high) pair drawn uniformly with rng, a random.Random; None:
        stay until the caller leaves). A phone ringing, talking or off hook now carries on from
        there (_take_over). Habits, keyed as feature codes (the site's, docs/callcenter.md):
        dispositions, a list of keys ("*41"), one picked at random after each call (in
        wrap-up); breaks, {"every_ms", "length_ms", "pause": [keys], "ready": keys}: every
        every_ms (on average) a pause with one of the pause keys, ready again after length_ms."""
        answer_ms = _ms("answer_ms", answer_ms)
        talk_ms = talk_ms_range(talk_ms)
        if rng is not None and not isinstance(rng, random.Random):
            raise ValueError(f"rng must be a random.Random, not {rng!r}")
        for keys in list(dispositions or []) + list((breaks or {}).get("pause", [])) + [(breaks or {}).get("ready", "")]:
            if not isinstance(keys, str) or any(k not in "0123456789*#" for k in keys):
                raise ValueError(f"keys must be a string of 0-9 * #, not {keys!r}")
        if breaks is not None:
            _ms("breaks every_ms", breaks.get("every_ms"), allow_none=False)
            _ms("breaks length_ms", breaks.get("length_ms"), allow_none=False)
            if not breaks.get("pause") or not breaks.get("ready"):
                raise ValueError("breaks need pause keys and ready keys")
        self.auto_spec = (answer_ms, talk_ms, rng or random.Random())
        self.habits = {"dispositions": list(dispositions or []), "breaks": breaks} if (dispositions or breaks) else None
        self.net.plane.run_soon(self._take_over)

    def manual(self) -> None:
        """No more answering or hanging up by itself."""
        self.auto_spec = None
        self.habits = None
        self.net.plane.run_soon(self._cancel_timers)

    def status(self) -> dict:
        spec = self.auto_spec
        auto = None if spec is None else {"answer_ms": spec[0], "talk_ms": spec[1]}
        return {"port": self.port, "offhook": self.net.plane.lines.offhook(self.port),
                "ringing": self.ringing, "calls": self.calls, "peer": self.peer,
                "hears": sorted(self.hearing), "heard_by": sorted(self.listeners),
                "sessions": self.sessions, "auto": auto, "habits": self.habits}

    def off_hook(self) -> None:
        self.net.plane.run_soon(self._hook, True)

    def hang_up(self) -> None:
        self.net.plane.run_soon(self._hook, False)

    def flash(self, ms=FLASH_MS) -> None:
        """On hook for ms, then off hook again (the phone's flash key)."""
        _ms("flash ms", ms, allow_none=False)
        self.net.plane.run_soon(self._flash, ms)

    def _flash(self, ms) -> None:
        if not self.net.plane.lines.offhook(self.port):
            return  # on hook already: nothing to flash
        self._hook(False)
        self.note("flash", ms=ms)
        self.script.append((self.net.plane.now + int(ms * 8), "off"))

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
        self.script = []
        self.break_at = self.back_at = None

    def _keys(self, now: int, keys: str) -> None:
        """Pick up (when idle), key `keys`, hang up: a feature code."""
        gap = KEY_GAP_MS * 8
        self.script = [(now, "off"), (now + gap, keys), (now + gap + len(keys) * 1280 + gap, "on")]

    def _habits(self, now: int) -> None:
        """An automatic agent's habits, while idle: a break when it is due, back after it."""
        h = self.habits
        if h is None or self.script or self.ringing or self.peer is not None or self.net.plane.lines.offhook(self.port):
            return
        b = h["breaks"]
        if b is None:
            return
        rng = self.auto_spec[2]
        if self.break_at is None and self.back_at is None:
            self.break_at = now + int(rng.expovariate(1 / b["every_ms"]) * 8)
        elif self.back_at is not None and now >= self.back_at:
            self.back_at = None
            self._keys(now, b["ready"])
        elif self.break_at is not None and now >= self.break_at:
            self.break_at = None
            self.back_at = now + int(b["length_ms"] * 8)
            self._keys(now, rng.choice(b["pause"]))

    def _take_over(self) -> None:
        """Made automatic mid-call: carry on from where the phone is. Ringing, it answers
        answer_ms from now; bridged, it hangs up talk_ms from now; off hook with nobody, it
        hangs up AGENT_NO_CALL_MS from now. (Its timers used to start only at the next ring or
        bridge: an agent made automatic while it talked stayed bridged for good.)"""
        spec = self.auto_spec
        if spec is None:
            return
        now = self.net.plane.now
        self._cancel_timers()
        if self.ringing and spec[0] is not None:
            self.answer_at = now + int(spec[0] * 8)
        elif self.peer is not None or self.in_session:
            self._talk_timer(now)
        elif self.net.plane.lines.offhook(self.port):
            self.hangup_at = now + AGENT_NO_CALL_MS * 8

    def _talk_timer(self, now: int) -> None:
        """Hang up talk_ms (a draw when it is a range) from now, or never when it is None."""
        talk = self.auto_spec[1] if self.auto_spec is not None else None
        if talk is None:
            self.hangup_at = None
            return
        ms = self.auto_spec[2].uniform(*talk) if isinstance(talk, tuple) else talk
        self.hangup_at = now + int(ms * 8)

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
        self._talk_timer(self.net.plane.now)

    def _unbridged(self) -> None:
        self.peer = None
        self.rx.clear()
        self.note("unbridged")
        self.hangup_at = None
        if self.habits is not None and self.habits["dispositions"]:
            self.dispose_at = self.net.plane.now + KEYS_AFTER_MS * 8
        if self.auto_spec is not None and self.net.plane.lines.offhook(self.port):
            self.hangup_at = self.net.plane.now + AGENT_LEAVES_MS * 8  # the caller left first

    def _hearing(self, hearing: frozenset, listeners: frozenset) -> None:
        """Who the phone hears and who hears it changed (a bridge, or the `hear` command)."""
        self.hearing, self.listeners = hearing, listeners
        session = bool(hearing) and self.peer is None  # bridged: the bridge is the call
        now = self.net.plane.now
        if session and not self.in_session:  # a supervisor's session starts
            self.in_session = True
            self.sessions += 1
            self.note("session", hears=sorted(hearing))
            if self.auto_spec is not None and self.net.plane.lines.offhook(self.port):
                self._talk_timer(now)
        elif session:
            self.note("session", hears=sorted(hearing))  # the mode changed
        elif self.in_session:
            self.in_session = False
            if self.peer is not None:
                return  # bridged now: the bridge carries on
            self.note("session-end")
            self.rx.clear()
            self.hangup_at = None
            if self.auto_spec is not None and self.net.plane.lines.offhook(self.port):
                self.hangup_at = now + AGENT_LEAVES_MS * 8

    def _tick(self, now: int) -> None:
        if self.script and now >= self.script[0][0]:
            what = self.script.pop(0)[1]
            if what == "off":
                if self.ringing:  # a call came first: answering it is the agent's job now
                    self.script = []
                else:
                    self._hook(True)
            elif what == "on":
                self._hook(False)
            elif self.net.plane.lines.offhook(self.port):
                self.rx.put(generate_dtmf(what, -10.0, 0.0, 80, 80, self.net.plane.law))
        if self.dispose_at is not None and now >= self.dispose_at and not self.net.plane.lines.offhook(self.port):
            self.dispose_at = None
            if not self.script and not self.ringing:
                self._keys(now, self.auto_spec[2].choice(self.habits["dispositions"]))
        self._habits(now)
        if self.answer_at is not None and now >= self.answer_at:
            self._hook(True)  # (clears the timers)
            if self.in_session:
                self._talk_timer(now)  # a supervisor's session started while it rang
            elif self.peer is None:
                self.hangup_at = now + AGENT_NO_CALL_MS * 8  # unless a caller is put through
            else:
                self._talk_timer(now)  # bridged while it rang: talk from the answer
        if (self.hangup_at is not None and now >= self.hangup_at and self.peer is None
                and any(d is not None for d in self.net.out)):
            # off hook with nobody while the board dials out: a callback being dialled for
            # this agent (firmware callbacks.py rings the agent first); wait for its outcome
            self.hangup_at = now + AGENT_NO_CALL_MS * 8
        if self.hangup_at is not None and now >= self.hangup_at:
            self.hangup_at = None  # (on hook already: nothing to do, and nothing left pending)
            self._hook(False)
        talks = self.peer is not None or self.listeners  # someone hears it
        if talks and not self.rx.busy and self.net.plane.lines.offhook(self.port):
            self.rx.put(speech_chunk(self.net.rng))
