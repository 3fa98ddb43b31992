# Frozen into the qemu-m4f image (make firmware BOARD=qemu-m4f passes this file as
# FROZEN_MANIFEST). Paths are relative to this file; $(MPY_DIR) is the MicroPython source.
metadata(description="callgate firmware for the qemu-m4f gateway MCU", version="0.1.0")

# asyncio: the port turns it off; mpconfigboard.h turns the C half on, this is the Python half.
include("$(MPY_DIR)/extmod/asyncio")

# The board's boot script: mount the flash (board.c runs it).
module("_boot.py", opt=3)

# The firmware: main.py and the callgate package with only the MCU HAL backend (board.json
# "hal": "mcu"), so the image holds no virtual-board code.
include("../../firmware", hal="mcu")
