# The application: the host link, the ports and the status, as asyncio tasks.
#
#   link   bytes from the data UART -> Endpoint -> reply frames back
#   lines  line-card reports (hal) -> Ports and Calls -> numbered events to the host, and
#          Calls' commands back to the line cards (hal: answer, play, hangup...)
#   clock  time-driven changes (ringing that stopped, digit timeouts, queue waits, wrap-up)
#
# With a site (site.json in the flash) calls go through the IVR, queues and agents; each call's
# record is written to cdr/ (cdr.py) and recordings to rec/ (recorder.py), the record (and its
# CDR event) once the call's recordings are complete on the flash. All times are the line
# cards' clock (hal: the virtual board's may run faster than real time).
#
# main() returns why it stopped ("repl" when the host asked for the REPL); any task that
# fails stops the others and its exception propagates to main.py, which drops to the REPL.

import asyncio
import os
import time

from . import VERSION, bundle, hal, linecard
from .compat import const
from .link import messages
from .link.endpoint import Endpoint
from .agents import DOS, AgentLog
from .calls import Calls
from .cdr import CdrLog
from .recorder import Recorder
from .link.errors import RemoteError
from .files import Files
from . import update
from .ports import Ports

_TICK_MS = const(250)
_READ_MAX = const(256)


def _heap():
    """The live heap after a collection: {"used", "free"} bytes (MicroPython's gc; {} elsewhere)."""
    import gc

    if not hasattr(gc, "mem_alloc"):
        return {}
    gc.collect()
    h = {"used": gc.mem_alloc(), "free": gc.mem_free()}
    largest = hal.largest_free()
    if largest is not None:
        h["largest"] = largest
    return h


class App:
    def __init__(self, board, board_def):
        self.board = board
        self.t0 = time.ticks_ms()
        self.boot = int.from_bytes(os.urandom(4), "big")
        self.id = board_def.get("id", "?")
        self.board_def = board_def
        self.ports = Ports(board_def["ports"])
        self.cdr = CdrLog()
        self.agent_log = AgentLog()
        self.site = None
        self._next_site = None  # a reloaded site waiting for the calls to end
        # site.json in the flash: calls go to its IVR once the line cards' clock is known (the
        # agents' intervals go on from the flash's, in the site's time: start_site())
        self._boot_site = bundle.load()[0]
        self.use_site(None, boot=True)
        self.ep = Endpoint({"fw": VERSION, "board": self.id, "boot": self.boot})
        self.ep.handle(messages.OP_STATUS, self.status)
        self.ep.handle(messages.OP_REPL, self.repl)
        self.ep.handle(messages.OP_RESET, self.reset)
        self.ep.handle(messages.OP_SITE_RELOAD, self.site_reload)
        self.ep.handle(messages.OP_CALLS, self.calls_status)
        self.ep.handle(messages.OP_AGENTS, self.agents_status)
        self.ep.handle(messages.OP_AGENT, self.agent_do)
        self.ep.handle(messages.OP_DIAL, self.dial)
        self.ep.handle(messages.OP_CALLBACKS, self.callbacks_status)
        self.ep.handle(messages.OP_CAMPAIGN, self.campaign)
        self._pending = []  # (events, cmds) of link requests (OP_AGENT, OP_DIAL), carried out after the reply
        Files(board_def.get("storage", {}).get("bytes")).register(self.ep)
        update.Update(self.id, VERSION, board_def.get("min_version")).register(self.ep)
        self.stopped = asyncio.Event()
        self._acting = asyncio.Lock()  # one act() at a time: events reach the host in order
        self.reason = None
        self.error = None
        self._to_repl = False
        self._to_reset = False

    def use_site(self, site, boot=False):
        """Start the call flow afresh with a site bundle (None: the plain flow); not at boot,
        a reload: call numbers and agents go on."""
        b = self.board
        old = None if boot else self.calls
        self.calls = Calls(self.board_def["ports"], self.board_def.get("calls"), sink=self.record,
                           epoch=b.epoch_ms, boot=self.boot)
        now = b.now_ms()
        past, cut = None, True
        if old is not None:  # a reloaded site: call numbers (and so record ids) go on
            self.calls.next_id, self.calls.total = old.next_id, old.total
            if old.acd is not None:  # ... and so do the agents' states (their intervals too)
                past, cut = {}, False
                exts = [p["ext"] for p in site["ports"] if p["kind"] == "fxs"] if site else []
                for a in old.acd.order:
                    if a.ext in exts:
                        past[a.ext] = old.acd.staff.past(a)
                    else:
                        old.acd.staff.leave(a, now)
                self.agent_lines(old)
        elif site:  # at boot: each agent's last interval in the flash, closed by the power cut
            exts = [p["ext"] for p in site["ports"] if p["kind"] == "fxs"]
            past = self.agent_log.recover(exts, b.epoch_ms(now))
        self.calls.use_site(site, self.local_time if site and site["hours"] else None, now, past, cut)
        self.agent_lines(self.calls)
        board_law = self.board_def.get("pcm", {}).get("law", "ulaw")
        if site:
            self.recorder = Recorder(site["law"], site["recording"]["days"])
        else:
            self.recorder = Recorder(board_law)
        hal.prompt_dir(site.get("dir") if site else None)  # "dir": where the site was installed
        self.site = site

    def start_site(self, guess=False):
        """The flash's site, at the line cards' first clock report (before any call; guess:
        on the clock there is)."""
        if self._boot_site is not None and (self.board.clock_known or guess):
            site, self._boot_site = self._boot_site, None
            self.use_site(site, boot=True)

    def local_time(self):
        """The site's local time now, on the line cards' clock (business hours)."""
        return self.calls.ivr.local_time(self.board.epoch_ms(self.board.now_ms()) // 1000)

    def record(self, r):
        """calls.py's sink: a call ended; its record goes to the flash, at once or when its
        recordings are complete (cdr.py). records() turns it into its event."""
        self.cdr.end(r, self.recorder, self.board.now_ms())

    def agent_lines(self, calls):
        """Write the agents' interval records made since the last call (agents.py)."""
        if calls.acd is not None:
            lines = calls.acd.staff.lines
            while lines:
                self.agent_log.write(lines.pop(0))

    def records(self, events):
        """The events of the records written since the last call: added to events right after
        what made them (the call's end, or its recording's last chunk), so a host never sees a
        call's record before its end."""
        for r, path in self.cdr.out:
            events.append((messages.EV_CDR, {"id": r["id"], "outcome": r["outcome"], "file": path}))
        self.cdr.out.clear()

    def busy(self):
        """Calls up, agents busy and records waiting for their recordings: a new site (and its
        new Recorder) waits for none."""
        return self.calls.busy() + len(self.cdr.waiting)

    def site_reload(self, value):
        site, why = bundle.load()
        if site is None:
            if why is None:
                raise RemoteError(messages.ERR_NOT_FOUND, "no site.json", bundle.FILE)
            raise RemoteError(messages.ERR_REFUSED, "site.json refused: " + why, bundle.FILE)
        if self._boot_site is not None:  # the flash's site not started yet: this one starts instead
            self._boot_site = site
            return {"site": site["site"], "applied": True, "pending": False}
        busy = self.busy()
        if busy:
            self._next_site = site  # applied by the clock task once the calls are over
        else:
            self._next_site = None
            self.use_site(site)
        return {"site": site["site"], "applied": not busy, "pending": busy}

    def calls_status(self, value):
        return {"calls": self.calls.status(), "agents": self.calls.agents(self.board.now_ms())}

    def callbacks_status(self, value):
        """OP_CALLBACKS: a page of the callbacks not over (three fit a frame)."""
        cbs = self.calls.callbacks
        kept = cbs.status() if cbs is not None else []
        i = value.get("from", 0) if isinstance(value, dict) else 0
        if not isinstance(i, int) or i < 0:
            raise RemoteError(messages.ERR_BAD_REQUEST, "from: a count of callbacks to skip", None)
        return {"callbacks": kept[i:i + 3], "total": len(kept)}

    def agents_status(self, value):
        b = self.board
        now = b.now_ms()
        return {"now": b.epoch_ms(now), "agents": self.calls.agents(now)}

    def agent_do(self, value):
        """OP_AGENT: {"ext", "do": login|logout|ready|pause, "reason"} -> the agent's status.
        Its events and commands go out with the clock task's next batch."""
        if not isinstance(value, dict) or value.get("do") not in DOS:
            raise RemoteError(messages.ERR_BAD_REQUEST, "do: one of " + ", ".join(DOS), None)
        b = self.board
        now = b.now_ms()
        events, cmds = [], []
        try:
            st = self.calls.agent_do(str(value.get("ext")), value["do"], value.get("reason"), now, self.ports,
                                     events, cmds)
        except KeyError:
            raise RemoteError(messages.ERR_NOT_FOUND, "no agent with extension %s" % value.get("ext"), None)
        except ValueError:
            if value["do"] == "pause" and self.calls.acd is not None and \
                    value.get("reason") not in self.calls.acd.staff.reasons.values():
                why = "no pause reason %r (the site has: %s)" % (
                    value.get("reason"), ", ".join(sorted(self.calls.acd.staff.reasons.values())))
            else:
                why = "agent %s is logged out: log in first" % value.get("ext")
            raise RemoteError(messages.ERR_REFUSED, why, None)
        self.agent_lines(self.calls)
        self._pending.append((events, cmds))
        return st

    def dial(self, value):
        """OP_DIAL: call out (outbound.py); the call's events and commands follow the reply."""
        from .outbound import DialError

        if not isinstance(value, dict):
            raise RemoteError(messages.ERR_BAD_REQUEST, "dial: a map {number, trunk, play}")
        events, cmds = [], []
        try:
            r = self.calls.dial(value.get("number"), value.get("trunk"), value.get("play"), self.board.now_ms(),
                                self.ports, events, cmds)
        except DialError as e:
            raise RemoteError(messages.ERR_REFUSED, str(e), value.get("number"))
        self._pending.append((events, cmds))
        return r

    def campaign(self, value):
        """OP_CAMPAIGN: load (its files are on the flash: cp/NAME.*), start, pause, stop a
        campaign, or its status (dialer.py)."""
        from .campaigns import R_PAUSED, R_RUNNING, R_STOPPED, CampaignError

        runs = {"start": R_RUNNING, "pause": R_PAUSED, "stop": R_STOPPED}
        if not isinstance(value, dict) or value.get("do") not in ("load", "status") + tuple(runs):
            raise RemoteError(messages.ERR_BAD_REQUEST, "campaign: {do: load|start|pause|stop|status, name}")
        name, do = value.get("name"), value["do"]
        if not isinstance(name, str) or not name or "/" in name:
            raise RemoteError(messages.ERR_BAD_REQUEST, "campaign: bad name %r" % (name,))
        dialer = self.calls.campaigns()
        now = self.board.now_ms()
        try:
            if do == "load":
                cp = dialer.load(name, now)
            else:
                cp = dialer.get(name)
                if do in runs:
                    cp.set_run(runs[do], self.board.epoch_ms(now))
        except CampaignError as e:
            code = messages.ERR_NOT_FOUND if "no campaign" in str(e) else messages.ERR_REFUSED
            raise RemoteError(code, str(e), None)
        st = cp.status()
        st["calls"] = dialer.active.get(name, 0)
        return st

    def status(self, value):
        if isinstance(value, dict) and value.get("part") == "line_cards":  # (the whole would pass a frame's 510 bytes)
            return {"line_cards": self.board.stats()}
        return {
            "fw": VERSION,
            "board": self.id,
            "boot": self.boot,
            "uptime_ms": time.ticks_diff(time.ticks_ms(), self.t0),
            "site": (self.site or self._boot_site or {}).get("site"),
            "ports": self.ports.status(),
            "cdr": {"written": self.cdr.written, "failed": self.cdr.failed, "short": self.cdr.short},
            "next_ev": self.ep.next_event(),
            "link": self.ep.stats(),
            "heap": _heap(),
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
            while self._pending:
                events, cmds = self._pending.pop(0)
                await self.act(events, cmds)
            if self._to_repl:
                self.stop("repl")
            if self._to_reset:
                self.stop("reset")

    async def lines(self):
        while True:
            report = await self.board.line()
            if report.get("what") == linecard.REPORT_REC:  # recorded audio on its way to the flash
                try:
                    self.recorder.feed(report)
                except (OSError, ValueError) as e:  # a bad chunk never stops the calls
                    print("recorder:", repr(e))
                if self.cdr.waiting:  # maybe the last chunk a record waits for
                    self.cdr.release(self.recorder, self.board.now_ms())
                    if self.cdr.out:
                        events = []
                        self.records(events)
                        await self.act(events, [])
                continue
            self.start_site()
            now = self.board.now_ms()
            events = self.ports.line(report, now)
            cmds = []
            self.calls.line(report, now, self.ports, events, cmds)
            self.agent_lines(self.calls)
            self.records(events)
            await self.act(events, cmds)

    async def act(self, events, cmds):
        async with self._acting:  # the lines' and the clock's batches never interleave
            for c in cmds:  # recording files first: a recording starts with its bridge
                if c["t"] == linecard.CMD_RECORD:
                    try:
                        self.recorder.begin(c, self.board.epoch_ms(self.board.now_ms()))
                    except OSError as e:  # no room: the call goes on unrecorded
                        print("recorder:", repr(e))
            for c in cmds:  # the line cards, then the host: it hears of an answer once it is done
                await self.board.do(c)
            if events:
                await self.emit(events)

    async def clock(self):
        events, cmds = [], []  # reused every tick: an idle board allocates nothing here
        while True:
            await asyncio.sleep_ms(max(1, int(_TICK_MS / self.board.rate)))
            self.start_site()
            now = self.board.now_ms()
            if self._next_site is not None and not self.busy():
                self.use_site(self._next_site)
                self._next_site = None
            events.clear()
            cmds.clear()
            changed = self.ports.tick(now)
            if changed:
                events.extend(changed)
            self.calls.tick(now, self.ports, events, cmds)
            self.agent_lines(self.calls)
            if self.cdr.waiting:  # records whose recordings' last chunks are overdue
                self.cdr.release(self.recorder, now)
            self.records(events)
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
        await self.board.tell({"t": linecard.CMD_HELLO, "fw": VERSION, "boot": self.boot})
        tasks = [
            asyncio.create_task(self._guard("lines", self.lines())),
            asyncio.create_task(self._guard("clock", self.clock())),
        ]
        for _ in range(300):  # the site starts (clock task) before the host is answered
            if self._boot_site is None:
                break
            await asyncio.sleep_ms(10)
        else:
            print("app: no clock report from the line cards; the site starts on the clock there is")
            self.start_site(guess=True)
        tasks.append(asyncio.create_task(self._guard("link", self.link())))
        update.confirm()  # up: a newly deployed slot is kept
        await self.stopped.wait()
        for t in tasks:
            t.cancel()
        await asyncio.sleep_ms(0)
        self.calls.flush()  # records waiting for a disposition go as they are
        self.cdr.flush(self.recorder)  # no record is left behind: written, recordings marked cut
        if self.error is not None:
            raise self.error
        return self.reason


async def main():
    board = await hal.connect()
    try:
        return await App(board, hal.board_def()).run()
    finally:
        board.close()
