# The virtual board's boot: MicroPython code, run as `micropython -i _boot.py` (never imported
# by CPython). It stands in for a board's frozen _boot.py: mount the flash (the LittleFS2 image
# named by $CALLGATE_FLASH, at /flash, made the current folder), then run the flash's main.py
# as a board does after _boot.py. $CALLGATE_RUN_MAIN=0 mounts only (the restart after a soft
# reset from the raw REPL, which does not run main.py). It lives outside the image and outside
# firmware/ (not a firmware file: on hardware the port's own _boot.py does this).
import os
import sys

from callgate import hal_virtual

hal_virtual.mount_flash()
# main.py picks a slot before anything of callgate is imported: forget the frozen package
# this mount needed, so that a slot's own callgate package can win.
for _m in [m for m in sys.modules if m == "callgate" or m.startswith("callgate.")]:
    del sys.modules[_m]
del hal_virtual
sys.path[0] = "/flash"  # the script's folder, as when main.py was run from the flash
if os.getenv("CALLGATE_RUN_MAIN") != "0":
    try:
        with open("main.py") as _f:
            _src = _f.read()
    except OSError:
        _src = None  # no main.py in the flash: straight to the REPL, as on a board
    if _src is not None:
        exec(_src, globals())
    del _src
