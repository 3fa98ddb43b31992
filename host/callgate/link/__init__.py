"""The host's end of the link: client.py (requests, retries, events) and files.py (files on
the board over the link).

The protocol itself is written once, in the board's package (firmware/callgate/link/), in the
Python subset MicroPython and CPython share; on the host it is callgate.firmware.link
(callgate.firmware.link.frame, .messages, .errors...), the very files the board runs, imported
from this package's modules by name. docs/link.md.
"""
