"""The store: one SQLite database holding every board's events and call records, the customers,
the users and their sessions, and the notes agents type during calls.

    store = Store.open("sqlite:///build/ops/ops.db")   # SQLAlchemy's URL form: four slashes
                                                       # for an absolute path, three relative
    store.add_events("a1b2c3d4e5f6", boot, [(ord, n, "pop", {...}, received), ...])
    store.add_calls("a1b2c3d4e5f6", [record, ...])     # CDRs as the board stores them
    store.calls(since_ms=..., queue="support")         # -> [record + {"notes": [...]}]

One schema, changed only by appending to MIGRATIONS: each entry runs once, in one
transaction, and `schema_version` remembers the last one applied, so an older database is
brought up to date when the service opens it. Exactly once: an event is keyed by (board, boot,
its running number in that boot) and a call record by its id (the board's boot id and call
number), so storing either twice stores it once. Every write is one transaction: a crash or a
locked database ("database is locked" after `timeout` s) loses nothing already stored.

PostgreSQL (`postgresql://`) is named in docs/ops.md as the second backend; it is not built yet
and the URL is refused with a clear message. (No column is named with a word PostgreSQL
reserves, such as `user` or `offset`, so the schema can move there as it is.)
"""

import json
import os
import sqlite3
import threading
import time

from .numbers import lookup_key

MIGRATIONS = [
    (1, """
    CREATE TABLE boards (
        board TEXT PRIMARY KEY,      -- the board's id (HELLO "board")
        port TEXT,                   -- the link it was last reached on
        boot INTEGER,                -- the boot id of the last event stored
        last_n INTEGER,              -- that event's 16-bit number
        last_ord INTEGER,            -- and its running number in the boot (no wrap)
        lost INTEGER NOT NULL DEFAULT 0,  -- events the board no longer held when asked
        seen REAL                    -- host time of the last event
    );
    CREATE TABLE events (
        board TEXT NOT NULL,
        boot INTEGER NOT NULL,
        ord INTEGER NOT NULL,
        n INTEGER NOT NULL,
        kind TEXT NOT NULL,
        value TEXT NOT NULL,         -- JSON
        received REAL NOT NULL,      -- host time
        PRIMARY KEY (board, boot, ord)
    );
    CREATE TABLE cdr_files (
        board TEXT NOT NULL,
        file TEXT NOT NULL,          -- cdr/YYYYMMDD.log on the board
        bytes_read INTEGER NOT NULL, -- up to the last whole line
        PRIMARY KEY (board, file)
    );
    CREATE TABLE calls (
        id TEXT PRIMARY KEY,         -- the CDR's id: boot id and call number
        board TEXT NOT NULL,
        arrived INTEGER,             -- Unix ms, the board's clock
        number_key TEXT,             -- numbers.normalise(number), NULL if not a number
        queue TEXT,
        agent TEXT,
        outcome TEXT,
        record TEXT NOT NULL,        -- JSON, exactly as the board stored it
        stored REAL NOT NULL
    );
    CREATE INDEX calls_arrived ON calls (arrived);
    CREATE INDEX calls_number ON calls (number_key);
    CREATE TABLE call_notes (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        call TEXT NOT NULL,          -- a CDR id (the record may arrive after the note)
        username TEXT NOT NULL,
        text TEXT NOT NULL,
        at REAL NOT NULL
    );
    CREATE INDEX call_notes_call ON call_notes (call);
    CREATE TABLE customers (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT NOT NULL,
        company TEXT NOT NULL DEFAULT '',
        notes TEXT NOT NULL DEFAULT '',
        extra TEXT NOT NULL DEFAULT '{}',  -- JSON: the CSV's other columns
        updated REAL NOT NULL
    );
    CREATE TABLE customer_numbers (
        number TEXT PRIMARY KEY,     -- normalised
        customer INTEGER NOT NULL REFERENCES customers (id) ON DELETE CASCADE
    );
    CREATE TABLE users (
        name TEXT PRIMARY KEY,
        role TEXT NOT NULL CHECK (role IN ('agent', 'supervisor', 'admin')),
        ext TEXT,                    -- an agent's extension (their page)
        password TEXT NOT NULL,      -- auth.hash_password()
        created REAL NOT NULL
    );
    CREATE TABLE sessions (
        token TEXT PRIMARY KEY,
        username TEXT NOT NULL REFERENCES users (name) ON DELETE CASCADE,
        csrf TEXT NOT NULL,
        expires REAL NOT NULL
    );
    """),
]



class StoreError(ValueError):
    """A --db URL that cannot be used (one line in the CLI)."""


def sqlite_path(url: str) -> str:
    """sqlite:///rel/path.db -> rel/path.db; sqlite:////abs/path.db -> /abs/path.db."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        raise StoreError(f"{url.split('@')[-1]}: the PostgreSQL backend is not built yet; use sqlite:///PATH")
    if not url.startswith("sqlite:///"):
        raise StoreError(f"--db {url!r}: expected sqlite:///PATH (four slashes for an absolute path)")
    path = url[len("sqlite:///"):]
    if not path:
        raise StoreError("--db sqlite:///: no file named")
    return path


class Store:
    def __init__(self, path: str, timeout: float = 5.0):
        self.path = path
        folder = os.path.dirname(os.path.abspath(path))
        os.makedirs(folder, exist_ok=True)
        self._db = sqlite3.connect(path, timeout=timeout, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._lock = threading.RLock()
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._migrate()

    @classmethod
    def open(cls, url: str) -> "Store":
        return cls(sqlite_path(url))

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- plumbing ------------------------------------------------------------------------------

    def _migrate(self) -> None:
        self._db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        row = self._db.execute("SELECT max(version) FROM schema_version").fetchone()
        have = row[0] or 0
        for version, sql in MIGRATIONS:
            if version <= have:
                continue
            with self.transaction() as db:
                for statement in sql.split(";"):
                    if statement.strip():
                        db.execute(statement)
                db.execute("INSERT INTO schema_version (version) VALUES (?)", (version,))

    def version(self) -> int:
        return self._db.execute("SELECT max(version) FROM schema_version").fetchone()[0]

    class _Tx:
        def __init__(self, store):
            self.store = store

        def __enter__(self):
            self.store._lock.acquire()
            try:
                self.store._db.execute("BEGIN IMMEDIATE")
            except BaseException:
                self.store._lock.release()
                raise
            return self.store._db

        def __exit__(self, exc_type, *exc):
            try:
                self.store._db.execute("ROLLBACK" if exc_type else "COMMIT")
            finally:
                self.store._lock.release()

    def transaction(self):
        """with store.transaction() as db: ... — one transaction, rolled back on an exception."""
        return Store._Tx(self)

    def query(self, sql: str, args=()) -> list:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    # -- boards and events ---------------------------------------------------------------------

    def board(self, board: str):
        rows = self.query("SELECT * FROM boards WHERE board = ?", (board,))
        return dict(rows[0]) if rows else None

    def boards(self) -> list:
        return [dict(r) for r in self.query("SELECT * FROM boards ORDER BY board")]

    def add_events(self, board: str, port: str, boot: int, events, lost: int = 0) -> int:
        """events: [(ord, n, kind, value, received)] of one boot, in order. Returns how many
        were new. The board's row moves to the last of them."""
        new = 0
        with self.transaction() as db:
            for ord_, n, kind, value, received in events:
                cur = db.execute("INSERT OR IGNORE INTO events (board, boot, ord, n, kind, value, received) "
                                 "VALUES (?, ?, ?, ?, ?, ?, ?)",
                                 (board, boot, ord_, n, kind, json.dumps(value), received))
                new += cur.rowcount
            last = events[-1] if events else None
            db.execute("INSERT INTO boards (board, port, boot, last_n, last_ord, lost, seen) VALUES (?, ?, ?, ?, ?, ?, ?) "
                       "ON CONFLICT (board) DO UPDATE SET port = excluded.port, boot = coalesce(excluded.boot, boot), "
                       "last_n = coalesce(excluded.last_n, last_n), last_ord = coalesce(excluded.last_ord, last_ord), "
                       "lost = lost + excluded.lost, seen = excluded.seen",
                       (board, port, boot if last else None, last[1] if last else None, last[0] if last else None,
                        lost, time.time()))
        return new

    def set_position(self, board: str, port: str, boot: int, last_n: int, last_ord: int) -> None:
        """Where a board's events start, for one seen the first time (no event stored yet)."""
        with self.transaction() as db:
            db.execute("INSERT INTO boards (board, port, boot, last_n, last_ord, lost, seen) VALUES (?, ?, ?, ?, ?, 0, ?) "
                       "ON CONFLICT (board) DO UPDATE SET port = excluded.port, boot = excluded.boot, "
                       "last_n = excluded.last_n, last_ord = excluded.last_ord, seen = excluded.seen",
                       (board, port, boot, last_n, last_ord, time.time()))

    def events(self, board: str = None, kind: str = None, limit: int = 1000) -> list:
        where, args = [], []
        if board:
            where.append("board = ?"), args.append(board)
        if kind:
            where.append("kind = ?"), args.append(kind)
        sql = "SELECT * FROM events" + (" WHERE " + " AND ".join(where) if where else "")
        rows = self.query(sql + " ORDER BY received, board, boot, ord LIMIT ?", (*args, limit))
        return [dict(r, value=json.loads(r["value"])) for r in rows]

    # -- call records --------------------------------------------------------------------------

    def cdr_offset(self, board: str, file: str) -> int:
        rows = self.query("SELECT bytes_read FROM cdr_files WHERE board = ? AND file = ?", (board, file))
        return rows[0][0] if rows else 0

    def add_calls(self, board: str, records, file: str = None, offset: int = None) -> list:
        """Store the records not stored yet (and, in the same transaction, how far `file` has
        been read). Returns the ids that were new."""
        new = []
        now = time.time()
        with self.transaction() as db:
            for r in records:
                if not isinstance(r.get("id"), str):
                    continue
                cur = db.execute(
                    "INSERT OR IGNORE INTO calls (id, board, arrived, number_key, queue, agent, outcome, record, stored) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (r["id"], board, r.get("arrived"), lookup_key(r.get("number")), r.get("queue"), r.get("agent"),
                     r.get("outcome"), json.dumps(r, ensure_ascii=False), now))
                if cur.rowcount:
                    new.append(r["id"])
            if file is not None:
                db.execute("INSERT INTO cdr_files (board, file, bytes_read) VALUES (?, ?, ?) "
                           "ON CONFLICT (board, file) DO UPDATE SET bytes_read = excluded.bytes_read", (board, file, offset))
        return new

    def calls(self, since_ms=None, until_ms=None, queue=None, agent=None, number=None, outcome=None,
              ids=None, limit: int = 100000) -> list:
        """Call records by arrival (oldest first), each with its notes."""
        where, args = [], []
        for col, op, v in (("arrived", ">=", since_ms), ("arrived", "<", until_ms), ("queue", "=", queue),
                           ("agent", "=", agent), ("outcome", "=", outcome)):
            if v is not None:
                where.append(f"{col} {op} ?")
                args.append(v)
        if number is not None:
            where.append("number_key = ?")
            args.append(lookup_key(number) or number)
        if ids is not None:
            where.append(f"id IN ({','.join('?' * len(ids))})")
            args.extend(ids)
        sql = "SELECT record FROM calls" + (" WHERE " + " AND ".join(where) if where else "")
        rows = self.query(sql + " ORDER BY arrived, id LIMIT ?", (*args, limit))
        records = [json.loads(r[0]) for r in rows]
        notes = self.notes([r["id"] for r in records])
        for r in records:
            r["notes"] = notes.get(r["id"], [])
        return records

    def call_count(self) -> int:
        return self.query("SELECT count(*) FROM calls")[0][0]

    def add_note(self, call: str, user: str, text: str) -> dict:
        at = time.time()
        with self.transaction() as db:
            db.execute("INSERT INTO call_notes (call, username, text, at) VALUES (?, ?, ?, ?)", (call, user, text, at))
        return {"call": call, "user": user, "text": text, "at": at}

    def notes(self, calls) -> dict:
        out = {}
        calls = list(calls)
        for i in range(0, len(calls), 500):
            part = calls[i:i + 500]
            for r in self.query(f"SELECT call, username, text, at FROM call_notes WHERE call IN ({','.join('?' * len(part))}) "
                                "ORDER BY id", part):
                out.setdefault(r["call"], []).append({"user": r["username"], "text": r["text"], "at": r["at"]})
        return out

    # -- customers -----------------------------------------------------------------------------

    def customer(self, cid: int):
        rows = self.query("SELECT * FROM customers WHERE id = ?", (cid,))
        if not rows:
            return None
        c = dict(rows[0])
        c["extra"] = json.loads(c["extra"])
        c["numbers"] = [r[0] for r in self.query("SELECT number FROM customer_numbers WHERE customer = ? ORDER BY number",
                                                 (cid,))]
        return c

    def customer_by_number(self, number):
        key = lookup_key(number)
        if key is None:
            return None
        rows = self.query("SELECT customer FROM customer_numbers WHERE number = ?", (key,))
        return self.customer(rows[0][0]) if rows else None

    def customers(self, search: str = None, limit: int = 200) -> list:
        if search:
            like = f"%{search}%"
            key = lookup_key(search)
            rows = self.query("SELECT DISTINCT c.id FROM customers c LEFT JOIN customer_numbers n ON n.customer = c.id "
                              "WHERE c.name LIKE ? OR c.company LIKE ? OR n.number LIKE ? ORDER BY c.name LIMIT ?",
                              (like, like, f"%{key or search}%", limit))
        else:
            rows = self.query("SELECT id FROM customers ORDER BY name LIMIT ?", (limit,))
        return [self.customer(r[0]) for r in rows]

    def save_customer(self, db, c: dict, cid: int = None) -> int:
        """Inside a transaction (db): create or update one customer; numbers normalised already.
        A number another customer holds raises ValueError."""
        now = time.time()
        if cid is None:
            cur = db.execute("INSERT INTO customers (name, company, notes, extra, updated) VALUES (?, ?, ?, ?, ?)",
                             (c["name"], c.get("company", ""), c.get("notes", ""), json.dumps(c.get("extra", {})), now))
            cid = cur.lastrowid
        else:
            db.execute("UPDATE customers SET name = ?, company = ?, notes = ?, extra = ?, updated = ? WHERE id = ?",
                       (c["name"], c.get("company", ""), c.get("notes", ""), json.dumps(c.get("extra", {})), now, cid))
            db.execute("DELETE FROM customer_numbers WHERE customer = ?", (cid,))
        for n in c.get("numbers", []):
            other = db.execute("SELECT customer FROM customer_numbers WHERE number = ?", (n,)).fetchone()
            if other is not None and other[0] != cid:
                raise ValueError(f"number {n} belongs to customer {other[0]} already")
            db.execute("INSERT OR IGNORE INTO customer_numbers (number, customer) VALUES (?, ?)", (n, cid))
        return cid

    # -- users and sessions --------------------------------------------------------------------

    def user(self, name: str):
        rows = self.query("SELECT * FROM users WHERE name = ?", (name,))
        return dict(rows[0]) if rows else None

    def users(self) -> list:
        return [dict(r) for r in self.query("SELECT name, role, ext, created FROM users ORDER BY name")]

    def put_user(self, name: str, role: str, ext, password_hash: str) -> None:
        with self.transaction() as db:
            db.execute("INSERT INTO users (name, role, ext, password, created) VALUES (?, ?, ?, ?, ?) "
                       "ON CONFLICT (name) DO UPDATE SET role = excluded.role, ext = excluded.ext, "
                       "password = excluded.password", (name, role, ext, password_hash, time.time()))

    def add_session(self, token: str, user: str, csrf: str, expires: float) -> None:
        with self.transaction() as db:
            db.execute("DELETE FROM sessions WHERE expires < ?", (time.time(),))
            db.execute("INSERT INTO sessions (token, username, csrf, expires) VALUES (?, ?, ?, ?)", (token, user, csrf, expires))

    def session(self, token: str):
        rows = self.query("SELECT s.token, s.csrf, s.expires, u.name, u.role, u.ext FROM sessions s "
                          "JOIN users u ON u.name = s.username WHERE s.token = ? AND s.expires > ?", (token, time.time()))
        return dict(rows[0]) if rows else None

    def end_session(self, token: str) -> None:
        with self.transaction() as db:
            db.execute("DELETE FROM sessions WHERE token = ?", (token,))


def default_url() -> str:
    """sqlite:///<data folder>/ops.db; the data folder is $CALLGATE_DATA, else
    $XDG_DATA_HOME/callgate, else ~/.local/share/callgate."""
    folder = os.environ.get("CALLGATE_DATA") or os.path.join(
        os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share"), "callgate")
    return "sqlite:///" + os.path.join(os.path.abspath(folder), "ops.db")
