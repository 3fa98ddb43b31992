# What a frozen build of the virtual board holds: a Unix-port build made with
# FROZEN_MANIFEST=boards/virtual-4/manifest.py. The PyPI micropython-unix binary the virtual
# board runs cannot freeze modules, so `callgate sim` runs the same files from source
# (MICROPYPATH=firmware); tests/firmware/test_mpy_cross.py checks they all compile.
# Paths are relative to this file. The HAL backend is the virtual board's (board.json "hal").
metadata(description="callgate firmware for the virtual board", version="0.1.0")
include("../../firmware", hal="virtual")
