"""G.711 against the ITU-T G.191 algorithms, over every input and every code."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import make_tables as g191
from callgate import dsp

ALL_LINEAR = np.arange(-32768, 32768, dtype=np.int16)
ALL_CODES = np.arange(256, dtype=np.uint8)


def test_alaw_encode_matches_g191_for_all_65536_inputs():
    expected = np.array([g191.g191_alaw_compress(int(x)) for x in ALL_LINEAR], dtype=np.uint8)
    np.testing.assert_array_equal(dsp.alaw_encode(ALL_LINEAR), expected)


def test_ulaw_encode_matches_g191_for_all_65536_inputs():
    expected = np.array([g191.g191_ulaw_compress(int(x)) for x in ALL_LINEAR], dtype=np.uint8)
    np.testing.assert_array_equal(dsp.ulaw_encode(ALL_LINEAR), expected)


def test_decode_matches_g191_for_all_256_codes():
    np.testing.assert_array_equal(
        dsp.alaw_decode(ALL_CODES), [g191.g191_alaw_expand(int(c)) for c in ALL_CODES])
    np.testing.assert_array_equal(
        dsp.ulaw_decode(ALL_CODES), [g191.g191_ulaw_expand(int(c)) for c in ALL_CODES])


def test_every_alaw_code_round_trips():
    np.testing.assert_array_equal(dsp.alaw_encode(dsp.alaw_decode(ALL_CODES)), ALL_CODES)


def test_every_ulaw_code_round_trips_except_negative_zero():
    again = dsp.ulaw_encode(dsp.ulaw_decode(ALL_CODES))
    differs = np.flatnonzero(again != ALL_CODES)
    assert differs.tolist() == [0x7F]
    assert dsp.ulaw_decode(np.array([0x7F], np.uint8))[0] == 0
    assert again[0x7F] == 0xFF


@pytest.mark.parametrize("encode,decode", [(dsp.alaw_encode, dsp.alaw_decode),
                                           (dsp.ulaw_encode, dsp.ulaw_decode)])
def test_encoding_is_monotonic(encode, decode):
    reconstructed = decode(encode(ALL_LINEAR)).astype(np.int32)
    assert np.all(np.diff(reconstructed) >= 0)


def _audioop():
    try:
        import audioop
    except ImportError:  # Python 3.13+: the same module from PyPI
        import audioop_lts as audioop
    return audioop


def test_ulaw_differs_from_audioop_exactly_on_508_negative_inputs():
    ours = dsp.ulaw_encode(ALL_LINEAR)
    theirs = np.frombuffer(_audioop().lin2ulaw(ALL_LINEAR.tobytes(), 2), dtype=np.uint8)
    differs = ALL_LINEAR[ours != theirs]
    assert len(differs) == 508
    assert np.all(differs < 0)
    # Where they differ, G.191 took the one's complement: our code decodes to the value that
    # ~x (not -x) lands on.
    for x in differs[:16]:
        assert dsp.ulaw_encode(np.array([x], np.int16))[0] == g191.g191_ulaw_compress(int(x))


def test_alaw_agrees_with_audioop_everywhere():
    theirs = np.frombuffer(_audioop().lin2alaw(ALL_LINEAR.tobytes(), 2), dtype=np.uint8)
    np.testing.assert_array_equal(dsp.alaw_encode(ALL_LINEAR), theirs)


def test_transcoding_follows_g711_tables_not_decode_then_encode():
    a2u = dsp.alaw_to_ulaw(ALL_CODES)
    u2a = dsp.ulaw_to_alaw(ALL_CODES)
    np.testing.assert_array_equal(a2u, [g191.g711_alaw_to_ulaw(int(c)) for c in ALL_CODES])
    np.testing.assert_array_equal(u2a, [g191.g711_ulaw_to_alaw(int(c)) for c in ALL_CODES])
    via_linear_a2u = dsp.ulaw_encode(dsp.alaw_decode(ALL_CODES))
    via_linear_u2a = dsp.alaw_encode(dsp.ulaw_decode(ALL_CODES))
    assert np.count_nonzero(a2u != via_linear_a2u) == 32
    assert np.count_nonzero(u2a != via_linear_u2a) == 44
    # The tables only ever move a code to a neighbouring quantisation level.
    linear = dsp.alaw_decode(ALL_CODES).astype(int)
    err_a2u = np.abs(dsp.ulaw_decode(a2u).astype(int) - linear)
    assert np.all(err_a2u <= np.maximum(16, np.abs(linear) // 16))


def test_transcoding_in_place():
    codes = ALL_CODES.copy()
    dsp.alaw_to_ulaw(codes, out=codes)
    np.testing.assert_array_equal(codes, dsp.alaw_to_ulaw(ALL_CODES))


@given(arrays(np.int16, st.integers(0, 2000)))
def test_quantisation_error_is_at_most_half_a_step(x):
    for encode, decode in ((dsp.alaw_encode, dsp.alaw_decode),
                           (dsp.ulaw_encode, dsp.ulaw_decode)):
        y = decode(encode(x)).astype(np.int32)
        err = np.abs(y - x)
        # Step size grows with magnitude: 1/16 of the magnitude, and at least 16 (A-law's
        # smallest step in 16-bit units); mu-law saturates above 32124.
        bound = np.maximum(16, np.abs(x.astype(np.int32)) // 16) + np.maximum(
            0, np.abs(x.astype(np.int32)) - 32124)
        assert np.all(err <= bound)


@given(arrays(np.uint8, st.integers(0, 500)))
def test_codes_survive_decode_encode(codes):
    np.testing.assert_array_equal(dsp.alaw_encode(dsp.alaw_decode(codes)), codes)
    u = np.where(codes == 0x7F, 0xFF, codes).astype(np.uint8)
    np.testing.assert_array_equal(dsp.ulaw_encode(dsp.ulaw_decode(codes)), u)


def test_wrong_arrays_are_refused_clearly():
    with pytest.raises(TypeError, match="dtype int16"):
        dsp.ulaw_encode(np.zeros(4, np.float32))
    with pytest.raises(TypeError, match="numpy array"):
        dsp.ulaw_encode([1, 2, 3])
    with pytest.raises(ValueError, match="contiguous"):
        dsp.alaw_encode(np.zeros(8, np.int16)[::2])
    with pytest.raises(ValueError, match="one-dimensional"):
        dsp.alaw_decode(np.zeros((2, 2), np.uint8))
    with pytest.raises(ValueError, match="hold 4"):
        dsp.alaw_decode(np.zeros(4, np.uint8), out=np.zeros(3, np.int16))


def test_output_is_written_in_place_without_copy():
    out = np.zeros(256, np.int16)
    result = dsp.ulaw_decode(ALL_CODES, out=out)
    assert result is out and out[0] == -32124
