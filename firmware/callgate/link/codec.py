# Payload values: a small subset of CBOR (RFC 8949).
#
# Why CBOR and not JSON: the link carries bytes (firmware chunks, files, raw caller-ID
# messages) and JSON would need base64 for them; small integers, which are most of what the
# control plane says (port numbers, states, counters), take one byte; the board never parses
# numbers out of text; and a subset of a standard means any CBOR tool can read a capture.
# Why not a fixed struct per message: new fields would need new message versions, while a
# map grows without breaking old readers.
#
# The subset, with the same bytes as CBOR:
#   major 0/1  integers from -2**64 to 2**64-1        major 2  bytes      major 3  text (UTF-8)
#   major 4    arrays (lists; tuples encode as lists)  major 5  maps (dict, str or int keys)
#   0xF4 false, 0xF5 true, 0xF6 null (None), 0xFB float64
# Definite lengths only; nesting at most MAX_DEPTH. loads() checks every length against the
# bytes left before it allocates, so garbage can cost no more memory than its own size; on
# any malformed input it raises DecodeError and nothing else.

import struct

from .compat import const
from .errors import DecodeError, EncodeError

MAX_DEPTH = const(8)


def dumps(value):
    """Return the encoding of value (None, bool, int, float, bytes, str, list, tuple, dict)."""
    out = bytearray()
    _put(out, value, 0)
    return bytes(out)


def loads(data):
    """Return the value encoded in data; raise DecodeError if it is not exactly one value."""
    data = bytes(data)
    try:
        value, pos = _get(data, 0, 0)
    except DecodeError:
        raise
    except Exception as e:  # a defect here must still surface as a named error
        raise DecodeError("%s: %s" % (type(e).__name__, e))
    if pos != len(data):
        raise DecodeError("%d bytes after the value" % (len(data) - pos))
    return value


def _head(out, major, n):
    m = major << 5
    if n < 24:
        out.append(m | n)
    elif n < 0x100:
        out.append(m | 24)
        out.append(n)
    elif n < 0x10000:
        out.append(m | 25)
        out.extend(n.to_bytes(2, "big"))
    elif n < 0x100000000:
        out.append(m | 26)
        out.extend(n.to_bytes(4, "big"))
    elif n < 0x10000000000000000:
        out.append(m | 27)
        out.extend(n.to_bytes(8, "big"))
    else:
        raise EncodeError("integer out of range")


def _put(out, v, depth):
    if depth > MAX_DEPTH:
        raise EncodeError("nested deeper than %d" % MAX_DEPTH)
    # bool before int: on CPython a bool is an int.
    if v is None:
        out.append(0xF6)
    elif v is True:
        out.append(0xF5)
    elif v is False:
        out.append(0xF4)
    elif isinstance(v, int):
        if v >= 0:
            _head(out, 0, v)
        else:
            _head(out, 1, -1 - v)
    elif isinstance(v, float):
        out.append(0xFB)
        out.extend(struct.pack(">d", v))
    elif isinstance(v, (bytes, bytearray, memoryview)):
        _head(out, 2, len(v))
        out.extend(v)
    elif isinstance(v, str):
        b = v.encode("utf-8")
        _head(out, 3, len(b))
        out.extend(b)
    elif isinstance(v, (list, tuple)):
        _head(out, 4, len(v))
        for item in v:
            _put(out, item, depth + 1)
    elif isinstance(v, dict):
        _head(out, 5, len(v))
        for k in v:
            if not isinstance(k, (str, int)) or k is True or k is False:
                raise EncodeError("map key must be str or int")
            _put(out, k, depth + 1)
            _put(out, v[k], depth + 1)
    else:
        raise EncodeError("cannot encode %s" % type(v).__name__)


def _get(d, pos, depth):
    if depth > MAX_DEPTH:
        raise DecodeError("nested deeper than %d" % MAX_DEPTH)
    if pos >= len(d):
        raise DecodeError("truncated")
    ib = d[pos]
    pos += 1
    major = ib >> 5
    info = ib & 0x1F
    if major == 7:
        if info == 20:
            return False, pos
        if info == 21:
            return True, pos
        if info == 22:
            return None, pos
        if info == 27:
            if pos + 8 > len(d):
                raise DecodeError("truncated float")
            return struct.unpack(">d", d[pos : pos + 8])[0], pos + 8
        raise DecodeError("unsupported simple value 0x%02x" % ib)
    if info < 24:
        n = info
    elif info <= 27:
        size = 1 << (info - 24)
        if pos + size > len(d):
            raise DecodeError("truncated length")
        n = int.from_bytes(d[pos : pos + size], "big")
        pos += size
    else:
        raise DecodeError("indefinite or reserved length 0x%02x" % ib)
    if major == 0:
        return n, pos
    if major == 1:
        return -1 - n, pos
    if major == 6:
        raise DecodeError("tags are not supported")
    # Every item takes at least one byte: no count may exceed what is left.
    if n > len(d) - pos:
        raise DecodeError("length %d past the end" % n)
    if major == 2:
        return d[pos : pos + n], pos + n
    if major == 3:
        try:
            return str(d[pos : pos + n], "utf-8"), pos + n
        except UnicodeError:
            raise DecodeError("text is not UTF-8")
    if major == 4:
        items = []
        for _ in range(n):
            item, pos = _get(d, pos, depth + 1)
            items.append(item)
        return items, pos
    # major == 5
    m = {}
    for _ in range(n):
        k, pos = _get(d, pos, depth + 1)
        if not isinstance(k, (str, int)) or k is True or k is False:
            raise DecodeError("map key must be str or int")
        m[k], pos = _get(d, pos, depth + 1)
    return m, pos
