# The HAL backend of an MCU board (board.json "hal": "mcu"; boards/qemu-m4f): the data UART
# is the board's UART (the host link), and the audio plane runs HERE, on the MCU: one
# `_callgate.Media` (the C media engine) for the board's ports, fed every 20 ms tick by the
# line cards over the line-card bus (linebus.py: each port's received G.711 frame and the
# line signalling in, each port's frame to send and the MCU's signalling out). The line cards
# only move samples and signalling, as SLIC/DAA chips do over PCM and SPI (docs/hardware.md);
# on the emulated board they are the host's simulation on UART2 (host/callgate/sim/bus.py).
#
# What it does with the line-card vocabulary (linecard.py), as the virtual board's line cards
# do on the host (host/callgate/sim/linecards.py):
#   line events in (ring, loop, reversal, hook)  -> the reports of the same names; ring edges
#                                                   and reversals go to an armed caller ID
#                                                   receiver too
#   engine events -> dtmf, cid, prompt_done, tone_done, dial_tone, cpa (a `_callgate.Cpa` armed
#   on the port: its result); disconnect from a `_callgate.Disc` on each answered FXO port
#   (busy tone); rec reports from a recording, every REC_TICKS ticks
#   commands -> engine calls (play streams prompts/NAME.wav from the flash a CHUNK at a time;
#   tone, stop, dtmf, bridge, unbridge, hear, cid_arm, cid_disarm, cpa_arm, record,
#   record_stop), and answer / seize / hangup / ring -> the line cards (EV_OFFHOOK, EV_ONHOOK,
#   EV_FXS_RING_ON/OFF)
#
# The tick's buffers are allocated once, in Board(): a tick (decode, engine, encode, send)
# allocates nothing unless it has events to report (tests/mcu: heap_lock on the target).
# The line cards' clock is the tick count: now_ms() moves 20 ms per tick, whatever speed
# the bus runs at; epoch from their EV_CLOCK events; rate measured against this CPU's clock.

import gc
import struct
import time

from . import hal, linebus, linecard

_F = linebus.FRAME
CHUNK = 800  # prompt codes read from the flash at a time, per buffer (5 frames: 0.1 s); two
# buffers a port, kept once it has played a prompt: 1.6 KB a port (at 1600, the demo's live heap
# rose by 16 KB as the ports came into use, to 114 KB of 144)
REC_TICKS = 5  # a rec report every 5 ticks (100 ms of line time): small reports, which
# find room in a busy heap (at 15 ticks, 3 KB blocks failed to allocate in the demo's busy
# half-hour and stopped the bus)
_REC_BUF = 1600  # recording buffer per port (more than REC_TICKS frames)
REC_WAITING = 12  # rec reports of one port left waiting for the app at most (1.2 s of its
# audio, 10 KB of heap): past it a chunk is dropped and the next report says how many bytes were
# lost (the MCU's app crashed of MemoryError in its busy half-hour with 25 waiting: the bus must
# never outrun the heap while the app serves the link). Per port: with one bound for all, the
# lower port took every freed place and a second recording lost all its audio.
_TURN = 8  # line(): reports the app takes in a row before the other tasks get a turn
_SILENCE = {"ulaw": 0xFF, "alaw": 0xD5}
HEAP_TICKS = 250  # the live heap is measured every 250 ticks (5 s of line time)
GC_EVERY = 8192  # bytes allocated between two collections (gc.threshold), not "when the heap is
# full": allocations go to the lowest free block, so between collections the garbage pushes them
# up the heap, and what a call keeps (its record, its lists) lands anywhere in it and splits it
# Since boot: the live heap's peak (gc.mem_alloc() just after a gc.collect(), bytes), its
# least free (gc.mem_free() then), the samples taken, and the least of the largest free block
# (what one allocation could get: a heap with room in pieces refuses a 1.5 KB block). Read over
# the REPL once the app is stopped (tests/mcu/test_mcu_center.py; docs/hardware.md, Heap).
heap = [0, 1 << 30, 0, 1 << 30]
_CID_START = {"ring-end": "ARM_RING_END", "reversal": "ARM_REVERSAL", "alert": "ARM_ALERT"}


def boot_escape(board):
    """The board's escape key (board.json "boot_escape": {"pin", "held"}) held at boot."""
    esc = board.get("boot_escape")
    if esc:
        from machine import Pin

        return Pin(_pin(esc["pin"]), Pin.IN, Pin.PULL_UP).value() == esc.get("held", 0)
    return False


def _pin(name):
    """GPIO number of a pin named by job in the board's pins.csv (frozen as pins.csv)."""
    with open("pins.csv") as f:
        for line in f:
            job, _, gpio = line.strip().partition(",")
            if job == name:
                return int(gpio[4:])
    raise ValueError("no pin " + name)


async def connect():
    b = Board(hal.board_def())
    b.connect()
    return b


def _uart(which):
    """The board's UART for "data" or "bus" (board.json "uarts": {which: {"id"}})."""
    import _board

    return _board.UART(hal.board_def()["uarts"][which]["id"])


def _measure_heap(backlog):
    gc.collect()
    used, free = gc.mem_alloc(), gc.mem_free()
    if used > heap[0]:
        heap[0] = used
        # the console's record; backlog: line reports the application has yet to take
        print("hal_mcu: live heap peak %d bytes, %d free, %d reports waiting" % (used, free, backlog))
    if free < heap[1]:
        heap[1] = free
    heap[2] += 1
    largest = largest_free()
    if largest is not None and largest < heap[3]:
        heap[3] = largest


def largest_free():
    """The heap's largest free block in bytes (the board's C; None where it has none)."""
    try:
        import _board

        return _board.heap_largest_free()
    except (ImportError, AttributeError):
        return None


def _watch_ctrl_c(on):
    import _board

    if hasattr(_board, "watch_ctrl_c"):
        _board.watch_ctrl_c(on)


def wav_data(f, law):
    """Position f (a WAV file) at its data; the data's length. ValueError unless it is G.711
    in the board's law, 8 kHz mono (the site's prompts are)."""
    head = f.read(12)
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        raise ValueError("not a WAV file")
    fmt = None
    while True:
        ck = f.read(8)
        if len(ck) < 8:
            raise ValueError("no data chunk")
        size = struct.unpack("<I", ck[4:])[0]
        if ck[:4] == b"fmt ":
            fmt = struct.unpack("<HHI", f.read(8))
            f.read(size - 8 + (size & 1))
        elif ck[:4] == b"data":
            break
        else:
            f.read(size + (size & 1))
    want = 7 if law == "ulaw" else 6
    if fmt is None or fmt[0] != want or fmt[1] != 1 or fmt[2] != 8000:
        raise ValueError("not 8 kHz mono %s (format %r)" % (law, fmt))
    return size


class Board:
    def __init__(self, board):
        import _callgate as cg

        self.cg = cg
        self.kinds = [p["kind"] for p in board["ports"]]
        n = self.ports = len(self.kinds)
        self.law = board.get("pcm", {}).get("law", "ulaw")
        self.plan = board.get("plan", "US")
        self.media = cg.Media(n, cg.ALAW if self.law == "alaw" else cg.ULAW)
        self.uart = None
        self.bus = None
        sil = self.sil = _SILENCE[self.law]
        self.heard = [0] * n  # the port had a frame last tick
        self.rx = bytearray(bytes([sil]) * (_F * n))
        self.rxv = [memoryview(self.rx)[p * _F:(p + 1) * _F] for p in range(n)]
        self.enc = linebus.Encoder(n)
        self.dec = linebus.Decoder()
        # the emulated board: each RX tick in a slot of a file, a doorbell byte on the bus UART
        self.slots = board.get("uarts", {}).get("bus", {}).get("slots")
        self.inbuf = bytearray(self.slots["size"] if self.slots else 512)
        self.ev = bytearray(cg.MEDIA_MAX_EVENTS * cg.MEDIA_EVENT_SIZE)
        self.samples = __import__("array").array("h", bytes(2 * _F))
        self.disc_ev = bytearray(cg.EVENT_SIZE * 2)
        self.all_mask = (1 << n) - 1
        self.tick = -1
        self.ticks = 0  # ticks run since connect
        self.lost = 0  # ticks missing in the sequence (a frame the bus dropped)
        self.oom = 0  # ticks cut short by a MemoryError (their reports lost), and refusals not reported for want of memory
        self.empty = 0  # doorbells whose slot could not be read (board.c bus_slot: 0)
        self.answered = [False] * n
        self.disc = [None] * n  # the hang-up supervisor listening on an answered FXO port
        self.pulse = [None] * n  # linecard.Pulser of a port dialling pulses
        self.cid = [None] * n
        self.prompt = [None] * n  # per port: [file, cur, nxt, next_len, name, barge_in, left]
        self.rec = [None] * n  # per port: [id, buf, seq, ticks]
        self.out = []  # MCU events for the next tx tick: (code, port, data)
        self._cpa_results = {cg.EV_CPA_NO_DIAL_TONE: linecard.CPA_NO_DIAL_TONE, cg.EV_CPA_BUSY: linecard.CPA_BUSY,
                             cg.EV_CPA_CONGESTION: linecard.CPA_CONGESTION, cg.EV_CPA_NO_ANSWER: linecard.CPA_NO_ANSWER,
                             cg.EV_CPA_SIT: linecard.CPA_SIT, cg.EV_CPA_FAX: linecard.CPA_FAX,
                             cg.EV_CPA_HUMAN: linecard.CPA_PERSON, cg.EV_CPA_MACHINE: linecard.CPA_MACHINE}
        self._reports = []
        self._rec_waiting = bytearray(self.ports)  # rec reports among them, per port
        self._run = 0  # reports line() has given in a row
        self._flag = None
        # The line cards' clock
        self._ms = 0
        self._epoch_ms = 0  # Unix ms at line time _epoch_at
        self._epoch_at = 0
        self.clock_known = False
        self._rate_t0 = self._rate_t1 = time.ticks_ms()
        self._rate_tick = self._rate_tick1 = 0

    # -- the hal.py Board --------------------------------------------------------------------

    def connect(self):
        import asyncio

        gc.threshold(GC_EVERY)
        u = _uart("data")
        self.uart = (asyncio.StreamReader(u), asyncio.StreamWriter(u, {}))
        self.bus = _uart("bus")
        self._flag = asyncio.Event()
        self._bus_task = asyncio.create_task(self._run_bus())
        _watch_ctrl_c(True)  # Ctrl-C on the REPL stops the app (mpremote), as on the Unix port

    def hello(self, fw, boot):
        """Tell the line cards the firmware (re)started: they answer with the lines' state
        and start the ticks."""
        self.enc.begin(linebus.KIND_HELLO, 0, 0)
        self.enc.event(linebus.EV_HELLO, 0, ("%s\x00%s" % (fw, boot)).encode()[:linebus.MAX_DATA])
        self._send()

    @property
    def rate(self):
        """How many times real time the line cards' ticks run (over the last 100 to 200)."""
        real = time.ticks_diff(time.ticks_ms(), self._rate_t1)
        ticks = self.ticks - self._rate_tick1
        if real <= 0 or ticks <= 0:
            return 1
        return min(50, max(0.05, ticks * linebus.TICK_MS / real))

    def now_ms(self):
        return self._ms

    def stats(self):
        """The line-card bus as this side saw it (`callgate status`: what a stalled board saw):
        ticks run, ticks missing in the sequence, bad frames, slots that could not be read,
        ticks cut short for want of memory, line reports waiting."""
        return {"ticks": self.ticks, "tick": self.tick, "lost": self.lost, "bad": self.dec.errors,
                "empty": self.empty, "oom": self.oom, "waiting": len(self._reports)}

    def epoch_ms(self, now):
        return self._epoch_ms + time.ticks_diff(now, self._epoch_at)

    async def line(self):
        import asyncio

        if self._reports:
            self._run += 1
            if self._run >= _TURN:  # a turn for the others: a storm of reports (a prompt that fails
                self._run = 0  # at once, played again and again) must not stop the bus; a turn
                await asyncio.sleep_ms(0)  # for every report let the bus's ticks outrun the app
        while not self._reports:
            self._run = 0
            self._flag.clear()
            await self._flag.wait()
        msg = self._reports.pop(0)
        if "pcm" in msg:
            self._rec_waiting[msg["port"]] -= 1
        return msg

    async def do(self, cmd):
        self.command(cmd)

    async def tell(self, msg):
        if msg.get("t") == linecard.CMD_HELLO:
            self.hello(msg.get("fw"), msg.get("boot"))
        else:
            self.command(msg)

    def close(self):
        _watch_ctrl_c(False)
        if self.uart:
            self.uart[1].close()
        for p in range(self.ports):
            self._prompt_close(p)

    # -- the bus -----------------------------------------------------------------------------

    async def _run_bus(self):
        import asyncio

        r = asyncio.StreamReader(self.bus)
        buf = self.inbuf
        if self.slots:  # board.c's bus_slot(): the bytes of a tick in one block (DMA's part)
            import _board

            _board.bus_open(self.slots["file"])
            size = self.slots["size"]
            bells = bytearray(16)
            while True:
                k = await r.readinto(bells)
                for i in range(k):
                    n = _board.bus_slot(bells[i], size, buf)
                    if n:
                        self.feed(buf, 2 + n, 2)
                    else:
                        self.empty += 1
        while True:
            k = await r.readinto(buf)
            if not k:
                continue
            self.feed(buf, k)

    def feed(self, buf, k, i=0):
        """Bytes buf[i:k] from the bus: run the tick of every whole frame among them."""
        dec = self.dec
        while i < k:
            i = dec.feed(buf, i, k)
            if dec.ready:
                try:
                    self.run_tick(dec.body, dec.ready)
                except MemoryError:  # a report that found no room: lost; the ticks go on
                    self.oom += 1
                    self.out.clear()
                    gc.collect()
                    self._send_quiet()

    def run_tick(self, body, n):
        """One RX tick from the line cards: their events, the engine, our TX tick back."""
        if n < linebus.HEAD or body[0] != linebus.KIND_RX:
            return
        tick = body[1] | body[2] << 8 | body[3] << 16 | body[4] << 24
        if self.tick >= 0 and tick != self.tick + 1:
            self.lost += 1
        self.tick = tick
        self._ms = time.ticks_add(0, tick * linebus.TICK_MS)
        mask = body[5]
        at = linebus.HEAD
        rx = self.rx
        sil = self.sil
        c = linebus._linebus  # the image's C copy (a slice would allocate)
        for p in range(self.ports):
            o = p * _F
            if mask >> p & 1:
                if c is not None:
                    c.copy(rx, o, body, at, _F)
                else:
                    for i in range(_F):
                        rx[o + i] = body[at + i]
                at += _F
            elif rx[o] != sil or rx[o + _F - 1] != sil or self.heard[p]:
                if c is not None:
                    c.fill(rx, o, _F, sil)
                else:
                    for i in range(o, o + _F):
                        rx[i] = sil
            self.heard[p] = mask >> p & 1
        count = body[6]
        for _ in range(count):
            if at + 3 > n:
                break
            self._line_event(body[at], body[at + 1], body, at + 3, body[at + 2])
            at += 3 + body[at + 2]
        enc = self.enc
        enc.begin(linebus.KIND_TX, tick, self.all_mask)
        k = self.media.process(rx, enc.frames, self.ev)
        enc.drop_quiet(sil)
        for i in range(k):
            self._engine_event(i)
        for p in range(self.ports):
            if self.disc[p] is not None:
                self._supervise(p)
            if self.pulse[p] is not None:
                self._pulse_step(p)
            rec = self.rec[p]
            if rec is not None:
                rec[3] += 1
                if rec[3] >= REC_TICKS:
                    self._rec_send(p, False)
        if self.out:
            for code, port, data in self.out:
                enc.event(code, port, data)
            self.out = []
        self._send()
        self.ticks += 1
        if self.ticks % HEAP_TICKS == 0:
            _measure_heap(len(self._reports))
        if self.ticks - self._rate_tick >= 100:  # the rate's window moves on (ints only)
            self._rate_t1, self._rate_t0 = self._rate_t0, time.ticks_ms()
            self._rate_tick1, self._rate_tick = self._rate_tick, self.ticks

    def _send(self):
        n = self.enc.finish()
        self.bus.write(self.enc.wire, 0, n)

    def _send_quiet(self):
        """The tick's TX with no audio and no events, when its work found no memory: the line
        cards hear 20 ms of silence, not a board gone quiet (once every tick's work raised
        MemoryError and no TX went for minutes)."""
        if self.tick >= 0:
            self.enc.begin(linebus.KIND_TX, self.tick, 0)
            self._send()

    def _report(self, msg):
        self._reports.append(msg)
        self._flag.set()

    def _line_event(self, code, port, body, at, size):
        lb = linebus
        if code == lb.EV_CLOCK:
            v = 0
            for i in range(size - 1, -1, -1):
                v = v << 8 | body[at + i]
            self._epoch_ms = v
            self._epoch_at = self._ms
            self.clock_known = True
            return
        if not 0 <= port < self.ports:
            return
        if code == lb.EV_RING_ON or code == lb.EV_RING_OFF:
            on = code == lb.EV_RING_ON
            self._report({"what": linecard.REPORT_RING, "port": port, "on": on})
            if self.cid[port] is not None:
                self.media.cid_line(port, self.cg.RING_START if on else self.cg.RING_END)
        elif code == lb.EV_LOOP_ON or code == lb.EV_LOOP_OFF:
            self._report({"what": linecard.REPORT_LOOP, "port": port, "on": code == lb.EV_LOOP_ON})
        elif code == lb.EV_REVERSAL:
            self._report({"what": linecard.REPORT_REVERSAL, "port": port})
            if self.cid[port] is not None:
                self.media.cid_line(port, self.cg.REVERSAL)
        elif code == lb.EV_HOOK_OFF or code == lb.EV_HOOK_ON:
            self._report({"what": linecard.REPORT_HOOK, "port": port, "off": code == lb.EV_HOOK_OFF, "at": self._ms})

    def _engine_event(self, i):
        cg = self.cg
        e = struct.unpack_from(cg.MEDIA_EVENT_FORMAT, self.ev, i * cg.MEDIA_EVENT_SIZE)
        port, kind, value = e[0], e[4], e[5]
        if kind == cg.EV_DTMF:
            self._report({"what": linecard.REPORT_DTMF, "port": port, "digit": chr(value)})
        elif kind == cg.EV_CID_MESSAGE or kind == cg.EV_CID_ERROR:
            m = self.media.cid_message(port)
            self._report({"what": linecard.REPORT_CID, "port": port, "status": m["status"],
                          "number": m["number"], "name": m["name"]})
            self.media.cid_disarm(port)
            self.cid[port] = None
        elif kind == cg.EV_PROMPT_DONE:
            self._prompt_done(port, value)
        elif kind == cg.EV_TONE_DONE:
            self._report({"what": linecard.REPORT_TONE_DONE, "port": port})
        elif kind == cg.EV_RECORD_FULL and self.rec[port] is not None:
            self._rec_send(port, False)
        elif kind == cg.EV_DTMF_SENT and self.media.cpa_armed(port):
            self.media.cpa_dialed(port, e[3])  # the number is out: call progress from here
        elif kind == cg.EV_CPA_TONE:
            self._report({"what": linecard.REPORT_DIAL_TONE, "port": port})
        elif kind in self._cpa_results:
            self._cpa_result(port, self._cpa_results[kind], value, e[7])

    def _cpa_result(self, port, result, value, seconds):
        if result in (linecard.CPA_PERSON, linecard.CPA_MACHINE, linecard.CPA_FAX):
            self._cmd_answer(None, port)  # answered: hang-up supervision as for an inbound call
        kind = value if result in (linecard.CPA_PERSON, linecard.CPA_MACHINE) else result
        report = {"what": linecard.REPORT_CPA, "port": port, "result": result,
                  "ms": int(seconds * 1000 + 0.5), "kind": kind}
        if result == linecard.CPA_SIT:
            report["sit"] = linecard.SIT_KINDS[value] if 0 <= value < len(linecard.SIT_KINDS) else "unknown"
        self._report(report)

    def _supervise(self, p):
        cg = self.cg
        fn = cg.alaw_decode if self.law == "alaw" else cg.ulaw_decode
        fn(self.rxv[p], self.samples)
        if self.disc[p].process(self.samples, self.disc_ev):
            e = struct.unpack_from(cg.EVENT_FORMAT, self.disc_ev, 0)
            method = cg.disc_method_name(e[3])
            self.disc[p] = None
            self._report({"what": linecard.REPORT_DISCONNECT, "port": p, "method": method,
                          "tone": "busy" if method == "tone" else ""})

    # -- commands ----------------------------------------------------------------------------

    def command(self, msg):
        t = msg.get("t")
        port = msg.get("port")
        try:
            fn = getattr(self, "_cmd_" + str(t), None)
            if fn is None:
                raise ValueError("unknown command %r" % t)
            if t != linecard.CMD_BRIDGE and not (isinstance(port, int) and 0 <= port < self.ports):
                raise ValueError("no port %r" % port)
            fn(msg, port)
        except Exception as e:  # refused: the application hears why
            try:
                self._report({"what": linecard.REPORT_ERROR, "port": port, "cmd": t, "msg": str(e)})
            except MemoryError:  # (a heap with no room for that either: counted, the board goes on)
                self.oom += 1

    def _cmd_answer(self, msg, port):
        if self.kinds[port] != "fxo":
            raise ValueError("port %d is not FXO: nothing to answer" % port)
        if not self.answered[port]:
            # The line first: a 1 KB supervisor made here once met a fragmented heap in the
            # busy spell, the MemoryError came before the off-hook, and the caller kept hearing
            # ringing while the firmware played its menu. Without one the call goes on, its
            # hang-up heard by loop drop only.
            self.answered[port] = True
            self.out.append((linebus.EV_OFFHOOK, port, b""))
            cg = self.cg
            try:
                self.disc[port] = cg.Disc(self.plan, cg.ALAW if self.law == "alaw" else cg.ULAW, methods=4)  # tone
            except MemoryError:
                self.oom += 1
                print("hal_mcu: port", port, "answered without tone supervision (no memory)")

    def _cmd_seize(self, msg, port):
        if self.kinds[port] != "fxo":
            raise ValueError("port %d is not FXO: nothing to seize" % port)
        self.out.append((linebus.EV_OFFHOOK, port, b""))  # off hook on an idle line: dial tone

    def _cmd_cpa_arm(self, msg, port):
        if self.kinds[port] != "fxo":
            raise ValueError("port %d is not FXO: no call progress to analyse" % port)
        cg = self.cg
        cpa = cg.Cpa(msg.get("plan") or self.plan, cg.ALAW if self.law == "alaw" else cg.ULAW,
                     no_answer_ms=msg.get("no_answer_ms", 30000), no_dial_tone_ms=msg.get("dial_ms", 0))
        self.media.cpa_arm(port, cpa)

    def _cmd_hangup(self, msg, port):
        self.answered[port] = False
        self.disc[port] = None
        self.pulse[port] = None
        self.cid[port] = None
        # The line first: the recording's last report allocates, and a MemoryError there once
        # kept the on-hook from the line cards: the line stayed off hook, and the next caller
        # on it rang unanswered while the firmware took the call into its IVR.
        if self.media.peer(port) is not None:
            self.out.append((linebus.EV_UNBRIDGE, port, b""))
        if self.kinds[port] == "fxo":
            self.out.append((linebus.EV_ONHOOK, port, b""))
        else:
            self.out.append((linebus.EV_FXS_RING_OFF, port, b""))
        try:
            if self.rec[port] is not None:
                self._rec_send(port, True)
        finally:
            self._prompt_close(port)
            self.media.port_init(port)

    def _cmd_play(self, msg, port):
        name = msg.get("prompt")
        found = hal.prompt_file(name)
        if found is None:
            raise ValueError("no prompt %r (no prompts/%s.wav in flash)" % (name, name))
        self._prompt_close(port)
        self.media.stop(port)
        pr = self.prompt[port]
        if pr is None:
            pr = self.prompt[port] = [None, bytearray(CHUNK), bytearray(CHUNK), 0, None, False, 0]
        f = open(found[0], "rb")
        try:
            left = wav_data(f, self.law)
        except ValueError as e:
            f.close()
            raise ValueError("prompts/%s.wav: %s" % (name, e))
        pr[0], pr[4], pr[5], pr[6] = f, name, bool(msg.get("barge_in", True)), left
        n = self._read(pr, pr[1])
        self.media.play(port, memoryview(pr[1])[:n], pr[5])
        pr[3] = self._read(pr, pr[2])

    def _read(self, pr, buf):
        want = min(CHUNK, pr[6])
        if want <= 0:
            return 0
        n = pr[0].readinto(buf if want == CHUNK else memoryview(buf)[:want])
        pr[6] -= n
        return n

    def _prompt_done(self, port, how):
        pr = self.prompt[port]
        if pr is None or pr[0] is None:
            return
        if how == 0 and pr[3]:  # complete, and there is more: play the next chunk
            pr[1], pr[2] = pr[2], pr[1]
            self.media.play(port, memoryview(pr[1])[:pr[3]], pr[5])
            pr[3] = self._read(pr, pr[2])
            return
        name = pr[4]
        self._prompt_close(port)
        self._report({"what": linecard.REPORT_PROMPT_DONE, "port": port, "prompt": name,
                      "reason": linecard.REASON_COMPLETE if how == 0 else linecard.REASON_BARGE_IN})

    def _prompt_close(self, port):
        pr = self.prompt[port]
        if pr is not None and pr[0] is not None:
            pr[0].close()
            pr[0] = None

    def _cmd_tone(self, msg, port):
        self.media.tone(port, msg.get("plan") or self.plan, msg.get("name"))

    def _cmd_stop(self, msg, port):
        self.media.stop(port)
        self.media.tone_stop(port)
        self._prompt_close(port)

    def _cmd_dtmf(self, msg, port):
        self.media.dtmf(port, msg.get("digits", ""))

    def _cmd_pulse(self, msg, port):
        if self.kinds[port] != "fxo":
            raise ValueError("port %d is not FXO: nothing to dial" % port)
        self.pulse[port] = linecard.Pulser(msg.get("digits", ""), linebus.TICK_MS)

    def _pulse_step(self, p):
        """A tick of a pulse-dialled number: the hook switch opens and closes the loop (the
        exchange tells a break from a hang-up by its length); at the end, call progress."""
        e = self.pulse[p].step()
        if e == "break":
            self.out.append((linebus.EV_ONHOOK, p, b""))
        elif e == "make":
            self.out.append((linebus.EV_OFFHOOK, p, b""))
        elif e == "done":
            self.pulse[p] = None
            if self.media.cpa_armed(p):
                self.media.cpa_dialed(p, self.media.now())

    def _cmd_bridge(self, msg, port):
        a, b = msg.get("a"), msg.get("b")
        self.media.bridge(a, b)
        self.out.append((linebus.EV_BRIDGE, a, bytes([b])))

    def _cmd_unbridge(self, msg, port):
        self.out.append((linebus.EV_UNBRIDGE, port, b""))  # (a conference's leg has no peer)
        self.media.unbridge(port)

    def _cmd_hear(self, msg, port):
        src = msg.get("from")
        if not isinstance(src, list):
            raise ValueError("hear: from must be a list of ports, not %r" % (src,))
        self.media.hear(port, src)
        self.out.append((linebus.EV_HEAR, port, bytes(self.media.hears(port))))

    def _cmd_ring(self, msg, port):
        if self.kinds[port] != "fxs":
            raise ValueError("port %d is not FXS: only a phone can be rung" % port)
        if msg.get("on", True):
            data = ((msg.get("number") or "") + "\x00" + (msg.get("name") or "")).encode()
            self.out.append((linebus.EV_FXS_RING_ON, port, data[:linebus.MAX_DATA]))
        else:
            self.out.append((linebus.EV_FXS_RING_OFF, port, b""))

    def _cmd_record(self, msg, port):
        rec_id = msg.get("id")
        if rec_id is None:
            raise ValueError("record: no id")
        if self.rec[port] is not None:
            self._rec_send(port, True)
        buf = bytearray(_REC_BUF)
        self.media.record(port, buf)
        self.rec[port] = [rec_id, buf, 0, 0, 0]  # id, buffer, seq, ticks, bytes lost since the last report

    def _cmd_record_stop(self, msg, port):
        if self.rec[port] is not None:
            self._rec_send(port, True)

    def _rec_send(self, port, end):
        rec = self.rec[port]
        n = self.media.record_stop(port)
        if end:
            self.rec[port] = None
        elif self._rec_waiting[port] >= REC_WAITING:  # the app is that far behind: these codes go
            rec[4] += n
            n = 0
        data = bytes(memoryview(rec[1])[:n])  # the codes as they are: no base64 in one memory
        if not end:
            self.media.record(port, rec[1])
            rec[3] = 0
            if not n:
                return
        msg = {"what": linecard.REPORT_REC, "port": port, "id": rec[0], "seq": rec[2], "pcm": data, "end": end}
        if rec[4]:
            msg["lost"] = rec[4]
            rec[4] = 0
        self._report(msg)
        self._rec_waiting[port] += 1  # (after: a report that found no memory is not waiting)
        rec[2] += 1

    def _cmd_cid_arm(self, msg, port):
        if self.kinds[port] != "fxo":
            raise ValueError("port %d is not FXO: no caller ID" % port)
        cg = self.cg
        standard = msg.get("standard", "bell202")
        start = msg.get("start", linecard.CID_RING_END)
        if start not in _CID_START:
            raise ValueError("cid_arm start %r: not one of %s" % (start, ", ".join(_CID_START)))
        rx = cg.CidRx(cg.V23 if standard == "v23" else cg.BELL202,
                      cg.ALAW if self.law == "alaw" else cg.ULAW,
                      arm=getattr(cg, _CID_START[start]), window_ms=5000, min_mark_bits=20)
        self.media.cid_arm(port, rx)
        self.cid[port] = rx

    def _cmd_cid_disarm(self, msg, port):
        self.media.cid_disarm(port)
        self.cid[port] = None
