"""A faulty wire for the virtual board's data UART: bytes corrupted, dropped and duplicated.

    f = Faults(rate=0.01, seed=1)      # 1 % of bytes hit, each by one of the three faults
    data = f.apply(data)               # what the other side receives instead
    f.stats                            # {"bytes", "corrupted", "dropped", "duplicated"}

What a real serial line does to a protocol: a corrupted byte (a bit flipped, as by noise), a
dropped byte (a UART overrun, a FIFO full), a duplicated byte (a USB-UART bridge resending a
packet). The board model (model.py) passes every chunk of the data UART through one of these,
in each direction, when the sim runs with `--fault-rate R`.

Faults are drawn per byte with probability `rate`; the gap to the next fault is drawn from the
geometric distribution, so a clean stretch costs no per-byte Python. A seeded Random makes a
run repeatable.
"""

import math
import random

KINDS = ("corrupt", "drop", "dup")


class Faults:
    def __init__(self, rate: float, seed=None, kinds=KINDS):
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"fault rate must be from 0 to 1, not {rate!r}")
        unknown = set(kinds) - set(KINDS)
        if unknown or not kinds:
            raise ValueError(f"fault kinds are {', '.join(KINDS)}; not {sorted(unknown) or kinds!r}")
        self.rate = rate
        self.kinds = tuple(kinds)
        self.stats = {"bytes": 0, "corrupted": 0, "dropped": 0, "duplicated": 0}
        self._rng = random.Random(seed)
        self._gap = self._draw_gap()  # clean bytes before the next fault

    def _draw_gap(self) -> int:
        if self.rate <= 0.0:
            return -1  # never
        if self.rate >= 1.0:
            return 0
        u = 1.0 - self._rng.random()  # (0, 1]
        return int(math.log(u) / math.log1p(-self.rate))

    def apply(self, data: bytes) -> bytes:
        n = len(data)
        self.stats["bytes"] += n
        if self._gap < 0 or self._gap >= n:
            if self._gap > 0:
                self._gap -= n
            return data
        out = bytearray()
        i = 0
        while 0 <= self._gap < n - i:
            j = i + self._gap
            out += data[i:j]
            b = data[j]
            kind = self._rng.choice(self.kinds)
            if kind == "corrupt":
                out.append(b ^ (1 << self._rng.randrange(8)))
                self.stats["corrupted"] += 1
            elif kind == "dup":
                out.append(b)
                out.append(b)
                self.stats["duplicated"] += 1
            else:
                self.stats["dropped"] += 1
            i = j + 1
            self._gap = self._draw_gap()
        if self._gap > 0:
            self._gap -= n - i
        out += data[i:]
        return bytes(out)
