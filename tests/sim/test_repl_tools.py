"""The virtual board's REPL with the tools a user runs against a board (real mpremote, real
`callgate` processes), as issue 12 found them."""

import subprocess

from callgate import runtime
from callgate.sim.board import VirtualBoard


def mpremote(port, *args, timeout=60):
    return subprocess.run([runtime.tool("mpremote"), "connect", port, *args],
                          capture_output=True, text=True, timeout=timeout)


def test_mpremote_mount_imports_from_the_mounted_folder(tmp_path):
    """`mpremote mount . exec "import m"`: a board's sys.path starts with "" (the current
    folder, which mount makes /remote), so the host folder's modules import."""
    (tmp_path / "m.py").write_text("X = 42\n")
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("Y = 'pkg'\n")
    with VirtualBoard("virtual-4") as vb:
        r = mpremote(vb.repl_port, "exec", "import sys; print(sys.path[0] == '')")
        assert r.returncode == 0 and r.stdout.strip() == "True", (r.stdout, r.stderr)
        r = mpremote(vb.repl_port, "mount", str(tmp_path), "exec",
                     "import m, pkg; print(m.X, pkg.Y)")
        assert r.returncode == 0, r.stderr
        assert r.stdout.strip().splitlines()[-1] == "42 pkg"
        # the flash is the current folder otherwise: its files import as before
        r = mpremote(vb.repl_port, "exec",
                     "import os; f = open('flashmod.py', 'w'); f.write('Z = 7'); f.close(); "
                     "import flashmod; "
                     "print(os.getcwd(), flashmod.Z)")
        assert r.stdout.strip() == "/flash 7", (r.stdout, r.stderr)
