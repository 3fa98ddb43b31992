"""`python -m callgate.demo dsp` (the first `make demo`): what the DSP core does, end to end, on real WAV files.

Writes a caller's line as it reaches the gateway (ringback, then the caller keying an account
number and a menu choice over a noisy line, A-law), reads it back and finds the digits.
"""

import pathlib
import sys

import numpy as np

from callgate.dsp import detect_dtmf
from callgate.dsp.tones import generate_dtmf, generate_tone
from callgate.dsp.wav import read_wav, write_wav

OUT = pathlib.Path("build/demo")
DIGITS = "4711#2"


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(7)
    ringback = generate_tone("CN", "ringback", 2.0, law="alaw")
    keyed = generate_dtmf(DIGITS, level_dbm0=-12.0, twist_db=-3.0, on_ms=60, off_ms=80,
                          law="alaw")
    line = np.concatenate([ringback, np.zeros(2400, np.int16), keyed]).astype(float)
    line += rng.normal(0.0, 150.0, len(line))  # a noisy line: about 30 dB below the digits
    path = OUT / "caller.wav"
    write_wav(path, np.clip(line, -32768, 32767).astype(np.int16), 8000, "alaw")
    print(f"wrote {path}: CN ringback, then {DIGITS!r} at -12 dBm0 with 3 dB twist, "
          f"white noise, A-law 8 kHz")

    wav = read_wav(path)
    events = detect_dtmf(wav.samples, law="alaw")
    for e in events:
        print(f"  {e.digit}  {e.start_s:6.3f}-{e.end_s:6.3f} s  {e.level_dbm0:6.1f} dBm0  "
              f"twist {e.twist_db:+.1f} dB")
    found = "".join(e.digit for e in events)
    print(f"detected {found!r}: " + ("all digits, in order" if found == DIGITS else "MISMATCH"))
    print(f"try: .venv/bin/callgate dsp dtmf {path}   "
          f"(and: callgate dsp tone US busy busy.wav --seconds 3)")
    return 0 if found == DIGITS else 1


if __name__ == "__main__":
    sys.exit(main())
