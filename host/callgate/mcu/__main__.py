"""python -m callgate.mcu [WORKDIR]: the MCU image in QEMU, by hand.

Builds it if needed (make firmware), starts it with its flash in WORKDIR (default
build/mcu/run), prints the three ptys and waits; Ctrl-C stops QEMU (the flash stays).
"""

import signal
import sys
import time

from .qemu import ROOT, McuError, QemuBoard, build_firmware


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def main(argv=None) -> int:
    signal.signal(signal.SIGTERM, _interrupt)  # stopped like Ctrl-C: QEMU stops with it
    try:
        return _run(sys.argv[1:] if argv is None else argv)
    except KeyboardInterrupt:
        return 130


def _run(argv) -> int:
    workdir = argv[0] if argv else ROOT / "build" / "mcu" / "run"
    try:
        elf = build_firmware()
        board = QemuBoard(workdir, elf=elf)
        board.start()
    except McuError as e:
        print(f"callgate.mcu: {e}", file=sys.stderr)
        return 1
    print(f"REPL (UART0)          {board.repl}    mpremote connect {board.repl}")
    print(f"data UART (UART1)     {board.data}")
    print(f"line-card bus (UART2) {board.bus}")
    print(f"flash                 {board.flash.path}")
    try:
        while board.proc.poll() is None:
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        board.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
