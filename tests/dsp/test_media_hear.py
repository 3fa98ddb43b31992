"""Hear sets (cg_media_hear): conferences, a supervisor's listen / whisper / barge, and the
two-party bridge built on them, measured on the engine's output.

Each leg's far end sends its own tone; what each leg's line is sent is decoded and the level
of every tone measured in it: what a party must hear arrives at its own level, what it must
not hear is at least 40 dB below the weakest of those. A hypothesis property checks the
mixing code for code against a numpy reference, and the bridge's output is compared with
digests recorded from the engine before hear sets (media_reference.py).
"""

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import media_reference
from callgate import dsp
from callgate._dsp import ffi, lib
from callgate.dsp.media import MAX_FRAME, MAX_PORTS, SILENCE, MediaEngine
from signals import ULAW_0DBM0_PEAK, to_int16, tone
from test_media import bin_level, run

ENCODE = {"ulaw": dsp.ulaw_encode, "alaw": dsp.alaw_encode}
DECODE = {"ulaw": dsp.ulaw_decode, "alaw": dsp.alaw_decode}
TRANSCODE = {("alaw", "ulaw"): dsp.alaw_to_ulaw, ("ulaw", "alaw"): dsp.ulaw_to_alaw}
LEVEL_DBM0 = -15.0
MUST_NOT_DB = 40.0
E_NULL, E_RANGE = -1, -2  # CG_E_NULL, CG_E_RANGE (callgate/common.h)

# The call: caller c (FXO, mu-law), agent g (FXS, mu-law), supervisor s (FXS, A-law: the mix
# decodes and encodes across laws), and a port x on another call that nobody here may hear.
C, G, S, X = 0, 1, 2, 3
LAWS = ("ulaw", "ulaw", "alaw", "ulaw")
HZ = {C: 470.0, G: 1090.0, S: 1730.0, X: 2330.0}
NAMES = {C: "caller", G: "agent", S: "supervisor", X: "other call"}

# Who hears whom, per mode (the brief's matrix; X hears nobody here and nobody hears X).
MODES = {
    "bridge": {C: {G}, G: {C}, S: set()},
    "listen": {C: {G}, G: {C}, S: {C, G}},
    "whisper": {C: {G}, G: {C, S}, S: {C, G}},
    "barge": {C: {G, S}, G: {C, S}, S: {C, G}},
}


def legs(seconds=1.0):
    """Each port's far end: its own tone at LEVEL_DBM0, in the port's law."""
    return [ENCODE[LAWS[p]](to_int16(tone([(HZ[p], LEVEL_DBM0)], seconds * 1000)))
            for p in range(4)]


def conference_engine():
    eng = MediaEngine(ports=4)
    for p, law in enumerate(LAWS):
        eng.port_init(p, law=law)
    return eng


def set_mode(eng, mode):
    for p, heard in MODES[mode].items():
        eng.hear(p, sorted(heard))


def levels_db(codes, law):
    """{port: level in dB relative to the LEVEL_DBM0 tone} of each port's tone in codes."""
    y = DECODE[law](codes).astype(float)
    ref = ULAW_0DBM0_PEAK * 10 ** (LEVEL_DBM0 / 20)
    return {p: 20 * np.log10(max(bin_level(y, HZ[p]), 1e-9) / ref) for p in HZ}


def check_mode(tx, mode):
    for p, heard in MODES[mode].items():
        got = levels_db(tx[p], LAWS[p])
        for q in heard:  # heard at its own level (G.711 twice at most: within 0.5 dB)
            assert abs(got[q]) < 0.5, f"{mode}: {NAMES[p]} hears {NAMES[q]} at {got[q]:.1f} dB"
        floor = min(got[q] for q in heard) if heard else 0.0
        for q in set(HZ) - heard:  # its own line's tone included: no echo
            assert got[q] <= floor - MUST_NOT_DB, (
                f"{mode}: {NAMES[p]} hears {NAMES[q]} at {got[q]:.1f} dB, "
                f"only {floor - got[q]:.1f} dB below what it must hear")
        if not heard:
            assert np.all(tx[p] == SILENCE[LAWS[p]])


@pytest.mark.parametrize("mode", list(MODES))
def test_each_mode_each_leg_hears_what_it_must_and_not_the_rest(mode):
    eng = conference_engine()
    set_mode(eng, mode)
    tx, events = run(eng, legs(0.5), frames=(160,))
    assert events == []
    check_mode(tx, mode)


def test_switching_modes_mid_call_takes_effect_at_the_next_frame():
    """listen -> whisper -> barge -> listen, as a supervisor's digits switch them: each
    stretch measured on its own, from the frame after the switch."""
    eng = conference_engine()
    eng.bridge(C, G)
    rx = legs(2.0)
    at = 0
    for mode in ("listen", "whisper", "barge", "listen", "bridge"):
        set_mode(eng, mode)
        tx, _ = run(eng, [r[at:at + 3200] for r in rx], frames=(160, 80))
        check_mode(tx, mode)
        at += 3200


def test_more_than_three_legs_every_one_hears_every_other():
    eng = MediaEngine(ports=6)
    hz = [350.0, 610.0, 930.0, 1270.0, 1660.0, 2090.0]
    rx = [dsp.ulaw_encode(to_int16(tone([(f, -20.0)], 500))) for f in hz]
    for p in range(6):
        eng.hear(p, [q for q in range(6) if q != p])
    tx, _ = run(eng, rx, frames=(160,))
    ref = ULAW_0DBM0_PEAK * 10 ** (-20 / 20)
    for p in range(6):
        y = dsp.ulaw_decode(tx[p]).astype(float)
        for q, f in enumerate(hz):
            db = 20 * np.log10(bin_level(y, f) / ref)
            if q == p:
                assert db < -40, (p, q, db)
            else:
                assert abs(db) < 0.5, (p, q, db)


def test_recording_a_conference_leg_holds_what_its_line_carries_both_ways():
    eng = conference_engine()
    set_mode(eng, "whisper")
    eng.record(G, capacity=4000)
    rx = legs(0.5)
    run(eng, rx, frames=(160,))
    got = levels_db(eng.record_stop(G), LAWS[G])
    for q in (C, G, S):  # the caller and the supervisor it is sent, its own far end
        assert abs(got[q]) < 0.6, (q, got[q])
    assert got[X] < -40


def test_the_bridge_is_bit_identical_to_the_engine_before_hear_sets():
    want = json.loads(media_reference.REFERENCE.read_text())
    got = media_reference.session()
    assert got == want


def test_one_source_is_passed_through_code_for_code_and_transcoded_by_the_tables():
    """A port hearing one line (or a set whose other lines send nothing) gets that line's
    codes, not a decode-encode: mu-law 0x7F stays 0x7F, and A-law <-> mu-law follows
    G.711's tables."""
    eng = MediaEngine(ports=3)
    eng.port_init(2, law="alaw")
    codes = np.arange(256, dtype=np.uint8)
    eng.hear(0, [1, 2])
    eng.hear(2, [1])
    tx, _ = eng.process([None, codes, None])
    assert np.array_equal(tx[0], codes)  # port 2's line is silent (NULL): one source
    assert np.array_equal(tx[2], dsp.ulaw_to_alaw(codes))
    assert eng.peer(2) is None and eng.peer(1) is None  # one-way: not a bridge


# --- the numpy reference ----------------------------------------------------------------

def reference_tx(laws, sets, rx, n):
    out = np.empty((len(laws), n), np.uint8)
    for p, law in enumerate(laws):
        src = [q for q in sorted(sets[p]) if rx[q] is not None]
        if not src:
            out[p] = SILENCE[law]
        elif len(src) == 1:
            q = src[0]
            out[p] = rx[q] if laws[q] == law else TRANSCODE[laws[q], law](rx[q])
        else:
            acc = sum(DECODE[laws[q]](rx[q]).astype(np.int32) for q in src)
            out[p] = ENCODE[law](np.clip(acc, -32768, 32767).astype(np.int16))
    return out


@st.composite
def conferences(draw):
    n_ports = draw(st.integers(2, MAX_PORTS))
    laws = draw(st.lists(st.sampled_from(["ulaw", "alaw"]), min_size=n_ports, max_size=n_ports))
    sets = [draw(st.sets(st.sampled_from([q for q in range(n_ports) if q != p])))
            for p in range(n_ports)]
    silent = draw(st.lists(st.booleans(), min_size=n_ports, max_size=n_ports))
    n = draw(st.integers(0, MAX_FRAME))
    loud = draw(st.booleans())  # codes near full scale: sums saturate
    seed = draw(st.integers(0, 2**32 - 1))
    return laws, sets, silent, n, loud, seed


@settings(max_examples=200, deadline=None)
@given(conferences())
def test_any_hear_sets_mix_as_the_numpy_reference(case):
    laws, sets, silent, n, loud, seed = case
    rng = np.random.default_rng(seed)
    eng = MediaEngine(ports=len(laws))
    for p, law in enumerate(laws):
        eng.port_init(p, law=law)  # (before the sets: a port's init takes it out of them)
    for p in range(len(laws)):
        eng.hear(p, list(sets[p]))
        assert eng.hears(p) == sorted(sets[p])
    for _ in range(2):  # twice: the sets hold from frame to frame
        rx = []
        for p, law in enumerate(laws):
            codes = rng.integers(0, 256, n, dtype=np.uint8)
            if loud:  # mu-law 0x80 / A-law 0xAA are the positive full scale
                codes = np.where(rng.random(n) < 0.5, codes, 0x80 if law == "ulaw" else 0xAA)
                codes = codes.astype(np.uint8)
            rx.append(None if silent[p] else codes)
        tx, _ = eng.process(rx, n=n)
        assert np.array_equal(tx, reference_tx(laws, sets, rx, n))


def test_two_loud_sources_saturate_instead_of_wrapping():
    eng = MediaEngine(ports=3)
    eng.hear(0, [1, 2])
    top = np.full(160, 0x80, np.uint8)  # mu-law +32124
    bottom = np.full(160, 0x00, np.uint8)  # mu-law -32124
    tx, _ = eng.process([None, top, top])
    assert np.all(dsp.ulaw_decode(tx[0]) == 32124)  # 64248 saturated: the top code
    tx, _ = eng.process([None, bottom, bottom])
    assert np.all(dsp.ulaw_decode(tx[0]) == -32124)
    tx, _ = eng.process([None, top, bottom])
    assert np.all(dsp.ulaw_decode(tx[0]) == 0)


# --- the commands -----------------------------------------------------------------------

def test_hear_sets_are_one_way_and_bridge_unbridge_port_init_work_on_them():
    eng = MediaEngine(ports=4)
    eng.bridge(0, 1)
    assert (eng.hears(0), eng.hears(1), eng.peer(0), eng.peer(1)) == ([1], [0], 1, 0)
    eng.hear(2, [0, 1])  # a listener: the bridge stays a bridge
    assert (eng.peer(0), eng.peer(1), eng.peer(2)) == (1, 0, None)
    eng.hear(1, [0, 2])  # whisper: 1 hears two, so 0-1 is no bridge any more
    assert (eng.peer(0), eng.peer(1)) == (None, None)
    eng.unbridge(2)  # out of every set: 1 hears only 0 again, nobody hears 2
    assert [eng.hears(p) for p in range(4)] == [[1], [0], [], []]
    assert eng.peer(0) == 1
    eng.hear(2, [0, 1, 1, 0])  # an entry twice counts once
    assert eng.hears(2) == [0, 1]
    eng.bridge(0, 3)  # 0 leaves: its peer hears silence, the listener keeps 1
    assert [eng.hears(p) for p in range(4)] == [[3], [], [1], [0]]
    eng.port_init(3)
    assert [eng.hears(p) for p in range(4)] == [[], [], [1], []]
    eng.hear(2, [])
    assert eng.hears(2) == []


def test_bad_hear_commands_are_clear_errors_and_change_nothing():
    eng = MediaEngine(ports=3)
    eng.hear(0, [1, 2])
    with pytest.raises(ValueError, match="itself"):
        eng.hear(0, [1, 0])
    with pytest.raises(ValueError, match="no port 3"):
        eng.hear(0, [3])
    with pytest.raises(ValueError, match="port"):
        eng.hear(3, [0])
    with pytest.raises(ValueError, match="int"):
        eng.hear(0, [1.0])
    with pytest.raises(TypeError, match="sequence"):
        eng.hear(0, 1)
    assert eng.hears(0) == [1, 2]
    assert eng.hear(0, np.array([2], np.int64)) is None and eng.hears(0) == [2]
    # The C checks themselves: nothing changes on a refusal.
    m = eng._m
    bad = ffi.new("size_t[]", [1, 7])
    assert lib.cg_media_hear(m, 0, bad, 2) == E_RANGE
    assert lib.cg_media_hear(m, 0, ffi.new("size_t[]", [0]), 1) == E_RANGE
    assert lib.cg_media_hear(m, 0, ffi.NULL, 1) == E_NULL
    assert lib.cg_media_hear(m, 5, ffi.NULL, 0) == E_RANGE
    assert lib.cg_media_hear(ffi.NULL, 0, ffi.NULL, 0) == E_NULL
    assert eng.hears(0) == [2]
    out = ffi.new("size_t[]", 1)
    eng.hear(1, [0, 2])
    assert lib.cg_media_hears(m, 1, out, 1) == 2 and out[0] == 0  # count, first max written
    assert lib.cg_media_hears(m, 1, ffi.NULL, 0) == 2
    assert lib.cg_media_hears(m, 1, ffi.NULL, 1) == E_NULL
    assert lib.cg_media_hears(m, 3, out, 1) == E_RANGE
