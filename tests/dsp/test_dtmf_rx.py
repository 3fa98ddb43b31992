"""The DTMF receiver against the Q.24 reception figures (../shared/REFERENCE.md).

Signals are built in numpy (tests/dsp/signals.py), independently of the C generators, with
random tone phases, and pass through G.711 where a line would put them.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callgate import dsp
from callgate._dsp import ffi, lib
from signals import add_white_noise, dtmf, silence, to_int16, tone

ALL = "0123456789*#ABCD"


def heard(x, **options):
    return "".join(e.digit for e in dsp.detect_dtmf(to_int16(x), **options))


def through_ulaw(x):
    return dsp.ulaw_decode(dsp.ulaw_encode(to_int16(x)))


@pytest.fixture
def rng():
    return np.random.default_rng(20261123)


def test_all_16_digits_with_times_levels_and_twist(rng):
    x = dtmf(ALL, on_ms=50, off_ms=55, level=-10.0, lead_ms=20, rng=rng)
    events = dsp.detect_dtmf(through_ulaw(x))
    assert "".join(e.digit for e in events) == ALL
    for i, e in enumerate(events):
        true_start = 160 + i * 840  # 20 ms lead, then 105 ms per digit
        assert abs(e.start - true_start) <= 64, (e, true_start)  # within 8 ms
        assert abs(e.end - (true_start + 400)) <= 64, e
        assert e.level_dbm0 == pytest.approx(-10.0, abs=0.5)
        assert e.twist_db == pytest.approx(0.0, abs=0.5)
        assert e.final


@pytest.mark.parametrize("error", [-0.015, 0.015])
def test_accepts_frequency_error_of_1_5_percent(rng, error):
    for _ in range(3):
        assert heard(dtmf(ALL, freq_error=error, rng=rng)) == ALL


@pytest.mark.parametrize("error", [-0.04, -0.035, -0.03, 0.03, 0.035, 0.04])
def test_rejects_frequency_error_beyond_3_percent(rng, error):
    for _ in range(3):
        assert heard(dtmf(ALL, freq_error=error, rng=rng)) == ""


@pytest.mark.parametrize("twist_db", [-8.0, -4.0, 0.0, 2.0, 4.0])
def test_accepts_normal_twist_8db_and_reverse_4db(rng, twist_db):
    for _ in range(3):
        x = dtmf(ALL, twist_db=twist_db, rng=rng)
        events = dsp.detect_dtmf(through_ulaw(x))
        assert "".join(e.digit for e in events) == ALL
        assert all(abs(e.twist_db - twist_db) < 0.6 for e in events)


@pytest.mark.parametrize("twist_db", [-14.0, 10.0])
def test_rejects_twist_far_beyond_the_limits(rng, twist_db):
    assert heard(dtmf(ALL, twist_db=twist_db, rng=rng)) == ""


@pytest.mark.parametrize("on_ms", [40, 45, 60])
def test_tones_of_40ms_and_more_are_detected(rng, on_ms):
    for _ in range(3):
        assert heard(dtmf("5" * 12, on_ms=on_ms, off_ms=60, rng=rng)) == "5" * 12


@pytest.mark.parametrize("on_ms", [10, 20, 23])
def test_tones_of_23ms_and_less_are_rejected(rng, on_ms):
    for _ in range(3):
        assert heard(dtmf("5" * 12, on_ms=on_ms, off_ms=60, rng=rng)) == ""


@pytest.mark.parametrize("off_ms", [40, 45, 50])
def test_pauses_of_40ms_separate_repeated_digits(rng, off_ms):
    for _ in range(3):
        assert heard(dtmf("7" * 12, on_ms=50, off_ms=off_ms, rng=rng)) == "7" * 12


def test_ten_digits_per_second(rng):
    # Q.24: up to 10 digits/s (50 ms on, 50 ms off)
    digits = "0123456789" * 3
    assert heard(dtmf(digits, on_ms=50, off_ms=50, rng=rng)) == digits


@pytest.mark.parametrize("level", [-36.0, -30.0, -20.0, -3.0])  # -3: the loudest unclipped
def test_detects_down_to_26db_below_nominal(rng, level):
    # Nominal is the generators' -10 dBm0 per tone; -36 dBm0 is 26 dB below it.
    x = dtmf(ALL, level=level, rng=rng)
    events = dsp.detect_dtmf(through_ulaw(x))
    assert "".join(e.digit for e in events) == ALL
    assert all(abs(e.level_dbm0 - level) < 0.6 for e in events)


def test_ignores_tones_far_below_the_threshold(rng):
    assert heard(dtmf(ALL, level=-45.0, rng=rng)) == ""


@pytest.mark.parametrize("max_freq_error_pct", [1.0, 2.5, 4.0, 6.0])
@pytest.mark.parametrize("min_level", [-55.0, -38.0, -20.0])
def test_quiet_window_gate_keeps_every_digit_at_the_configured_minimum(rng, min_level,
                                                                      max_freq_error_pct):
    # The receiver stops at the energy of a window too quiet to hold two tones at
    # min_level_dbm0 (given the largest gain its frequency correction can apply); digits just
    # above the minimum, on and off frequency, must still all be found, whatever the settings.
    options = dict(min_level_dbm0=min_level, max_freq_error_pct=max_freq_error_pct)
    for error in (0.0, 0.5 * max_freq_error_pct / 100 if max_freq_error_pct < 4 else 0.0):
        x = dtmf(ALL, level=min_level + 1.5, freq_error=error, rng=rng)
        assert heard(x, **options) == ALL
    assert heard(dtmf(ALL, level=min_level - 3.0, rng=rng), **options) == ""


@pytest.mark.parametrize("snr_db", [15, 12])
def test_detects_at_15db_snr_in_white_noise(rng, snr_db):
    for _ in range(5):
        x = dtmf(ALL, rng=rng)
        power = np.mean(x[x != 0] ** 2)
        assert heard(add_white_noise(x, snr_db, rng, power)) == ALL


def test_worst_case_of_twist_frequency_error_and_noise_together(rng):
    found = 0
    for _ in range(4):
        for error in (-0.015, 0.015):
            x = dtmf(ALL, twist_db=-8.0, freq_error=error, rng=rng)
            power = np.mean(x[x != 0] ** 2)
            found += len(heard(add_white_noise(x, 15, rng, power)))
    assert found >= 0.95 * 8 * len(ALL)


def test_noise_and_single_tones_alone_give_no_digit(rng):
    x = np.concatenate([rng.normal(0, 3000, 8000 * 5),
                        tone([(697, -10)], 2000), tone([(1336, -10)], 2000),
                        tone([(440, -10), (350, -10)], 2000)])
    assert heard(x) == ""


def test_a_10ms_dropout_splits_a_digit_and_5ms_does_not(rng):
    def with_gap(gap_ms):
        a = tone([(770, -10), (1336, -10)], 60, rng)
        b = tone([(770, -10), (1336, -10)], 60, rng)
        return np.concatenate([silence(30), a, silence(gap_ms), b, silence(100)])
    assert heard(with_gap(5)) == "5"
    assert heard(with_gap(10)) == "55"


def test_alaw_levels_are_measured_against_alaw_reference(rng):
    x = dtmf("159", level=-10.0, rng=rng)
    events = dsp.detect_dtmf(dsp.alaw_decode(dsp.alaw_encode(to_int16(x))), law="alaw")
    assert [e.digit for e in events] == list("159")
    # The signal's peak is the mu-law -10 dBm0 one; A-law's 0 dBm0 is 0.03 dB higher.
    assert all(abs(e.level_dbm0 + 10.0) < 0.6 for e in events)


def test_begin_events_come_early_with_the_same_start(rng):
    det = dsp.DtmfDetector(report_begin=True)
    x = to_int16(dtmf("42", on_ms=80, off_ms=80, rng=rng))
    events = []
    for i in range(0, len(x), 160):  # 20 ms frames, as a media engine feeds them
        for e in det.feed(x[i:i + 160]):
            events.append((i, e))
    kinds = [(e.digit, e.final) for _, e in events]
    assert kinds == [("4", False), ("4", True), ("2", False), ("2", True)]
    (t_begin, begin), (t_end, end) = events[0], events[1]
    assert begin.start == end.start
    assert t_end - t_begin >= 80 * 8 - 400  # the begin report arrives well before the end


def test_flush_reports_a_digit_still_sounding(rng):
    det = dsp.DtmfDetector()
    x = to_int16(np.concatenate([silence(20), tone([(852, -10), (1477, -10)], 100, rng)]))
    assert det.feed(x) == []
    (event,) = det.flush()
    assert event.digit == "9"
    assert det.flush() == []


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(1, 700), min_size=1, max_size=60), st.integers(0, 2**32 - 1))
def test_results_do_not_depend_on_block_sizes(cuts, seed):
    r = np.random.default_rng(seed)
    x = to_int16(add_white_noise(dtmf("1A*9", on_ms=45, off_ms=45, rng=r), 20, r))
    whole = dsp.detect_dtmf(x)
    det = dsp.DtmfDetector()
    pieces, pos, i = [], 0, 0
    while pos < len(x):
        n = cuts[i % len(cuts)]
        pieces += det.feed(x[pos:pos + n])
        pos, i = pos + n, i + 1
    assert pieces + det.flush() == whole


@pytest.mark.parametrize("option,value", [
    ("min_level_dbm0", -80.0), ("min_level_dbm0", 10.0), ("max_normal_twist_db", -1.0),
    ("max_reverse_twist_db", 30.0), ("max_freq_error_pct", 0.0), ("max_freq_error_pct", "2"),
])
def test_bad_options_are_refused_by_name(option, value):
    with pytest.raises(ValueError, match=option):
        dsp.DtmfDetector(**{option: value})


def test_bad_law_and_bad_samples_are_refused():
    with pytest.raises(ValueError, match="law"):
        dsp.DtmfDetector(law="linear")
    with pytest.raises(TypeError, match="int16"):
        dsp.DtmfDetector().feed(np.zeros(100, np.float64))


def test_c_api_checks_its_arguments():
    state = ffi.new("cg_dtmf_rx_t *")
    cfg = ffi.new("cg_dtmf_rx_cfg_t *")
    lib.cg_dtmf_rx_cfg_default(cfg)
    assert lib.cg_dtmf_rx_init(ffi.NULL, cfg) == -1  # CG_E_NULL
    cfg.max_freq_error_pct = float("nan")
    assert lib.cg_dtmf_rx_init(state, cfg) == -2  # CG_E_RANGE
    assert lib.cg_dtmf_rx_init(state, ffi.NULL) == 0
    samples = np.zeros(1000, np.int16)
    events = ffi.new("cg_event_t[]", 2)
    # 1000 samples may need 1000 // 51 + 2 event slots: refused before consuming anything.
    assert lib.cg_dtmf_rx_process(state, ffi.from_buffer("int16_t[]", samples), 1000, events,
                                  2) == -3  # CG_E_SPACE
