# The application: the host link, the ports and the status, as asyncio tasks.
#
#   link   bytes from the data UART -> Endpoint -> reply frames back
#   lines  line-card reports (hal) -> Ports and Calls -> numbered events to the host, and
#          Calls' commands back to the line cards (hal: answer, play, hangup...)
#   clock  time-driven changes (ringing that stopped, digit timeouts)
#
# main() returns why it stopped ("repl" when the host asked for the REPL); any task that
# fails stops the others and its exception propagates to main.py, which drops to the REPL.

try:
    from micropython import const
except ImportError:

    def const(x):
        return x


import asyncio
import os
import time

from . import VERSION, hal
from .link import messages
from .link.endpoint import Endpoint
from .calls import Calls
from .ivr import load_bundle
from .files import Files
from . import update
from .ports import Ports

_TICK_MS = const(250)
_READ_MAX = const(256)


class App:
    def __init__(self, board, board_def):
        self.board = board
        self.t0 = time.ticks_ms()
        self.boot = int.from_bytes(os.urandom(4), "big")
        self.id = board_def.get("id", "?")
        self.ports = Ports(board_def["ports"])
        self.calls = Calls(board_def["ports"], board_def.get("calls"))
        self.calls.use_site(load_bundle())  # site.json in the flash: calls go to the IVR
        self.ep = Endpoint({"fw": VERSION, "board": self.id, "boot": self.boot})
        self.ep.handle(messages.OP_STATUS, self.status)
        self.ep.handle(messages.OP_REPL, self.repl)
        self.ep.handle(messages.OP_RESET, self.reset)
        Files(board_def.get("storage", {}).get("bytes")).register(self.ep)
        update.Update(self.id, VERSION, board_def.get("min_version")).register(self.ep)
        self.stopped = asyncio.Event()
        self.reason = None
        self.error = None
        self._to_repl = False
        self._to_reset = False

    def status(self, value):
        return {
            "fw": VERSION,
            "board": self.id,
            "boot": self.boot,
            "uptime_ms": time.ticks_diff(time.ticks_ms(), self.t0),
            "ports": self.ports.status(),
            "next_ev": self.ep.next_event(),
            "link": self.ep.stats(),
        }

    def repl(self, value):
        self._to_repl = True  # stop once the reply is on its way
        return {}

    def reset(self, value):
        self._to_reset = True  # main.py restarts the board once the reply is on its way
        return {}

    async def send(self, frames):
        w = self.board.uart[1]
        for f in frames:
            w.write(f)
        await w.drain()

    async def emit(self, events):
        await self.send([self.ep.event(kind, value) for kind, value in events])

    async def link(self):
        r = self.board.uart[0]
        while True:
            data = await r.read(_READ_MAX)
            if not data:
                raise OSError("data UART closed")
            await self.send(self.ep.receive(data))
            if self._to_repl:
                self.stop("repl")
            if self._to_reset:
                self.stop("reset")

    async def lines(self):
        while True:
            report = await self.board.line()
            now = time.ticks_ms()
            events = self.ports.line(report, now)
            cmds = []
            self.calls.line(report, now, self.ports, events, cmds)
            await self.act(events, cmds)

    async def act(self, events, cmds):
        for c in cmds:  # the line cards first: the host hears of an answer once it is done
            await self.board.do(c)
        if events:
            await self.emit(events)

    async def clock(self):
        events, cmds = [], []  # reused every tick: an idle board allocates nothing here
        while True:
            await asyncio.sleep_ms(_TICK_MS)
            now = time.ticks_ms()
            events.clear()
            cmds.clear()
            changed = self.ports.tick(now)
            if changed:
                events.extend(changed)
            self.calls.tick(now, self.ports, events, cmds)
            if events or cmds:
                await self.act(events, cmds)

    def stop(self, reason, error=None):
        if self.reason is None:
            self.reason = reason
            self.error = error
        self.stopped.set()

    async def _guard(self, name, coro):
        try:
            await coro
        except asyncio.CancelledError:
            raise
        except Exception as e:
            self.stop(name + " failed", e)

    async def run(self):
        boot = {"fw": VERSION, "boot": self.boot}
        boot.update(update.boot_report())  # the slot, and a rollback (update.py)
        await self.emit([(messages.EV_BOOT, boot)])
        await self.board.tell({"t": "hello", "fw": VERSION, "boot": self.boot})
        tasks = [
            asyncio.create_task(self._guard("link", self.link())),
            asyncio.create_task(self._guard("lines", self.lines())),
            asyncio.create_task(self._guard("clock", self.clock())),
        ]
        update.confirm()  # up: a newly deployed slot is kept
        await self.stopped.wait()
        for t in tasks:
            t.cancel()
        await asyncio.sleep_ms(0)
        if self.error is not None:
            raise self.error
        return self.reason


async def main():
    board = await hal.connect()
    try:
        return await App(board, hal.board_def()).run()
    finally:
        board.close()
