# The single door to hardware. Nothing else in the application imports machine, opens a
# socket or reads a pin: it asks this module for
#
#   board_def()   the board definition (board.json in the flash root: ports, cards, pins)
#   boot_escape() True if the app must not start (a board is never bricked by its app)
#   connect()     a connected Board: .uart (StreamReader/Writer of the data UART, the host
#                 link), await .line() (the next line-card report, a dict), await
#                 .do(cmd) (a line-card command), .tell(msg), .close(), and the line cards'
#                 clock: .now_ms() (ticks, ms), .epoch_ms(now) (Unix ms), .rate (times real
#                 time: the virtual board's lines may run faster), .clock_known (the first
#                 clock report came: until then epoch_ms() is a guess)
#   prompt_dir(d) where play finds prompts/NAME.wav (the active site's folder)
#
# Line-card commands and reports, and their fields: linecard.py. A backend's own reports
# (the virtual board's clock) set the Board's clock and never reach the application.
#
# One backend per kind of board, named by board.json "hal" and frozen alone by the board's
# manifest (firmware/manifest.py), so an MCU image holds no virtual-board code:
#
#   "virtual"  hal_virtual.py: the board model's UNIX sockets ($CALLGATE_SIM) and the flash
#              image (mount_flash); the Unix port (docs/virtual-board.md)
#   "mcu"      hal_mcu.py: machine.UART and the C user module _callgate over the board's
#              line-card bus (docs/hardware.md)
#
# A board.json without "hal" (an older flash) gets "virtual" on the Unix port, "mcu" elsewhere.

import json
import os
import sys

BOARD_FILE = "board.json"
SAFE_FILE = "safe"  # in the flash root: stay in the REPL (delete it to run the app again)
BACKENDS = ("virtual", "mcu")

_board = None


def board_def():
    global _board
    if _board is None:
        with open(BOARD_FILE) as f:
            _board = json.load(f)
    return _board


def backend_name(board=None):
    """The HAL backend the board names (board.json "hal")."""
    if board is None:
        board = board_def()
    name = board.get("hal")
    if name is None:
        return "virtual" if sys.platform in ("linux", "darwin") else "mcu"
    if name not in BACKENDS:
        raise ValueError("board.json hal %r: not a HAL backend (%s)" % (name, ", ".join(BACKENDS)))
    return name


def backend(board=None):
    """The backend module (imported only when asked for: an image freezes one of them)."""
    if backend_name(board) == "virtual":
        from . import hal_virtual as b
    else:
        from . import hal_mcu as b
    return b


def boot_escape():
    """True if the application must not start: the safe-mode file exists, or the backend's
    escape (the board's escape key held at boot; $CALLGATE_SAFE on the Unix port)."""
    try:
        os.stat(SAFE_FILE)
        return True
    except OSError:
        pass
    try:
        board = board_def()
    except (OSError, ValueError):  # no readable board.json: the app cannot start either
        return False
    return backend(board).boot_escape(board)


async def connect():
    return await backend().connect()


def largest_free():
    """The heap's largest free block in bytes, where the board can tell (None elsewhere)."""
    return backend().largest_free()


_prompts = "prompts/"


def prompt_dir(folder):
    """Play prompts from FOLDER/prompts/ (a site's folder), or from prompts/ (None)."""
    global _prompts
    _prompts = (folder.rstrip("/") + "/prompts/") if folder else "prompts/"


def prompt_file(name):
    """(path, size) of prompts/NAME.wav in the flash, or None (the line card then reports the
    error)."""
    if not isinstance(name, str) or not name or "/" in name or name.startswith("."):
        return None
    path = _prompts + name + ".wav"
    try:
        return path, os.stat(path)[6]
    except OSError:
        return None
