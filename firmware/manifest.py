# The callgate firmware as a board image freezes it: main.py, the callgate package, and ONE
# HAL backend (hal.py's hal_<name>.py), so an MCU image holds no virtual-board code. A board's
# manifest includes this folder naming its backend, the same name as its board.json "hal":
#
#   include("../../firmware", hal="mcu")
#
# Run by MicroPython's build (tools/manifestfile.py), which makes this folder the current one;
# tests/firmware/test_mpy_cross.py runs it the same way. Every other file of the package is
# frozen, so a new module needs no edit here.

import os

options.defaults(hal=None)
_BACKENDS = ("virtual", "mcu")
if options.hal not in _BACKENDS:
    raise ValueError("firmware/manifest.py: hal=%r, not one of %s" % (options.hal, ", ".join(_BACKENDS)))

_files = []
for _dir, _, _names in os.walk("callgate"):
    for _name in _names:
        if not _name.endswith(".py"):
            continue
        _rel = os.path.relpath(os.path.join(_dir, _name), "callgate")
        if _rel.startswith("hal_") and _rel != "hal_%s.py" % options.hal:
            continue  # another board's backend
        _files.append(_rel)

package("callgate", files=sorted(_files), opt=3)
module("main.py", opt=3)
