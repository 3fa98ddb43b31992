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
    """Each board's manifest.py, run with the manifest functions MicroPython's build provides,
    freezes files that exist (paths relative to the manifest)."""
    manifests = sorted(pathlib.Path(runtime.BOARDS).glob("*/manifest.py"))
    assert len(manifests) >= 2
    for manifest in manifests:
        frozen = []

        def package(name, files=None, base_path=".", opt=None, _m=manifest):
            path = _m.parent / base_path / name
            assert path.is_dir(), path
            frozen.extend(path.rglob("*.py"))

        def module(name, base_path=".", opt=None, _m=manifest):
            path = _m.parent / base_path / name
            assert path.is_file(), path
            frozen.append(path)

        def include(path):
            assert path.startswith(("$(PORT_DIR)", "$(MPY_DIR)")), path  # the port's, or MicroPython's (extmod/asyncio)

        scope = {"package": package, "module": module, "include": include, "metadata": lambda **kw: None}
        exec(compile(manifest.read_text(), str(manifest), "exec"), scope)
        names = {f.name for f in frozen}
        assert {"main.py", "hal.py", "endpoint.py"} <= names, manifest
