# Firmware slots: which version the board runs, and switching to a new one atomically.
#
# A deployed version lives in its own folder, a slot, fw/<version>-<id>/, holding the
# compiled callgate package and the bundle's manifest.json (every file's sha256, the board,
# the version, the minimum version). boot.json in the flash root says which slot boots:
#
#   {"active": "fw/0.2.0-1a2b3c4d" | null, "previous": slot | null, "ok": bool, "tries": n,
#    "rollback": null | {"from", "to", "tries"}, "min_version": "0.2.0"}
#
# null is the firmware the board image froze (or, on the virtual board, firmware/ itself).
# A deploy uploads into a new slot and then asks for commit(): every file of the slot is
# checked against its manifest here, on the board, and only then is boot.json replaced, by
# writing boot.json.tmp and renaming it over (atomic on LittleFS and POSIX). A deploy cut off
# at any moment before that leaves boot.json, and so the running version, as it was.
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
        if not isinstance(slot, str) or not slot.startswith(SLOTS + "/") or ".." in slot:
            raise RemoteError(messages.ERR_BAD_REQUEST, "slot", slot)
        try:
            with open(slot + "/manifest.json") as f:
                man = json.load(f)
        except (OSError, ValueError) as e:
            raise RemoteError(messages.ERR_NOT_FOUND, "no manifest in %s: %s" % (slot, e), slot)
        st = read_state()
        if man.get("board") != self.board_id:
            raise RemoteError(messages.ERR_REFUSED, "bundle for board %s, this is %s" % (man.get("board"), self.board_id))
        lowest = self.min_version(st)
        if version_tuple(man.get("version")) < version_tuple(lowest):
            raise RemoteError(messages.ERR_REFUSED, "version %s is older than this board's minimum %s" % (man.get("version"), lowest))
        n = 0
        for name, entry in man.get("files", {}).items():
            path = slot + "/" + name
            if files.stat(path) is None:
                raise RemoteError(messages.ERR_REFUSED, "missing " + name, name)
            digest, size = files.sha256(path)
            if size != entry.get("size") or _hex(digest) != entry.get("sha256"):
                raise RemoteError(messages.ERR_REFUSED, "bad hash " + name, name)
            n += 1
        if slot == st.get("active"):
            return {"verified": n, "switched": False}
        new = {
            "active": slot,
            "previous": st.get("active") if st.get("ok", True) else st.get("previous"),
            "ok": False,
            "tries": 0,
            "rollback": None,
            "min_version": lowest if version_tuple(lowest) > version_tuple(man.get("min_version") or "0") else man.get("min_version"),
        }
        write_state(new)
        return {"verified": n, "switched": True}


def _hex(b):
    return "".join("%02x" % x for x in b)
