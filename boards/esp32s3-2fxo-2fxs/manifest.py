# Frozen into the ESP32-S3 image (mpconfigboard.cmake points MICROPY_FROZEN_MANIFEST here).
# Paths are relative to this file. The line-card drivers and the DSP core are a C user
# module (docs/hardware.md), not Python; the HAL backend is the MCU one (board.json "hal"),
# so no virtual-board code is frozen.
include("$(PORT_DIR)/boards/manifest.py")
metadata(description="callgate firmware for the ESP32-S3 2FXO+2FXS gateway", version="0.1.0")
include("../../firmware", hal="mcu")
