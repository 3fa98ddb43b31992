# COBS and CRC-16 against published vectors and round trips. Shared: runs under pytest on
# CPython and under tests/firmware/mp_runner.py on MicroPython.

from _rng import Rng
import fw

cobs = fw.module("link.cobs")
_TABLE = fw.module("link.crc")._TABLE
crc16 = fw.module("link.crc").crc16
CobsError = fw.module("link.errors").CobsError

RUNS_ON_MICROPYTHON = True

# (data, stuffed): the examples of Cheshire and Baker's encoding as usually tabulated.
VECTORS = [
    (b"", b"\x01"),
    (b"\x00", b"\x01\x01"),
    (b"\x00\x00", b"\x01\x01\x01"),
    (b"\x00\x11\x00", b"\x01\x02\x11\x01"),
    (b"\x11\x22\x00\x33", b"\x03\x11\x22\x02\x33"),
    (b"\x11\x22\x33\x44", b"\x05\x11\x22\x33\x44"),
    (b"\x11\x00\x00\x00", b"\x02\x11\x01\x01\x01"),
    (bytes(range(1, 255)), b"\xff" + bytes(range(1, 255))),
    (bytes(range(0, 255)), b"\x01\xff" + bytes(range(1, 255))),
    (bytes(range(1, 256)), b"\xff" + bytes(range(1, 255)) + b"\x02\xff"),
    (bytes(range(2, 256)) + b"\x00", b"\xff" + bytes(range(2, 256)) + b"\x01\x01"),
    (bytes(range(3, 256)) + b"\x00\x01", b"\xfe" + bytes(range(3, 256)) + b"\x02\x01"),
]


def test_cobs_vectors():
    for data, stuffed in VECTORS:
        assert bytes(cobs.encode(data)) == stuffed, data
        assert bytes(cobs.decode(stuffed)) == data, stuffed


def test_cobs_round_trip_random():
    rng = Rng(1)
    for n in (0, 1, 2, 253, 254, 255, 256, 507, 508, 509, 600, 1000):
        for zeros in (0, 2, 50):
            data = rng.bytes(n, zeros)
            enc = cobs.encode(data)
            assert enc.find(b"\x00") < 0
            assert len(enc) <= cobs.max_encoded_len(n)
            assert bytes(cobs.decode(enc)) == data


def test_cobs_rejects_bad_blocks():
    for bad in (b"", b"\x00", b"\x05\x11", b"\x02\x11\x00", b"\xff\x01"):
        try:
            cobs.decode(bad)
        except CobsError:
            pass
        else:
            assert False, bad


def test_crc_check_value():
    assert crc16(b"123456789") == 0x29B1
    assert crc16(b"") == 0xFFFF
    assert crc16(b"56789", crc16(b"1234")) == 0x29B1


def _crc_bitwise(data):
    crc = 0xFFFF
    for b in data:
        crc ^= b << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


def test_crc_table_is_the_polynomial():
    assert len(_TABLE) == 512
    for i in range(256):
        c = i << 8
        for _ in range(8):
            c = ((c << 1) ^ 0x1021) if c & 0x8000 else c << 1
            c &= 0xFFFF
        assert (_TABLE[2 * i] << 8) | _TABLE[2 * i + 1] == c, i
    rng = Rng(2)
    for n in (1, 2, 7, 64, 300):
        data = rng.bytes(n)
        assert crc16(data) == _crc_bitwise(data)


def test_crc_residue_is_zero():
    rng = Rng(3)
    for n in (1, 10, 200):
        data = rng.bytes(n)
        c = crc16(data)
        assert crc16(data + bytes([c >> 8, c & 0xFF])) == 0
