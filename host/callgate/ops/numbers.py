"""Caller numbers, normalised the same way for customer records and calls.

    normalise("+1 (555) 123-4567") -> "+15551234567"
    normalise("00 44 20 7946 0000") -> "+442079460000"
    normalise("555.1234")           -> "5551234"

Spaces, dashes, dots, slashes and brackets are dropped; a leading "00" becomes "+". What is
left must be digits, optionally after one leading "+": anything else (letters, "*", "#") is
not a number (NumberError names it). The board's caller ID numbers are digits already, so a
customer entered as "555-1234" is found for a caller whose caller ID reads 5551234.
"""

import re

_DROP = re.compile(r"[\s\-./()\[\]]")
_NUMBER = re.compile(r"\+?[0-9]{1,20}")


class NumberError(ValueError):
    """Not a phone number."""


def normalise(text) -> str:
    s = _DROP.sub("", str(text or ""))
    if s.startswith("00"):
        s = "+" + s[2:]
    if not _NUMBER.fullmatch(s):
        raise NumberError(f"{text!r} is not a phone number (digits, an optional leading + or 00, "
                          "spaces, dashes, dots and brackets)")
    return s


def lookup_key(text):
    """normalise(), or None for what is not a number (a withheld or garbled caller ID)."""
    try:
        return normalise(text)
    except NumberError:
        return None
