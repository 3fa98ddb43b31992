"""Property tests of the link protocol on CPython (hypothesis), on the same modules the board runs.

Round trips for COBS, frames and payloads; and for garbage and corruption: decoders raise
only their named errors, the stream reader never raises and is back in step at the next
frame delimiter, and the board's endpoint answers the next good request whatever came before.
"""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from callgate.firmware.link import codec, cobs, frame, messages
from callgate.firmware.link.crc import crc16
from callgate.firmware.link.endpoint import Endpoint
from callgate.firmware.link.errors import CobsError, DecodeError, FrameError

bodies = st.binary(min_size=1, max_size=frame.MAX_FRAME - frame.CRC_LEN)
small_bodies = st.binary(min_size=1, max_size=80)

values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**64), max_value=2**64 - 1)
    | st.floats(allow_nan=False)
    | st.binary(max_size=40)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=5)
    | st.dictionaries(st.text(max_size=8) | st.integers(-1000, 1000), inner, max_size=5),
    max_leaves=20,
)


@given(st.binary(max_size=2000))
def test_cobs_round_trip(data):
    enc = cobs.encode(data)
    assert b"\x00" not in enc
    assert len(enc) <= cobs.max_encoded_len(len(data))
    assert cobs.decode(enc) == data


@given(st.binary(max_size=600))
def test_cobs_decode_any_bytes(data):
    try:
        cobs.decode(data)
    except CobsError:
        pass


@given(st.binary(max_size=300), st.binary(max_size=300))
def test_crc_continues(a, b):
    assert crc16(b, crc16(a)) == crc16(a + b)


@given(bodies)
def test_frame_round_trip(body):
    wire = frame.encode(body)
    assert wire[:1] == wire[-1:] == b"\x00" and b"\x00" not in wire[1:-1]
    assert frame.decode(wire[1:-1]) == body


@given(st.binary(max_size=700))
def test_frame_decode_any_block(block):
    try:
        frame.decode(block)
    except FrameError:
        pass


def _split(data, cuts):
    points = sorted({c % (len(data) + 1) for c in cuts})
    pieces, last = [], 0
    for p in points + [len(data)]:
        pieces.append(data[last:p])
        last = p
    return pieces


@given(st.lists(bodies, max_size=8), st.lists(st.integers(min_value=0), max_size=20))
def test_reader_any_split(items, cuts):
    stream = b"".join(frame.encode(b) for b in items)
    r = frame.Reader()
    got = []
    for piece in _split(stream, cuts):
        got.extend(r.feed(piece))
    assert got == items and r.errors == 0


def _subsequence(needles, haystack):
    it = iter(haystack)
    return all(any(n == h for h in it) for n in needles)


@given(st.lists(st.tuples(st.binary(max_size=1500), small_bodies), max_size=10))
def test_reader_garbage_between_frames(pairs):
    """Whatever comes between frames (zeros, overlong runs), every frame gets through."""
    r = frame.Reader()
    got = []
    for junk, body in pairs:
        got.extend(r.feed(junk))
        got.extend(r.feed(frame.encode(body)))
    assert _subsequence([b for _, b in pairs], got)


@given(
    st.lists(small_bodies, min_size=1, max_size=10),
    st.lists(st.tuples(st.integers(min_value=0), st.integers(0, 255)), max_size=10),
)
def test_reader_corruption(items, hits):
    """Corrupting bytes loses at most the frames that contain them (delimiters included)."""
    wires = [frame.encode(b) for b in items]
    stream = bytearray(b"".join(wires))
    touched = set()
    for pos, value in hits:
        pos %= len(stream)
        stream[pos] = value
        touched.add(pos)
    survivors, start = [], 0
    for body, w in zip(items, wires):
        if not any(start <= p < start + len(w) for p in touched):
            survivors.append(body)
        start += len(w)
    r = frame.Reader()
    got = r.feed(bytes(stream))
    assert _subsequence(survivors, got)
    for g in got:  # nothing else gets through without a good CRC
        assert frame.decode(frame.encode(g)[1:-1]) == g


@given(values)
def test_codec_round_trip(v):
    assert codec.loads(codec.dumps(v)) == _as_decoded(v)


def _as_decoded(v):
    if isinstance(v, tuple | list):
        return [_as_decoded(x) for x in v]
    if isinstance(v, dict):
        return {k: _as_decoded(x) for k, x in v.items()}
    return v


@given(st.binary(max_size=200))
def test_codec_any_bytes(data):
    try:
        codec.loads(data)
    except DecodeError:
        pass


@given(st.binary(max_size=60))
def test_unpack_any_body(body):
    try:
        messages.unpack(body)
    except DecodeError:
        pass


def _ping(rid, value):
    return frame.encode(messages.pack(messages.REQ, rid, messages.OP_PING, value))


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=200)
@given(st.lists(st.binary(max_size=300), max_size=6), st.integers(0, 0xFFFF), values)
def test_endpoint_answers_after_garbage(junk, rid, value):
    ep = Endpoint({"board": "test"})
    for j in junk:
        ep.receive(j)  # never raises, whatever it is given
    reader = frame.Reader()
    replies = [messages.unpack(b) for f in ep.receive(_ping(rid, value)) for b in reader.feed(f)]
    kind, got_rid, op, reply = replies[-1]
    assert (got_rid, op) == (rid, messages.OP_PING)
    expected = messages.pack(messages.RSP, rid, messages.OP_PING, {"echo": value, "next_ev": 0, "boot": None})
    if len(expected) + frame.CRC_LEN > frame.MAX_FRAME:
        assert kind == messages.ERR and reply["code"] == messages.ERR_TOO_LARGE
    else:
        assert kind == messages.RSP and reply["echo"] == _as_decoded(value)


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=150)
@given(st.lists(st.integers(0, 400), min_size=1, max_size=120), st.integers(4, 40), st.integers(600, 3000))
def test_events_asked_again_are_the_frames_sent_byte_for_byte(sizes, ring, ring_bytes):
    """The endpoint keeps events' frames back to back in one buffer: asked for every event it
    holds, it sends the newest ones it has, each the very frame sent first, never one written
    over; at least as many as fit in the buffer less a frame's room (and at most `ring`)."""
    ep = Endpoint({}, ring_size=ring, ring_bytes=ring_bytes)
    sent_first = [ep.event(messages.EV_HOOK, bytes([i & 0xFF]) * n) for i, n in enumerate(sizes)]
    again = ep.receive(frame.encode(messages.pack(messages.REQ, 1, messages.OP_EVENTS, {"after": None})))
    reader = frame.Reader()
    *frames, reply = again
    (body,) = reader.feed(reply)
    r = messages.unpack(body)[3]
    assert r["sent"] == len(frames) and frames == sent_first[len(sent_first) - len(frames):]
    fits, room = 0, ring_bytes - frame.MAX_FRAME - 2
    for f in reversed(sent_first):
        room -= len(f)
        if room < 0 or fits == ring:
            break
        fits += 1
    assert fits <= len(frames) <= ring
