"""The far end's audio, as numbers (int16, 8 kHz), so a failing case's audio can be kept.

DTMF here is synthesised with numpy rather than with the C generator (c_src/dtmf_tx.c), which
cannot put the tones off frequency: a conformance sweep needs frequency offsets. Levels are
calibrated as the C core's: 0 dBm0 is a sine 3.17 dB below the mu-law full-scale sine
(3.14 dB for A-law; REFERENCE.md, Levels).
"""

import numpy as np

from ..dsp.callerid import CallerId, generate

RATE = 8000
ROWS = (697, 770, 852, 941)
COLS = (1209, 1336, 1477, 1633)
KEYS = ("123A", "456B", "789C", "*0#D")
_FULL_SCALE = {"ulaw": 8159.0 * 4.0, "alaw": 4096.0 * 8.0}
_DBM0 = {"ulaw": 0.694222, "alaw": 0.696626}


def dbm0_to_peak(level_dbm0: float, law: str = "ulaw") -> float:
    return _FULL_SCALE[law] * _DBM0[law] * 10.0 ** (level_dbm0 / 20.0)


def digit_freqs(digit: str) -> tuple:
    d = digit.upper()
    for r, row in enumerate(KEYS):
        c = row.find(d)
        if c >= 0:
            return ROWS[r], COLS[c]
    raise ValueError(f"{digit!r} is not a DTMF digit (0-9 * # A-D)")


def dtmf(digits: str, level_dbm0=-10.0, twist_db=0.0, freq_offset_pct=0.0, on_ms=50, off_ms=55,
         snr_db=None, seed=0, lead_ms=100, law="ulaw") -> np.ndarray:
    """The digits as DTMF. level_dbm0: the low-group tone; twist_db: the high-group tone
    relative to it (negative: high group weaker, "normal" twist); freq_offset_pct shifts both
    tones. snr_db: white noise over the whole burst (lead_ms of it before the first digit),
    its power snr_db below the power of the two tones together. 5 ms raised-cosine ramps."""
    lo_amp = dbm0_to_peak(level_dbm0, law)
    hi_amp = dbm0_to_peak(level_dbm0 + twist_db, law)
    on, off, lead = on_ms * RATE // 1000, off_ms * RATE // 1000, lead_ms * RATE // 1000
    t = np.arange(on) / RATE
    ramp = np.ones(on)
    r = min(40, on // 2)
    if r:
        w = 0.5 - 0.5 * np.cos(np.pi * np.arange(r) / r)
        ramp[:r], ramp[-r:] = w, w[::-1]
    k = 1.0 + freq_offset_pct / 100.0
    parts = [np.zeros(lead)]
    for d in digits:
        f1, f2 = digit_freqs(d)
        tone = lo_amp * np.sin(2 * np.pi * f1 * k * t) + hi_amp * np.sin(2 * np.pi * f2 * k * t)
        parts += [tone * ramp, np.zeros(off)]
    x = np.concatenate(parts)
    if snr_db is not None:
        signal_power = (lo_amp ** 2 + hi_amp ** 2) / 2.0
        sigma = np.sqrt(signal_power / 10.0 ** (snr_db / 10.0))
        x = x + np.random.default_rng(seed).normal(0.0, sigma, len(x))
    return np.clip(np.round(x), -32768, 32767).astype(np.int16)


def caller_id(format="mdmf", number="5551234", name="", standard="bell202", level_dbm0=-13.5,
              date=(1, 1, 0, 0), law="ulaw", alert=False) -> np.ndarray:
    """One on-hook caller ID sequence (seizure, marks, message) as the C generator makes it,
    after a 100 ms dual-tone alert (ETSI DT-AS) with alert; SDMF carries no name."""
    if format == "sdmf":
        cid = CallerId("sdmf", number=number, date=date)
    else:
        cid = CallerId("mdmf", number=number, name=name, date=date)
    return generate(cid, standard, law=law, level_dbm0=level_dbm0, alert_ms=100 if alert else 0)
