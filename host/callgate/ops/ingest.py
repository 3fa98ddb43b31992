"""One thread per board: every event and call record from its link into the store, once.

    ing = BoardIngest("/dev/ttyUSB0", store, floor)   # floor: live.Floor, told of each event
    ing.start(); ...; ing.stop()

Events. The link client (link/client.py) numbers events per boot, drops duplicates, asks the
board again (EVENTS) for a gap, and reports what the board no longer holds as one "lost"
event. The store remembers, per board, the boot id and number of the last event it stored.
A board seen for the first time gets the position of its handshake (`next_ev`), so even a
service killed before its first event was stored resumes from there. Stopping (SIGTERM)
stores every event that has arrived and reads the record files once more before the link is
closed. When the service starts again
(or the link comes back) the client is told that position
before its handshake (`Client.resume_from`), so the HELLO reply's `next_ev` makes it fetch what was missed — the
board keeps the last 64 — or, if the board restarted meanwhile, the new boot's events from
0. Each event is stored under (board, boot, its running number in that boot): storing one
twice stores it once. The live floor is told of each event as the link delivers it, not
after it is stored: a wallboard never waits on the store's write lock (eight boards' writers
contend for SQLite's; a batch waited up to 20 s), and events told twice after a store failure
only repeat states the floor already shows.

Call records. The board appends them to cdr/YYYYMMDD.log (docs/callcenter.md). The store
keeps, per file, how many bytes it has read up to the last whole line; on (re)connecting,
and (on a thread of its own, so that events never queue behind these requests) after each
`cdr` event, after a "lost" event and every 30 s, it reads each file on from there (FS_READ
with an offset), parses the lines as `cdr pull` does (callcenter/lines.py), and stores the
records and the new offset in one transaction. A record's id is its key, so reading a
stretch again (a file replaced or shortened is read from 0) stores nothing twice; the files
themselves outlive a board restart, so no record is lost while the service is down.

Recordings (when given a folder: `serve` uses `recordings/` beside the store), on a thread of
their own so events never wait for them: on connecting and after each new record that names one, `recordings pull`'s code fetches the files the folder
lacks (each asked for its sha256 first, so a file already here costs one request).

A board that vanishes: the client reopens its port for up to 10 s; after that this thread
closes it, marks the board down and tries again every second, resuming as above.
"""

import json
import queue
import threading
import time

from ..callcenter.lines import parse
from ..callcenter.recordings import pull as pull_recordings
from ..firmware.link import messages
from ..link.client import Client, LinkClosed
from ..firmware.link.errors import LinkError, RemoteError
from ..link.files import RemoteFiles

CDR_FOLDER = "cdr"
REFUSED_RETRY_S = 10.0  # a board refused (its id taken by another port): asked again this often


class BoardRefused(LinkError):
    """The board answers with an id another port of this service holds."""
READ_CHUNK = 400  # bytes per FS_READ (fits one frame with the path)


def read_from(fs: RemoteFiles, path: str, offset: int) -> bytes:
    out = bytearray()
    while True:
        b = fs.c.request(messages.OP_FS_READ, {"p": path, "o": offset + len(out), "n": READ_CHUNK}, timeout=fs.timeout)
        if not b:
            return bytes(out)
        out.extend(b)


def read_site(fs: RemoteFiles) -> dict:
    """The agents' names by extension and the site's UTC offset (minutes) from the board's
    site.json; {} when the board has no site (the floor then learns names from events)."""
    try:
        d = json.loads(fs.read("site.json"))
    except (RemoteError, ValueError):
        return {}
    if not isinstance(d, dict):
        return {}
    agents = {p["ext"]: p.get("agent") for p in d.get("ports", []) if isinstance(p, dict) and p.get("ext")}
    hours = d.get("hours") if isinstance(d.get("hours"), dict) else {}
    return {"site": d.get("site"), "agents": agents, "utc_offset_min": hours.get("offset_min")}


class BoardIngest(threading.Thread):
    def __init__(self, port: str, store, floor=None, log=print, retry_s: float = 1.0, timeout: float = 1.0,
                 recordings=None):
        super().__init__(name=f"ingest {port}", daemon=True)
        self.port = port
        self.store = store
        self.floor = floor
        self.log = log
        self.retry_s = retry_s
        self.timeout = timeout
        self.board = None  # the board's id, once it answered
        self.connected = threading.Event()
        self.recordings = recordings  # a folder to pull the board's recordings into (None: leave them)
        self.bad_lines = []  # BadLine of call-record lines that could not be read
        self._halt = threading.Event()
        self._want_recordings = threading.Event()
        self._want_cdrs = threading.Event()
        self._cdr_lock = threading.Lock()  # one reader of the record files at a time
        self._client = None

    def stop(self) -> None:
        """Store what has arrived, then close the link."""
        self._halt.set()
        self._want_recordings.set()
        self.join(timeout=10)
        c = self._client
        if c is not None:
            c.close()

    def run(self) -> None:
        threading.Thread(target=self._cdrs_loop, name=f"records {self.port}", daemon=True).start()
        if self.recordings:
            threading.Thread(target=self._recordings_loop, name=f"recordings {self.port}", daemon=True).start()
        said = None
        while not self._halt.is_set():
            wait = self.retry_s
            try:
                self._follow()
            except BoardRefused as e:
                wait = REFUSED_RETRY_S
                if str(e) != said:  # said once, not at every try
                    self.log(f"{self.port}: {e}")
                    said = str(e)
            except (LinkError, OSError) as e:
                if not self._halt.is_set():
                    self.log(f"{self.port}: {e}; trying again")
            except Exception as e:  # a database problem: keep what is stored, try again
                if not self._halt.is_set():
                    self.log(f"{self.port}: {type(e).__name__}: {e}; trying again")
            finally:
                if self.floor is not None and self.board and self.connected.is_set():
                    self.floor.board_down(self.board)
                self.connected.clear()
                c, self._client = self._client, None
                if c is not None:
                    c.close()
            self._halt.wait(wait)

    # -- one connection ------------------------------------------------------------------------

    def _follow(self) -> None:
        known = next((b for b in self.store.boards() if b["port"] == self.port), None)
        c = self._client = Client(self.port, timeout=self.timeout, keepalive=1.0)
        q = queue.SimpleQueue()
        known_boot = known["boot"] if known else None
        live = [None]  # the board's id once the floor has let this port follow it

        def on_event(ev):
            """Queue the event with the boot it belongs to: a BOOT event names it; else the
            client's handshake does (refreshed before a new boot's events are delivered); else,
            for events recovered before the first handshake returned, the boot the store knew."""
            if ev.name == "boot" and isinstance(ev.value, dict) and ev.value.get("boot") is not None:
                boot = ev.value["boot"]
            elif c.info is not None:
                boot = c.info.get("boot")
            else:
                boot = known_boot
            if live[0] is not None and ev.number is not None:  # the floor at once, on the
                self.floor.event(live[0], ev, boot)  # link's thread: never behind the store's lock
            q.put((boot, ev))

        c.subscribe(on_event)
        if known_boot is not None and known["last_n"] is not None:
            c.resume_from(known_boot, known["last_n"])
        info = c.hello()
        if self.floor is not None:
            other = self.floor.claim(info["board"], self.port)
            if other is not None:
                raise BoardRefused(f"the board here answers as {info['board']!r}, like the one on {other}: "
                                   "boards need distinct ids (not followed; asked again every "
                                   f"{REFUSED_RETRY_S:g} s)")
        self.board = info["board"]
        if self.floor is not None:
            live[0] = self.board
        row = self.store.board(self.board) or {}
        boot, last_n, last_ord = row.get("boot"), row.get("last_n"), row.get("last_ord")
        if boot is None:
            boot = info["boot"]
        if row.get("boot") is None:  # where this board's events start: a restart resumes here
            last_n = (info["next_ev"] - 1) & 0xFFFF
            last_ord = last_n
            self.store.set_position(self.board, self.port, boot, last_n, last_ord)
        else:
            self.store.add_events(self.board, self.port, None, [])  # the port it is on now
        if self.floor is not None:
            self.floor.site(self.board, read_site(RemoteFiles(c)))
            self.floor.board_up(self.board, self.port, c.request(messages.OP_CALLS))
        self.connected.set()
        self._want_recordings.set()
        self._sync_cdrs(c)
        last_sync = time.monotonic()
        while True:
            batch = []
            try:
                batch.append(q.get(timeout=0.2 if self._halt.is_set() else 0.5))
                while len(batch) < 200:
                    batch.append(q.get_nowait())
            except queue.Empty:
                pass
            if not batch:
                if self._halt.is_set():
                    self._sync_cdrs(c)  # the records written up to now, too
                    return  # everything that arrived is stored
                if c._closed.is_set():
                    raise LinkClosed(str(c._error or "link closed"))
            rows, lost, sync = [], 0, False
            for ev_boot, ev in batch:
                if ev.number is None:  # "lost": the board no longer held them
                    lost += ev.value.get("count", 0)
                    sync = True
                    continue
                if ev_boot != boot or last_n is None:
                    if rows:
                        self.store.add_events(self.board, self.port, boot, rows)
                        rows = []
                    boot, last_ord = ev_boot, ev.number  # a new boot: numbers from 0
                else:
                    last_ord += (ev.number - last_n) & 0xFFFF
                last_n = ev.number
                rows.append((last_ord, ev.number, ev.name, ev.value, ev.received))
                if ev.name == "cdr":
                    sync = True
            if rows or lost:
                self.store.add_events(self.board, self.port, boot if rows else None, rows, lost=lost)
                if lost:
                    self.log(f"{self.port}: {lost} event(s) the board no longer held")
            if (sync or time.monotonic() - last_sync > 30) and not self._halt.is_set():
                self._want_cdrs.set()  # read on the records' thread: events never wait for it
                last_sync = time.monotonic()

    def _cdrs_loop(self) -> None:
        """Read the record files when asked (after a `cdr` or "lost" event, every 30 s), on a
        thread of its own: the reads are requests over the link, which may be busy with a
        recording, and the floor's events must not queue behind them."""
        while not self._halt.is_set():
            if not self._want_cdrs.wait(1.0) or self._halt.is_set():
                continue
            self._want_cdrs.clear()
            c = self._client
            if c is None or not self.connected.is_set():
                continue  # (re)connecting reads them anyway
            try:
                self._sync_cdrs(c)
            except Exception as e:  # the link or the store: keep what is stored, try again
                if not self._halt.is_set():
                    self.log(f"{self.port}: call records: {type(e).__name__}: {e}; trying again")
                    self._halt.wait(self.retry_s)
                    self._want_cdrs.set()

    def _sync_cdrs(self, c) -> list:
        """Read every cdr/*.log on from where the store left it; returns the new ids."""
        with self._cdr_lock:
            return self._read_cdrs(c)

    def _read_cdrs(self, c) -> list:
        fs = RemoteFiles(c)
        try:
            names = sorted((n, size) for n, size in fs.listdir(CDR_FOLDER) if size >= 0 and n.endswith(".log"))
        except RemoteError as e:
            if e.code == messages.ERR_NOT_FOUND:
                return []
            raise
        new = []
        for name, size in names:
            path = f"{CDR_FOLDER}/{name}"
            offset = self.store.cdr_offset(self.board, path)
            if size < offset:
                offset = 0  # the file was replaced: read it again (ids keep it once)
            if size == offset:
                continue
            data = read_from(fs, path, offset)
            whole = data.rfind(b"\n") + 1  # a line still being written waits for the next read
            if not whole:
                continue
            records, bad = parse(data[:whole], path)
            self.bad_lines.extend(bad)
            for b in bad:
                self.log(f"{self.port}: skipped {b} (from byte {offset})")
            got = self.store.add_calls(self.board, records, file=path, offset=offset + whole)
            new.extend(got)
            if any(r.get("recording") for r in records if r.get("id") in set(got)):
                self._want_recordings.set()
            if self.floor is not None and got:
                self.floor.calls_stored(self.board, [r for r in records if r.get("id") in set(got)])
        return new

    def _recordings_loop(self) -> None:
        """Pull recordings on a thread of its own (a recording is many requests: events must
        not wait for it); the link client takes requests from several threads."""
        while not self._halt.is_set():
            if not self._want_recordings.wait(1.0) or self._halt.is_set():
                continue
            self._want_recordings.clear()
            c = self._client
            if c is None or not self.connected.is_set():
                continue
            try:
                self._pull_recordings(RemoteFiles(c))
            except (LinkError, OSError, ValueError) as e:
                self.log(f"{self.port}: recordings: {e}")
                self._halt.wait(self.retry_s)
                self._want_recordings.set()

    def _pull_recordings(self, fs) -> None:
        """The recordings the folder lacks (callcenter/recordings.py: checked by sha256,
        written atomically, listed in index.json)."""
        r = pull_recordings(fs, self.recordings)
        for b in r["bad"]:
            self.log(f"{self.port}: skipped {b}")
        for f in r["failed"]:
            self.log(f"{self.port}: {f}: the copy never matched the board's sha256; not kept")
