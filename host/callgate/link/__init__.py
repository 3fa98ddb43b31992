"""callgate.link on the host: the board's own link modules, plus the host-only client.

The protocol is written once, in firmware/callgate/link/, in the Python subset MicroPython and
CPython share. This package adds that folder to its ``__path__``, so ``callgate.link.frame``,
``callgate.link.codec``... are the very files the board runs, and their relative imports work
on both sides. Host-only modules (client.py) live here. This needs the source tree, as the
editable install (``pip install -e .``) has it; see docs/link.md.
"""

import pathlib

FIRMWARE_LINK = pathlib.Path(__file__).resolve().parents[3] / "firmware" / "callgate" / "link"

if not (FIRMWARE_LINK / "frame.py").is_file():
    raise ImportError(f"callgate.link needs the firmware sources at {FIRMWARE_LINK}")
__path__.append(str(FIRMWARE_LINK))

from .errors import (  # noqa: E402  (after the path is set)
    CobsError,
    CrcError,
    DecodeError,
    EncodeError,
    FrameError,
    FrameTooLong,
    LinkError,
    RemoteError,
)

__all__ = [
    "CobsError",
    "CrcError",
    "DecodeError",
    "EncodeError",
    "FrameError",
    "FrameTooLong",
    "LinkError",
    "RemoteError",
]
