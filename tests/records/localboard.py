"""A board in this process for the host tools' unit tests: the firmware's own file handlers
(firmware/callgate/files.py, the code a board runs) over a temporary folder, behind the
Client.request() signature, plus STATUS and, if asked, OP_SITE_RELOAD. No link and no
MicroPython: the virtual-board tests (test_provision_sim.py, tests/callcenter) do those.

    b = LocalBoard(files={"cdr/20261118.log": data}, free=3000)
    b.files["site.json"]         # the folder as a dict of path -> bytes (read, set, delete)
    b.fail_after_writes = 3      # the link is cut after three FS_WRITE requests
"""

import os
import shutil
import tempfile
from collections.abc import MutableMapping

from callgate.firmware.files import Files
from callgate.firmware.link import messages
from callgate.firmware.link.errors import RemoteError


class Folder(MutableMapping):
    """The files under root as path -> bytes ("/"-separated, relative)."""

    def __init__(self, root):
        self.root = root

    def _path(self, name):
        return os.path.join(self.root, *name.split("/"))

    def __getitem__(self, name):
        try:
            with open(self._path(name), "rb") as f:
                return f.read()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise KeyError(name) from None

    def __setitem__(self, name, data):
        path = self._path(name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)

    def __delitem__(self, name):
        try:
            os.remove(self._path(name))
        except FileNotFoundError:
            raise KeyError(name) from None

    def __iter__(self):
        for folder, _, names in os.walk(self.root):
            rel = os.path.relpath(folder, self.root)
            for n in sorted(names):
                yield n if rel == "." else f"{rel.replace(os.sep, '/')}/{n}"

    def __len__(self):
        return sum(1 for _ in self)


class LocalBoard:
    def __init__(self, board="virtual-4", files=None, reload=None, free=1 << 20):
        self.board = board
        self.root = tempfile.mkdtemp(prefix="callgate-board-")
        self.files = Folder(self.root)
        self.files.update(files or {})
        self.info = {"board": board, "max": 512}
        self.timeout = 0.5
        self.ops = []  # (op name, path) of every request
        self.fail_after_writes = None  # raise after that many FS_WRITE requests (a cut-off link)
        self.reload = reload  # OP_SITE_RELOAD's reply; None: a firmware without op 51
        self._handlers = {messages.OP_STATUS: self._status, messages.OP_SITE_RELOAD: self._reload}
        Files(limit=free, root=".").register(self)

    def __del__(self):
        shutil.rmtree(self.root, ignore_errors=True)

    def handle(self, op, fn):  # what Files.register() calls on the board's Endpoint
        self._handlers[op] = fn

    def _reload(self, value):
        if self.reload is None:
            raise RemoteError(messages.ERR_UNKNOWN_OP, "op %d" % messages.OP_SITE_RELOAD)
        return self.reload

    def _status(self, value):
        return {"board": self.board, "fw": "0.1.0", "boot": 1, "next_ev": 0, "ports": []}

    def request(self, op, value=None, timeout=None, retries=None):
        p = value.get("p") if isinstance(value, dict) else None
        src = value.get("from") if isinstance(value, dict) else None
        self.ops.append((messages.OP_NAMES.get(op, op), p or src))
        if op == messages.OP_FS_WRITE and self.fail_after_writes is not None:
            if self.fail_after_writes <= 0:
                raise ConnectionError("the link was cut")
            self.fail_after_writes -= 1
        fn = self._handlers.get(op)
        if fn is None:
            raise RemoteError(messages.ERR_UNKNOWN_OP, "op %d" % op)
        cwd = os.getcwd()
        os.chdir(self.root)  # the firmware's paths are relative to the flash root
        try:
            return fn(value)
        finally:
            os.chdir(cwd)

    def status(self):
        return self.request(messages.OP_STATUS)

    def ops_named(self, name):
        return [p for n, p in self.ops if n == name]
