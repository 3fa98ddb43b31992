"""The emulated board's RX ticks in slots (sim/bus.py, board.json "uarts"."bus"."slots";
board.c reads them): each tick goes into the next slot of the file after its 2-byte length,
then the slot's number alone goes on the bus pty as the doorbell; the slots wrap around, and a
tick too big for a slot is refused by name. Host only (no QEMU)."""

import json
import os
import pty
import tty

import pytest

from callgate import runtime
from callgate.firmware import linebus as lb
from callgate.sim.bus import BusPlane, make_slots
from callgate.sim.lines import Lines


def test_ticks_go_into_slots_and_only_their_numbers_on_the_bus(tmp_path):
    board = json.loads((runtime.board_dir("qemu-m4f") / "board.json").read_text())
    slots = board["uarts"]["bus"]["slots"]
    count, size = slots["count"], slots["size"]
    assert lb.max_wire(lb.MAX_BODY) + 2 <= size  # the biggest tick fits a slot
    master, slave = pty.openpty()
    tty.setraw(master)
    path = tmp_path / slots["file"]
    plane = BusPlane(Lines(board["ports"]), board, os.ttyname(slave), slots=make_slots(path, count, size))
    plane.start()
    try:
        ticks = [lb.pack(lb.KIND_RX, t, {0: bytes([t % 256]) * lb.FRAME}, []) for t in range(count + 2)]
        for t in ticks:
            plane._write(t)
        bells = b""
        while len(bells) < len(ticks):
            bells += os.read(master, 64)
        assert list(bells) == [*range(count), 0, 1]
        data = path.read_bytes()
        assert len(data) == count * size
        for n, t in [(2, ticks[2]), (0, ticks[count]), (1, ticks[count + 1])]:  # 0 and 1 written over
            slot = data[n * size:(n + 1) * size]
            assert int.from_bytes(slot[:2], "little") == len(t) and slot[2:2 + len(t)] == t
        with pytest.raises(ValueError, match="does not fit a bus slot"):
            plane._write(bytes(size))
    finally:
        plane.stop()
        os.close(master)
