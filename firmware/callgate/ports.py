# Port states: the control plane's view of each line, built from what the line cards report.
#
# The line cards (on the virtual board, the board model) report conditions (linecard.py): ringing voltage
# on an FXO port, loop current (hook) on an FXS port. Ports turns them into states and into
# the events the host sees. Pure logic: the caller passes the time, so the shared tests run
# it on CPython and MicroPython alike.
#
#   FXO  idle -> ringing   on the first ring burst
#        ringing -> idle   RING_GAP_MS after the last burst ended (the far end gave up)
#        ringing -> call   answered (calls.py moves it), call -> idle when the call ends
#   FXS  idle <-> offhook  with the phone's hook switch

from . import linecard
from .link import messages
from .link.compat import const, ticks_diff

IDLE = "idle"
RINGING = "ringing"
OFFHOOK = "offhook"
CALL = "call"

# Longest silence inside a ring cadence is 4 s (e.g. 2 s on, 4 s off); a little more than that
# without a burst means the caller hung up.
RING_GAP_MS = const(6000)

# Line-card reports that calls.py takes, not this module
_CALL_REPORTS = (linecard.REPORT_DTMF, linecard.REPORT_CID, linecard.REPORT_LOOP, linecard.REPORT_REVERSAL,
                 linecard.REPORT_PROMPT_DONE, linecard.REPORT_TONE_DONE, linecard.REPORT_DISCONNECT,
                 linecard.REPORT_ERROR)


class Port:
    def __init__(self, n, kind, name):
        self.n = n
        self.kind = kind
        self.name = name
        self.state = IDLE
        self.ring_on = False
        self.ring_off_ms = 0

    def status(self):
        return {"n": self.n, "kind": self.kind, "name": self.name, "state": self.state}


class Ports:
    """All ports of a board, from its board.json "ports" list."""

    def __init__(self, defs):
        self.ports = [Port(d["n"], d["kind"], d.get("name", "")) for d in defs]
        self.ignored = 0  # line reports for a port that does not exist or cannot do that

    def status(self):
        return [p.status() for p in self.ports]

    def line(self, report, now_ms):
        """Take one line-card report; return the events it causes, as (kind, value) pairs.

        report: {"what": "ring", "port": n, "on": bool} (FXO) or
                {"what": "hook", "port": n, "off": bool} (FXS).
        """
        n = report.get("port")
        what = report.get("what")
        p = self.ports[n] if isinstance(n, int) and 0 <= n < len(self.ports) else None
        out = []
        if p is not None and what == linecard.REPORT_RING and p.kind == "fxo":
            on = bool(report.get("on"))
            if on != p.ring_on:
                p.ring_on = on
                if not on:
                    p.ring_off_ms = now_ms
                out.append((messages.EV_RING, {"port": n, "on": on}))
            if on and p.state == IDLE:  # a new call (also if no ring-off came between)
                self._move(p, RINGING, out)
        elif p is not None and what == linecard.REPORT_HOOK and p.kind == "fxs":
            off = bool(report.get("off"))
            new = OFFHOOK if off else IDLE
            if new != p.state:
                out.append((messages.EV_HOOK, {"port": n, "off": off}))
                self._move(p, new, out)
        elif what not in _CALL_REPORTS:  # those are calls.py's
            self.ignored += 1
        return out

    def move(self, n, state, out):
        """Put port n in state (calls.py: an FXO port answered or released), appending the
        PORT event to out if it changed."""
        p = self.ports[n]
        if state == CALL:
            p.ring_on = False  # off hook: the line card no longer sees ringing voltage
        if p.state != state:
            self._move(p, state, out)

    def state(self, n):
        return self.ports[n].state

    def tick(self, now_ms):
        """Time-driven changes (ringing that stopped); returns events like line(). Runs every
        few hundred ms, so with nothing to report it allocates nothing (tests/firmware)."""
        out = None
        for p in self.ports:
            if p.state == RINGING and not p.ring_on and ticks_diff(now_ms, p.ring_off_ms) >= RING_GAP_MS:
                if out is None:
                    out = []
                self._move(p, IDLE, out)
        return out or ()

    def _move(self, p, state, out):
        out.append((messages.EV_PORT, {"port": p.n, "state": state, "was": p.state}))
        p.state = state
