# The callgate firmware as a board image freezes it: main.py, the callgate package, and ONE
# HAL backend (hal.py's hal_<name>.py), so an MCU image holds no virtual-board code. A board's
# manifest includes this folder naming its backend, the same name as its board.json "hal":
#
#   include("../../firmware", hal="mcu")
#
# Run by MicroPython's build (tools/manifestfile.py), which makes this folder the current one;
# tests/firmware/test_mpy_cross.py runs it the same way. Every other file of the package is
# frozen, so a new module needs no edit here. callgate_files() is the rule, and the host's
# deploy bundles (host/callgate/deploy/bundle.py) load this file to put the same files in a
# slot: run without MicroPython's `options` it only defines the function.

import os

BACKENDS = ("virtual", "mcu")


def callgate_files(package, hal):
    """The package's .py files (paths relative to `package`, sorted) a board with HAL backend
    `hal` holds: all of them but the other backends."""
    if hal not in BACKENDS:
        raise ValueError("firmware/manifest.py: hal=%r, not one of %s" % (hal, ", ".join(BACKENDS)))
    files = []
    for folder, _, names in os.walk(package):
        for name in names:
            if not name.endswith(".py"):
                continue
            rel = os.path.relpath(os.path.join(folder, name), package).replace(os.sep, "/")
            if rel.startswith("hal_") and rel != "hal_%s.py" % hal:
                continue  # another board's backend
            files.append(rel)
    return sorted(files)


if "options" in globals():  # MicroPython's build
    options.defaults(hal=None)
    package("callgate", files=callgate_files("callgate", options.hal), opt=3)
    module("main.py", opt=3)
