"""Deploy a bundle to a board over the link: compare, send what changed, verify, switch.

    with connect(port) as c:
        result = deploy(c, bundle.build("virtual-4"), out=sys.stderr)

Steps (docs/deploy.md):
  1. the bundle checks itself (every file against its manifest: a bad hash is refused);
  2. the board says what it runs (DEPLOY_STATE) and its committed manifest is read; a bundle
     for another board, older than the board's minimum version, or larger than its free
     space is refused here, before anything on the board changes;
  3. the plan: each file of the new slot fw/<version>-<id>/ is already there (a cut-off
     deploy), the same as in the running slot (copied on the board, nothing sent), or sent;
     for a board of ROMFS partitions (bundle.romfs()) the one file is the slot's image,
     fw/<version>-<id>.romfs; --dry-run stops here and prints it;
  4. slots other than the running, the previous and the new one are removed; files are sent
     (resumable, each checked by its sha256 on the board before it is renamed into place);
  5. COMMIT: the board checks every file of the slot against the manifest (an image: copied
     into the partition not running first, the slot named romN:fw/...) and replaces
     boot.json atomically; the board restarts into the new slot, which is kept once it
     comes up (or rolled back by the board after 3 failed boots: reported).
"""

import json
import time

from ..firmware.link import messages
from ..firmware.link.errors import LinkError, RemoteError
from ..link.files import RemoteFiles
from .bundle import Bundle, BundleError, sha256_hex


class DeployRefused(BundleError):
    """The deploy would not be right for this board; nothing was changed."""


def version_tuple(v) -> tuple:
    out = []
    for part in str(v).split("-")[0].split("+")[0].split("."):
        try:
            out.append(int(part))
        except ValueError:
            out.append(0)
    return tuple(out)


class Progress:
    """One line: bytes sent of total, rate, time left; redrawn at most 10 times a second."""

    def __init__(self, total: int, out=None):
        self.total = total
        self.done = 0
        self.out = out
        self.t0 = time.monotonic()
        self._shown = 0.0

    def __call__(self, n: int) -> None:
        self.done += n
        now = time.monotonic()
        if now - self._shown >= 0.1 or self.done >= self.total:
            self._shown = now
            self.show()

    def line(self) -> str:
        dt = max(time.monotonic() - self.t0, 1e-6)
        rate = self.done / dt
        left = (self.total - self.done) / rate if rate > 0 else 0.0
        return f"{self.done / 1000:8.1f} / {self.total / 1000:.1f} kB  {rate / 1000:7.1f} kB/s  {left:5.1f} s left"

    def show(self) -> None:
        if self.out is not None:
            self.out.write("\r  " + self.line())
            self.out.flush()

    def end(self) -> None:
        if self.out is not None and self.total:
            self.show()
            self.out.write("\n")


def slot_name(slot) -> str | None:
    """The bundle's slot a board slot holds: "rom1:fw/0.1.0-ab" -> "fw/0.1.0-ab"."""
    return slot.split(":", 1)[-1] if slot else slot


def rom_target(state: dict) -> int:
    """The partition the board writes a new ROM slot to (firmware/callgate/update.py's rule)."""
    for key in ("active", "previous"):
        slot = state.get(key) or ""
        if slot.startswith("rom") and slot[4:5] == ":":
            return 1 - int(slot[3])
    return 0


class Plan:
    def __init__(self, bundle: Bundle, state: dict, current: dict | None):
        self.bundle = bundle
        self.state = state
        self.current = current  # the running slot's manifest, or None (the frozen firmware)
        self.slot = bundle.slot
        self.have = []  # already in the new slot (a deploy that was cut off)
        self.copy = []  # unchanged: copied from the running slot on the board
        self.send = []  # changed or new: sent over the link
        self.partial = {}  # path -> bytes of it a cut-off upload left on the board
        self.up_to_date = slot_name(state.get("active")) == self.slot and state.get("ok")
        self.romfs = bundle.romfs()
        self.image = None  # the board path of the slot's ROMFS image (a board of partitions)
        if self.up_to_date:
            self.slot = state["active"]
            self.files = {}
        elif self.romfs:
            self.image = f"{self.slot}.romfs"
            self.slot = f"rom{rom_target(state)}:{self.slot}"
            self.files = {self.image: bundle.romfs_image()}
        else:
            self.files = bundle.files  # path in the slot -> bytes

    def target(self, path: str) -> str:
        """Where a file of the plan goes on the board."""
        return path if self.image else f"{self.slot}/{path}"

    def bytes_to_send(self) -> int:
        return sum(len(self.files[p]) for p in self.send)

    def bytes_needed(self) -> int:
        """Flash the new slot still needs (sent or copied files, and the manifest)."""
        need = sum(len(self.files[p]) for p in self.send + self.copy)
        if not self.image:
            need += len(self.bundle.manifest_bytes())
        return need - sum(self.partial.values())

    def as_dict(self) -> dict:
        return {
            "board": self.state.get("board"), "running": self.state.get("fw"), "active": self.state.get("active"),
            "version": self.bundle.version, "slot": self.slot, "up_to_date": bool(self.up_to_date),
            "send": self.send, "copy": self.copy, "have": self.have,
            "bytes_to_send": self.bytes_to_send(),
        }


def check(bundle: Bundle, state: dict, free: int | None = None) -> None:
    """Raise DeployRefused if the bundle must not go to this board (nothing is changed)."""
    try:
        bundle.verify()
    except BundleError as e:
        raise DeployRefused(str(e)) from None
    if bundle.board != state.get("board"):
        raise DeployRefused(f"bundle for board {bundle.board}, but the board is {state.get('board')}")
    lowest = state.get("min_version") or "0"
    if version_tuple(bundle.version) < version_tuple(lowest):
        raise DeployRefused(f"version {bundle.version} is older than the board's minimum {lowest}")
    if free is not None:
        for path, data in bundle.files.items():
            if len(data) > free:
                raise DeployRefused(f"{path} ({len(data)} bytes) is larger than the board's free storage ({free} bytes)")


def plan(fs: RemoteFiles, bundle: Bundle, state: dict) -> Plan:
    current = None
    if state.get("active") and not bundle.romfs():  # a partition's files are never copied
        try:
            current = json.loads(fs.read(state["active"] + "/manifest.json"))
        except (RemoteError, ValueError):
            current = None  # a slot without a readable manifest: send everything
    p = Plan(bundle, state, current)
    if p.up_to_date:
        return p
    running = (current or {}).get("files", {})
    for path in sorted(p.files):
        data = p.files[path]
        entry = {"size": len(data), "sha256": sha256_hex(data)}
        target = p.target(path)
        st = fs.stat(target)
        if st is not None and st["size"] == entry["size"] and fs.sha256(target).hex() == entry["sha256"]:
            p.have.append(path)
        elif running.get(path, {}).get("sha256") == entry["sha256"]:
            p.copy.append(path)
        else:
            p.send.append(path)
            part = fs.stat(target + ".part")
            if part is not None and 0 < part["size"] <= entry["size"]:
                p.partial[path] = part["size"]
    return p


def prepare(client, bundle: Bundle):
    """(RemoteFiles, Plan) after every check; raises DeployRefused, changes nothing."""
    fs = RemoteFiles(client)
    try:
        bundle.verify()
    except BundleError as e:
        raise DeployRefused(str(e)) from None
    state = client.request(messages.OP_DEPLOY_STATE)
    check(bundle, state)
    p = plan(fs, bundle, state)
    if p.image:
        room = min((part.get("bytes", 0) for part in p.romfs), default=0)
        size = len(p.files[p.image])
        if size > room:
            raise DeployRefused(f"the slot's ROMFS image ({size} bytes) is larger than the board's partitions ({room} bytes)")
    if not p.up_to_date:
        free = fs.df()["free"]
        check(bundle, state, free)
        need = p.bytes_needed()
        if need > free:
            raise DeployRefused(f"the new slot needs {need} bytes, the board has {free} free")
    return fs, p


def deploy(client, bundle: Bundle, dry_run: bool = False, out=None, restart: bool = True,
           wait: float = 20.0) -> dict:
    """Deploy bundle; return a summary dict. out: where the progress line goes (None: quiet)."""
    t0 = time.monotonic()
    fs, p = prepare(client, bundle)
    result = p.as_dict()
    if dry_run or p.up_to_date:
        result["dry_run"] = dry_run
        return result
    _remove_slots(fs, {p.state.get("active"), p.state.get("previous"), p.image or p.slot})
    progress = Progress(p.bytes_to_send(), out)
    sent = 0
    for path in p.copy:
        fs.copy(f"{p.state['active']}/{path}", f"{p.slot}/{path}")
    for path in p.send:
        sent += fs.upload(p.target(path), p.files[path], progress)
    progress.end()
    if p.image:  # the board copies the image into a partition, checks it, names the slot
        r = client.request(messages.OP_DEPLOY_COMMIT, {"slot": bundle.slot, "image": p.image}, timeout=30.0)
    else:
        fs.upload(f"{p.slot}/manifest.json", bundle.manifest_bytes())
        r = client.request(messages.OP_DEPLOY_COMMIT, {"slot": p.slot}, timeout=10.0)
    slot = r.get("slot", p.slot)
    result.update(slot=slot, sent=sent, verified=r["verified"], switched=r["switched"],
                  transfer_s=round(time.monotonic() - t0, 3))
    if r["switched"]:  # two slots stay: the new one and the one boot.json falls back to
        now = client.request(messages.OP_DEPLOY_STATE)  # (a ROM slot's image goes: the partition holds it)
        _remove_slots(fs, {now.get("active"), now.get("previous")})
    if restart and r["switched"]:
        result.update(restart_and_wait(client, slot, wait))
    result["total_s"] = round(time.monotonic() - t0, 3)
    return result


def _remove_slots(fs: RemoteFiles, keep: set) -> None:
    if fs.stat("fw"):
        for name, _ in fs.listdir("fw"):
            if f"fw/{name}" not in keep:
                fs.remove(f"fw/{name}")


def restart_and_wait(client, slot: str, wait: float) -> dict:
    """RESET the board, then wait until the new slot came up (or the board rolled back)."""
    try:
        client.request(messages.OP_RESET)
    except LinkError:
        pass  # the reply may be lost in the restart: the state below tells
    deadline = time.monotonic() + wait
    time.sleep(0.2)
    while time.monotonic() < deadline:
        try:
            st = client.request(messages.OP_DEPLOY_STATE, timeout=0.5, retries=0)
        except LinkError:
            time.sleep(0.1)
            continue
        if st.get("active") == slot and st.get("ok"):
            return {"running": st["fw"], "state": "running"}
        rb = st.get("rollback")
        if rb and rb.get("from") == slot:
            return {"running": st["fw"], "state": "rolled back", "rollback": rb}
        time.sleep(0.1)
    return {"state": "not confirmed"}
