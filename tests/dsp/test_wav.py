"""WAV reading and writing: round trips, what real files contain, and every way a file can
be wrong (each must be a WavError naming the file, never another exception)."""

import io
import os
import stat
import struct
import wave

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from callgate import dsp
from callgate.dsp import wav
from callgate.dsp.wav import WavError, encode_wav, parse_wav, read_wav, resample, write_wav

GUID_TAIL = bytes.fromhex("000000001000800000aa00389b71")


def chunk(cid: bytes, body: bytes) -> bytes:
    return cid + struct.pack("<I", len(body)) + body + (b"\0" if len(body) & 1 else b"")


def riff(*chunks: bytes, size=None) -> bytes:
    body = b"WAVE" + b"".join(chunks)
    return b"RIFF" + struct.pack("<I", len(body) if size is None else size) + body


def fmt(tag=1, channels=1, rate=8000, bits=16, align=None, byte_rate=None, extra=b""):
    align = channels * bits // 8 if align is None else align
    byte_rate = rate * align if byte_rate is None else byte_rate
    return chunk(b"fmt ", struct.pack("<HHIIHH", tag, channels, rate, byte_rate, align, bits)
                 + extra)


def extensible(sub=1, channels=1, rate=8000, bits=16, cb=22, valid=None, guid_tail=GUID_TAIL):
    ext = struct.pack("<HHI", cb, bits if valid is None else valid, 4) + struct.pack(
        "<H", sub) + guid_tail
    return fmt(0xFFFE, channels, rate, bits, extra=ext)


PCM = np.array([0, 1, -1, 32767, -32768, 1234, -4321, 7], np.int16)


def data(samples=PCM) -> bytes:
    return chunk(b"data", samples.astype("<i2").tobytes())


# --- Round trips -------------------------------------------------------------------------------

@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(wav.ENCODINGS), st.integers(1, 3), st.integers(0, 300),
       st.sampled_from([8000, 16000, 11025, 44100, 48000]), st.booleans(), st.data())
def test_round_trip_every_encoding(tmp_path, encoding, channels, frames, rate, ext, draw):
    samples = draw.draw(arrays(np.int16, (frames, channels) if channels > 1 else frames))
    path = tmp_path / "x.wav"
    write_wav(path, samples, rate, encoding, extensible=ext)
    got = read_wav(path)
    assert (got.sample_rate, got.channels, got.encoding) == (rate, channels, encoding)
    assert got.samples.shape == samples.shape and got.samples.dtype == np.int16
    flat = samples.reshape(-1)
    if encoding == "pcm16":
        np.testing.assert_array_equal(got.samples, samples)
        assert got.codes is None
    else:
        enc, dec = ((dsp.alaw_encode, dsp.alaw_decode) if encoding == "alaw"
                    else (dsp.ulaw_encode, dsp.ulaw_decode))
        np.testing.assert_array_equal(got.codes.reshape(-1), enc(flat))
        np.testing.assert_array_equal(got.samples.reshape(-1), dec(enc(flat)))
        # The codes themselves round-trip exactly.
        write_wav(path, got.codes, rate, encoding)
        np.testing.assert_array_equal(read_wav(path).codes, got.codes)
    assert got.frames == frames and got.seconds == frames / rate


def test_g711_files_have_18_byte_fmt_and_a_fact_chunk():
    for encoding, tag in (("alaw", 6), ("ulaw", 7)):
        buf = encode_wav(PCM[:7], 8000, encoding)  # odd size: a pad byte follows the data
        assert buf[12:16] == b"fmt " and struct.unpack_from("<I", buf, 16)[0] == 18
        assert struct.unpack_from("<HHIIHHH", buf, 20) == (tag, 1, 8000, 8000, 1, 8, 0)
        assert buf[38:42] == b"fact" and struct.unpack_from("<II", buf, 42) == (4, 7)
        assert buf[50:54] == b"data" and struct.unpack_from("<I", buf, 54)[0] == 7
        assert len(buf) == 58 + 7 + 1 and struct.unpack_from("<I", buf, 4)[0] == len(buf) - 8
    pcm = encode_wav(PCM, 8000, "pcm16")
    assert b"fact" not in pcm and struct.unpack_from("<I", pcm, 16)[0] == 16


def test_pcm16_output_reads_the_same_in_pythons_wave_module(tmp_path):
    stereo = np.stack([PCM, PCM[::-1]], axis=1)
    write_wav(tmp_path / "s.wav", stereo, 16000, "pcm16")
    with wave.open(str(tmp_path / "s.wav")) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (2, 2, 16000)
        frames = np.frombuffer(w.readframes(w.getnframes()), "<i2").reshape(-1, 2)
    np.testing.assert_array_equal(frames, stereo)
    # ... and the other way round.
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(PCM.astype("<i2").tobytes())
    np.testing.assert_array_equal(parse_wav(out.getvalue()).samples, PCM)


def test_write_refuses_bad_arguments_by_name(tmp_path):
    cases = [((PCM, 8000, "gsm"), "encoding must be one of pcm16, alaw, ulaw"),
             ((PCM, 999, "pcm16"), "sample_rate must be"),
             ((PCM, 8000.0, "pcm16"), "sample_rate must be"),
             ((PCM.astype(np.float32), 8000, "pcm16"), "samples must be int16"),
             ((PCM.astype(np.uint8), 8000, "pcm16"), "samples must be int16"),
             ((list(PCM), 8000, "pcm16"), "samples must be a numpy array"),
             ((np.zeros((2, 2, 2), np.int16), 8000, "pcm16"), "samples must be 1-D"),
             ((np.zeros((4, 0), np.int16), 8000, "pcm16"), "0 channels")]
    for args, message in cases:
        with pytest.raises(ValueError, match=message):
            write_wav(tmp_path / "bad.wav", *args)
    assert list(tmp_path.iterdir()) == []


# --- What real files contain -------------------------------------------------------------------

def test_unknown_and_odd_chunks_are_skipped():
    buf = riff(chunk(b"LIST", b"INFOabc"), fmt(), chunk(b"junk", b"x"), data(),
               chunk(b"cue ", b"12345"))
    np.testing.assert_array_equal(parse_wav(buf).samples, PCM)


def test_data_before_fmt_and_g711_with_odd_size_and_pad_byte():
    codes = dsp.ulaw_encode(PCM[:5])
    buf = riff(chunk(b"data", codes.tobytes()), fmt(7, bits=8))
    got = parse_wav(buf)
    assert got.encoding == "ulaw"
    np.testing.assert_array_equal(got.codes, codes)


def test_missing_final_pad_byte_is_tolerated():
    codes = dsp.alaw_encode(PCM[:5])
    buf = riff(fmt(6, bits=8), chunk(b"data", codes.tobytes()))[:-1]
    np.testing.assert_array_equal(parse_wav(buf).codes, codes)


def test_riff_size_from_streaming_writers_and_trailing_junk():
    body = fmt() + data()
    for size in (0, 0xFFFFFFFF, len(body) + 4 + 1000):
        np.testing.assert_array_equal(parse_wav(riff(fmt(), data(), size=size)).samples, PCM)
    tagged = riff(fmt(), data()) + b"ID3\x03\x00\x00\x00\x00\x00\x10garbage garbage"
    np.testing.assert_array_equal(parse_wav(tagged).samples, PCM)


def test_byte_rate_is_ignored_and_extensible_is_read():
    np.testing.assert_array_equal(parse_wav(riff(fmt(byte_rate=1), data())).samples, PCM)
    got = parse_wav(riff(extensible(sub=7, bits=8), chunk(b"data", bytes([0xFF, 0x7F, 0x00]))))
    assert got.encoding == "ulaw" and got.samples.tolist() == [0, 0, -32124]
    got = parse_wav(riff(extensible(sub=1, channels=2, valid=12), data()))
    assert got.channels == 2 and got.samples.shape == (4, 2)


def test_truncated_data_is_an_error_unless_allowed(tmp_path):
    buf = riff(fmt(), data())[:-5]  # 16 bytes of data claimed, 11 present
    path = tmp_path / "cut.wav"
    path.write_bytes(buf)
    with pytest.raises(WavError, match=r"cut\.wav: data chunk claims 16 bytes but only 11 follow"):
        read_wav(path)
    got = read_wav(path, allow_truncated=True)
    assert got.truncated and got.samples.tolist() == PCM[:5].tolist()


# --- Every way a file can be wrong -------------------------------------------------------------

BAD_FILES = {
    "empty": (b"", "too short to be a WAV file"),
    "short": (b"RIFF\x04\x00", "too short to be a WAV file"),
    "ogg": (b"OggS\x00\x02" + bytes(40), "not a RIFF/WAVE file"),
    "avi": (b"RIFF\x10\x00\x00\x00AVI LIST" + bytes(8), "not a RIFF/WAVE file"),
    "rifx": (b"RIFX" + bytes(40), "RIFX files are not supported"),
    "rf64": (b"RF64" + bytes(40), "RF64 files are not supported"),
    "no chunks": (riff(), "no fmt chunk"),
    "no fmt": (riff(data()), "no fmt chunk"),
    "no data": (riff(fmt(), chunk(b"LIST", b"abcd")), "no data chunk"),
    "fmt too small": (riff(chunk(b"fmt ", bytes(14)), data()), "fmt chunk is 14 bytes"),
    "chunk past end": (riff(fmt())[:-4], "chunk 'fmt ' at offset 12 claims 16 bytes but only 12"),
    "huge chunk": (riff(chunk(b"LIST", b"")[:4] + b"\xff\xff\xff\x7f", fmt(), data()),
                   "chunk 'LIST' at offset 12 claims 2147483647 bytes"),
    "float": (riff(fmt(3, bits=32), data()), r"format tag 0x0003 \(IEEE float\)"),
    "mp3": (riff(fmt(0x55), data()), r"format tag 0x0055 \(MPEG layer 3\)"),
    "unknown tag": (riff(fmt(0x1234), data()), r"format tag 0x1234 \(unknown\)"),
    "8-bit pcm": (riff(fmt(1, bits=8), data()), "pcm16 with 8 bits per sample"),
    "24-bit pcm": (riff(fmt(1, bits=24), data()), "pcm16 with 24 bits per sample"),
    "16-bit alaw": (riff(fmt(6, bits=16), data()), "alaw with 16 bits per sample"),
    "no channels": (riff(fmt(channels=0, align=2), data()), "0 channels"),
    "many channels": (riff(fmt(channels=1000), data()), "1000 channels"),
    "rate 0": (riff(fmt(rate=0), data()), "sample rate 0 Hz is outside"),
    "rate absurd": (riff(fmt(rate=4_000_000_000, byte_rate=0), data()),
                    "sample rate 4000000000 Hz"),
    "block align": (riff(fmt(align=3), data()), "block align 3 does not match"),
    "two fmt": (riff(fmt(), fmt(), data()), "two fmt chunks"),
    "two data": (riff(fmt(), data(), data()), "two data chunks"),
    "partial frame": (riff(fmt(channels=2), data(PCM[:7])), "not a whole number of 4-byte"),
    "truncated data": (riff(fmt(), data())[:-1], "the file is truncated"),
    "ext short": (riff(fmt(0xFFFE, extra=struct.pack("<H", 0)), data()),
                  "WAVE_FORMAT_EXTENSIBLE fmt chunk is 18 bytes"),
    "ext cb": (riff(extensible(cb=10), data()), "extension of 10 bytes"),
    "ext guid": (riff(extensible(guid_tail=bytes(14)), data()), "subformat GUID 0100"),
    "ext float": (riff(extensible(sub=3, bits=32), data()), r"format tag 0x0003"),
    "ext valid bits": (riff(extensible(valid=20), data()), "20 valid bits in a 16-bit"),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_bad_files_are_wav_errors_naming_the_file(tmp_path, case):
    content, message = BAD_FILES[case]
    path = tmp_path / "bad file.wav"
    path.write_bytes(content)
    with pytest.raises(WavError, match=message) as info:
        read_wav(path)
    assert str(info.value).startswith(f"{path}: ")
    assert isinstance(info.value, ValueError)


def test_io_errors_stay_os_errors(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_wav(tmp_path / "missing.wav")
    with pytest.raises(IsADirectoryError):
        read_wav(tmp_path)


def _parse_or_wav_error(buf):
    for allow in (False, True):
        try:
            got = parse_wav(buf, allow_truncated=allow)
        except WavError:
            continue
        assert got.samples.dtype == np.int16
        assert got.encoding in wav.ENCODINGS and 1 <= got.channels <= wav.MAX_CHANNELS


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_garbage_is_only_ever_a_wav_error(buf):
    _parse_or_wav_error(buf)
    _parse_or_wav_error(b"RIFF" + buf)
    _parse_or_wav_error(b"RIFF\xff\xff\xff\xffWAVE" + buf)


VALID = [encode_wav(PCM, 8000, "pcm16"), encode_wav(PCM[:5], 8000, "alaw"),
         encode_wav(np.stack([PCM, PCM], 1), 44100, "ulaw", extensible=True),
         riff(chunk(b"LIST", b"abc"), fmt(), data(), chunk(b"junk", b"12"))]


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(VALID), st.integers(0, 200), st.lists(
    st.tuples(st.integers(0, 200), st.integers(0, 255)), max_size=6))
def test_damaged_files_are_read_or_refused_never_crash(buf, cut, flips):
    damaged = bytearray(buf)
    for pos, value in flips:
        if pos < len(damaged):
            damaged[pos] = value
    _parse_or_wav_error(bytes(damaged))
    # Cut short: a WavError, or (allowed) a prefix of the audio.
    short = buf[:cut % (len(buf) + 1)]
    _parse_or_wav_error(short)
    if len(short) < len(buf):
        try:
            got = parse_wav(short, allow_truncated=True)
        except WavError:
            return
        whole = parse_wav(buf)
        np.testing.assert_array_equal(got.samples, whole.samples[:len(got.samples)])


# --- Atomic writes -------------------------------------------------------------------------------

def test_write_replaces_whole_keeps_mode_and_leaves_no_temp_files(tmp_path):
    path = tmp_path / "out.wav"
    write_wav(path, PCM, 8000, "pcm16")
    os.chmod(path, 0o640)
    write_wav(path, PCM[:4], 8000, "alaw")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640
    assert read_wav(path).frames == 4
    assert [p.name for p in tmp_path.iterdir()] == ["out.wav"]


def test_failed_write_leaves_the_old_file_alone(tmp_path):
    path = tmp_path / "out.wav"
    write_wav(path, PCM, 8000, "pcm16")
    before = path.read_bytes()
    with pytest.raises(ValueError):
        write_wav(path, PCM.astype(np.int32), 8000, "pcm16")
    target_dir = tmp_path / "a directory.wav"
    target_dir.mkdir()
    with pytest.raises(OSError):
        write_wav(target_dir, PCM, 8000, "pcm16")  # the rename fails: cleaned up
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a directory.wav", "out.wav"]
    assert list(target_dir.iterdir()) == []


# --- Resampling -----------------------------------------------------------------------------------

def test_resample_converts_rate_and_mixes_down():
    rate = 44100
    t = np.arange(rate) / rate
    left = np.round(8000 * np.sin(2 * np.pi * 1000 * t)).astype(np.int16)
    stereo = np.stack([left, left], axis=1)
    y = resample(stereo, rate, 8000)
    assert y.dtype == np.int16 and len(y) == 8000
    core = y[400:-400].astype(float)
    spectrum = np.abs(np.fft.rfft(core * np.hanning(len(core))))
    assert abs(np.argmax(spectrum) * 8000 / len(core) - 1000) < 2
    assert abs(np.sqrt(np.mean(core ** 2)) / (8000 / np.sqrt(2)) - 1) < 0.01  # level kept
    # Mixing down is the mean of the channels: opposite channels cancel.
    np.testing.assert_array_equal(resample(np.stack([left, -left], 1), 8000, 8000), 0)
    # Above the new Nyquist frequency nothing gets through (no aliasing).
    high = np.round(8000 * np.sin(2 * np.pi * 6000 * t)).astype(np.int16)
    assert np.abs(resample(high, rate, 8000)[400:-400]).max() < 100
    with pytest.raises(ValueError, match="from_rate must be a positive"):
        resample(left, 0)
    assert_same = resample(left[:100], 8000, 8000)
    np.testing.assert_array_equal(assert_same, left[:100])
