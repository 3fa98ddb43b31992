"""One program at a time on a board's data port (docs/link.md, One host per port).

A serial port, or the virtual board's pty, delivers each byte the board sends to whichever
process reads it first: two hosts on one port each lose the other's replies and events (issue
12: `callgate monitor` and `callgate status` together, most requests "no reply to hello").
So a Client takes the port's lock before it opens it, and keeps it until it closes:

    with PortLock("/dev/ttyUSB0"):     # PortInUse: "port /dev/ttyUSB0 is in use by PID 4242
        ...                            #   (callgate --port /dev/ttyUSB0 monitor)"

The lock is flock() on a small file named after the port (a device path resolved through
its symlinks, so /dev/serial/by-id/... and /dev/ttyUSB0 are one port; a URL such as
socket://host:port as written, except that the URL of a running `callgate sim --tcp` is its
data pty: one port by two names, which the sim's record says, sim/control.py), in
$CALLGATE_LOCK_DIR, else $XDG_RUNTIME_DIR/callgate-locks, else /tmp/callgate-locks-<uid>. The file holds the holder's PID and command line, which is how
the refusal names it. The kernel drops an flock when its holder exits, however it exits, so a
lock is never stale. A device is also locked itself (pyserial's exclusive=True, the same
flock), which keeps out other users and other tools that lock ports; `loop://` needs no lock.
"""

import fcntl
import hashlib
import os
import pathlib
import re
import sys
import tempfile

from ..firmware.link.errors import LinkError


class PortInUse(LinkError):
    """Another program has the port open (it holds the port's lock)."""

    def __init__(self, port: str, pid=None, command: str = ""):
        self.port, self.pid, self.command = port, pid, command
        who = f"PID {pid}" + (f" ({command})" if command else "") if pid else "another program"
        super().__init__(f"port {port} is in use by {who}; one program at a time per data port")


def lock_dir() -> pathlib.Path:
    if os.environ.get("CALLGATE_LOCK_DIR"):
        return pathlib.Path(os.environ["CALLGATE_LOCK_DIR"])
    if os.environ.get("XDG_RUNTIME_DIR"):
        return pathlib.Path(os.environ["XDG_RUNTIME_DIR"]) / "callgate-locks"
    return pathlib.Path(tempfile.gettempdir()) / f"callgate-locks-{os.getuid()}"


def is_device(port: str) -> bool:
    """A device path (or a pty), not a pyserial URL."""
    return "://" not in port


def port_key(port: str) -> str:
    """What identifies the port: a device's real path, or the URL (a running sim's TCP URL:
    its data pty's real path)."""
    if is_device(port):
        return os.path.realpath(port)
    pty = _sim_pty(port.strip())
    return os.path.realpath(pty) if pty else port.strip()


def _sim_pty(url: str):
    """The data pty of the running `callgate sim` that serves `url` on TCP, or None."""
    m = re.fullmatch(r"socket://(127\.0\.0\.1|localhost):(\d+)", url, re.IGNORECASE)
    if not m:
        return None
    from ..sim.control import running  # only for a local socket:// URL

    want = f"socket://127.0.0.1:{int(m.group(2))}"
    return next((s.data for s in running() if s.tcp == want and s.data), None)


def needs_lock(port: str) -> bool:
    return not port.strip().lower().startswith("loop://")


def _lock_path(port: str) -> pathlib.Path:
    key = port_key(port)
    readable = re.sub(r"[^A-Za-z0-9._-]+", "_", key).strip("_")[-60:]
    digest = hashlib.sha1(key.encode()).hexdigest()[:10]
    return lock_dir() / f"{readable}.{digest}.lock"


def _command_line() -> str:
    """This process's command as a user typed it: `callgate --port P monitor`."""
    argv = list(sys.argv) or ["python"]
    head = os.path.basename(argv[0])
    if head in ("__main__.py", "-c", "-m", ""):
        head = "callgate" if "callgate.cli" in sys.modules else "python"
    text = " ".join([head] + argv[1:])
    return text if len(text) <= 120 else text[:117] + "..."


class PortLock:
    """The lock of one port, held from acquire() (or entering a with block) to release()."""

    def __init__(self, port: str):
        self.port = port
        self.path = _lock_path(port)
        self._fd = -1

    @property
    def held(self) -> bool:
        return self._fd >= 0

    def acquire(self) -> "PortLock":
        if self.held or not needs_lock(self.port):
            return self
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError:
            return self  # no lock folder to write in: go on unlocked (a device still locks itself)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 512).decode("utf-8", "replace").split("\n", 1)
            os.close(fd)
            pid = int(holder[0]) if holder[0].strip().isdigit() else None
            raise PortInUse(self.port, pid, holder[1].strip() if len(holder) > 1 else "") from None
        except BaseException:
            os.close(fd)
            raise
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n{_command_line()}\n".encode(), 0)
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd < 0:
            return
        fd, self._fd = self._fd, -1
        try:
            os.ftruncate(fd, 0)  # nobody holds it: no name to show
        except OSError:
            pass
        os.close(fd)  # drops the flock

    def __enter__(self) -> "PortLock":
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()
