"""`callgate dsp gen-dtmf | tone | convert` end to end: real WAV files, read back and measured."""

import json
import math
import re
import subprocess
import sys

import numpy as np
import pytest

from callgate import dsp
from callgate.cli import main
from callgate.dsp.wav import read_wav, write_wav

RATE = 8000
PEAK_0DBM0 = {"ulaw": 8159 * 4 * 10 ** (-3.17 / 20), "alaw": 4096 * 8 * 10 ** (-3.14 / 20)}


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def level_dbm0(x, freq, law="ulaw"):
    t = np.arange(len(x)) / RATE
    basis = np.column_stack([np.cos(2 * np.pi * freq * t), np.sin(2 * np.pi * freq * t)])
    coef, *_ = np.linalg.lstsq(basis, x.astype(float), rcond=None)
    return 20 * math.log10(np.hypot(*coef) / PEAK_0DBM0[law])


def strongest_hz(x):
    spectrum = np.abs(np.fft.rfft(x.astype(float), RATE))  # 1 Hz bins
    return int(np.argmax(spectrum))


def test_gen_dtmf_writes_the_digits(tmp_path, capsys):
    out = tmp_path / "digits.wav"
    code, stdout, _ = run(capsys, "dsp", "gen-dtmf", "159#", out)
    assert code == 0 and "4 DTMF digit(s), 0.420 s, pcm16" in stdout
    got = read_wav(out)
    assert (got.sample_rate, got.channels, got.encoding, got.frames) == (8000, 1, "pcm16", 3360)
    assert "".join(e.digit for e in dsp.detect_dtmf(got.samples)) == "159#"
    first = got.samples[16:400 - 16]
    assert abs(level_dbm0(first, 697) + 10) < 0.3 and abs(level_dbm0(first, 1209) + 10) < 0.3
    assert not np.any(got.samples[400 + 8:840 - 8])  # 50 ms on, then 55 ms off


def test_gen_dtmf_options_and_alaw_levels(tmp_path, capsys):
    out = tmp_path / "d.wav"
    code, _, _ = run(capsys, "dsp", "gen-dtmf", "8", out, "--level", "-20", "--twist", "3",
                     "--on-ms", "200", "--off-ms", "100", "--encoding", "alaw")
    assert code == 0
    got = read_wav(out)
    assert got.encoding == "alaw" and got.frames == 2400
    tone = got.samples[16:1600 - 16]
    assert abs(level_dbm0(tone, 852, "alaw") + 20) < 0.3
    assert abs(level_dbm0(tone, 1336, "alaw") + 17) < 0.3


def test_tone_writes_a_plan_tone_with_its_cadence(tmp_path, capsys):
    out = tmp_path / "busy.wav"
    code, _, _ = run(capsys, "dsp", "tone", "CN", "busy", out, "--seconds", "2",
                     "--encoding", "ulaw")
    assert code == 0
    got = read_wav(out)
    assert got.encoding == "ulaw" and got.frames == 16000
    x = got.samples
    assert strongest_hz(x[:8000]) == 450
    assert abs(level_dbm0(x[16:2800 - 16], 450) + 10) < 0.3
    # 350 ms on / 350 ms off (2800 samples each), the ramps aside.
    peak = PEAK_0DBM0["ulaw"] * 10 ** (-10 / 20)
    for k in range(3):
        on = x[5600 * k + 8:5600 * k + 2800 - 8]
        off = x[5600 * k + 2800 + 16:5600 * (k + 1) - 16]
        assert np.all(np.abs(on[8:-8]).reshape(-1, 16).max(axis=1) > 0.95 * peak)  # each 2 ms
        assert not np.any(off)


def test_tone_json_before_and_after_the_command(tmp_path, capsys):
    out = tmp_path / "t.wav"
    code, stdout, _ = run(capsys, "--json", "dsp", "tone", "itu", "reorder", out,
                          "--seconds", "0.5")
    record = json.loads(stdout)
    assert code == 0 and record["plan"] == "EU" and record["tone"] == "congestion"
    assert record["frequencies_hz"] == [425] and record["samples"] == 4000
    assert record["segments"] == [[425, 0, 250], [0, 0, 250]]
    code, stdout, _ = run(capsys, "dsp", "tone", "US", "ringback", out, "--seconds", "1",
                          "--level", "-25", "--json")
    record = json.loads(stdout)
    assert record["level_dbm0"] == -25 and record["frequencies_hz"] == [440, 480]
    assert abs(level_dbm0(read_wav(out).samples[100:7900], 440) + 25) < 0.3
    code, stdout, _ = run(capsys, "dsp", "gen-dtmf", "1", out, "--json")
    assert json.loads(stdout)["samples"] == 840


@pytest.mark.parametrize("argv,message", [
    (["tone", "XX", "busy"], r"unknown tone plan 'XX' \(valid: CN, US, EU; ITU = EU\)"),
    (["tone", "US", "call-waiting"], r"plan US has no tone 'call-waiting' \(valid: dial, busy,"),
    (["gen-dtmf", "12x"], r"digits: 'x' at position 2 is not a DTMF digit"),
    (["gen-dtmf", ""], r"DIGITS is empty"),
])
def test_unknown_names_are_one_line_errors(tmp_path, capsys, argv, message):
    out = tmp_path / "x.wav"
    extra = ["--seconds", "1"] if argv[0] == "tone" else []
    code, stdout, stderr = run(capsys, "dsp", *argv, out, *extra)
    assert code == 2 and stdout == ""
    assert stderr.startswith("callgate: error: ") and "Traceback" not in stderr
    assert re.search(message, stderr), stderr
    assert not out.exists()


@pytest.mark.parametrize("argv,name", [
    (["gen-dtmf", "1", "OUT", "--on-ms", "1"], "--on-ms: 1 "),
    (["gen-dtmf", "1", "OUT", "--level", "10"], "--level: 10 "),
    (["gen-dtmf", "1", "OUT", "--level", "-70", "--twist", "-20"], "--twist -20"),
    (["tone", "CN", "dial", "OUT", "--seconds", "-1"], "--seconds: -1 "),
    (["tone", "CN", "dial", "OUT", "--seconds", "nan"], "--seconds: 'nan'"),
])
def test_bad_values_are_errors_naming_the_parameter(tmp_path, capsys, argv, name):
    out = tmp_path / "x.wav"
    out.write_bytes(b"keep me")
    code, _, stderr = run(capsys, "dsp", *[out if a == "OUT" else a for a in argv])
    assert code == 2 and stderr.startswith("callgate: error: ") and name in stderr
    assert out.read_bytes() == b"keep me"  # never half-overwritten


def test_missing_output_directory_is_named(tmp_path, capsys):
    out = tmp_path / "no such dir" / "x.wav"
    code, _, stderr = run(capsys, "dsp", "gen-dtmf", "1", out)
    assert code == 2 and "no such directory for the output" in stderr
    assert str(tmp_path / "no such dir") in stderr


def _sine_file(path, rate, channels, freq=1000, seconds=0.5):
    t = np.arange(int(rate * seconds)) / rate
    x = np.round(6000 * np.sin(2 * np.pi * freq * t)).astype(np.int16)
    write_wav(path, np.stack([x] * channels, 1) if channels > 1 else x, rate, "pcm16")


def test_convert_needs_resample_for_other_rates_and_channels(tmp_path, capsys):
    src, out = tmp_path / "cd.wav", tmp_path / "out.wav"
    _sine_file(src, 44100, 2)
    code, _, stderr = run(capsys, "dsp", "convert", src, out, "--to", "ulaw")
    assert code == 2 and "44100 Hz 2 channels" in stderr and "--resample" in stderr
    assert not out.exists()
    code, stdout, _ = run(capsys, "--json", "dsp", "convert", src, out, "--to", "ulaw",
                          "--resample")
    record = json.loads(stdout)
    assert code == 0 and record["resampled"] and record["from"]["sample_rate"] == 44100
    got = read_wav(out)
    assert (got.sample_rate, got.channels, got.encoding, got.frames) == (8000, 1, "ulaw", 4000)
    assert strongest_hz(got.samples) == 1000
    level = 20 * math.log10(np.sqrt(np.mean(got.samples[200:-200].astype(float) ** 2))
                            / (6000 / math.sqrt(2)))
    assert abs(level) < 0.2
    # Mono at another rate, and stereo at 8 kHz, need it too.
    for rate, channels in ((16000, 1), (8000, 2)):
        _sine_file(src, rate, channels)
        code, _, stderr = run(capsys, "dsp", "convert", src, out, "--to", "pcm16")
        assert code == 2 and "--resample" in stderr
        assert run(capsys, "dsp", "convert", src, out, "--to", "pcm16", "--resample")[0] == 0
        assert read_wav(out).channels == 1 and read_wav(out).sample_rate == 8000


def test_convert_between_encodings(tmp_path, capsys):
    src, a, u, p = (tmp_path / n for n in ("src.wav", "a.wav", "u.wav", "p.wav"))
    x = dsp.generate_dtmf("42")
    write_wav(src, x, 8000, "pcm16")
    assert run(capsys, "dsp", "convert", src, a, "--to", "alaw")[0] == 0
    np.testing.assert_array_equal(read_wav(a).codes, dsp.alaw_encode(x))
    # A-law to mu-law goes by G.711's table, code for code.
    code, stdout, _ = run(capsys, "dsp", "convert", a, u, "--to", "ulaw")
    assert code == 0 and "G.711 tables" in stdout
    np.testing.assert_array_equal(read_wav(u).codes, dsp.alaw_to_ulaw(dsp.alaw_encode(x)))
    assert run(capsys, "dsp", "convert", u, p, "--to", "pcm16")[0] == 0
    np.testing.assert_array_equal(read_wav(p).samples, read_wav(u).samples)
    # Same encoding: the codes are copied untouched; in place is fine (atomic).
    before = read_wav(u).codes
    assert run(capsys, "dsp", "convert", u, u, "--to", "ulaw")[0] == 0
    np.testing.assert_array_equal(read_wav(u).codes, before)


def test_convert_refuses_broken_input_in_one_line(tmp_path, capsys):
    bad, out = tmp_path / "bad.wav", tmp_path / "out.wav"
    bad.write_bytes(b"RIFF\x24\x00\x00\x00WAVEfmt ")
    code, _, stderr = run(capsys, "dsp", "convert", bad, out, "--to", "ulaw")
    assert code == 2 and stderr.startswith(f"callgate: error: {bad}: ")
    code, _, stderr = run(capsys, "dsp", "convert", tmp_path / "none.wav", out, "--to", "ulaw")
    assert code == 2 and "No such file" in stderr
    assert not out.exists()


def test_the_installed_command_runs(tmp_path):
    out = tmp_path / "sit.wav"
    proc = subprocess.run([sys.executable, "-m", "callgate", "--json", "dsp", "tone", "US", "sit",
                           str(out), "--seconds", "3", "--encoding", "alaw"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["frequencies_hz"] == [950, 1400, 1800]
    got = read_wav(out)
    assert got.encoding == "alaw" and got.frames == 24000
    assert [strongest_hz(got.samples[i * 2640 + 100:(i + 1) * 2640 - 100])
            for i in range(3)] == [950, 1400, 1800]
