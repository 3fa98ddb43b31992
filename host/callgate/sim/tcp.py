"""The virtual board's data UART on a TCP port, for pyserial's `socket://` (as ser2net does).

    bridge = TcpBridge(vb.data_port, port=0)   # 0: any free port; bridge.port says which
    bridge.start()
    # callgate --port socket://127.0.0.1:<bridge.port> status
    bridge.close()

Listens on 127.0.0.1 only. It opens the data pty like any host tool and copies bytes between
it and one TCP connection. The data port carries one host at a time: a new connection
replaces the old one, and while no connection is open the bridge does not read the pty, so a
tool may use the pty directly. Whatever the board sent before a connection is discarded when
it opens (a host joining a UART mid-stream sees only what comes after).
"""

import os
import select
import socket
import termios
import threading

from .ptys import write_all


class TcpBridge:
    def __init__(self, pty_path: str, port: int = 0, host: str = "127.0.0.1"):
        self.pty_path = pty_path
        self._listener = socket.create_server((host, port))
        self._listener.setblocking(False)
        self.host, self.port = self._listener.getsockname()[:2]
        self.url = f"socket://{self.host}:{self.port}"
        self.stats = {"connections": 0, "to_host": 0, "to_board": 0}
        self._fd = -1
        self._conn = None
        self._stop = threading.Event()
        self._drop = threading.Event()
        self._wake_r, self._wake_w = os.pipe()
        self._thread = None

    def start(self) -> "TcpBridge":
        self._fd = os.open(self.pty_path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
        self._thread = threading.Thread(target=self._run, name="tcp-bridge", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        self._stop.set()
        try:
            os.write(self._wake_w, b"!")
        except OSError:
            pass
        if self._thread is not None:
            self._thread.join(timeout=2)
        self._hang_up()
        for fd in (self._fd, self._wake_r, self._wake_w):
            try:
                os.close(fd)
            except OSError:
                pass
        self._fd = -1
        self._listener.close()

    def drop(self) -> None:
        """Hang up on the connected host, as a network outage would (the host may come back)."""
        self._drop.set()
        os.write(self._wake_w, b"!")

    def _hang_up(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _run(self) -> None:
        while not self._stop.is_set():
            watch = [self._listener, self._wake_r]
            if self._conn is not None:
                watch += [self._conn, self._fd]
            try:
                ready, _, _ = select.select(watch, [], [], 0.5)
            except (OSError, ValueError):
                return
            if self._wake_r in ready:
                os.read(self._wake_r, 64)
                if self._drop.is_set():
                    self._drop.clear()
                    self._hang_up()
                    continue
            if self._listener in ready:
                try:
                    conn, _ = self._listener.accept()
                except BlockingIOError:
                    conn = None
                if conn is not None:
                    self._hang_up()
                    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    termios.tcflush(self._fd, termios.TCIFLUSH)  # nothing stale for the newcomer
                    self._conn = conn
                    self.stats["connections"] += 1
            if self._conn is not None and self._conn in ready:
                try:
                    data = self._conn.recv(4096)
                except OSError:
                    data = b""
                if not data:
                    self._hang_up()
                else:
                    self._write_pty(data)
            if self._conn is not None and self._fd in ready:
                try:
                    data = os.read(self._fd, 4096)
                except (BlockingIOError, OSError):
                    data = b""
                if data:
                    try:
                        self._conn.sendall(data)
                        self.stats["to_host"] += len(data)
                    except OSError:
                        self._hang_up()

    def _write_pty(self, data: bytes) -> None:
        try:
            write_all(self._fd, data)
        except OSError:
            return
        self.stats["to_board"] += len(data)
