# Frozen into the qemu-m4f image (make firmware BOARD=qemu-m4f passes this file as
# FROZEN_MANIFEST). Paths are relative to this file; $(MPY_DIR) is the MicroPython source.
metadata(description="callgate firmware for the qemu-m4f gateway MCU", version="0.1.0")

# asyncio: the port turns it off; mpconfigboard.h turns the C half on, this is the Python half.
include("$(MPY_DIR)/extmod/asyncio")

# The board's boot script: mount the flash (board.c runs it).
module("_boot.py", opt=3)

# The firmware. Once firmware/manifest.py exists (hal.py split into a facade and one backend
# per kind of board), it freezes the package with only the MCU backend (board.json "hal");
# until then the package is frozen whole, hal.py's virtual-board code (its socket Board,
# FileBlockDev) included.
import os

if os.path.isfile("../../firmware/manifest.py"):
    include("../../firmware", hal="mcu")
else:
    package("callgate", base_path="../../firmware", opt=3)
    module("main.py", base_path="../../firmware", opt=3)
