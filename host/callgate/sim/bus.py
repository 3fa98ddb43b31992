"""The simulated line cards of an MCU board, on its line-card bus (firmware/callgate/linebus.py).

On the virtual board the host runs the media engine (linecards.py); on an MCU board the MCU
does (hal_mcu.py), and the line cards are only the analog side: ringing voltage, loop
current, reversals and hook switches, and each port's G.711 audio both ways. BusPlane is
that analog side for the same exchange, phones and callers (exchange.py, phones.py,
caller_script.py), which see it as they see the AudioPlane: kinds, lines, now, law, plan,
run_soon(), encode()/decode(). One thread runs it:

  - every tick it sends an RX tick: each port's frame the far end sends (exchange.rx; a port
    whose far end is silent sends no frame), and the line events since the last one (the
    Lines reports ring, loop, reversal, hook), with EV_CLOCK (Unix ms) every second;
  - the MCU answers each with a TX tick: each port's frame to send (exchange.tx; a port it
    left out sends silence this tick) and its
    signalling (off hook / on hook on FXO = answer / hangup, FXS ring on / off, and which
    ports it bridged and who hears whom, which the far ends need to know they talk to a
    person); then the model's time moves one tick (now += FRAME) and the exchange ticks.

Pacing: the MCU sets it. At most WINDOW RX ticks wait for their TX tick, so the line cards
run as fast as the emulated MCU processes ticks, and never faster than `clock` times real
time (clock=None: no limit). A TX tick that never comes (a frame the bus corrupted) is given
up after LOST_S and the model goes on. The MCU's KIND_HELLO (its firmware started) restarts
the window and sends the lines' state (Lines.snapshot) with the next tick.

Slots (board.json "uarts"."bus"."slots", the emulated board's): each RX tick goes into the
next slot of a file the MCU reads through semihosting, after its 2-byte little-endian length,
and only the slot's number goes on the bus UART, as a doorbell (boards/qemu-m4f/board.c,
bus_slot: QEMU's one-byte UARTs carry about 10 kB/s, not 8 ports of audio). The TX ticks come
back on the UART as they are.

BusModel is the board model around it, as model.py is for the virtual board: `lines`,
`network`, `audio` (the BusPlane), `firmware` (the MCU's hello), `board_def`, and the
control socket (control.py) that `callgate sim call` uses.
"""

import json
import logging
import os
import queue
import select
import socket
import threading
import time
import tty

import numpy as np

from ..dsp import g711
from ..firmware import linebus as lb
from ..firmware import linecard
from . import control
from .clock import check_epoch
from .exchange import Exchange
from .lines import Lines
from .ptys import write_all

FRAME = lb.FRAME
RATE = 8000
WINDOW = 8  # RX ticks in flight
LOST_S = 5.0  # a TX tick not back by then is lost (an emulator on a loaded host can stall for a second or more)
CLOCK_TICKS = 50  # an EV_CLOCK every second of line time
log = logging.getLogger(__name__)

ENCODE = {"ulaw": g711.ulaw_encode, "alaw": g711.alaw_encode}
DECODE = {"ulaw": g711.ulaw_decode, "alaw": g711.alaw_decode}
_LINE_EVENTS = {
    (linecard.REPORT_RING, True): lb.EV_RING_ON, (linecard.REPORT_RING, False): lb.EV_RING_OFF,
    (linecard.REPORT_LOOP, True): lb.EV_LOOP_ON, (linecard.REPORT_LOOP, False): lb.EV_LOOP_OFF,
    (linecard.REPORT_HOOK, True): lb.EV_HOOK_OFF, (linecard.REPORT_HOOK, False): lb.EV_HOOK_ON,
}


def open_raw(path: str) -> int:
    """A pty (QEMU's UART) opened raw and non-blocking."""
    fd = os.open(path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
    tty.setraw(fd)
    return fd


def make_slots(path, count: int, size: int) -> tuple:
    """The RX ticks' slots file, zeroed (before the MCU starts: its firmware opens it at once);
    BusPlane's `slots`."""
    with open(path, "wb") as f:
        f.write(bytes(count * size))
    return str(path), count, size


class BusPlane:
    def __init__(self, lines: Lines, board_def: dict, bus_path: str, clock=1.0, epoch=None, slots=None):
        self.lines = lines
        self.slots = slots  # (path, count, size) of the RX ticks' slots file, or None
        self.board_def = board_def
        self.bus_path = bus_path
        self.clock = clock  # at most this many times real time (None: as fast as the MCU)
        self.epoch = time.time() if check_epoch(epoch) is None else float(epoch)
        self.plan = board_def.get("plan", "US")
        self.law = board_def.get("pcm", {}).get("law", "ulaw")
        self.kinds = [p["kind"] for p in board_def["ports"]]
        self._silence = self.encode(np.zeros(FRAME, np.int16))
        self.network = Exchange(self)
        self.now = 0  # samples of line time
        self.frames = 0  # ticks the MCU answered
        self.lost = 0  # ticks it did not
        self.bad = 0  # frames from the bus that failed their CRC or layout
        self.answered = [False] * len(self.kinds)
        self.firmware = None  # the MCU's hello: {"t": "hello", "fw", "boot"}
        self.firmware_ready = threading.Event()
        self.hellos = 0
        self._sent = 0  # the next RX tick to send
        self._due = {}  # tick -> monotonic time it was sent (those in flight)
        self._events = []  # line events for the next RX tick
        self._jobs = queue.SimpleQueue()
        self._dec = lb.Decoder()
        self._fd = None
        self._slots_fd = None
        self._slot = 0
        self._stop = threading.Event()
        self._thread = None
        self._t0 = None
        self.started_at = None
        lines.subscribe(self._on_report)

    # -- what the exchange uses (as linecards.AudioPlane) ---------------------------------

    def run_soon(self, fn, *args) -> None:
        self._jobs.put((fn, args))

    def seconds(self, samples: int) -> float:
        return samples / RATE

    @property
    def now_ms(self) -> int:
        return self.now // 8

    def encode(self, samples) -> np.ndarray:
        return ENCODE[self.law](np.asarray(samples, np.int16))

    def decode(self, codes) -> np.ndarray:
        return DECODE[self.law](codes)

    def speed(self) -> float:
        """Line time over real time since the first tick (how fast the MCU runs the lines)."""
        if self.started_at is None:
            return 0.0
        real = time.monotonic() - self.started_at
        return self.now / RATE / real if real > 0 else 0.0

    # -- control ----------------------------------------------------------------------------

    def start(self) -> None:
        if self.slots:
            self._slots_fd = os.open(self.slots[0], os.O_RDWR)  # made by make_slots()
        self._fd = open_raw(self.bus_path)
        self._thread = threading.Thread(target=self._run, name="line-card-bus", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread; it closes the bus when it ends (a slow one after this returns)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    # -- the thread ---------------------------------------------------------------------------

    def _on_report(self, report: dict) -> None:
        """A Lines report (ring, loop, reversal, hook): an event of the next RX tick. Called on
        this thread (the exchange and phones run here) or by a host tool (`callgate sim`'s ring
        command): the list append is atomic."""
        what = report.get("what")
        if what == linecard.REPORT_REVERSAL:
            self._events.append((lb.EV_REVERSAL, report["port"], b""))
            return
        on = report.get("on", report.get("off"))
        code = _LINE_EVENTS.get((what, on))
        if code is not None:
            self._events.append((code, report["port"], b""))

    def _run(self) -> None:
        try:
            self._serve()
        finally:
            os.close(self._fd)
            self._fd = None
            if self._slots_fd is not None:
                os.close(self._slots_fd)
                self._slots_fd = None

    def _serve(self) -> None:
        buf = bytearray(4096)
        while not self._stop.is_set():
            try:
                wait = self._maybe_send()
            except OSError:  # QEMU gone (its pty closed): the line cards stop with it
                return
            try:
                ready, _, _ = select.select([self._fd], [], [], wait)
            except (OSError, ValueError):
                return
            if ready:
                try:
                    data = os.read(self._fd, 4096)
                except BlockingIOError:
                    continue
                except OSError:
                    time.sleep(0.05)  # QEMU gone, or not yet there
                    continue
                buf[:len(data)] = data
                i = 0
                while i < len(data):
                    i = self._dec.feed(buf, i, len(data))
                    if self._dec.ready:
                        self._body(bytes(self._dec.body[:self._dec.ready]))
            self._expire()

    def _maybe_send(self) -> float:
        """Send the next RX tick if the window and the clock allow; how long to wait."""
        if not self.firmware_ready.is_set():
            return 0.2
        if len(self._due) >= WINDOW:
            return 0.05
        if self.clock:
            if self._t0 is None:  # the pace counts from the tick sent next (after a restart: not 0)
                self._t0 = time.monotonic() - self._sent * FRAME / RATE / self.clock
            early = self._t0 + self._sent * FRAME / RATE / self.clock - time.monotonic()
            if early > 0:
                return early
        self._send_tick()
        return 0.0

    def _send_tick(self) -> None:
        while True:
            try:
                fn, args = self._jobs.get_nowait()
            except queue.Empty:
                break
            try:
                fn(*args)
            except Exception:
                log.exception("line-card job failed")
        tick = self._sent
        frames = {}
        for p in range(len(self.kinds)):
            codes = self.network.rx(p, FRAME)
            if codes is not None:
                frames[p] = np.asarray(codes, np.uint8).tobytes()
        events, self._events = self._events, []
        if tick % CLOCK_TICKS == 0:
            events.append(self._clock_event(tick))
        if self.started_at is None:
            self.started_at = time.monotonic()
        self._write(lb.pack(lb.KIND_RX, tick & 0xFFFFFFFF, frames, events[:lb.MAX_EVENTS]))
        self._events = events[lb.MAX_EVENTS:] + self._events
        self._due[tick] = time.monotonic()
        self._sent += 1

    def _write(self, data: bytes) -> None:
        if self._slots_fd is None:
            write_all(self._fd, data)
            return
        _, count, size = self.slots
        if len(data) + 2 > size:
            raise ValueError(f"an RX tick of {len(data)} bytes does not fit a bus slot of {size}")
        n = self._slot
        self._slot = (n + 1) % count
        os.pwrite(self._slots_fd, len(data).to_bytes(2, "little") + data, n * size)
        write_all(self._fd, bytes([n]))  # the doorbell: after the slot is written

    def _expire(self) -> None:
        now = time.monotonic()
        for tick in sorted(self._due):
            if now - self._due[tick] > LOST_S:
                del self._due[tick]
                self.lost += 1
                self._advance(None)
            else:
                break

    def _body(self, body: bytes) -> None:
        try:
            kind, tick, frames, events = lb.unpack(body)
        except lb.BusError:
            self.bad += 1
            return
        if kind == lb.KIND_HELLO:
            self._hello(events)
            return
        if kind != lb.KIND_TX or tick not in self._due:
            return
        for old in [t for t in self._due if t < tick]:  # frames the bus lost on the way
            del self._due[old]
            self.lost += 1
            self._advance(None)
        del self._due[tick]
        for code, port, data in events:
            self._mcu_event(code, port, data)
        self._advance(frames)

    def _advance(self, frames) -> None:
        for p in range(len(self.kinds)):
            codes = None if frames is None else frames.get(p)
            if codes is not None:
                self.network.tx(p, np.frombuffer(codes, np.uint8))
            elif frames is not None:  # a port the MCU left out of its tick: it sent silence
                self.network.tx(p, self._silence)
        self.now += FRAME
        self.frames += frames is not None
        self.network.tick(self.now)

    def _clock_event(self, tick):
        """EV_CLOCK: Unix ms at `tick`."""
        return lb.EV_CLOCK, 0, lb.u64(int(round((self.epoch + tick * FRAME / RATE) * 1000)))

    def _hello(self, events) -> None:
        fw = boot = None
        for code, _, data in events:
            if code == lb.EV_HELLO:
                fw, _, boot = data.decode(errors="replace").partition("\x00")
        self.firmware = {"t": "hello", "fw": fw, "boot": boot}
        self.hellos += 1
        self._due.clear()  # a restarted MCU answers nothing sent before
        self._sent = self.now // FRAME  # the line time goes on from here
        self._events = [self._clock_event(self._sent)]  # its clock at once, before any call
        for report in self.lines.snapshot():
            self._on_report(report)
        self._t0 = None
        self.firmware_ready.set()

    def _mcu_event(self, code: int, port: int, data: bytes) -> None:
        net = self.network
        if not 0 <= port < len(self.kinds):
            return
        if code == lb.EV_OFFHOOK:
            if net.out[port] is not None and net.out[port].opened is not None:
                net.loop_break(port, False)  # the loop closed again: a dial pulse's end
                self.answered[port] = True
            elif not self.answered[port]:
                self.answered[port] = True
                if net.calls[port] is None:  # off hook on an idle line: seized to call out
                    net.seized(port)
                else:
                    net.answered(port)
        elif code == lb.EV_ONHOOK:
            was, self.answered[port] = self.answered[port], False
            net.unbridged(port)
            if net.out[port] is not None:  # the far end times it: a dial pulse, or a hang-up
                net.loop_break(port, True)
            else:
                net.released(port, was)
        elif code == lb.EV_FXS_RING_ON:
            net.ring_phone(port, True)
        elif code == lb.EV_FXS_RING_OFF:
            net.unbridged(port)
            net.ring_phone(port, False)
        elif code == lb.EV_BRIDGE and data:
            net.bridged(port, data[0])
        elif code == lb.EV_UNBRIDGE:
            net.unbridged(port)
        elif code == lb.EV_HEAR:
            net.heard(port, [q for q in data if 0 <= q < len(self.kinds) and q != port])


class BusModel:
    """The board model of an MCU board: the line cards on its bus and the control socket."""

    def __init__(self, board_def: dict, bus_path: str, sock_dir: str, clock=1.0, epoch=None, slots=None):
        self.board_def = board_def
        self.lines = Lines(board_def["ports"])
        self.audio = BusPlane(self.lines, board_def, bus_path, clock=clock, epoch=epoch, slots=slots)
        self.network = self.audio.network
        self.control_path = os.path.join(sock_dir, "control.sock")
        self._listener = None
        self._stop = threading.Event()

    @property
    def firmware(self):
        return self.audio.firmware

    @property
    def firmware_ready(self) -> threading.Event:
        return self.audio.firmware_ready

    def wait_firmware(self, timeout: float) -> bool:
        return self.audio.firmware_ready.wait(timeout)

    def start(self) -> None:
        self.audio.start()
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(self.control_path)
        s.listen(4)
        s.settimeout(0.2)
        self._listener = s
        threading.Thread(target=self._accept, name="bus-control", daemon=True).start()

    def stop(self) -> None:
        self._stop.set()
        self.audio.stop()
        if self._listener is not None:
            self._listener.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn) -> None:
        lock = threading.Lock()

        def reply(obj):
            with lock:
                try:
                    conn.sendall(json.dumps(obj).encode() + b"\n")
                except OSError:
                    pass

        with conn:
            try:
                for line in conn.makefile("rb"):
                    try:
                        msg = json.loads(line)
                    except ValueError:
                        msg = None
                    control.answer(self, msg, reply)
            except OSError:
                pass  # the client went away (reset): its connection ends here
