"""Deploy time on the virtual board: a full deploy and a one-file change, against mpremote cp.

    .venv/bin/python tools/deploy_bench.py [--runs N]

Each run starts a fresh virtual board. `callgate deploy` goes over the data UART (the link);
`mpremote cp -r` goes over the REPL (raw paste), copying the same bundle files, as a manual
update would. Deploy times are split into the transfer (compare, send, verify, commit) and
the whole (plus the restart into the new version until the board confirms it). Bundle
building (mpy-cross) is not timed. Figures in docs/deploy.md.
"""

import argparse
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from callgate.deploy import bundle
from callgate.deploy.deploy import deploy
from callgate.link.client import connect
from callgate import runtime
from callgate.sim.board import VirtualBoard


def mpremote_cp(port: str, folder: pathlib.Path, files: list) -> float:
    args = [str(pathlib.Path(sys.executable).parent / "mpremote"), "connect", port]
    t = time.monotonic()
    cmd = args[:]
    first = True
    for f in files:
        if not first:
            cmd.append("+")
        cmd += ["fs", "cp", str(folder / f), f":mp/{f.replace('/', '_')}"]
        first = False
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if r.returncode:
        raise RuntimeError(r.stderr)
    return time.monotonic() - t


def one_run(tmp: pathlib.Path) -> dict:
    fw = tmp / "firmware"
    shutil.rmtree(fw, ignore_errors=True)
    shutil.copytree(runtime.FIRMWARE, fw, ignore=shutil.ignore_patterns("__pycache__"))
    b1 = bundle.build("virtual-4", firmware=fw, version="0.2.0")
    ports = fw / "callgate" / "ports.py"
    ports.write_text(ports.read_text() + "\n_BENCH = 1\n")
    b2 = bundle.build("virtual-4", firmware=fw, version="0.2.0")
    out = {"files": len(b1.files), "bytes": sum(len(d) for d in b1.files.values())}
    with VirtualBoard("virtual-4") as vb:
        with connect(vb.data_port) as c:
            r = deploy(c, b1)
            out["full_transfer_s"], out["full_total_s"] = r["transfer_s"], r["total_s"]
            t = time.monotonic()
            deploy(c, b1)
            out["nothing_s"] = time.monotonic() - t
            r = deploy(c, b2)
            assert r["send"] == ["callgate/ports.mpy"], r["send"]
            out["one_transfer_s"], out["one_total_s"] = r["transfer_s"], r["total_s"]
        saved = b1.save(tmp / "bundle")
        files = sorted(b1.files)
        subprocess.run([str(pathlib.Path(sys.executable).parent / "mpremote"), "connect", vb.repl_port, "fs", "mkdir", ":mp"],
                       capture_output=True, timeout=60)
        out["mpremote_full_s"] = mpremote_cp(vb.repl_port, saved, files)
        out["mpremote_one_s"] = mpremote_cp(vb.repl_port, saved, ["callgate/ports.mpy"])
    shutil.rmtree(tmp / "bundle", ignore_errors=True)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    runs = []
    with tempfile.TemporaryDirectory(prefix="callgate-deploy-bench-") as tmp:
        for _ in range(args.runs):
            runs.append(one_run(pathlib.Path(tmp)))
    first = runs[0]
    print(f"bundle: {first['files']} files, {first['bytes']} bytes (.mpy); median of {len(runs)} runs")
    for key, label in [
        ("full_transfer_s", "deploy, full: transfer + verify + commit"),
        ("full_total_s", "deploy, full: and restart until confirmed"),
        ("nothing_s", "deploy, nothing changed"),
        ("one_transfer_s", "deploy, one file changed: transfer + verify + commit"),
        ("one_total_s", "deploy, one file changed: and restart until confirmed"),
        ("mpremote_full_s", "mpremote cp, every file (REPL, raw paste)"),
        ("mpremote_one_s", "mpremote cp, one file"),
    ]:
        print(f"  {label:<56} {statistics.median(r[key] for r in runs) * 1000:8.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
