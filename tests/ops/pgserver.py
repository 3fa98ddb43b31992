"""A PostgreSQL server of the tests' own: initdb into a fresh folder, pg_ctl start listening
only on a unix socket in that folder, a database per test, pg_ctl stop and the folder removed
at the end. Debian's `postgresql` package provides the binaries (/usr/lib/postgresql/N/bin);
run as root, the tests install it (tools/need-deb) and run the server as the `postgres` user
(initdb refuses root); otherwise they are skipped saying what to install.

    server = PgServer.start()
    url = server.new_database()        # postgresql:///t1?host=/tmp/callgate-pg-x&user=callgate
    server.stop()
"""

import glob
import itertools
import os
import pathlib
import pwd
import shutil
import subprocess
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[2]
USER = "callgate"


def pg_bin(name: str):
    """initdb, pg_ctl: on PATH, else the newest of Debian's /usr/lib/postgresql/N/bin."""
    found = shutil.which(name)
    if found:
        return found
    versions = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(p.split("/")[4]))
    return versions[-1] if versions else None


def why_not() -> str:
    """None when a server can be started here, else the reason (installing what is missing
    when run as root)."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "needs psycopg 3 (pip install 'psycopg[binary]'; `make setup` installs it)"
    if pg_bin("initdb") is None or pg_bin("pg_ctl") is None:
        if os.geteuid() != 0:
            return "needs Debian's postgresql (apt-get install postgresql), installed by the tests only as root"
        r = subprocess.run(["sh", str(ROOT / "tools" / "need-deb"), "postgresql"], capture_output=True, text=True)
        if r.returncode != 0 or pg_bin("initdb") is None:
            return f"could not install postgresql: {r.stderr.strip()}"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "initdb does not run as root and there is no `postgres` user to run it as"
    return None


class PgServer:
    def __init__(self, folder: str, fsync: bool = False):
        self.folder, self.fsync = folder, fsync
        self.data = os.path.join(folder, "data")
        self._names = itertools.count(1)

    def _run(self, argv):
        if os.geteuid() == 0:
            argv = ["runuser", "-u", "postgres", "--"] + argv
        r = subprocess.run(argv, capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)}: {r.stderr.strip() or r.stdout.strip()}")
        return r

    @classmethod
    def start(cls, fsync: bool = False) -> "PgServer":
        """fsync off (the tests: a server thrown away) unless asked (the bench)."""
        folder = tempfile.mkdtemp(prefix="callgate-pg-")
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            os.chown(folder, pw.pw_uid, pw.pw_gid)
        server = cls(folder, fsync)
        server._run([pg_bin("initdb"), "-D", server.data, "-U", USER, "-A", "trust", "-E", "UTF8", "--no-sync"])
        server._start()
        return server

    def _start(self) -> None:
        # only the socket (no TCP port to collide with)
        self._run([pg_bin("pg_ctl"), "-D", self.data, "-l", os.path.join(self.folder, "server.log"), "-w",
                   "-o", f"-c listen_addresses='' -k {self.folder} -c fsync={'on' if self.fsync else 'off'} "
                   "-c max_connections=200", "start"])

    def url(self, database: str = "postgres") -> str:
        return f"postgresql:///{database}?host={self.folder}&user={USER}"

    def new_database(self) -> str:
        import psycopg

        name = f"t{next(self._names)}"
        with psycopg.connect(self.url(), autocommit=True) as c:
            c.execute(f"CREATE DATABASE {name}")
        return self.url(name)

    def sql(self, url: str, statement: str, args=()):
        import psycopg

        with psycopg.connect(url, autocommit=True) as c:
            cur = c.execute(statement, args)
            return cur.fetchall() if cur.description else None

    def stop(self) -> None:
        try:
            self._run([pg_bin("pg_ctl"), "-D", self.data, "-m", "fast", "-w", "stop"])
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)

    def restart(self) -> None:
        self._run([pg_bin("pg_ctl"), "-D", self.data, "-m", "fast", "-w", "stop"])
        self._start()
