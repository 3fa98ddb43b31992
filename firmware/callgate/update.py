# Firmware slots: which version the board runs, and switching to a new one atomically.
#
# A deployed version lives in a slot named fw/<version>-<id>, holding the compiled callgate
# package and the bundle's manifest.json (every file's sha256, the board, the version, the
# minimum version). Two kinds (docs/deploy.md):
#
#   fw/<version>-<id>        a folder on the flash (the virtual boards)
#   romN:fw/<version>-<id>   ROMFS partition N of an MCU's internal flash (board.json "deploy":
#                            {"romfs"}): one image the host built, uploaded to the flash as
#                            fw/<version>-<id>.romfs and copied here into the partition that
#                            is not running; its bytecode then runs in place, not from the heap
#
# boot.json in the flash root says which slot boots:
#
#   {"active": slot | null, "previous": slot | null, "ok": bool, "tries": n,
#    "rollback": null | {"from", "to", "tries"}, "min_version": "0.2.0"}
#
# null is the firmware the board image froze (or, on the virtual board, firmware/ itself).
# A deploy uploads the new slot's files (or image) and then asks for commit(): every file of
# the slot is checked against its manifest here, on the board (for a partition: the copy
# against the uploaded image, then every file in it, mounted), and only then is boot.json
# replaced, by writing boot.json.tmp and renaming it over (atomic on LittleFS and POSIX). A
# deploy cut off at any moment before that leaves boot.json, and so the running version, as
# it was.
#
# main.py reads boot.json before it imports anything from callgate (the slot's package must
# win over the frozen one) and counts boots of a slot not yet ok: a new slot that fails to
# come up 3 times in a row is left for the previous one, and the rollback is recorded here
# and reported in the BOOT event. confirm() is the app saying it came up.

import json

from . import files
from .link import messages
from .link.errors import RemoteError

STATE = "boot.json"
SLOTS = "fw"
ROM_CHECK = "/rom_new"  # where a freshly written partition is mounted to be checked
ROM_CHUNK = 1024  # bytes copied into a partition at a time


def partition(slot):
    """N of a "romN:..." slot; None for a folder or the frozen firmware."""
    if isinstance(slot, str) and slot.startswith("rom") and slot[4:5] == ":" and slot[3] in "0123456789":
        return int(slot[3])
    return None


def rom_target(st):
    """The partition a new ROM slot goes to: not the active slot's (it runs or is on trial),
    else not the previous one's."""
    for key in ("active", "previous"):
        n = partition(st.get(key))
        if n is not None:
            return 1 - n
    return 0


def version_tuple(v):
    """"0.2.10-rc1" -> (0, 2, 10): what compares versions."""
    out = []
    for part in str(v).split("-")[0].split("+")[0].split("."):
        try:
            out.append(int(part))
        except ValueError:
            out.append(0)
    return tuple(out)


def read_state():
    try:
        with open(STATE) as f:
            st = json.load(f)
        if isinstance(st, dict):
            return st
    except (OSError, ValueError):
        pass
    return {"active": None, "previous": None, "ok": True, "tries": 0}


def write_state(st):
    files.write_atomic(STATE, json.dumps(st).encode())


def confirm():
    """The app came up: a slot on trial becomes the board's good version."""
    st = read_state()
    if st.get("active") and not st.get("ok"):
        st["ok"] = True
        st["tries"] = 0
        write_state(st)


def boot_report():
    """Fields for the BOOT event: the slot running, and a rollback made at this boot."""
    st = read_state()
    r = {"slot": st.get("active")}
    if st.get("rollback"):  # until the next deploy
        r["rollback"] = st["rollback"]
    return r


class Update:
    """The deploy handlers: state and commit (files.Files moves the bytes)."""

    def __init__(self, board_id, version, board_min=None):
        self.board_id = board_id
        self.version = version
        self.board_min = board_min  # board.json "min_version"

    def register(self, ep):
        ep.handle(messages.OP_DEPLOY_STATE, self.state)
        ep.handle(messages.OP_DEPLOY_COMMIT, self.commit)

    def min_version(self, st):
        best = self.board_min or "0"
        m = st.get("min_version")
        if m and version_tuple(m) > version_tuple(best):
            best = m
        return best

    def state(self, value):
        st = read_state()
        return {
            "board": self.board_id,
            "fw": self.version,
            "active": st.get("active"),
            "previous": st.get("previous"),
            "ok": bool(st.get("ok", True)),
            "tries": st.get("tries", 0),
            "rollback": st.get("rollback"),
            "min_version": self.min_version(st),
        }

    def commit(self, value):
        slot = value.get("slot") if isinstance(value, dict) else None
        if not isinstance(slot, str) or not slot.startswith(SLOTS + "/") or ".." in slot or ":" in slot:
            raise RemoteError(messages.ERR_BAD_REQUEST, "slot", slot)
        st = read_state()
        image = value.get("image")
        if image is not None:
            return self.commit_rom(slot, image, st)
        man, n = self.check(slot, st)
        if slot == st.get("active"):
            return {"verified": n, "switched": False}
        self.switch(st, slot, man)
        return {"verified": n, "switched": True}

    def check(self, folder, st):
        """(manifest, files verified) of the slot in folder, or RemoteError."""
        try:
            with open(folder + "/manifest.json") as f:
                man = json.load(f)
        except (OSError, ValueError) as e:
            raise RemoteError(messages.ERR_NOT_FOUND, "no manifest in %s: %s" % (folder, e), folder)
        if man.get("board") != self.board_id:
            raise RemoteError(messages.ERR_REFUSED, "bundle for board %s, this is %s" % (man.get("board"), self.board_id))
        lowest = self.min_version(st)
        if version_tuple(man.get("version")) < version_tuple(lowest):
            raise RemoteError(messages.ERR_REFUSED, "version %s is older than this board's minimum %s" % (man.get("version"), lowest))
        n = 0
        for name, entry in man.get("files", {}).items():
            path = folder + "/" + name
            if files.stat(path) is None:
                raise RemoteError(messages.ERR_REFUSED, "missing " + name, name)
            digest, size = files.sha256(path)
            if size != entry.get("size") or _hex(digest) != entry.get("sha256"):
                raise RemoteError(messages.ERR_REFUSED, "bad hash " + name, name)
            n += 1
        return man, n

    def commit_rom(self, slot, image, st):
        """Copy the uploaded ROMFS image into the partition not running, check the copy and
        every file in it, switch to "romN:<slot>"."""
        import vfs

        import _board

        if image != slot + ".romfs":
            raise RemoteError(messages.ERR_BAD_REQUEST, "image", image)
        active = st.get("active")
        if partition(active) is not None and active[5:] == slot:  # a repeated commit: done already
            return {"verified": 0, "switched": False, "slot": active}
        size = (files.stat(image) or (None,))[0]
        if size is None:
            raise RemoteError(messages.ERR_NOT_FOUND, "no image " + image, image)
        n = rom_target(st)
        part = vfs.rom_ioctl(2, n)
        if size > len(part):
            raise RemoteError(messages.ERR_NO_SPACE, "image of %d bytes, partition %d holds %d" % (size, n, len(part)))
        if partition(st.get("previous")) == n:  # what a slot on trial falls back to goes: the frozen firmware then
            st["previous"] = None
            write_state(st)
        try:
            _board.rom_erase(n)
            buf = bytearray(ROM_CHUNK)
            mv = memoryview(buf)
            done = 0
            with open(image, "rb") as f:
                while True:
                    got = f.readinto(buf)
                    if not got:
                        break
                    _board.rom_write(n, done, mv[:got])
                    done += got
        except OSError as e:  # EBUSY (16): the partition runs (board.c); EIO: the flash failed
            raise RemoteError(messages.ERR_REFUSED, "partition %d: %s" % (n, "running" if e.errno == 16 else e))
        import hashlib

        if hashlib.sha256(part[:size]).digest() != files.sha256(image)[0]:
            raise RemoteError(messages.ERR_REFUSED, "partition %d does not hold the image" % n)
        try:
            vfs.mount(vfs.VfsRom(part), ROM_CHECK)
        except OSError as e:
            raise RemoteError(messages.ERR_REFUSED, "partition %d: not a ROMFS image (%s)" % (n, e))
        try:
            man, count = self.check(ROM_CHECK, st)
        finally:
            vfs.umount(ROM_CHECK)
        if slot != "%s/%s-%s" % (SLOTS, man.get("version"), str(man.get("id"))[:8]):
            raise RemoteError(messages.ERR_REFUSED, "the image holds another bundle than " + slot)
        name = "rom%d:%s" % (n, slot)
        self.switch(st, name, man)
        return {"verified": count, "switched": True, "slot": name}

    def switch(self, st, slot, man):
        """boot.json: slot on trial, the running one as previous (unless slot's partition
        held it: then the frozen firmware), the minimum raised to the bundle's."""
        lowest = self.min_version(st)
        prev = st.get("active") if st.get("ok", True) else st.get("previous")
        if partition(slot) is not None and partition(prev) == partition(slot):
            prev = None
        write_state({
            "active": slot,
            "previous": prev,
            "ok": False,
            "tries": 0,
            "rollback": None,
            "min_version": lowest if version_tuple(lowest) > version_tuple(man.get("min_version") or "0") else man.get("min_version"),
        })


def _hex(b):
    return "".join("%02x" % x for x in b)
