"""What the CLI tests share: main() in this process, `callgate` as a process, and a running
`callgate sim --json` (the real firmware on MicroPython behind a pty)."""

import json
import os
import pathlib
import select
import subprocess
import sys

from callgate.cli import main

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "records"))  # cdrs (call records), minisite (a site for virtual-4)

CALLGATE = [sys.executable, "-m", "callgate"]


def run(capsys, *argv):
    """main() in this process: (exit code, stdout, stderr)."""
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def callgate(*argv, env=None, timeout=120, **kw):
    """`callgate ARGV` as a process: a CompletedProcess with text stdout and stderr."""
    kw.setdefault("text", True)
    if "stdout" not in kw and "stderr" not in kw:
        kw["capture_output"] = True
    return subprocess.run(CALLGATE + [str(a) for a in argv], timeout=timeout, env=env, cwd=ROOT, **kw)


class Sim:
    """A running `callgate sim --json`: its ports from the JSON line it printed first."""

    def __init__(self, runtime_dir, board="virtual-4"):
        self.env = dict(os.environ, CALLGATE_RUNTIME_DIR=str(runtime_dir))
        self.proc = subprocess.Popen(CALLGATE + ["sim", "--board", board, "--clock", "8", "--json"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, env=self.env, cwd=ROOT)
        if not select.select([self.proc.stdout], [], [], 60)[0]:
            self.close()
            raise RuntimeError("callgate sim did not start")
        self.first_line = self.proc.stdout.readline()
        self.info = json.loads(self.first_line)
        self.port = self.info["data"]

    def command(self, line: str) -> str:
        """A line command on the sim's standard input; its reply line."""
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        assert select.select([self.proc.stdout], [], [], 30)[0], f"no reply to {line!r}"
        return self.proc.stdout.readline()

    def close(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for f in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            f.close()
