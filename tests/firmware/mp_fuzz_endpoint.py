# The board's link endpoint under fuzzing, run by MicroPython (test_fuzz_on_micropython.py).
# Reads chunks from stdin as <u32 big-endian length><bytes>, feeds each to Endpoint.receive()
# and answers <u32 length><the frames it produced>. At the end of its input it prints the
# endpoint's counters on stderr and exits 0. Any exception escaping receive() kills it.

import sys

from callgate.link.endpoint import Endpoint

stdin = sys.stdin.buffer
stdout = sys.stdout.buffer


def read_exact(n):
    buf = bytearray()
    while len(buf) < n:
        b = stdin.read(n - len(buf))
        if not b:
            return None
        buf.extend(b)
    return bytes(buf)


ep = Endpoint({"board": "fuzz"})
while True:
    head = read_exact(4)
    if head is None:
        break
    n = int.from_bytes(head, "big")
    data = read_exact(n)
    if data is None:
        break
    out = b"".join(ep.receive(data))
    stdout.write(len(out).to_bytes(4, "big"))
    stdout.write(out)
sys.stderr.write("fuzz: %r\n" % (ep.stats(),))
