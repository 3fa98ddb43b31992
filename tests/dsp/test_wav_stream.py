"""Long recordings: `callgate dsp dtmf / cpa / cid / convert` read a WAV file block by block (wav.open_wav,
WavStream.blocks, resample_blocks) with constant memory, and check the header before reading
anything else.

Issue 12: a 1 GB WAV took 3.2 GB in these commands, and a 1 GB file that is not a WAV file was
read whole before it was refused. The large files here are sparse (silence), made in a moment;
each command runs in its own process and its peak RSS comes from os.wait4.
"""

import os
import struct
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callgate.dsp import callerid as cid
from callgate.dsp.tones import generate_dtmf
from callgate.dsp.wav import (WavError, encode_wav, open_wav, read_wav, resample, resample_blocks,
                              write_wav)

RUN = "import sys; from callgate.cli import main; sys.exit(main(sys.argv[1:]))"


def sparse_wav(path, frames, encoding="pcm16", rate=8000, channels=1):
    """A WAV file of `frames` frames of silence without writing them (a sparse file)."""
    tag, bits = {"pcm16": (1, 16), "alaw": (6, 8), "ulaw": (7, 8)}[encoding]
    align = channels * bits // 8
    size = frames * align
    fmt = struct.pack("<HHIIHH", tag, channels, rate, rate * align, align, bits)
    head = (b"RIFF" + struct.pack("<I", 4 + 8 + len(fmt) + 8 + size) + b"WAVE"
            + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", size))
    with open(path, "wb") as f:
        f.write(head)
        f.truncate(len(head) + size)
    return str(path)


def run_measured(*args):
    """Run `callgate ARGS` in a child process: (exit code, stderr, peak RSS in bytes)."""
    p = subprocess.Popen([sys.executable, "-c", RUN, *args], stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE)
    err = p.stderr.read().decode()
    _, status, usage = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    p.stderr.close()
    return p.returncode, err, usage.ru_maxrss * 1024  # Linux: kilobytes


MB = 1 << 20
FRAMES = 12_000_000  # 25 minutes: 24 MB of pcm16, 12 MB of A-law


@pytest.mark.parametrize("command,encoding,extra", [
    ("dtmf", "pcm16", []),
    ("cid", "alaw", []),
    ("cpa", "pcm16", ["--tones"]),
])
def test_a_long_recording_takes_constant_memory(tmp_path, command, encoding, extra):
    small = sparse_wav(tmp_path / "small.wav", 8000, encoding)
    big = sparse_wav(tmp_path / "big.wav", FRAMES, encoding)
    code_small, _, rss_small = run_measured("dsp", command, small, *extra)
    code_big, err, rss_big = run_measured("dsp", command, big, *extra)
    assert code_big == code_small and code_big in (0, 1), err
    # Reading it whole took the file's bytes two or three times over (24-72 MB here).
    assert rss_big - rss_small < 12 * MB, (rss_small, rss_big)


def test_resampling_a_long_recording_takes_constant_memory(tmp_path):
    small = sparse_wav(tmp_path / "small.wav", 16000, "pcm16", 16000, 2)
    big = sparse_wav(tmp_path / "big.wav", 4_000_000, "pcm16", 16000, 2)  # 16 MB
    _, _, rss_small = run_measured("dsp", "dtmf", "--resample", small)
    code, err, rss_big = run_measured("dsp", "dtmf", "--resample", big)
    assert code == 0, err
    assert rss_big - rss_small < 12 * MB, (rss_small, rss_big)


def test_a_huge_file_that_is_not_wav_is_refused_from_its_header(tmp_path):
    junk = tmp_path / "huge.mp3"
    with open(junk, "wb") as f:
        f.write(b"ID3\x04" + bytes(100))
        f.truncate(1 << 30)  # 1 GiB, sparse
    small = tmp_path / "small.mp3"
    small.write_bytes(b"ID3\x04" + bytes(100))
    for command in ("dtmf", "cid", "cpa"):
        _, _, rss_small = run_measured("dsp", command, str(small))
        code, err, rss = run_measured("dsp", command, str(junk))
        assert code == 2 and "not a RIFF/WAVE file" in err and "Traceback" not in err, err
        assert len(err.strip().splitlines()) == 1
        assert rss - rss_small < 12 * MB, (command, rss_small, rss)
    with pytest.raises(WavError, match="not a RIFF/WAVE"):
        open_wav(junk)


# --- what the blocks hold --------------------------------------------------------------------

@settings(max_examples=40, deadline=None)
@given(st.sampled_from(["pcm16", "alaw", "ulaw"]), st.integers(1, 3), st.integers(0, 3000),
       st.integers(1, 700), st.booleans())
def test_blocks_are_the_whole_audio(tmp_path_factory, encoding, channels, frames, block,
                                    extensible):
    rng = np.random.default_rng(frames)
    shape = (frames, channels) if channels > 1 else (frames,)
    samples = rng.integers(-32768, 32767, shape).astype(np.int16)
    path = tmp_path_factory.mktemp("w") / "x.wav"
    write_wav(path, samples, 8000, encoding, extensible)
    stream = open_wav(path)
    whole = read_wav(path)
    assert (stream.frames, stream.channels, stream.encoding) == (frames, channels, encoding)
    parts = list(stream.blocks(block))
    assert all(len(p) <= block for p in parts) and sum(len(p) for p in parts) == frames
    got = np.concatenate(parts) if parts else whole.samples[:0]
    np.testing.assert_array_equal(got, whole.samples)


def test_open_wav_keeps_read_wavs_rules(tmp_path):
    buf = encode_wav(np.arange(10, dtype=np.int16))
    short = tmp_path / "short.wav"
    short.write_bytes(buf[:-4])  # the data chunk claims more than follows
    with pytest.raises(WavError, match="truncated"):
        open_wav(short)
    stream = open_wav(short, allow_truncated=True)
    assert stream.truncated and stream.frames == 8
    np.testing.assert_array_equal(np.concatenate(list(stream.blocks())), np.arange(8))
    with pytest.raises(ValueError, match="frames"):
        next(stream.blocks(0))


def test_a_file_cut_while_it_is_read_is_an_error(tmp_path):
    path = tmp_path / "x.wav"
    write_wav(path, np.zeros(1000, np.int16))
    stream = open_wav(path)
    os.truncate(path, 44 + 500)
    with pytest.raises(WavError, match="shorter"):
        list(stream.blocks(100))


@settings(max_examples=25, deadline=None)
@given(st.sampled_from([11025, 16000, 22050, 44100, 48000, 8000]), st.integers(1, 2),
       st.integers(0, 30000), st.lists(st.integers(0, 30000), max_size=6),
       st.integers(100, 9000))
def test_resample_blocks_is_resample(rate, channels, frames, cuts, piece):
    rng = np.random.default_rng(frames + rate)
    shape = (frames, channels) if channels > 1 else (frames,)
    x = rng.integers(-20000, 20000, shape).astype(np.int16)
    parts = np.split(x, sorted(min(c, frames) for c in cuts))
    got = list(resample_blocks(parts, rate, 8000, block_frames=piece))
    got = np.concatenate(got) if got else np.zeros(0, np.int16)
    whole = resample(x, rate, 8000)
    assert len(got) == len(whole)
    assert np.abs(got.astype(int) - whole).max(initial=0) <= 1


# --- the commands find the same things in a long file ----------------------------------------

def test_events_far_into_a_long_file_are_found_where_they_are(tmp_path):
    """Digits and a caller ID message beyond the first blocks, one across a block edge."""
    tones = generate_dtmf("159#", on_ms=60, off_ms=60)
    message = cid.generate(cid.CallerId("mdmf", number="5551234", name="ALICE"), "v23")
    audio = np.zeros(200_000, np.int16)
    audio[65536 - 400:65536 - 400 + len(tones)] = tones  # across the first block edge
    audio[120_000:120_000 + len(message)] = message
    path = str(tmp_path / "long.wav")
    write_wav(path, audio)
    import contextlib
    import io
    import json

    from callgate.cli import main

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert main(["--json", "dsp", "dtmf", path]) == 0
        assert main(["--json", "dsp", "cid", path]) == 0
    dtmf, found = [json.loads(line) for line in buf.getvalue().splitlines()]
    assert dtmf["digits"] == "159#" and abs(dtmf["events"][0]["start"] - (65536 - 400)) < 200
    messages = [e for e in found["events"] if e["event"] == "message"]
    assert [(m["standard"], m["number"]) for m in messages] == [("v23", "5551234")]
    assert 15.0 < messages[0]["start_s"] < 15.0 + len(message) / 8000


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=200) | st.builds(
    lambda n, cut, junk: encode_wav(np.arange(n, dtype=np.int16), 8000, "alaw")[:cut] + junk,
    st.integers(0, 50), st.integers(0, 200), st.binary(max_size=20)), st.booleans())
def test_open_wav_and_parse_wav_agree_on_any_bytes(tmp_path_factory, buf, allow):
    """The streaming reader and the in-memory one walk the chunks with the same code: same
    error, or the same audio."""
    from callgate.dsp.wav import parse_wav

    path = tmp_path_factory.mktemp("any") / "x.wav"
    path.write_bytes(buf)
    try:
        whole = parse_wav(buf, str(path), allow)
    except WavError as e:
        with pytest.raises(WavError) as streamed:
            list(open_wav(path, allow).blocks(7))
        assert str(streamed.value) == str(e)
        return
    stream = open_wav(path, allow)
    parts = list(stream.blocks(7))
    got = np.concatenate(parts) if parts else whole.samples[:0]
    np.testing.assert_array_equal(got, whole.samples)
    assert (stream.frames, stream.truncated) == (whole.frames, whole.truncated)


@pytest.mark.parametrize("encoding,rate,channels,to,extra", [
    ("pcm16", 8000, 1, "alaw", []),
    ("ulaw", 8000, 1, "alaw", []),  # G.711 to G.711: the codes, by the tables
    ("alaw", 8000, 1, "pcm16", []),
    ("pcm16", 16000, 2, "ulaw", ["--resample"]),
])
def test_convert_takes_constant_memory(tmp_path, encoding, rate, channels, to, extra):
    small = sparse_wav(tmp_path / "small.wav", 8000, encoding, rate, channels)
    big = sparse_wav(tmp_path / "big.wav", 6_000_000, encoding, rate, channels)
    out = tmp_path / "out.wav"
    code_small, err, rss_small = run_measured("dsp", "convert", small, str(out), "--to", to, *extra)
    assert code_small == 0, err
    code, err, rss_big = run_measured("dsp", "convert", big, str(out), "--to", to, *extra)
    assert code == 0, err
    assert open_wav(out).frames == 6_000_000 * 8000 // rate and open_wav(out).encoding == to
    # Read whole, the input and its converted copies took 12-48 MB here.
    assert rss_big - rss_small < 12 * MB, (rss_small, rss_big)
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]


@pytest.mark.parametrize("encoding,rate,channels,to,frames", [
    ("pcm16", 8000, 1, "ulaw", 70001),  # more than one block, an odd count: the pad byte
    ("alaw", 8000, 1, "ulaw", 65537),
    ("ulaw", 8000, 1, "ulaw", 3),
    ("alaw", 11025, 2, "pcm16", 100003),
    ("pcm16", 44100, 1, "pcm16", 90001),
])
def test_convert_in_blocks_writes_what_the_whole_file_would(tmp_path, encoding, rate, channels, to, frames):
    from callgate.dsp.g711 import alaw_to_ulaw, ulaw_to_alaw
    from callgate.cli import main

    rng = np.random.default_rng(frames)
    shape = (frames, channels) if channels > 1 else (frames,)
    src, out = tmp_path / "in.wav", tmp_path / "out.wav"
    write_wav(src, rng.integers(-20000, 20000, shape).astype(np.int16), rate, encoding)
    wav = read_wav(src)
    if rate != 8000 or channels != 1:
        want = encode_wav(resample(wav.samples, rate, 8000), 8000, to)
    elif wav.codes is not None and to != "pcm16":
        codes = wav.codes if encoding == to else (alaw_to_ulaw if encoding == "alaw" else ulaw_to_alaw)(wav.codes)
        want = encode_wav(codes, 8000, to)
    else:
        want = encode_wav(wav.samples, 8000, to)
    extra = ["--resample"] if rate != 8000 or channels != 1 else []
    assert main(["dsp", "convert", str(src), str(out), "--to", to, *extra]) == 0
    got = out.read_bytes()
    if extra:  # resample_blocks is resample() to within 1 for the rounding
        assert len(got) == len(want) and got[:44] == want[:44]
        a, b = (np.frombuffer(x[44:], "<i2").astype(int) for x in (got, want))
        assert np.abs(a - b).max() <= 1
    else:
        assert got == want
