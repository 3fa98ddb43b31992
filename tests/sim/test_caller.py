"""The one caller description (sim/caller.py): its JSON form round-trips, every bad value is
refused naming the field, and `callgate sim call`'s options are its fields."""

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callgate.cli.simcall import caller_of
from callgate.sim.caller import (CID_STANDARDS, CID_STARTS, FIELDS, HANGUP_MODES, MAX_NAME, MAX_NUMBER, NAMES,
                                 Caller, CallerError)

DTMF = "0123456789*#ABCDabcd"
ms = st.one_of(st.integers(0, 10**9), st.floats(0, 1e9, allow_nan=False))
ms_or_none = st.one_of(st.none(), ms)
digits = st.text(DTMF, max_size=12)
groups = st.lists(st.text(DTMF, max_size=5), max_size=4).map(",".join)
wav = st.one_of(st.none(), st.text(min_size=1, max_size=30).filter(lambda s: "\0" not in s))

CALLERS = st.builds(
    Caller,
    number=st.text("0123456789*#+", max_size=MAX_NUMBER),
    name=st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=MAX_NAME),
    digits=groups, speech=wav, cid=st.booleans(), cid_standard=st.sampled_from(CID_STANDARDS),
    cid_start=st.sampled_from(CID_STARTS), cid_delay_ms=ms,
    ring_on_ms=st.one_of(st.integers(1, 10**6), st.floats(0.5, 1e6)), ring_off_ms=ms,
    max_rings=st.integers(1, 1000), digit_delay_ms=ms_or_none, hangup=st.sampled_from(HANGUP_MODES),
    hangup_after_ms=ms_or_none, patience_ms=ms_or_none, talk_ms=ms_or_none,
    survey=st.one_of(st.none(), digits), callback=st.one_of(st.none(), digits.filter(bool)), max_call_ms=ms,
    digit_audio=wav, cid_audio=wav)


@settings(max_examples=300)
@given(CALLERS)
def test_any_valid_caller_survives_the_json_round_trip(caller):
    wire = json.loads(json.dumps(caller.to_json()))
    assert set(wire) == set(NAMES)
    assert Caller.from_json(wire) == caller


# A bad value for each field (some of each kind), and the words its message must have.
BAD = [
    ("number", "555-1234", "caller ID number"), ("number", "5" * (MAX_NUMBER + 1), "at most 20"),
    ("number", 5551234, "caller ID number"), ("name", "ZOË", "printable ASCII"),
    ("name", "N" * (MAX_NAME + 1), "at most 50"), ("digits", 12, "string"),
    ("digits", "1,x", "group 2 'x': 'x' at position 0 is not a DTMF digit"),
    ("speech", "", "WAV file"), ("speech", 3, "WAV file"), ("cid", "yes", "true or false"),
    ("cid_standard", "v21", "bell202, v23"), ("cid_start", "early", "ring-end, reversal, alert"),
    ("cid_delay_ms", None, "number of ms >= 0"), ("cid_delay_ms", -1, ">= 0"),
    ("ring_on_ms", 0, "> 0"), ("ring_off_ms", float("inf"), "number of ms"), ("max_rings", 0, ">= 1"),
    ("max_rings", 2.5, "whole number"), ("digit_delay_ms", True, "number of ms"),
    ("hangup", "slam", "loop-drop, reversal, busy"), ("hangup_after_ms", "soon", "number of ms"),
    ("patience_ms", -1, ">= 0 or None"), ("talk_ms", float("nan"), "number of ms"), ("survey", "4x", "'x'"),
    ("callback", "", "must not be empty"), ("max_call_ms", None, "number of ms"),
    ("digit_audio", "", "WAV file"), ("cid_audio", ["a.wav"], "WAV file"),
]


def test_every_field_has_a_bad_value_here():
    assert {f for f, _, _ in BAD} == set(NAMES)


@pytest.mark.parametrize("field, value, words", BAD)
def test_bad_values_are_refused_naming_the_field_and_value(field, value, words):
    for make in (lambda: Caller(**{field: value}), lambda: Caller.from_json({field: value}),
                 lambda: Caller.check(field, value)):
        with pytest.raises(CallerError) as e:
            make()
        assert e.value.field == field
        assert str(e.value).startswith(field) and words in str(e.value)
        if not isinstance(value, float):
            assert repr(value) in str(e.value)


@settings(max_examples=200)
@given(st.sampled_from(NAMES), st.one_of(st.integers(-5, -1), st.text(max_size=3).filter(lambda s: not s.isdigit()),
                                         st.lists(st.integers(), max_size=2)))
def test_garbage_in_any_field_is_refused_naming_it(field, value):
    try:
        Caller.check(field, value)
    except CallerError as e:
        assert e.field == field and str(e).startswith(field)
    else:  # some text is a fine value for a text field
        assert isinstance(value, str)


def test_json_form_refuses_unknown_fields_and_non_objects():
    with pytest.raises(CallerError, match="unknown caller field 'from'"):
        Caller.from_json({"from": "5551234"})
    with pytest.raises(CallerError, match="JSON object"):
        Caller.from_json(["5551234"])
    assert Caller.from_json({}) == Caller()
    assert Caller.given(hangup=None, talk_ms=None, number="1") == Caller(number="1")


def test_the_sim_call_options_are_the_caller_fields(tmp_path):
    import argparse

    from callgate.cli import simcall
    from callgate.dsp.wav import write_wav

    wav = tmp_path / "x.wav"
    write_wav(wav, np.zeros(800, np.int16))
    ap = argparse.ArgumentParser()
    simcall.add_parsers(ap.add_subparsers())
    args = ap.parse_args(["call", "--from", "5550000", "--digits", "2,1", "--no-cid", "--hangup", "busy",
                          "--patience-ms", "1500.5", "--max-rings", "3", "--survey", "", "--cid-audio", str(wav)])
    assert caller_of(args) == Caller(number="5550000", digits="2,1", cid=False, hangup="busy", patience_ms=1500.5,
                                     max_rings=3, survey="", cid_audio=str(wav))
    assert caller_of(ap.parse_args(["call"])) == Caller(number="5551234")
    flags = {a.dest[len("caller_"):] for a in ap._subparsers._group_actions[0].choices["call"]._actions
             if a.dest.startswith("caller_")}
    assert flags == {f.name for f in FIELDS}


@pytest.mark.parametrize("argv, words", [
    (["--max-rings", "0"], "argument --max-rings: max_rings must be a whole number >= 1, not 0"),
    (["--patience-ms", "soon"], "patience_ms must be a number, not 'soon'"),
    (["--from", "555-0000"], "number must be a caller ID number"),
    (["--callback", ""], "callback must not be empty"),
    (["--speech", "no-such.wav"], "speech: 'no-such.wav': No such file or directory"),
])
def test_sim_call_refuses_bad_options_in_one_line(capsys, argv, words):
    import argparse

    from callgate.cli import simcall

    ap = argparse.ArgumentParser()
    simcall.add_parsers(ap.add_subparsers())
    with pytest.raises(SystemExit) as e:
        ap.parse_args(["call"] + argv)
    assert e.value.code == 2 and words in capsys.readouterr().err
