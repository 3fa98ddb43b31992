# File operations over the link: what a deploy (host/callgate/deploy) is built on.
#
# Every request is stateless and names its file, so a retried or repeated request is
# harmless and a board that restarted mid-upload loses nothing it had written:
#
#   open   create a file (and its folders), keeping what it already holds: an upload resumes
#   write  {"p", "o", "d"}: d belongs at offset o. Bytes the file already has are not written
#          again (a retried chunk costs nothing), a chunk past the end is refused with the
#          file's size in the detail. Uploads are append-only; the host checks the whole
#          file's sha256 before it renames the upload into place.
#   hash   sha256 of a file, or of its first n bytes (where an upload can resume from)
#   read, stat, list, rename, remove (a file or a folder), copy (on the board), df
#
# Paths are relative to the flash root (the current folder at boot), "/"-separated, and may
# not contain "..". The flash is a LittleFS filesystem: on the virtual board an image file of
# board.json "storage" bytes, mounted by hal_virtual.py; on hardware the board's flash
# partition. A board.json "storage": {"bytes": N} also caps the space reported free, counted
# from the files in the flash root (without it the filesystem's own statvfs counts).

import os

try:
    import hashlib
except ImportError:  # older ports
    import uhashlib as hashlib

from .link import messages
from .link.compat import const
from .link.errors import RemoteError

_BLOCK = const(1024)  # bytes read at a time when hashing or copying
_LIST_BYTES = const(360)  # names per LIST reply, so the reply stays inside MAX_FRAME
_READ_MAX = const(400)
_IS_DIR = const(0x4000)


def _bad(what, detail=None):
    return RemoteError(messages.ERR_BAD_REQUEST, what, detail)


def _path(value, key="p"):
    p = value.get(key) if isinstance(value, dict) else None
    if not isinstance(p, str) or not p or p[0] == "/" or ".." in p.split("/"):
        raise _bad("path", p)
    return p


def _int(value, key, default=None):
    n = value.get(key, default)
    if not isinstance(n, int) or isinstance(n, bool) or n < 0:
        raise _bad(key, n)
    return n


def stat(path):
    """(size, is_dir) or None if missing."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st[6], bool(st[0] & _IS_DIR)


def makedirs(path):
    """Create the folders of path (a file's folder chain, "a/b" for "a/b/c")."""
    parts = path.split("/")
    for i in range(1, len(parts)):
        d = "/".join(parts[:i])
        if stat(d) is None:
            os.mkdir(d)


def remove(path):
    """Remove a file or a folder and everything in it; return how many entries went."""
    st = stat(path)
    if st is None:
        return 0
    if not st[1]:
        os.remove(path)
        return 1
    n = 0
    for name in os.listdir(path):
        n += remove(path + "/" + name)
    os.rmdir(path)
    return n + 1


def tree_size(path):
    st = stat(path)
    if st is None:
        return 0
    if not st[1]:
        return st[0]
    total = 0
    for name in os.listdir(path):
        total += tree_size((path + "/" if path != "." else "") + name)
    return total


def sha256(path, n=None):
    """(digest, bytes hashed) of a file's first n bytes (all of it when n is None)."""
    h = hashlib.sha256()
    done = 0
    buf = bytearray(_BLOCK)
    mv = memoryview(buf)
    with open(path, "rb") as f:
        while n is None or done < n:
            want = _BLOCK if n is None else min(_BLOCK, n - done)
            got = f.readinto(mv[:want])
            if not got:
                break
            h.update(mv[:got])
            done += got
    return h.digest(), done


def copy(src, dst):
    """Copy a file through dst + ".part" and a rename, so dst is whole or absent."""
    makedirs(dst)
    tmp = dst + ".part"
    buf = bytearray(_BLOCK)
    mv = memoryview(buf)
    size = 0
    with open(src, "rb") as f, open(tmp, "wb") as g:
        while True:
            got = f.readinto(buf)
            if not got:
                break
            g.write(mv[:got])
            size += got
    os.rename(tmp, dst)
    return size


def write_atomic(path, data):
    """Replace a file by writing path + ".tmp" then renaming it over the old one."""
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.rename(tmp, path)


class Files:
    """The file handlers, registered on an Endpoint with register()."""

    def __init__(self, limit=None, root="."):
        self.limit = limit  # bytes the flash may hold in all (board.json "storage")
        self.root = root  # the folder whose files count against limit

    def register(self, ep):
        ep.handle(messages.OP_FS_STAT, self.stat)
        ep.handle(messages.OP_FS_LIST, self.list)
        ep.handle(messages.OP_FS_OPEN, self.open)
        ep.handle(messages.OP_FS_WRITE, self.write)
        ep.handle(messages.OP_FS_HASH, self.hash)
        ep.handle(messages.OP_FS_READ, self.read)
        ep.handle(messages.OP_FS_RENAME, self.rename)
        ep.handle(messages.OP_FS_REMOVE, self.remove)
        ep.handle(messages.OP_FS_COPY, self.copy)
        ep.handle(messages.OP_FS_DF, self.df)

    def free(self):
        try:
            st = os.statvfs(self.root)
            free, total = st[0] * st[4], st[1] * st[2]
        except (OSError, AttributeError):
            free, total = 0, 0
        used = None
        if self.limit:
            used = tree_size(self.root)
            free = min(free, max(0, self.limit - used))
            total = self.limit
        return free, total, used

    def df(self, value):
        free, total, used = self.free()
        return {"free": free, "total": total, "used": used if used is not None else total - free}

    def stat(self, value):
        st = stat(_path(value))
        if st is None:
            return None
        return {"size": st[0], "dir": st[1]}

    def list(self, value):
        p = _path(value)
        start = _int(value, "from", 0)
        st = stat(p)
        if st is None or not st[1]:
            raise RemoteError(messages.ERR_NOT_FOUND, "no folder", p)
        names = sorted(os.listdir(p))
        out = []
        room = _LIST_BYTES
        i = start
        while i < len(names) and room > len(names[i]) + 8:
            s = stat(p + "/" + names[i])
            out.append([names[i], -1 if s is None or s[1] else s[0]])
            room -= len(names[i]) + 8
            i += 1
        return {"entries": out, "more": i < len(names)}

    def open(self, value):
        p = _path(value)
        size = _int(value, "size", 0)
        st = stat(p)
        if st is not None and st[1]:
            raise _bad("a folder", p)
        have = 0 if st is None or value.get("fresh") else st[0]
        if have > size:
            have = 0  # longer than the upload: not a part of it
        free = self.free()[0]
        if size - have > free:
            raise RemoteError(messages.ERR_NO_SPACE, "%d bytes, %d free" % (size - have, free), {"free": free})
        makedirs(p)
        if st is None or have == 0:
            with open(p, "wb"):
                pass
        return {"size": have}

    def write(self, value):
        p = _path(value)
        o = _int(value, "o")
        d = value.get("d")
        if not isinstance(d, bytes):
            raise _bad("d")
        st = stat(p)
        if st is None:
            raise RemoteError(messages.ERR_NOT_FOUND, "not open", p)
        size = st[0]
        if o > size:
            raise _bad("gap", {"size": size})
        if o + len(d) > size:  # what the file already holds is not written again
            with open(p, "ab") as f:
                f.write(memoryview(d)[size - o :])
            size = o + len(d)
        return {"size": size}

    def hash(self, value):
        p = _path(value)
        n = value.get("n")
        if n is not None:
            n = _int(value, "n")
        if stat(p) is None:
            raise RemoteError(messages.ERR_NOT_FOUND, "no file", p)
        digest, done = sha256(p, n)
        return {"sha256": digest, "size": done}

    def read(self, value):
        p = _path(value)
        o = _int(value, "o", 0)
        n = min(_int(value, "n", _READ_MAX), _READ_MAX)
        if stat(p) is None:
            raise RemoteError(messages.ERR_NOT_FOUND, "no file", p)
        with open(p, "rb") as f:
            f.seek(o)
            return f.read(n)

    def rename(self, value):
        src, dst = _path(value, "from"), _path(value, "to")
        if stat(src) is None:
            raise RemoteError(messages.ERR_NOT_FOUND, "no file", src)
        makedirs(dst)
        os.rename(src, dst)
        return {}

    def remove(self, value):
        return {"removed": remove(_path(value))}

    def copy(self, value):
        src, dst = _path(value, "from"), _path(value, "to")
        st = stat(src)
        if st is None or st[1]:
            raise RemoteError(messages.ERR_NOT_FOUND, "no file", src)
        free = self.free()[0]
        if st[0] > free:
            raise RemoteError(messages.ERR_NO_SPACE, "%d bytes, %d free" % (st[0], free), {"free": free})
        return {"size": copy(src, dst)}
