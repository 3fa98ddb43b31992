# The board's end of the link, as plain logic: bytes in, frames out. No I/O and no asyncio,
# so the same tests drive it on CPython and on MicroPython; firmware/callgate/linktask.py
# moves its bytes to and from the data UART.
#
# At-most-once: a host that got no reply in time sends the same request again, with the
# same id. The endpoint keeps the replies to the last CACHE_SIZE requests (as far as
# CACHE_BYTES holds them), keyed by (id, CRC of the request), and answers a repeat from that
# cache without running the handler again. Keying on the CRC too means a host that restarted
# and reuses an id for a different request is not answered with a stale reply. HELLO empties
# the cache.
#
# Events: each gets the next 16-bit number and its frame is kept for EVENTS: the last
# RING_SIZE of them, as far as RING_BYTES holds them. A host that sees a gap in the numbers
# asks for them with EVENTS; the endpoint sends the frames again, byte for byte, and says how
# many were already gone. Kept frames (events', replies') are copied into buffers made at boot
# (FrameRing), not kept as objects: 64 frames of 20-500 bytes, each living until 64 more events
# came and replaced by one of another size, split the MCU's heap into pieces (docs/hardware.md,
# Heap).

import gc

from . import frame, messages
from ..compat import const
from .crc import crc16
from .errors import DecodeError, EncodeError, FrameTooLong, RemoteError
from .messages import ERR, EVT, REQ, RSP

CACHE_SIZE = const(8)
RING_SIZE = const(64)
RING_BYTES = const(8192)
CACHE_BYTES = const(2048)


class FrameRing:
    """The last `count` frames kept, numbered 0, 1, 2, ..., back to back in one buffer of
    `size` bytes: a frame written over by a newer one is gone (get() -> None), the oldest
    first."""

    def __init__(self, count, size):
        self.buf = bytearray(size)
        self.at = [0] * count  # where frame k starts, at k % count
        self.len = [0] * count
        self.head = 0  # where the next frame goes
        self.n = 0  # frames kept so far (the next one's number)
        self.oldest = 0  # the oldest frame still held

    def keep(self, f):
        """Copy frame f in as number self.n; the oldest frames it writes over are gone."""
        n, size, count, at = len(f), len(self.buf), len(self.at), self.at
        s = self.head
        if s + n > size:  # the tail is left: the frames there (the oldest) go
            while self.oldest < self.n and at[self.oldest % count] >= s:
                self.oldest += 1
            s = 0
        while self.oldest < self.n:
            i = self.oldest % count
            if at[i] >= s + n or at[i] + self.len[i] <= s:
                break
            self.oldest += 1
        if n <= size:
            self.buf[s:s + n] = f
            at[self.n % count], self.len[self.n % count] = s, n
            self.head = s + n
        else:  # (larger than the buffer: not kept)
            self.oldest = self.n + 1
        self.n += 1
        if self.oldest < self.n - count:
            self.oldest = self.n - count

    def get(self, k):
        """Frame number k as bytes, or None when it is gone."""
        if not self.oldest <= k < self.n:
            return None
        i = k % len(self.at)
        return bytes(memoryview(self.buf)[self.at[i]:self.at[i] + self.len[i]])


class Endpoint:
    """Answers requests with handlers and numbers events.

    info: a dict sent in the HELLO reply (fw, board, boot). Register handlers with
    handle(op, fn): fn(value) returns the reply value, or raises RemoteError to refuse.
    """

    def __init__(self, info, cache_size=CACHE_SIZE, ring_size=RING_SIZE, ring_bytes=RING_BYTES,
                 cache_bytes=CACHE_BYTES):
        self.info = info
        self.reader = frame.Reader()
        self._handlers = {}
        self._cache = []  # [(id, crc, number of the reply in _replies)], oldest first
        self._cache_size = cache_size
        self._replies = FrameRing(cache_size, cache_bytes)
        self._ring = FrameRing(ring_size, ring_bytes)  # events' frames, by event count
        self.requests = 0
        self.repeats = 0  # requests answered from the cache
        self.ignored = 0  # frames that are not requests
        self.handle(messages.OP_PING, self._ping)
        self.handle(messages.OP_EVENTS, None)  # answered in receive(): it sends frames too

    def handle(self, op, fn):
        self._handlers[op] = fn

    def next_event(self):
        return self._ring.n & 0xFFFF

    def stats(self):
        return {
            "rx_frames": self.reader.frames,
            "rx_errors": self.reader.errors,
            "requests": self.requests,
            "repeats": self.repeats,
            "events": self._ring.n,
        }

    def event(self, kind, value):
        """Number an event and return its frame (kept in the ring for EVENTS)."""
        n = self._ring.n & 0xFFFF
        try:
            f = frame.encode(messages.pack(EVT, n, kind, value))
        except MemoryError:  # a fragmented heap: once more after a collection (an event is
            gc.collect()  # not to be lost; a second failure is the app's)
            f = frame.encode(messages.pack(EVT, n, kind, value))
        self._ring.keep(f)
        return f

    def receive(self, data):
        """Feed bytes from the host; return the frames to send back, in order."""
        out = []
        for body in self.reader.feed(data):
            self._request(body, out)
        return out

    def _request(self, body, out):
        try:
            kind, rid, op, value = messages.unpack(body)
        except DecodeError:
            if len(body) >= messages.HEADER_LEN and body[0] == REQ:
                rid = (body[1] << 8) | body[2]
                out.append(_error(rid, body[3], messages.ERR_BAD_REQUEST, "payload"))
            else:
                self.ignored += 1
            return
        if kind != REQ:
            self.ignored += 1
            return
        self.requests += 1
        crc = crc16(body)
        for c in self._cache:
            if c[0] == rid and c[1] == crc:
                reply = self._replies.get(c[2])
                if reply is not None:  # (else gone from the buffer: the request runs again)
                    self.repeats += 1
                    out.append(reply)
                    return
        if op == messages.OP_EVENTS:
            self._resend(rid, value, out)
            return
        if op == messages.OP_HELLO:
            self._cache = []
            reply = self._hello(rid, value)
        else:
            reply = self._run(rid, op, value)
        if len(self._cache) >= self._cache_size:
            self._cache.pop(0)
        self._cache.append((rid, crc, self._replies.n))
        self._replies.keep(reply)
        out.append(reply)

    def _run(self, rid, op, value):
        fn = self._handlers.get(op)
        if fn is None:
            return _error(rid, op, messages.ERR_UNKNOWN_OP, "op %d" % op)
        try:
            result = fn(value)
        except RemoteError as e:
            return _error(rid, op, e.code, e.message, e.detail)
        except Exception as e:  # a handler's bug is the host's error reply, not a crash
            return _error(rid, op, messages.ERR_INTERNAL, "%s: %s" % (type(e).__name__, e))
        return _reply(rid, op, result)

    def _hello(self, rid, value):
        proto = value.get("proto") if isinstance(value, dict) else None
        if proto != messages.PROTO:
            return _error(
                rid,
                messages.OP_HELLO,
                messages.ERR_VERSION,
                "board speaks protocol %d" % messages.PROTO,
                {"proto": messages.PROTO},
            )
        r = {}
        for k in self.info:
            r[k] = self.info[k]
        r["proto"] = messages.PROTO
        r["max"] = frame.MAX_FRAME
        r["next_ev"] = self.next_event()
        return _reply(rid, messages.OP_HELLO, r)

    def _ping(self, value):
        return {"echo": value, "next_ev": self.next_event(), "boot": self.info.get("boot")}

    def _resend(self, rid, value, out):
        ring = self._ring
        after = value.get("after") if isinstance(value, dict) else None
        held = ring.n - ring.oldest
        if after is None:
            wanted = held
        elif not isinstance(after, int) or after < 0 or after > 0xFFFF:
            out.append(_error(rid, messages.OP_EVENTS, messages.ERR_BAD_REQUEST, "after"))
            return
        else:
            # how many events were numbered after `after` (16-bit arithmetic)
            wanted = (ring.n - 1 - after) & 0xFFFF
            if wanted >= 0x8000:  # `after` is not behind us: nothing is missing
                wanted = 0
        sent = min(wanted, held)
        for c in range(ring.n - sent, ring.n):
            out.append(ring.get(c))
        r = {"next_ev": self.next_event(), "sent": sent, "lost": wanted - sent}
        out.append(_reply(rid, messages.OP_EVENTS, r))


def _reply(rid, op, value):
    try:
        return frame.encode(messages.pack(RSP, rid, op, value))
    except FrameTooLong as e:
        return _error(rid, op, messages.ERR_TOO_LARGE, str(e))
    except EncodeError as e:  # a handler returned a value the codec cannot carry
        return _error(rid, op, messages.ERR_INTERNAL, str(e))
    except MemoryError:  # no room in the heap for the reply now: this request fails (the
        gc.collect()  # host may ask again), not the board's link
        return _error(rid, op, messages.ERR_INTERNAL, "no memory for the reply")


def _error(rid, op, code, msg, detail=None):
    return frame.encode(messages.pack(ERR, rid, op, {"code": code, "msg": msg, "detail": detail}))
