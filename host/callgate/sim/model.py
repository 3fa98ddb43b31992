"""The board model: the hardware around the firmware, in CPython.

The firmware's virtual HAL backend (firmware/callgate/hal_virtual.py) connects to two UNIX
sockets in `sock_dir`:

    uart0.sock  the data UART, raw bytes. The model copies them to and from the master side of
                the data pty, the serial port host tools open. Like a UART with nobody
                listening, bytes for a host that is not there are dropped. With `noise` > 0 each
                byte is hit by a bit flip with that probability, both ways (a noisy line).
                `faults` ({"to_host": Faults, "to_board": Faults}, faults.py; None: a clean
                wire) corrupts, drops and duplicates bytes, each way.
    model.sock  the line cards, JSON lines: the line-card reports and commands of
                firmware/callgate/linecard.py. The model sends Lines reports; the firmware
                sends its hello command when it starts (kept here: `firmware`), then the
                others (passed to Lines.command, which hands them to the audio plane).

and serves host tools on a third:

    control.sock  the simulated exchange, JSON lines: the control protocol, both its sides
                (requests, answers, client and server) in control.py; `callgate sim call` is
                a client. The model reads each request line and hands it to control.answer().

One thread runs them all, with a selector and never blocks: what a socket cannot take yet
waits in that connection's buffer. stop() ends it. The line signalling is lines.py, the line
cards (the media engine on the model's clock) linecards.py, the exchange exchange.py.
"""

import json
import os
import queue
import random
import selectors
import socket
import threading

from ..firmware import linecard
from . import control
from .lines import Lines
from .linecards import AudioPlane


class BoardModel:
    def __init__(self, board_def: dict, sock_dir: str, uart_master_fd: int, noise: float = 0.0, seed=None,
                 clock: float = 1.0, epoch=None):
        self.board_def = board_def
        self.sock_dir = sock_dir
        self.lines = Lines(board_def["ports"])
        self.lines.subscribe(self._outbox_put)
        self.audio = AudioPlane(self.lines, board_def, clock, epoch=epoch)
        self.network = self.audio.network
        self.control_path = os.path.join(sock_dir, "control.sock")
        self._control = {}  # control connection -> bytes received not yet a line
        self.noise = noise
        self.faults = None  # {"to_host": faults.Faults, "to_board": faults.Faults}, or None
        self.firmware = None  # the firmware's hello, while it is connected
        self.firmware_ready = threading.Event()
        self.stats = {"to_host": 0, "to_board": 0, "dropped": 0, "flipped": 0, "firmware_starts": 0,
                      "bad_lines": 0}  # bad_lines: lines from the firmware that are not JSON (lost)
        self._rng = random.Random(seed)
        self._master = uart_master_fd
        self._outbox = queue.SimpleQueue()
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        self._sel = selectors.DefaultSelector()
        self._listeners = {}
        self._uart = None
        self._model = None
        self._model_buf = b""
        self._out = {}  # connection -> bytes it could not take yet
        self._stop = threading.Event()
        self._thread = None

    # -- control, from any thread ------------------------------------------------------------

    def start(self) -> None:
        for name in ("uart0", "model", "control"):
            path = os.path.join(self.sock_dir, name + ".sock")
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.bind(path)
            s.listen(4)
            s.setblocking(False)
            self._listeners[s] = name
            self._sel.register(s, selectors.EVENT_READ, self._accept)
        self._sel.register(self._master, selectors.EVENT_READ, self._from_host)
        self._sel.register(self._wake_r, selectors.EVENT_READ, self._send_reports)
        self._thread = threading.Thread(target=self._run, name="board-model", daemon=True)
        self._thread.start()
        self.audio.start()

    def stop(self) -> None:
        self.audio.stop()
        self._stop.set()
        self._wake()
        if self._thread is not None:
            self._thread.join(timeout=5)
        for s in list(self._listeners) + [self._uart, self._model] + list(self._control):
            if s is not None:
                s.close()
        for fd in (self._wake_r, self._wake_w):
            os.close(fd)
        self._sel.close()

    def wait_firmware(self, timeout: float) -> bool:
        return self.firmware_ready.wait(timeout)

    # -- the thread ----------------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stop.is_set():
            for key, mask in self._sel.select(timeout=0.5):
                try:
                    self._sel.get_key(key.fileobj)  # not dropped by an earlier callback
                except (KeyError, ValueError):
                    continue
                if mask & selectors.EVENT_WRITE:
                    self._flush(key.fileobj)
                if mask & selectors.EVENT_READ:
                    key.data(key.fileobj)

    def _wake(self) -> None:
        try:
            os.write(self._wake_w, b"!")
        except OSError:
            pass

    def _accept(self, listener) -> None:
        conn, _ = listener.accept()
        conn.setblocking(False)
        self._out[conn] = bytearray()
        if self._listeners[listener] == "control":
            self._control[conn] = b""
            self._sel.register(conn, selectors.EVENT_READ, self._from_control)
        elif self._listeners[listener] == "uart0":
            self._drop(self._uart)
            self._uart = conn
            self._sel.register(conn, selectors.EVENT_READ, self._from_board)
        else:
            self._drop(self._model)
            self._model = conn
            self._model_buf = b""
            self._sel.register(conn, selectors.EVENT_READ, self._from_firmware)
            self.audio.unpace()  # until this firmware takes a clock report
            self._reset_line_cards()  # before anything this firmware commands
            for report in self.lines.snapshot():
                self._send_json(report)

    def _drop(self, conn) -> None:
        if conn is None:
            return
        try:
            self._sel.unregister(conn)
        except (KeyError, ValueError):  # dropped already (its fd closed)
            pass
        self._out.pop(conn, None)
        self._control.pop(conn, None)
        conn.close()
        if conn is self._uart:
            self._uart = None
        if conn is self._model:
            self._model = None
            self.firmware = None
            self.firmware_ready.clear()

    def _garble(self, data: bytes, way: str = "to_host") -> bytes:
        faults = self.faults
        if faults is not None and faults.get(way) is not None:
            data = faults[way].apply(data)
        if not self.noise:
            return data
        out = bytearray(data)
        for i in range(len(out)):
            if self._rng.random() < self.noise:
                out[i] ^= 1 << self._rng.randrange(8)
                self.stats["flipped"] += 1
        return bytes(out)

    def _recv(self, conn) -> bytes | None:
        """What a connection has for us now; None when nothing yet, or when it closed (then it
        is dropped)."""
        try:
            data = conn.recv(4096)
        except BlockingIOError:
            return None
        except OSError:
            data = b""
        if not data:
            self._drop(conn)
            return None
        return data

    def _from_board(self, conn) -> None:
        data = self._recv(conn)
        if not data:
            return
        data = self._garble(data, "to_host")
        try:
            n = os.write(self._master, data)
        except (BlockingIOError, OSError):
            n = 0
        self.stats["to_host"] += n
        self.stats["dropped"] += len(data) - n

    def _from_host(self, fd) -> None:
        try:
            data = os.read(fd, 4096)
        except (BlockingIOError, OSError):
            return
        if not data:
            return
        if self._uart is None:
            self.stats["dropped"] += len(data)
            return
        self.stats["to_board"] += len(data)
        self._send(self._uart, self._garble(data, "to_board"))

    def _from_firmware(self, conn) -> None:
        data = self._recv(conn)
        if not data:
            return
        self._model_buf += data
        *lines, self._model_buf = self._model_buf.split(b"\n")
        for line in lines:
            try:
                msg = json.loads(line)
            except ValueError:
                self.stats["bad_lines"] += 1
                continue
            if isinstance(msg, dict) and msg.get("t") == linecard.CMD_HELLO:
                self.firmware = msg
                self.stats["firmware_starts"] += 1
                self.lines.report(self.audio.clock_report())  # its clock at once, before any call
                self.firmware_ready.set()
            elif isinstance(msg, dict):
                self.lines.command(msg)

    def _reset_line_cards(self) -> None:
        """A firmware that connects resets its line cards (a board's LINE_RESET pin at boot):
        every port on hook, its audio stopped, an FXS phone no longer rung. A line a crashed firmware left
        off hook is released here, not kept until the far end gives up."""
        for port in self.board_def["ports"]:
            self.lines.command({"t": linecard.CMD_HANGUP, "port": port["n"]})

    def _from_control(self, conn) -> None:
        data = self._recv(conn)
        if not data:
            return
        buf = self._control[conn] + data
        *lines, self._control[conn] = buf.split(b"\n")
        for line in lines:
            try:
                msg = json.loads(line)
            except ValueError:
                msg = None
            self._control_request(conn, msg)

    def _control_request(self, conn, msg) -> None:
        """One request from a host tool: control.py answers it; its replies go out on this thread."""

        def reply(obj):
            self._outbox.put((conn, obj))
            self._wake()

        control.answer(self, msg, reply)

    def _outbox_put(self, report: dict) -> None:
        if report.get("what") == linecard.REPORT_HOOK:  # when the switch moved, in line time
            report = dict(report, at=self.audio.now // 8)
        self._outbox.put(report)
        self._wake()

    def _send_reports(self, fd) -> None:
        try:
            os.read(fd, 4096)
        except BlockingIOError:
            pass
        while True:
            try:
                report = self._outbox.get_nowait()
            except queue.Empty:
                return
            if isinstance(report, tuple):  # (control connection, reply)
                conn, obj = report
                if conn in self._control:
                    self._send(conn, json.dumps(obj).encode() + b"\n")
            else:
                self._send_json(report)

    def _send_json(self, msg: dict) -> None:
        if self._model is None:
            return  # no firmware: the snapshot at its next connection carries the state
        self._send(self._model, json.dumps(msg).encode() + b"\n")

    def _send(self, conn, data: bytes) -> None:
        out = self._out[conn]
        out.extend(data)
        self._flush(conn)

    def _flush(self, conn) -> None:
        out = self._out.get(conn)
        if out is None:
            return
        try:
            n = conn.send(out) if out else 0
        except BlockingIOError:
            n = 0
        except OSError:
            self._drop(conn)
            return
        del out[:n]
        if conn is self._uart:
            handler = self._from_board
        elif conn in self._control:
            handler = self._from_control
        else:
            handler = self._from_firmware
        events = selectors.EVENT_READ | (selectors.EVENT_WRITE if out else 0)
        self._sel.modify(conn, events, handler)
