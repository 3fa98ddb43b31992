# The link's file operations (callgate/files.py) and the slot commit (callgate/update.py)
# as plain handlers. Shared: CPython (pytest) and MicroPython (mp_runner.py). They work in a
# folder of the current directory, removed afterwards.

import json

try:
    import hashlib
except ImportError:
    import uhashlib as hashlib

import fw

files = fw.module("files")
update = fw.module("update")
Files = files.Files
messages = fw.module("link.messages")
RemoteError = fw.module("link.errors").RemoteError

RUNS_ON_MICROPYTHON = True

D = "_cg_files_test"


def _refused(fn, value, code):
    try:
        fn(value)
    except RemoteError as e:
        assert e.code == code, (e.code, e.message)
        return e
    raise AssertionError("not refused: %r" % (value,))


def _fresh():
    files.remove(D)


def test_upload_resumes_and_retried_chunks_are_harmless():
    _fresh()
    try:
        fs = Files()
        data = bytes(range(256)) * 5
        p = D + "/a/b/x.mpy.part"
        assert fs.open({"p": p, "size": len(data)}) == {"size": 0}
        assert fs.write({"p": p, "o": 0, "d": data[:300]}) == {"size": 300}
        assert fs.write({"p": p, "o": 0, "d": data[:300]}) == {"size": 300}  # a retry
        assert fs.write({"p": p, "o": 200, "d": data[200:500]}) == {"size": 500}  # overlaps
        e = _refused(fs.write, {"p": p, "o": 600, "d": data[600:700]}, messages.ERR_BAD_REQUEST)
        assert e.detail == {"size": 500}
        # the board "restarted": open again keeps what arrived
        assert fs.open({"p": p, "size": len(data)}) == {"size": 500}
        assert fs.hash({"p": p, "n": 500})["sha256"] == hashlib.sha256(data[:500]).digest()
        fs.write({"p": p, "o": 500, "d": data[500:]})
        h = fs.hash({"p": p})
        assert h == {"sha256": hashlib.sha256(data).digest(), "size": len(data)}
        assert fs.open({"p": p, "size": len(data), "fresh": True}) == {"size": 0}
        fs.write({"p": p, "o": 0, "d": data})
        fs.rename({"from": p, "to": D + "/a/b/x.mpy"})
        assert fs.stat({"p": D + "/a/b/x.mpy"}) == {"size": len(data), "dir": False}
        assert fs.stat({"p": p}) is None
        assert fs.read({"p": D + "/a/b/x.mpy", "o": 10, "n": 5}) == data[10:15]
        assert fs.copy({"from": D + "/a/b/x.mpy", "to": D + "/c/y.mpy"}) == {"size": len(data)}
        assert fs.list({"p": D})["entries"] == [["a", -1], ["c", -1]]
        assert fs.list({"p": D + "/c"}) == {"entries": [["y.mpy", len(data)]], "more": False}
        assert fs.remove({"p": D + "/a"}) == {"removed": 3}
        assert fs.remove({"p": D + "/a"}) == {"removed": 0}
    finally:
        _fresh()


def test_bad_paths_and_space_are_refused():
    _fresh()
    try:
        fs = Files()
        for p in ("/etc/passwd", "../x", "a/../../x", "", None):
            _refused(fs.stat, {"p": p}, messages.ERR_BAD_REQUEST)
        _refused(fs.hash, {"p": D + "/none"}, messages.ERR_NOT_FOUND)
        _refused(fs.write, {"p": D + "/none", "o": 0, "d": b"x"}, messages.ERR_NOT_FOUND)
        files.makedirs(D + "/x")
        files.write_atomic(D + "/used", b"u" * 100)
        small = Files(limit=files.tree_size(D) + 50, root=D)  # 50 bytes left
        e = _refused(small.open, {"p": D + "/big", "size": 51}, messages.ERR_NO_SPACE)
        assert e.detail["free"] == 50
        assert small.stat({"p": D + "/big"}) is None  # nothing created
        assert small.open({"p": D + "/ok", "size": 50}) == {"size": 0}
    finally:
        _fresh()


def _slot(name, board="virtual-4", version="0.2.0", min_version=None, body=b"VERSION = 1\n"):
    slot = D + "/fw/" + name
    files.makedirs(slot + "/callgate/x")
    files.write_atomic(slot + "/callgate/v.py", body)
    h = "".join("%02x" % b for b in hashlib.sha256(body).digest())
    man = {"board": board, "version": version, "min_version": min_version,
           "files": {"callgate/v.py": {"sha256": h, "size": len(body)}}}
    files.write_atomic(slot + "/manifest.json", json.dumps(man).encode())
    return slot


def test_commit_checks_then_switches():
    _fresh()
    saved = (update.STATE, update.SLOTS)
    update.STATE, update.SLOTS = D + "/boot.json", D + "/fw"
    try:
        u = update.Update("virtual-4", "0.1.0")
        assert u.state(None)["active"] is None
        good = _slot("0.2.0-a", min_version="0.2.0")
        _refused(u.commit, {"slot": _slot("x", board="esp32s3-2fxo-2fxs")}, messages.ERR_REFUSED)
        bad = _slot("bad")
        files.write_atomic(bad + "/callgate/v.py", b"VERSION = 2\n")  # not what the manifest says
        e = _refused(u.commit, {"slot": bad}, messages.ERR_REFUSED)
        assert "bad hash" in e.message
        _refused(u.commit, {"slot": "../fw/x"}, messages.ERR_BAD_REQUEST)
        assert u.state(None)["active"] is None  # every refusal changed nothing
        assert u.commit({"slot": good}) == {"verified": 1, "switched": True}
        st = u.state(None)
        assert (st["active"], st["previous"], st["ok"], st["min_version"]) == (good, None, False, "0.2.0")
        update.confirm()
        assert u.state(None)["ok"]
        old = _slot("0.1.5-b", version="0.1.5")
        e = _refused(u.commit, {"slot": old}, messages.ERR_REFUSED)
        assert "minimum" in e.message
        newer = _slot("0.3.0-c", version="0.3.0")
        u.commit({"slot": newer})
        st = u.state(None)
        assert (st["active"], st["previous"], st["min_version"]) == (newer, good, "0.2.0")
        assert update.version_tuple("0.10.1-rc1") > update.version_tuple("0.9.9")
    finally:
        update.STATE, update.SLOTS = saved
        _fresh()


class _RamBlocks:
    """A block device in RAM (the extended interface VfsLfs2 uses), as a board's flash."""

    def __init__(self, blocks, size=512):
        self.size = size
        self.data = bytearray(blocks * size)

    def readblocks(self, n, buf, off=0):
        a = n * self.size + off
        buf[:] = self.data[a : a + len(buf)]

    def writeblocks(self, n, buf, off=None):
        a = n * self.size + (off or 0)
        self.data[a : a + len(buf)] = buf

    def ioctl(self, op, arg):
        if op == 4:  # block count
            return len(self.data) // self.size
        if op == 5:  # block size
            return self.size
        if op == 6:  # erase
            a = arg * self.size
            self.data[a : a + self.size] = b"\xff" * self.size
            return 0
        return 0


def test_upload_and_commit_on_littlefs():
    """The same handlers on a LittleFS filesystem (MicroPython's VfsLfs2, what the boards
    run): append-only writes, rename over an existing file, statvfs, the commit."""
    try:
        import vfs

        lfs = vfs.VfsLfs2
    except (ImportError, AttributeError):
        import pytest

        pytest.skip("VfsLfs2 is MicroPython's")
    import os

    bdev = _RamBlocks(128)  # 64 KiB
    lfs.mkfs(bdev)
    vfs.mount(lfs(bdev), "/_cg_lfs")
    cwd = os.getcwd()
    saved = (update.STATE, update.SLOTS)
    try:
        os.chdir("/_cg_lfs")
        fs = Files()
        free0 = fs.df(None)["free"]
        assert 0 < free0 <= 64 * 1024
        data = bytes(range(256)) * 20
        p = "fw/s/callgate/v.py.part"
        fs.open({"p": p, "size": len(data)})
        for o in range(0, len(data), 300):
            fs.write({"p": p, "o": o, "d": data[o : o + 300]})
            fs.write({"p": p, "o": o, "d": data[o : o + 300]})  # retried
        assert fs.hash({"p": p}) == {"sha256": hashlib.sha256(data).digest(), "size": len(data)}
        fs.rename({"from": p, "to": "fw/s/callgate/v.py"})
        files.write_atomic("x.json", b"1")
        files.write_atomic("x.json", b"22")  # rename over an existing file
        assert fs.read({"p": "x.json"}) == b"22"
        assert fs.df(None)["free"] < free0
        e = _refused(fs.open, {"p": "big", "size": 80 * 1024}, messages.ERR_NO_SPACE)
        assert e.detail["free"] < 64 * 1024
        h = "".join("%02x" % b for b in hashlib.sha256(data).digest())
        man = {"board": "virtual-4", "version": "0.2.0", "files": {"callgate/v.py": {"sha256": h, "size": len(data)}}}
        files.write_atomic("fw/s/manifest.json", json.dumps(man).encode())
        update.STATE, update.SLOTS = "boot.json", "fw"
        assert update.Update("virtual-4", "0.1.0").commit({"slot": "fw/s"})["switched"]
        assert update.read_state()["active"] == "fw/s"
    finally:
        update.STATE, update.SLOTS = saved
        os.chdir(cwd)
        vfs.umount("/_cg_lfs")
