"""callgate as a user installs it: a real wheel in a clean venv outside the source tree.

The wheel is built (`pip wheel --no-deps`) from a copy of the checkout's files, installed into a
new venv in a temporary folder with its dependencies from the package index (pip's cache is
reused), and the tests run that venv's commands from another folder, with no PYTHONPATH: the
DSP commands on a WAV, a virtual board in the background with status, deploy (the firmware
inside the wheel), the short rig plan and a small site provisioned, and the demo call center
(the demo site inside the wheel). Nothing may be imported from a source tree, and every
process started is gone at the end.
"""

import json
import os
import pathlib
import select
import shutil
import signal
import subprocess
import sys
import time

import pytest

pytestmark = pytest.mark.slow

CHECKOUT = pathlib.Path(__file__).resolve().parents[2]
# What the checkout holds that a fresh clone does not (.gitignore) or that is no source.
NOT_SOURCE = shutil.ignore_patterns(".git", ".venv", "build", "__pycache__", "*.egg-info", "*.so", "*.o",
                                    "_dsp.c", "_dsp.stamp", ".hypothesis", ".pytest_cache")

SITE = """\
site: mini
board: virtual-4
ports:
  - {port: 0, kind: fxo, name: trunk1, plan: CN}
  - {port: 1, kind: fxo, name: trunk2, plan: CN}
  - {port: 2, kind: fxs, name: desk1, agent: {name: Alice, extension: "201", skills: [sales]}}
  - {port: 3, kind: fxs, name: desk2, agent: {name: Bob, extension: "202", skills: [sales]}}
prompts:
  welcome: prompts/welcome.wav
  hold: prompts/hold.wav
ivr:
  start: main
  menus:
    main:
      prompt: welcome
      options:
        1: {action: queue, queue: sales}
queues:
  sales: {skills: [sales], hold_prompt: hold, max_wait_s: 60}
"""

IMPORTS = """\
import json, sys
import callgate, callgate.cli, callgate.demo, callgate.demo_center, callgate.deploy.bundle
import callgate.firmware.link.frame, callgate.link.client, callgate.sim.board
from callgate import runtime
print(json.dumps({
    "modules": {n: getattr(m, "__file__", None) for n, m in sys.modules.items() if n.split(".")[0] == "callgate"},
    "root": runtime.ROOT and str(runtime.ROOT),
    "files": [str(p.resolve()) for p in (runtime.BOARDS, runtime.DEMO_SITE, runtime.FIRMWARE / "main.py",
                                         runtime.FIRMWARE / "callgate" / "__init__.py")],
}))
"""


class Venv:
    """The installed callgate: run(args) runs a command of its bin/ in the work folder."""

    def __init__(self, path: pathlib.Path, work: pathlib.Path):
        self.path = path
        self.bin = path / "bin"
        self.work = work
        self.tmp = work.parent / "tmp"  # TMPDIR of everything it runs: what is left there is seen
        self.tmp.mkdir(exist_ok=True)
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
        env.update(PATH=f"{self.bin}{os.pathsep}{env.get('PATH', '')}", TMPDIR=str(self.tmp),
                   CALLGATE_RUNTIME_DIR=str(work.parent / "run"), PYTHONUNBUFFERED="1")
        self.env = env

    def run(self, *args, timeout=300, ok=True) -> subprocess.CompletedProcess:
        exe = str(self.bin / args[0])
        r = subprocess.run([exe, *args[1:]], cwd=self.work, env=self.env, capture_output=True, text=True,
                           timeout=timeout)
        if ok:
            assert r.returncode == 0, f"{' '.join(args)}: exit {r.returncode}\n{r.stdout}\n{r.stderr}"
        return r

    def processes(self) -> list[str]:
        """Command lines of the live processes running something of this venv."""
        found = []
        for proc in pathlib.Path("/proc").iterdir():
            try:
                if not proc.name.isdigit() or (proc / "stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
                    continue
                cmd = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if str(self.path) in cmd:
                found.append(f"{proc.name}: {cmd}")
        return found


@pytest.fixture(scope="module")
def venv(tmp_path_factory):
    base = tmp_path_factory.mktemp("install")
    assert CHECKOUT not in base.parents
    src = base / "src"
    shutil.copytree(CHECKOUT, src, ignore=NOT_SOURCE)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    r = subprocess.run([*pip, "wheel", "--no-deps", "-q", "-w", str(base / "dist"), str(src)],
                       cwd=base, capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, f"pip wheel:\n{r.stdout}\n{r.stderr}"
    (wheel,) = (base / "dist").glob("callgate-*.whl")
    subprocess.run([sys.executable, "-m", "venv", str(base / "venv")], check=True, timeout=300)
    r = subprocess.run([str(base / "venv" / "bin" / "python"), "-m", "pip", "install", "-q", str(wheel)],
                       cwd=base, capture_output=True, text=True, timeout=1800)
    assert r.returncode == 0, f"pip install:\n{r.stdout}\n{r.stderr}"
    shutil.rmtree(src)  # from here on, no source tree next to it either
    (base / "work").mkdir()
    v = Venv(base / "venv", base / "work")
    yield v
    left = v.processes()
    for line in left:
        os.kill(int(line.split(":")[0]), signal.SIGKILL)
    assert not left, "still running:\n" + "\n".join(left)


def test_everything_is_imported_from_the_installed_wheel(venv):
    r = venv.run("python", "-c", IMPORTS)
    info = json.loads(r.stdout)
    site = pathlib.Path(info["modules"]["callgate"]).parent.parent
    assert site.name == "site-packages" and venv.path in site.parents
    assert info["root"] is None  # no checkout found
    files = [f for f in info["modules"].values() if f] + info["files"]
    assert info["modules"]["callgate.firmware"] == str(site / "callgate" / "firmware" / "__init__.py")
    assert len(info["modules"]) > 20
    for f in files:
        assert pathlib.Path(f).is_relative_to(site), f
        assert not pathlib.Path(f).is_relative_to(CHECKOUT), f


def test_help_and_the_dsp_commands_on_a_wav(venv):
    assert "usage: callgate" in venv.run("callgate", "--help").stdout
    venv.run("callgate", "dsp", "gen-dtmf", "159#D", "digits.wav", "--encoding", "ulaw")
    assert (venv.work / "digits.wav").read_bytes()[:4] == b"RIFF"
    out = venv.run("callgate", "dsp", "dtmf", "digits.wav").stdout
    assert "5 digit(s): 159#D" in out, out


def test_sim_status_deploy_rig_and_provision(venv):
    sim = subprocess.Popen([str(venv.bin / "callgate"), "sim", "--board", "virtual-4", "--json"], cwd=venv.work,
                           env=venv.env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, start_new_session=True)
    try:
        ready, _, _ = select.select([sim.stdout], [], [], 60)
        assert ready, "callgate sim printed nothing in 60 s"
        line = sim.stdout.readline()
        assert line, f"callgate sim ended: {sim.stderr.read()}"
        ports = json.loads(line)
        port = ["--port", ports["data"]]

        assert "board virtual-4" in venv.run("callgate", *port, "status").stdout

        # The firmware inside the wheel, compiled: the same bundle as the checkout's firmware/.
        from callgate.deploy import bundle

        expected = bundle.build("virtual-4")
        r = json.loads(venv.run("callgate", *port, "deploy", "--board", "virtual-4", "--json").stdout)
        assert (r["state"], r["slot"], r["version"]) == ("running", expected.slot, expected.version), r
        # --source names a firmware tree: the checkout's is what the board now runs.
        r = json.loads(venv.run("callgate", *port, "deploy", "--source", str(CHECKOUT / "firmware"),
                                "--dry-run", "--json").stdout)
        assert r["up_to_date"], r

        shutil.copyfile(CHECKOUT / "plans" / "short.yaml", venv.work / "short.yaml")  # a user's own plan
        r = venv.run("callgate", *port, "rig", "run", "short.yaml", "--out", "rig", timeout=600)
        results = json.loads((venv.work / "rig" / "results.json").read_text())
        assert "6 passed, 0 failed" in r.stdout, r.stdout
        assert (venv.work / "rig" / "junit.xml").is_file() and results

        (venv.work / "site" / "prompts").mkdir(parents=True)
        venv.run("callgate", "dsp", "gen-dtmf", "1", "site/prompts/welcome.wav", "--encoding", "ulaw")
        venv.run("callgate", "dsp", "gen-dtmf", "2", "site/prompts/hold.wav", "--encoding", "ulaw")
        (venv.work / "site" / "site.yaml").write_text(SITE)
        out = venv.run("callgate", *port, "provision", "site/site.yaml").stdout
        assert "site mini applied" in out, out
    finally:
        os.killpg(sim.pid, signal.SIGTERM)
        try:
            sim.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(sim.pid, signal.SIGKILL)
            sim.wait()
            raise AssertionError("callgate sim did not stop on SIGTERM") from None
    deadline = time.monotonic() + 10
    while venv.processes() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not venv.processes()
    # Only the port locks' folder may stay (like /run/lock: its files are locked, not owned).
    left = [p.name for p in venv.tmp.glob("callgate-*") if not p.name.startswith("callgate-locks-")]
    assert not left, "left in TMPDIR: " + ", ".join(left)


def test_demo_call_center(venv):
    """The demo site travels in the wheel: two minutes of the call center, records pulled."""
    r = venv.run("python", "-m", "callgate.demo", "--minutes", "2", "--seed", "1", "--out", "demo", timeout=600)
    assert "left" in r.stdout and "call record" in r.stdout, r.stdout
    records = json.loads((venv.work / "demo" / "cdr.json").read_text())
    assert records, r.stdout
    assert not venv.processes()
