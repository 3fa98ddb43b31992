# Call records (CDRs): their layout, and the flash they go to. One line per call (records.py)
# in cdr/YYYYMMDD.log, by the date (UTC, on the board's clock) the call ended. calls.py starts
# a record with new() when a call rings and fills it in as the call goes; the app hands it to
# CdrLog.write() when the call ends. `callgate cdr pull` reads them back; the host's
# callgate.callcenter.cdr takes FIELDS and TIMES from here (docs/callcenter.md describes each).

import time

from . import records

FOLDER = "cdr"
VERSION = 1  # a record's "v"

# Every field of a record, in order. Times are Unix ms on the board's clock; a step the call
# did not take stays null.
FIELDS = ("v", "id", "port", "trunk", "number", "name", "cid", "arrived", "answered", "ivr", "queue",
          "queues", "queued", "offered", "agent", "agent_name", "connected", "agent_left", "ended", "by",
          "how", "outcome", "recording", "survey", "callback", "wrap_s")
TIMES = ("arrived", "answered", "queued", "connected", "agent_left", "ended")
# Fields a record has only when that happened: the queue the caller last overflowed from, and
# the digits of the plain flow (a board without a site).
EXTRA = ("overflow", "digits")


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
    return r


def day(epoch_ms):
    """YYYYMMDD (UTC) of a Unix time in ms."""
    t = time.gmtime(epoch_ms // 1000)
    return "%04d%02d%02d" % (t[0], t[1], t[2])


class CdrLog:
    def __init__(self, folder=FOLDER):
        self.folder = folder
        self.written = 0
        self.failed = 0

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
