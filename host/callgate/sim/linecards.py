"""The line cards: the C media engine for every port (the audio plane), the firmware's
line-card commands applied to it and its reports made, on the model's own clock. The
commands and reports, with their fields, are firmware/callgate/linecard.py's (imported here as
`linecard`); this module does what they ask on the virtual board.

One thread runs frames of FRAME samples (20 ms at 8 kHz). Each frame it
  1. applies the firmware's commands that arrived since the last frame (lines.command -> here;
     one method per command, COMMANDS below);
  2. asks the exchange (exchange.py, `network`) for what every port's far end sends (rx),
  3. runs callgate.dsp.MediaEngine.process(rx) -> tx and the engine's events (DTMF and caller
     ID decoded from that audio, prompts and tones that ended), which become line reports to
     the firmware (lines.report);
  4. gives every port's tx to its far end (what the caller or the agent hears), and runs FXO
     disconnect supervision (the C DisconnectSupervisor: busy tone on an answered line).

`clock` is how many times faster than real time the frames run (clock.py) (1.0: a frame every
20 ms; tests use more). Everything happens on the model's clock, `now` (samples since start),
so a call runs the same at any speed; the firmware follows it too, from the clock reports
(firmware/callgate/hal_virtual.py, Board.now_ms: its timers, tick and call records use the
line cards' time, scaled by the rate between them). A clock report goes out every second of
model time, and first to a firmware that connects (lines.snapshot).

Pacing: the firmware says which clock report it has taken (the `clock` command, hal_virtual.py),
and the frames never run more than PACE_MS of model time ahead of it, so a firmware slowed
down by a busy machine is not left behind by its own line cards (at 30x real time, a firmware
that needs 0.5 s to take a hang-up would otherwise see it 15 s of line time late). `clock` is
the fastest the frames run, not a promise. A firmware that takes no clock report for LOST_S
(it stopped at its REPL, or no firmware runs) stops the pacing until its next one.

Prompts are files in the board's flash, `prompts/NAME.wav` (any WAV parse_wav reads; resampled
to 8 kHz and encoded in the port's law when first played). The firmware reads them from its
flash image and sends their bytes with the play command (hal_virtual.py, Board.do), as a
board's firmware feeds its line cards, so the board model never reads the image while the
firmware writes it; each file once per connection (its "key", path and size, names it after
that). `write_default_prompts(fs)` synthesises the "welcome" prompt into a mounted image when
it has none.

What is the virtual board's own: a ring command, a bridge or a hear set also tells the
exchange (the phone rings, callers and agents know they talk to a person, and who hears whom);
a recording is the port's both directions mixed in the board's law, sent in a rec report every
REC_CHUNK of model time (300 ms), the last one (end true) after record_stop, a hangup of the
port or a new record on it; `rec_end_delay_ms` holds that last report back (a slow line-card
bus, for tests).
"""

import base64
import logging
import queue
import threading
import time

import numpy as np

from ..dsp import g711
from ..dsp.cpa import DisconnectSupervisor, sit_kind_name
from ..dsp.media import MediaEngine
from ..dsp.tones import generate_cadence
from ..dsp.wav import encode_wav, parse_wav, resample
from ..firmware import linecard
from .clock import check_clock, check_epoch
from .exchange import Exchange

FRAME = 160  # samples: 20 ms at 8 kHz
RATE = 8000
REC_CHUNK = 15 * FRAME  # samples per rec report: 300 ms of model time (small lines for the firmware)
REC_BUFFER = 3 * RATE  # the recording buffer, rotated every REC_CHUNK
CLOCK_EVERY = RATE  # a clock report every second of model time
PACE_MS = 2000  # the frames run at most this far ahead of the clock report the firmware took
LOST_S = 2.0  # no clock report taken for this long (real time): the pacing stops until one is
log = logging.getLogger(__name__)

ENCODE = {"ulaw": g711.ulaw_encode, "alaw": g711.alaw_encode}
DECODE = {"ulaw": g711.ulaw_decode, "alaw": g711.alaw_decode}


def write_default_prompts(fs) -> None:
    """Put a synthesised "welcome" prompt (a three-note chime, then a held tone, 1.6 s) in the
    flash's prompts/ folder unless one is there (fs: a mounted image, sim/flash.py)."""
    from .flash import put

    try:
        fs.stat("prompts/welcome.wav")
        return
    except Exception:  # littlefs-python: FileNotFoundError or LittleFSError
        pass
    chime = generate_cadence([(523, 0, 200), (659, 0, 200), (784, 0, 200), (0, 0, 100),
                              (659, 784, 900)], 1.6, level_dbm0=-12.0, repeat=False)
    put(fs, "prompts/welcome.wav", encode_wav(chime, RATE, "ulaw"))


# The AudioPlane method that carries out each line-card command (hello is the model's own:
# model.py takes it before the line cards).
COMMANDS = {
    linecard.CMD_ANSWER: "_cmd_answer",
    linecard.CMD_HANGUP: "_cmd_hangup",
    linecard.CMD_PLAY: "_cmd_play",
    linecard.CMD_TONE: "_cmd_tone",
    linecard.CMD_STOP: "_cmd_stop",
    linecard.CMD_DTMF: "_cmd_dtmf",
    linecard.CMD_PULSE: "_cmd_pulse",
    linecard.CMD_BRIDGE: "_cmd_bridge",
    linecard.CMD_UNBRIDGE: "_cmd_unbridge",
    linecard.CMD_HEAR: "_cmd_hear",
    linecard.CMD_CID_ARM: "_cmd_cid_arm",
    linecard.CMD_CID_DISARM: "_cmd_cid_disarm",
    linecard.CMD_RING: "_cmd_ring",
    linecard.CMD_RECORD: "_cmd_record",
    linecard.CMD_RECORD_STOP: "_cmd_record_stop",
    linecard.CMD_SEIZE: "_cmd_seize",
    linecard.CMD_CPA_ARM: "_cmd_cpa_arm",
}
# The C analyser's results (MediaEvent kinds) as cpa reports' results.
CPA_RESULTS = {"cpa-no-dial-tone": linecard.CPA_NO_DIAL_TONE, "cpa-busy": linecard.CPA_BUSY,
               "cpa-congestion": linecard.CPA_CONGESTION, "cpa-no-answer": linecard.CPA_NO_ANSWER,
               "cpa-sit": linecard.CPA_SIT, "cpa-fax": linecard.CPA_FAX, "cpa-human": linecard.CPA_PERSON,
               "cpa-machine": linecard.CPA_MACHINE}


class AudioPlane:
    """The line cards' audio on the model's clock. epoch: Unix seconds at model time 0 (the
    `clock` reports; None: now). Without start(), step(frames) runs frames on the caller's
    thread (tests)."""

    def __init__(self, lines, board_def: dict, clock: float = 1.0, plan: str = "US", epoch=None):
        self.lines = lines
        self.clock = check_clock(clock)
        self.epoch = time.time() if check_epoch(epoch) is None else float(epoch)
        self.plan = board_def.get("plan", plan)
        self.law = board_def.get("pcm", {}).get("law", "ulaw")
        self.kinds = [p["kind"] for p in board_def["ports"]]
        self.engine = MediaEngine(len(self.kinds), self.law)
        self.network = Exchange(self)  # the exchange: callers and agent phones (exchange.py)
        self.now = 0  # samples
        self.frames = 0
        self.failures = 0  # frames that raised (the first few are logged)
        self.late = 0  # frames that started later than one frame behind the clock
        self.waited = 0  # frames that waited for the firmware (pacing)
        self._taken = None  # model ms of the last clock report the firmware took; None: no pacing
        self._taken_cv = threading.Condition()
        self.answered = [False] * len(self.kinds)
        self._prompts = {}
        self._playing = [None] * len(self.kinds)  # prompt name per port
        self._disc = [None] * len(self.kinds)  # disconnect supervisors of answered FXO ports
        self._rec = [None] * len(self.kinds)  # per recording port: {"id", "buf", "since", "seq"}
        self._pulse = [None] * len(self.kinds)  # linecard.Pulser of an FXO port dialling pulses
        # A slow line-card bus, for tests: a recording's last rec report (end true) reaches the
        # firmware this many ms of model time late (None: never). _late: [due sample, report].
        self.rec_end_delay_ms = 0
        self._late = []
        self._jobs = queue.SimpleQueue()  # callables to run on the audio thread
        self._stop = threading.Event()
        self._thread = None
        lines.set_handler(self._on_command)
        lines.subscribe(self._on_report)
        lines.add_snapshot(lambda: [self.clock_report()])

    # -- control, from any thread ---------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="audio-plane", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _on_command(self, msg) -> None:
        """A firmware command (the model's socket thread): the clock it took now, the rest on
        the audio thread before the next frame."""
        if isinstance(msg, dict) and msg.get("t") == linecard.CMD_CLOCK:
            with self._taken_cv:
                self._taken = msg.get("ms") if isinstance(msg.get("ms"), int) else None
                self._taken_cv.notify_all()
        else:
            self.run_soon(self._command, msg)

    def unpace(self) -> None:
        """No pacing until the firmware takes a clock report (a firmware that (re)connects)."""
        with self._taken_cv:
            self._taken = None
            self._taken_cv.notify_all()

    def _wait_for_firmware(self) -> None:
        with self._taken_cv:
            if self._taken is None or self.now // 8 - self._taken <= PACE_MS:
                return
            self.waited += 1
            if not self._taken_cv.wait_for(lambda: self._stop.is_set() or self._taken is None
                                           or self.now // 8 - self._taken <= PACE_MS, LOST_S):
                self._taken = None  # the firmware takes no clock reports now

    def run_soon(self, fn, *args) -> None:
        """Run fn(*args) on the audio thread, before the next frame."""
        self._jobs.put((fn, args))

    def step(self, frames: int = 1) -> None:
        """Run frames now, on the caller's thread (only while start() has not been called)."""
        if self._thread is not None:
            raise RuntimeError("step(): the audio plane's own thread is running")
        for _ in range(frames):
            self._frame()

    def seconds(self, samples: int) -> float:
        return samples / RATE

    @property
    def now_ms(self) -> int:
        return self.now // 8

    def clock_report(self) -> dict:
        """{"what": "clock", "ms": model ms since start, "epoch": Unix seconds at that ms,
        "rate": times real time}."""
        ms = self.now // 8
        return {"what": linecard.REPORT_CLOCK, "ms": ms, "epoch": round(self.epoch + ms / 1000, 3), "rate": self.clock}

    def encode(self, samples: np.ndarray) -> np.ndarray:
        return ENCODE[self.law](np.asarray(samples, np.int16))

    def decode(self, codes: np.ndarray) -> np.ndarray:
        return DECODE[self.law](codes)

    # -- the thread -----------------------------------------------------------------------

    def _run(self) -> None:
        period = FRAME / RATE / self.clock
        due = time.monotonic()
        while not self._stop.is_set():
            self._wait_for_firmware()
            try:
                self._frame()
            except Exception:  # a bug in one frame must not stop the board's audio
                self.failures += 1
                if self.failures <= 3:
                    log.exception("audio frame failed")
            due += period
            wait = due - time.monotonic()
            if wait > 0:
                self._stop.wait(wait)
            elif wait < -period:
                self.late += 1
                due = time.monotonic()  # fell behind (a slow machine or firmware): do not race to catch up

    def _frame(self) -> None:
        while True:
            try:
                fn, args = self._jobs.get_nowait()
            except queue.Empty:
                break
            fn(*args)
        rx = [self.network.rx(p, FRAME) for p in range(len(self.kinds))]
        tx, events = self.engine.process(rx, n=FRAME)
        for e in events:
            self._engine_event(e)
        for p in range(len(self.kinds)):
            self.network.tx(p, tx[p])
            sup = self._disc[p]
            if sup is not None and rx[p] is not None:
                fired = sup.feed(self.decode(rx[p]))
                if fired is not None:
                    self._disc[p] = None
                    self.lines.report({"what": linecard.REPORT_DISCONNECT, "port": p, "method": fired.method,
                                       "tone": fired.tone})
        for p, pulser in enumerate(self._pulse):
            if pulser is not None:
                self._pulse_step(p)
        for p, rec in enumerate(self._rec):
            if rec is not None:
                rec["since"] += FRAME
                if rec["since"] >= REC_CHUNK:
                    self._rec_send(p, end=False)
        if self._late:
            self._send_late()
        self.now += FRAME
        self.frames += 1
        if self.now % CLOCK_EVERY == 0:
            self.lines.report(self.clock_report())
        self.network.tick(self.now)

    def _engine_event(self, e) -> None:
        p = e.port
        if e.kind == "dtmf":
            self.lines.report({"what": linecard.REPORT_DTMF, "port": p, "digit": e.digit})
        elif e.kind in ("cid-message", "cid-error"):
            m = e.message
            self.lines.report({"what": linecard.REPORT_CID, "port": p, "status": m.status, "number": m.number,
                               "name": m.name})
            self.engine.cid_disarm(p)
        elif e.kind == "prompt-done":
            self.lines.report({"what": linecard.REPORT_PROMPT_DONE, "port": p, "prompt": self._playing[p],
                               "reason": e.reason})
            self._playing[p] = None
        elif e.kind == "tone-done":
            self.lines.report({"what": linecard.REPORT_TONE_DONE, "port": p})
        elif e.kind == "dtmf-sent" and self.engine.cpa_armed(p):
            self.engine.cpa_dialed(p, e.end)  # the number is out: call progress from here
        elif e.kind == "cpa-tone":
            self.lines.report({"what": linecard.REPORT_DIAL_TONE, "port": p})
        elif e.kind in CPA_RESULTS:
            self._cpa_result(p, e)
        elif e.kind == "record-full" and self._rec[p] is not None:
            self._rec_send(p, end=False)  # not with REC_BUFFER > REC_CHUNK; kept whole if so
        self.network.engine_event(e)

    def _on_report(self, report: dict) -> None:
        # The line card passes ring edges and polarity reversals to an armed caller ID receiver
        # (its start conditions).
        if report.get("what") == linecard.REPORT_RING:
            self.run_soon(self._line_edge, report["port"], "ring-start" if report["on"] else "ring-end")
        elif report.get("what") == linecard.REPORT_REVERSAL:
            self.run_soon(self._line_edge, report["port"], "reversal")

    def _line_edge(self, port: int, event: str) -> None:
        if self.engine._cid[port] is not None:
            self.engine.cid_line(port, event)

    # -- firmware commands (on the audio thread) -------------------------------------------

    def _command(self, msg: dict) -> None:
        t = msg.get("t")
        port = msg.get("port")
        try:
            name = COMMANDS.get(t) if isinstance(t, str) else None
            if name is None:
                raise ValueError(f"unknown command {t!r}")
            if t != linecard.CMD_BRIDGE and (not isinstance(port, int) or not 0 <= port < len(self.kinds)):
                raise ValueError(f"no port {port!r}")
            getattr(self, name)(msg, port)
        except Exception as e:  # refused: the firmware hears why
            self.lines.report({"what": linecard.REPORT_ERROR, "port": port, "cmd": t, "msg": str(e)})

    def _cmd_answer(self, msg, port) -> None:
        if self.kinds[port] != "fxo":
            raise ValueError(f"port {port} is not FXO: nothing to answer")
        if not self.answered[port]:
            self.answered[port] = True
            self._disc[port] = DisconnectSupervisor(self.plan, law=self.law, methods=["tone"])
            self.network.answered(port)

    def _cmd_seize(self, msg, port) -> None:
        if self.kinds[port] != "fxo":
            raise ValueError(f"port {port} is not FXO: nothing to seize")
        if self.network.calls[port] is not None:
            raise ValueError(f"port {port} is ringing: answer it, or call out on another trunk")
        self.network.seized(port)

    def _cmd_cpa_arm(self, msg, port) -> None:
        if self.kinds[port] != "fxo":
            raise ValueError(f"port {port} is not FXO: no call progress to analyse")
        self.engine.cpa_arm(port, msg.get("plan") or self.plan, no_dial_tone_ms=int(msg.get("dial_ms", 0)),
                            no_answer_ms=int(msg.get("no_answer_ms", 30000)))

    def _cpa_result(self, port, e) -> None:
        result = CPA_RESULTS[e.kind]
        kind = e.tone or ""
        if result in (linecard.CPA_PERSON, linecard.CPA_MACHINE):
            kind = e.value  # the greeting, ms
        if result in (linecard.CPA_PERSON, linecard.CPA_MACHINE, linecard.CPA_FAX):
            # answered: hang-up supervision as for an answered inbound call
            self.answered[port] = True
            self._disc[port] = DisconnectSupervisor(self.plan, law=self.law, methods=["tone"])
        report = {"what": linecard.REPORT_CPA, "port": port, "result": result,
                  "ms": int(round(e.decide_s * 1000)), "kind": kind}
        if result == linecard.CPA_SIT:
            report["sit"] = sit_kind_name(e.value)
        self.lines.report(report)

    def _cmd_hangup(self, msg, port) -> None:
        was = self.answered[port]
        self.answered[port] = False
        self._disc[port] = None
        self._pulse[port] = None
        self._playing[port] = None
        if self._rec[port] is not None:
            self._rec_send(port, end=True)
        self.engine.port_init(port)  # stops prompt, tone, DTMF, bridge, caller ID, recording
        self.network.unbridged(port)
        if self.kinds[port] == "fxo":
            self.network.released(port, was)
        else:
            self.network.ring_phone(port, False)  # a reset line card stops ringing too

    def _cmd_play(self, msg, port) -> None:
        name = msg.get("prompt")
        codes = self._prompt(name, msg.get("key") or name, msg.get("wav"))
        self.engine.play(port, codes, barge_in=bool(msg.get("barge_in", True)))
        self._playing[port] = name

    def _cmd_tone(self, msg, port) -> None:
        self.engine.tone(port, msg.get("plan") or self.plan, msg.get("name"))

    def _cmd_stop(self, msg, port) -> None:
        self.engine.stop(port)
        self.engine.tone_stop(port)
        self._playing[port] = None

    def _cmd_dtmf(self, msg, port) -> None:
        self.engine.dtmf(port, msg.get("digits", ""))

    def _cmd_pulse(self, msg, port) -> None:
        if self.kinds[port] != "fxo":
            raise ValueError(f"port {port} is not FXO: nothing to dial")
        self._pulse[port] = linecard.Pulser(msg.get("digits", ""), FRAME * 1000 // RATE)

    def _pulse_step(self, p) -> None:
        """A frame of a pulse-dialled number: the loop opens and closes at the exchange, which
        counts the breaks; at the end, call progress."""
        e = self._pulse[p].step()
        if e in ("break", "make"):
            self.network.loop_break(p, e == "break")
        elif e == "done":
            self._pulse[p] = None
            if self.engine.cpa_armed(p):
                self.engine.cpa_dialed(p)  # (from now)
    def _cmd_bridge(self, msg, port) -> None:
        a, b = msg.get("a"), msg.get("b")
        self.engine.bridge(a, b)
        self.network.bridged(a, b)

    def _cmd_unbridge(self, msg, port) -> None:
        self.engine.unbridge(port)
        self.network.unbridged(port)

    def _cmd_hear(self, msg, port) -> None:
        sources = msg.get("from")
        if not isinstance(sources, list):
            raise ValueError(f"hear: from must be a list of ports, not {sources!r}")
        self.engine.hear(port, sources)
        self.network.heard(port, self.engine.hears(port))

    def _cmd_ring(self, msg, port) -> None:
        if self.kinds[port] != "fxs":
            fxs = [p for p, k in enumerate(self.kinds) if k == "fxs"]
            raise ValueError(f"port {port} is not FXS: only a phone can be rung (FXS: {fxs})")
        self.network.ring_phone(port, bool(msg.get("on", True)))

    def _cmd_record(self, msg, port) -> None:
        rec_id = msg.get("id")
        if rec_id is None:
            raise ValueError("record: no id")
        if self._rec[port] is not None:
            self._rec_send(port, end=True)  # a new recording ends the last one
        buf = self.engine.record(port, out=np.zeros(REC_BUFFER, np.uint8))
        self._rec[port] = {"id": rec_id, "buf": buf, "since": 0, "seq": 0}

    def _cmd_record_stop(self, msg, port) -> None:
        if self._rec[port] is not None:  # stopping twice (or after a hangup) is no error
            self._rec_send(port, end=True)

    def _rec_send(self, port: int, end: bool) -> None:
        """Send what the port recorded since the last rec report; restart into the same
        buffer (between two frames: nothing is lost) unless this is the end."""
        rec = self._rec[port]
        data = base64.b64encode(self.engine.record_stop(port).tobytes()).decode("ascii")
        if end:
            self._rec[port] = None
        else:
            self.engine.record(port, out=rec["buf"])
            rec["since"] = 0
        report = {"what": linecard.REPORT_REC, "port": port, "id": rec["id"], "seq": rec["seq"], "data": data, "end": end}
        rec["seq"] += 1
        delay = self.rec_end_delay_ms
        if end and delay != 0:
            if delay is not None:
                self._late.append([self.now + int(delay * 8), report])
            return
        self.lines.report(report)

    def _send_late(self) -> None:
        for late in [x for x in self._late if x[0] <= self.now]:
            self._late.remove(late)
            self.lines.report(late[1])

    def _cmd_cid_arm(self, msg, port) -> None:
        if self.kinds[port] != "fxo":
            raise ValueError(f"port {port} is not FXO: no caller ID")
        # The standard (bell202, v23; dtmf: DTMF caller ID, which every receiver also takes) and
        # what opens the window: the end of the first ring, a reversal, a dual-tone alert.
        standard = msg.get("standard", "bell202")
        self.engine.cid_arm(port, "bell202" if standard == "dtmf" else standard,
                            start=msg.get("start", linecard.CID_RING_END))

    def _cmd_cid_disarm(self, msg, port) -> None:
        self.engine.cid_disarm(port)

    def _prompt(self, name, key, b64) -> np.ndarray:
        """The codes of a prompt: from the WAV bytes the firmware sent (base64), kept under
        `key` (its file and size), or those it sent before under that key."""
        if not isinstance(name, str) or not name or "/" in name or name.startswith("."):
            raise ValueError(f"bad prompt name {name!r}")
        if not isinstance(b64, str):
            if key in self._prompts:
                return self._prompts[key]
            raise ValueError(f"no prompt {name!r} (no prompts/{name}.wav in flash)")
        wav = parse_wav(base64.b64decode(b64), f"prompts/{name}.wav")
        samples = wav.samples if wav.channels == 1 else wav.samples.mean(axis=1).astype(np.int16)
        if wav.sample_rate != RATE:
            samples = resample(samples, wav.sample_rate, RATE)
        codes = self._prompts[key] = self.encode(samples)
        return codes
