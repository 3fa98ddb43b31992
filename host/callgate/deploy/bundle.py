"""A firmware bundle: the files a board's slot holds, and their manifest.

    b = build("virtual-4")                 # the firmware package compiled by mpy-cross + board files
    b = build("virtual-4", firmware="../checkout/firmware")   # another firmware tree
    b.manifest["files"]["callgate/app.mpy"]  # {"sha256": hex, "size": n}
    b.save(dir); Bundle.load(dir)

The firmware package (firmware/callgate in a checkout; the installed callgate.firmware, by
default: callgate.runtime.FIRMWARE) is compiled with mpy-cross for the board's architecture
(board.json "arch", else from its "mcu"), with the same -O level as the board's manifest.py
freezes it, and the same files: firmware/manifest.py's callgate_files(), so a slot holds only
the HAL backend of the board's board.json "hal" (hal_virtual.py or hal_mcu.py). firmware/main.py is not in a bundle: it is the boot path that chooses a slot
(docs/deploy.md), put on the board by provisioning or `callgate bootstrap`, never by a
deploy. The board's board.json and pins.csv travel with the bundle too.

A board whose board.json has "deploy": {"romfs": [partitions]} (an MCU: boards/qemu-m4f) runs a
deployed version from a ROMFS partition of its internal flash instead of a folder:
romfs_image() is the slot as one ROMFS image (mpremote's VfsRomWriter), the same files and
manifest.json, which the board copies into the partition not running (docs/deploy.md).

manifest.json: {"format": 1, "board", "version", "min_version", "id", "files": {path:
{"sha256", "size"}}}. "id" is the first 16 hex digits of the sha256 over the board, the
version and every file's hash: the slot is named fw/<version>-<id[:8]>.
"""

import hashlib
import json
import pathlib
import re
import runpy
import subprocess
import tempfile

from .. import runtime

FORMAT = 1
# Native-code architecture per MCU family (mpy-cross -march): only @native/@viper code
# depends on it; bytecode .mpy runs on any port of the same MicroPython bytecode version.
ARCH = {"unix": "x64", "esp32s3": "xtensawin", "esp32": "xtensawin", "rp2040": "armv6m", "rp2350": "armv7emsp"}
BOARD_FILES = ("board.json", "pins.csv")
OPT = 3  # as the boards' manifest.py freeze the package


class BundleError(ValueError):
    """A bundle that cannot be built or used (printed as one line by the CLI)."""


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def firmware_version(firmware: pathlib.Path) -> str:
    text = (firmware / "callgate" / "__init__.py").read_text()
    m = re.search(r'^VERSION\s*=\s*"([^"]+)"', text, re.M)
    if not m:
        raise BundleError(f"no VERSION in {firmware}/callgate/__init__.py")
    return m.group(1)


class Bundle:
    def __init__(self, manifest: dict, files: dict):
        self.manifest = manifest
        self.files = files  # path in the slot -> bytes

    @property
    def board(self) -> str:
        return self.manifest["board"]

    @property
    def version(self) -> str:
        return self.manifest["version"]

    @property
    def slot(self) -> str:
        return f"fw/{self.version}-{self.manifest['id'][:8]}"

    def manifest_bytes(self) -> bytes:
        return json.dumps(self.manifest, sort_keys=True, separators=(",", ":")).encode()

    def size(self) -> int:
        return sum(len(d) for d in self.files.values()) + len(self.manifest_bytes())

    def romfs(self) -> list:
        """The board's ROMFS partitions ([{"n", "bytes"}], board.json "deploy": {"romfs"}): a
        deployed version runs from one of them; [] for a board of folder slots."""
        try:
            board_def = json.loads(self.files.get("board.json", b"{}"))
        except ValueError:
            return []
        return list((board_def.get("deploy") or {}).get("romfs") or [])

    def romfs_image(self) -> bytes:
        """The slot's files and manifest.json as one ROMFS image (folders as in the slot)."""
        from mpremote.romfs import VfsRomWriter

        tree = {}
        for path, data in {**self.files, "manifest.json": self.manifest_bytes()}.items():
            *folders, name = path.split("/")
            node = tree
            for d in folders:
                node = node.setdefault(d + "/", {})
            node[name] = data
        w = VfsRomWriter()

        def put(node):
            for name in sorted(node):
                if name.endswith("/"):
                    w.opendir(name[:-1])
                    put(node[name])
                    w.closedir()
                else:
                    w.mkfile(name, node[name])

        put(tree)
        return w.finalise()

    def verify(self) -> None:
        """Raise BundleError unless every file matches the manifest, and nothing is extra."""
        listed = self.manifest.get("files", {})
        if set(listed) != set(self.files):
            extra = sorted(set(self.files) ^ set(listed))
            raise BundleError(f"bundle files and manifest differ: {', '.join(extra)}")
        for path, entry in listed.items():
            data = self.files[path]
            if len(data) != entry["size"] or sha256_hex(data) != entry["sha256"]:
                raise BundleError(f"bad hash: {path} does not match the bundle's manifest")
        if self.manifest.get("id") != bundle_id(self.manifest):
            raise BundleError("bad hash: the manifest's id does not match its contents")

    def save(self, folder) -> pathlib.Path:
        folder = pathlib.Path(folder)
        for path, data in self.files.items():
            out = folder / path
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(data)
        (folder / "manifest.json").write_bytes(self.manifest_bytes())
        return folder

    @classmethod
    def load(cls, folder) -> "Bundle":
        folder = pathlib.Path(folder)
        try:
            manifest = json.loads((folder / "manifest.json").read_text())
        except (OSError, ValueError) as e:
            raise BundleError(f"{folder}: no readable manifest.json ({e})") from e
        files = {}
        for p in sorted(folder.rglob("*")):
            rel = p.relative_to(folder).as_posix()
            if p.is_file() and rel != "manifest.json":
                files[rel] = p.read_bytes()
        return cls(manifest, files)


def bundle_id(manifest: dict) -> str:
    h = hashlib.sha256()
    h.update(f"{manifest['board']}\n{manifest['version']}\n{manifest.get('min_version')}\n".encode())
    for path in sorted(manifest["files"]):
        h.update(f"{path} {manifest['files'][path]['sha256']}\n".encode())
    return h.hexdigest()[:16]


def arch_of(board_def: dict) -> str | None:
    return board_def.get("arch") or ARCH.get(board_def.get("mcu", ""))


def hal_of(board_def: dict) -> str:
    """The board's HAL backend: board.json "hal"; without it, as hal.py decides on the board
    ("virtual" on the Unix port, "mcu" elsewhere)."""
    return board_def.get("hal") or ("virtual" if board_def.get("mcu") == "unix" else "mcu")


def package_files(firmware: pathlib.Path, hal: str) -> list:
    """The firmware package's .py files a slot of a `hal` board holds (paths from firmware/):
    the rule of firmware/manifest.py, which a board's image freezes by."""
    rule = runpy.run_path(str(firmware / "manifest.py"))["callgate_files"]
    try:
        return [f"callgate/{rel}" for rel in rule(str(firmware / "callgate"), hal)]
    except ValueError as e:
        raise BundleError(f"board.json hal: {e}") from e


def compile_mpy(src: pathlib.Path, name: str, arch: str | None, opt: int = OPT) -> bytes:
    """mpy-cross src; name is the source name embedded in tracebacks ("callgate/app.py")."""
    with tempfile.TemporaryDirectory(prefix="callgate-mpy-") as tmp:
        out = pathlib.Path(tmp) / "out.mpy"
        cmd = [runtime.mpy_cross(), f"-O{opt}", "-s", name, "-o", str(out)]
        if arch:
            cmd.append(f"-march={arch}")
        r = subprocess.run([*cmd, str(src)], capture_output=True, text=True, timeout=60)
        if r.returncode != 0 or not out.is_file():
            raise BundleError(f"mpy-cross {name}: {r.stderr.strip()}")
        return out.read_bytes()


def build(board: str, firmware=None, boards=None, version: str | None = None,
          min_version: str | None = None, mpy: bool = True, extra: dict | None = None) -> Bundle:
    """Build the bundle for board from a firmware tree (a folder holding the package callgate/,
    as a checkout's firmware/; default: the one callgate runs, runtime.FIRMWARE) and boards/NAME.

    mpy=False ships the .py sources instead of .mpy. extra: more files {slot path: bytes}
    (tests use it).
    """
    firmware = pathlib.Path(firmware) if firmware else runtime.FIRMWARE
    if not (firmware / "callgate" / "__init__.py").is_file():
        raise BundleError(f"{firmware}: not a firmware tree (no callgate/__init__.py: name a checkout's firmware/ folder)")
    board_path = (pathlib.Path(boards) / board) if boards else runtime.board_dir(board)
    try:
        board_def = json.loads((board_path / "board.json").read_text())
    except (OSError, ValueError) as e:
        raise BundleError(f"board {board}: {e}") from e
    arch = arch_of(board_def)
    files = {}
    for rel in package_files(firmware, hal_of(board_def)):
        src = firmware / rel
        if mpy:
            files[rel[:-3] + ".mpy"] = compile_mpy(src, rel, arch)
        else:
            files[rel] = src.read_bytes()
    for name in BOARD_FILES:
        if (board_path / name).is_file():
            files[name] = (board_path / name).read_bytes()
    files.update(extra or {})
    manifest = {
        "format": FORMAT,
        "board": board_def.get("id", board),
        "version": version or firmware_version(firmware),
        "min_version": min_version or board_def.get("min_version") or "0.0.0",
        "arch": arch,
        "files": {p: {"sha256": sha256_hex(d), "size": len(d)} for p, d in sorted(files.items())},
    }
    manifest["id"] = bundle_id(manifest)
    return Bundle(manifest, files)
