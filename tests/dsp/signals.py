"""Test signals built directly in numpy: independent of the C generators under test."""

import numpy as np

RATE = 8000
ROWS = (697.0, 770.0, 852.0, 941.0)
COLS = (1209.0, 1336.0, 1477.0, 1633.0)
KEYS = ("123A", "456B", "789C", "*0#D")
ULAW_0DBM0_PEAK = 8159 * 4 * 10 ** (-3.17 / 20)


def digit_freqs(digit: str):
    for r, row in enumerate(KEYS):
        if digit in row:
            return ROWS[r], COLS[row.index(digit)]
    raise ValueError(digit)


def tone(freqs_levels, ms, phase_rng=None):
    """Sum of sines [(freq, level_dbm0)], ms long, as float64."""
    n = int(round(ms * RATE / 1000))
    t = np.arange(n) / RATE
    out = np.zeros(n)
    for f, level in freqs_levels:
        phase = 0.0 if phase_rng is None else phase_rng.uniform(0, 2 * np.pi)
        out += ULAW_0DBM0_PEAK * 10 ** (level / 20) * np.sin(2 * np.pi * f * t + phase)
    return out


def silence(ms):
    return np.zeros(int(round(ms * RATE / 1000)))


def dtmf(digits, on_ms=50, off_ms=55, level=-10.0, twist_db=0.0, freq_error=0.0,
         lead_ms=20, rng=None):
    """Digits as float64: low tone at `level`, high tone at level + twist_db."""
    parts = [silence(lead_ms)]
    for d in digits:
        lo, hi = digit_freqs(d)
        parts.append(tone([(lo * (1 + freq_error), level),
                           (hi * (1 + freq_error), level + twist_db)], on_ms, rng))
        parts.append(silence(off_ms))
    return np.concatenate(parts)


def add_white_noise(x, snr_db, rng, signal_power=None):
    power = np.mean(x[x != 0] ** 2) if signal_power is None else signal_power
    noise = rng.normal(0, np.sqrt(power / 10 ** (snr_db / 10)), len(x))
    return x + noise


def to_int16(x):
    return np.clip(np.round(x), -32768, 32767).astype(np.int16)
