# The virtual board's HAL backend (board.json "hal": "virtual", the MicroPython Unix port): the
# data UART and the line cards are two UNIX sockets served by the board model
# (host/callgate/sim), in the folder named by $CALLGATE_SIM; line-card reports and commands
# (linecard.py) are JSON lines there (docs/virtual-board.md). Also the virtual board's flash:
# a LittleFS2 image file mounted through a file block device. hal.py picks this module; only
# a virtual board's manifest freezes it.

import json
import os
import time

from . import hal, linecard


def boot_escape(board):
    """The Unix port's escape key: $CALLGATE_SAFE set."""
    return bool(os.getenv("CALLGATE_SAFE"))


def largest_free():
    """The Unix port's heap is the process's: no block map to ask."""
    return None


async def connect():
    b = Board()
    await b.connect()
    return b


# The virtual board's flash: a LittleFS2 image file (docs/virtual-board.md, Flash). A board's
# frozen _boot.py mounts its flash partition at boot; the sim's stand-in for it
# (host/callgate/sim/boot/_boot.py) calls mount_flash(), which mounts the image named by
# $CALLGATE_FLASH at /flash with vfs.VfsLfs2 and makes it the current folder, so boot.json,
# the fw/ slots, site.json and prompts/ all live in the image. The host formats it with the
# same geometry (host/callgate/sim/flash.py).
FLASH_MOUNT = "/flash"
FLASH_BLOCK = 4096  # an ESP32 flash sector


class FileBlockDev:
    """A block device over a file (MicroPython's extended block-device protocol, with offsets,
    as VfsLfs2 uses it). Writes are plain write() calls on the file: a process killed in the
    middle leaves what reached the OS, as a board losing power leaves what reached the flash,
    and LittleFS (copy-on-write, CRC-checked commits) mounts at its last complete commit."""

    def __init__(self, path, block_size=FLASH_BLOCK):
        self.f = open(path, "r+b")
        self.block_size = block_size
        self.f.seek(0, 2)
        self.blocks = self.f.tell() // block_size

    def readblocks(self, block, buf, offset=0):
        self.f.seek(block * self.block_size + offset)
        self.f.readinto(buf)

    def writeblocks(self, block, buf, offset=None):
        self.f.seek(block * self.block_size + (offset or 0))
        self.f.write(buf)

    def ioctl(self, op, arg):
        if op == 4:  # block count
            return self.blocks
        if op == 5:  # block size
            return self.block_size
        if op == 3:  # sync
            self.f.flush()
        return 0  # init, deinit, erase (a file needs none)


def mount_flash(image=None):
    """Mount the virtual board's flash image at FLASH_MOUNT and chdir into it."""
    import vfs

    image = image or os.getenv("CALLGATE_FLASH")
    if not image:
        raise OSError("no flash image: $CALLGATE_FLASH is not set")
    vfs.mount(vfs.VfsLfs2(FileBlockDev(image)), FLASH_MOUNT)
    os.chdir(FLASH_MOUNT)


def _unix_connect(path):
    import socket
    import struct

    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    # MicroPython's connect() takes a raw sockaddr: sockaddr_un is the family then the path.
    s.connect(struct.pack("H", socket.AF_UNIX) + path.encode() + b"\x00")
    s.setblocking(False)
    return s


_CHUNK = 3072  # prompt bytes read and sent at a time (a multiple of 3: base64 without padding)
_CLOCK_EVERY_MS = 1000  # the line cards send a clock report every second of their time (sim/linecards.py)


class Board:
    def __init__(self):
        self.dir = os.getenv("CALLGATE_SIM")
        if not self.dir:
            raise OSError("not started by `callgate sim`: $CALLGATE_SIM is not set")
        self.uart = None
        self._model = None
        self._socks = ()
        self._sent = {}  # prompt file -> its key, sent to the model on this connection
        # The line cards' clock, from their clock reports: model ms and Unix seconds at the
        # moment of the last report (t0, in this process's ticks), and how fast it runs.
        self.rate = 1
        self._ms = 0
        self._epoch = time.time()
        self._t0 = time.ticks_ms()
        self._last = 0
        self.clock_known = False
        self.reports = self.bad = self.oom = 0  # line-card reports read, not JSON, no memory

    def stats(self):
        """The line cards' reports as this side saw them (`callgate status`): read, not JSON,
        lost for want of memory."""
        return {"reports": self.reports, "bad": self.bad, "oom": self.oom}

    def now_ms(self):
        """The line cards' time in ms (a ticks value: compare with ticks_diff). Between clock
        reports it runs at the nominal rate, for one report's interval at most; it never goes back (a model that fell behind makes
        it wait for the next report instead)."""
        ahead = int(time.ticks_diff(time.ticks_ms(), self._t0) * self.rate)
        # At most one report's interval past the last report: a firmware slow to read its
        # reports must not run its timers past a ring it has not read yet.
        now = time.ticks_add(self._ms, ahead if ahead < _CLOCK_EVERY_MS else _CLOCK_EVERY_MS)
        if time.ticks_diff(now, self._last) < 0:
            return self._last
        self._last = now
        return now

    def epoch_ms(self, now):
        """Unix ms at line-card time `now` (a now_ms() value)."""
        return int(self._epoch * 1000) + time.ticks_diff(now, self._ms)

    def _clock(self, msg):
        self.rate = msg.get("rate") or 1
        self._ms = time.ticks_add(0, int(msg.get("ms", 0)))
        self._epoch = msg.get("epoch", self._epoch)
        self._t0 = time.ticks_ms()
        self.clock_known = True

    async def connect(self):
        import asyncio

        u = _unix_connect(self.dir + "/uart0.sock")
        self.uart = (asyncio.StreamReader(u), asyncio.StreamWriter(u, {}))
        m = _unix_connect(self.dir + "/model.sock")
        self._model = (asyncio.StreamReader(m), asyncio.StreamWriter(m, {}))
        self._socks = (u, m)
        # One line at a time to the model: a prompt's bytes go out a chunk at a time, with
        # the line task's clock reply (tell) free to run between chunks; without the lock
        # that reply landed inside the play's line, the model could not parse it, and the
        # prompt was lost with no report (a voicemail that never started recording).
        self._writing = asyncio.Lock()

    async def line(self):
        """The next line-card report from the board model, e.g. {"what": "ring", ...}."""
        while True:
            raw = await self._model[0].readline()
            if not raw:
                raise OSError("board model closed")
            self.reports += 1
            try:
                msg = json.loads(raw)
            except ValueError:
                self.bad += 1
                continue
            except MemoryError:  # a report too big for the heap now: lost, the board goes on
                import gc

                gc.collect()
                self.oom += 1
                print("hal: a line-card report lost (no memory):", len(raw), "bytes")
                continue
            if isinstance(msg, dict):
                if msg.get("what") == linecard.REPORT_CLOCK:
                    self._clock(msg)
                    await self.tell({"t": linecard.CMD_CLOCK, "ms": msg.get("ms", 0)})  # the pacing
                    continue
                if "at" in msg:  # model ms -> a now_ms() value (not a number: read now instead)
                    try:
                        msg["at"] = time.ticks_add(0, int(msg["at"]))
                    except (TypeError, ValueError, OverflowError):
                        del msg["at"]
                return msg

    async def do(self, cmd):
        """A line-card command: on the virtual board, a JSON line to the board model. A play
        carries the prompt's bytes from the flash (base64 "wav") the first time this connection
        plays that file ("key": its path and size), as a board's firmware feeds its line cards:
        the model never reads the flash image itself. The bytes are read and sent a chunk at a
        time, so a long prompt needs no big buffer in the heap."""
        if cmd.get("t") != linecard.CMD_PLAY or "wav" in cmd:
            await self.tell(cmd)
            return
        found = hal.prompt_file(cmd.get("prompt"))
        if found is None:
            await self.tell(cmd)
            return
        path, size = found
        cmd = dict(cmd)
        cmd["key"] = key = "%s:%d" % (path, size)
        if self._sent.get(path) == key:
            await self.tell(cmd)  # the line card has it
            return
        import binascii

        w = self._model[1]
        head = json.dumps(cmd)
        async with self._writing:
            w.write(head[:-1].encode() + b', "wav": "')
            with open(path, "rb") as f:
                while True:
                    data = f.read(_CHUNK)
                    if not data:
                        break
                    w.write(binascii.b2a_base64(data)[:-1])  # without its newline
                    await w.drain()
            w.write(b'"}\n')
            await w.drain()
        self._sent[path] = key

    async def tell(self, msg):
        w = self._model[1]
        async with self._writing:
            w.write(json.dumps(msg).encode() + b"\n")
            await w.drain()

    def close(self):
        for pair in (self.uart, self._model):
            if pair:
                pair[1].close()
        # MicroPython's StreamWriter.close() leaves the socket open (wait_closed() closes it,
        # and the loop has ended by now): close them, so the board model sees the app go.
        for sock in self._socks:
            sock.close()
        self._socks = ()
