"""Pseudo-terminals for the virtual board's serial ports."""

import os
import select
import termios
import tty


def write_all(fd: int, data: bytes) -> None:
    """Write all of data to a non-blocking fd (a pty's master), waiting while it is full.
    Any other OSError (the other end gone) is raised."""
    view = memoryview(data)
    while view:
        try:
            n = os.write(fd, view)
        except BlockingIOError:
            select.select([], [fd], [], 0.1)
            continue
        view = view[n:]


class Pty:
    """A pty pair. `path` is the end a host tool opens like a serial port; the sim keeps
    `master` (and holds `slave` open too, so reading the master never fails with EIO while
    no tool is connected)."""

    def __init__(self, isig: bool = False):
        self.master, self.slave = os.openpty()
        self.path = os.ttyname(self.slave)
        tty.setraw(self.slave)  # no echo, no line editing, no CR/LF rewriting: bytes are bytes
        if isig:  # 0x03 becomes SIGINT for the process that has this pty as its terminal
            attrs = termios.tcgetattr(self.slave)
            attrs[3] |= termios.ISIG
            termios.tcsetattr(self.slave, termios.TCSANOW, attrs)
        os.set_blocking(self.master, False)

    def close(self) -> None:
        for fd in (self.master, self.slave):
            try:
                os.close(fd)
            except OSError:
                pass
        self.master = self.slave = -1
