# Frozen into the qemu-m4f image (make firmware BOARD=qemu-m4f passes this file as
# FROZEN_MANIFEST). Paths are relative to this file; $(MPY_DIR) is the MicroPython source.
metadata(description="callgate firmware for the qemu-m4f gateway MCU", version="0.1.0")

# asyncio: the port turns it off; mpconfigboard.h turns the C half on, this is the Python half.
include("$(MPY_DIR)/extmod/asyncio")

# The board's boot script: mount the flash (board.c runs it).
module("_boot.py", opt=3)

# The firmware. firmware/callgate/hal.py still carries the virtual board's code (its socket
# Board, FileBlockDev) beside the hardware door; it is frozen whole until hal.py is split
# into a facade and backends, and then only the facade and this board's backend are.
package("callgate", base_path="../../firmware", opt=3)
module("main.py", base_path="../../firmware", opt=3)
