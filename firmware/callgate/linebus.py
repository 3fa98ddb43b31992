# The line-card bus: what the line cards' analog side (SLIC/DAA: ring, loop current, hook
# switches, the PCM samples of each port) and the MCU say to each other every 20 ms tick. On
# a real board that is SPI and a PCM highway; on the emulated MCU (boards/qemu-m4f) it is
# UART2, with the host simulating the line cards (host/callgate/sim/bus.py). The MCU runs
# the media engine (hal_mcu.py); the line cards only move samples and signalling.
#
# Framed like the host link (link/frame.py): 0x00 | COBS( body | CRC-16 big-endian ) | 0x00,
# with link/crc.py's CRC, so a corrupted tick is dropped whole and the next one is in step.
#
# Body (little-endian):
#   kind    u8   KIND_RX (line cards -> MCU: tick N's received audio and line events),
#                KIND_TX (MCU -> line cards: tick N's audio to send and the MCU's events),
#                KIND_HELLO (MCU -> line cards: the firmware (re)started, no audio, one
#                EV_HELLO: the line cards send the lines' state and start the ticks)
#   tick    u32  the tick number, 20 ms of line time each: the line cards' clock
#   mask    u8   bit p set: port p's FRAME codes (G.711, the board's law) follow; a port
#                without its bit is silent this tick (the line cards send no frame for an
#                idle line: the bus carries only what is heard)
#   events  u8   how many events follow the audio
#   audio   FRAME bytes per set bit, in port order
#   events  each: code u8, port u8, length u8, that many bytes of data
#
# Events from the line side (EV_RING_ON... EV_HOOK_ON, EV_CLOCK) and from the MCU
# (EV_OFFHOOK... EV_HEAR): the codes below. EV_CLOCK's data is the Unix time in ms at
# this tick (u64), sent with tick 0 and then once a second; EV_FXS_RING_ON's data the
# caller's number and name, UTF-8, joined by a 0x00. EV_BRIDGE / EV_UNBRIDGE / EV_HEAR tell
# the simulated line cards which ports the MCU connected (data: the other port; for EV_HEAR
# the ports the port hears, one byte each, none for nobody): a real line card never needs
# them; the simulated far ends do (they talk when a person hears them).
#
# Encoder and Decoder work in buffers they allocate once (a frame loop allocates nothing,
# tests/mcu checks it under heap_lock on the target); pack() and unpack() are the
# allocating conveniences the host uses. Their byte loops (CRC, stuffing, unstuffing) run in
# C where the image has the _linebus module (usermod/_linebus: the MCU's), in Python here
# otherwise (the host, the Unix port): the same bytes either way (tests/mcu).

from .compat import const
from .link.crc import _TABLE

try:
    import _linebus
except ImportError:
    _linebus = None

FRAME = const(160)  # codes per port per tick: 20 ms at 8 kHz
TICK_MS = const(20)
MAX_PORTS = const(8)
HEAD = const(7)
MAX_EVENTS = const(32)
MAX_DATA = const(64)  # bytes of data of one event
MAX_BODY = const(HEAD + MAX_PORTS * FRAME + 3 * MAX_EVENTS + 256)  # room for some data too

KIND_RX = const(0x52)  # "R"
KIND_TX = const(0x54)  # "T"
KIND_HELLO = const(0x48)  # "H"

EV_RING_ON = const(1)  # FXO: ringing voltage
EV_RING_OFF = const(2)
EV_LOOP_ON = const(3)  # FXO: loop current flows
EV_LOOP_OFF = const(4)
EV_REVERSAL = const(5)  # FXO: polarity reversal
EV_HOOK_OFF = const(6)  # FXS: the phone's hook switch
EV_HOOK_ON = const(7)
EV_CLOCK = const(8)  # Unix ms at this tick (u64)
EV_OFFHOOK = const(16)  # MCU: FXO off hook (answer)
EV_ONHOOK = const(17)  # MCU: FXO on hook (hang up)
EV_FXS_RING_ON = const(18)  # MCU: ring the phone (number 0x00 name)
EV_FXS_RING_OFF = const(19)
EV_BRIDGE = const(20)  # MCU: port and data[0] talk to each other
EV_UNBRIDGE = const(21)
EV_HELLO = const(22)  # MCU, with KIND_HELLO: the firmware started (data: version 0x00 boot)
EV_HEAR = const(23)  # MCU: port hears the ports in data (a conference's row)

KINDS = (KIND_RX, KIND_TX, KIND_HELLO)
LINE_EVENTS = (EV_RING_ON, EV_RING_OFF, EV_LOOP_ON, EV_LOOP_OFF, EV_REVERSAL, EV_HOOK_OFF, EV_HOOK_ON, EV_CLOCK)
MCU_EVENTS = (EV_OFFHOOK, EV_ONHOOK, EV_FXS_RING_ON, EV_FXS_RING_OFF, EV_BRIDGE, EV_UNBRIDGE, EV_HELLO,
              EV_HEAR)


class BusError(ValueError):
    """A body that does not follow the layout above."""


def max_wire(body):
    """The longest wire form of a body of `body` bytes: CRC, stuffing, two delimiters."""
    n = body + 2
    return n + n // 254 + 3


class Encoder:
    """Builds one body at a time in self.body and stuffs it into self.wire.

        e.begin(KIND_TX, tick, mask)      the head; the audio goes in e.audio(p) order...
        e.body[HEAD + k * FRAME ...]      ...the k-th present frame (the MCU's engine writes
                                          its tx frames there directly: e.frames)
        e.event(code, port, data)         after the audio
        n = e.finish()                    e.wire[:n] is the frame to send
    """

    def __init__(self, ports, max_body=MAX_BODY):
        self.ports = ports
        self.body = bytearray(max_body)
        self.wire = bytearray(max_wire(max_body))
        self.frames = memoryview(self.body)[HEAD:HEAD + ports * FRAME]  # every port's, in order
        self._n = HEAD

    def begin(self, kind, tick, mask):
        b = self.body
        b[0] = kind
        b[1] = tick & 0xFF
        b[2] = (tick >> 8) & 0xFF
        b[3] = (tick >> 16) & 0xFF
        b[4] = (tick >> 24) & 0xFF
        b[5] = mask
        b[6] = 0
        n = 0
        while mask:
            n += mask & 1
            mask >>= 1
        self._n = HEAD + n * FRAME

    def event(self, code, port, data=b""):
        k = len(data)
        if k > MAX_DATA or self._n + 3 + k > len(self.body) - 2 or self.body[6] >= MAX_EVENTS:
            raise BusError("no room for event %d in the tick" % code)
        b = self.body
        n = self._n
        b[n] = code
        b[n + 1] = port
        b[n + 2] = k
        for i in range(k):
            b[n + 3 + i] = data[i]
        self._n = n + 3 + k
        b[6] += 1

    def drop_quiet(self, sil):
        """Leave out each port whose frame is all `sil` codes (an idle port's: the bus carries
        only what is heard, both ways); the frames after it move down, the mask keeps the
        others. Before event()."""
        b = self.body
        mask = b[5]
        keep = 0
        r = w = HEAD
        for p in range(self.ports):
            if mask >> p & 1:
                if not _same(b, r, FRAME, sil):
                    if w != r:
                        _copy(b, w, b, r, FRAME)
                    keep |= 1 << p
                    w += FRAME
                r += FRAME
        b[5] = keep
        self._n = w

    def finish(self):
        """Stuff the body (with its CRC) into self.wire; the wire length."""
        b = self.body
        n = self._n
        crc = crc16_range(b, 0, n)
        b[n] = crc >> 8
        b[n + 1] = crc & 0xFF
        return stuff(b, n + 2, self.wire)


def _same(buf, off, n, value):
    if _linebus is not None:
        return _linebus.same(buf, off, n, value)
    for i in range(off, off + n):
        if buf[i] != value:
            return False
    return True


def _copy(dst, doff, src, soff, n):
    if _linebus is not None:
        _linebus.copy(dst, doff, src, soff, n)
        return
    for i in range(n):
        dst[doff + i] = src[soff + i]


def crc16_range(buf, start, end, crc=0xFFFF):
    """crc.crc16 of buf[start:end], without making the slice."""
    if _linebus is not None:
        return _linebus.crc16(buf, start, end, crc)
    t = _TABLE
    for i in range(start, end):
        j = ((crc >> 8) ^ buf[i]) << 1
        crc = ((crc << 8) & 0xFF00) ^ (t[j] << 8) ^ t[j + 1]
    return crc


def stuff(src, n, wire):
    """COBS (link/cobs.py) of src[:n] into wire between two 0x00; the bytes written."""
    if _linebus is not None:
        return _linebus.stuff(src, n, wire)
    wire[0] = 0
    code_at = 1
    w = 2
    code = 1
    full = False  # the last byte closed a 254-byte block
    for i in range(n):
        c = src[i]
        full = False
        if c == 0:
            wire[code_at] = code
            code_at = w
            w += 1
            code = 1
        else:
            wire[w] = c
            w += 1
            code += 1
            if code == 0xFF:
                wire[code_at] = code
                code_at = w
                w += 1
                code = 1
                full = True
    if full:
        w = code_at  # the data ended on a whole block: no code byte follows it
    else:
        wire[code_at] = code
    wire[w] = 0
    return w + 1


class Decoder:
    """Cuts the bytes from the bus into bodies, in one buffer. feed(buf, start, end) reads
    until a frame ends (the index after it) or the bytes run out (end); when a frame ended
    with a good CRC, self.ready is its body length (self.body[:ready]) until the next feed.
    Bad frames (stuffing, CRC, too long) count in self.errors and are skipped."""

    def __init__(self, max_body=MAX_BODY):
        self.body = bytearray(max_body + 2)
        self.ready = 0
        self.frames = 0
        self.errors = 0
        self._n = 0
        self._left = 0  # data bytes left in the current COBS block
        self._code = 0  # its code byte (0: at the start of a frame)
        self._bad = False
        if _linebus is not None:  # its state in C's terms: n, left, code, bad, ready, frames, errors
            from array import array

            self._state = array("i", [0] * 7)

    def feed(self, buf, start, end):
        if _linebus is not None:
            s = self._state
            i = _linebus.feed(s, self.body, buf, start, end)
            self.ready, self.frames, self.errors = s[4], s[5], s[6]
            return i
        self.ready = 0
        body = self.body
        limit = len(body)
        n = self._n
        left = self._left
        code = self._code
        bad = self._bad
        i = start
        while i < end:
            c = buf[i]
            i += 1
            if c == 0:
                if code and not bad:
                    if left or n < 3 or crc16_range(body, 0, n) != 0:
                        self.errors += 1
                    else:
                        self.ready = n - 2
                        self.frames += 1
                elif bad:
                    self.errors += 1
                n = left = code = 0
                bad = False
                if self.ready:
                    break
                continue
            if bad:
                continue
            if left == 0:
                if code and code != 0xFF:
                    if n >= limit:
                        bad = True
                        continue
                    body[n] = 0
                    n += 1
                code = c
                left = c - 1
            else:
                if n >= limit:
                    bad = True
                    continue
                body[n] = c
                n += 1
                left -= 1
        self._n = n
        self._left = left
        self._code = code
        self._bad = bad
        return i


def head(body):
    """(kind, tick, mask, events) of a body."""
    if len(body) < HEAD:
        raise BusError("%d-byte body, shorter than its head" % len(body))
    return body[0], body[1] | body[2] << 8 | body[3] << 16 | body[4] << 24, body[5], body[6]


def audio_ports(mask):
    """The ports whose frames a mask says follow, in order."""
    out = []
    p = 0
    while mask:
        if mask & 1:
            out.append(p)
        mask >>= 1
        p += 1
    return out


def pack(kind, tick, frames, events=()):
    """The wire bytes of one tick: frames {port: FRAME codes} (or a list, None for silent),
    events [(code, port, data)]."""
    if isinstance(frames, (list, tuple)):
        frames = {p: f for p, f in enumerate(frames) if f is not None}
    mask = 0
    for p in frames:
        mask |= 1 << p
    ports = max(frames) + 1 if frames else 0
    extra = sum(3 + len(d) for _, _, d in events)
    e = Encoder(max(ports, 1), HEAD + len(frames) * FRAME + extra + 2)
    e.begin(kind, tick, mask)
    k = 0
    for p in sorted(frames):
        f = frames[p]
        if len(f) != FRAME:
            raise BusError("port %d: a %d-code frame, not %d" % (p, len(f), FRAME))
        e.body[HEAD + k * FRAME:HEAD + (k + 1) * FRAME] = bytes(f)
        k += 1
    for code, port, data in events:
        e.event(code, port, data)
    n = e.finish()
    return bytes(e.wire[:n])


def unpack(body):
    """(kind, tick, {port: frame bytes}, [(code, port, data bytes)]) of a body; BusError if
    it does not hold what its head says."""
    kind, tick, mask, count = head(body)
    if kind not in KINDS:
        raise BusError("unknown kind 0x%02x" % kind)
    frames = {}
    at = HEAD
    for p in audio_ports(mask):
        if at + FRAME > len(body):
            raise BusError("port %d's frame is cut short" % p)
        frames[p] = bytes(body[at:at + FRAME])
        at += FRAME
    events = []
    for _ in range(count):
        if at + 3 > len(body) or at + 3 + body[at + 2] > len(body):
            raise BusError("event %d is cut short" % len(events))
        k = body[at + 2]
        events.append((body[at], body[at + 1], bytes(body[at + 3:at + 3 + k])))
        at += 3 + k
    if at != len(body):
        raise BusError("%d bytes after the last event" % (len(body) - at))
    return kind, tick, frames, events


def u64(value):
    """EV_CLOCK's data: value as 8 little-endian bytes."""
    return bytes((value >> (8 * i)) & 0xFF for i in range(8))


def from_u64(data):
    v = 0
    for i in range(len(data) - 1, -1, -1):
        v = v << 8 | data[i]
    return v
