"""Where the firmware's runtime, tools and files are: the MicroPython Unix port, mpy-cross,
the firmware tree, the board folders and the demo site; the one place their paths are computed
and commands looked up, for the virtual board, deployment and the site checks alike.

The two commands come from PyPI packages listed in pyproject.toml and install next to the
interpreter running callgate (a venv's bin/). The files are found in one of two layouts, by
where the firmware package `callgate.firmware` was imported from:

  - a checkout (the editable install, `make setup`): the package is firmware/callgate, so the
    tree's firmware/, boards/ and sites/ are used as they are (ROOT is the checkout);
  - an installed wheel: the package is callgate/firmware inside the host package, and the
    wheel's callgate/share/ holds boards/, firmware/main.py and firmware/manifest.py, and
    sites/demo/ (setup.py puts them there). The board imports its package as `callgate`, so
    FIRMWARE is then a folder made for this process, of links named main.py, manifest.py and
    callgate to the installed files.

FIRMWARE is a firmware tree as the board sees it (main.py, the package callgate/, and
manifest.py, which says what of the package a board holds): MICROPYPATH for the virtual board,
the source of a deploy bundle. BOARDS holds the board
folders, SITES the sites shipped with callgate (demo/).
"""

import atexit
import os
import pathlib
import shutil
import sys
import tempfile
from importlib import resources

from . import firmware

PACKAGE = pathlib.Path(firmware.__file__).resolve().parent  # the firmware package's folder
_CHECKOUT = PACKAGE.name == "callgate" and (PACKAGE.parent / "main.py").is_file()
ROOT = PACKAGE.parents[1] if _CHECKOUT else None  # the checkout, None in an installed wheel
SHARE = ROOT if _CHECKOUT else pathlib.Path(str(resources.files("callgate") / "share"))
BOARDS = SHARE / "boards"
SITES = SHARE / "sites"
DEMO_SITE = SITES / "demo" / "site.yaml"
DEMO_CAMPAIGN = SHARE / "campaigns" / "autumn-survey.yaml"

_tree = None


def firmware_tree() -> pathlib.Path:
    """The firmware as the board sees it: a folder holding main.py and the package callgate/."""
    global _tree
    if ROOT is not None:
        return ROOT / "firmware"
    if _tree is None:
        tree = pathlib.Path(tempfile.mkdtemp(prefix="callgate-firmware-"))
        atexit.register(shutil.rmtree, tree, True)  # the links only, never what they point to
        os.symlink(PACKAGE, tree / "callgate", target_is_directory=True)
        for name in ("main.py", "manifest.py"):
            os.symlink(SHARE / "firmware" / name, tree / name)
        _tree = tree
    return _tree


def __getattr__(name):
    if name == "FIRMWARE":  # made on first use: most commands never need it
        return firmware_tree()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class ToolMissing(OSError):
    """A command callgate needs is not installed."""


def tool(name: str) -> str:
    """Path of a command installed beside this interpreter, else on PATH."""
    here = pathlib.Path(sys.executable).parent / name
    if here.is_file() and os.access(here, os.X_OK):
        return str(here)
    found = shutil.which(name)
    if found is None:
        raise ToolMissing(f"{name} is not installed (callgate's dependencies bring it: run `make setup` in a "
                          "checkout, else install callgate again)")
    return found


def micropython() -> str:
    return tool("micropython")


def mpy_cross() -> str:
    return tool("mpy-cross")


def board_dir(name: str) -> pathlib.Path:
    path = BOARDS / name
    if not (path / "board.json").is_file():
        known = sorted(p.name for p in BOARDS.iterdir() if (p / "board.json").is_file())
        raise ValueError(f"no board {name!r} (boards: {', '.join(known)})")
    return path
