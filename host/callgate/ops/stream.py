"""/api/events: what the open streams send, made once per change for all of them.

One publisher task reads the live floor's messages (live.py) and turns each change into
server-sent-event bytes once, however many wallboards and agent pages are open:
- `floor`: the whole live floor after a change, at most every FLOOR_EVERY_S (the newest then:
  eight busy boards change it 50 times a second, and 50 wallboards parsing each of those fell
  seconds behind);
- `pop`: a screen pop with the customer's card (looked up once in a worker thread), for the
  streams of that extension and supervisors' streams without one;
- after call records are stored, `wallboard` (the figures, made in a worker thread) for
  supervisors and `calls` (the ids) for the others. One wallboard is made at a time: records
  stored meanwhile make one more after it. It goes out with the floor of the moment it is
  sent, not the older one it was made with (a page showing it would step back in time).
  Neither it nor a pop holds up the floor.
Each stream has a queue of frames; one that falls behind sends only the newest of the floors
it has not sent yet (a floor is the whole floor), and one that stops reading is closed once
its queue is full (a browser's EventSource opens it again).
"""

import asyncio
import json
import logging

log = logging.getLogger(__name__)

FLOOR_EVERY_S = 0.2
QUEUE_FRAMES = 500  # frames a stream may have waiting before it is closed as stuck


def frame(kind: str, data) -> bytes:
    return f"event: {kind}\ndata: {json.dumps(data)}\n\n".encode()


class Subscriber:
    """One open stream: its user's extension and role, and its frames, (kind, bytes)."""

    def __init__(self, ext, supervisor: bool, all_pops: bool):
        self.ext, self.supervisor, self.all_pops = ext, supervisor, all_pops
        self.frames = asyncio.Queue(QUEUE_FRAMES)
        self.stuck = False

    def wants_pop(self, ext) -> bool:
        return self.all_pops or (ext is not None and ext == self.ext)

    async def next_frames(self, timeout: float):
        """The frames waiting (at least one, else [] after `timeout` s), with every floor but
        the newest left out."""
        try:
            out = [await asyncio.wait_for(self.frames.get(), timeout)]
        except asyncio.TimeoutError:
            return []
        while not self.frames.empty():
            out.append(self.frames.get_nowait())
        floors = [i for i, (kind, _) in enumerate(out) if kind == "floor"]
        if len(floors) > 1:
            out = [f for i, f in enumerate(out) if f[0] != "floor" or i == floors[-1]]
        return out


class Streams:
    def __init__(self, floor, wallboard_data, pop_data, run):
        """wallboard_data() and pop_data(pop) make those events' data; run(fn, *args) runs a
        store call in a worker thread (api._run)."""
        self.floor = floor
        self._wallboard_data, self._pop_data, self._run_fn = wallboard_data, pop_data, run
        self._subs = set()
        self._task = self._unlisten = None
        self._wall = None  # the wallboard being made
        self._wall_again = False  # records stored while it was made
        self._pops = set()
        self._floor_at = 0.0  # when the last floor was sent (the loop's clock)
        self._floor_timer = None  # the next floor, when one is due and waits for FLOOR_EVERY_S

    def open(self, ext, supervisor: bool, all_pops: bool) -> Subscriber:
        if self._task is None:
            loop = asyncio.get_running_loop()
            q = asyncio.Queue()
            self._unlisten = self.floor.listen(lambda m: loop.call_soon_threadsafe(q.put_nowait, m))
            self._task = loop.create_task(self._publish(q))
        s = Subscriber(ext, supervisor, all_pops)
        self._subs.add(s)
        return s

    def close(self, s: Subscriber) -> None:
        self._subs.discard(s)

    async def stop(self) -> None:
        if self._unlisten is not None:
            self._unlisten()
        for t in [self._task, self._wall, self._floor_timer, *self._pops]:
            if t is not None:
                t.cancel()
        self._task = self._unlisten = self._wall = None

    def _send(self, kind: str, data, to) -> None:
        b = frame(kind, data)
        for s in list(self._subs):
            if to(s):
                try:
                    s.frames.put_nowait((kind, b))
                except asyncio.QueueFull:  # not read for QUEUE_FRAMES changes: closed
                    s.stuck = True
                    self._subs.discard(s)
                    s.frames = asyncio.Queue(1)
                    s.frames.put_nowait(("", b""))  # wakes its writer, which sees stuck

    async def _publish(self, q) -> None:
        while True:
            batch = [await q.get()]
            while not q.empty():
                batch.append(q.get_nowait())
            for m in batch:
                if m["type"] == "pop":
                    t = asyncio.ensure_future(self._pop(m))
                    self._pops.add(t)
                    t.add_done_callback(self._pops.discard)
            if any(m["type"] == "floor" for m in batch) and self._floor_timer is None:
                wait = self._floor_at + FLOOR_EVERY_S - asyncio.get_running_loop().time()
                if wait <= 0:
                    self._send_floor()
                else:  # the floor of that moment, with every change until then
                    self._floor_timer = asyncio.get_running_loop().call_later(wait, self._send_floor)
            ids = [i for m in batch if m["type"] == "calls" for i in m["ids"]]
            if ids:
                self._send("calls", {"ids": ids}, lambda s: not s.supervisor)
                if self._wall is None or self._wall.done():
                    self._wall = asyncio.ensure_future(self._wallboards())
                else:
                    self._wall_again = True

    def _send_floor(self) -> None:
        self._floor_timer = None
        self._floor_at = asyncio.get_running_loop().time()
        self._send("floor", self.floor.snapshot(), lambda s: True)

    async def _pop(self, m) -> None:
        pop = {k: v for k, v in m.items() if k != "type"}
        try:
            data = await self._run_fn(self._pop_data, pop)
        except Exception as e:  # the store gone for a moment: the page asks /api/pop again
            log.warning("a screen pop for %s not sent: %s", pop.get("ext"), e)
            return
        self._send("pop", data, lambda s: s.wants_pop(pop.get("ext")))

    async def _wallboards(self) -> None:
        while True:
            self._wall_again = False
            try:
                data = await self._run_fn(self._wallboard_data)
            except Exception as e:
                log.warning("the wallboard not sent: %s", e)
            else:  # the floor as it is now: the one it was made with may be seconds old
                self._send("wallboard", dict(data, floor=self.floor.snapshot()), lambda s: s.supervisor)
            if not self._wall_again:
                return
