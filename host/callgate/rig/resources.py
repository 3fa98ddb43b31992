"""Resources: what a rig is made of, described, never opened here (labgrid's Resource).

A driver binds a resource and opens it; a resource only says where things are.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class SerialPort:
    """The DUT's data link: any pyserial URL (/dev/ttyACM0, a virtual board's pty, socket://,
    rfc2217://)."""

    url: str
    baudrate: int = 921600


@dataclass(frozen=True)
class SimLine:
    """The virtual board's line simulator as the far end: its board model's control socket
    (sim/control.py). `clock` is how many times faster than real time its phone line runs
    (timings in the report are line time)."""

    control: str
    clock: float = 1.0
    fxo_ports: tuple = (0, 1)


@dataclass(frozen=True)
class FarEndBoard:
    """A second callgate board as the far end: its FXS ports wired to the DUT's FXO ports
    (docs/rig.md). Described for the wiring; no driver yet (needs hardware to run against)."""

    url: str
    wiring: tuple = ((0, 0), (1, 1))  # (far-end FXS port, DUT FXO port)
