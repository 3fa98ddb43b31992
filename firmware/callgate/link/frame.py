# Frames: what goes on the wire.
#
#   0x00 | COBS( body | CRC-16 big-endian ) | 0x00
#
# body is the message (messages.py); the CRC (crc.py) covers all of it. The 0x00 before the
# frame flushes whatever noise the receiver collected since the last frame, so noise between
# frames costs nothing; the 0x00 after it ends the frame. MAX_FRAME bounds body + CRC, before
# stuffing: a receiver never buffers more than max_encoded_len(MAX_FRAME) bytes, whatever the
# line sends it.

from . import cobs
from .compat import const
from .crc import crc16
from .errors import CrcError, FrameError, FrameTooLong

MAX_FRAME = const(512)  # bytes of body + CRC, before stuffing
CRC_LEN = const(2)
DELIMITER = b"\x00"


def encode(body, max_frame=MAX_FRAME):
    """Return the wire bytes of one frame carrying body (bytes or bytearray)."""
    if len(body) + CRC_LEN > max_frame:
        raise FrameTooLong("%d-byte body, at most %d" % (len(body), max_frame - CRC_LEN))
    crc = crc16(body)
    raw = bytearray(body)
    raw.append(crc >> 8)
    raw.append(crc & 0xFF)
    out = bytearray(DELIMITER)
    out.extend(cobs.encode(raw))
    out.append(0)
    return bytes(out)


def decode(block, max_frame=MAX_FRAME):
    """Return the body of one frame, given the bytes between two delimiters.

    Raises FrameTooLong, CobsError or CrcError (all FrameError).
    """
    if len(block) > cobs.max_encoded_len(max_frame):
        raise FrameTooLong("%d stuffed bytes" % len(block))
    raw = cobs.decode(block)
    if len(raw) <= CRC_LEN:
        raise FrameError("%d-byte frame is too short" % len(raw))
    if crc16(raw) != 0:  # the CRC of a body followed by its own CRC is 0
        raise CrcError("CRC mismatch")
    return bytes(raw[:-CRC_LEN])


class Reader:
    """Cuts a byte stream into frame bodies; bad frames are counted, never raised.

    feed() takes whatever the UART gave (bytes or bytearray, any length) and returns the
    bodies of the frames it completed. After noise, a truncated or overlong frame, the reader
    is back in step at the next 0x00.
    """

    def __init__(self, max_frame=MAX_FRAME):
        self.max_frame = max_frame
        self._limit = cobs.max_encoded_len(max_frame)
        self._buf = bytearray()
        self._skip = False  # dropping an overlong block until the next delimiter
        self.frames = 0  # good frames returned
        self.errors = 0  # bad frames dropped (stuffing, CRC, size)
        self.last_error = None

    def feed(self, data):
        out = []
        start = 0
        n = len(data)
        while start < n:
            z = data.find(DELIMITER, start)
            if z < 0:
                self._add(data, start, n)
                break
            self._add(data, start, z)
            self._close(out)
            start = z + 1
        return out

    def pending(self):
        """Bytes held for a frame not yet ended."""
        return len(self._buf)

    def _add(self, data, start, end):
        if self._skip or start == end:
            return
        if len(self._buf) + end - start > self._limit:
            self._skip = True
            self._buf = bytearray()
            self._fail(FrameTooLong("more than %d stuffed bytes" % self._limit))
            return
        self._buf.extend(data[start:end])

    def _close(self, out):
        if self._skip:
            self._skip = False
            return
        if not self._buf:
            return
        try:
            body = decode(self._buf, self.max_frame)
        except FrameError as e:
            self._fail(e)
        else:
            self.frames += 1
            out.append(body)
        self._buf = bytearray()

    def _fail(self, exc):
        self.errors += 1
        self.last_error = exc
