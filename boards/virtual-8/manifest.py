# What a frozen build of the virtual board holds: a Unix-port build made with
# FROZEN_MANIFEST=boards/virtual-8/manifest.py. The PyPI micropython-unix binary the virtual
# board runs cannot freeze modules, so `callgate sim` runs the same files from source
# (MICROPYPATH=firmware); tests/firmware/test_mpy_cross.py checks they all compile.
# Paths are relative to this file.
metadata(description="callgate firmware for the virtual board", version="0.1.0")
package("callgate", base_path="../../firmware", opt=3)
module("main.py", base_path="../../firmware", opt=3)
