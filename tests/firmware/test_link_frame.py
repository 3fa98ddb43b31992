# Frames and the stream reader: round trips, any split of the stream, noise between and
# inside frames. Shared: CPython (pytest) and MicroPython (mp_runner.py).

from _rng import Rng
import fw

frame = fw.module("link.frame")
CrcError = fw.module("link.errors").CrcError
FrameError = fw.module("link.errors").FrameError
FrameTooLong = fw.module("link.errors").FrameTooLong

RUNS_ON_MICROPYTHON = True


def _bodies(rng, count):
    return [rng.bytes(1 + rng.below(200), 3) for _ in range(count)]


def test_round_trip():
    rng = Rng(10)
    for body in _bodies(rng, 50) + [b"\x00", b"\x00" * 300, bytes(510)]:
        wire = frame.encode(body)
        assert wire[0] == 0 and wire[-1] == 0
        assert wire[1:-1].find(b"\x00") < 0
        assert frame.decode(wire[1:-1]) == body


def test_max_frame():
    frame.encode(bytes(frame.MAX_FRAME - frame.CRC_LEN))
    try:
        frame.encode(bytes(frame.MAX_FRAME - frame.CRC_LEN + 1))
    except FrameTooLong:
        pass
    else:
        assert False


def test_reader_any_split():
    rng = Rng(11)
    bodies = _bodies(rng, 20)
    stream = b"".join(frame.encode(b) for b in bodies)
    for step in (1, 2, 3, 7, 64, 1000):
        r = frame.Reader()
        got = []
        for i in range(0, len(stream), step):
            got.extend(r.feed(stream[i : i + step]))
        assert got == bodies, step
        assert r.errors == 0 and r.pending() == 0


def test_reader_noise_between_frames_costs_nothing():
    rng = Rng(12)
    bodies = _bodies(rng, 30)
    stream = bytearray()
    for b in bodies:
        stream.extend(rng.bytes(rng.below(40), 0))  # noise without a delimiter
        stream.extend(frame.encode(b))
    r = frame.Reader()
    assert r.feed(bytes(stream)) == bodies


def test_reader_corrupt_frame_is_counted_and_next_one_survives():
    rng = Rng(13)
    a, b, c = _bodies(rng, 3)
    bad = bytearray(frame.encode(b))
    bad[len(bad) // 2] ^= 0x10  # one bit flipped inside the frame
    if bad[len(bad) // 2] == 0:
        bad[len(bad) // 2] = 0x55
    r = frame.Reader()
    got = r.feed(frame.encode(a) + bytes(bad) + frame.encode(c))
    assert got == [a, c]
    assert r.errors == 1
    assert isinstance(r.last_error, FrameError)


def test_reader_single_bit_errors_always_detected():
    rng = Rng(14)
    body = rng.bytes(100, 5)
    wire = frame.encode(body)
    for i in range(1, len(wire) - 1):
        for bit in (0, 3, 7):
            bad = bytearray(wire)
            bad[i] ^= 1 << bit
            r = frame.Reader()
            got = r.feed(bytes(bad))
            assert body not in got or bad == wire
            for g in got:  # whatever gets through must be a frame with a good CRC
                assert frame.decode(frame.encode(g)[1:-1]) == g


def test_reader_overlong_block_resyncs():
    r = frame.Reader()
    body = b"hello"
    junk = b"\x01" * (frame.MAX_FRAME * 3)
    got = r.feed(junk + frame.encode(body))
    assert got == [body]
    assert r.errors == 1 and isinstance(r.last_error, FrameTooLong)
    got = r.feed(b"\x07" * 100)
    got += r.feed(junk)
    got += r.feed(frame.encode(body))
    assert got == [body]


def test_reader_random_garbage_never_raises():
    rng = Rng(15)
    r = frame.Reader()
    good = frame.encode(b"ok")
    for _ in range(200):
        junk = rng.bytes(rng.below(700), 1 + rng.below(30))
        got = r.feed(junk)
        for g in got:  # a chance CRC match must still be a well-formed frame
            assert len(g) >= 1
        assert r.feed(good) == [b"ok"]


def test_decode_raises_only_frame_errors():
    rng = Rng(16)
    for _ in range(300):
        block = rng.bytes(rng.below(40), 0)
        try:
            frame.decode(block)
        except FrameError:
            pass
    try:
        frame.decode(b"\x04abc")
    except CrcError:
        pass
