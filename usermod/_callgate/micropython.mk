# _callgate for MicroPython's make-based ports (qemu, unix, stm32, rp2 via make, ...):
#   make USER_C_MODULES=/path/to/callgate/usermod ...
# The binding, plus every C file of the DSP core as it is in c_src/ (a wildcard, so a file
# added or split there needs no change here).
CALLGATE_MOD_DIR := $(USERMOD_DIR)
CALLGATE_ROOT := $(abspath $(CALLGATE_MOD_DIR)/../..)

SRC_USERMOD_C += $(CALLGATE_MOD_DIR)/mod_callgate.c
SRC_USERMOD_LIB_C += $(wildcard $(CALLGATE_ROOT)/c_src/*.c)

CFLAGS_USERMOD += -I$(CALLGATE_ROOT)/c_src/include -I$(CALLGATE_ROOT)/c_src/gen
# Float results as on the host (x86-64 does not fuse multiply-adds): no fused multiply-add.
CFLAGS_USERMOD += -ffp-contract=off
