"""Bootstrap a board through its REPL: install the slot chooser and a first slot.

A board flashed with a stock MicroPython image (or one whose app no longer answers the link)
has a REPL and nothing else. bootstrap() uses mpremote's serial transport (raw REPL, raw-paste
writes) to put on it:

  - main.py, the boot path that chooses the slot (firmware/main.py), and the board's
    board.json, in the flash root;
  - the bundle's files into its slot fw/<version>-<id>/ (each checked by its sha256 on the
    board, hashed there by mpremote's fs_hashfile), then its manifest.json;
  - boot.json naming that slot, on trial (written to boot.json.tmp, then renamed);

then soft-resets the board, which boots the slot. From then on `callgate deploy` updates it
over the link. Nothing the board already runs is touched until boot.json is renamed.
"""

import hashlib
import json
import pathlib
import time

from mpremote.transport import TransportError
from mpremote.transport_serial import SerialTransport

from .. import runtime
from .bundle import Bundle, BundleError


class BootstrapError(OSError):
    """The REPL did not do what bootstrap asked (printed as one line by the CLI)."""


def _mkdirs(t: SerialTransport, paths) -> None:
    dirs = set()
    for p in paths:
        parts = p.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            dirs.add("/".join(parts[:i]))
    for d in sorted(dirs, key=lambda d: d.count("/")):
        t.exec("import os\ntry:\n os.mkdir(%r)\nexcept OSError:\n pass" % d)


def bootstrap(repl_port: str, b: Bundle, out=None, board_json: bytes | None = None) -> dict:
    """Install main.py, board.json and bundle b through the REPL at repl_port; soft-reset."""
    try:
        b.verify()
    except BundleError as e:
        raise BootstrapError(f"bundle refused: {e}") from None
    t0 = time.monotonic()
    main_py = (runtime.FIRMWARE / "main.py").read_bytes()
    board_json = board_json if board_json is not None else b.files.get("board.json")
    slot = b.slot
    files = {f"{slot}/{p}": d for p, d in b.files.items()}
    files[f"{slot}/manifest.json"] = b.manifest_bytes()
    files["main.py"] = main_py
    if board_json is not None:
        files["board.json"] = board_json
    state = {"active": slot, "previous": None, "ok": False, "tries": 0, "rollback": None,
             "min_version": b.manifest.get("min_version")}
    try:
        t = SerialTransport(repl_port, baudrate=115200)
    except TransportError as e:
        raise BootstrapError(f"{repl_port}: {e}") from e
    sent = 0
    try:
        t.enter_raw_repl(soft_reset=False)
        _mkdirs(t, files)
        for path, data in sorted(files.items()):
            t.fs_writefile(path, data)
            if t.fs_hashfile(path, "sha256") != hashlib.sha256(data).digest():
                raise BootstrapError(f"{path}: the board's copy does not match")
            sent += len(data)
            if out is not None:
                out.write(f"  {path} ({len(data)} bytes)\n")
        t.fs_writefile("boot.json.tmp", json.dumps(state).encode())
        t.exec("import os\nos.rename('boot.json.tmp', 'boot.json')")
        t.exit_raw_repl()
        t.read_until(1, b">>> ", timeout=5)  # the friendly REPL, so Ctrl-D runs main.py
        t.serial.write(b"\x04")  # soft reset from the friendly REPL: main.py runs the slot
    except TransportError as e:
        raise BootstrapError(f"{repl_port}: {e}") from e
    finally:
        t.close()
    return {"slot": slot, "version": b.version, "files": len(files), "sent": sent,
            "seconds": round(time.monotonic() - t0, 3)}


def load_or_build(board: str, bundle_dir=None, **kw) -> Bundle:
    from .bundle import build

    return Bundle.load(pathlib.Path(bundle_dir)) if bundle_dir else build(board, **kw)
