"""callgate.cli.validate: each check takes exactly its range and names what it refuses."""

import argparse
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from callgate.cli import validate


def refused(check, text) -> str:
    with pytest.raises(argparse.ArgumentTypeError) as e:
        check(text)
    return str(e.value)


@given(st.integers(-10 ** 6, 10 ** 6))
def test_port_takes_1_to_65535(n):
    if 1 <= n <= 65535:
        assert validate.port(str(n)) == n
    else:
        assert refused(validate.port, str(n)) == f"{n} is not a TCP port (1..65535)"


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_probability_takes_0_to_1(x):
    text = repr(x)
    if math.isfinite(x) and 0 <= x <= 1:
        assert validate.probability(text) == x
    else:
        assert text in refused(validate.probability, text)


@given(st.floats(-1e6, 1e6), st.floats(-100, 100), st.floats(0, 100))
def test_number_bounds(x, least, span):
    check = validate.number(least=least, most=least + span, unit="dBm0")
    text = repr(x)
    if least <= x <= least + span:
        assert check(text) == x
    else:
        msg = refused(check, text)
        assert msg.startswith(text) and "out of range" in msg and msg.endswith("dBm0")


@given(st.text(max_size=12))
def test_whole_refuses_what_is_not_a_whole_number(text):
    try:
        n = int(text)
    except ValueError:
        assert refused(validate.whole(), text) == f"{text!r} is not a whole number"
    else:
        assert validate.whole()(text) == n
