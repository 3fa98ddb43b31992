"""Argument checks shared by the dsp modules: every bad value is a ValueError naming it.

The C core checks its configurations again; these checks turn a bad Python value into a clear
message before it reaches C (where a float NaN or an out-of-range int would be refused, or
silently truncated by cffi).
"""

import math
import numbers

from callgate._dsp import lib

LAWS = {"ulaw": lib.CG_LAW_ULAW, "alaw": lib.CG_LAW_ALAW}


def choice(table: dict, value, what: str):
    """table[value]; ValueError listing the keys for a value that is not one (or unhashable)."""
    try:
        return table[value]
    except (KeyError, TypeError):
        raise ValueError(f"{what} must be one of {', '.join(map(str, table))}, "
                         f"not {value!r}") from None


def law_value(law) -> int:
    """The C constant for "ulaw" or "alaw"."""
    return choice(LAWS, law, "law")


def number(name: str, value, lo: float, hi: float) -> float:
    """A finite real (not a bool) within lo..hi, as a float."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a number, not {value!r}")
    value = float(value)
    if not math.isfinite(value) or not lo <= value <= hi:
        raise ValueError(f"{name} must be between {lo:g} and {hi:g}, not {value:g}")
    return value


def whole(name: str, value, lo: int, hi: int) -> int:
    """A whole number within lo..hi (5 and 5.0 alike), as an int."""
    value = number(name, value, lo, hi)
    if value != int(value):
        raise ValueError(f"{name} must be a whole number, not {value:g}")
    return int(value)
