"""The far end of an outbound call: the exchange's side when the board seizes an FXO line to
call out (exchange.py hands the line over to a Dialled here).

    seize -> dial tone (the trunk's plan; none if the trunk is set so) -> the board's DTMF,
    decoded from the line's audio with the DSP (DtmfDetector), or its dial pulses, counted
    from the loop's breaks (PULSE_MS each at most; a pause of INTERDIGIT_MS ends a digit; a
    loop open for RELEASE_MS is a hang-up): the first digit stops the dial tone -> the number
    is complete when it is a configured number, or DIGIT_GAP_MS after the last digit -> the
    number's answer:

      busy, congestion   that tone of the plan until the board releases
      no-answer          ringback until the board releases
      sit                the special information tone (then its silence), repeated
      sit:KIND           a North American SIT of that kind (dsp/tones.py SIT_KIND_SEGMENTS:
                         intercept, vacant-code, reorder, no-circuit, ...), then the
                         announcement (espeak-ng), three times
      fax                RINGS of ringback, then the answering fax's CED and CNG
      person             RINGS of ringback, then a short "hello?" in a voice (espeak-ng: the
                         number's of VOICES, several languages and lengths), then
                         quiet; hangs up (loop drop) HANGUP_MS after it if the board has not
      person:KEYS        the same, keying KEYS one at a time (KEYS_AFTER_MS after the greeting,
                         then KEYS_EVERY_MS apart: a survey's answers)
      machine            RINGS of ringback, then a long greeting and a beep, then quiet
      wav:FILE           RINGS of ringback, then that WAV (anything: a greeting, a beep...)

    A number nobody configured is a vacant number: SIT. Numbers and trunks are set through
    the sim's control socket (control.py: ops "number" and "trunk"; `callgate sim number`).

Everything runs on the line cards' thread and clock, like the rest of the exchange.
"""

import os
import shutil
import subprocess
import tempfile
import zlib

import numpy as np

from ..dsp.dtmf import DtmfDetector
from ..dsp.tones import SIT_KIND_SEGMENTS, ToneGenerator, generate_dtmf, generate_tone, sit_kind_tone
from ..dsp.wav import parse_wav, resample
from .speech import AudioQueue, load_speech

ANSWERS = ("busy", "congestion", "no-answer", "sit", "fax", "person", "machine")
DIGIT_GAP_MS = 3000  # no digit for this long: the number is complete
PULSE_MS = (20, 120)  # a loop break this long is a dial pulse (nominal 60 ms)
INTERDIGIT_MS = 300  # the loop closed this long after pulses: the digit is complete
RELEASE_MS = 250  # the loop open this long: the board hung up
RINGS = 2  # rings before a person, a machine, a fax or a WAV answers (default)
RING_CYCLE_MS = {"CN": 5000, "US": 6000, "EU": 5000}  # one ringback on + off
HANGUP_MS = 20000  # a person hangs up this long after the greeting if the board did not
KEYS_AFTER_MS = 6000  # person:KEYS: the first key this long after the greeting (a survey's
KEYS_EVERY_MS = 5000  # intro and its first question), the next ones this far apart
NOISE_RMS = 40  # line noise under speech: about -52 dBm0
# Who answers, in espeak-ng voices of several languages and lengths (language, words a minute,
# text): each number keeps one, picked by the number (voice()).
VOICES = {"person": [("en", 165, "Hello?"), ("de", 170, "Hallo?"), ("fr-fr", 160, "Allô, oui?"),
                     ("es", 170, "¿Diga?"), ("en-gb", 175, "Yes, hello, who is it?"), ("cmn", 160, "喂，你好?")],
          "machine": [("en", 150, "Hello, you have reached the Smith family. We cannot come to the "
                                  "phone right now. Please leave a message after the tone."),
                      ("de", 160, "Hier ist der Anrufbeantworter von Familie Weber. Bitte sprechen Sie nach "
                                  "dem Signalton."),
                      ("fr-fr", 165, "Bonjour, vous êtes bien chez Paul. Laissez un message."),
                      ("es", 170, "Hola, soy Marta. Deja tu mensaje después de la señal, gracias.")],
          "announcement": [("en-us", 160, "We're sorry, your call cannot be completed as dialed. "
                                          "Please check the number and dial again.")]}
MAX_NUMBER = 32
HEAR_LEVEL = 300  # linear peak: louder than this in a frame is "something to hear"


class NumberError(ValueError):
    pass


def check_number(number) -> str:
    if not isinstance(number, str) or not number or len(number) > MAX_NUMBER or any(
            c not in "0123456789*#" for c in number):
        raise NumberError(f"bad number {number!r}: 1 to {MAX_NUMBER} of 0-9 * #")
    return number


def check_answer(answers) -> str:
    if isinstance(answers, str) and answers.startswith("wav:") and len(answers) > 4:
        return answers
    if isinstance(answers, str) and answers.startswith("sit:") and answers[4:] in SIT_KIND_SEGMENTS:
        return answers
    if isinstance(answers, str) and answers.startswith("person:") and 1 <= len(answers) - 7 <= 8 and all(
            c in "0123456789*#" for c in answers[7:]):
        return answers
    if answers not in ANSWERS:
        raise NumberError(f"--answers must be one of {', '.join(ANSWERS)}, person:KEYS (1 to 8 of 0-9 * #), "
                          f"sit:KIND ({', '.join(SIT_KIND_SEGMENTS)}) or wav:FILE, not {answers!r}")
    return answers


def speak(text: str, voice="en", speed=160) -> np.ndarray:
    """text spoken by espeak-ng, as int16 at 8 kHz (the Debian package espeak-ng)."""
    exe = shutil.which("espeak-ng")
    if exe is None:
        raise OSError("espeak-ng is not installed (Debian: apt-get install espeak-ng)")
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "say.wav")
        subprocess.run([exe, "-v", voice, "-s", str(speed), "-w", path, text], check=True,
                       capture_output=True, timeout=60)
        with open(path, "rb") as f:
            wav = parse_wav(f.read(), "espeak-ng")
    x = wav.samples if wav.channels == 1 else wav.samples.mean(axis=1).astype(np.int16)
    if wav.sample_rate != 8000:
        x = resample(x, wav.sample_rate, 8000)
    x = x.astype(np.float64)
    peak = max(1.0, float(np.abs(x).max()))
    return np.clip(x * (8000 / peak), -32768, 32767).astype(np.int16)  # about -12 dBm0 peaks


_VOICE_CACHE = {}


def voice(kind: str, number: str = "") -> np.ndarray:
    """The greeting of an answer: "person", "machine", "announcement" (espeak-ng, the number's
    voice of VOICES[kind], made once) or "wav:PATH" (read once). prepare() makes it off the
    line cards' thread: a subprocess or a file read there would stall every port's audio."""
    if kind.startswith("wav:"):
        key = kind
    else:
        pool = VOICES[kind]
        key = (kind, zlib.crc32(number.encode()) % len(pool))
    if key not in _VOICE_CACHE:
        if kind.startswith("wav:"):
            _VOICE_CACHE[key] = load_speech(kind[4:])
        else:
            lang, speed, text = pool[key[1]]
            _VOICE_CACHE[key] = speak(text, lang, speed)
    return _VOICE_CACHE[key]


def prepare(answers: str, number: str = "") -> None:
    """Make the greeting of a number's answer now (set_number, on the control thread)."""
    if answers in VOICES or answers.startswith("wav:"):
        voice(answers, number)
    elif answers.startswith("person:"):
        voice("person", number)
    elif answers.startswith("sit:"):
        voice("announcement")


def with_noise(x: np.ndarray, rng) -> np.ndarray:
    noisy = x.astype(np.float64) + rng.normal(0, NOISE_RMS, len(x))
    return np.clip(noisy, -32768, 32767).astype(np.int16)


class Dialled:
    """One outbound call on FXO `port`, from the seizure to the release."""

    def __init__(self, exchange, port: int, plan: str, dial_tone: bool, now: int):
        self.ex = exchange
        self.port = port
        self.plan = plan
        self.law = exchange.plane.law
        self.rx = AudioQueue()  # what the far end sends the board
        self.det = DtmfDetector(law=self.law)
        self.digits = ""
        self.last_digit = None
        self.state = "dial-tone" if dial_tone else "dead"
        self.number = None
        self.answer = None
        self.rings = 0
        self.t0 = now
        self.rang_at = None
        self.answered_at = None
        self.spoke_end = None
        self.heard_at = None  # answered: the first sound from the board's side
        self.opened = None  # when the board's hook switch opened the loop (a pulse, or a hang-up)
        self.closed = None  # when it closed it again after a pulse
        self.pulses = 0  # of the digit being pulsed
        self.keys = ""  # a person's keys once answered (person:KEYS)
        self.progress = [{"what": "seized", "at": 0.0, "port": port}]

    def note(self, now, what, **fields):
        self.progress.append({"what": what, "at": round((now - self.t0) / 8000, 3), **fields})

    # -- the line cards' frames ------------------------------------------------------------

    def read(self, n: int):
        if self.state == "dial-tone" and not self.rx.busy:
            self.rx.put(generate_tone(self.plan, "dial", 1.0, law=self.law))
        data = self.rx.read(n)
        if data is None:
            data = np.zeros(n, np.int16)
        return data

    def hear(self, samples: np.ndarray, now: int) -> None:
        """What the board sends: its DTMF digits while the number is dialled; once answered,
        when its side first makes a sound (an agent, a prompt: heard_ms after the greeting)."""
        if self.state == "talking" and self.heard_at is None and int(np.abs(samples).max()) > HEAR_LEVEL:
            self.heard_at = now
            after = None if self.spoke_end is None else round((now - self.spoke_end) / 8)
            self.note(now, "heard", after_greeting_ms=after)
            return
        if self.state not in ("dial-tone", "digits"):
            return
        for e in self.det.feed(samples):
            if self.state == "dial-tone":
                self.state = "digits"
                self.rx.clear()  # the first digit stops the dial tone
            self.digits += e.digit
            self.last_digit = now
            if self.digits in self.ex.numbers:
                self._route(now)
                return

    def loop(self, broken: bool, now: int) -> None:
        """The board's hook switch opened or closed the loop (exchange.loop_break)."""
        if broken:
            self.opened = now
            return
        if self.opened is None:
            return
        ms = (now - self.opened) // 8
        self.opened = None
        if self.state in ("dial-tone", "digits") and PULSE_MS[0] <= ms <= PULSE_MS[1]:
            if self.state == "dial-tone":
                self.state = "digits"
                self.rx.clear()  # the first pulse stops the dial tone
            self.pulses += 1
            self.closed = now

    def _pulsed_digit(self, now: int) -> None:
        self.digits += "0" if self.pulses == 10 else str(self.pulses % 10)
        self.pulses = 0
        self.last_digit = now
        if self.digits in self.ex.numbers:
            self._route(now)

    def tick(self, now: int) -> None:
        if self.opened is not None and (now - self.opened) // 8 >= RELEASE_MS:
            self.opened = None
            self.ex.released(self.port, self.state == "talking")  # the board hung up
            return
        if self.pulses and self.opened is None and (now - self.closed) // 8 >= INTERDIGIT_MS:
            self._pulsed_digit(now)
        if self.state == "digits" and not self.pulses and (now - self.last_digit) // 8 >= DIGIT_GAP_MS:
            self._route(now)
        elif self.state == "ringing":
            ms = (now - self.rang_at) // 8
            if ms >= self.rings * RING_CYCLE_MS.get(self.plan, 6000):
                self._pick_up(now)
        elif self.state == "talking" and self.answer == "person" and self.spoke_end is not None:
            if now >= self.spoke_end + HANGUP_MS * 8:
                self.note(now, "hangup", by="callee")
                self.state = "gone"
                self.ex.plane.lines.loop(self.port, False)

    # -- the exchange's routing -------------------------------------------------------------

    def _route(self, now: int) -> None:
        self.number = self.digits
        conf = self.ex.numbers.get(self.digits)
        self.answer = conf["answers"] if conf else "sit"
        if self.answer.startswith("person:"):  # a person who keys these, one at a time
            self.answer, self.keys = "person", self.answer[7:]
        self.rings = conf.get("rings", RINGS) if conf else 0
        self.note(now, "dialled", number=self.digits, answers=self.answer)
        a = self.answer
        self.rx.clear()
        if a in ("busy", "congestion"):
            self.state = "tone"
            self.rx.put(generate_tone(self.plan, a, 120.0, law=self.law))
        elif a == "sit":
            self.state = "tone"
            self.rx.put(np.zeros(800, np.int16))
            self.rx.put(generate_tone(self.plan, "sit", 60.0, law=self.law))
        elif a.startswith("sit:"):  # a North American SIT of that kind, then the announcement
            self.state = "tone"
            sit = ToneGenerator(sit_kind_tone(a[4:]), law=self.law)
            one = np.concatenate([np.zeros(800, np.int16), sit.read(8 * 1200), voice("announcement")])
            self.rx.put(with_noise(np.tile(one, 3), self.ex.rng))
        elif a == "no-answer":
            self.state = "tone"
            self.rx.put(generate_tone(self.plan, "ringback", 300.0, law=self.law))
        else:
            self.state = "ringing"
            self.rang_at = now
            cycle = RING_CYCLE_MS.get(self.plan, 6000)
            self.rx.put(generate_tone(self.plan, "ringback", self.rings * cycle / 1000, law=self.law))

    def _pick_up(self, now: int) -> None:
        self.state = "talking"
        self.answered_at = now
        self.note(now, "answered", answers=self.answer)
        rng = self.ex.rng
        self.rx.clear()
        a = self.answer
        if a == "fax":
            self.rx.put(np.zeros(1600, np.int16))
            self.rx.put(generate_tone(self.plan, "ced", 3.5, law=self.law))
            self.rx.put(generate_tone(self.plan, "cng", 30.0, law=self.law))
            return
        if a == "machine":
            audio = np.concatenate([voice("machine", self.number), np.zeros(2400, np.int16), _beep()])
        else:
            audio = voice(a, self.number)  # person, or wav:FILE
        lead = np.zeros(2400, np.int16)  # 300 ms from the pick-up to the first word
        audio = with_noise(np.concatenate([lead, audio]), rng)
        self.spoke_end = now + len(audio)
        self.rx.put(audio)
        for i, key in enumerate(self.keys):  # KEYS_AFTER_MS after the greeting, then KEYS_EVERY_MS apart
            self.rx.put(with_noise(np.zeros(8 * (KEYS_AFTER_MS if i == 0 else KEYS_EVERY_MS), np.int16), rng))
            self.rx.put(generate_dtmf(key, law=self.law))
        self.rx.put(with_noise(np.zeros(8000 * 30, np.int16), rng))

    def result(self) -> dict:
        return {"port": self.port, "number": self.number, "digits": self.digits, "answers": self.answer,
                "state": self.state, "progress": self.progress}


def _beep() -> np.ndarray:
    t = np.arange(int(0.5 * 8000)) / 8000
    return (6000 * np.sin(2 * np.pi * 1000 * t)).astype(np.int16)
