# Payload codec and message header. Shared: CPython (pytest) and MicroPython (mp_runner.py).

from _rng import Rng
import fw

codec = fw.module("link.codec")
messages = fw.module("link.messages")
DecodeError = fw.module("link.errors").DecodeError
EncodeError = fw.module("link.errors").EncodeError

RUNS_ON_MICROPYTHON = True

VALUES = [
    None,
    True,
    False,
    0,
    1,
    23,
    24,
    255,
    256,
    65535,
    65536,
    2**32 - 1,
    2**32,
    2**64 - 1,
    -1,
    -24,
    -25,
    -(2**64),
    0.5,
    -1e300,
    b"",
    b"\x00\xff",
    "",
    "idle",
    "\u00e9\u20ac",
    [],
    [1, [2, [3]]],
    {},
    {"port": 0, "state": "ringing", 7: None, "raw": b"\x01\x02"},
]

# (value, CBOR bytes) from RFC 8949 appendix A.
RFC_VECTORS = [
    (0, b"\x00"),
    (10, b"\x0a"),
    (100, b"\x18\x64"),
    (1000, b"\x19\x03\xe8"),
    (1000000, b"\x1a\x00\x0f\x42\x40"),
    (-1, b"\x20"),
    (-1000, b"\x39\x03\xe7"),
    (1.1, b"\xfb\x3f\xf1\x99\x99\x99\x99\x99\x9a"),
    (False, b"\xf4"),
    (None, b"\xf6"),
    ("IETF", b"\x64\x49\x45\x54\x46"),
    ([1, [2, 3], [4, 5]], b"\x83\x01\x82\x02\x03\x82\x04\x05"),
    ({"a": 1, "b": [2, 3]}, b"\xa2\x61\x61\x01\x61\x62\x82\x02\x03"),
]


def test_round_trip():
    for v in VALUES:
        assert codec.loads(codec.dumps(v)) == v, v
    assert codec.loads(codec.dumps((1, 2))) == [1, 2]


def test_rfc_8949_vectors():
    for v, enc in RFC_VECTORS:
        assert codec.loads(enc) == v, enc
        if not isinstance(v, dict):  # map order is the dict's
            assert codec.dumps(v) == enc, v


def test_unencodable_values():
    for v in (2**64, -(2**64) - 1, set(), object(), {(1, 2): 3}, {1.5: 0}):
        try:
            codec.dumps(v)
        except EncodeError:
            pass
        else:
            assert False, v
    deep = []
    for _ in range(codec.MAX_DEPTH + 2):
        deep = [deep]
    try:
        codec.dumps(deep)
    except EncodeError:
        pass
    else:
        assert False


def test_malformed_payloads():
    for bad in (
        b"",
        b"\x18",  # truncated length
        b"\x1f",  # indefinite
        b"\x9f\x01\xff",  # indefinite array
        b"\x5a\xff\xff\xff\xff",  # 4 GiB of bytes promised
        b"\x9b\xff\xff\xff\xff\xff\xff\xff\xff",  # 2**64 items promised
        b"\x62\xc3\x28",  # not UTF-8
        b"\xa1\x80\x01",  # list as a map key
        b"\xc1\x00",  # a tag
        b"\xf7",  # undefined
        b"\x01\x02",  # trailing byte
        b"\x81" * 20 + b"\x00",  # too deep
    ):
        try:
            codec.loads(bad)
        except DecodeError:
            pass
        else:
            assert False, bad


def test_random_payloads_raise_only_decode_error():
    rng = Rng(20)
    for _ in range(2000):
        data = rng.bytes(rng.below(12), 0)
        try:
            codec.loads(data)
        except DecodeError:
            pass


def test_header():
    body = messages.pack(messages.REQ, 0xBEEF, messages.OP_STATUS, {"x": 1})
    assert body[:4] == b"\x01\xbe\xef\x02"
    assert messages.unpack(body) == (messages.REQ, 0xBEEF, messages.OP_STATUS, {"x": 1})
    assert messages.unpack(messages.pack(messages.EVT, 3, messages.EV_RING)) == (
        messages.EVT,
        3,
        messages.EV_RING,
        None,
    )
    for bad in (b"", b"\x01\x00\x00", b"\x09\x00\x00\x00", b"\x01\x00\x00\x00\xff"):
        try:
            messages.unpack(bad)
        except DecodeError:
            pass
        else:
            assert False, bad


def test_seq_after_wraps():
    assert messages.seq_after(1, 0)
    assert not messages.seq_after(0, 0)
    assert not messages.seq_after(0, 1)
    assert messages.seq_after(0, 0xFFFF)
    assert messages.seq_after(5, 0xFFF0)
