"""Put a site on a board over the link: compare, send what changed, verify, switch atomically.

    site = load_site("sites/demo/site.yaml")          # SiteError: nothing is sent
    with connect(port) as c:
        r = provision(c, site, out=sys.stderr)        # r["changes"], r["reload"], ...

On the board (docs/callcenter.md, Storage):

    site.json                  the active bundle plus "dir": "site/<id>"
    site/<id>/site.json        the bundle as `callgate site build` made it
    site/<id>/site.yaml        the source, for `callgate config pull`
    site/<id>/prompts/NAME.wav

Steps:
  1. the site's board must be the board that answers (STATUS "board"); refused otherwise;
  2. the site is built into a temporary folder; its id is the first 12 hex digits of the
     sha256 over site.json's bytes and, for each prompt, its name and sha256 (so a prompt
     re-recorded at the same length gets a new folder too);
  3. the board's current site.json is read and compared: sections (ports, ivr menus, queues,
     survey, recording, hours) and prompts (the board's files hashed by FS_HASH); --dry-run
     stops here;
  4. site/<id>/ is filled: files already there and matching are kept (a provision cut off
     earlier), a file the current site's folder holds with the same sha256 (a prompt, the
     source, the bundle) is copied on the board,
     the rest is sent (resumable, checked by sha256 before it is renamed into place, as a
     deploy does: link/files.py);
  5. site.json.new is written, its sha256 checked, and renamed over site.json: the switch.
     Cut off anywhere before it, the board keeps its site.json and the folder it names;
  6. OP_SITE_RELOAD (51) asks the board to load it (at once with no call up, else when the
     last call ends). A board that does not know the op loads it at its next boot;
  7. site folders other than the new one are removed, but the one the board still runs
     while the reload is pending or unsupported is kept (its prompts are in use); the next
     provision removes it.

install(flash, site, board) writes the same files into a powered-off board's flash (a mounted
LittleFS, as sim/flash.FlashImage.edit() gives): what a factory does when it programs the flash
before the board first boots. The board starts with the site, and a provision of the same site
over the link then finds it up to date and sends nothing.
"""

import hashlib
import json
import pathlib
import tempfile
import time

from ..deploy.deploy import Progress
from ..firmware.link import messages
from ..firmware.link.errors import LinkError, RemoteError
from ..link.files import RemoteFiles
from ..site import BUNDLE_FILE, build

OP_SITE_RELOAD = getattr(messages, "OP_SITE_RELOAD", 51)
ROOT = BUNDLE_FILE  # "site.json" in the flash root
NEW = ROOT + ".new"
FOLDER = "site"
SECTIONS = ("ports", "menus", "queues", "survey", "recording", "hours", "agents")


class ProvisionRefused(ValueError):
    """The site must not go to this board; nothing was changed (one line in the CLI)."""


def _sha(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


class Built:
    """A site built for the board: the files of its folder, its id, the root site.json."""

    def __init__(self, site, work: pathlib.Path):
        build(site, work)
        self.site = site
        self.bundle_bytes = (work / BUNDLE_FILE).read_bytes()
        self.bundle = json.loads(self.bundle_bytes)
        self.source = site.path.read_bytes()
        self.prompts = {name: (work / p["file"]).read_bytes() for name, p in sorted(self.bundle["prompts"].items())}
        h = hashlib.sha256(self.bundle_bytes)
        for name, data in self.prompts.items():
            h.update(f"\n{name} {_sha(data).hex()}".encode())
        self.id = h.hexdigest()[:12]
        self.dir = f"{FOLDER}/{self.id}"
        root = dict(self.bundle, dir=self.dir)
        self.root_bytes = (json.dumps(root, separators=(",", ":"), sort_keys=True) + "\n").encode()
        self.files = {"site.json": self.bundle_bytes, "site.yaml": self.source}
        for name, p in self.bundle["prompts"].items():
            self.files[p["file"]] = self.prompts[name]


def _join(d: str, path: str) -> str:
    return f"{d}/{path}" if d else path


def read_current(fs: RemoteFiles):
    """The board's root site.json as a dict (None: none; {"unreadable": msg} if it does not parse)."""
    if fs.stat(ROOT) is None:
        return None
    try:
        d = json.loads(fs.read(ROOT))
    except ValueError as e:
        return {"unreadable": str(e)}
    return d if isinstance(d, dict) else {"unreadable": "not a JSON object"}


def _keyed(section, bundle) -> dict:
    if bundle is None:
        return {}
    if section == "ports":
        return {f"port {p.get('n')}": p for p in bundle.get("ports") or []}
    if section == "menus":
        return dict((bundle.get("ivr") or {}).get("menus") or {})
    if section == "queues":
        return dict(bundle.get("queues") or {})
    v = bundle.get(section)
    return {} if v is None else {section: v}


def diff_sections(old, new) -> dict:
    """{section: {"added": [...], "removed": [...], "changed": [...]}} for the sections that differ,
    plus "settings" (site, law, ivr start/after-hours/operator) when those differ."""
    out = {}
    for s in SECTIONS:
        a, b = _keyed(s, old), _keyed(s, new)
        d = {"added": sorted(set(b) - set(a)), "removed": sorted(set(a) - set(b)),
             "changed": sorted(k for k in set(a) & set(b) if a[k] != b[k])}
        if any(d.values()):
            out[s] = d
    changed = []
    for k in ("site", "law", "board", "v"):
        if (old or {}).get(k) != new.get(k):
            changed.append(k)
    oi, ni = (old or {}).get("ivr") or {}, new.get("ivr") or {}
    for k in ("start", "after", "operator"):
        if oi.get(k) != ni.get(k):
            changed.append(f"ivr.{k}")
    if changed and old is not None:
        out["settings"] = {"added": [], "removed": [], "changed": changed}
    return out


def board_prompt_hashes(fs: RemoteFiles, current) -> dict:
    """{name: (path on the board, sha256 or None if missing)} of the current site's prompts."""
    out = {}
    if not current or "unreadable" in current:
        return out
    d = current.get("dir") or ""
    for name, p in (current.get("prompts") or {}).items():
        path = _join(d, p.get("file", f"prompts/{name}.wav"))
        try:
            out[name] = (path, fs.sha256(path))
        except RemoteError as e:
            if e.code != messages.ERR_NOT_FOUND:
                raise
            out[name] = (path, None)
    return out


class Plan:
    def __init__(self, built: Built, board: str, current, old_prompts: dict):
        self.built = built
        self.board = board
        self.current = current
        readable = current is not None and "unreadable" not in current
        self.old_dir = current.get("dir") if readable else None
        self.changes = (diff_sections(current, built.bundle) if readable
                        else {"site": {"added": [built.bundle["site"]], "removed": [], "changed": []}})
        new_p = {n: _sha(d) for n, d in built.prompts.items()}
        self.prompts = {
            "added": sorted(set(new_p) - set(old_prompts)),
            "removed": sorted(set(old_prompts) - set(new_p)),
            "changed": sorted(n for n in set(new_p) & set(old_prompts) if old_prompts[n][1] != new_p[n]),
        }
        self.have, self.copy, self.send = [], {}, []  # copy: path -> board path it comes from
        self.partial = {}
        self.up_to_date = False

    def bytes_to_send(self) -> int:
        return sum(len(self.built.files[p]) for p in self.send)

    def bytes_needed(self) -> int:
        return (sum(len(self.built.files[p]) for p in self.send + list(self.copy)) - sum(self.partial.values())
                + 2 * len(self.built.root_bytes))

    def as_dict(self) -> dict:
        b = self.built
        return {"board": self.board, "site": b.bundle["site"], "id": b.id, "dir": b.dir,
                "previous": self.old_dir, "had_site": self.current is not None,
                "unreadable": (self.current or {}).get("unreadable"),
                "changes": self.changes, "prompts": self.prompts, "up_to_date": self.up_to_date,
                "send": self.send, "copy": sorted(self.copy), "have": self.have,
                "bytes_to_send": self.bytes_to_send()}


def runs_sites_of(board) -> list:
    """The boards whose sites this board runs as well (its board.json "runs_sites_of": boards
    with the same ports, e.g. the emulated MCU qemu-m4f runs the virtual-8 demo site)."""
    from ..runtime import board_dir

    try:
        return json.loads((board_dir(str(board)) / "board.json").read_text()).get("runs_sites_of", [])
    except (ValueError, OSError):
        return []


def _check_board(site, board) -> None:
    if site.data["board"] != board and site.data["board"] not in runs_sites_of(board):
        raise ProvisionRefused(f"site {site.data['site']!r} is for board {site.data['board']}, but the board is {board}")


def install(flash, site, board: str) -> str:
    """Write a valid Site into `flash` (a mounted LittleFS of board `board`, not running) as
    provision() leaves it: the site folder, then the root site.json; other site folders go.
    Returns the site's folder. Raises ProvisionRefused for another board's site."""
    from ..sim.flash import put

    _check_board(site, board)
    with tempfile.TemporaryDirectory(prefix="callgate-site-") as work:
        built = Built(site, pathlib.Path(work))
    for rel, data in sorted(built.files.items()):
        put(flash, f"{built.dir}/{rel}", data)
    put(flash, ROOT, built.root_bytes)
    for name in flash.listdir(FOLDER):
        if f"{FOLDER}/{name}" != built.dir:
            flash.remove(f"{FOLDER}/{name}", recursive=True)
    return built.dir


def prepare(client, site, work) -> tuple:
    """(RemoteFiles, Plan) after every check; raises ProvisionRefused; changes nothing."""
    fs = RemoteFiles(client)
    board = client.status().get("board")
    _check_board(site, board)
    built = Built(site, pathlib.Path(work))
    current = read_current(fs)
    old = board_prompt_hashes(fs, current)
    p = Plan(built, board, current, old)
    by_hash = {h: path for path, h in old.values() if h is not None}
    if p.old_dir:  # the source and bundle of the running site, when unchanged, are copied too
        for rel in ("site.yaml", "site.json"):
            try:
                by_hash.setdefault(fs.sha256(f"{p.old_dir}/{rel}"), f"{p.old_dir}/{rel}")
            except RemoteError as e:
                if e.code != messages.ERR_NOT_FOUND:
                    raise
    for rel, data in built.files.items():
        target = f"{built.dir}/{rel}"
        st = fs.stat(target)
        if st is not None and not st["dir"] and st["size"] == len(data) and fs.sha256(target) == _sha(data):
            p.have.append(rel)
        elif _sha(data) in by_hash and by_hash[_sha(data)] != target:
            p.copy[rel] = by_hash[_sha(data)]
        else:
            p.send.append(rel)
            part = fs.stat(target + ".part")
            if part is not None and 0 < part["size"] <= len(data):
                p.partial[rel] = part["size"]
    root_now = None
    if current is not None and current.get("dir") == built.dir and not p.send and not p.copy:
        try:
            root_now = fs.sha256(ROOT)
        except RemoteError:
            root_now = None
    p.up_to_date = root_now == _sha(built.root_bytes)
    if p.up_to_date:
        p.changes, p.prompts = {}, {"added": [], "removed": [], "changed": []}
    return fs, p


def _tree_size(fs: RemoteFiles, path: str) -> int:
    total = 0
    for name, size in fs.listdir(path):
        total += _tree_size(fs, f"{path}/{name}") if size < 0 else size
    return total


def _stale(fs: RemoteFiles, keep: set) -> list:
    if not fs.stat(FOLDER):
        return []
    return [f"{FOLDER}/{name}" for name, size in fs.listdir(FOLDER) if f"{FOLDER}/{name}" not in keep]


def reload(client) -> dict:
    """Ask the board to load site.json again: {"site", "applied", "pending"}, or
    {"error": msg, "unknown_op": bool} when it cannot (the site applies at the next boot)."""
    try:
        r = client.request(OP_SITE_RELOAD, None, timeout=max(client.timeout, 2.0))
    except RemoteError as e:
        return {"error": e.message or messages.ERROR_NAMES.get(e.code, "error"),
                "unknown_op": e.code == messages.ERR_UNKNOWN_OP}
    except LinkError as e:
        return {"error": str(e), "unknown_op": False}
    return r if isinstance(r, dict) else {"reply": r}


def provision(client, site, dry_run: bool = False, out=None, force_reload: bool = False) -> dict:
    """Provision a valid Site (site.load_site) to the board; return a summary dict.
    out: where the progress line goes (None: quiet)."""
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="callgate-site-") as work:
        fs, p = prepare(client, site, work)
        result = p.as_dict()
        result["dry_run"] = dry_run
        if dry_run:
            return result
        if p.up_to_date:
            if force_reload:
                result["reload"] = reload(client)
            return result
        keep = {p.built.dir, p.old_dir}
        stale = _stale(fs, keep)
        free = fs.df()["free"] + sum(_tree_size(fs, d) for d in stale)
        need = p.bytes_needed()
        if need > free:
            raise ProvisionRefused(f"the site needs {need} bytes, the board has {free} free")
        for d in stale:  # unreferenced: left by a provision that was cut off or replaced
            fs.remove(d)
        progress = Progress(p.bytes_to_send(), out)
        sent = 0
        for rel, src in sorted(p.copy.items()):
            fs.copy(src, f"{p.built.dir}/{rel}")
        for rel in p.send:
            sent += fs.upload(f"{p.built.dir}/{rel}", p.built.files[rel], progress)
        progress.end()
        # every file of the folder, checked on the board before the switch
        for rel, data in p.built.files.items():
            if fs.sha256(f"{p.built.dir}/{rel}") != _sha(data):
                raise RemoteError(messages.ERR_REFUSED, f"{p.built.dir}/{rel}: the board's copy does not match")
        fs.upload(NEW, p.built.root_bytes)
        if fs.sha256(NEW) != _sha(p.built.root_bytes):
            raise RemoteError(messages.ERR_REFUSED, f"{NEW}: the board's copy does not match")
        fs.rename(NEW, ROOT)
        result.update(sent=sent, verified=len(p.built.files), switched=True,
                      transfer_s=round(time.monotonic() - t0, 3))
        r = reload(client)
        result["reload"] = r
        applied = "error" not in r and r.get("applied") and not r.get("pending")
        keep = {p.built.dir} if applied else {p.built.dir, p.old_dir}
        removed = _stale(fs, keep)
        for d in removed:
            fs.remove(d)
        result["removed"] = removed
        result["kept"] = sorted(d for d in keep if d and d != p.built.dir)
        result["total_s"] = round(time.monotonic() - t0, 3)
        return result
