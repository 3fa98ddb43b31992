"""The board model's clock: how fast it runs and the date it starts at.

The line cards (linecards.py) run frames `clock` times faster than real time; `epoch` is the
Unix time at model time 0, which the firmware dates its call records with (the `clock`
reports). `callgate sim --epoch`, a rig plan's `epoch:` and the demos give it as text:
parse_epoch().
"""

import datetime
import math


def parse_epoch(text: str) -> float:
    """ISO 8601 date and time (UTC when it has no offset), or Unix seconds -> Unix seconds;
    ValueError naming the text otherwise."""
    try:
        seconds = float(text)
    except (TypeError, ValueError):
        pass
    else:
        if not math.isfinite(seconds):
            raise ValueError(f"not a time: {text!r} (Unix seconds, or ISO 8601 such as 2026-11-23T10:00+08:00)")
        return seconds
    try:
        t = datetime.datetime.fromisoformat(text)
    except (TypeError, ValueError):
        raise ValueError(f"not an ISO 8601 date and time: {text!r} (e.g. 2026-11-23T10:00+08:00)") from None
    if t.tzinfo is None:
        t = t.replace(tzinfo=datetime.timezone.utc)
    return t.timestamp()


def check_clock(clock) -> float:
    """The clock factor: a number > 0."""
    if isinstance(clock, bool) or not isinstance(clock, (int, float)) or not clock > 0:
        raise ValueError(f"clock must be > 0, not {clock!r}")
    return float(clock)


def check_epoch(epoch):
    """Unix seconds (a number) or None (now)."""
    if epoch is not None and (isinstance(epoch, bool) or not isinstance(epoch, (int, float))):
        raise ValueError(f"epoch must be Unix seconds (a number) or None, not {epoch!r}")
    return epoch
