"""Tone plans, the cadence generator and the DTMF generator, measured from their output.

Frequencies are FFT peaks, levels least-squares fits of sines at the nominal frequencies
(in dBm0 of the law the generator was asked for), on/off times the half-amplitude crossings
of the signal's envelope. Nothing here reads the generator's state.
"""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize_scalar
from scipy.signal import hilbert

from callgate import dsp
from callgate._dsp import ffi, lib
from callgate.dsp import tones

RATE = 8000
PEAK_0DBM0 = {"ulaw": 8159 * 4 * 10 ** (-3.17 / 20), "alaw": 4096 * 8 * 10 ** (-3.14 / 20)}
ROWS = (697, 770, 852, 941)
COLS = (1209, 1336, 1477, 1633)
KEYS = ("123A", "456B", "789C", "*0#D")
# Error codes by their C text (the enum's values reach Python only through cg_error_name).
_ERRORS = {ffi.string(lib.cg_error_name(v)).decode(): v for v in range(-16, 1)}
CG_OK = _ERRORS["ok"]
CG_E_NULL = _ERRORS["a required pointer is NULL"]
CG_E_RANGE = _ERRORS["a parameter is out of its documented range"]
CG_E_SPACE = _ERRORS["the output buffer is too small"]
CG_E_UNKNOWN = _ERRORS["no such item (plan, tone, digit)"]
ALL_TONES = [(p, t) for p, plan in dsp.tone_plans().items() for t in plan.tones]


def digit_hz(d):
    for r, row in enumerate(KEYS):
        if d.upper() in row:
            return ROWS[r], COLS[row.index(d.upper())]
    raise KeyError(d)


# --- Measurements ----------------------------------------------------------------------------

def levels_dbm0(x, freqs, law="ulaw"):
    """Level in dBm0 of each sine at the given frequencies, by a least-squares fit, and the
    residual's power relative to the fitted tones in dB."""
    t = np.arange(len(x)) / RATE
    basis = np.column_stack([fn(2 * np.pi * f * t) for f in freqs for fn in (np.cos, np.sin)])
    coef, *_ = np.linalg.lstsq(basis, x.astype(float), rcond=None)
    amps = np.hypot(coef[0::2], coef[1::2])
    residual = x - basis @ coef
    fitted = np.sum((basis @ coef) ** 2)
    return ([20 * math.log10(a / PEAK_0DBM0[law]) for a in amps],
            10 * math.log10(max(np.sum(residual ** 2), 1e-9) / fitted))


def peak_hz(x):
    """The strongest frequency, with a parabola through the Hann-windowed FFT's peak."""
    n = 1 << int(math.ceil(math.log2(len(x) * 4)))
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x)), n))
    k = int(np.argmax(spectrum[1:-1])) + 1
    a, b, c = np.log(spectrum[k - 1:k + 2] + 1e-12)
    return (k + 0.5 * (a - c) / (a - 2 * b + c)) * RATE / n


def analytic_envelope(x):
    """|analytic signal|: the envelope of a signal with one frequency at a time. Zero padding
    keeps the ends from wrapping round."""
    pad = 4096
    return np.abs(hilbert(np.concatenate([np.zeros(pad), x.astype(float), np.zeros(pad)])))[
        pad:-pad]


def fitted_carrier(x, freqs, fit, span=slice(None)):
    """The sines at freqs that best fit x[fit], evaluated over x[span] (zero elsewhere)."""
    t = np.arange(len(x))[span] / RATE
    basis = np.column_stack([fn(2 * np.pi * f * t) for f in freqs for fn in (np.cos, np.sin)])
    fit_t = np.arange(len(x))[fit] / RATE
    fit_basis = np.column_stack([fn(2 * np.pi * f * fit_t) for f in freqs
                                 for fn in (np.cos, np.sin)])
    coef, *_ = np.linalg.lstsq(fit_basis, x[fit].astype(float), rcond=None)
    carrier = np.zeros(len(x))
    carrier[span] = basis @ coef
    return carrier


def gain_envelope(x, carrier, half=4):
    """How much of the carrier x holds around each sample (a least-squares gain over 2 * half
    + 1 samples): 1 where the tone is at full level, 0 in silence."""
    w = np.ones(2 * half + 1)
    num = np.convolve(x.astype(float) * carrier, w, "same")
    den = np.convolve(carrier * carrier, w, "same")
    return num / np.maximum(den, 1e-9)


def ratio_envelope(x, carrier):
    """The envelope sample by sample: x / carrier, where the carrier (the tone's own sines,
    fitted where it is steady) is at least a sixth of its peak; NaN elsewhere. Exact up to
    rounding, with no filter to smear one tone's edge into another's."""
    env = np.full(len(x), np.nan)
    ok = np.abs(carrier) > np.max(np.abs(carrier)) / 6
    env[ok] = x[ok] / carrier[ok]
    return env


def crossings(env, level):
    """Sub-sample times where env crosses level, and whether it rises there (NaN samples are
    skipped and the crossing interpolated between the valid neighbours)."""
    where = np.flatnonzero(~np.isnan(env))
    e = env[where]
    above = e >= level
    i = np.flatnonzero(above[1:] != above[:-1])
    times = where[i] + (level - e[i]) / (e[i + 1] - e[i]) * (where[i + 1] - where[i])
    return [(float(t), bool(above[k + 1])) for t, k in zip(times, i)]


def runs(env, level):
    """[(is_on, duration_ms)] between crossings of level. Runs that touch either end of the
    signal are left out: they are cut, not timed."""
    edges = [(t, r) for t, r in crossings(env, level) if 20 < t < len(env) - 20]
    return [(rising, (t1 - t0) * 1000 / RATE) for (t0, rising), (t1, _) in zip(edges, edges[1:])]


def tone_runs(x, tone):
    """On/off runs of a tone measured at half amplitude."""
    on = [s for s in tone.segments if not s.silent]
    if len({s.frequencies_hz for s in on}) == 1:
        first = next(i for i, s in enumerate(tone.segments) if not s.silent)
        start = sum(s.duration_ms for s in tone.segments[:first]) * RATE // 1000
        n = on[0].duration_ms * RATE // 1000
        # One set of oscillators running all along: one carrier fits every burst.
        carrier = fitted_carrier(x, on[0].frequencies_hz, slice(start + 16, start + n - 16))
        return runs(ratio_envelope(x, carrier), 0.5)
    env = analytic_envelope(x)  # one frequency at a time (sit)
    return runs(env, 0.5 * np.percentile(env, 99))


def dtmf_runs(x, digits, on_ms, off_ms):
    """On/off runs of a DTMF signal: each digit's carrier is fitted to its own tone."""
    on, period = on_ms * RATE // 1000, (on_ms + off_ms) * RATE // 1000
    carrier = np.zeros(len(x))
    for k, d in enumerate(digits):
        start = k * period
        gap = (period - on) // 2
        span = slice(max(0, start - gap), min(len(x), start + on + gap))
        carrier += fitted_carrier(x, digit_hz(d), slice(start + 16, start + on - 16), span)
    return runs(ratio_envelope(x, carrier), 0.5)


def reference(segments, repeat, n, peaks):
    """The generator as header tone.h specifies it, in float64 numpy: per frequency slot, a
    sine whose phase runs on through every change, and an envelope that moves one step of a
    16-step raised cosine per sample towards the state the cadence has 7 samples later (so
    it passes half amplitude on each boundary), starting half-way up if the tone starts on."""
    seg_of = []
    while len(seg_of) < n + 8:
        for s in segments:
            seg_of.extend([s] * (s.duration_ms * RATE // 1000))
        if not repeat:
            break
    out = np.zeros(n)
    for slot in range(2):
        freq = [s.freq1_hz if slot == 0 else s.freq2_hz for s in seg_of]
        freq += [0] * (n + 8 - len(freq))
        env = 7 if freq[0] else 0
        rate, phase = freq[0], 0.0
        for i in range(n):
            ahead = freq[i + 7]
            rate = freq[i] or ahead or rate
            env = min(16, env + 1) if ahead else max(0, env - 1)
            out[i] += peaks[slot] * math.sin(math.pi / 2 * env / 16) ** 2 * math.sin(phase)
            phase += 2 * math.pi * rate / RATE
    return out[:min(n, len(seg_of))] if not repeat else out


def expected_runs(tone, cycles):
    """The nominal (is_on, ms) runs of a tone, adjacent on segments merged."""
    runs = []
    for _ in range(cycles):
        for s in tone.segments:
            on = not s.silent
            if runs and runs[-1][0] == on:
                runs[-1] = (on, runs[-1][1] + s.duration_ms)
            else:
                runs.append((on, s.duration_ms))
    return runs


# --- Tone plans --------------------------------------------------------------------------------

def test_plans_hold_the_e180_data():
    plans = dsp.tone_plans()
    assert list(plans) == ["CN", "US", "EU"]

    def cadence(plan, name):
        t = plans[plan].tones[name]
        return t.frequencies_hz, [s.duration_ms for s in t.segments], t.repeat

    assert cadence("CN", "dial") == ((450,), [1000], True)
    assert cadence("CN", "busy") == ((450,), [350, 350], True)
    assert cadence("CN", "ringback") == ((450,), [1000, 4000], True)
    assert cadence("CN", "congestion") == ((450,), [700, 700], True)
    assert cadence("CN", "call-waiting") == ((450,), [400, 4000], True)
    assert cadence("US", "dial") == ((350, 440), [1000], True)
    assert cadence("US", "busy") == ((480, 620), [500, 500], True)
    assert cadence("US", "ringback") == ((440, 480), [2000, 4000], True)
    assert cadence("US", "congestion") == ((480, 620), [250, 250], True)
    assert cadence("EU", "dial") == ((425,), [1000], True)
    assert cadence("EU", "busy") == ((425,), [500, 500], True)
    assert cadence("EU", "ringback") == ((425,), [1000, 4000], True)
    assert cadence("EU", "congestion") == ((425,), [250, 250], True)
    for plan in plans.values():
        sit = plan.tones["sit"]
        assert [s.frequencies_hz for s in sit.segments] == [(950,), (1400,), (1800,), ()]
        assert all(256 <= s.duration_ms <= 400 for s in sit.segments[:3])
        assert cadence(plan.name, "cng") == ((1100,), [500, 3000], True)
        ced = plan.tones["ced"]
        assert ced.frequencies_hz == (2100,) and not ced.repeat
        assert 2600 <= ced.cycle_ms <= 4000
        assert plan.tones["sit"] == plans["CN"].tones["sit"]  # one descriptor, shared
    # The levels the header documents.
    levels = {(p, t): plans[p].tones[t].level_dbm0 for p, t in ALL_TONES}
    assert levels[("US", "dial")] == -13 and levels[("US", "ringback")] == -19
    assert levels[("US", "busy")] == levels[("US", "congestion")] == -24
    assert levels[("CN", "call-waiting")] == -15 and levels[("CN", "sit")] == -24
    assert all(levels[(p, t)] == -10 for p in ("CN", "EU")
               for t in ("dial", "busy", "ringback", "congestion", "cng", "ced"))


def test_lookups_ignore_case_and_know_aliases():
    assert dsp.find_plan("itu").name == "EU" and dsp.find_plan("cn").name == "CN"
    assert dsp.find_tone("US", "REORDER") is dsp.tone_plans()["US"].tones["congestion"]
    assert dsp.find_tone("Cn", "Call-Waiting").name == "call-waiting"
    with pytest.raises(ValueError, match=r"unknown tone plan 'XX' \(valid: CN, US, EU"):
        dsp.find_tone("XX", "busy")
    with pytest.raises(ValueError, match=r"plan US has no tone 'call-waiting' \(valid: dial, "):
        dsp.find_tone("US", "call-waiting")
    with pytest.raises(ValueError, match="plan must be a string"):
        dsp.find_tone(None, "busy")
    with pytest.raises(ValueError, match="unknown tone plan"):
        dsp.find_tone("CN\0x", "busy")


def test_c_lookups_return_codes_and_indices():
    tone = ffi.new("cg_tone_desc_t **")
    plan = ffi.new("cg_tone_plan_t **")
    assert lib.cg_tone_plan_find(b"US", plan) == 1
    assert lib.cg_tone_plan_find(b"ITU", ffi.NULL) == 2
    assert lib.cg_tone_plan_find(b"Mars", plan) == CG_E_UNKNOWN
    assert lib.cg_tone_plan_find(ffi.NULL, plan) == CG_E_NULL
    assert lib.cg_tone_lookup(b"CN", b"busy", tone) == 1
    assert ffi.string(tone[0].name) == b"busy" and tone[0].segments[0].freq1_hz == 450
    assert lib.cg_tone_lookup(b"CN", b"nope", tone) == CG_E_UNKNOWN
    assert lib.cg_tone_lookup(b"XX", b"busy", tone) == CG_E_UNKNOWN
    assert lib.cg_tone_plan_count() == 3 and lib.cg_tone_plan_at(3) == ffi.NULL
    us = lib.cg_tone_plan_at(1)
    assert lib.cg_tone_plan_tone(us, us.n_tones) == ffi.NULL
    assert lib.cg_tone_cycle_ms(lib.cg_tone_plan_tone(us, 2)) == 6000  # ringback
    # Every built-in tone passes the generator's own check.
    for i in range(lib.cg_tone_plan_count()):
        p = lib.cg_tone_plan_at(i)
        for j in range(p.n_tones):
            assert lib.cg_tone_check(lib.cg_tone_plan_tone(p, j)) == CG_OK


def test_state_sizes():
    sizes = {t: ffi.sizeof(t) for t in ("cg_tone_gen_t", "cg_dtmf_tx_t")}
    print(sizes)
    assert sizes["cg_tone_gen_t"] <= 56 and sizes["cg_dtmf_tx_t"] <= 120


# --- The tone generator ------------------------------------------------------------------------

@pytest.mark.parametrize("law", ["ulaw", "alaw"])
@pytest.mark.parametrize("plan,name", ALL_TONES)
def test_every_tone_has_its_frequencies_and_level(plan, name, law):
    tone = dsp.find_tone(plan, name)
    x = dsp.generate_tone(plan, name, tone.cycle_ms / 1000, law=law)
    start = 0
    for seg in tone.segments:
        n = seg.duration_ms * RATE // 1000
        if seg.frequencies_hz:
            core = x[start + 16:start + n - 16]  # clear of the ramps
            levels, residual_db = levels_dbm0(core, seg.frequencies_hz, law)
            for level in levels:
                assert abs(level - tone.level_dbm0) < 0.3, (seg, levels)
            assert residual_db < -50  # clean sines: nothing but rounding left
        else:
            assert not np.any(x[start + 16:start + n - 16])
        start += n


@pytest.mark.parametrize("plan", ["CN", "US", "EU"])
def test_dial_tone_frequencies_by_fft(plan):
    tone = dsp.find_tone(plan, "dial")
    x = dsp.generate_tone(plan, "dial", 1.0).astype(float)
    spectrum = np.abs(np.fft.rfft(x)) / len(x) * 2  # 1 Hz bins; integer-Hz tones hit a bin
    peaks = sorted(np.argsort(spectrum)[-len(tone.frequencies_hz):])
    assert tuple(peaks) == tone.frequencies_hz
    # Continuous means continuous: no gap and no click anywhere in 3 seconds.
    y = dsp.generate_tone(plan, "dial", 3.0)
    carrier = fitted_carrier(y, tone.frequencies_hz, slice(0, 8000))
    gain = gain_envelope(y, carrier)[16:-8]  # past the half-way start
    assert np.all(np.abs(gain - 1) < 0.001)


@pytest.mark.parametrize("plan,name", [t for t in ALL_TONES if t[1] != "dial"])
def test_cadence_on_off_times(plan, name):
    tone = dsp.find_tone(plan, name)
    cycles = 1 if not tone.repeat else max(2, math.ceil(3000 / tone.cycle_ms))
    x = dsp.generate_tone(plan, name, cycles * tone.cycle_ms / 1000)
    measured = tone_runs(x, tone)
    expected = expected_runs(tone, cycles)[1:-1]  # the runs at the ends are cut
    if not tone.repeat:
        assert measured == [] and len(x) == tone.cycle_ms * 8
        return
    assert [on for on, _ in measured] == [on for on, _ in expected]
    for (_, got), (_, want) in zip(measured, expected):
        assert abs(got - want) < 0.05, (measured, expected)  # ms


def test_ramps_keep_the_spectrum_clean():
    """A gated tone splatters; the 2 ms raised-cosine ramps keep the energy more than 1 kHz
    from the tone over 70 dB down, at least 20 dB lower than hard on/off gating would."""
    x = dsp.generate_tone("CN", "busy", 2.8).astype(float)
    t = np.arange(len(x)) / RATE
    gate = (np.arange(len(x)) // 2800) % 2 == 0  # 350 ms on / 350 ms off, hard edges
    hard = PEAK_0DBM0["ulaw"] * 10 ** (-10 / 20) * np.sin(2 * np.pi * 450 * t) * gate

    def far_db(y):
        power = np.abs(np.fft.rfft(y)) ** 2
        f = np.fft.rfftfreq(len(y), 1 / RATE)
        return 10 * np.log10(power[np.abs(f - 450) > 1000].sum() / power.sum())

    assert far_db(x) < -70
    assert far_db(x) < far_db(hard) - 20


@pytest.mark.parametrize("law", ["ulaw", "alaw"])
@pytest.mark.parametrize("plan,name", [("CN", "busy"), ("US", "ringback"), ("EU", "sit"),
                                       ("EU", "ced")])
def test_waveform_matches_the_documented_model(plan, name, law):
    """Sample for sample (within rounding and the sine table's error) what tone.h describes."""
    tone = dsp.find_tone(plan, name)
    n = min(tone.cycle_ms * 8 + 3000, 30000)
    x = dsp.ToneGenerator(tone, law).read(n)
    peak = PEAK_0DBM0[law] * 10 ** (tone.level_dbm0 / 20)
    ref = reference(tone.segments, tone.repeat, n, (peak, peak))
    assert len(x) == len(ref)
    assert np.max(np.abs(x - ref)) <= 0.5 + 2e-4 * 2 * peak


def test_non_repeating_tone_ends_and_pads_with_silence():
    gen = dsp.ToneGenerator(dsp.find_tone("EU", "ced"))
    first = gen.read(20000)
    rest = gen.read(20000)
    assert len(first) == 20000 and len(rest) == 4000 and gen.ended
    assert len(gen.read(100)) == 0
    x = dsp.generate_tone("EU", "ced", 4.0)
    assert len(x) == 32000 and not np.any(x[24000:]) and np.any(x[23990:24000])
    assert abs(peak_hz(x[8000:16000]) - 2100) < 0.5


def test_sit_changes_frequency_without_a_gap():
    x = dsp.generate_tone("US", "sit", 2.0)
    # Phase-continuous changes: the local gain of each tone's own carrier stays 1 up to the
    # sample where the next tone takes over.
    for i, f in enumerate((950, 1400, 1800)):
        seg = slice(i * 2640, (i + 1) * 2640)
        carrier = fitted_carrier(x, (f,), slice(i * 2640 + 100, (i + 1) * 2640 - 100), seg)
        gain = gain_envelope(x, carrier, half=2)[seg]
        lo = 2 if i else 20  # the stream starts on a half-way ramp; later tones have none
        hi = -2 if i < 2 else -12  # the last fades out into the silence
        assert np.all(np.abs(gain[lo:hi] - 1) < 0.002), (f, np.abs(gain[lo:hi] - 1).max())
    for i, f in enumerate((950, 1400, 1800)):
        assert abs(peak_hz(x[i * 2640 + 200:(i + 1) * 2640 - 200]) - f) < 1.0


def test_level_override_and_custom_cadence():
    x = dsp.generate_tone("US", "dial", 1.0, level_dbm0=-20, law="alaw")
    levels, _ = levels_dbm0(x, (350, 440), "alaw")
    assert all(abs(lv + 20) < 0.3 for lv in levels)
    segments = [(1000, 0, 100), (0, 0, 50), (1000, 3000, 100), (0, 0, 50)]
    y = dsp.generate_cadence(segments, seconds=0.9, level_dbm0=-6)
    assert len(y) == 7200
    bursts = [(f, a) for k in range(3)
              for f, a in (((1000,), 2400 * k), ((1000, 3000), 2400 * k + 1200))]
    carrier = sum(fitted_carrier(y, f, slice(a + 16, a + 784), slice(max(0, a - 200), a + 1000))
                  for f, a in bursts)
    measured = runs(ratio_envelope(y, carrier), 0.5)
    expected = expected_runs(dsp.custom_tone(segments), 3)[1:-1]
    assert [on for on, _ in measured] == [on for on, _ in expected]
    assert all(abs(a[1] - b[1]) < 0.15 for a, b in zip(measured, expected))
    levels, _ = levels_dbm0(y[1200 + 16:2000 - 16], (1000, 3000))
    assert all(abs(lv + 6) < 0.3 for lv in levels)


def test_levels_survive_g711():
    """Through the codec (encode, decode) the level stays within 0.3 dB, both laws."""
    for law, enc, dec in (("ulaw", dsp.ulaw_encode, dsp.ulaw_decode),
                          ("alaw", dsp.alaw_encode, dsp.alaw_decode)):
        for level in (-3.0, -10.0, -24.0, -40.0):
            x = dec(enc(dsp.generate_tone("EU", "dial", 1.0, law=law, level_dbm0=level)))
            (got,), _ = levels_dbm0(x, (425,), law)
            assert abs(got - level) < 0.3, (law, level, got)


def test_loud_tones_saturate_instead_of_wrapping():
    x = dsp.generate_cadence([(500, 700, 100)], seconds=0.1, level_dbm0=3.0)
    assert x.max() == 32767 and x.min() == -32768
    t = np.arange(len(x)) / RATE
    ideal = np.sin(2 * np.pi * 500 * t) + np.sin(2 * np.pi * 700 * t)
    assert np.all(np.sign(x[np.abs(ideal) > 1.0]) == np.sign(ideal[np.abs(ideal) > 1.0]))


def test_bad_cadences_and_parameters_are_refused_by_name():
    with pytest.raises(ValueError, match=r"segments\[0\] duration_ms must be between 2"):
        dsp.custom_tone([(440, 0, 1)])
    with pytest.raises(ValueError, match=r"segments\[1\] freq2_hz must be between 0 and 3999"):
        dsp.custom_tone([(440, 0, 100), (440, 4000, 100)])
    with pytest.raises(ValueError, match=r"segments\[0\] must be \(freq1_hz"):
        dsp.custom_tone([(440, 100)])
    with pytest.raises(ValueError, match="segments must hold 1 to 65535"):
        dsp.custom_tone([])
    with pytest.raises(ValueError, match="segments must be a list"):
        dsp.custom_tone(5)
    with pytest.raises(ValueError, match="level_dbm0 must be between -80 and 3, not 4"):
        dsp.generate_tone("CN", "dial", 1.0, level_dbm0=4)
    with pytest.raises(ValueError, match="level_dbm0 must be between"):
        dsp.generate_tone("CN", "dial", 1.0, level_dbm0=float("nan"))
    with pytest.raises(ValueError, match="seconds must be between 0 and 3600"):
        dsp.generate_tone("CN", "dial", -1)
    with pytest.raises(ValueError, match="seconds must be a number"):
        dsp.generate_tone("CN", "dial", "2")
    with pytest.raises(ValueError, match="law must be one of ulaw, alaw"):
        dsp.generate_tone("CN", "dial", 1.0, law="pcm")
    with pytest.raises(ValueError, match="tone must be a Tone"):
        dsp.ToneGenerator("busy")
    # The C check itself, for callers that build descriptors in C.
    seg = ffi.new("cg_tone_segment_t[]", [(440, 0, 100)])
    desc = ffi.new("cg_tone_desc_t *", {"segments": seg, "n_segments": 1, "level_dbm0": -10.0})
    state = ffi.new("cg_tone_gen_t *")
    assert lib.cg_tone_gen_init(state, desc, lib.CG_LAW_ULAW) == CG_OK
    for field, value in (("level_dbm0", float("nan")), ("level_dbm0", 3.5), ("n_segments", 0)):
        bad = ffi.new("cg_tone_desc_t *", {"segments": seg, "n_segments": 1, "level_dbm0": -10.0})
        setattr(bad, field, value)
        assert lib.cg_tone_gen_init(state, bad, lib.CG_LAW_ULAW) == CG_E_RANGE
    seg[0].duration_ms = 1
    assert lib.cg_tone_check(desc) == CG_E_RANGE
    seg[0].duration_ms = 2
    assert lib.cg_tone_check(desc) == CG_OK
    seg[0].freq2_hz = 4000
    assert lib.cg_tone_check(desc) == CG_E_RANGE
    assert lib.cg_tone_gen_init(state, ffi.NULL, lib.CG_LAW_ULAW) == CG_E_NULL


def _in_blocks(read, sizes, total):
    parts, got = [], 0
    for n in sizes:
        part = read(n)
        parts.append(part)
        got += len(part)
        if got >= total:
            break
    parts.append(read(total))
    return np.concatenate(parts)[:total]


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(ALL_TONES), st.sampled_from(["ulaw", "alaw"]),
       st.lists(st.integers(0, 3000), min_size=1, max_size=30))
def test_tone_output_does_not_depend_on_block_sizes(plan_tone, law, sizes):
    tone = dsp.find_tone(*plan_tone)
    total = 12000
    whole = dsp.ToneGenerator(tone, law).read(total)
    gen = dsp.ToneGenerator(tone, law)
    np.testing.assert_array_equal(_in_blocks(gen.read, sizes, total), whole)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([0, 350, 440, 1000, 3999]),
                          st.sampled_from([0, 480, 2000]), st.integers(2, 40)),
                min_size=1, max_size=6),
       st.booleans(), st.lists(st.integers(0, 500), min_size=1, max_size=40))
def test_custom_cadence_streaming_with_short_segments(segments, repeat, sizes):
    """Segments down to the 2 ms minimum, frequency changes without silence, any blocks."""
    tone = dsp.custom_tone(segments, -10, repeat)
    total = 4000
    whole = dsp.ToneGenerator(tone).read(total)
    np.testing.assert_array_equal(_in_blocks(dsp.ToneGenerator(tone).read, sizes, total), whole)
    assert len(whole) == (total if repeat else min(total, tone.cycle_ms * 8))


# --- DTMF --------------------------------------------------------------------------------------

@pytest.mark.parametrize("digit", list("0123456789*#ABCD"))
def test_dtmf_digit_frequencies_and_levels(digit):
    x = dsp.generate_dtmf(digit, on_ms=1000, off_ms=10)
    row, col = digit_hz(digit)
    core = x[16:8000 - 16].astype(float)
    spectrum = np.abs(np.fft.rfft(x[:8000].astype(float)))  # 1 Hz bins: integer Hz hit one
    assert sorted(np.argsort(spectrum)[-2:]) == [row, col]
    levels, residual = levels_dbm0(core, (row, col))
    assert all(abs(lv + 10) < 0.3 for lv in levels), levels
    assert residual < -50
    # Each frequency to 0.01 Hz: the one whose sine leaves the least residual.
    for f, other in ((row, col), (col, row)):
        best = minimize_scalar(lambda g: levels_dbm0(core, (g, other))[1],
                               bounds=(f - 0.5, f + 0.5), method="bounded",
                               options={"xatol": 1e-4})
        assert abs(best.x - f) < 0.01, (f, best.x)


@pytest.mark.parametrize("law", ["ulaw", "alaw"])
@pytest.mark.parametrize("level,twist", [(-10, 0), (-20, 3), (-4, -4), (-30, 6), (-0.5, -8)])
def test_dtmf_level_and_twist(level, twist, law):
    x = dsp.generate_dtmf("5", level_dbm0=level, twist_db=twist, on_ms=200, off_ms=20, law=law)
    low, high = levels_dbm0(x[16:1600 - 16], (770, 1336), law)[0]
    assert abs(low - level) < 0.3 and abs(high - (level + twist)) < 0.3
    assert abs((high - low) - twist) < 0.1


@pytest.mark.parametrize("on_ms,off_ms", [(50, 55), (40, 40), (100, 250), (2, 2)])
def test_dtmf_timing(on_ms, off_ms):
    digits = "1#9D0"
    x = dsp.generate_dtmf(digits, on_ms=on_ms, off_ms=off_ms)
    assert len(x) == len(digits) * (on_ms + off_ms) * 8
    if on_ms < 10:
        return  # too short for the envelope measurement; still the right length
    measured = dtmf_runs(x, digits, on_ms, off_ms)
    # The first tone starts with the stream and the last silence ends it: all runs between.
    expected = [(False, off_ms), (True, on_ms)] * (len(digits) - 1)
    assert [on for on, _ in measured] == [on for on, _ in expected]
    for (_, got), (_, want) in zip(measured, expected):
        assert abs(got - want) < 0.05, measured


def test_dtmf_default_is_minus_10_dbm0_50_on_55_off_mu_law():
    x = dsp.generate_dtmf("7")
    assert len(x) == 840 and not np.any(x[400 + 8:])
    levels, _ = levels_dbm0(x[16:400 - 16], (852, 1209))
    assert all(abs(lv + 10) < 0.3 for lv in levels)
    assert dsp.generate_dtmf("").size == 0


def test_dtmf_lowercase_and_long_strings():
    np.testing.assert_array_equal(dsp.generate_dtmf("abcd"), dsp.generate_dtmf("ABCD"))
    digits = "0123456789*#ABCD" * 13  # 208 digits, over three queues full
    x = dsp.generate_dtmf(digits, on_ms=40, off_ms=40)
    assert len(x) == 208 * 640
    measured = dtmf_runs(x, digits, 40, 40)
    assert len(measured) == 2 * 207  # every gap, and every tone but the first
    assert all(abs(ms - 40) < 0.05 for _, ms in measured)
    ref = reference([tones.Segment(*digit_hz(d), 40) if i % 2 == 0 else tones.Segment(0, 0, 40)
                     for d in digits for i in range(2)], False, len(x),
                    (PEAK_0DBM0["ulaw"] * 10 ** (-10 / 20),) * 2)
    assert np.max(np.abs(x - ref)) < 1.0


def test_generated_dtmf_is_what_the_receiver_hears():
    """Cross-check with the DTMF receiver (c_src/dtmf_rx.c), through each codec."""
    digits = "0123456789*#ABCD"
    for law, enc, dec in (("ulaw", dsp.ulaw_encode, dsp.ulaw_decode),
                          ("alaw", dsp.alaw_encode, dsp.alaw_decode)):
        x = dec(enc(dsp.generate_dtmf(digits, law=law)))
        events = dsp.detect_dtmf(x)
        assert "".join(e.digit for e in events) == digits


def test_dtmf_refuses_bad_digits_and_parameters_by_name():
    with pytest.raises(ValueError, match=r"digits: 'x' at position 2 is not a DTMF digit"):
        dsp.generate_dtmf("12x")
    with pytest.raises(ValueError, match="digits: ' ' at position 1"):
        dsp.generate_dtmf("1 2")
    with pytest.raises(ValueError, match="digits must be a string"):
        dsp.generate_dtmf(123)
    for kwargs, name in (({"level_dbm0": 5}, "level_dbm0"), ({"level_dbm0": "loud"}, "level_dbm0"),
                         ({"twist_db": 99}, "twist_db"), ({"on_ms": 1}, "on_ms"),
                         ({"off_ms": 70000}, "off_ms"), ({"on_ms": 40.5}, "on_ms"),
                         ({"law": "mu"}, "law"), ({"level_dbm0": -78, "twist_db": -5}, "twist_db")):
        with pytest.raises(ValueError, match=name):
            dsp.generate_dtmf("1", **kwargs)


def test_dtmf_c_queue_is_all_or_nothing():
    state = ffi.new("cg_dtmf_tx_t *")
    assert lib.cg_dtmf_tx_init(state, ffi.NULL) == CG_OK
    assert lib.cg_dtmf_tx_put(state, b"12x4", 4) == CG_E_UNKNOWN
    assert lib.cg_dtmf_tx_pending(state) == 0
    assert lib.cg_dtmf_tx_put(state, b"1" * 60, 60) == 60
    assert lib.cg_dtmf_tx_put(state, b"12345", 5) == CG_E_SPACE
    assert lib.cg_dtmf_tx_pending(state) == 60
    out = ffi.new("int16_t[]", 840)
    assert lib.cg_dtmf_tx_process(state, out, 840) == 840
    assert lib.cg_dtmf_tx_pending(state) == 59
    row, col = ffi.new("uint16_t *"), ffi.new("uint16_t *")
    assert lib.cg_dtmf_tx_digit_hz(b"#", row, col) == CG_OK and (row[0], col[0]) == (941, 1477)
    assert lib.cg_dtmf_tx_digit_hz(b"E", row, col) == CG_E_UNKNOWN
    cfg = ffi.new("cg_dtmf_tx_cfg_t *")
    lib.cg_dtmf_tx_cfg_default(cfg)
    assert (cfg.level_dbm0, cfg.twist_db, cfg.on_ms, cfg.off_ms) == (-10, 0, 50, 55)
    cfg.off_ms = 1
    assert lib.cg_dtmf_tx_init(state, cfg) == CG_E_RANGE
    gen = dsp.DtmfGenerator()
    gen.put("1" * 64)
    with pytest.raises(ValueError, match=r"do not fit in the queue \(0 of 64 free\)"):
        gen.put("2")


def test_dtmf_generator_runs_dry_and_starts_again():
    gen = dsp.DtmfGenerator()
    assert len(gen.read(1000)) == 0
    gen.put("12")
    assert len(gen.read(5000)) == 1680 and len(gen.read(10)) == 0
    gen.put("3")
    again = gen.read(5000)
    np.testing.assert_array_equal(again, dsp.generate_dtmf("3"))  # starts as a fresh stream


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet="0123456789*#ABCDabcd", min_size=1, max_size=12),
       st.integers(2, 80), st.integers(2, 80), st.floats(-30, -3), st.floats(-6, 6),
       st.lists(st.integers(0, 700), min_size=1, max_size=40))
def test_dtmf_output_does_not_depend_on_block_sizes(digits, on_ms, off_ms, level, twist, sizes):
    whole = dsp.generate_dtmf(digits, level, twist, on_ms, off_ms)
    gen = dsp.DtmfGenerator(level, twist, on_ms, off_ms)
    gen.put(digits)
    np.testing.assert_array_equal(_in_blocks(gen.read, sizes, len(whole)), whole)
    assert len(gen.read(100)) == 0
