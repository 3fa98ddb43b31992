"""Call-progress analysis live on a media-engine port (cg_media_cpa_arm): an outbound call's
line, frame by frame, as the board hears it after seizing it.

The line's signals are built in numpy (signals.py), not by the C tone generator.
"""

import numpy as np
import pytest

from callgate import dsp
from callgate._dsp import ffi, lib
from callgate.dsp._buffers import DspError
from callgate.dsp.media import MediaEngine
from signals import RATE, silence, to_int16, tone

E_NULL, E_RANGE = -1, -2  # CG_E_NULL, CG_E_RANGE (callgate/common.h)
US_DIAL = [(350, -13), (440, -13)]
US_BUSY = [(480, -20), (620, -20)]


def ulaw(x):
    return dsp.ulaw_encode(to_int16(x))


def cadence(freqs, on_ms, off_ms, seconds):
    parts = []
    while sum(len(p) for p in parts) < seconds * RATE:
        parts += [tone(freqs, on_ms), silence(off_ms)]
    return np.concatenate(parts)[: int(seconds * RATE)]


def speech(ms, rng):
    """Speech-like: band-limited noise around -20 dBm0 in syllables (4 a second, with dips
    between them, as speech has: steady noise is the line's, not a voice)."""
    x = rng.normal(0, 1, int(ms * 8))
    x = np.convolve(x, np.ones(3) / 3, mode="same")
    t = np.arange(len(x)) / RATE
    syllables = np.sin(np.pi * 4 * t) ** 2
    return x * syllables * 1600 / (x * syllables).std()


class Line:
    """One engine port fed a stream, frame by frame; remembers every event and when."""

    def __init__(self, eng, port=0, ports=1):
        self.eng, self.port = eng, port
        self.events = []

    def feed(self, samples, on_event=None):
        codes = ulaw(samples)
        for at in range(0, len(codes), 160):
            rx = [None] * self.eng.ports
            rx[self.port] = codes[at:at + 160]
            _, ev = self.eng.process(rx, n=len(rx[self.port]))
            for e in ev:
                self.events.append(e)
                if on_event is not None:
                    on_event(e)

    def cpa(self):
        return [e for e in self.events if e.kind.startswith("cpa-")]


def test_dial_tone_then_dialling_then_busy():
    eng = MediaEngine(2, "ulaw")
    for _ in range(25):  # the engine has run half a second before the port seizes the line
        eng.process(None, n=160)
    line = Line(eng, port=1)
    eng.cpa_arm(1, "US", no_dial_tone_ms=3000)
    assert eng.cpa_armed(1) and not eng.cpa_armed(0)
    dialled = []

    def dial(e):
        if e.kind == "cpa-tone":
            eng.dtmf(1, "5551234")
        if e.kind == "dtmf-sent":
            dialled.append(e.end)
            eng.cpa_dialed(1, e.end)

    # dial tone until the first digit (the exchange stops it), quiet while dialling, then busy
    line.feed(tone(US_DIAL, 1500), dial)
    line.feed(silence(1000), dial)
    assert dialled, [e.kind for e in line.events]
    line.feed(cadence(US_BUSY, 500, 500, 4.0), dial)
    cpa = line.cpa()
    assert [e.kind for e in cpa] == ["cpa-tone", "cpa-busy"]
    heard, busy = cpa
    assert heard.tone == "dial" and heard.port == 1
    # dial tone is recognised after at least 500 ms of it, on the engine clock (armed at 4000)
    assert 4000 + 500 * 8 <= heard.end <= 4000 + 1500 * 8
    assert busy.tone == "busy" and busy.start == dialled[0]
    busy_from = 4000 + (1500 + 1000) * 8  # the engine sample where the busy tone began
    assert 1.0 * RATE <= busy.end - busy_from <= 2.0 * RATE  # on, off, on of 500 ms each
    assert busy.decide_s == pytest.approx((busy.end - busy.start) / RATE, abs=0.002)
    assert not eng.cpa_armed(1)  # the result disarmed it: nothing more comes
    line.feed(cadence(US_BUSY, 500, 500, 2.0))
    assert len(line.cpa()) == 2


def test_no_dial_tone():
    eng = MediaEngine(1, "ulaw")
    line = Line(eng)
    eng.cpa_arm(0, "EU", no_dial_tone_ms=2000)
    line.feed(silence(3000))
    (result,) = line.cpa()
    assert result.kind == "cpa-no-dial-tone"
    assert result.end == pytest.approx(2000 * 8, abs=160) and result.decide_s == pytest.approx(2.0, abs=0.02)


def test_a_silent_port_is_no_dial_tone_too():
    eng = MediaEngine(1, "alaw")  # rx None: the line sends nothing
    eng.cpa_arm(0, "CN", no_dial_tone_ms=1000)
    kinds = []
    for _ in range(60):
        kinds += [e.kind for e in eng.process([None], n=160)[1]]
    assert kinds == ["cpa-no-dial-tone"]


def test_ringback_then_a_person(rng):
    eng = MediaEngine(1, "ulaw")
    line = Line(eng)
    eng.cpa_arm(0, "CN")  # dialled already: progress from the arm
    ring = cadence([(450, -15)], 1000, 4000, 6.0)
    line.feed(np.concatenate([ring, speech(900, rng), silence(2000)]))
    (result,) = line.cpa()
    assert result.kind == "cpa-human" and 600 <= result.value <= 1200
    assert result.decide_s == pytest.approx(6.0 + 0.9 + 0.8, abs=0.2)


def test_a_long_greeting_is_a_machine(rng):
    eng = MediaEngine(1, "ulaw")
    line = Line(eng)
    eng.cpa_arm(0, "US")
    line.feed(np.concatenate([silence(500), speech(4000, rng), silence(500)]))
    (result,) = line.cpa()
    assert result.kind == "cpa-machine" and result.value >= 2500


def test_no_answer_after_the_configured_time():
    eng = MediaEngine(1, "ulaw")
    line = Line(eng)
    eng.cpa_arm(0, "US", no_answer_ms=5000)
    line.feed(cadence([(440, -19), (480, -19)], 2000, 4000, 9.0))
    (result,) = line.cpa()
    assert result.kind == "cpa-no-answer" and 5.0 <= result.decide_s <= 6.5


@pytest.fixture
def rng():
    return np.random.default_rng(20261203)


def test_reset_and_disarm_stop_the_analysis():
    eng = MediaEngine(1, "ulaw")
    eng.cpa_arm(0, "US", no_dial_tone_ms=1000)
    eng.cpa_disarm(0)
    assert not eng.cpa_armed(0)
    eng.cpa_arm(0, "US", no_dial_tone_ms=1000)
    eng.port_init(0)  # a hang-up resets the port
    assert not eng.cpa_armed(0)
    kinds = [e.kind for _ in range(100) for e in eng.process([None], n=160)[1]]
    assert kinds == []
    with pytest.raises(DspError):
        eng.cpa_dialed(0)  # nothing armed


def test_c_arguments_checked():
    m = ffi.new("cg_media_t *")
    assert lib.cg_media_init(m, 2, lib.CG_LAW_ULAW) == 0
    cpa = ffi.new("cg_cpa_t *")
    assert lib.cg_media_cpa_arm(m, 2, cpa, ffi.NULL) == E_RANGE
    assert lib.cg_media_cpa_arm(ffi.NULL, 0, cpa, ffi.NULL) == E_NULL
    assert lib.cg_media_cpa_arm(m, 0, ffi.NULL, ffi.NULL) == E_NULL
    assert lib.cg_media_cpa_dialed(m, 0, 0) == E_RANGE  # not armed
    assert lib.cg_media_cpa_arm(m, 0, cpa, ffi.NULL) == 0  # defaults: dialled already
    assert lib.cg_media_cpa_armed(m, 0) == 1 and lib.cg_media_cpa_armed(m, 5) == 0
    assert lib.cg_media_cpa_dialed(m, 0, 1) == E_RANGE  # not yet fed
    bad = ffi.new("cg_cpa_cfg_t *")
    lib.cg_cpa_cfg_default(bad)
    bad.no_answer_ms = 10
    assert lib.cg_media_cpa_arm(m, 1, cpa, bad) == E_RANGE
    assert lib.cg_media_cpa_armed(m, 1) == 0


def test_events_fit_the_bound_on_every_port():
    eng = MediaEngine(8, "ulaw")
    for p in range(8):
        eng.cpa_arm(p, "US", no_dial_tone_ms=1000)
    busy = ulaw(cadence(US_BUSY, 500, 500, 2.0))
    counts = []
    for at in range(0, 16000, 320):
        _, ev = eng.process([busy[at:at + 320]] * 8, n=320)
        counts.append(len(ev))
    assert max(counts) <= lib.CG_MEDIA_MAX_EVENTS
    assert sum(counts) == 8  # one result per port: no dial tone (busy is not dial tone)


def test_steady_line_noise_is_not_an_answer(rng):
    """White noise 10 dB under the busy tone, from the start: the noise floor (minimum
    statistics, cpa_tone.c) keeps it from being taken for a voice that answered."""
    eng = MediaEngine(1, "ulaw")
    line = Line(eng)
    eng.cpa_arm(0, "US")
    busy = np.concatenate([silence(1000), cadence(US_BUSY, 500, 500, 4.0)])
    power = np.mean(tone(US_BUSY, 500) ** 2)
    line.feed(busy + rng.normal(0, np.sqrt(power / 10), len(busy)))
    (result,) = line.cpa()
    assert result.kind == "cpa-busy" and result.decide_s < 3.0
    # and a voice over that noise is still heard
    eng.cpa_arm(0, "US")
    n = rng.normal(0, np.sqrt(power / 10), 8 * RATE)
    voice = np.concatenate([silence(2000), speech(4000, rng), silence(2000)])
    line.events.clear()
    line.feed(voice + n)
    (result,) = line.cpa()
    assert result.kind == "cpa-machine"
