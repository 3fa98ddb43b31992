"""The emulated MCU board as `callgate sim --board qemu-m4f` runs it: the image in QEMU
(qemu.py) with the host's simulated line cards on its line-card bus (sim/bus.py).

    with McuSimBoard() as b:          # builds the image if needed (make firmware), boots it
        b.data_port                   # UART1: callgate --port ... status / monitor
        b.repl_port                   # UART0: mpremote connect ...
        b.control_path                # control.sock: `callgate sim call` (sim/control.py)
        b.model.network.place_call(0, Caller(number="5551234", digits="1#"))

It has the attributes of sim.board.VirtualBoard that `callgate sim`, control.register and
the rig use (board_def, flash, fs, model, data_port, repl_port, control_path, safe_mode(),
close()). The firmware is frozen in the image; the flash (`flash`, a LittleFS2 image file
kept in `workdir`) holds board.json, the default prompt and whatever provisioning and
deploy put there; `site` (a Site) is written into it before QEMU starts (provision.install: the
demo site's 515 KB would take minutes over the emulated UART). The MCU paces the line cards (sim/bus.py): `clock` caps them at that many
times real time (None: as fast as the emulator runs them); `speed()` says how fast they ran.
"""

import atexit
import json
import pathlib
import shutil
import tempfile

from ..provision.provision import install
from ..runtime import board_dir
from ..sim.bus import BusModel, make_slots
from ..sim.linecards import write_default_prompts
from .qemu import BOARD, McuError, QemuBoard, build_firmware


class McuSimBoard:
    def __init__(self, board: str = BOARD, flash=None, clock=1.0, epoch=None, workdir=None, elf=None, site=None):
        self.board_name = board
        self.board_def = json.loads((board_dir(board) / "board.json").read_text())
        if self.board_def.get("hal") != "mcu" or not (board_dir(board) / "mpconfigboard.mk").is_file():
            raise ValueError(f"{board} is not an emulated MCU board (a board folder with mpconfigboard.mk and hal mcu)")
        self._tmp = tempfile.mkdtemp(prefix="callgate-mcu-")
        self.workdir = pathlib.Path(workdir) if workdir else pathlib.Path(self._tmp)
        self.clock = clock
        self.epoch = epoch
        self.elf = elf
        self.site = site  # a Site (site.load_site) written into the flash before boot
        self.qemu = None
        self.model = None
        self._flash = pathlib.Path(flash) if flash else None
        self._closed = False

    @property
    def data_port(self) -> str:
        return self.qemu.data

    @property
    def repl_port(self) -> str:
        return self.qemu.repl

    @property
    def control_path(self) -> str:
        return self.model.control_path

    @property
    def tcp_url(self):
        return None

    @property
    def fs(self):
        return self.qemu.flash

    @property
    def flash(self) -> pathlib.Path:
        return self.qemu.flash.path

    @property
    def proc(self):
        return self.qemu.proc

    def console(self) -> str:
        """What the firmware printed on its REPL UART (every boot of this workdir)."""
        return self.qemu.console() if self.qemu is not None else ""

    def safe_mode(self) -> bool:
        return self.fs.exists("safe")

    def speed(self) -> float:
        return self.model.audio.speed()

    def start(self, timeout: float = 60.0) -> "McuSimBoard":
        atexit.register(self.close)
        try:
            elf = self.elf or build_firmware(self.board_name)
            self.workdir.mkdir(parents=True, exist_ok=True)
            self.qemu = QemuBoard(self.workdir, elf=elf, board=self.board_name, app=True)
            if self._flash is not None:  # the caller's flash file: QEMU finds it as flash.img
                link = self.workdir / "flash.img"
                if not link.exists():
                    link.symlink_to(self._flash.resolve())
                if not self._flash.exists():
                    self._flash.parent.mkdir(parents=True, exist_ok=True)
                for n in (0, 1):  # the ROMFS partitions deploys write (board.c) stay beside it
                    rom = self.workdir / f"rom{n}.img"
                    if not rom.exists() and not rom.is_symlink():
                        rom.symlink_to(self._flash.resolve().with_name(f"{self._flash.stem}.rom{n}.img"))
            self.qemu.prepare_flash()
            with self.qemu.flash.edit() as fs:
                write_default_prompts(fs)
                if self.site is not None:
                    install(fs, self.site, self.board_name)
            slots = self._bus_slots()  # before QEMU starts: the firmware opens the file at once
            self.qemu.start()
            self.model = BusModel(self.board_def, self.qemu.bus, self._tmp, clock=self.clock, epoch=self.epoch,
                                  slots=slots)
            if self.site is not None:
                self.model.network.use_site_plans(self.site)
            self.model.start()
            if not self.safe_mode() and not self.model.wait_firmware(timeout):
                raise McuError(f"the MCU firmware did not say hello on the line-card bus in {timeout:g} s")
        except BaseException:
            self.close()
            raise
        return self

    def _bus_slots(self):
        """(path, count, size) of the RX ticks' slots file (bus.py) if the board.json in the
        flash, the one the firmware reads, asks for one; the file made, zeroed."""
        flash_def = json.loads(self.qemu.flash.read("board.json") or b"{}")
        slots = flash_def.get("uarts", {}).get("bus", {}).get("slots")
        if not slots:
            return None
        return make_slots(self.workdir / slots["file"], slots["count"], slots["size"])

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self.model is not None:
            self.model.stop()
        if self.qemu is not None:
            self.qemu.stop()
        shutil.rmtree(self._tmp, ignore_errors=True)
        atexit.unregister(self.close)

    def __enter__(self) -> "McuSimBoard":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()
