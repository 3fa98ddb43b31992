"""Caller ID over audio: the C transmitter into the C receiver, through real line impairments.

Measured figures (mu-law dBm0; a 40-byte MDMF message, 300 seizure + 180 mark bits; white
noise over the whole 0-4 kHz band, SNR = FSK power / noise power; these tests pin them):

- 100 % decode at 14 dB SNR for Bell 202 and for V.23 (300 trials each here; 6000 each when
  measured). Below it the first losses appear, about 1 in 6000 at 13 dB and 1 in 1500 at
  11-12 dB (Bell 202; V.23 is similar from 13 dB down); at 4 dB most are lost. Every loss is
  reported as an error (framing, checksum), never as a wrong message.
- Levels from -3 dBm0 down to -50 dBm0 (the default carrier threshold is -52 dBm0).
- Tone frequencies off by +-3 % (bit rate nominal), bit rate off by +-1.5 % (tones nominal), and
  both off by +-1 % together; twist (space minus mark) +-10 dB.
- DTMF caller ID: the DTMF receiver's own figures (tests/dsp/test_dtmf*.py).
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from callgate.dsp import callerid as cid
from callgate.dsp.callerid import CallerId, CallerIdReceiver

RATE = 8000
STANDARDS = ["bell202", "v23"]


def silence(ms):
    return np.zeros(int(ms * RATE / 1000), np.int16)


def add_noise(x, snr_db, rng, ref=None):
    x = x.astype(float)
    power = np.mean(x[x != 0] ** 2) if ref is None else ref
    noisy = x + rng.normal(0, np.sqrt(power / 10 ** (snr_db / 10)), len(x))
    return np.clip(np.round(noisy), -32768, 32767).astype(np.int16)


def message_for(kind, absence, standard):
    date = (3, 14, 15, 9)
    if kind == "dtmf":
        return (CallerId("dtmf", number="13800138000") if absence is None
                else CallerId("dtmf", number_absence=absence))
    if absence is None:
        return CallerId(kind, number="5551234567", date=date,
                        name="ALICE" if kind == "mdmf" else "")
    if kind == "sdmf":
        return CallerId(kind, number_absence=absence, date=date)
    return CallerId(kind, number_absence=absence, name_absence=absence, date=date)


def scenario(message, standard, start):
    """The audio and line events of one incoming call with caller ID, as a line card sees it."""
    if start == "ring-end":  # first ring 1 s (no audio), data 600 ms after it, second ring
        data = cid.generate(message, standard)
        audio = np.concatenate([silence(1000), silence(600), data, silence(800)])
        events = [(0, "ring-start"), (8000, "ring-end"), (len(audio), "ring-start")]
    elif start == "reversal":  # ETSI: line reversal, data, then the first ring
        data = cid.generate(message, standard)
        audio = np.concatenate([silence(100), silence(300), data, silence(500)])
        events = [(800, "reversal"), (len(audio), "ring-start")]
    else:  # dual-tone alert then data (call waiting: no seizure, 80 marks)
        data = cid.generate(message, standard, alert_ms=100, alert_gap_ms=60, seizure_bits=0,
                            mark_bits=80)
        audio = np.concatenate([silence(200), data, silence(300)])
        events = []
    return audio, events


def received(audio, standard, start, events):
    return cid.decode_audio(audio, standard, line_events=events, start=(start,))


CASES = [(std, kind, start, absence)
         for std in STANDARDS for kind in ("sdmf", "mdmf", "dtmf")
         for start in ("ring-end", "reversal", "alert")
         for absence in (None, "private", "unavailable")
         if not (kind == "dtmf" and std == "v23")]


@pytest.mark.parametrize("standard,kind,start,absence", CASES)
def test_round_trip_every_format_start_condition_and_absence(standard, kind, start, absence):
    message = message_for(kind, absence, standard)
    audio, events = scenario(message, standard, start)
    audio = add_noise(audio, 30, np.random.default_rng(len(CASES)), ref=10 ** (-1.35) * 2.0e8)
    got = [e for e in received(audio, standard, start, events) if e.kind != "alert"]
    assert [e.kind for e in got] == ["message"], got
    assert got[0].message == message
    if start == "alert":
        alerts = [e for e in received(audio, standard, start, events) if e.kind == "alert"]
        assert len(alerts) == 1 and 90 <= (alerts[0].end - alerts[0].start) / 8 <= 120


@pytest.mark.parametrize("start", ["ring-end", "reversal", "alert"])
def test_no_start_condition_no_caller_id(start):
    """Data outside the window is not listened to: a start condition is what opens it."""
    message = message_for("mdmf", None, "bell202")
    audio, events = scenario(message, "bell202", start)
    if start == "alert":
        audio = np.concatenate([silence(200), cid.generate(message, "bell202")])
    got = received(audio, "bell202", start, [e for e in events if e[1] == "ring-start"])
    assert [e for e in got if e.kind == "message"] == []


def test_window_without_data_reports_no_data_or_noise():
    rng = np.random.default_rng(5)
    quiet = silence(3000)
    got = received(quiet, "bell202", "ring-end", [(0, "ring-end"), (len(quiet), "ring-start")])
    assert [(e.kind, e.message.status) for e in got] == [("error", "no-data")]
    noisy = add_noise(quiet, 0, rng, ref=1e6)  # about -27 dBm0 of white noise
    got = received(noisy, "bell202", "ring-end", [(0, "ring-end"), (len(noisy), "ring-start")])
    assert [(e.kind, e.message.status) for e in got] == [("error", "noise")]
    # The window also closes by itself after window_ms.
    got = cid.decode_audio(silence(2000), line_events=[(0, "reversal")], start="reversal",
                           window_ms=1000)
    assert [(e.kind, e.message.status, e.start) for e in got] == [("error", "no-data", 8000)]


@pytest.mark.parametrize("standard", STANDARDS)
def test_bad_checksum_is_reported_not_passed(standard):
    raw = bytearray(cid.encode(CallerId("mdmf", number="5551234")))
    raw[-1] ^= 0x01
    got = cid.decode_audio(cid.generate(bytes(raw), standard), standard)
    assert [(e.kind, e.message.status) for e in got] == [("error", "bad-checksum")]
    assert got[0].raw == bytes(raw) and got[0].message.number == ""


@pytest.mark.parametrize("standard", STANDARDS)
def test_truncated_message_is_reported(standard):
    audio = cid.generate(CallerId("mdmf", number="5551234", name="BOB"), standard)
    for cut in (3200 + 60, 3200 + 200, len(audio) - 200):
        got = cid.decode_audio(np.concatenate([audio[:cut], silence(200)]), standard)
        assert [(e.kind, e.message.status) for e in got] == [("error", "truncated")], cut
    # A ring in the middle of the data closes the window: truncated too.
    got = cid.decode_audio(audio, standard, start="ring-end",
                           line_events=[(0, "ring-end"), (3200 + 300, "ring-start")])
    assert [(e.kind, e.message.status) for e in got] == [("error", "truncated")]


def test_unknown_message_type_is_not_a_message():
    body = bytes([0x42, 2, 0x31, 0x32])
    raw = body + bytes([(-sum(body)) % 256])
    assert [e for e in cid.decode_audio(cid.generate(raw)) if e.kind == "message"] == []


@pytest.mark.parametrize("standard", STANDARDS)
@pytest.mark.parametrize("level", [-3.0, -13.5, -30.0, -40.0, -45.0, -48.0, -50.0])
def test_levels(standard, level):
    message = CallerId("mdmf", number="5551234", name="ALICE", date=(1, 1, 0, 0))
    got = cid.decode_audio(cid.generate(message, standard, level_dbm0=level), standard)
    assert [e.message for e in got] == [message]
    assert got[0].level_dbm0 == pytest.approx(level, abs=1.0)


def test_below_the_carrier_threshold_nothing_is_heard():
    message = CallerId("mdmf", number="5551234")
    assert cid.decode_audio(cid.generate(message, level_dbm0=-58.0)) == []


OFFSETS = ([(f, 0.0) for f in (-3.0, -1.5, -1.0, 1.0, 1.5, 3.0)]
           + [(0.0, b) for b in (-1.5, -1.0, 1.0, 1.5)]
           + [(f, b) for f in (-1.0, 1.0) for b in (-1.0, 1.0)])


@pytest.mark.parametrize("standard", STANDARDS)
@pytest.mark.parametrize("freq_pct,baud_pct", OFFSETS)
def test_frequency_and_bit_rate_offsets(standard, freq_pct, baud_pct):
    message = CallerId("mdmf", number="5551234567", name="OFFSET TEST", date=(7, 4, 12, 0))
    audio = cid.generate(message, standard, freq_offset_pct=freq_pct, baud_offset_pct=baud_pct)
    assert [e.message for e in cid.decode_audio(audio, standard)] == [message]


@pytest.mark.parametrize("standard", STANDARDS)
@pytest.mark.parametrize("twist_db", [-10.0, -6.0, 6.0, 10.0])
def test_twist(standard, twist_db):
    message = CallerId("mdmf", number="5551234567", name="TWIST", date=(7, 4, 12, 0))
    audio = cid.generate(message, standard, twist_db=twist_db, level_dbm0=-20.0)
    assert [e.message for e in cid.decode_audio(audio, standard)] == [message]


NOISE_MESSAGE = CallerId("mdmf", number="5551234567", name="ALICE SMITH", date=(12, 25, 9, 30))


def noise_trials(standard, snr_db, trials, seed):
    rng = np.random.default_rng(seed)
    data = cid.generate(NOISE_MESSAGE, standard)
    power = np.mean(data.astype(float)[3200:] ** 2)
    padded = np.concatenate([silence(100), data, silence(100)])
    good = wrong = 0
    for _ in range(trials):
        got = cid.decode_audio(add_noise(padded, snr_db, rng, ref=power), standard)
        messages = [e.message for e in got if e.kind == "message"]
        good += messages == [NOISE_MESSAGE]
        wrong += sum(m != NOISE_MESSAGE for m in messages)
    return good, wrong


@pytest.mark.parametrize("standard,snr_db", [("bell202", 14.0), ("v23", 14.0)])
def test_decodes_every_time_at_the_stated_snr(standard, snr_db):
    good, wrong = noise_trials(standard, snr_db, 300, seed=2024)
    assert (good, wrong) == (300, 0)


@pytest.mark.parametrize("standard", STANDARDS)
def test_low_snr_loses_messages_but_never_passes_a_wrong_one(standard):
    good, wrong = noise_trials(standard, 4.0, 200, seed=7)
    assert wrong == 0 and good < 200


def test_two_messages_in_one_stream_and_positions():
    first = CallerId("mdmf", number="111", date=(1, 1, 1, 1))
    second = CallerId("mdmf-mwi", mwi=True)
    a, b = cid.generate(first), cid.generate(second, "bell202", seizure_bits=0)
    audio = np.concatenate([silence(500), a, silence(700), b])
    got = cid.decode_audio(audio)
    assert [e.message for e in got] == [first, second]
    # The message starts with its type byte's start bit, after 300 seizure and 180 mark bits.
    assert abs(got[0].start - (4000 + 3200)) <= 4
    assert abs(got[1].start - (4000 + len(a) + 5600 + 1200)) <= 4


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(1, 3000), min_size=1, max_size=12))
def test_block_boundaries_do_not_matter(cuts):
    message = CallerId("mdmf", number="5551234", name="BLOCKS")
    audio = np.concatenate([cid.generate(message, alert_ms=100), cid.generate("A123C"),
                            silence(300)])
    whole = cid.decode_audio(audio)
    rx = CallerIdReceiver()
    pieces, pos = [], 0
    for c in cuts:
        pieces += rx.feed(audio[pos:pos + c])
        pos += c
    pieces += rx.feed(audio[pos:]) + rx.flush()
    assert pieces == whole
    assert [e.kind for e in whole] == ["alert", "message", "message"]


@settings(max_examples=60, deadline=None)
@given(arrays(np.int16, st.integers(0, 6000)), st.sampled_from(STANDARDS))
def test_garbage_audio_never_crashes_or_passes_a_message(samples, standard):
    for e in cid.decode_audio(samples, standard):
        assert e.kind in ("alert", "error")


def test_speech_like_noise_in_an_open_window_is_reported_as_noise():
    rng = np.random.default_rng(3)
    t = np.arange(16000) / 8000
    babble = 3000 * np.sin(2 * np.pi * (1200 + 800 * np.sin(2 * np.pi * 3 * t)) * t)
    audio = add_noise(babble.astype(np.int16), 10, rng)
    got = received(audio, "bell202", "ring-end", [(0, "ring-end"), (len(audio), "ring-start")])
    assert [e.message.status for e in got if e.kind != "alert"] in (["noise"], ["framing-error"],
                                                                    ["bad-checksum"])


def test_bad_parameters_are_clear_errors():
    with pytest.raises(ValueError, match="standard"):
        CallerIdReceiver("bell103")
    with pytest.raises(ValueError, match="start condition"):
        CallerIdReceiver(start=("dial-tone",))
    with pytest.raises(ValueError, match="out of"):
        CallerIdReceiver(min_level_dbm0=-90.0)
    with pytest.raises(ValueError, match="line event"):
        CallerIdReceiver().line("hook-flash")
    with pytest.raises(TypeError, match="int16"):
        CallerIdReceiver().feed(np.zeros(10, np.float32))
    with pytest.raises(ValueError, match="out of range"):
        cid.generate(CallerId("mdmf", number="1"), level_dbm0=10.0)
    with pytest.raises(ValueError):
        cid.generate("A12X")


def test_state_sizes():
    from callgate._dsp import ffi
    print("cg_cid_rx_t", ffi.sizeof("cg_cid_rx_t"), "cg_cid_tx_t", ffi.sizeof("cg_cid_tx_t"))
    assert ffi.sizeof("cg_cid_rx_t") <= 1536 and ffi.sizeof("cg_cid_tx_t") <= 512
