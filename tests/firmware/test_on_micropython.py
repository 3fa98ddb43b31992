"""The shared firmware tests, run again under the real MicroPython Unix port.

pytest runs the test_link_*.py modules here on CPython; this file runs the same modules
under `micropython` with mp_runner.py and fails unless its last line says nothing failed.
"""

import os
import subprocess

from callgate import runtime

HERE = os.path.dirname(os.path.abspath(__file__))


def run_micropython(script, *args, timeout=60):
    env = dict(os.environ, MICROPYPATH=f"{runtime.FIRMWARE}:{HERE}:.frozen")  # .frozen: asyncio
    return subprocess.run(
        [runtime.micropython(), script, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=HERE,
    )


def test_shared_tests_pass_on_micropython():
    r = run_micropython(os.path.join(HERE, "mp_runner.py"), HERE)
    lines = r.stdout.strip().splitlines()
    assert lines, r.stderr
    passed, _, failed, _ = lines[-1].replace(",", "").split()
    assert int(failed) == 0 and r.returncode == 0, r.stdout + r.stderr
    assert int(passed) >= 30, lines[-1]  # every shared module was found and ran


def test_micropython_is_the_real_port():
    r = run_micropython("-c", "import sys; print(sys.implementation.name)")
    assert r.stdout.strip() == "micropython"
