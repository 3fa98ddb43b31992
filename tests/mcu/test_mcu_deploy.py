"""`callgate --port DATA deploy` on the emulated MCU: the firmware package compiled for its
arch (armv7emsp .mpy) as one ROMFS image (board.json "deploy": {"romfs"}), uploaded to the
flash over the data UART, copied by the board into the ROMFS partition not running (board.c's
flash controller: the memory and rom<N>.img beside flash.img), boot.json switched, the board
reset (machine.reset: QEMU restarts the image, the flash files stay) and the new slot
confirmed by the app, which runs from the partition in place.

In order, on one board (one QEMU at a time; a power cut is QEMU stopped and started again
on the same working folder):
  - the frozen firmware's live heap (hal_mcu's peak, read from the REPL: the app stops);
  - deploy: the app runs from romN:..., and its live heap stays within HEAP_SLACK of the
    frozen run's (a folder slot loaded every module's bytecode into the heap: 120 KB of the
    144 KB heap against 63 KB frozen, and the app died of MemoryError a few seconds later);
  - the same bundle again: nothing to do; status answers;
  - a power cut: the board comes back up on the deployed partition;
  - a build that does not come up: 3 failed boots, then the board is back on the partition
    it ran before.
"""

import json
import shutil
import subprocess
import sys
import time

import pytest

from callgate import runtime
from callgate.deploy.bundle import build
from callgate.firmware.link import messages
from callgate.link.client import connect
from callgate.mcu.board import McuSimBoard

HEAP_SLACK = 16 * 1024  # the deployed app's live heap may exceed the frozen one's by this much
RUN_S = 12  # seconds of app time before the heap is read: hal_mcu samples it every 5 s
ROMFS = b"\xd2\xcd\x31"  # a ROMFS image's first bytes (mpremote/romfs.py)


@pytest.fixture(scope="module")
def board(mcu_elf, tmp_path_factory):
    """{"sim": McuSimBoard, "workdir", "elf"}; power_cycle() replaces "sim"."""
    workdir = tmp_path_factory.mktemp("deploy")
    held = {"sim": McuSimBoard(elf=mcu_elf, clock=1.0, workdir=workdir).start(), "workdir": workdir,
            "elf": mcu_elf, "heap": {}}
    yield held
    held["sim"].close()


def cli(port, *args):
    return subprocess.run([sys.executable, "-m", "callgate", "--port", port, *args],
                          capture_output=True, text=True, timeout=900)


def on_repl(sim, repl_at, code: str) -> str:
    """Run code on the board's raw REPL (entering it stops the app: Ctrl-C)."""
    t = repl_at(sim.repl_port)
    try:
        return t.run(code)
    finally:
        t.close()


def reset(sim, repl_at, timeout: float = 60.0) -> None:
    """machine.reset() from the REPL; back once the app says hello on its bus again."""
    hellos = sim.model.audio.hellos
    t = repl_at(sim.repl_port)
    t.t.exec_raw_no_follow("import machine\nmachine.reset()")
    t.t.close()
    t.t = None
    deadline = time.monotonic() + timeout
    while sim.model.audio.hellos == hellos:
        assert time.monotonic() < deadline, "the board did not come back up after machine.reset()"
        time.sleep(0.2)


def live_heap_peak(sim, repl_at) -> int:
    """hal_mcu's live heap peak since boot, after RUN_S seconds of the app (which stops)."""
    time.sleep(RUN_S)
    out = on_repl(sim, repl_at, "from callgate import hal_mcu\nprint(list(hal_mcu.heap))")
    peak, _, samples, _ = json.loads(out.strip().splitlines()[-1])
    assert samples >= 1
    return peak


def deploy_state(port: str) -> dict:
    with connect(port, timeout=2.0) as c:
        return c.request(messages.OP_DEPLOY_STATE)


def running_from(sim, repl_at) -> tuple:
    """(sys.path[0], the ROMFS mounts, the flash's fw/ folder) as the running app left them
    (the app stops)."""
    out = on_repl(sim, repl_at, "import os, sys, vfs\n"
                  "print(repr((sys.path[0], [m[1] for m in vfs.mount() if 'VfsRom' in repr(m[0])], "
                  "sorted(os.listdir('/flash/fw')) if 'fw' in os.listdir('/flash') else [])))")
    return eval(out.strip())  # noqa: S307 (a tuple of strings printed by the board)


def test_frozen_firmware_live_heap(board, repl_at):
    sim = board["sim"]
    assert deploy_state(sim.data_port)["active"] is None  # a fresh board: the frozen firmware
    board["heap"]["frozen"] = live_heap_peak(sim, repl_at)
    reset(sim, repl_at)


def test_deploy_runs_from_a_romfs_partition_with_the_frozen_heap(board, repl_at):
    sim = board["sim"]
    hellos = sim.model.audio.hellos
    r = cli(sim.data_port, "deploy")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "board qemu-m4f: running 0.1.0 (frozen)" in r.stdout
    assert "send: 1 file(s): fw/0.1.0-" in r.stdout and ".romfs" in r.stdout, r.stdout
    assert "board running 0.1.0 from rom0:fw/0.1.0-" in r.stdout, r.stdout
    assert sim.model.audio.hellos > hellos  # the MCU restarted and said hello on its bus again
    st = deploy_state(sim.data_port)
    assert st["active"].startswith("rom0:fw/0.1.0-") and st["ok"] and st["previous"] is None
    # the partition's file holds the slot's image, and the image left the LittleFS flash
    image = build("qemu-m4f").romfs_image()
    assert (board["workdir"] / "rom0.img").read_bytes()[:len(image)] == image
    frozen = board["heap"]["frozen"]
    deployed = live_heap_peak(sim, repl_at)
    print(f"live heap peak: frozen {frozen} B, from the partition {deployed} B")
    assert deployed <= frozen + HEAP_SLACK, f"the deployed app's live heap {deployed} B, frozen {frozen} B"
    assert running_from(sim, repl_at) == ("/rom", ["/rom"], [])  # the image left the flash
    reset(sim, repl_at)


def test_the_same_bundle_again_is_up_to_date_and_status_answers(board):
    sim = board["sim"]
    r = cli(sim.data_port, "deploy")
    assert r.returncode == 0 and "up to date: nothing to do" in r.stdout, r.stdout + r.stderr
    assert "running 0.1.0 (rom0:fw/0.1.0-" in r.stdout, r.stdout
    r = cli(sim.data_port, "status")
    assert r.returncode == 0 and "board qemu-m4f" in r.stdout, r.stderr


def test_a_power_cut_keeps_the_deployed_partition(board, repl_at):
    """QEMU stopped (SSRAM1, the emulated flash, is gone) and started on the same folder:
    board.c loads the partition from rom0.img and the app runs from it."""
    before = deploy_state(board["sim"].data_port)["active"]
    board["sim"].close()
    sim = board["sim"] = McuSimBoard(elf=board["elf"], clock=1.0, workdir=board["workdir"]).start()
    st = deploy_state(sim.data_port)
    assert st["active"] == before and st["ok"] and st["fw"] == "0.1.0"
    assert running_from(sim, repl_at)[:2] == ("/rom", ["/rom"])
    assert on_repl(sim, repl_at, "import vfs\nprint(bytes(vfs.rom_ioctl(2, 0)[:3]).hex())").strip() == ROMFS.hex()
    reset(sim, repl_at)


def test_a_partition_that_fails_to_come_up_is_rolled_back(board, tmp_path):
    """A build whose app raises at import goes to the other partition (rom1); it crashes at
    3 boots in a row (each restarts the board, main.py counts them), the 4th boot goes back
    to rom0, which still holds the version that ran."""
    sim = board["sim"]
    good = deploy_state(sim.data_port)["active"]
    tree = tmp_path / "firmware"
    shutil.copytree(runtime.FIRMWARE, tree, ignore=shutil.ignore_patterns("__pycache__"))
    app = tree / "callgate" / "app.py"
    app.write_text(app.read_text() + '\nraise RuntimeError("this build does not come up")\n')
    r = cli(sim.data_port, "deploy", "--source", str(tree), "--version", "0.3.0")
    assert "bundle 0.3.0 -> rom1:fw/0.3.0-" in r.stdout, r.stdout + r.stderr
    deadline = time.monotonic() + 120  # the CLI waits 20 s; on a loaded machine the boots take longer
    while True:
        st = deploy_state(sim.data_port)
        if st.get("rollback") or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert r.returncode == 1, r.stdout + r.stderr
    assert st["rollback"]["from"].startswith("rom1:fw/0.3.0-") and st["rollback"]["to"] == good, st
    assert st["rollback"]["tries"] == 3
    assert st["active"] == good and st["ok"] and st["fw"] == "0.1.0"
