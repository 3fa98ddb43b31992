"""Fuzz the board's link parser inside the real MicroPython process.

One `micropython` process runs mp_fuzz_endpoint.py; hypothesis (and a seeded corruption
sweep) feeds it garbage, corrupted frames and truncated frames, each time followed by a good
PING. The process must answer every PING with its echo (it is back in step) and exit 0 at
the end (nothing escaped the parser).
"""

import os
import random
import select
import subprocess
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from callgate.link import frame, messages
from callgate import runtime

HERE = os.path.dirname(os.path.abspath(__file__))


class FuzzBoard:
    def __init__(self):
        self.proc = subprocess.Popen(
            [runtime.micropython(), os.path.join(HERE, "mp_fuzz_endpoint.py")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=dict(os.environ, MICROPYPATH=str(runtime.FIRMWARE)),
        )
        self.reader = frame.Reader()
        self.rid = 0

    def send(self, data, timeout=10.0):
        """Send one chunk; return the decoded messages the board answered with."""
        self.proc.stdin.write(len(data).to_bytes(4, "big") + data)
        self.proc.stdin.flush()
        n = int.from_bytes(self._read(4, timeout), "big")
        out = self._read(n, timeout)
        return [messages.unpack(b) for b in self.reader.feed(out)]

    def ping(self, value):
        self.rid = (self.rid + 1) & 0xFFFF
        msgs = self.send(frame.encode(messages.pack(messages.REQ, self.rid, messages.OP_PING, value)))
        replies = [m for m in msgs if m[0] == messages.RSP and m[1] == self.rid]
        assert replies, msgs
        assert replies[-1][3]["echo"] == value

    def _read(self, n, timeout):
        deadline = time.monotonic() + timeout
        buf = b""
        fd = self.proc.stdout.fileno()
        while len(buf) < n:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise TimeoutError(f"board silent; stderr: {self.proc.stderr.read1(4096)!r}")
            chunk = os.read(fd, n - len(buf))
            if not chunk:
                raise EOFError(f"board died: {self.proc.stderr.read().decode()}")
            buf += chunk
        return buf

    def close(self):
        try:
            self.proc.stdin.close()
            return self.proc.wait(timeout=10)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture(scope="module")
def board():
    b = FuzzBoard()
    yield b
    assert b.close() == 0


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(junk=st.lists(st.binary(max_size=700), max_size=4))
def test_garbage_then_ping(board, junk):
    for j in junk:
        board.send(j)
    board.ping(len(junk))


def test_corrupted_and_truncated_frames(board):
    rng = random.Random(1234)
    for i in range(300):
        body = messages.pack(messages.REQ, rng.getrandbits(16), rng.choice([0, 1, 2, 3, 99]), {"i": i})
        wire = bytearray(frame.encode(body))
        mode = i % 3
        if mode == 0:  # flip some bits
            for _ in range(rng.randint(1, 4)):
                wire[rng.randrange(len(wire))] ^= 1 << rng.randrange(8)
        elif mode == 1:  # cut it short, then more garbage
            wire = wire[: rng.randrange(len(wire))] + bytes(rng.getrandbits(8) for _ in range(20))
        else:  # overlong run without a delimiter
            wire = bytes(rng.randint(1, 255) for _ in range(rng.randint(500, 1500)))
        board.send(bytes(wire))
        board.ping([i, b"\x00\x03"])


def _request_stream(rng, n):
    """n good request frames, back to back, of every op and size."""
    out = bytearray()
    for i in range(n):
        value = rng.choice([None, i, {"i": i, "pad": bytes(rng.randrange(300))}, {"after": i}, [i, "x" * 40]])
        out += frame.encode(messages.pack(messages.REQ, rng.getrandbits(16), rng.choice([0, 1, 2, 3, 4, 99]), value))
    return bytes(out)


def _chunks(rng, data):
    i = 0
    while i < len(data):
        n = rng.choice([1, 2, 7, 64, 256, 1000])
        yield data[i : i + n]
        i += n


@pytest.mark.parametrize("rate", [0.01, 0.05, 0.3, 1.0])
def test_dropped_duplicated_corrupted_streams(board, rate):
    """Streams of good requests through the sim's faulty wire (faults.py: bytes corrupted,
    dropped and duplicated, as `callgate sim --fault-rate` does), in chunks of any size: the
    endpoint never raises and answers a clean PING after each stream."""
    from callgate.sim.faults import Faults

    rng = random.Random(int(rate * 1000))
    for k in range(6):
        wire = Faults(rate, seed=k).apply(_request_stream(rng, 40))
        for chunk in _chunks(rng, wire):
            board.send(chunk)
        board.ping(["faults", k])


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    n=st.integers(1, 12),
    ops=st.lists(st.tuples(st.integers(0, 4000), st.sampled_from(["drop", "dup", "flip"]), st.integers(0, 7)), max_size=12),
    seed=st.integers(0, 2**16),
)
def test_edited_streams_then_ping(board, n, ops, seed):
    """Hypothesis picks where bytes of a request stream are dropped, duplicated or flipped."""
    wire = bytearray(_request_stream(random.Random(seed), n))
    for pos, kind, bit in sorted(ops, reverse=True):
        if pos >= len(wire):
            continue
        if kind == "drop":
            del wire[pos]
        elif kind == "dup":
            wire.insert(pos, wire[pos])
        else:
            wire[pos] ^= 1 << bit
    board.send(bytes(wire))
    board.ping(n)
