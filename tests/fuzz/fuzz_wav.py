"""atheris target for the WAV reader (host/callgate/dsp/wav.py); tools/fuzz.sh runs it.

The reader must turn any bytes into either a WavData or a WavError: any other exception is a
finding, and so is a WavData that breaks these checks (raised as AssertionError):
  - the result is self-consistent: int16 samples shaped (frames,) or (frames, channels),
    a supported encoding and rate, G.711 codes present exactly for alaw/ulaw and decoding to
    the samples;
  - what reads strictly reads the same with allow_truncated=True;
  - writing it back with encode_wav and reading that gives the same audio;
  - a 16-bit PCM file that Python's own `wave` module also reads gives the same frames.
Half of the inputs are raw bytes (seeded from tests/fuzz/seeds/fuzz_wav/: a zero byte, then a
small WAV file written by encode_wav); the other half build a valid file with encode_wav from
the input (encoding, channels, rate, samples) and then damage it in a way the input picks:
extra chunks before or after the audio must not change the audio, trailing junk is ignored,
cutting the file short is a WavError or, with allow_truncated, a prefix of the frames.

    python tests/fuzz/fuzz_wav.py [libFuzzer flags] [corpus dir]
"""

import io
import struct
import sys
import wave

import atheris
import numpy as np

import callgate._dsp  # noqa: F401  (the C core: not instrumented)

with atheris.instrument_imports():
    from callgate.dsp import wav

ENCODINGS = wav.ENCODINGS


def check_result(data: "wav.WavData", source: bytes) -> None:
    assert data.encoding in ENCODINGS, data.encoding
    assert wav.MIN_RATE <= data.sample_rate <= wav.MAX_RATE, data.sample_rate
    assert 1 <= data.channels <= wav.MAX_CHANNELS, data.channels
    s = data.samples
    assert isinstance(s, np.ndarray) and s.dtype == np.int16, (type(s), getattr(s, "dtype", 0))
    if data.channels == 1:
        assert s.ndim == 1, s.shape
    else:
        assert s.ndim == 2 and s.shape[1] == data.channels, s.shape
    assert data.frames == len(s)
    width = 2 if data.encoding == "pcm16" else 1
    assert data.frames * data.channels * width <= len(source)
    if data.encoding == "pcm16":
        assert data.codes is None
    else:
        assert data.codes is not None and data.codes.shape == s.shape
        decode = wav.alaw_decode if data.encoding == "alaw" else wav.ulaw_decode
        np.testing.assert_array_equal(decode(data.codes.reshape(-1)), s.reshape(-1))


def same_audio(a: "wav.WavData", b: "wav.WavData") -> bool:
    return (a.sample_rate == b.sample_rate and a.channels == b.channels
            and a.encoding == b.encoding and np.array_equal(a.samples, b.samples))


def round_trip(data: "wav.WavData") -> None:
    payload = data.samples if data.encoding == "pcm16" else data.codes
    again = wav.parse_wav(wav.encode_wav(payload, data.sample_rate, data.encoding))
    assert same_audio(data, again), "encode_wav then parse_wav changed the audio"


def against_stdlib_wave(buf: bytes, data: "wav.WavData") -> None:
    if data.encoding != "pcm16" or data.truncated:
        return
    try:
        with wave.open(io.BytesIO(buf)) as w:
            if w.getsampwidth() != 2:
                return
            frames = w.readframes(w.getnframes())
            channels = w.getnchannels()
    except Exception:  # the stdlib is stricter (and looser) in other places: no opinion
        return
    if len(frames) % 2:  # the stdlib handed back half a sample (its reading of a bad size): no opinion
        return
    theirs = np.frombuffer(frames, dtype="<i2")
    if channels == data.channels and len(theirs) == data.samples.size:
        np.testing.assert_array_equal(theirs, data.samples.reshape(-1))


def parse_any(buf: bytes) -> None:
    try:
        strict = wav.parse_wav(buf)
    except wav.WavError:
        strict = None
    try:
        lenient = wav.parse_wav(buf, allow_truncated=True)
    except wav.WavError:
        lenient = None
    if strict is not None:
        check_result(strict, buf)
        assert not strict.truncated
        assert lenient is not None and same_audio(strict, lenient), \
            "reads strictly but not (the same) with allow_truncated"
        round_trip(strict)
        against_stdlib_wave(buf, strict)
    if lenient is not None:
        check_result(lenient, buf)


def chunk(cid: bytes, body: bytes) -> bytes:
    return cid + struct.pack("<I", len(body)) + body + (b"\0" if len(body) & 1 else b"")


def structured(fdp: "atheris.FuzzedDataProvider") -> None:
    encoding = ENCODINGS[fdp.ConsumeIntInRange(0, len(ENCODINGS) - 1)]
    channels = fdp.ConsumeIntInRange(1, 3)
    rate = fdp.PickValueInList([8000, 16000, 11025, 44100, 48000, wav.MIN_RATE, wav.MAX_RATE])
    extensible = fdp.ConsumeBool()
    damage = fdp.ConsumeIntInRange(0, 4)
    extra = fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 64))
    cut = fdp.ConsumeIntInRange(0, 1 << 16)
    frames = fdp.ConsumeIntInRange(0, 512)
    raw = fdp.ConsumeBytes(frames * channels * 2)
    samples = np.frombuffer(raw[:len(raw) // 2 * 2], dtype="<i2").astype(np.int16)
    samples = samples[:len(samples) // channels * channels]
    if channels > 1:
        samples = samples.reshape(-1, channels)
    buf = wav.encode_wav(samples, rate, encoding, extensible)
    original = wav.parse_wav(buf)
    check_result(original, buf)

    # Find where the chunks start and where the data chunk is.
    pos, data_at = 12, None
    while pos + 8 <= len(buf):
        size = struct.unpack_from("<I", buf, pos + 4)[0]
        if buf[pos:pos + 4] == b"data":
            data_at = pos
        pos += 8 + size + (size & 1)
    assert data_at is not None

    def with_riff_size(b: bytes) -> bytes:
        return b[:4] + struct.pack("<I", len(b) - 8) + b[8:]

    if damage == 0:  # an unknown chunk before the audio
        damaged = with_riff_size(buf[:12] + chunk(b"LIST", extra) + buf[12:])
        expect = "same"
    elif damage == 1:  # an unknown chunk after the audio
        damaged = with_riff_size(buf + chunk(b"junk", extra))
        expect = "same"
    elif damage == 2:  # bytes after the RIFF chunk (ID3 tags and such)
        damaged = buf + extra
        expect = "same"
    else:  # cut short inside the data chunk (3) or anywhere (4)
        at = data_at + 8 + cut % max(1, len(buf) - data_at - 8) if damage == 3 else cut % max(1, len(buf))
        damaged = buf[:at]
        expect = "prefix" if at > data_at + 8 or damage == 3 else "error-or-prefix"
    parse_any(damaged)
    if expect == "same":
        got = wav.parse_wav(damaged)
        assert same_audio(original, got), f"damage {damage} changed the audio"
    elif len(damaged) < len(buf):
        try:
            got = wav.parse_wav(damaged, allow_truncated=True)
        except wav.WavError:
            assert expect == "error-or-prefix", "a file cut inside its data chunk was refused"
            return
        n = len(got.samples)
        assert got.encoding == original.encoding and n <= len(original.samples)
        np.testing.assert_array_equal(got.samples, original.samples[:n])


def test_one_input(data: bytes) -> None:
    if not data:
        return
    if data[0] & 1:
        structured(atheris.FuzzedDataProvider(data[1:]))
    else:
        parse_any(data[1:])


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
