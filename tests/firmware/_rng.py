# A small deterministic PRNG (xorshift32) so randomised tests draw the same bytes on
# CPython and on MicroPython.


class Rng:
    def __init__(self, seed=0x2545F491):
        self.s = (seed & 0xFFFFFFFF) or 1

    def next(self):
        x = self.s
        x ^= (x << 13) & 0xFFFFFFFF
        x ^= x >> 17
        x ^= (x << 5) & 0xFFFFFFFF
        self.s = x
        return x

    def below(self, n):
        return self.next() % n

    def bytes(self, n, zeros=4):
        """n random bytes, about 1 in `zeros` a 0x00 (0 for none), so delimiters occur."""
        out = bytearray(n)
        for i in range(n):
            r = self.next()
            if zeros and r % zeros == 0:
                out[i] = 0
            else:
                out[i] = (r >> 8) & 0xFF
        return bytes(out)
