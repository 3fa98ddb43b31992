"""The simulated line cards' signalling: what each port's line is doing, without the audio.

The board model (model.py) carries these reports to the firmware, which turns them into port
states and calls (firmware/callgate/ports.py, calls.py). The line cards' audio plane
(linecards.py: the media engine on the model's clock) and the simulated exchange and phones
(exchange.py, phones.py) drive it:

    lines = Lines(board_def["ports"])
    lines.subscribe(fn)        fn(report) for every report, on the caller's thread
    lines.ring(port, on)       FXO: the exchange puts ringing voltage on the line (or stops)
    lines.loop(port, on)       FXO: loop current flows (far end connected) or drops (hung up)
    lines.reversal(port)       FXO: the exchange reversed the line's polarity
    lines.hook(port, off)      FXS: the phone's hook switch
    lines.report(report)       anything else the line cards tell the firmware (the audio
                               plane's detections: dtmf, cid, prompt_done, disconnect, error,
                               rec, clock)
    lines.snapshot()           reports that rebuild the current conditions (for a firmware
                               that just connected): those of add_snapshot(fn) first (the
                               audio plane's clock), then ring, loop and hook
    lines.command(msg)         a command from the firmware: recorded, then passed to the
                               handler set with set_handler() (the audio plane)

Reports are the dicts the firmware's hal receives, {"what": ..., "port": n, ...}; the
commands are {"t": ..., "port": n, ...}. The vocabulary (every command and report with its
fields) lives in one place, firmware/callgate/linecard.py, imported here as `linecard`: this
module makes ring, loop, reversal and hook reports, the audio plane the others.
"""

import threading

from ..firmware import linecard


class LineError(ValueError):
    """A line action that the port cannot do (wrong port number or kind)."""


class Lines:
    def __init__(self, ports):
        self.ports = [dict(p) for p in ports]
        self.kinds = {p["n"]: p["kind"] for p in ports}
        self._ring = {p["n"]: False for p in ports if p["kind"] == "fxo"}
        self._loop = {p["n"]: False for p in ports if p["kind"] == "fxo"}
        self._offhook = {p["n"]: False for p in ports if p["kind"] == "fxs"}
        self._subscribers = []
        self._handler = None
        self._snapshots = []  # fn() -> reports put first in snapshot()
        self._lock = threading.Lock()
        self.commands = []  # what the firmware asked for, in order (the last 1000)

    def subscribe(self, fn) -> None:
        self._subscribers.append(fn)

    def add_snapshot(self, fn) -> None:
        """fn() returns reports a newly connected firmware gets first (the clock)."""
        self._snapshots.append(fn)

    def set_handler(self, fn) -> None:
        """fn(msg) receives every firmware command (called on the board model's thread)."""
        self._handler = fn

    def _need(self, port, kind) -> None:
        if self.kinds.get(port) != kind:
            ports = sorted(n for n, k in self.kinds.items() if k == kind)
            raise LineError(f"port {port} is not an {kind.upper()} port ({kind.upper()}: {ports})")

    def ring(self, port: int, on: bool = True) -> None:
        self._need(port, "fxo")
        with self._lock:
            self._ring[port] = bool(on)
        self.report({"what": linecard.REPORT_RING, "port": port, "on": bool(on)})

    def loop(self, port: int, on: bool) -> None:
        self._need(port, "fxo")
        with self._lock:
            self._loop[port] = bool(on)
        self.report({"what": linecard.REPORT_LOOP, "port": port, "on": bool(on)})

    def reversal(self, port: int) -> None:
        self._need(port, "fxo")
        self.report({"what": linecard.REPORT_REVERSAL, "port": port})

    def hook(self, port: int, off: bool = True) -> None:
        self._need(port, "fxs")
        with self._lock:
            self._offhook[port] = bool(off)
        self.report({"what": linecard.REPORT_HOOK, "port": port, "off": bool(off)})

    def ringing(self, port: int) -> bool:
        return self._ring.get(port, False)

    def offhook(self, port: int) -> bool:
        return self._offhook.get(port, False)

    def snapshot(self) -> list:
        out = [r for fn in self._snapshots for r in fn()]
        with self._lock:
            out += [{"what": linecard.REPORT_RING, "port": n, "on": True} for n, on in self._ring.items() if on]
            out += [{"what": linecard.REPORT_LOOP, "port": n, "on": True} for n, on in self._loop.items() if on]
            out += [{"what": linecard.REPORT_HOOK, "port": n, "off": True} for n, off in self._offhook.items() if off]
        return out

    def command(self, msg: dict) -> None:
        self.commands.append(msg)
        del self.commands[:-1000]
        if self._handler is not None:
            self._handler(msg)

    def report(self, report: dict) -> None:
        for fn in list(self._subscribers):
            fn(report)
