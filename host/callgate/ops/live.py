"""The floor right now, from the boards' events: who is waiting in which queue since when,
each agent's state since when, the last screen pop per extension. The ingest threads feed it
(`event()`); the web side reads `snapshot()` and listens for changes (`listen()`), which
arrive as small dicts: {"type": "floor"} after any change of the floor, {"type": "pop", ...}
when an agent's phone starts ringing, {"type": "calls", "ids": [...]} when records are stored.

Times are the host's (time.time() when the event was received): a board's own clock may be
set elsewhere or, on the virtual board, run faster than real time.
"""

import json
import threading
import time

WAITING = ("queued", "offered")


class Floor:
    def __init__(self):
        self._lock = threading.Lock()
        self.boards = {}  # board -> {"port", "up", "since"}
        self.refused = {}  # port -> {"port", "board", "holder", "since"}: a board id another port holds
        self.calls = {}  # (board, call) -> {"port", "state", "since", "queue", "queued_at", "number", "name"}
        # ext -> {"board", "port", "ext", "name", "state", "since", "call", "calls", "supervised":
        # {"by", "mode"} while a supervisor is in their call, "supervising": {"agent", "mode"}}
        self.agents = {}
        self.pops = {}  # ext -> the last pop (with "board" and "at")
        self.clock_offset_ms = {}  # board -> the board's clock minus the host's, from its records
        self.names = {}  # ext -> the agent's name, from the boards' sites
        self.utc_offset_min = None  # the (first) site's time zone, for "today"
        self._listeners = []

    # -- listening ------------------------------------------------------------------------------

    def listen(self, fn):
        """fn(message) on the ingest thread for every change; returns an unsubscriber."""
        with self._lock:
            self._listeners.append(fn)
        return lambda: self._unlisten(fn)

    def _unlisten(self, fn):
        with self._lock:
            if fn in self._listeners:
                self._listeners.remove(fn)

    def _tell(self, msg):
        for fn in list(self._listeners):
            try:
                fn(msg)
            except Exception:
                pass

    # -- from the ingest threads ----------------------------------------------------------------

    def claim(self, board, port):
        """Note that `board` answers on `port`; returns the port that holds that id already,
        else None. The first port a board id answers on keeps it for the life of the service,
        up or down: a second board with the same id on another port is refused even after the
        first goes away (the store knows a board by its id: their events and record files
        would be mixed, one's files read on from the other's offsets). The refusal is listed
        in the floor's "refused" (the wallboard's alarms)."""
        with self._lock:
            b = self.boards.get(board)
            if b is not None and b["port"] != port:
                if port not in self.refused:
                    self.refused[port] = {"port": port, "board": board, "holder": b["port"], "since": time.time()}
                return b["port"]
            self.refused.pop(port, None)
            self.boards[board] = {"board": board, "port": port, "up": True, "since": time.time()}
            return None

    def board_up(self, board, port, calls_status):
        now = time.time()
        with self._lock:
            self.boards[board] = {"board": board, "port": port, "up": True, "since": now}
            for key in [k for k in self.calls if k[0] == board]:
                del self.calls[key]
            for c in calls_status.get("calls", []):
                if c.get("state") not in (None, "idle", "ended"):
                    self.calls[(board, c["call"])] = {"board": board, "port": c["port"], "call": c["call"],
                                                      "state": c["state"], "since": now, "queue": None,
                                                      "queued_at": now if c["state"] in WAITING else None,
                                                      "number": None, "name": None}
            for a in calls_status.get("agents", []):
                old = self.agents.get(a["ext"], {})
                self.agents[a["ext"]] = {"board": board, "port": a["port"], "ext": a["ext"], "name": old.get("name"),
                                         "state": a["state"], "calls": a.get("calls", 0),
                                         "since": old.get("since", now) if old.get("state") == a["state"] else now,
                                         "call": old.get("call")}
        self._tell({"type": "floor"})

    def site(self, board, info: dict):
        with self._lock:
            self.names.update({k: v for k, v in (info.get("agents") or {}).items() if v})
            if info.get("utc_offset_min") is not None:
                self.utc_offset_min = info["utc_offset_min"]

    def board_down(self, board):
        with self._lock:
            if board in self.boards:
                self.boards[board]["up"] = False
                self.boards[board]["since"] = time.time()
        self._tell({"type": "floor"})

    def event(self, board, ev, boot=None):
        now = ev.received
        v = ev.value if isinstance(ev.value, dict) else {}
        msg = None
        with self._lock:
            if ev.name == "boot":
                for key in [k for k in self.calls if k[0] == board]:
                    del self.calls[key]
            elif ev.name == "call":
                key = (board, v.get("call"))
                c = self.calls.get(key)
                if v.get("state") == "ended":
                    self.calls.pop(key, None)
                else:
                    if c is None:
                        c = self.calls[key] = {"board": board, "port": v.get("port"), "call": v.get("call"),
                                               "queue": None, "queued_at": None, "number": None, "name": None}
                    if c.get("state") != v.get("state"):
                        c["since"] = now
                    c["state"] = v.get("state")
                    if v.get("queue"):
                        c["queue"] = v["queue"]
                    if c["state"] in WAITING and c["queued_at"] is None:
                        c["queued_at"] = now
            elif ev.name == "cid":
                c = self.calls.get((board, v.get("call")))
                if c is not None:
                    c["number"], c["name"] = v.get("number"), v.get("name")
            elif ev.name == "agent":
                a = self.agents.setdefault(v.get("ext"), {"board": board, "ext": v.get("ext"), "calls": 0, "since": now})
                if a.get("state") != v.get("state"):
                    a["since"] = now
                    if v.get("state") == "talking":
                        a["calls"] = a.get("calls", 0) + 1
                a.update(board=board, port=v.get("port"), name=v.get("name") or a.get("name"), state=v.get("state"),
                         call=v.get("call"))
            elif ev.name == "supervise":  # a supervisor joined, switched mode or left (mode None)
                mode = v.get("mode")
                agent, sup = self.agents.get(v.get("agent")), self.agents.get(v.get("ext"))
                if agent is not None:
                    agent["supervised"] = {"by": v.get("ext"), "mode": mode} if mode else None
                if sup is not None:
                    sup["supervising"] = {"agent": v.get("agent"), "mode": mode} if mode else None
            elif ev.name == "pop":
                c = self.calls.get((board, v.get("call")))
                if c is not None:
                    c["number"] = c["number"] or v.get("number")
                    c["name"] = c["name"] or v.get("name")
                    c["queue"] = v.get("queue") or c["queue"]
                pop = dict(v, board=board, board_boot=boot, at=now)
                self.pops[v.get("ext")] = pop
                msg = dict(pop, type="pop")
            else:
                return
        if msg is not None:
            self._tell(msg)
        self._tell({"type": "floor"})

    def calls_stored(self, board, records):
        now_ms = time.time() * 1000
        ended = [r.get("ended") for r in records if r.get("ended") is not None]
        with self._lock:
            if ended:
                self.clock_offset_ms[board] = max(ended) - now_ms
        self._tell({"type": "calls", "ids": [r["id"] for r in records]})

    # -- for the web side ----------------------------------------------------------------------

    def board_now_ms(self) -> float:
        """The boards' clock now, as far as their newest records tell (the host's otherwise)."""
        now = time.time() * 1000
        with self._lock:
            offsets = list(self.clock_offset_ms.values())
        return now + (max(offsets) if offsets else 0)

    def snapshot(self) -> dict:
        now = time.time()
        with self._lock:
            waiting = {}
            for c in self.calls.values():
                if c.get("state") in WAITING:
                    q = c.get("queue") or "?"
                    w = waiting.setdefault(q, {"queue": q, "waiting": 0, "longest_wait_s": 0.0})
                    w["waiting"] += 1
                    w["longest_wait_s"] = max(w["longest_wait_s"], now - (c.get("queued_at") or now))
            agents = [{"ext": a["ext"], "name": a.get("name") or self.names.get(a["ext"]), "state": a.get("state"), "board": a.get("board"),
                       "in_state_s": now - a.get("since", now), "calls": a.get("calls", 0), "call": a.get("call"),
                       "supervised": a.get("supervised"), "supervising": a.get("supervising")}
                      for a in sorted(self.agents.values(), key=lambda a: str(a["ext"]))]
            calls = [dict(c, since_s=now - c.get("since", now)) for c in self.calls.values()]
            boards = [dict(b) for b in self.boards.values()]
            refused = [dict(r) for r in self.refused.values()]
        return {"at": now, "waiting": sorted(waiting.values(), key=lambda w: w["queue"]),
                "waiting_total": sum(w["waiting"] for w in waiting.values()),
                "agents": agents, "calls": calls, "boards": boards, "refused": refused}

    def pop_for(self, ext):
        with self._lock:
            p = self.pops.get(ext)
            return dict(p) if p else None


def read_events(lines):
    """(kind, data) for each server-sent event in `lines` (bytes lines of a response from
    /api/events: `event: KIND`, `data: JSON` lines, a blank line ending each)."""
    kind, data = None, []
    for raw in lines:
        line = raw.decode().rstrip("\n")
        if line.startswith("event: "):
            kind = line[7:]
        elif line.startswith("data: "):
            data.append(line[6:])
        elif not line and kind:
            yield kind, json.loads("\n".join(data))
            kind, data = None, []
