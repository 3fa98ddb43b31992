"""Every firmware file compiles with mpy-cross, the compiler that freezes it into a board image.

mpy-cross rejects syntax MicroPython lacks (match, positional-only parameters, except*...)
that CPython would accept, so this is the firmware's syntax gate.
"""

import pathlib
import subprocess

from callgate.sim import runtime


def test_every_firmware_file_compiles(tmp_path):
    files = sorted(runtime.FIRMWARE.rglob("*.py"))
    assert len(files) >= 10
    failures = []
    for src in files:
        out = tmp_path / (src.stem + ".mpy")
        r = subprocess.run(
            [runtime.mpy_cross(), "-o", str(out), str(src)],
            capture_output=True,
            text=True,
            timeout=30,
        )
        if r.returncode != 0 or not out.is_file():
            failures.append(f"{src.relative_to(runtime.ROOT)}: {r.stderr.strip()}")
    assert not failures, "\n".join(failures)


def test_mpy_cross_catches_cpython_only_syntax(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("def f(a, /):\n    match a:\n        case 1:\n            return 2\n")
    r = subprocess.run([runtime.mpy_cross(), str(bad)], capture_output=True, timeout=30)
    assert r.returncode != 0


def test_board_manifests_name_existing_files():
    for manifest in pathlib.Path(runtime.BOARDS).glob("*/manifest.py"):
        text = manifest.read_text()
        assert "firmware" in text, manifest
