"""The virtual board: the firmware on the MicroPython Unix port, with its board model.

    with VirtualBoard("virtual-4") as vb:
        vb.data_port      # the data UART: callgate --port ... status / monitor
        vb.repl_port      # the REPL: mpremote connect ...
        vb.model.lines.ring(0)
        call = vb.model.network.place_call(0, Caller(number="5551234", digits="1#"))   # exchange.py
        vb.control_path   # control.sock: `callgate sim call` (control.py)

What runs:
  - a flash image (flash.py: a LittleFS2 image file, a fresh temporary one, or `flash=` to keep
    it, made if missing): main.py, board.json and the default prompt are written into it, as
    provisioning would put them on a board; `fs` reads it, `powered_off()` edits it;
  - the board model (model.py), serving the firmware's hal on two UNIX sockets and bridging
    the data UART to the data pty;
  - `micropython -i boot/_boot.py` (the stand-in for a board's frozen _boot.py: it mounts the
    image with VfsLfs2 at /flash, chdirs there and runs the image's main.py), with
    MICROPYPATH=firmware/ (the sources the board would have frozen), $CALLGATE_FLASH naming the
    image and $CALLGATE_SIM the socket folder. Its terminal is the
    slave of a pty with ISIG on, so a 0x03 from mpremote interrupts it as on hardware and
    main.py's end leaves it in the REPL. A bridge thread copies that pty to the REPL pty that
    tools open (nobody can open the firmware's own terminal a second time). When the process
    exits (Ctrl-D, a soft reset at the REPL) it is started again after "MPY: soft reboot":
    with main.py after the friendly REPL; from the raw REPL, as a board does, without main.py
    and back in the raw REPL, which is what mpremote's soft reset expects.

Faults and resets, for reliability tests: `fault_rate=R` corrupts, drops and duplicates bytes
of the data UART both ways (faults.py); `kill_firmware()` kills the firmware process (SIGKILL
by default, a board losing power) and the bridge starts it again like any exit, and
`wait_restart()` waits for the new firmware's hello. `tcp_port=` also serves the data UART on
127.0.0.1 (tcp.py) for `socket://` URLs: `tcp_url`. `clock=X` runs the phone lines X times
real time; `epoch=` is the Unix time the model's clock starts at (its `clock` reports).

close() (or leaving the with block, or the interpreter exiting) stops everything it started.
"""

import atexit
import contextlib
import fcntl
import json
import os
import pathlib
import select
import shutil
import signal
import subprocess
import tempfile
import termios
import threading
import time

from .. import runtime
from ..provision.provision import install
from .faults import Faults
from .flash import FlashImage, put
from .linecards import write_default_prompts
from .model import BoardModel
from .ptys import Pty


BOOT = pathlib.Path(__file__).parent / "boot" / "_boot.py"


class FirmwareError(RuntimeError):
    """The firmware did not start, or stopped."""


class VirtualBoard:
    def __init__(
        self,
        board: str = "virtual-4",
        flash=None,
        noise: float = 0.0,
        seed=None,
        fault_rate: float = 0.0,
        tcp_port: int | None = None,
        clock: float = 1.0,
        epoch: float | None = None,
        site=None,
    ):
        self.board_name = board
        self.site = site  # a Site (site.load_site) written into the flash before boot
        self.board_path = runtime.board_dir(board)
        self.board_def = json.loads((self.board_path / "board.json").read_text())
        if self.board_def.get("mcu") != "unix":
            raise ValueError(f"{board} is a hardware board (mcu {self.board_def.get('mcu')}); the sim runs boards with mcu unix")
        self._tmp = tempfile.mkdtemp(prefix="callgate-sim-")
        self.sock_dir = self._tmp
        self.flash = pathlib.Path(flash) if flash else pathlib.Path(self._tmp) / "flash.img"
        self.fs = FlashImage(self.flash, self.board_def.get("storage", {}).get("bytes", 1 << 20))
        self._held = threading.Event()  # powered_off(): the bridge does not restart the firmware
        self.noise = noise
        self.seed = seed
        self.clock = clock  # the board model's audio clock: times real time
        self.epoch = epoch  # Unix seconds at the model's time 0 (its clock reports); None: now
        self.fault_rate = fault_rate
        self.tcp_port = tcp_port
        self.tcp = None  # tcp.TcpBridge when tcp_port is given
        self.data = None
        self.repl = None
        self.model = None
        self.proc = None
        self.restarts = 0
        self._term = None  # the firmware's own terminal
        self._raw = False  # the firmware's REPL is in raw mode (mpremote is driving it)
        self._want_raw = False  # restarted from raw mode: enter it again at the first prompt
        self._console = bytearray()  # the last bytes the firmware printed
        self._stop = threading.Event()
        self._bridge = None
        self._lock = threading.Lock()
        self._closed = False

    @property
    def data_port(self) -> str:
        return self.data.path

    @property
    def repl_port(self) -> str:
        return self.repl.path

    @property
    def control_path(self) -> str:
        return self.model.control_path

    @property
    def tcp_url(self) -> str | None:
        return self.tcp.url if self.tcp is not None else None

    def kill_firmware(self, sig: int = signal.SIGKILL) -> int:
        """Kill the firmware process (and its group) mid-whatever; the bridge starts it again,
        as a board restarts after a reset. Returns the killed pid; wait_restart() waits for the
        new one."""
        self.model.firmware_ready.clear()
        pid = self.proc.pid
        try:
            os.killpg(pid, sig)  # its own session: only what we started
        except ProcessLookupError:
            pass
        return pid

    def wait_restart(self, old_pid: int, timeout: float = 10.0) -> bool:
        """Wait until a firmware process other than old_pid has said hello."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.pid != old_pid and self.model.firmware_ready.wait(0.05):
                return True
            time.sleep(0.01)
        return False

    def console(self) -> str:
        with self._lock:
            return self._console.decode(errors="replace")

    def start(self, timeout: float = 10.0) -> "VirtualBoard":
        atexit.register(self.close)
        try:
            self.fs.create()
            with self.fs.edit() as fs:
                put(fs, "main.py", (runtime.FIRMWARE / "main.py").read_bytes())
                put(fs, "board.json", (self.board_path / "board.json").read_bytes())
                write_default_prompts(fs)
                if self.site is not None:
                    install(fs, self.site, self.board_name)
            self.data = Pty()
            self.repl = Pty()
            self._term = Pty(isig=True)
            self.model = BoardModel(self.board_def, self.sock_dir, self.data.master, self.noise, self.seed,
                                    clock=self.clock, epoch=self.epoch)
            if self.site is not None:
                self.model.network.use_site_plans(self.site)
            if self.fault_rate:
                seed = self.seed
                self.model.faults = {
                    "to_host": Faults(self.fault_rate, seed),
                    "to_board": Faults(self.fault_rate, None if seed is None else seed + 1),
                }
            self.model.start()
            if self.tcp_port is not None:
                from .tcp import TcpBridge

                self.tcp = TcpBridge(self.data.path, self.tcp_port).start()
            self._spawn()
            self._bridge = threading.Thread(target=self._run_bridge, name="repl-bridge", daemon=True)
            self._bridge.start()
            if not self.safe_mode() and not self.model.wait_firmware(timeout):
                raise FirmwareError(f"firmware did not start in {timeout:g} s:\n{self.console()}")
        except BaseException:
            self.close()
            raise
        return self

    def safe_mode(self) -> bool:
        """The firmware will not start its app (docs/virtual-board.md, boot escape)."""
        return self.fs.exists("safe") or bool(os.environ.get("CALLGATE_SAFE"))

    @contextlib.contextmanager
    def powered_off(self, timeout: float = 10.0, wait: bool = True):
        """The board off, its flash image mounted on the host and yielded (a LittleFS from
        flash.py: write with flash.put(fs, name, data), fs.remove...), saved, and the board
        powered on again at the end; waits for the new firmware's hello (wait, and not in safe
        mode)."""
        self._held.set()
        try:
            while True:
                p = self.proc
                old = self.kill_firmware()
                p.wait(timeout=5)
                time.sleep(0.1)  # a restart the bridge had already begun
                if self.proc is p:
                    break
            with self.fs.edit() as fs:
                yield fs
        finally:
            self._held.clear()
        deadline = time.monotonic() + timeout
        while self.proc.pid == old and time.monotonic() < deadline:
            time.sleep(0.01)
        if wait and not self.safe_mode() and not self.wait_restart(old, max(0.1, deadline - time.monotonic())):
            raise FirmwareError(f"firmware did not start again:\n{self.console()}")

    def _spawn(self, run_main: bool = True) -> None:
        env = dict(os.environ)
        env["MICROPYPATH"] = f"{runtime.FIRMWARE}:.frozen"
        env["CALLGATE_SIM"] = self.sock_dir
        env["CALLGATE_FLASH"] = str(self.flash.resolve())
        env["CALLGATE_RUN_MAIN"] = "1" if run_main else "0"
        slave = self._term.slave
        self.proc = subprocess.Popen(
            [runtime.micropython(), "-i", str(BOOT)],
            cwd=self.sock_dir,
            env=env,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            start_new_session=True,
            preexec_fn=_take_terminal,
        )

    def _run_bridge(self) -> None:
        """Copy the firmware's terminal to the REPL pty and back; restart after an exit."""
        term, repl = self._term.master, self.repl.master
        while not self._stop.is_set():
            try:
                ready, _, _ = select.select([term, repl], [], [], 0.2)
            except (OSError, ValueError):
                return
            if term in ready:
                data = _read(term)
                if data:
                    self._keep(data)
                    _write(repl, data)
                    self._watch_prompts(data)
            if repl in ready:
                data = _read(repl)
                if data:
                    _write(term, data)
            if (self.proc is not None and self.proc.poll() is not None and not self._stop.is_set()
                    and not self._held.is_set()):
                time.sleep(0.05)
                data = _read(term)  # whatever it printed last
                if data:
                    self._keep(data)
                    _write(repl, data)
                _write(repl, b"MPY: soft reboot\r\n")
                self.restarts += 1
                self._want_raw = self._raw
                self._spawn(run_main=not self._raw)

    def _watch_prompts(self, data: bytes) -> None:
        raw_at = data.rfind(b"raw REPL; CTRL-B to exit")
        friendly_at = data.rfind(b">>> ")
        if raw_at > friendly_at:
            self._raw = True
        elif friendly_at >= 0:
            self._raw = False
            if self._want_raw:
                self._want_raw = False
                _write(self._term.master, b"\x01")

    def _keep(self, data: bytes) -> None:
        with self._lock:
            self._console.extend(data)
            del self._console[:-8192]

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._stop.set()
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)  # its own session: only what we started
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=3)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=3)
        if self._bridge is not None:
            self._bridge.join(timeout=2)
        if self.tcp is not None:
            self.tcp.close()
        if self.model is not None:
            self.model.stop()
        for p in (self.data, self.repl, self._term):
            if p is not None:
                p.close()
        shutil.rmtree(self._tmp, ignore_errors=True)
        atexit.unregister(self.close)

    def __enter__(self) -> "VirtualBoard":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()


def _take_terminal() -> None:
    # In the child, after setsid(): make stdin (the pty slave) the controlling terminal, so
    # ISIG turns 0x03 into SIGINT for the firmware, as a board's USB REPL does.
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def _read(fd: int) -> bytes:
    try:
        return os.read(fd, 4096)
    except (BlockingIOError, OSError):
        return b""


def _write(fd: int, data: bytes) -> None:
    try:
        os.write(fd, data)
    except (BlockingIOError, OSError):
        pass  # nobody is reading that port: dropped, like a USB CDC with no host


def is_mcu_board(board: str) -> bool:
    """True for an emulated MCU board (board.json "hal": "mcu" and a MicroPython board folder,
    boards/qemu-m4f): `callgate sim` and the rig run it in QEMU (callgate.mcu.board)."""
    folder = runtime.board_dir(board)
    try:
        board_def = json.loads((folder / "board.json").read_text())
    except (OSError, ValueError):
        return False
    return board_def.get("hal") == "mcu" and (folder / "mpconfigboard.mk").is_file()


def start_board(board: str, clock: float = 1.0, epoch=None, flash=None, site=None, **virtual):
    """A started board of either kind: McuSimBoard for an emulated MCU board (its line cards
    capped at `clock` times real time; `virtual` options do not apply to it), else
    VirtualBoard(board, clock=..., epoch=..., flash=..., site=..., **virtual). `site`: a Site
    written into the flash before the board boots."""
    if is_mcu_board(board):
        given = sorted(k for k, v in virtual.items() if v)
        if given:
            raise ValueError(f"{board} is an emulated MCU board: {', '.join(given)} apply to the virtual board only")
        from ..mcu.board import McuSimBoard

        return McuSimBoard(board, flash=flash, clock=clock, epoch=epoch, site=site).start()
    return VirtualBoard(board, clock=clock, epoch=epoch, flash=flash, site=site, **virtual).start()
