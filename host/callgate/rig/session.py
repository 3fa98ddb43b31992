"""Binding a rig together (labgrid's Environment + Target, as one function):

    with rig_session(port=None) as rig:      # no port: a virtual board started here, and its line sim
        rig.run(plan)
    with rig_session(port="/dev/pts/5") as rig:   # a running `callgate sim`: its line sim is the far end

A DUT on a real serial port needs a far end on its FXO lines. Its only driver today is the
virtual board's line simulator (`control=` its control socket); the second-board far end is
described in docs/rig.md.
"""

import contextlib

from ..sim import control as sim_control
from .dut import GatewayDriver
from .farend import SimLineFarEnd
from .resources import SerialPort, SimLine
from .runner import Rig


class NoFarEnd(OSError):
    """Nothing drives the DUT's lines."""


@contextlib.contextmanager
def rig_session(port=None, control=None, clock=8.0, board="virtual-4", epoch=None):
    vb = None
    dut = far = None
    try:
        if port is None:
            from ..sim.board import start_board

            vb = start_board(board, clock=clock, epoch=epoch)  # a VirtualBoard, or an emulated MCU
            port, control = vb.data_port, vb.control_path
        elif control is None:
            try:
                control = sim_control.find(port).control
            except sim_control.NoSim as e:
                raise NoFarEnd(f"{port}: no far end drives this board's lines ({e}); a real board needs "
                               "a line simulator or a second board wired to its FXO ports (docs/rig.md)") from None
        with sim_control.Control(control, timeout=10) as ctl:
            clock = float(ctl.info().get("clock", clock))
        dut = GatewayDriver(SerialPort(port)).open()
        far = SimLineFarEnd(SimLine(control, clock))
        rig = Rig(dut, far)
        rig.board = vb  # the virtual board started here (its console, for a failing test), or None
        info = dut.info
        rig.info = {"dut": port, "board": info.get("board"), "firmware": info.get("fw") or info.get("firmware"),
                    "far_end": f"line simulator ({control})", "line_clock": f"{clock:g}x",
                    "virtual": vb is not None, "commit": _commit()}
        yield rig
    finally:
        if dut is not None:
            dut.close()
        if far is not None:
            far.close()
        if vb is not None:
            vb.close()


def _commit() -> str:
    """The host tools' git commit (read only), for the JUnit properties; "" outside a checkout."""
    import pathlib
    import subprocess

    try:
        r = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=5,
                           cwd=pathlib.Path(__file__).resolve().parent)
    except OSError:
        return ""
    return r.stdout.strip() if r.returncode == 0 else ""
