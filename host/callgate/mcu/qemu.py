"""Start the MCU image (make firmware BOARD=qemu-m4f) in QEMU with its REPL on a pty.

    with QemuBoard(workdir) as board:      # qemu-system-arm -M mps2-an386 ... -serial pty x3
        board.repl                         # /dev/pts/N: UART0, raw REPL, mpremote, pyserial
        board.data                         # UART1: the host link's data UART (_board.UART(1))
        board.bus                          # UART2: the line-card bus (_board.UART(2))
        board.flash                        # the board's flash (sim.flash.FlashImage)

The board's UART0 is the REPL, UART1 and UART2 two more channels, each on a pty QEMU makes
(so a 0x03 on the data or bus channel is a byte, never a Ctrl-C for the REPL). Its flash is `flash.img` in `workdir`
(QEMU's working folder, where the image's semihosting calls find it): a LittleFS2 image of the
board's size, made here on first use with the board's board.json in it, which the firmware
mounts at /flash (boards/qemu-m4f/_boot.py). Unless `app=True`, the flash also gets the
`safe` file, so main.py does not start the application and the REPL stays free (tests, mpremote). It outlives the process, as flash does; the host
reads or writes it only while QEMU is stopped (FlashImage's rule).
"""

import ctypes
import json
import os
import pathlib
import re
import select
import shutil
import socket
import subprocess
import sys
import time

from ..sim.flash import FlashImage

ROOT = pathlib.Path(__file__).resolve().parents[3]
BOARD = "qemu-m4f"
FIRMWARE_ELF = ROOT / "build" / "mcu" / BOARD / "firmware.elf"
MACHINE = "mps2-an386"
QEMU = "qemu-system-arm"
_PTY = re.compile(rb"char device redirected to (\S+) \(label serial(\d)\)")
UARTS = ("repl", "data", "bus")  # UART0, UART1, UART2


def _die_with_parent() -> None:
    """In QEMU's process before exec (Linux): SIGTERM when the process that started it ends,
    so a launcher killed outright leaves no QEMU behind (its REPL loop keeps a core busy)."""
    try:
        ctypes.CDLL(None).prctl(1, 15)  # PR_SET_PDEATHSIG, SIGTERM
    except (OSError, AttributeError):
        pass


class McuError(OSError):
    """The image or QEMU is missing, or QEMU did not come up (one line, for the CLI)."""


def build_firmware(board: str = BOARD, env=None) -> pathlib.Path:
    """`make firmware BOARD=board` (incremental); the image's path. McuError naming
    MICROPY_DIR when there is no MicroPython source to build from."""
    r = subprocess.run(["make", "--no-print-directory", "firmware", f"BOARD={board}"], cwd=ROOT,
                       capture_output=True, text=True, env=env)
    if r.returncode != 0:
        said = [line for line in (r.stderr + r.stdout).splitlines()
                if line.strip() and not line.startswith("make")]
        raise McuError(said[-1] if said else f"make firmware BOARD={board} failed")
    return ROOT / "build" / "mcu" / board / "firmware.elf"


class QemuBoard:
    """One run of the MCU image in QEMU. `start()` returns once the REPL's pty is known."""

    def __init__(self, workdir, elf=FIRMWARE_ELF, board: str = BOARD, qemu: str = QEMU, app: bool = False):
        self.workdir = pathlib.Path(workdir)
        # app=False: the flash gets the `safe` file, so main.py leaves the REPL free at once
        # (tests). app=True (callgate sim --board qemu-m4f) runs the application as the board
        # would; a Ctrl-C on the REPL (mpremote) stops it (board.c watches UART0 while it runs).
        self.app = app
        self.elf = pathlib.Path(elf)
        self.board_json = ROOT / "boards" / board / "board.json"
        self.qemu = qemu
        self.proc = None
        self.repl = self.data = self.bus = None
        board_def = json.loads(self.board_json.read_text())
        self.flash = FlashImage(self.workdir / "flash.img", board_def["storage"]["bytes"])
        self.console_path = self.workdir / "console.log"
        self.monitor_path = self.workdir / "monitor.sock"

    def console(self) -> str:
        """Everything the firmware printed on its REPL UART in this workdir (every boot)."""
        try:
            return self.console_path.read_bytes().decode(errors="replace")
        except FileNotFoundError:
            return ""

    def monitor(self, command: str, timeout: float = 5.0) -> str:
        """One QEMU monitor command's reply (the monitor's banner and prompts left out)."""
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(timeout)
            s.connect(str(self.monitor_path))
            out = b""
            while not out.rstrip().endswith(b"(qemu)"):  # the banner, then the first prompt
                chunk = s.recv(4096)
                if not chunk:
                    return ""
                out += chunk
            s.sendall(command.encode() + b"\n")
            out = b""
            while not out.rstrip().endswith(b"(qemu)"):
                chunk = s.recv(4096)
                if not chunk:
                    break
                out += chunk
        text = out.decode(errors="replace").replace("\r", "")
        return text.split("\n", 1)[1].rsplit("(qemu)", 1)[0] if "\n" in text else text

    def peek(self, addr: int, words: int = 1) -> list:
        """words 32-bit words of the emulated memory (RAM or a device's registers) at addr."""
        out = self.monitor(f"xp /{words}wx 0x{addr:08x}")
        return [int(w, 16) for w in re.findall(r"0x([0-9a-f]{8})(?!:)", out)][:words]

    def symbol(self, name: str) -> int:
        """The address of a symbol of the image (arm-none-eabi-nm)."""
        r = subprocess.run(["arm-none-eabi-nm", str(self.elf)], capture_output=True, text=True, timeout=30)
        for line in r.stdout.splitlines():
            parts = line.split()
            if len(parts) == 3 and parts[2] == name:
                return int(parts[0], 16)
        raise McuError(f"{self.elf}: no symbol {name}")

    def bus_uart(self) -> dict:
        """The line-card bus UART's state (board.c: UART2, its ring uart_ring[1]): bytes the
        interrupt put in the ring and the firmware took (head, tail), the UART's STATE (bit
        1: a byte waits in the holding register) and CTRL (bit 3: its RX interrupt enabled),
        and the NVIC's enabled and pending interrupts. For a board that stopped answering
        ticks: a ring with bytes nobody takes, or an interrupt left masked."""
        ring = self.symbol("uart_ring") + 4104  # ring_t: 4096 bytes, head, tail
        head, tail = self.peek(ring + 4096, 2)
        state, ctrl, intstatus = self.peek(0x40006004, 3)
        iser, = self.peek(0xE000E100)
        ispr, = self.peek(0xE000E200)
        return {"head": head, "tail": tail, "state": state, "ctrl": ctrl, "intstatus": intstatus,
                "nvic_enabled": hex(iser), "nvic_pending": hex(ispr), "where": self.where()}

    def where(self, timeout: float = 5.0) -> str:
        """Where the CPU is now: its program counter and the function there (the image's
        symbols, arm-none-eabi-addr2line), from the QEMU monitor. For a board gone silent."""
        out = self.monitor("info registers", timeout).encode()
        m = re.search(rb"R15=([0-9a-f]{8})", out)
        if not m:
            return "no program counter in the monitor's reply"
        pc = m.group(1).decode()
        try:
            r = subprocess.run(["arm-none-eabi-addr2line", "-f", "-e", str(self.elf), pc],
                               capture_output=True, text=True, timeout=timeout)
            fn = r.stdout.split("\n")[0] if r.returncode == 0 else "?"
        except (OSError, subprocess.TimeoutExpired):
            fn = "?"
        return f"pc 0x{pc} in {fn}"

    def prepare_flash(self) -> None:
        """Make the flash image if there is none: formatted, with board.json in its root."""
        if self.flash.create():
            self.flash.write("board.json", self.board_json.read_bytes())
        if not self.app and not self.flash.exists("safe"):
            self.flash.write("safe", b"")

    def start(self, timeout: float = 10.0) -> str:
        """Start QEMU; the REPL's pty (the data and bus ptys are set too)."""
        if not self.elf.is_file():
            raise McuError(f"{self.elf}: no MCU image (make firmware BOARD={BOARD})")
        if shutil.which(self.qemu) is None:
            raise McuError(f"{self.qemu} not found (Debian package qemu-system-arm)")
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.prepare_flash()
        # UART0 (the REPL) is also copied to console.log, whether or not anyone has its pty
        # open: what the firmware printed (a traceback, "app stopped") outlives the run. The
        # QEMU monitor listens on monitor.sock (`where()`, or socat for a person).
        cmd = [self.qemu, "-M", MACHINE, "-nographic", "-semihosting",
               "-monitor", f"unix:{self.monitor_path},server,nowait",
               "-chardev", f"pty,id=serial0,logfile={self.console_path},logappend=on", "-serial", "chardev:serial0",
               *[arg for _ in UARTS[1:] for arg in ("-serial", "pty")], "-kernel", str(self.elf)]
        self.proc = subprocess.Popen(cmd, cwd=self.workdir, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     preexec_fn=_die_with_parent if sys.platform == "linux" else None)
        out = b""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.proc.stdout], [], [], 0.1)
            if ready:
                chunk = os.read(self.proc.stdout.fileno(), 4096)
                if not chunk:
                    break
                out += chunk
                found = {int(n): path.decode() for path, n in _PTY.findall(out)}
                if len(found) == len(UARTS):
                    self.repl, self.data, self.bus = (found[i] for i in range(len(UARTS)))
                    return self.repl
            elif self.proc.poll() is not None:
                break
        self.stop()
        raise McuError(f"QEMU did not offer the UARTs' ptys: {out.decode(errors='replace').strip()}")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc.stdout.close()
            self.proc = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()
