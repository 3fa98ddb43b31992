"""What a simulated caller does once the board has answered: its Caller (caller.py) played
out on the line cards' clock. The line's signalling around it (ringing, caller ID, loop,
reversal, busy tone) is the exchange's (exchange.py), which runs one Call per FXO port and
hands it what the caller hears.

The script: after an optional speech WAV the caller listens to the prompt, then keys its first
digit group (real DTMF, generate_dtmf), or keys it digit_delay_ms after the answer (barge-in);
each next group after the next prompt ends. "A prompt ended" is what a caller can hear:
PROMPT_END of quiet after sound from the board, with nothing of its own left to send. Then
the board hangs up, or the caller does (hangup_after_ms after its last group; the exchange
shows it the Caller's `hangup` way). A call-center caller (docs/callcenter.md) abandons when
no agent took it within patience_ms, hangs up talk_ms into the conversation, keys a survey
digit per question after the agent left, and keys its callback number when the board waits
quietly after a prompt. While bridged to an agent it talks (speech.py bursts), so a
recording has sound.

Progress of a call is a list of dicts, each {"what", "at" (model seconds since it began),
...}, and a `done` event; `result()` summarises it.
"""

import threading

import numpy as np

from ..dsp.tones import generate_dtmf
from ..firmware import linecard
from .caller import Caller
from .speech import AudioQueue, load_speech, speech_chunk

PROMPT_END = 2400  # samples of quiet after sound: the prompt has ended (300 ms)
CALLBACK_QUIET = 32000  # samples of quiet after a prompt: the board waits for the number (4 s; it
# waits 10 s for the first key, and a queue's hold loop may fall quiet 2 s under load between
# its prompts while the firmware is slow to start the next one)
SURVEY_NONE_MS = 1000  # a caller without a survey hangs up this long after the agent left


class Call:
    """One inbound call from the exchange to an FXO port, by `caller` (a Caller). Its WAV
    files are read when it is made (OSError if one cannot be)."""

    def __init__(self, port, caller: Caller):
        if not isinstance(caller, Caller):
            raise ValueError(f"a call needs a Caller, not {caller!r}")
        self.port = port
        self.caller = caller
        self.groups = caller.groups
        # The caller's speech, and the test rig's own audio (host/callgate/rig) keyed instead
        # of generate_dtmf(digits) and sent instead of the MDMF caller ID (None: generated).
        self.speech, self.digit_audio, self.cid_audio = (
            None if path is None else load_speech(path)
            for path in (caller.speech, caller.digit_audio, caller.cid_audio))
        self.progress = []
        self.done = threading.Event()
        self.listeners = []  # fn(progress item), called on the audio thread
        # run state
        self.state = "new"  # ringing, connected, caller-gone, ended (or failed)
        self.t0 = 0
        # ETSI: caller ID before the first ring, after a polarity reversal or a dual-tone
        # alert; the ringing then starts a little after it (exchange.py; ring-end: none).
        self.pre_ms = None if caller.cid and caller.cid_start != linecard.CID_RING_END else 0  # None: not sent yet
        self.rings = 0
        self.cid_at = None  # when the caller ID after the first ring is sent
        self.answered_at = None
        self.heard = 0  # samples with sound heard from the board
        self.heard_any = False  # sound since the last prompt end
        self.quiet = 0  # samples of silence since the last sound
        self.key_at = None  # digit_delay_ms: when the first group is keyed
        self.sent = 0  # digit groups keyed
        self.hangup_at = None
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
        self.rx = AudioQueue()  # what the caller sends

    @property
    def number(self) -> str:
        return self.caller.number

    @property
    def name(self) -> str:
        return self.caller.name

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

    # -- the script, on the audio thread (the exchange calls these) ------------------------

    def answered(self, now) -> None:
        """The board answered (the exchange has closed the loop): speech, then the digits."""
        c = self.caller
        if self.speech is not None:
            self.rx.put(np.zeros(2400, np.int16))
            self.rx.put(self.speech)
            self.note(now, "speech", seconds=round(len(self.speech) / 8000, 2))
        if c.digit_delay_ms is not None and self.groups:
            self.key_at = now + int(c.digit_delay_ms * 8)
        if c.hangup_after_ms is not None and not c.digits:
            self.hangup_at = now + int(c.hangup_after_ms * 8)  # e.g. gone in the middle of the prompt

    def hear(self, loud: bool, n: int) -> None:
        """n samples from the board, with sound in them or not."""
        if loud:
            self.heard += n
            self.heard_any = True
            self.quiet = 0
        else:
            self.quiet += n

    def step(self, now, law, rng) -> bool:
        """One frame while connected; True when the caller hangs up now."""
        c = self.caller
        if self.key_at is not None and now >= self.key_at:
            self.key_at = None
            self._key_group(now, law)
        if self.peer is None and self.heard_any and self.quiet >= PROMPT_END and not self.rx.busy:
            self.heard_any = False  # the next prompt has to be heard first
            self._prompt_ended(now, law)
        if self.callback_armed and (self.heard_any or self.peer is not None):
            self.callback_armed = False  # another prompt (the hold loop) or an agent
        elif self.callback_armed and self.quiet >= CALLBACK_QUIET and not self.rx.busy:
            self.callback_armed = False
            self.callbacks += 1
            self.rx.put(generate_dtmf(c.callback, -8.0, 0.0, 80, 80, law))
            self.note(now, "callback", digits=c.callback)
        waiting = (now - self.answered_at - self.bridged_samples(now)) // 8
        if self.hangup_at is not None and now >= self.hangup_at:
            return True
        if (c.patience_ms is not None and self.first_bridge_at is None
                and now - self.answered_at >= c.patience_ms * 8):
            self.note(now, "abandoned", waited_ms=(now - self.answered_at) // 8)
            return True
        if waiting > c.max_call_ms:
            return True
        if self.peer is not None and not self.rx.busy:
            self.rx.put(speech_chunk(rng))  # talking to the agent
        return False

    def on_bridged(self, now, agent: int) -> None:
        """The board put the caller through to the agent on port `agent`."""
        if self.state != "connected" or self.peer is not None:
            return
        self.peer = agent
        self.agent = agent
        self.bridged_at = now
        if self.first_bridge_at is None:
            self.first_bridge_at = now
        self.key_at = None
        self.rx.clear()
        self.note(now, "bridged", agent=agent, waited_ms=(now - self.answered_at) // 8)
        if self.caller.talk_ms is not None:
            self.hangup_at = now + int(self.caller.talk_ms * 8)

    def on_unbridged(self, now) -> None:
        """The bridge ended: the agent left (or the caller did)."""
        if self.peer is None:
            return
        self.bridged += now - self.bridged_at
        self.note(now, "unbridged", agent=self.peer, talked_ms=(now - self.bridged_at) // 8)
        self.peer = None
        self.bridged_at = None
        if self.state != "connected":
            return
        self.agent_left = True
        self.rx.clear()
        self.heard_any, self.quiet = False, 0  # the next prompt is the survey's
        self.hangup_at = now + SURVEY_NONE_MS * 8 if self.caller.survey is None else None

    def hangs_up(self, now) -> None:
        """The caller hangs up (the exchange then signals it on the line)."""
        self.state = "caller-gone"
        self.ended_by = "caller"
        self.hangup_at = now
        self.rx.clear()
        self.note(now, "hangup", by="caller", how=self.caller.hangup)
        if self.peer is not None:  # the caller's side of the bridge ends here
            self.bridged += now - self.bridged_at
            self.peer = self.bridged_at = None

    def _prompt_ended(self, now, law) -> None:
        """A prompt ended while the caller is not bridged: key what comes next."""
        c = self.caller
        if self.agent_left:
            if c.survey is not None and len(self.surveyed) < len(c.survey):
                digit = c.survey[len(self.surveyed)]
                self.surveyed += digit
                self.rx.put(generate_dtmf(digit, -8.0, 0.0, 80, 80, law))
                self.note(now, "survey", digits=digit)
        elif self.sent < len(self.groups):
            if self.key_at is None:  # else digit_delay_ms keys the first group
                self._key_group(now, law)
        elif c.callback is not None and self.first_bridge_at is None:
            self.callback_armed = True

    def _key_group(self, now, law) -> None:
        group = self.groups[self.sent]
        self.sent += 1
        if self.digit_audio is not None:
            self.rx.put(self.digit_audio)
        elif group:
            self.rx.put(generate_dtmf(group, -8.0, 0.0, 80, 80, law))
        if self.digit_audio is not None or group:
            self.note(now, "digits", digits=group)
        if self.caller.hangup_after_ms is not None and self.sent == len(self.groups):
            self.hangup_at = now + int(self.caller.hangup_after_ms * 8)

