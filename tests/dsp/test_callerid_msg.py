"""Caller ID message layer: SDMF / MDMF / message waiting bytes and DTMF caller ID strings."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callgate.dsp import callerid as cid
from callgate.dsp.callerid import CallerId

DIGITS = st.text("0123456789", min_size=1, max_size=20)
NAMES = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1, max_size=50)
DATES = st.tuples(st.integers(1, 12), st.integers(1, 31), st.integers(0, 23), st.integers(0, 59))
ABSENCE = st.sampled_from(["private", "unavailable"])


@st.composite
def messages(draw):
    kind = draw(st.sampled_from(["sdmf", "mdmf", "sdmf-mwi", "mdmf-mwi"]))
    if kind == "sdmf-mwi":
        return CallerId(kind, mwi=draw(st.booleans()))
    if kind == "mdmf-mwi":
        return CallerId(kind, mwi=draw(st.booleans()), date=draw(st.none() | DATES))
    date = draw(DATES) if kind == "sdmf" else draw(st.none() | DATES)
    if draw(st.booleans()):
        number, number_absence = draw(DIGITS), None
    else:
        number, number_absence = "", draw(ABSENCE)
    if kind == "sdmf":
        return CallerId(kind, number=number, number_absence=number_absence, date=date)
    name, name_absence = "", None
    choice = draw(st.integers(0, 2))
    if choice == 1:
        name = draw(NAMES)
    elif choice == 2:
        name_absence = draw(ABSENCE)
    return CallerId(kind, number=number, number_absence=number_absence, name=name,
                    name_absence=name_absence, date=date)


def test_mdmf_bytes_match_gr30_layout():
    data = cid.encode(CallerId("mdmf", number="5551234", name="ALICE", date=(12, 25, 9, 30)))
    assert data == bytes([0x80, 26, 0x01, 8]) + b"12250930" + bytes([0x02, 7]) + b"5551234" \
        + bytes([0x07, 5]) + b"ALICE" + bytes([(-sum(data[:-1])) % 256])
    assert sum(data) % 256 == 0


def test_sdmf_bytes_and_absence():
    data = cid.encode(CallerId("sdmf", number="6175551212", date=(1, 2, 15, 4)))
    assert data[:2] == bytes([0x04, 18]) and data[2:20] == b"010215046175551212"
    assert sum(data) % 256 == 0
    private = cid.encode(CallerId("sdmf", number_absence="private", date=(1, 2, 15, 4)))
    assert private[:2] == bytes([0x04, 9]) and private[10:11] == b"P"
    assert cid.decode(private).number_absence == "private"


def test_message_waiting_bytes():
    assert cid.encode(CallerId("sdmf-mwi", mwi=True))[:5] == bytes([0x06, 3, 0x42, 0x42, 0x42])
    assert cid.encode(CallerId("sdmf-mwi", mwi=False))[:5] == bytes([0x06, 3, 0x6F, 0x6F, 0x6F])
    assert cid.encode(CallerId("mdmf-mwi", mwi=True))[:5] == bytes([0x82, 3, 0x0B, 1, 0xFF])
    assert cid.decode(cid.encode(CallerId("mdmf-mwi", mwi=False))).mwi is False


@given(messages())
def test_every_message_round_trips(message):
    data = cid.encode(message)
    assert sum(data) % 256 == 0 and data[1] == len(data) - 3
    assert cid.decode(data) == message


@given(messages(), st.data())
def test_any_single_corrupted_byte_is_never_good(message, data):
    raw = bytearray(cid.encode(message))
    i = data.draw(st.integers(0, len(raw) - 1))
    raw[i] ^= data.draw(st.integers(1, 255))
    decoded = cid.decode(bytes(raw))
    assert not decoded.ok
    assert decoded.number == "" and decoded.name == "" and decoded.date is None


@given(messages(), st.data())
def test_every_truncation_is_reported(message, data):
    raw = cid.encode(message)
    cut = data.draw(st.integers(0, len(raw) - 1))
    decoded = cid.decode(raw[:cut])
    assert decoded.status == ("truncated" if cut == 0 or raw[0] in (4, 6, 0x80, 0x82)
                              else "unknown-type")


@settings(max_examples=500)
@given(st.binary(max_size=300))
def test_garbage_bytes_never_crash_and_good_means_consistent(raw):
    decoded = cid.decode(raw)
    if decoded.ok:  # then it really is a well-formed message: it re-encodes to itself
        assert sum(raw) % 256 == 0
        assert cid.encode(decoded) == raw or decoded.unknown_params or raw[0] == 0x80


def test_specific_errors():
    good = cid.encode(CallerId("mdmf", number="123"))
    assert cid.decode(good[:-1] + bytes([good[-1] ^ 1])).status == "bad-checksum"
    assert cid.decode(bytes([0x42, 1, 0, 0xBD])).status == "unknown-type"
    assert cid.decode(good + b"\x00").status == "malformed"
    # A well-formed envelope around a bad date or a bad absence code is malformed.
    for payload in (b"\x01\x0813250930", b"\x04\x01X", b"\x02\x03a12", b"\x02\x00"):
        body = bytes([0x80, len(payload)]) + payload
        assert cid.decode(body + bytes([(-sum(body)) % 256])).status == "malformed"
    # Unknown parameter types are skipped and counted.
    body = bytes([0x80, 8, 0x02, 3]) + b"123" + bytes([0x99, 1, 7])
    decoded = cid.decode(body + bytes([(-sum(body)) % 256]))
    assert decoded.ok and decoded.number == "123" and decoded.unknown_params == 1


def test_bad_fields_are_refused_by_the_encoder():
    for bad in (CallerId("sdmf", number="123"),  # SDMF needs a date
                CallerId("mdmf", number="12a"),
                CallerId("mdmf", number="1" * 21),
                CallerId("mdmf", number="1", number_absence="private"),
                CallerId("mdmf", date=(13, 1, 0, 0), number="1"),
                CallerId("mdmf"),
                CallerId("sdmf-mwi")):
        with pytest.raises(ValueError):
            cid.encode(bad)
    with pytest.raises(ValueError, match="absence"):
        cid.encode(CallerId("mdmf", number_absence="secret"))
    with pytest.raises(ValueError, match="type"):
        cid.encode(CallerId("vmwi", mwi=True))
    with pytest.raises(TypeError):
        cid.encode("not a message")


@given(DIGITS)
def test_dtmf_number_round_trips(number):
    digits = cid.encode_dtmf(CallerId("dtmf", number=number))
    assert digits == "A" + number + "C"
    assert cid.decode_dtmf(digits) == CallerId("dtmf", number=number)


def test_dtmf_absence_codes():
    assert cid.encode_dtmf(CallerId("dtmf", number_absence="private")) == "B10C"
    assert cid.encode_dtmf(CallerId("dtmf", number_absence="unavailable")) == "B00C"
    assert cid.decode_dtmf("B10C").number_absence == "private"
    assert cid.decode_dtmf("B00C").number_absence == "unavailable"
    assert cid.decode_dtmf("D5551234C").number == "5551234"
    assert cid.decode_dtmf("A123#").number == "123"
    for bad, status in (("A123", "truncated"), ("B99C", "malformed"), ("AC", "malformed"),
                        ("A12C3", "malformed"), ("A1*2C", "malformed"), ("123C", "malformed"),
                        ("", "truncated")):
        assert cid.decode_dtmf(bad).status == status, bad


@given(st.text("0123456789ABCD*#", max_size=40))
def test_dtmf_garbage_never_passes_a_wrong_number(digits):
    decoded = cid.decode_dtmf(digits)
    if decoded.ok:
        assert digits[0] in "ABD" and digits[-1] in "C#"
        if decoded.number:
            assert digits[1:-1] == decoded.number
