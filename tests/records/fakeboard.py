"""An in-memory board for the host tools' unit tests: the file ops of firmware/callgate/files.py
(as link.files.RemoteFiles uses them), STATUS and, if asked, OP_SITE_RELOAD, behind the
Client.request() signature. No link, no firmware: the virtual board tests do that."""

import hashlib

from callgate.link import messages
from callgate.link.errors import RemoteError


class FakeBoard:
    def __init__(self, board="virtual-4", files=None, reload=None, free=1 << 20):
        self.board = board
        self.files = dict(files or {})  # path -> bytes
        self.reload = reload  # None: ERR_UNKNOWN_OP; else the reply value
        self.free = free
        self.info = {"board": board, "max": 512}
        self.timeout = 0.5
        self.ops = []  # (op name, path) of every request
        self.fail_after_writes = None  # raise after that many FS_WRITE requests (a cut-off link)

    # what a folder holds, derived from the file paths
    def _is_dir(self, p):
        return any(f.startswith(p + "/") for f in self.files) or p == "."

    def _nf(self, p):
        return RemoteError(messages.ERR_NOT_FOUND, "no file", p)

    def request(self, op, value=None, timeout=None, retries=None):
        p = value.get("p") if isinstance(value, dict) else None
        src = value.get("from") if isinstance(value, dict) else None
        self.ops.append((messages.OP_NAMES.get(op, op), p or src))
        if op == messages.OP_STATUS:
            return {"board": self.board, "fw": "0.1.0", "boot": 1, "next_ev": 0, "ports": []}
        if op == messages.OP_FS_STAT:
            if p in self.files:
                return {"size": len(self.files[p]), "dir": False}
            return {"size": 0, "dir": True} if self._is_dir(p) else None
        if op == messages.OP_FS_LIST:
            if not self._is_dir(p):
                raise RemoteError(messages.ERR_NOT_FOUND, "no folder", p)
            prefix = "" if p == "." else p + "/"
            names = {}
            for f, d in self.files.items():
                if f.startswith(prefix):
                    rest = f[len(prefix):]
                    head = rest.split("/")[0]
                    names[head] = -1 if "/" in rest else len(d)
            return {"entries": [[n, s] for n, s in sorted(names.items())], "more": False}
        if op == messages.OP_FS_READ:
            if p not in self.files:
                raise self._nf(p)
            o, n = value.get("o", 0), min(value.get("n", 400), 400)
            return self.files[p][o:o + n]
        if op == messages.OP_FS_HASH:
            if p not in self.files:
                raise self._nf(p)
            d = self.files[p] if value.get("n") is None else self.files[p][: value["n"]]
            return {"sha256": hashlib.sha256(d).digest(), "size": len(d)}
        if op == messages.OP_FS_OPEN:
            have = 0 if value.get("fresh") or p not in self.files else len(self.files[p])
            if have > value["size"]:
                have = 0
            self.files[p] = self.files.get(p, b"")[:have]
            return {"size": have}
        if op == messages.OP_FS_WRITE:
            if self.fail_after_writes is not None:
                if self.fail_after_writes <= 0:
                    raise ConnectionError("the link was cut")
                self.fail_after_writes -= 1
            cur = self.files[p]
            o, d = value["o"], value["d"]
            if o > len(cur):
                raise RemoteError(messages.ERR_BAD_REQUEST, "gap", {"size": len(cur)})
            if o + len(d) > len(cur):
                cur = cur + d[len(cur) - o:]
            self.files[p] = cur
            return {"size": len(cur)}
        if op == messages.OP_FS_RENAME:
            src, dst = value["from"], value["to"]
            if src not in self.files:
                raise self._nf(src)
            self.files[dst] = self.files.pop(src)
            return {}
        if op == messages.OP_FS_REMOVE:
            gone = [f for f in self.files if f == p or f.startswith(p + "/")]
            for f in gone:
                del self.files[f]
            return {"removed": len(gone)}
        if op == messages.OP_FS_COPY:
            src, dst = value["from"], value["to"]
            if src not in self.files:
                raise self._nf(src)
            self.files[dst] = self.files[src]
            return {"size": len(self.files[dst])}
        if op == messages.OP_FS_DF:
            used = sum(len(d) for d in self.files.values())
            return {"free": max(0, self.free - used), "used": used, "total": self.free}
        if op == 51 and self.reload is not None:
            return self.reload
        raise RemoteError(messages.ERR_UNKNOWN_OP, "op %d" % op)

    def status(self):
        return self.request(messages.OP_STATUS)

    def ops_named(self, name):
        return [p for n, p in self.ops if n == name]
