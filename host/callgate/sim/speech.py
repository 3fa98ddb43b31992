"""What the far ends say: WAV files read as a caller's speech, the speech-like bursts callers
and agents talk with once bridged (so a recording has sound), and the queue a far end's audio
waits in until the line cards take it frame by frame (exchange.py rx).
"""

import numpy as np

from ..dsp.wav import read_wav, resample

TALK_RMS = 1600  # linear RMS of the talk bursts: about -20 dBm0 (mu-law 0 dBm0 sine: RMS 16 000)


class AudioQueue:
    """Audio a far end sends: int16 chunks, read out frame by frame."""

    def __init__(self):
        self.chunks = []
        self.pos = 0

    def put(self, samples) -> None:
        if len(samples):
            self.chunks.append(np.asarray(samples, np.int16))

    def clear(self) -> None:
        self.chunks, self.pos = [], 0

    @property
    def busy(self) -> bool:
        return bool(self.chunks)

    def read(self, n: int):
        if not self.chunks:
            return None
        out = np.zeros(n, np.int16)
        got = 0
        while got < n and self.chunks:
            c = self.chunks[0]
            take = min(n - got, len(c) - self.pos)
            out[got:got + take] = c[self.pos:self.pos + take]
            got += take
            self.pos += take
            if self.pos >= len(c):
                self.chunks.pop(0)
                self.pos = 0
        return out


def load_speech(path) -> np.ndarray:
    """A WAV file as int16 mono at 8 kHz (a caller's speech, or the test rig's own audio)."""
    wav = read_wav(path)
    samples = wav.samples if wav.channels == 1 else wav.samples.mean(axis=1).astype(np.int16)
    if wav.sample_rate != 8000:
        samples = resample(samples, wav.sample_rate, 8000)
    return np.asarray(samples, np.int16)


def speech_chunk(rng: np.random.Generator) -> np.ndarray:
    """Speech-like audio (int16, 8 kHz): one burst of band-limited noise (300-3400 Hz, about
    -20 dBm0, 0.2-0.8 s, 10 ms ramps) then as long a pause on average (half duty)."""
    on = int(rng.uniform(0.2, 0.8) * 8000)
    off = int(rng.uniform(0.2, 0.8) * 8000)
    x = np.convolve(rng.standard_normal(on + len(_BAND) - 1), _BAND, mode="valid")
    x *= TALK_RMS / max(1e-9, float(np.sqrt(np.mean(x * x))))
    ramp = min(80, on // 2)
    env = np.ones(on)
    env[:ramp] = np.linspace(0, 1, ramp)
    env[on - ramp:] = np.linspace(1, 0, ramp)
    out = np.zeros(on + off, np.int16)
    out[:on] = np.clip(x * env, -32768, 32767).astype(np.int16)
    return out


def _bandpass(lo_hz=300.0, hi_hz=3400.0, taps=63) -> np.ndarray:
    n = np.arange(taps) - (taps - 1) / 2
    lp = lambda f: 2 * f / 8000 * np.sinc(2 * f / 8000 * n)  # noqa: E731
    return (lp(hi_hz) - lp(lo_hz)) * np.hamming(taps)


_BAND = _bandpass()
