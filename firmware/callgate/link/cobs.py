# COBS, Consistent Overhead Byte Stuffing (Cheshire and Baker, 1999).
#
# What it does: rewrites a block of bytes so that it contains no 0x00, at a cost of one byte
# per 254 bytes (plus one). The link then ends every frame with 0x00: a receiver that lost
# bytes, or saw noise, drops what it has and starts again at the next 0x00, so one bad frame
# never costs the next one.
#
# How it works: the data is cut at each 0x00 into runs of non-zero bytes. Each run is sent
# as a code byte (run length + 1) followed by the run; the 0x00 after the run is implied.
# A run of 254 bytes gets code 0xFF, which implies no 0x00, so long runs are split. The
# implied 0x00 after the last run is not part of the data.
#
# Both functions work on bytes or bytearray and return a new bytearray; they slice whole
# runs (bytes.find is C on both runtimes) rather than looping over every byte in Python.

from .errors import CobsError


def encode(data):
    """Return the stuffed form of data: no 0x00 in it, and no delimiter added."""
    out = bytearray()
    runs = bytes(data).split(b"\x00")
    last = len(runs) - 1
    for k in range(len(runs)):
        run = runs[k]
        n = len(run)
        pos = 0
        while n - pos >= 254:
            out.append(0xFF)
            out.extend(run[pos : pos + 254])
            pos += 254
        rest = n - pos
        # A final run that ended exactly on a 0xFF block needs no code byte: nothing follows.
        if rest or k != last or n == 0:
            out.append(rest + 1)
            out.extend(run[pos:])
    return out


def decode(data):
    """Return the original bytes of a stuffed block (bytes or bytearray, no delimiter).

    Raises CobsError if data is empty, holds a 0x00, or has a code byte that points past
    its end.
    """
    n = len(data)
    if n == 0:
        raise CobsError("empty block")
    if data.find(b"\x00") >= 0:
        raise CobsError("0x00 inside a block")
    out = bytearray()
    i = 0
    while i < n:
        code = data[i]
        end = i + code
        if end > n:
            raise CobsError("code byte past the end")
        out.extend(data[i + 1 : end])
        i = end
        if code != 0xFF and i < n:
            out.append(0)
    return out


def max_encoded_len(n):
    """The longest stuffed form of n bytes."""
    return n + n // 254 + 1
