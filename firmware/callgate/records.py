# Record lines: how the board stores call records (cdr/) and the recording index (rec/).
#
#   CRC32 (8 lowercase hex digits) TAB compact JSON LF
#
# The CRC is over the JSON's bytes. append() writes one whole line with one write() and closes
# the file: LittleFS commits a file on close, so a power cut loses at most the line being
# written and never touches the lines before it; on a filesystem without that guarantee a torn
# line fails its CRC and the reader skips it (host/callgate/records/lines.py, and parse() here).

import json

try:
    from binascii import crc32
except ImportError:  # a port without binascii.crc32
    from zlib import crc32

from .files import makedirs


def line(record):
    """The bytes of one record line."""
    text = json.dumps(record, separators=(",", ":")).encode()
    return b"%08x\t" % (crc32(text) & 0xFFFFFFFF) + text + b"\n"


def parse(raw):
    """A record from one line (bytes, with or without the LF), or None if it is torn or bad."""
    raw = raw.rstrip(b"\n")
    if len(raw) < 10 or raw[8:9] != b"\t":
        return None
    text = raw[9:]
    try:
        if int(raw[:8], 16) != crc32(text) & 0xFFFFFFFF:
            return None
        return json.loads(text)
    except ValueError:
        return None


def append(path, record):
    """Add one record line to the file at path (and its folders); returns the bytes written."""
    data = line(record)
    try:
        f = open(path, "ab")
    except OSError:
        makedirs(path)
        f = open(path, "ab")
    try:
        f.write(data)
    finally:
        f.close()
    return len(data)


def read(path):
    """(records, bad) of a record file: the good records in order and how many lines were bad."""
    out = []
    bad = scan(path, out.append)
    return out, bad


def scan(path, fn, chunk=512, longest=4096):
    """Call fn(record) for each good record of a file, in order, until fn returns True; returns
    how many lines were bad (a torn last line counts). Reads `chunk` bytes at a time, so memory
    stays small whatever the file's size; a "line" longer than `longest` is bad and skipped."""
    bad = 0
    try:
        f = open(path, "rb")
    except OSError:
        return bad
    buf = b""
    with f:
        while True:
            data = f.read(chunk)
            if not data:
                break
            buf += data
            start = 0
            while True:
                i = buf.find(b"\n", start)
                if i < 0:
                    break
                r = parse(buf[start:i])
                start = i + 1
                if r is None:
                    bad += 1
                elif fn(r):
                    return bad
            buf = buf[start:]
            if len(buf) > longest:
                bad += 1
                buf = b""
    if buf:
        bad += 1
    return bad
