# Call records (CDRs): their layout, and the flash they go to. One line per call (records.py)
# in cdr/YYYYMMDD.log, by the date (UTC, on the board's clock) the call ended. calls.py starts
# a record with new() when a call rings and fills it in as the call goes; the app hands it to
# CdrLog.end() when the call ends. `callgate cdr pull` reads them back; the host's
# callgate.callcenter.cdr takes FIELDS and TIMES from here (docs/callcenter.md describes each).
#
# A record goes to the flash, and its event to the host, only once every recording of the call
# is complete on the flash (recorder.py: its index line written): the line cards' last chunk
# comes after the call ended, and a host fetches the recordings when it sees the record. One
# whose last chunk is not in within WAIT_MS of line-card time is closed as it is, and the
# record says "recording_cut": true (so does one of a recording the full flash cut). A record
# whose line finds no room in the heap (a 539-byte line failed on the emulated MCU with 27 KB
# free in pieces, and the app crashed with every call on the board) waits and is written at the
# next release(), a tick later.

import gc
import time

from . import records
from .compat import const, ticks_diff

FOLDER = "cdr"
VERSION = 2  # a record's "v" (2: with "disposition", "direction", "decide_ms")

# Every field of a record, in order. Times are Unix ms on the board's clock; a step the call
# did not take stays null.
FIELDS = ("v", "id", "port", "trunk", "number", "name", "cid", "arrived", "answered", "ivr", "queue",
          "queues", "queued", "offered", "agent", "agent_name", "connected", "agent_left", "ended", "by",
          "how", "outcome", "recording", "survey", "callback", "wrap_s", "disposition", "direction",
          "decide_ms")
TIMES = ("arrived", "answered", "queued", "connected", "agent_left", "ended")
# Fields a record has only when that happened: the queue the caller last overflowed from, the
# digits of the plain flow (a board without a site), true when the recording is incomplete
# (cut short, or never started: the flash was full; or its end never came), and each mode a
# supervisor was in ([{"ext", "mode", "ms"}], supervise.py); a transferred call's legs
# ([{"agent", "connected", "left"}], an outside number's {"number", "trunk", "connected", "left"})
# and transfers ([{"from", "to", "queue", "at"}], an outside number's with "outside", "trunk",
# "result"); of a callback's attempt (callbacks.py): the inbound call's record id it calls back
# for, and which attempt it is (1, 2, ...); of an outside transfer's attempt: the inbound call's
# record id it was dialled for; of a campaign's attempt (dialer.py): the campaign, the contact
# (its row, from 0), what the callee keyed, and true when a person answered and no agent took
# them (agent-connected); of an outbound call the network refused with a SIT, its kind.
EXTRA = ("overflow", "digits", "recording_cut", "supervised", "legs", "transfers", "callback_for", "attempt",
         "transfer_for", "campaign", "contact", "campaign_answers", "abandoned", "sit_kind")
WAIT_MS = const(10000)  # line-card ms a record waits for its recordings' last chunks


def new(rid, port, trunk, arrived):
    """A call's record when it starts ringing: every field, null where nothing happened yet."""
    r = {}
    for f in FIELDS:
        r[f] = None
    r["v"] = VERSION
    r["id"] = rid
    r["port"] = port
    r["trunk"] = trunk
    r["number"] = r["name"] = ""
    r["arrived"] = arrived
    r["ivr"] = []  # [menu, keys] per menu entered
    r["queues"] = []  # every queue the call waited in
    r["offered"] = 0  # agents rung for it
    r["direction"] = "in"  # "out": the board called (outbound.py); records before it have none: in
    return r


def day(epoch_ms):
    """YYYYMMDD (UTC) of a Unix time in ms."""
    t = time.gmtime(epoch_ms // 1000)
    return "%04d%02d%02d" % (t[0], t[1], t[2])


class CdrLog:
    def __init__(self, folder=FOLDER, wait_ms=WAIT_MS):
        self.folder = folder
        self.wait_ms = wait_ms
        self.written = 0
        self.failed = 0
        self.short = 0  # records that found no memory to be written at once (they waited a tick)
        self.waiting = []  # (record, ended at: line-card ms) of calls whose recordings stream in
        self.out = []  # (record, its file or None) written since the app took them for events

    def end(self, record, recorder, now_ms):
        """A call ended: write its record now, or, while the recorder (recorder.Recorder) still
        takes in one of its recordings, once release() finds them complete. Records written
        are added to `out`."""
        if recorder.busy(record["id"]):
            self.waiting.append((record, now_ms))
        else:
            self._finish(record, recorder)

    def release(self, recorder, now_ms):
        """Write the waiting records whose recordings are complete now, and those that waited
        wait_ms (their recordings closed as they are: cut)."""
        i, left = 0, len(self.waiting)  # (one that finds no memory again waits for the next call)
        while left and i < len(self.waiting):
            left -= 1
            record, since = self.waiting[i]
            if since is not None and recorder.busy(record["id"]):  # (None: its line found no memory)
                if ticks_diff(now_ms, since) < self.wait_ms:
                    i += 1
                    continue
                recorder.give_up(record["id"])
            self.waiting.pop(i)
            self._finish(record, recorder)

    def flush(self, recorder):
        """Write every waiting record now (the app is stopping): their recordings are cut."""
        for _ in range(len(self.waiting)):
            record = self.waiting.pop(0)[0]
            recorder.give_up(record["id"])
            self._finish(record, recorder)

    def _finish(self, record, recorder):
        if recorder.incomplete(record["id"]):
            record["recording_cut"] = True
        try:
            path = self.write(record)
        except MemoryError:
            gc.collect()
            self.waiting.append((record, None))  # (the app's next tick: release())
            self.short += 1
            return
        self.out.append((record, path))

    def path(self, record):
        return self.folder + "/" + day(record.get("ended") or 0) + ".log"

    def write(self, record):
        """Append one record; returns its file, or None if the flash refused it (full)."""
        path = self.path(record)
        try:
            records.append(path, record)
        except OSError as e:
            self.failed += 1
            print("cdr: not written:", repr(e))
            return None
        self.written += 1
        return path
