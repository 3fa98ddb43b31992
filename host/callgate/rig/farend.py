"""The far end: whatever sits on the other side of the DUT's FXO lines (labgrid's Protocol and
Driver). It rings a line, sends caller ID and keys digits as audio, and hangs up in a given way;
it reports what it did as progress items {"what", "at" (line seconds since the call began)}.

Implementations:
  SimLineFarEnd  the virtual board's simulated exchange (sim/exchange.py) through its
                 board model's control socket: works for a `callgate sim` started elsewhere
                 and for the virtual board the rig starts itself.
A second callgate board as the far end (its FXS ports feeding the DUT's FXO ports) is
described in docs/rig.md; it has no driver until there is hardware to run it against.
"""

import abc
import os
import tempfile

import numpy as np

from ..dsp.wav import write_wav
from ..sim.caller import Caller
from ..sim.control import Control
from .resources import SimLine


class FarEndCall:
    """What the far end did during one call: progress items and its summary."""

    def __init__(self, port, progress, summary, sent):
        self.port = port
        self.progress = progress  # [{"what", "at", ...}]
        self.summary = summary  # answered, rings, heard_ms, digits_sent, ended_by
        self.sent = sent  # int16 audio the far end sent besides ringing (caller ID, digits)

    def at(self, what, **match):
        """Line time (s) of the first progress item `what` (with fields `match`), or None."""
        for item in self.progress:
            if item.get("what") == what and all(item.get(k) == v for k, v in match.items()):
                return item.get("at")
        return None


class FarEnd(abc.ABC):
    """Drives one inbound call on a DUT FXO port, blocking until the far end has released."""

    features = frozenset()  # e.g. {"cid-start:ring-end", "hangup:busy"}; cases may require some

    @abc.abstractmethod
    def call(self, port, caller: Caller | None = None, *, digit_audio=None, cid_audio=None, timeout=600.0,
             **fields) -> FarEndCall:
        """The call of `caller` (sim/caller.py), or of Caller.given(**fields) (None: the field's
        default). digit_audio / cid_audio: int16 at 8 kHz sent instead of the far end's own.
        timeout: real seconds without a word of the call's progress before giving up (an
        emulated MCU runs its lines at a fifth of real time: a wait in a queue is minutes)."""

    def agents(self, spec) -> None:
        """Set the phones on the DUT's FXS ports: {port: {answer_ms, talk_ms}} answer by
        themselves; the others do not answer."""
        raise NotImplementedError(f"{type(self).__name__} has no agent phones")

    def keys(self, port, keys) -> None:
        """The agent at the phone on FXS `port` picks it up, keys `keys` (a feature code) and
        hangs up."""
        raise NotImplementedError(f"{type(self).__name__} has no agent phones")

    def supervise(self, spec):
        """A supervisor at the phone on FXS spec["port"]: once the agent on spec["agent"] is put
        through, off hook, spec["keys"][0], each next key spec["step_ms"] (line time) later,
        on hook a step after the last. Runs beside the call: returns the started thread."""
        raise NotImplementedError(f"{type(self).__name__} has no agent phones")

    def close(self) -> None:
        pass


class SimLineFarEnd(FarEnd):
    """The virtual board's line simulator (sim/exchange.py) over its control socket."""

    features = frozenset({"cid-start:ring-end", "cid-start:reversal", "cid-start:alert", "cid:bell202",
                          "cid:v23", "hangup:loop-drop", "hangup:reversal", "hangup:busy"})

    def __init__(self, line: SimLine):
        self.line = line
        self._tmp = tempfile.mkdtemp(prefix="callgate-rig-")

    def call(self, port, caller: Caller | None = None, *, digit_audio=None, cid_audio=None, timeout=600.0,
             **fields) -> FarEndCall:
        if caller is None:
            caller = Caller.given(**fields)
        elif fields:
            raise ValueError("call() takes a Caller or its fields, not both")
        sent, wavs = [], {}
        for key, audio in (("cid_audio", cid_audio), ("digit_audio", digit_audio)):
            if audio is not None:  # the board model reads the rig's audio from WAV files
                path = os.path.join(self._tmp, f"{key}.wav")
                write_wav(path, np.asarray(audio, np.int16), 8000, "pcm16")
                wavs[key] = path
                sent.append(np.asarray(audio, np.int16))
        caller = caller.replace(**wavs)
        progress, summary = [], {}
        with Control(self.line.control, timeout=timeout) as ctl:
            for item in ctl.call(port, caller):
                if item.get("t") == "progress":
                    progress.append({k: v for k, v in item.items() if k != "t"})
                elif item.get("t") == "done":
                    summary = item
        gap = np.zeros(800, np.int16)
        audio = np.concatenate([x for a in sent for x in (a, gap)]) if sent else np.zeros(0, np.int16)
        return FarEndCall(port, progress, summary, audio)

    def agents(self, spec) -> None:
        with Control(self.line.control, timeout=10) as ctl:
            for p in ctl.info().get("phones") or ():
                port = p["port"] if isinstance(p, dict) else p
                a = (spec or {}).get(port)
                if a is None:
                    ctl.agent(port, answer_ms=None, talk_ms=None)
                else:
                    ctl.agent(port, answer_ms=a.get("answer_ms", 2000), talk_ms=a.get("talk_ms", 60000))

    def keys(self, port, keys) -> None:
        wall = self.line.clock  # line seconds per wall second: the board's own pace
        with Control(self.line.control, timeout=10) as ctl:
            ctl.phone(port, "off")
            _line_sleep(ctl, 0.3 * wall)
            ctl.phone(port, "dial", keys)
            _line_sleep(ctl, (0.2 * len(keys) + 0.8) * wall)  # the keys' audio, the board's answer tone
            ctl.phone(port, "on")
            _line_sleep(ctl, 0.3 * wall)

    def supervise(self, spec):
        import threading
        import time

        step = spec["step_ms"] / 1000

        def run():
            with Control(self.line.control, timeout=10) as ctl:
                deadline = time.monotonic() + 60
                while time.monotonic() < deadline:
                    phones = {p["port"]: p for p in ctl.info().get("phones") or () if isinstance(p, dict)}
                    if (phones.get(spec["agent"]) or {}).get("peer") is not None:
                        break
                    time.sleep(0.05)
                else:
                    return  # the agent was never put through: the case's expectations say so
                ctl.phone(spec["port"], "off")
                _line_sleep(ctl, 0.3 * self.line.clock)
                for i, keys in enumerate(spec["keys"]):
                    if i:
                        _line_sleep(ctl, step)
                    ctl.phone(spec["port"], "dial", keys)
                _line_sleep(ctl, step)
                ctl.phone(spec["port"], "on")

        t = threading.Thread(target=run, name="rig-supervisor", daemon=True)
        t.start()
        return t

    def close(self) -> None:
        import shutil

        shutil.rmtree(self._tmp, ignore_errors=True)


def _line_sleep(ctl, seconds: float) -> None:
    """Wait `seconds` of the line's time (the board model's clock, which falls behind the wall
    clock's multiple when the machine is busy), so a phone's steps keep their spacing on the line."""
    import time

    end = ctl.info()["now_s"] + seconds
    while ctl.info()["now_s"] < end:
        time.sleep(0.02)
