"""The device under test over its link (labgrid's Driver bound to a SerialPort resource):
observes its call, cid and dtmf events, one FXO call at a time.
"""

import queue
import time

from ..link.client import connect
from .resources import SerialPort


class ObservedCall:
    """What the DUT reported about one call on one port."""

    def __init__(self, port):
        self.port = port
        self.events = []  # (seconds since observation began, name, value)
        self.states = []
        self.cid = None  # the cid event's value
        self.digits = ""  # the dtmf events, in order
        self.report = None  # the "digits" call event (the firmware's report)
        self.end = None  # the "ended" call event: by, reason
        self.call = None  # the DUT's call number
        self.pops = []  # screen pops of this call (an agent's phone started ringing)
        self.cdr = None  # the "cdr" event of this call: {id, outcome, file}
        self.complete = False

    def at(self, state):
        for t, name, value in self.events:
            if name == "call" and value.get("state") == state:
                return t
        return None

    def describe(self) -> str:
        parts = ["states " + ",".join(self.states) if self.states else "no call events"]
        if self.cid is not None:
            parts.append(f"cid {self.cid.get('status')} {self.cid.get('number')!r} {self.cid.get('name')!r}")
        parts.append(f"digits {self.digits!r}")
        if self.end is not None:
            parts.append(f"ended by {self.end.get('by')} ({self.end.get('reason')})")
        return "; ".join(parts)


class GatewayDriver:
    """open() connects and subscribes; observe(port) collects one call's events."""

    def __init__(self, port: SerialPort):
        self.port = port
        self.client = None
        self._q = queue.SimpleQueue()

    def open(self) -> "GatewayDriver":
        self.client = connect(self.port.url, baudrate=self.port.baudrate, keepalive=2.0)
        self.client.subscribe(self._q.put)
        return self

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
            self.client = None

    @property
    def info(self) -> dict:
        return dict(self.client.info or {})

    def drain(self) -> None:
        while True:
            try:
                self._q.get_nowait()
            except queue.Empty:
                return

    def observe(self, port: int, until, timeout: float = 30.0, since=None, record=False) -> ObservedCall:
        """Events of port collected until until() is true (the far end is done) and the DUT
        has ended the call (and, with record, written its call record), or timeout. Event times
        are wall seconds after `since` (time.time())."""
        obs = ObservedCall(port)
        since = time.time() if since is None else since
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if obs.end is not None and until() and (obs.cdr is not None or not record):
                obs.complete = True
                break
            try:
                ev = self._q.get(timeout=0.05)
            except queue.Empty:
                continue
            v = ev.value if isinstance(ev.value, dict) else {}
            if ev.name == "pop" and v.get("trunk") == port:
                obs.pops.append(v)
            elif ev.name == "cdr" and obs.call is not None and str(v.get("id", "")).endswith(f"-{obs.call}"):
                obs.cdr = v
            if ev.name not in ("call", "cid", "dtmf") or v.get("port") != port:
                continue
            obs.events.append((round(ev.received - since, 3), ev.name, v))
            if obs.call is None and v.get("call"):
                obs.call = v["call"]
            if ev.name == "call":
                obs.states.append(v.get("state"))
                if v.get("state") == "digits":
                    obs.report = v
                elif v.get("state") == "ended":
                    obs.end = v
            elif ev.name == "cid":
                obs.cid = v
            elif ev.name == "dtmf":
                obs.digits += v.get("digit") or ""
        return obs
