"""Every firmware file compiles with mpy-cross, the compiler that freezes it into a board image.

mpy-cross rejects syntax MicroPython lacks (match, positional-only parameters, except*...)
that CPython would accept, so this is the firmware's syntax gate.
"""

import json
import os
import pathlib
import subprocess

import pytest

from callgate import runtime


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


class _Options:
    """MicroPython's manifest `options`: include()'s keyword arguments, with defaults."""

    def __init__(self, kwargs):
        self._kwargs = kwargs
        self._defaults = {}

    def defaults(self, **kw):
        self._defaults = kw

    def __getattr__(self, name):
        return self._kwargs.get(name, self._defaults.get(name))


def _frozen(manifest):
    """The files a board's manifest.py freezes, run as MicroPython's build runs it
    (tools/manifestfile.py: each manifest runs in its own folder; include() of a folder runs
    its manifest.py with the keyword arguments as `options`)."""
    frozen = []

    def run(path, kwargs):
        prev = os.getcwd()
        os.chdir(path.parent)
        try:
            scope = {"package": package, "module": module, "include": include, "options": _Options(kwargs),
                     "metadata": lambda **kw: None}
            exec(compile(path.read_text(), str(path), "exec"), scope)
        finally:
            os.chdir(prev)

    def package(name, files=None, base_path=".", opt=None):
        path = pathlib.Path(base_path).resolve() / name
        assert path.is_dir(), path
        if files is None:
            frozen.extend(path.rglob("*.py"))
        else:
            for f in files:
                assert (path / f).is_file(), path / f
                frozen.append(path / f)

    def module(name, base_path=".", opt=None):
        path = pathlib.Path(base_path).resolve() / name
        assert path.is_file(), path
        frozen.append(path)

    def include(path, **kwargs):
        if path.startswith(("$(PORT_DIR)", "$(MPY_DIR)")):  # the port's, or MicroPython's (extmod/asyncio)
            return
        target = pathlib.Path(path).resolve()
        run(target / "manifest.py" if target.is_dir() else target, kwargs)

    run(manifest.resolve(), {})
    return frozen


def test_board_manifests_freeze_the_firmware_with_their_own_hal_backend():
    """Each board's manifest.py freezes main.py, every file of the callgate package but the
    other boards' HAL backends, and the backend its board.json names: an MCU image holds no
    virtual-board code."""
    manifests = sorted(pathlib.Path(runtime.BOARDS).glob("*/manifest.py"))
    assert len(manifests) >= 3
    package = runtime.FIRMWARE / "callgate"
    backends = {p.name for p in package.glob("hal_*.py")}
    assert backends == {"hal_virtual.py", "hal_mcu.py"}
    kinds = set()
    for manifest in manifests:
        hal = json.loads((manifest.parent / "board.json").read_text())["hal"]
        kinds.add(hal)
        # (a board's own files, e.g. qemu-m4f's _boot.py, are the board's, not the firmware's)
        frozen = {p.resolve() for p in _frozen(manifest) if manifest.parent.resolve() not in p.resolve().parents}
        want = {p.resolve() for p in package.rglob("*.py") if p.name not in backends or p.name == f"hal_{hal}.py"}
        want.add((runtime.FIRMWARE / "main.py").resolve())
        assert frozen == want, (manifest, sorted(str(p) for p in frozen ^ want))
    assert kinds == {"virtual", "mcu"}


def test_firmware_manifest_refuses_an_unknown_backend(tmp_path):
    m = tmp_path / "manifest.py"
    m.write_text(f'include("{runtime.FIRMWARE}", hal="fpga")\n')
    with pytest.raises(ValueError, match="hal='fpga'"):
        _frozen(m)
