"""Pull recordings and voicemails from a board: rec/index.log, then each file not yet here.

    with connect(port) as c:
        r = pull(RemoteFiles(c), "recordings", progress=Progress(...))

rec/index.log holds one record line (lines.py) per recording:
{"id", "file", "kind": "call"|"voicemail", "call", "agent", "queue", "start", "ms", "bytes"},
and "cut": true for one that is incomplete (the board's flash was full, or its end never came),
"lost_ms" for audio the line cards dropped in the middle (an MCU whose application fell behind).
A recording pulled before whose copy here is as the last pull left it, and whose index line
gives the same size, is not asked about again (a board never changes a file it has indexed:
hashing every recording on every pull made a board's link, and its calls, wait seconds as the
recordings grew). For each other, the board's sha256 of the file is its index line's
"sha256" (hashed as the board wrote it), else asked (FS_HASH): a file already in the folder
with that hash is not sent again; any other is read over the link, checked against that
hash (read again once if the board's file changed meanwhile), written to NAME.part and renamed
into place, so the folder never holds half a recording under its name. DIR/index.json lists
every recording the folder holds (the entries of earlier pulls are kept, so recordings the
board has since deleted stay listed), each with "path" (its name in DIR) and "sha256" (of the
board's file: what a later pull compares) and "local_sha256" (of the copy here).

The board writes its WAVs append-only, with the streaming placeholder sizes (0xFFFFFFFF) in the
header (firmware/callgate/recorder.py: rewriting a file's start costs a copy of the whole file
on LittleFS); the pulled copy gets its real sizes, so any WAV reader takes it.
"""

import hashlib
import json
import os
import pathlib
import struct

from ..firmware.link import messages
from ..firmware.link.errors import RemoteError
from ..firmware.recorder import HEADER_LEN
from .lines import parse

INDEX = "rec/index.log"
LOCAL_INDEX = "index.json"
_READ = 400  # bytes per FS_READ (the board's limit)


def read_index(fs, path: str = INDEX) -> tuple:
    """(entries, bad lines) of the board's recording index; no index: ([], [])."""
    try:
        data = fs.read(path)
    except RemoteError as e:
        if e.code == messages.ERR_NOT_FOUND:
            return [], []
        raise
    entries, bad = parse(data, path)
    return [e for e in entries if isinstance(e.get("file"), str)], bad


def _sha256_file(path: pathlib.Path):
    try:
        with open(path, "rb") as f:
            return hashlib.file_digest(f, "sha256").digest()
    except FileNotFoundError:
        return None


def _read(fs, path: str, progress=None) -> bytes:
    out = bytearray()
    while True:
        b = fs._req(messages.OP_FS_READ, {"p": path, "o": len(out), "n": _READ})
        if not b:
            return bytes(out)
        out.extend(b)
        if progress:
            progress(len(b))


def _write_atomic(path: pathlib.Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".part")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def complete_header(data: bytes) -> bytes:
    """A G.711 WAV from the board with its RIFF, fact and data sizes filled in (the board
    leaves 0xFFFFFFFF while it records); any other bytes come back as they are."""
    if len(data) < 58 or data[:4] != b"RIFF" or data[8:12] != b"WAVE" or data[50:54] != b"data":
        return data
    n = len(data) - 58
    return (data[:4] + struct.pack("<I", len(data) - 8) + data[8:46] + struct.pack("<I", n)
            + data[50:54] + struct.pack("<I", n) + data[58:])


def plan(fs, entries, dest) -> list:
    """[(entry, board sha256, size, "have"|"pull"|"missing")]: sha256 and size None when the
    board no longer holds the file."""
    dest = pathlib.Path(dest)
    known = {e.get("path"): e for e in _load_local_index(dest).values()}
    out = []
    for e in entries:
        name = pathlib.PurePosixPath(e["file"]).name
        k = known.get(name)
        if (k is not None and k.get("file") == e["file"] and e.get("bytes") is not None
                and k.get("bytes") == e.get("bytes") and isinstance(k.get("sha256"), str)):
            mine = _sha256_file(dest / name)  # pulled before, and a board never changes a file it indexed
            if mine is not None and mine.hex() == k.get("local_sha256"):
                out.append((e, bytes.fromhex(k["sha256"]), None, "have"))
                continue
        h = _indexed_hash(e)  # the board's index line says it (firmware recorder.py)
        if h is None:
            try:
                h = fs._req(messages.OP_FS_HASH, {"p": e["file"]})
            except RemoteError as err:
                if err.code != messages.ERR_NOT_FOUND:
                    raise
                out.append((e, None, None, "missing"))
                continue
        mine = _sha256_file(dest / name)
        k = k or {}
        have = (mine is not None and k.get("sha256") == h["sha256"].hex()
                and k.get("local_sha256") == mine.hex()) or mine == h["sha256"]
        out.append((e, h["sha256"], h["size"], "have" if have else "pull"))
    return out


def _indexed_hash(e):
    """{"sha256", "size"} from an index line that carries them (a complete recording), else None."""
    digest, n = e.get("sha256"), e.get("bytes")
    if not (isinstance(digest, str) and len(digest) == 64 and isinstance(n, int) and n >= 0):
        return None
    try:
        return {"sha256": bytes.fromhex(digest), "size": HEADER_LEN + n}
    except ValueError:
        return None


def pull(fs, dest, progress=None, index_path: str = INDEX) -> dict:
    """Download what dest lacks; return {"entries", "pulled", "have", "missing", "failed",
    "bytes", "bad"} (lists of file names, bad: lines.BadLine of the index)."""
    dest = pathlib.Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    entries, bad = read_index(fs, index_path)
    steps = plan(fs, entries, dest)
    if progress is not None:
        progress.total = sum(size for _, _, size, what in steps if what == "pull")
    known = _load_local_index(dest)
    result = {"entries": len(entries), "pulled": [], "have": [], "missing": [], "failed": [], "bytes": 0,
              "bad": bad}
    for e, digest, size, what in steps:
        name = pathlib.PurePosixPath(e["file"]).name
        if what == "missing":
            result["missing"].append(e["file"])
            continue
        if what == "pull":
            try:
                for _ in range(2):
                    data = _read(fs, e["file"], progress)
                    if hashlib.sha256(data).digest() == digest:
                        break
                    h = fs._req(messages.OP_FS_HASH, {"p": e["file"]})  # changed while we read?
                    digest = h["sha256"]
                else:
                    result["failed"].append(e["file"])
                    continue
            except RemoteError as err:  # removed by the board's retention meanwhile
                if err.code != messages.ERR_NOT_FOUND:
                    raise
                result["missing"].append(e["file"])
                continue
            data = complete_header(data)
            _write_atomic(dest / name, data)
            local = hashlib.sha256(data).hexdigest()
            result["pulled"].append(e["file"])
            result["bytes"] += len(data)
        else:
            result["have"].append(e["file"])
            local = _sha256_file(dest / name).hex()
        known[str(e.get("id", name))] = dict(e, path=name, sha256=digest.hex(), local_sha256=local)
    _write_local_index(dest, known)
    return result


def _load_local_index(dest: pathlib.Path) -> dict:
    try:
        data = json.loads((dest / LOCAL_INDEX).read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(data, list):
        return {}
    return {str(e.get("id", e.get("path"))): e for e in data if isinstance(e, dict) and (dest / str(e.get("path", ""))).is_file()}


def _write_local_index(dest: pathlib.Path, known: dict) -> None:
    entries = sorted(known.values(), key=lambda e: (e.get("start") or 0, str(e.get("id"))))
    _write_atomic(dest / LOCAL_INDEX, (json.dumps(entries, indent=1, ensure_ascii=False) + "\n").encode())
