"""The board's firmware package under one name on both runtimes that run the shared tests.

On the board, and under MicroPython here (MICROPYPATH=firmware:tests/firmware), the firmware is
the top-level package `callgate`; on CPython it is part of the host package as
`callgate.firmware`. A shared test names a firmware module by its path inside the package:

    import fw

    messages = fw.module("link.messages")
    Ports = fw.module("ports").Ports
"""

import sys

PACKAGE = "callgate" if sys.implementation.name == "micropython" else "callgate.firmware"


def module(name):
    """The firmware module at name ("ports", "link.messages"), imported."""
    full = PACKAGE + "." + name
    __import__(full)
    return sys.modules[full]
