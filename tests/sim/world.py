"""The virtual line cards and their exchange with no firmware: the test plays the firmware
(tests/sim/test_sim_world.py, test_outbound_lines.py)."""

import json

from callgate import runtime
from callgate.sim.linecards import AudioPlane
from callgate.sim.lines import Lines


def board_def(name: str) -> dict:
    return json.loads((runtime.board_dir(name) / "board.json").read_text())


class World:
    """An audio plane and a network of the board `board` (a board.json's dict) with no
    firmware: the test plays the firmware."""

    def __init__(self, board: dict, clock=1.0, epoch=0.0):
        self.lines = Lines(board["ports"])
        self.reports = []
        self.lines.subscribe(self.reports.append)
        self.plane = AudioPlane(self.lines, board, clock=clock, epoch=epoch)
        self.net = self.plane.network

    def ms(self, ms):
        self.plane.step(max(1, ms // 20))

    def cmd(self, **msg):
        self.lines.command(msg)
        self.plane.step(1)

    def of(self, what, port=None):
        return [r for r in self.reports if r["what"] == what and (port is None or r.get("port") == port)]
