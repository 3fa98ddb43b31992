# Recordings on the flash: the line cards record a port (both directions mixed, G.711) and
# stream the codes back a few times a second ("rec" reports, linecard.py); this module appends
# them to rec/<id>.wav as they come and, when the last chunk is in, adds a line to
# rec/index.log (records.py) with the length. The control plane only moves the bytes: it never
# looks at a sample.
#
# A recording's file stays open while it is made, and each chunk is written to it as it comes
# (from the MCU's HAL, straight from the line card's recording ring: no copy). A recording is
# complete on the flash once its index line is written; the line carries the file's sha256,
# hashed as it was written, so a host never needs the board to read a recording through to
# hash it (FS_HASH of a megabyte held the emulated MCU's app for seconds). The call's record
# waits for that (cdr.py asks busy(call)), since a host fetches recordings when it sees the
# record; a recording that cannot be completed is marked: its index line says "cut" (the flash
# was full, or its last chunk never came: give_up()), and incomplete(call) tells the record.
#
# The files are written append-only: the header keeps the streaming placeholder sizes
# (0xFFFFFFFF, "to the end of the file"), because on LittleFS rewriting a file's first bytes
# copies the whole file. `callgate recordings pull` fills the real sizes in on the host. A
# recording cut by a power loss has no index line. Before each recording starts, and whenever
# the flash runs low during one, old recordings go (oldest first, by the index) when they are
# older than the site's retention or the flash has less than `reserve` bytes free. A flash that
# is full all the same ends the recording where it is (counted in `cut`); it never stops the
# board.

import hashlib
import os
import struct
from binascii import a2b_base64, hexlify

from . import records
from .compat import const
from .files import makedirs

INDEX = "rec/index.log"
_TAG = {"ulaw": 7, "alaw": 6}
HEADER_LEN = 58  # RIFF, fmt (18 bytes), fact, data headers
_HEADROOM = 2 * 4096  # flash blocks kept for the index line
_LOOK_EVERY = const(65536)  # bytes recorded between two looks at the flash's free space
# The file is committed once, when the recording ends: LittleFS commits by copying the file's
# last, partly written block, so 800-byte appends each in their own open cost 4.4 times as much
# per byte as 4000-byte ones on the emulated MCU (1.26 ms against 0.29 per 800 bytes), enough to
# leave its app seconds behind its line reports in the busy half-hour; and a file committed
# while it is still written to has its blocks counted twice by LittleFS's free space (its old
# and its new version share them), which would prune recordings for room the flash has. A
# power cut loses the audio of a recording still being made (which never has an index line).


def header(law, n):
    """The 58-byte header of a mono 8 kHz G.711 WAV with n bytes of data (None: unknown)."""
    riff = 0xFFFFFFFF if n is None else 50 + n
    size = 0xFFFFFFFF if n is None else n
    return (b"RIFF" + struct.pack("<I", riff) + b"WAVE"
            + b"fmt " + struct.pack("<IHHIIHHH", 18, _TAG[law], 1, 8000, 8000, 1, 8, 0)
            + b"fact" + struct.pack("<II", 4, 0 if n is None else n)
            + b"data" + struct.pack("<I", size))


def free_bytes():
    try:
        st = os.statvfs(".")
        return st[0] * st[4]
    except (OSError, AttributeError):
        return None


class Recorder:
    def __init__(self, law="ulaw", days=90, reserve=2400000):
        self.law = law if law in _TAG else "ulaw"
        self.days = days
        self.reserve = reserve  # bytes kept free: by default 5 minutes of G.711
        self.open = {}  # id -> what goes in its index line
        self.lost = {}  # call id -> True: a recording of it is incomplete (until incomplete())
        self._files = {}  # recording id -> its file, open while it is made
        self._hash = {}  # recording id -> the sha256 of what is on the flash so far
        self.done = 0
        self.pruned = 0
        self._free = None  # free bytes at the last look (statvfs), less what was written since
        self._since = 0  # bytes written since that look
        self.cut = 0  # recordings ended early: the flash was full, or their end never came

    def begin(self, cmd, epoch_ms):
        """A record command is on its way to the line card: make the file (OSError: no room,
        the call goes on unrecorded and its record says so)."""
        path = cmd["file"]
        try:
            self.prune(epoch_ms)
            makedirs(path)
            head = header(self.law, None)
            f = open(path, "wb")
            try:
                f.write(head)
                f.flush()
            except OSError:
                f.close()
                raise
        except OSError:
            self.cut += 1
            self.lost[cmd.get("call")] = True
            raise
        self.open[cmd["id"]] = {"id": cmd["id"], "file": path, "kind": cmd.get("kind", "call"),
                                "call": cmd.get("call"), "agent": cmd.get("agent"),
                                "queue": cmd.get("queue"), "number": cmd.get("number"),
                                "start": epoch_ms, "ms": 0, "bytes": 0}
        self._files[cmd["id"]] = f
        self._hash[cmd["id"]] = hashlib.sha256(head)

    def feed(self, report):
        """One rec report; returns the index entry when the recording is complete."""
        st = self.open.get(report.get("id"))
        if st is None:
            return None
        data = report.get("pcm")  # the MCU's HAL: a memoryview of its ring; over a socket: base64 text
        if data is None:
            data = a2b_base64(report.get("data") or "")
        end = report.get("end")
        lost = report.get("lost")
        if isinstance(lost, int) and lost > 0:  # the line card dropped codes: a gap, in ms
            st["lost_ms"] = st.get("lost_ms", 0) + lost // 8
        if data and not self._write(st, data):
            end = True  # full: keep what is there
        if not end:
            return None
        return self._close(st)

    def _write(self, st, data):
        """Append a chunk to the recording's file; False: the flash is full, and the
        recording is cut."""
        n = len(data)
        free = self._free_before(n)
        if free is not None and free < self.reserve // 2:
            self.prune(st["start"])
            free = self._look()
        try:
            if free is not None and free < n + _HEADROOM:
                raise OSError(28)  # keep room to close the WAV and write its index line
            f = self._files[st["id"]]
            f.write(data)
            self._hash[st["id"]].update(data)
            st["bytes"] += n
            self._since += n
            return True
        except OSError:
            st["cut"] = True
            return False

    def _free_before(self, n):
        """The flash's free bytes before n more are written: statvfs once per _LOOK_EVERY
        bytes recorded (LittleFS counts its free blocks by walking every file, a cost that
        grows with what the flash holds; the MCU met it every 100 ms per recording), counted
        down by what was written in between. A shortfall near the reserve always looks again."""
        if self._free is None or self._since + n >= _LOOK_EVERY:
            return self._look()
        free = self._free - self._since
        return self._look() if free < self.reserve else free

    def _look(self):
        self._free, self._since = free_bytes(), 0
        return self._free

    def _close(self, st):
        """The recording's index line: it is complete on the flash (or marked cut)."""
        del self.open[st["id"]]
        try:
            self._files.pop(st["id"]).close()
        except OSError:  # not committed: only what the flash kept counts
            st["cut"] = True
            try:
                st["bytes"] = max(0, os.stat(st["file"])[6] - HEADER_LEN)
            except OSError:
                st["bytes"] = 0
        h = self._hash.pop(st["id"])
        st["ms"] = st["bytes"] // 8
        if st.get("cut"):
            self.cut += 1
            self.lost[st["call"]] = True
        else:  # the host needs not ask the board to hash it (FS_HASH reads it all)
            st["sha256"] = hexlify(h.digest()).decode()
        try:
            records.append(INDEX, st)
        except OSError:
            if not st.get("cut"):
                self.cut += 1
            self.lost[st["call"]] = True
            return None
        self.done += 1
        return st

    def busy(self, call):
        """True while a recording of the call (its record's id) is still coming in."""
        for st in self.open.values():
            if st["call"] == call:
                return True
        return False

    def give_up(self, call):
        """The call's recordings still open will not be completed (their last chunk never
        came): close them with what came, marked cut; chunks that come later are dropped."""
        for st in [st for st in self.open.values() if st["call"] == call]:
            st["cut"] = True
            self._close(st)

    def incomplete(self, call):
        """True (once) if a recording of the call was cut or could not start."""
        return self.lost.pop(call, False)

    def prune(self, now_ms):
        """Remove the oldest finished recordings while they are past retention or space is
        short."""
        self._limit = now_ms - self.days * 86400000
        records.scan(INDEX, self._prune_one)

    def _prune_one(self, e):
        free = free_bytes()
        if (e.get("start") or 0) >= self._limit and (free is None or free >= self.reserve):
            return True  # done: the rest are newer and there is room
        try:
            os.remove(e["file"])
            self.pruned += 1
        except OSError:
            pass  # gone already
        return False
