"""argparse `type=` checks for the command line: each turns the text into a value or refuses
it with a message naming the value and what it must be (argparse adds the option's name):

    p.add_argument("--tcp", type=validate.port)               # 1..65535
    p.add_argument("--noise", type=validate.probability)      # 0..1
    p.add_argument("--seconds", type=validate.number(above=0))
    p.add_argument("--count", type=validate.whole(least=1))
"""

import argparse
import math


def _float(text: str) -> float:
    try:
        x = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(x):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
    return x


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None


def number(above=None, least=None, most=None, unit: str = ""):
    """A finite float: > above, >= least, <= most (each if given)."""
    def check(text: str) -> float:
        x = _float(text)
        _bounds(text, x, above, least, most, unit)
        return x
    check.__name__ = "number"
    return check


def whole(least=None, most=None, unit: str = ""):
    """An int: >= least, <= most (each if given)."""
    def check(text: str) -> int:
        x = _int(text)
        _bounds(text, x, None, least, most, unit)
        return x
    check.__name__ = "whole number"
    return check


def _bounds(text, x, above, least, most, unit) -> None:
    u = f" {unit}" if unit else ""
    if above is not None and not x > above:
        raise argparse.ArgumentTypeError(f"{text} must be more than {above:g}{u}")
    if least is not None and most is not None and not least <= x <= most:
        raise argparse.ArgumentTypeError(f"{text} is out of range: {least:g}..{most:g}{u}")
    if least is not None and x < least:
        raise argparse.ArgumentTypeError(f"{text} must be at least {least:g}{u}")
    if most is not None and x > most:
        raise argparse.ArgumentTypeError(f"{text} must be at most {most:g}{u}")


def port(text: str) -> int:
    """A TCP port number, 1..65535."""
    x = _int(text)
    if not 1 <= x <= 65535:
        raise argparse.ArgumentTypeError(f"{text} is not a TCP port (1..65535)")
    return x


def probability(text: str) -> float:
    """A probability, 0..1."""
    x = _float(text)
    if not 0.0 <= x <= 1.0:
        raise argparse.ArgumentTypeError(f"{text} is not a probability (0..1)")
    return x


def milliseconds(text: str) -> int:
    """A duration in whole milliseconds, >= 0."""
    return whole(least=0, unit="ms")(text)


def seconds(text: str) -> float:
    """A duration in seconds, > 0."""
    return number(above=0, unit="s")(text)


def digits(allowed: str, what: str):
    """Text made only of the characters in allowed (e.g. DTMF digits)."""
    def check(text: str) -> str:
        bad = sorted({c for c in text if c not in allowed})
        if bad:
            raise argparse.ArgumentTypeError(f"{text!r} has {', '.join(map(repr, bad))}: {what}")
        return text
    check.__name__ = "digits"
    return check
