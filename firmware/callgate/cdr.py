# Call records on the flash: one line per call (records.py) in cdr/YYYYMMDD.log, by the date
# (UTC, on the board's clock) the call ended. calls.py fills a record in as the call goes;
# the app hands it here when the call ends. `callgate cdr pull` reads them back.

import time

from . import records

FOLDER = "cdr"


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
