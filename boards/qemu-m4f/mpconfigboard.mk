# MicroPython qemu-port board: the callgate gateway MCU on QEMU's mps2-an386 (Cortex-M4F).
# Used as BOARD_DIR by `make firmware BOARD=qemu-m4f` (tools/mcu-firmware.sh); paths below
# are relative to this folder, so it builds from any MicroPython checkout of the same commit.
CALLGATE_BOARD_DIR := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))

QEMU_ARCH = arm
QEMU_MACHINE = mps2-an386

# The part this board stands for (README.md here): a Cortex-M4 with single-precision FPU.
CFLAGS += -mthumb -mcpu=cortex-m4 -mfpu=fpv4-sp-d16 -mfloat-abi=hard
CFLAGS += -DQEMU_SOC_MPS2
CFLAGS += -DMICROPY_HW_MCU_NAME='"Cortex-M4F"'
# Board configuration: this folder's header includes the port's and overrides it
# (asyncio on); see mpconfigboard.h.
CFLAGS += -DMP_CONFIGFILE='"$(CALLGATE_BOARD_DIR)/mpconfigboard.h"'

MICROPY_FLOAT_IMPL = float
SUPPORTS_HARDWARE_FP_SINGLE = 1

# RAM like the part's: 192 KiB in all. The MicroPython heap takes 144 KiB and the C stack
# 16 KiB; MicroPython's own static state is under 1 KiB, and the rest (about 31 KiB) is kept
# for what a real board adds in C: the PCM DMA buffers and the line-card drivers' state.
# Flash: 1 MiB. The image takes the first 512 KiB (m4f.ld), the two ROMFS partitions a deploy
# writes (board.c, docs/deploy.md) 256 KiB each above it, as the part's sectors 8-9 and 10-11.
MICROPY_HW_ROMFS_PART0_START = 0x00080000
MICROPY_HW_ROMFS_PART0_SIZE = 0x00040000
MICROPY_HW_ROMFS_PART1_START = 0x000C0000
MICROPY_HW_ROMFS_PART1_SIZE = 0x00040000
MICROPY_HEAP_SIZE = 147456
MICROPY_STACK_SIZE = 16384
LDSCRIPT = $(CALLGATE_BOARD_DIR)/m4f.ld

# Persistent flash: LittleFS2 over a semihosting file (board.c).
MICROPY_VFS_LFS2 = 1
SRC_C += $(CALLGATE_BOARD_DIR)/board.c
# time.gmtime / localtime / mktime (mpconfigboard.h)
SRC_C += shared/timeutils/timeutils.c
INC += -I$(CALLGATE_BOARD_DIR)

SRC_BOARD_O = shared/runtime/gchelper_native.o shared/runtime/gchelper_thumb2.o

MPY_CROSS_FLAGS += -march=armv7emsp

# machine.reset(): the port's exits QEMU (semihosting); the board resets the core instead
# (board.c, __wrap_exit: SYSRESETREQ), as the part does, so a deploy's restart comes back up.
LDFLAGS += --wrap=exit
