"""Output paths (issue 12): a command's output file is written the way a Unix tool writes it.
A regular file (or a new path) is replaced atomically; a FIFO, a device or standard output by
another name is written through; a symbolic link keeps being a link; `-` is standard output;
a full device is one line and a non-zero exit."""

import os
import stat
import subprocess
import threading

import pytest

from callgate.cli import build_parser, commands
from callgate.cli.output import write_output
from callgate.dsp.wav import read_wav

from clitools import callgate, run

NULL, FULL = os.makedev(1, 3), os.makedev(1, 7)  # Linux: /dev/null, /dev/full


def device(path, dev):
    """A character device node of our own (as /dev/null or /dev/full), so no test can harm
    the system's; skipped where making device nodes is not allowed."""
    try:
        os.mknod(path, 0o666 | stat.S_IFCHR, dev)
    except (PermissionError, OSError) as e:
        pytest.skip(f"cannot make a device node here: {e}")
    return path


def read_fifo(path, into: list):
    t = threading.Thread(target=lambda: into.append(open(path, "rb").read()), daemon=True)
    t.start()
    return t


def test_a_fifo_is_written_through_not_replaced(tmp_path, capsys):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got = []
    reader = read_fifo(fifo, got)
    code, out, _ = run(capsys, "dsp", "gen-dtmf", "159", fifo)
    reader.join(10)
    assert code == 0 and str(fifo) in out
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert got and got[0][:4] == b"RIFF" and len(got[0]) == 44 + 2 * 3 * 840


def test_a_symlink_stays_a_link_and_its_target_gets_the_file(tmp_path, capsys):
    target = tmp_path / "real.wav"
    target.write_bytes(b"old")
    os.chmod(target, 0o640)
    link = tmp_path / "link.wav"
    link.symlink_to("real.wav")
    code, _, _ = run(capsys, "dsp", "tone", "US", "dial", link, "--seconds", "0.5")
    assert code == 0
    assert os.path.islink(link) and os.readlink(link) == "real.wav"
    assert read_wav(target).frames == 4000
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o640  # the file keeps its permissions
    dangling = tmp_path / "dangling.wav"
    dangling.symlink_to("made.wav")
    assert run(capsys, "dsp", "gen-dtmf", "1", dangling)[0] == 0
    assert os.path.islink(dangling) and read_wav(tmp_path / "made.wav").frames == 840


def test_a_regular_file_is_replaced_in_one_rename(tmp_path, capsys):
    out = tmp_path / "x.wav"
    out.write_bytes(b"old")
    before = os.stat(out).st_ino
    assert run(capsys, "dsp", "gen-dtmf", "1", out)[0] == 0
    assert os.stat(out).st_ino != before and read_wav(out).frames == 840
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.wav"]  # no temporary file left


def test_a_device_is_written_through(tmp_path, capsys):
    null = device(tmp_path / "null", NULL)
    assert run(capsys, "dsp", "gen-dtmf", "1", null)[0] == 0
    assert stat.S_ISCHR(os.lstat(null).st_mode)


def test_a_full_device_is_one_clean_line_and_stays_a_device(tmp_path):
    full = device(tmp_path / "full", FULL)
    for argv in (["dsp", "gen-dtmf", "1", full], ["--json", "dsp", "gen-dtmf", "1", full]):
        r = callgate(*argv)
        assert r.returncode != 0 and "Traceback" not in r.stderr
        text = r.stdout if "--json" in argv else r.stderr
        assert text.count("\n") == 1 and f"{full}: No space left on device" in text, (r.stdout, r.stderr)
        assert stat.S_ISCHR(os.lstat(full).st_mode)


def test_writing_to_standard_output_full_is_one_clean_line():
    """`-` onto a full device: the error shows when the data is flushed, still one line."""
    with open("/dev/full", "wb") as full:
        r = callgate("dsp", "gen-dtmf", "1", "-", stdout=full, stderr=subprocess.PIPE)
    assert r.returncode != 0 and "Traceback" not in r.stderr
    assert r.stderr.count("\n") == 1 and "No space left on device" in r.stderr, r.stderr


def test_text_onto_a_full_standard_output_is_one_clean_line(tmp_path):
    for argv in (["dsp", "gen-dtmf", "1", tmp_path / "x.wav"], ["--json", "rig", "check", "plans/short.yaml"]):
        with open("/dev/full", "wb") as full:
            r = callgate(*argv, stdout=full, stderr=subprocess.PIPE)
        assert r.returncode == 2 and r.stderr == "callgate: error: standard output: No space left on device\n", r.stderr


def test_dash_and_dev_stdout_are_standard_output(tmp_path):
    for name in ("-", "/dev/stdout"):
        r = callgate("dsp", "gen-dtmf", "12", name, text=False)
        assert r.returncode == 0 and r.stdout[:4] == b"RIFF" and len(r.stdout) == 44 + 2 * 1680
        assert b"2 DTMF digit(s)" in r.stderr  # the summary steps aside to standard error
        r = callgate("--json", "dsp", "tone", "CN", "busy", name, "--seconds", "1", "--encoding", "alaw", text=False)
        assert r.returncode == 0 and r.stdout[:4] == b"RIFF"
        assert b'"seconds": 1.0' in r.stderr


def test_a_directory_or_a_missing_folder_is_refused(tmp_path, capsys):
    code, _, err = run(capsys, "dsp", "gen-dtmf", "1", tmp_path)
    assert code == 2 and err == f"callgate: error: {tmp_path}: is a directory, not a file\n"
    code, _, err = run(capsys, "dsp", "gen-dtmf", "1", tmp_path / "nope" / "x.wav")
    assert code == 2 and err == f"callgate: error: {tmp_path / 'nope' / 'x.wav'}: no such directory for the output\n"


def test_every_output_option_takes_dash():
    """Every command's output path says it takes `-` (the commands are found in the parser,
    so a new one is held to it too)."""
    outputs = [(" ".join(words), a) for words, p in commands(build_parser()) for a in p._actions
               if a.dest == "output"]
    assert len(outputs) >= 7  # dsp gen-dtmf, tone, convert, gen-cid; cdr pull, recordings sample, config pull
    for where, a in outputs:
        assert "-" in (a.help or "") and "standard output" in a.help, where


def test_write_output_text_and_a_fifo_through_a_link(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    link = tmp_path / "to-pipe"
    link.symlink_to(fifo)
    got = []
    reader = read_fifo(fifo, got)
    write_output(link, "caf\u00e9\n")
    reader.join(10)
    assert got == ["caf\u00e9\n".encode()] and os.path.islink(link) and stat.S_ISFIFO(os.stat(fifo).st_mode)
