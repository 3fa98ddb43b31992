"""The host's line cards (sim/bus.py) after the MCU restarts (a deploy's reset, machine.reset):
the next RX tick goes out at once, paced from there. Host only (no QEMU). The bus used to be
paced from tick 0 again while its tick count went on, so after a restart it stood still for as
long as the board had run before (test_mcu_deploy.py read no heap samples after a deploy)."""

import json
import time

from callgate import runtime
from callgate.firmware import linebus as lb
from callgate.sim.bus import FRAME, RATE, BusPlane
from callgate.sim.lines import Lines


def test_after_a_restart_the_next_tick_is_due_at_once():
    board = json.loads((runtime.board_dir("qemu-m4f") / "board.json").read_text())
    plane = BusPlane(Lines(board["ports"]), board, "/nonexistent-bus", clock=1.0)  # never started
    sent = []
    plane._write = sent.append
    hello = [(lb.EV_HELLO, 0, b"0.1.0\x00boot")]
    plane._hello(hello)
    assert plane._maybe_send() == 0.0 and len(sent) == 1  # tick 0 at once
    plane.now = 600 * FRAME  # 12 s of line time ran, then the MCU restarted
    plane._hello(hello)
    assert plane._sent == 600
    assert plane._maybe_send() == 0.0 and len(sent) == 2  # not 12 s later
    wait = plane._maybe_send()  # the next one keeps the pace: about one frame later
    assert len(sent) == 2 and 0 < wait <= FRAME / RATE
    time.sleep(wait)
    assert plane._maybe_send() == 0.0 and len(sent) == 3
