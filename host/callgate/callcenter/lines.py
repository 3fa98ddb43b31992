"""Record lines: how the board stores call records and the recording index (docs/callcenter.md).

    8 lowercase hex digits (CRC-32 of the JSON's bytes)  TAB  compact JSON  LF

    encode({"id": "1a2b3c4d-7", ...})  -> b'5f0e12ab\\t{"id":"1a2b3c4d-7",...}\\n'
    records, bad = parse(data, "cdr/20261123.log")   # bad: [BadLine(file, line, reason)]
    records, bad = fetch_folder(RemoteFiles(c), "cdr")  # every cdr/*.log on a board

The board writes a line with one write() and closes the file, so a power cut loses at most
the line being written: the file may end in a line without its LF ("truncated"), and a line
cut off before the next one was appended reads as the cut-off part followed by a whole line.
Compact JSON never holds a raw TAB or LF (json escapes them), so the reader splits on LF and
looks for `8 hex TAB` to find where a whole line starts again: the cut-off part is reported,
the whole line after it kept. Reasons: "truncated", "crc mismatch", "not JSON", "not a JSON
object", "no CRC" (the line does not start with 8 hex digits and a TAB). An empty line is
skipped silently.
"""

import json
import re
import zlib
from typing import NamedTuple

_HEX = re.compile(rb"[0-9a-f]{8}\t")


class BadLine(NamedTuple):
    file: str
    line: int  # 1-based
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"


class LineError(ValueError):
    """One line that cannot be used; .reason says why."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def dumps(record) -> bytes:
    """The compact JSON bytes of a record, as the board writes them."""
    return json.dumps(record, separators=(",", ":"), ensure_ascii=False).encode()


def encode(record) -> bytes:
    """One record line: CRC TAB JSON LF."""
    body = dumps(record)
    return b"%08x\t%s\n" % (zlib.crc32(body), body)


def decode_line(line: bytes) -> dict:
    """The record of one line (without its LF); raises LineError."""
    if len(line) < 9 or not _HEX.match(line):
        raise LineError("no CRC")
    body = line[9:]
    crc_ok = int(line[:8], 16) == zlib.crc32(body)
    try:
        rec = json.loads(body.decode())
    except (UnicodeDecodeError, ValueError):
        raise LineError("not JSON" if crc_ok else "crc mismatch (not JSON)") from None
    if not crc_ok:
        raise LineError("crc mismatch")
    if not isinstance(rec, dict):
        raise LineError("not a JSON object")
    return rec


def _restart(line: bytes) -> int:
    """Where, after its start, a whole record line begins inside a bad line (-1: nowhere)."""
    for m in _HEX.finditer(line, 1):
        try:
            decode_line(line[m.start():])
        except LineError:
            continue
        return m.start()
    return -1


def parse(data: bytes, file: str = "") -> tuple:
    """(records, bad lines) of a file's bytes; never raises for any bytes."""
    records, bad = [], []
    lines = data.split(b"\n")
    last = len(lines) - 1  # lines[last] is what follows the final LF: b"" for a whole file
    for i, line in enumerate(lines):
        if not line:
            continue
        n = i + 1
        try:
            records.append(decode_line(line))
            continue
        except LineError as e:
            reason = e.reason
        if i == last:
            reason = "truncated"  # no LF: the write of this line was cut off
        k = _restart(line)
        if k > 0:
            bad.append(BadLine(file, n, "truncated (the next line follows it)"))
            records.append(decode_line(line[k:]))
        else:
            bad.append(BadLine(file, n, reason))
    return records, bad


def fetch_folder(fs, folder: str, progress=None) -> tuple:
    """(records, bad lines) of every *.log in a board's `folder`, file by file in name order; a
    board without the folder has none. fs: a link.files.RemoteFiles; progress(n) after each
    file's n bytes."""
    from ..firmware.link import messages
    from ..firmware.link.errors import RemoteError

    try:
        names = sorted(n for n, size in fs.listdir(folder) if size >= 0 and n.endswith(".log"))
    except RemoteError as e:
        if e.code == messages.ERR_NOT_FOUND:
            return [], []
        raise
    records, bad = [], []
    for name in names:
        path = f"{folder}/{name}"
        data = fs.read(path)
        if progress:
            progress(len(data))
        r, b = parse(data, path)
        records.extend(r)
        bad.extend(b)
    return records, bad
