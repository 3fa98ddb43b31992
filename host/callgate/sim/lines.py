"""The simulated line cards: what each port's line is doing, and nothing about audio.

This is the board model's line/port simulation. The board model (model.py) carries its
reports to the firmware, which turns them into port states (firmware/callgate/ports.py).
The interface, for the media engine and the simulated phone network that will drive it:

    lines = Lines(board_def["ports"])
    lines.subscribe(fn)        fn(report) for every change, on the caller's thread
    lines.ring(port, on)       FXO: the exchange puts ringing voltage on the line (or stops)
    lines.hook(port, off)      FXS: the phone's hook switch
    lines.snapshot()           reports that rebuild the current conditions (for a firmware
                               that just connected)
    lines.command(msg)         a request from the firmware (none defined yet: recorded)

Reports are the dicts the firmware's hal receives: {"what": "ring", "port": n, "on": bool}
and {"what": "hook", "port": n, "off": bool}.
"""

import threading


class LineError(ValueError):
    """A line action that the port cannot do (wrong port number or kind)."""


class Lines:
    def __init__(self, ports):
        self.ports = [dict(p) for p in ports]
        self._ring = {p["n"]: False for p in ports if p["kind"] == "fxo"}
        self._offhook = {p["n"]: False for p in ports if p["kind"] == "fxs"}
        self._subscribers = []
        self._lock = threading.Lock()
        self.commands = []  # what the firmware asked for, in order

    def subscribe(self, fn) -> None:
        self._subscribers.append(fn)

    def ring(self, port: int, on: bool = True) -> None:
        if port not in self._ring:
            raise LineError(f"port {port} is not an FXO port (FXO: {sorted(self._ring)})")
        with self._lock:
            self._ring[port] = bool(on)
        self._report({"what": "ring", "port": port, "on": bool(on)})

    def hook(self, port: int, off: bool = True) -> None:
        if port not in self._offhook:
            raise LineError(f"port {port} is not an FXS port (FXS: {sorted(self._offhook)})")
        with self._lock:
            self._offhook[port] = bool(off)
        self._report({"what": "hook", "port": port, "off": bool(off)})

    def snapshot(self) -> list:
        with self._lock:
            out = [{"what": "ring", "port": n, "on": True} for n, on in self._ring.items() if on]
            out += [{"what": "hook", "port": n, "off": True} for n, off in self._offhook.items() if off]
        return out

    def command(self, msg: dict) -> None:
        self.commands.append(msg)

    def _report(self, report: dict) -> None:
        for fn in list(self._subscribers):
            fn(report)
