"""The store: one database holding every board's events and call records, the customers,
the users and their sessions, the notes agents type during calls and the reviewers' scorecards.
SQLite (a file, the default) or PostgreSQL (a server), with one schema.

    store = Store.open("sqlite:///build/ops/ops.db")   # SQLAlchemy's URL form: four slashes
                                                       # for an absolute path, three relative
    store = Store.open("postgresql://user@host/db")    # or postgresql:///db?host=/run/postgresql
    store.add_events("a1b2c3d4e5f6", boot, [(ord, n, "pop", {...}, received), ...])
    store.add_calls("a1b2c3d4e5f6", [record, ...])     # CDRs as the board stores them
    store.calls(since_ms=..., queue="support")         # -> [record + {"notes": [...]}]

One schema, changed only by appending to MIGRATIONS: each entry runs once, in one
transaction, and `schema_version` remembers the last one applied, so an older database is
brought up to date when the service opens it. Exactly once: an event is keyed by (board, boot,
its running number in that boot) and a call record by its id (the board's boot id and call
number), so storing either twice stores it once. Every write is one transaction: a crash, a
locked database (after `timeout` s) or a server gone loses nothing already stored; the error
is a StoreUnavailable (the API's 503), and the next use of a PostgreSQL store connects again.

The SQL is written once, in the dialect both databases share (`?` placeholders, `INSERT ...
ON CONFLICT`, `RETURNING`, BIGINT and DOUBLE PRECISION columns). What differs is named in
the two Dialect objects at the end: the type of an auto-numbered key (`{serial}` in a
migration), how a write transaction begins, the placeholder, and which errors mean "the
database cannot be used now". No column is named with a word PostgreSQL reserves.
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
        boot BIGINT,                 -- the boot id of the last event stored
        last_n BIGINT,               -- that event's 16-bit number
        last_ord BIGINT,             -- and its running number in the boot (no wrap)
        lost BIGINT NOT NULL DEFAULT 0, -- events the board no longer held when asked
        seen DOUBLE PRECISION        -- host time of the last event
    );
    CREATE TABLE events (
        board TEXT NOT NULL,
        boot BIGINT NOT NULL,
        ord BIGINT NOT NULL,
        n BIGINT NOT NULL,
        kind TEXT NOT NULL,
        value TEXT NOT NULL,         -- JSON
        received DOUBLE PRECISION NOT NULL, -- host time
        PRIMARY KEY (board, boot, ord)
    );
    CREATE TABLE cdr_files (
        board TEXT NOT NULL,
        file TEXT NOT NULL,          -- cdr/YYYYMMDD.log on the board
        bytes_read BIGINT NOT NULL,  -- up to the last whole line
        PRIMARY KEY (board, file)
    );
    CREATE TABLE calls (
        id TEXT PRIMARY KEY,         -- the CDR's id: boot id and call number
        board TEXT NOT NULL,
        arrived BIGINT,              -- Unix ms, the board's clock
        number_key TEXT,             -- numbers.normalise(number), NULL if not a number
        queue TEXT,
        agent TEXT,
        outcome TEXT,
        record TEXT NOT NULL,        -- JSON, exactly as the board stored it
        stored DOUBLE PRECISION NOT NULL
    );
    CREATE INDEX calls_arrived ON calls (arrived);
    CREATE INDEX calls_number ON calls (number_key);
    CREATE TABLE call_notes (
        id {serial},
        call TEXT NOT NULL,          -- a CDR id (the record may arrive after the note)
        username TEXT NOT NULL,
        text TEXT NOT NULL,
        at DOUBLE PRECISION NOT NULL
    );
    CREATE INDEX call_notes_call ON call_notes (call);
    CREATE TABLE customers (
        id {serial},
        name TEXT NOT NULL,
        company TEXT NOT NULL DEFAULT '',
        notes TEXT NOT NULL DEFAULT '',
        extra TEXT NOT NULL DEFAULT '{}', -- JSON: the CSV's other columns
        updated DOUBLE PRECISION NOT NULL
    );
    CREATE TABLE customer_numbers (
        number TEXT PRIMARY KEY,     -- normalised
        customer BIGINT NOT NULL REFERENCES customers (id) ON DELETE CASCADE
    );
    CREATE TABLE users (
        name TEXT PRIMARY KEY,
        role TEXT NOT NULL CHECK (role IN ('agent', 'supervisor', 'admin')),
        ext TEXT,                    -- an agent's extension (their page)
        password TEXT NOT NULL,      -- auth.hash_password()
        created DOUBLE PRECISION NOT NULL
    );
    CREATE TABLE sessions (
        token TEXT PRIMARY KEY,
        username TEXT NOT NULL REFERENCES users (name) ON DELETE CASCADE,
        csrf TEXT NOT NULL,
        expires DOUBLE PRECISION NOT NULL
    );
    """),
    (2, """
    CREATE TABLE scorecards (
        id {serial},
        call TEXT NOT NULL,              -- the CDR id of the call reviewed
        agent TEXT,                      -- the agent's extension on that call (per-agent figures)
        reviewer TEXT NOT NULL,
        scores TEXT NOT NULL,            -- JSON: {criterion id: score}
        card TEXT NOT NULL,              -- JSON: the criteria (id, label, weight, max) it was scored on
        percent DOUBLE PRECISION NOT NULL, -- weighted: sum(weight * score / max) / sum(weight) * 100
        passed BIGINT,                   -- 1 / 0 against the site's pass_percent, NULL without one
        comment TEXT NOT NULL DEFAULT '',
        at DOUBLE PRECISION NOT NULL
    );
    CREATE INDEX scorecards_call ON scorecards (call);
    CREATE INDEX scorecards_agent ON scorecards (agent);
    """),
]



class StoreError(ValueError):
    """A --db URL that cannot be used (one line in the CLI)."""


class StoreUnavailable(OSError):
    """The database cannot be used now: locked past the timeout, its file or server gone.
    Nothing stored is lost; the same call may succeed later (the API answers 503)."""


def sqlite_path(url: str) -> str:
    """sqlite:///rel/path.db -> rel/path.db; sqlite:////abs/path.db -> /abs/path.db."""
    if not url.startswith("sqlite:///"):
        raise StoreError(f"--db {url!r}: expected sqlite:///PATH (four slashes for an absolute path) "
                         "or postgresql://[USER@]HOST[:PORT]/DB")
    path = url[len("sqlite:///"):]
    if not path:
        raise StoreError("--db sqlite:///: no file named")
    return path


def is_postgresql(url: str) -> bool:
    return url.startswith("postgresql://") or url.startswith("postgres://")


def shown(url: str) -> str:
    """The URL without its password, to print."""
    head, at, rest = url.rpartition("@")
    if not at or ":" not in head.split("//", 1)[-1]:
        return url
    scheme, _, user = head.partition("//")
    return f"{scheme}//{user.split(':')[0]}:***@{rest}"


class Row(tuple):
    """A PostgreSQL row read like sqlite3.Row: by index, by column name, dict(row)."""

    def __new__(cls, names, values):
        row = super().__new__(cls, values)
        row._names = names
        return row

    def keys(self):
        return self._names

    def __getitem__(self, key):
        if isinstance(key, str):
            return tuple.__getitem__(self, self._names.index(key))
        return tuple.__getitem__(self, key)


class Conn:
    """The connection as the store's SQL sees it: execute(sql, args) with `?` placeholders,
    returning a cursor (fetchone, fetchall, rowcount); a database that cannot be used now
    raises StoreUnavailable."""

    def __init__(self, dialect, raw):
        self.dialect, self.raw = dialect, raw

    def execute(self, sql: str, args=()):
        try:
            return self.raw.execute(self.dialect.sql(sql), tuple(args))
        except self.dialect.unavailable as e:
            raise StoreUnavailable(self.dialect.message(e)) from None

    def executemany(self, sql: str, rows) -> int:
        """One statement over many rows (one round trip where the driver can); rows changed."""
        try:
            cur = self.raw.cursor()
            cur.executemany(self.dialect.sql(sql), [tuple(r) for r in rows])
            return cur.rowcount
        except self.dialect.unavailable as e:
            raise StoreUnavailable(self.dialect.message(e)) from None


class SQLite:
    name = "sqlite"
    serial = "INTEGER PRIMARY KEY AUTOINCREMENT"  # a rowid alias, numbers never reused
    begin = "BEGIN IMMEDIATE"                      # take the write lock now, not at the first write
    unavailable = (sqlite3.OperationalError,)      # locked, file gone or unreadable

    def __init__(self, path: str, timeout: float):
        self.path, self.timeout = path, timeout
        self.folder = os.path.dirname(os.path.abspath(path))

    def sql(self, text: str) -> str:
        return text

    def message(self, e) -> str:
        return f"{self.path}: {e}"

    def connect(self):
        try:
            os.makedirs(self.folder, exist_ok=True)
            db = sqlite3.connect(self.path, timeout=self.timeout, check_same_thread=False, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA foreign_keys=ON")
        except (sqlite3.Error, OSError) as e:
            raise StoreError(f"{self.path}: {getattr(e, 'strerror', None) or e}") from None
        db.row_factory = sqlite3.Row
        return db

    def broken(self, raw) -> bool:
        return False


class PostgreSQL:
    name = "postgresql"
    serial = "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"
    begin = "BEGIN"                                # rows are locked as they are written

    def __init__(self, url: str, timeout: float):
        try:
            import psycopg
        except ImportError:
            raise StoreError(f"{shown(url)}: PostgreSQL needs psycopg 3: pip install 'callgate[postgresql]'") from None
        self.psycopg, self.url, self.timeout = psycopg, url, timeout
        # the server went away, a lock not granted in time, the connection cut
        self.unavailable = (psycopg.OperationalError, psycopg.InterfaceError)
        self.folder = data_folder()  # recordings: no file of the store's own to sit beside
        self._sql = {}

    def sql(self, text: str) -> str:
        out = self._sql.get(text)
        if out is None:
            out = self._sql[text] = text.replace("%", "%%").replace("?", "%s")
        return out

    def message(self, e) -> str:
        return f"{shown(self.url)}: {str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__}"

    def connect(self):
        def rows(cursor):
            names = [c.name for c in cursor.description or ()]
            return lambda values: Row(names, values)

        try:
            # a lock not granted within `timeout` s is an error, as SQLite's busy timeout
            return self.psycopg.connect(self.url, autocommit=True, row_factory=rows,
                                        connect_timeout=max(1, int(self.timeout)),
                                        options=f"-c lock_timeout={int(self.timeout * 1000)}")
        except self.psycopg.Error as e:
            raise StoreUnavailable(self.message(e)) from None

    def broken(self, raw) -> bool:
        return raw.closed or raw.broken


class Store:
    def __init__(self, path: str = None, timeout: float = 5.0, dialect=None):
        """Store(path) for an SQLite file; Store.open(url) for either database."""
        self.dialect = dialect or SQLite(path, timeout)
        self.path = getattr(self.dialect, "path", None)
        self.folder = self.dialect.folder   # where recordings are kept
        self._lock = threading.RLock()
        self._raw = self.dialect.connect()
        self._db = Conn(self.dialect, self._raw)
        with self._lock:
            self._migrate()

    @classmethod
    def open(cls, url: str, timeout: float = 5.0) -> "Store":
        if is_postgresql(url):
            dialect = PostgreSQL(url, timeout)
            try:
                return cls(dialect=dialect)
            except StoreUnavailable as e:
                raise StoreError(f"cannot open the store: {e}") from None
        return cls(sqlite_path(url), timeout)

    def close(self) -> None:
        with self._lock:
            self._raw.close()

    # -- plumbing ------------------------------------------------------------------------------

    def _conn(self) -> Conn:
        """The connection, made again if the last one broke (a PostgreSQL server restarted)."""
        if self.dialect.broken(self._raw):
            self._raw = self.dialect.connect()
            self._db = Conn(self.dialect, self._raw)
        return self._db

    def _migrate(self) -> None:
        self._db.execute("CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)")
        for version, sql in MIGRATIONS:
            with self.transaction() as db:
                # read again inside the transaction: another process may be migrating too
                if self.dialect.name == "postgresql":
                    db.execute("LOCK TABLE schema_version IN EXCLUSIVE MODE")
                have = db.execute("SELECT max(version) FROM schema_version").fetchone()[0] or 0
                if version <= have:
                    continue
                for statement in sql.replace("{serial}", self.dialect.serial).split(";"):
                    if statement.strip():
                        db.execute(statement)
                db.execute("INSERT INTO schema_version (version) VALUES (?)", (version,))

    def version(self) -> int:
        return self.query("SELECT max(version) FROM schema_version")[0][0]

    class _Tx:
        def __init__(self, store):
            self.store = store

        def __enter__(self):
            self.store._lock.acquire()
            try:
                db = self.store._conn()
                db.execute(self.store.dialect.begin)
            except BaseException:
                self.store._lock.release()
                raise
            return db

        def __exit__(self, exc_type, *exc):
            try:
                if exc_type is None:
                    self.store._db.execute("COMMIT")
                elif not self.store.dialect.broken(self.store._raw):
                    try:
                        self.store._db.execute("ROLLBACK")
                    except StoreUnavailable:
                        pass  # the connection went with the error being raised; the server rolls back
            finally:
                self.store._lock.release()

    def transaction(self):
        """with store.transaction() as db: ... — one transaction, rolled back on an exception."""
        return Store._Tx(self)

    def query(self, sql: str, args=()) -> list:
        with self._lock:
            return self._conn().execute(sql, args).fetchall()

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
            if events:
                new = db.executemany("INSERT INTO events (board, boot, ord, n, kind, value, received) "
                                     "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                                     [(board, boot, ord_, n, kind, json.dumps(value), received)
                                      for ord_, n, kind, value, received in events])
            last = events[-1] if events else None
            db.execute("INSERT INTO boards (board, port, boot, last_n, last_ord, lost, seen) VALUES (?, ?, ?, ?, ?, ?, ?) "
                       "ON CONFLICT (board) DO UPDATE SET port = excluded.port, boot = coalesce(excluded.boot, boards.boot), "
                       "last_n = coalesce(excluded.last_n, boards.last_n), "
                       "last_ord = coalesce(excluded.last_ord, boards.last_ord), "
                       "lost = boards.lost + excluded.lost, seen = excluded.seen",
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
                    "INSERT INTO calls (id, board, arrived, number_key, queue, agent, outcome, record, stored) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
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

    # -- quality review ------------------------------------------------------------------------

    def add_scorecard(self, sc: dict) -> dict:
        """sc: quality.score()'s result plus call, agent, reviewer, comment. Returns it with id, at."""
        at = time.time()
        with self.transaction() as db:
            sid = db.execute("INSERT INTO scorecards (call, agent, reviewer, scores, card, percent, passed, comment, at) "
                             "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                             (sc["call"], sc.get("agent"), sc["reviewer"], json.dumps(sc["scores"]),
                              json.dumps(sc["card"]), sc["percent"], None if sc.get("passed") is None else int(sc["passed"]),
                              sc.get("comment", ""), at)).fetchall()[0][0]
        return dict(sc, id=sid, at=at)

    def scorecards(self, calls=None, agent=None) -> list:
        """Scorecards, oldest first: of the given call ids, or of one agent, or all."""
        where, args = [], []
        if calls is not None:
            calls = list(calls)
            if not calls:
                return []
            where.append(f"call IN ({','.join('?' * len(calls))})")
            args.extend(calls)
        if agent is not None:
            where.append("agent = ?")
            args.append(agent)
        rows = self.query("SELECT * FROM scorecards" + (" WHERE " + " AND ".join(where) if where else "")
                          + " ORDER BY at, id", args)
        return [dict(r, scores=json.loads(r["scores"]), card=json.loads(r["card"]),
                     passed=None if r["passed"] is None else bool(r["passed"])) for r in rows]

    def quality_by_agent(self) -> list:
        """Per agent: calls reviewed, scorecards, average / lowest / highest percent, passed."""
        rows = self.query("SELECT agent, count(DISTINCT call) AS calls, count(*) AS scorecards, avg(percent) AS average, "
                          "min(percent) AS lowest, max(percent) AS highest, count(CASE WHEN passed = 1 THEN 1 END) AS passed, "
                          "count(passed) AS judged, max(at) AS last FROM scorecards GROUP BY agent ORDER BY agent")
        return [{k: r[k] for k in r.keys()} for r in rows]

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
            # lower() on both sides: SQLite's LIKE ignores ASCII case, PostgreSQL's does not
            rows = self.query("SELECT DISTINCT c.id, c.name FROM customers c "
                              "LEFT JOIN customer_numbers n ON n.customer = c.id WHERE lower(c.name) LIKE lower(?) "
                              "OR lower(c.company) LIKE lower(?) OR n.number LIKE ? ORDER BY c.name, c.id LIMIT ?",
                              (like, like, f"%{key or search}%", limit))
        else:
            rows = self.query("SELECT id FROM customers ORDER BY name LIMIT ?", (limit,))
        return [self.customer(r[0]) for r in rows]

    def save_customer(self, db, c: dict, cid: int = None) -> int:
        """Inside a transaction (db): create or update one customer; numbers normalised already.
        A number another customer holds raises ValueError."""
        now = time.time()
        if cid is None:
            cid = db.execute("INSERT INTO customers (name, company, notes, extra, updated) VALUES (?, ?, ?, ?, ?) "
                             "RETURNING id",
                             (c["name"], c.get("company", ""), c.get("notes", ""), json.dumps(c.get("extra", {})),
                              now)).fetchall()[0][0]
        else:
            db.execute("UPDATE customers SET name = ?, company = ?, notes = ?, extra = ?, updated = ? WHERE id = ?",
                       (c["name"], c.get("company", ""), c.get("notes", ""), json.dumps(c.get("extra", {})), now, cid))
            db.execute("DELETE FROM customer_numbers WHERE customer = ?", (cid,))
        for n in c.get("numbers", []):
            other = db.execute("SELECT customer FROM customer_numbers WHERE number = ?", (n,)).fetchone()
            if other is not None and other[0] != cid:
                raise ValueError(f"number {n} belongs to customer {other[0]} already")
            db.execute("INSERT INTO customer_numbers (number, customer) VALUES (?, ?) ON CONFLICT DO NOTHING", (n, cid))
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


def data_folder() -> str:
    """$CALLGATE_DATA, else $XDG_DATA_HOME/callgate, else ~/.local/share/callgate."""
    folder = os.environ.get("CALLGATE_DATA") or os.path.join(
        os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share"), "callgate")
    return os.path.abspath(folder)


def default_url() -> str:
    """sqlite:///<data folder>/ops.db."""
    return "sqlite:///" + os.path.join(data_folder(), "ops.db")
