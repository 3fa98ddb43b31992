"""`callgate --port DATA deploy` on the emulated MCU: the firmware package compiled for its
arch (armv7emsp .mpy), written to a slot on its flash over the data UART, boot.json switched,
the board reset (machine.reset: QEMU restarts the image, the flash file stays) and the new
slot confirmed by the app, which runs from it ahead of the frozen package. One boot."""

import subprocess
import sys

import pytest

from callgate.mcu.board import McuSimBoard


@pytest.fixture(scope="module")
def sim(mcu_elf, tmp_path_factory):
    with McuSimBoard(elf=mcu_elf, clock=1.0, workdir=tmp_path_factory.mktemp("deploy")) as b:
        yield b


def cli(port, *args):
    return subprocess.run([sys.executable, "-m", "callgate", "--port", port, *args],
                          capture_output=True, text=True, timeout=900)


def test_deploy_writes_a_slot_resets_the_board_and_it_runs_from_the_slot(sim):
    hellos = sim.model.audio.hellos
    r = cli(sim.data_port, "deploy")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "board qemu-m4f: running 0.1.0 (frozen)" in r.stdout
    assert "board running 0.1.0 from fw/0.1.0-" in r.stdout, r.stdout
    assert sim.model.audio.hellos > hellos  # the MCU restarted and said hello on its bus again
    r = cli(sim.data_port, "deploy")  # the same bundle again: nothing to send
    assert r.returncode == 0 and "up to date: nothing to do" in r.stdout, r.stdout + r.stderr
    r = cli(sim.data_port, "status")
    assert r.returncode == 0 and "board qemu-m4f" in r.stdout, r.stderr
