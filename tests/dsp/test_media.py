"""The media engine (c_src/media.c, callgate/media.h) on real signals, frame by frame.

Line signals are built in numpy (signals.py) and G.711-encoded as a line would carry them;
what the engine sends is decoded and measured (frequencies, cadence, correlation), or
compared code for code where the engine must copy or transcode exactly.
"""

import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callgate import dsp
from callgate._dsp import ffi, lib
from callgate.dsp.media import MAX_FRAME, MediaEngine, sizes
from signals import RATE, dtmf, silence, to_int16, tone

ULAW_SILENCE, ALAW_SILENCE = 0xFF, 0xD5


def ulaw(x):
    return dsp.ulaw_encode(to_int16(x))


def alaw(x):
    return dsp.alaw_encode(to_int16(x))


def run(eng, rx, frames=(160,), total=None):
    """Feed whole rx streams (one per port, uint8 or None, equal lengths) in frames whose
    lengths cycle through `frames`. Returns (tx streams as a (ports, n) array, events)."""
    if total is None:
        total = max(len(r) for r in rx if r is not None)
    tx = np.empty((eng.ports, total), dtype=np.uint8)
    events = []
    at, k = 0, 0
    while at < total:
        n = min(frames[k % len(frames)], total - at)
        k += 1
        out, ev = eng.process([None if r is None else r[at:at + n] for r in rx], n=n)
        tx[:, at:at + n] = out
        events += ev
        at += n
    return tx, events


def bin_level(x, hz):
    """Amplitude of the hz component of x, in linear units (Hann-windowed correlation at
    exactly hz, so no scalloping loss)."""
    w = np.hanning(len(x))
    t = np.arange(len(x)) / RATE
    return 2 * abs(np.sum(x * w * np.exp(-2j * np.pi * hz * t))) / np.sum(w)


@pytest.fixture
def rng():
    return np.random.default_rng(20261124)


def test_sizes(capsys):
    s = sizes()
    scratch = (MAX_FRAME * (2 + 2 + 1) + 4 * lib.CG_MEDIA_MIX_CHUNK + 12 * ffi.sizeof("cg_event_t")
               + 16)
    per_port = (s["cg_media_t"] - scratch) / lib.CG_MEDIA_MAX_PORTS
    with capsys.disabled():
        print(f"\nmedia engine: cg_media_t {s['cg_media_t']} B for {lib.CG_MEDIA_MAX_PORTS} "
              f"ports (about {per_port:.0f} B per port, {scratch} B scratch); optional caller "
              f"ID receiver {s['cg_cid_rx_t']} B per armed port")
    assert per_port < 800
    assert ffi.sizeof("cg_media_event_t") == 8 + ffi.sizeof("cg_event_t")


# --- detectors on rx --------------------------------------------------------------------

def test_dtmf_on_a_port_reports_that_port_with_the_detectors_positions(rng):
    digits = "159#0*D"
    x = dtmf(digits, lead_ms=300, rng=rng)
    eng = MediaEngine(ports=4)
    quiet = ulaw(silence(len(x) * 1000 / RATE))
    _, events = run(eng, [quiet, quiet, ulaw(x), quiet])
    ends = [e for e in events if e.kind == "dtmf"]
    begins = [e for e in events if e.kind == "dtmf-begin"]
    assert "".join(e.digit for e in ends) == digits
    assert "".join(e.digit for e in begins) == digits
    assert {e.port for e in events} == {2}
    # The same positions as the DTMF receiver on the same line signal.
    alone = dsp.detect_dtmf(dsp.ulaw_decode(ulaw(x)))
    assert [(e.start, e.end) for e in ends] == [(d.start, d.end) for d in alone]


def test_caller_id_on_an_armed_port():
    from callgate.dsp import callerid
    cid = callerid.CallerId("mdmf", number="5551234", name="ALICE", date=(12, 25, 9, 30))
    audio = callerid.generate(cid, "bell202")
    x = np.concatenate([silence(200), audio.astype(float), silence(300)])
    eng = MediaEngine(ports=2)
    eng.process([None, None], n=80)  # the receiver's clock starts later than the engine's
    eng.cid_arm(1)
    _, events = run(eng, [None, ulaw(x)])
    msgs = [e for e in events if e.kind == "cid-message"]
    assert len(msgs) == 1 and msgs[0].port == 1
    assert msgs[0].message.number == "5551234" and msgs[0].message.name == "ALICE"
    assert 80 + 1600 <= msgs[0].start < 80 + 1600 + len(audio)
    with pytest.raises(dsp.DspError):
        eng.cid_line(0, "ring-end")
    eng.cid_line(1, "ring-start")


@pytest.mark.parametrize("cid_law", ["ulaw", "alaw"])
def test_dtmf_caller_id_on_an_armed_port_takes_the_ports_digits(cid_law):
    """A receiver configured as the port's DTMF receiver is (its law) takes that receiver's
    digits instead of running its own: the message spans the port's first and last digit
    exactly, however late it was armed. Another law: its own receiver, the same message."""
    from callgate.dsp import callerid
    audio = callerid.generate("A5551234C", "bell202")
    x = np.concatenate([silence(200), audio.astype(float), silence(300)])
    eng = MediaEngine(ports=2)
    eng.process([None, None], n=160)
    eng.process([None, None], n=80)  # the receiver's clock starts 240 samples later
    cfg = callerid.rx_cfg("bell202", cid_law, (), 20, 5000, True)
    rx = ffi.new("cg_cid_rx_t *")
    assert lib.cg_media_cid_arm(eng._m, 1, rx, cfg) == 0  # (cid_arm takes the port's law)
    eng._cid[1] = rx
    _, events = run(eng, [None, ulaw(x)])
    msgs = [e for e in events if e.kind == "cid-message"]
    digits = [e for e in events if e.kind == "dtmf" and e.port == 1]
    assert len(msgs) == 1 and msgs[0].message.number == "5551234"
    assert [d.digit for d in digits] == list("A5551234C")
    if cid_law == "ulaw":
        assert (msgs[0].start, msgs[0].end) == (digits[0].start, digits[-1].end)
    else:
        assert abs(msgs[0].start - digits[0].start) < 400 and abs(msgs[0].end - digits[-1].end) < 400


# --- prompts ----------------------------------------------------------------------------

@pytest.mark.parametrize("law,quiet", [("ulaw", ULAW_SILENCE), ("alaw", ALAW_SILENCE)])
def test_prompt_then_silence_exactly(rng, law, quiet):
    prompt = rng.integers(0, 256, 1234, dtype=np.uint8)
    eng = MediaEngine(ports=2, law=law)
    eng.play(1, prompt)
    rx = np.full(3000, quiet, dtype=np.uint8)
    tx, events = run(eng, [rx, rx], frames=(160,))
    assert np.array_equal(tx[1, :1234], prompt)
    assert np.all(tx[1, 1234:] == quiet)
    assert np.all(tx[0] == quiet)
    assert [(e.port, e.kind, e.start, e.end, e.reason) for e in events] == [
        (1, "prompt-done", 0, 1234, "complete")]


def test_barge_in_stops_the_prompt_on_the_first_digit(rng):
    prompt = ulaw(tone([(400.0, -15.0)], 3000))
    x = np.concatenate([silence(700), dtmf("5", lead_ms=0, rng=rng), silence(2500)])
    line = ulaw(x)
    for barge_in in (True, False):
        eng = MediaEngine(ports=1)
        eng.play(0, prompt, barge_in=barge_in)
        tx, events = run(eng, [line[:len(prompt)]], frames=(160,))
        done = [e for e in events if e.kind == "prompt-done"]
        digit = [e for e in events if e.kind == "dtmf"][0]
        if barge_in:
            assert len(done) == 1 and done[0].reason == "barge-in"
            cut = done[0].end
            # Cut at the start of the frame that recognised the digit: 40 ms after its start,
            # give or take a half-block, and a frame.
            assert digit.start + 240 <= cut + 160 and cut <= digit.start + 400 + 160
            assert cut % 160 == 0
            assert np.array_equal(tx[0, :cut], prompt[:cut])
            assert np.all(tx[0, cut:] == ULAW_SILENCE)
        else:
            assert [e.reason for e in done] == ["complete"]
            assert np.array_equal(tx[0], prompt)


# --- tones and DTMF on tx ---------------------------------------------------------------

def test_us_busy_tone_frequencies_cadence_and_level():
    eng = MediaEngine(ports=2)
    eng.tone(1, "US", "busy")  # 480 + 620 Hz, 500 on / 500 off, -24 dBm0 per tone
    tx = run(eng, [None, None], total=150 * 160)[0][1]
    y = dsp.ulaw_decode(tx).astype(float)
    # Frequencies and level over the first on period (2 ms ramps excluded).
    on = y[100:3900]
    peak = dsp.find_tone("US", "busy").level_dbm0
    expect = 8159 * 4 * 10 ** (-3.17 / 20) * 10 ** (peak / 20)
    for hz in (480, 620):
        assert bin_level(on, hz) == pytest.approx(expect, rel=0.06)
    assert bin_level(on, 440) < expect / 20
    # Cadence: on/off at half amplitude, every 500 ms (4000 samples), to within 1 ms.
    # (Mean power over two periods of the 140 Hz beat between the tones, centred: it is half
    # the steady power where the window's centre is on an edge.)
    power = np.convolve(y ** 2, np.ones(114) / 114, mode="same")
    state = power > 0.5 * np.median(power[power > power.max() / 2])
    edges = np.flatnonzero(np.diff(state.astype(int))) + 1
    assert len(edges) >= 4
    assert np.all(np.abs(np.diff(edges) - 4000) <= 8), np.diff(edges)
    # The same samples as the tone generator on its own.
    assert np.array_equal(tx, dsp.ulaw_encode(dsp.generate_tone("US", "busy", 150 * 160 / RATE)))


def test_tone_that_ends_reports_and_falls_back_to_the_bridge(rng):
    eng = MediaEngine(ports=2)
    eng.tone(0, "EU", "ced")  # 2100 Hz for 3000 ms, once
    eng.bridge(0, 1)
    speech = ulaw(rng.normal(0, 2000, 8000 * 4))
    tx, events = run(eng, [None, speech], frames=(160,))
    done = [e for e in events if e.kind == "tone-done"]
    assert len(done) == 1 and done[0].port == 0 and done[0].start == 0
    end = done[0].end
    assert abs(end - 24000) <= 16
    y = dsp.ulaw_decode(tx[0, :end]).astype(float)
    assert bin_level(y[100:23900], 2100) > 10 * bin_level(y[100:23900], 1000)
    assert np.array_equal(tx[0, end:], speech[end:])


def test_dtmf_sent_is_heard_by_the_receiver():
    eng = MediaEngine(ports=3, law="alaw")
    eng.dtmf(2, "147*0#")
    out = run(eng, [None] * 3, frames=(80,), total=8000)[0][2]
    heard = dsp.detect_dtmf(dsp.alaw_decode(out), law="alaw")
    assert "".join(e.digit for e in heard) == "147*0#"
    assert all(e.level_dbm0 == pytest.approx(-10.0, abs=0.5) for e in heard)


def test_priority_prompt_then_tone_then_dtmf_then_bridge(rng):
    eng = MediaEngine(ports=2)
    prompt = rng.integers(0, 256, 500, dtype=np.uint8)
    ced = dsp.custom_tone([(1000, 0, 100)], level_dbm0=-10.0, repeat=False)
    eng.bridge(0, 1)
    eng.play(0, prompt)
    eng.tone(0, ced)
    eng.dtmf(0, "9")
    other = ulaw(rng.normal(0, 1000, 6000))
    tx, events = run(eng, [None, other], frames=(160, 37, 320))
    kinds = [(e.kind, e.start, e.end) for e in events if e.port == 0]
    assert kinds[0] == ("prompt-done", 0, 500)
    assert kinds[1][0] == "tone-done" and kinds[1][1] == 500
    t_end = kinds[1][2]
    assert kinds[2][0] == "dtmf-sent" and kinds[2][1] == t_end
    d_end = kinds[2][2]
    assert d_end - t_end == 8 * (50 + 55)  # one digit, its pause included
    assert np.array_equal(tx[0, :500], prompt)
    assert np.array_equal(tx[0, d_end:], other[d_end:])
    tone_part = dsp.ulaw_decode(tx[0, 500:t_end]).astype(float)
    assert bin_level(tone_part, 1000) > 0.5 * 8159 * 4 * 10 ** ((-3.17 - 10) / 20)
    assert "".join(e.digit for e in dsp.detect_dtmf(dsp.ulaw_decode(tx[0, t_end:d_end]))) == "9"


# --- bridge -----------------------------------------------------------------------------

def test_bridge_same_law_copies_codes_both_ways(rng):
    eng = MediaEngine(ports=4)
    a, b = ulaw(rng.normal(0, 3000, 4000)), ulaw(rng.normal(0, 500, 4000))
    eng.bridge(1, 3)
    assert eng.peer(1) == 3 and eng.peer(3) == 1 and eng.peer(0) is None
    tx, _ = run(eng, [None, a, None, b], frames=(160,))
    assert np.array_equal(tx[3], a) and np.array_equal(tx[1], b)
    assert np.all(tx[0] == ULAW_SILENCE) and np.all(tx[2] == ULAW_SILENCE)
    eng.unbridge(3)
    assert eng.peer(1) is None
    out, _ = eng.process([None, a[:160], None, b[:160]])
    assert np.all(out == ULAW_SILENCE)


def test_bridge_transcodes_between_alaw_and_ulaw(rng):
    eng = MediaEngine(ports=2)
    eng.port_init(1, law="alaw")
    eng.bridge(0, 1)
    x0 = to_int16(tone([(440.0, -10.0)], 500))
    x1 = to_int16(rng.normal(0, 2000, 4000))
    u0, a1 = dsp.ulaw_encode(x0), dsp.alaw_encode(x1)
    tx, _ = run(eng, [u0, a1], frames=(80, 160, 20))
    assert np.array_equal(tx[1], dsp.ulaw_to_alaw(u0))
    assert np.array_equal(tx[0], dsp.alaw_to_ulaw(a1))
    # And the audio is the audio: what port 1's far end hears is what port 0's said.
    assert np.corrcoef(dsp.alaw_decode(tx[1]), x0)[0, 1] > 0.999


def test_bridging_a_bridged_port_moves_it():
    eng = MediaEngine(ports=3)
    eng.bridge(0, 1)
    eng.bridge(1, 2)
    assert (eng.peer(0), eng.peer(1), eng.peer(2)) == (None, 2, 1)


# --- recording --------------------------------------------------------------------------

def test_recording_holds_both_directions_and_stops_when_full(rng):
    eng = MediaEngine(ports=2)
    eng.port_init(1, law="alaw")
    eng.bridge(0, 1)
    caller = to_int16(tone([(440.0, -12.0)], 1000))  # on port 0
    agent = to_int16(tone([(1000.0, -18.0)], 1000))  # on port 1
    rx = [dsp.ulaw_encode(caller), dsp.alaw_encode(agent)]
    cap = 6000
    buf = eng.record(0, capacity=cap)
    eng.process([r[:160] for r in rx])  # one frame recorded...
    tx, events = run(eng, [r[160:] for r in rx], frames=(160, 77))
    full = [e for e in events if e.kind == "record-full"]
    assert len(full) == 1 and full[0].port == 0
    assert (full[0].start, full[0].end, full[0].value) == (0, cap, cap)
    assert eng.record_bytes(0) == cap
    rec = eng.record_stop(0)
    assert len(rec) == cap and np.shares_memory(rec, buf)
    y = dsp.ulaw_decode(rec).astype(float)
    ref = 8159 * 4 * 10 ** (-3.17 / 20)
    assert bin_level(y[:4096], 440) == pytest.approx(ref * 10 ** (-12 / 20), rel=0.05)
    assert bin_level(y[:4096], 1000) == pytest.approx(ref * 10 ** (-18 / 20), rel=0.05)
    # Sample for sample: the far party plus what the port sent, as the line carried them.
    heard = dsp.ulaw_decode(dsp.alaw_to_ulaw(rx[1][:cap])).astype(float)
    mix = dsp.ulaw_decode(rx[0][:cap]).astype(float) + heard
    assert np.corrcoef(y, mix)[0, 1] > 0.999
    assert np.corrcoef(y, caller[:cap])[0, 1] > 0.7 and np.corrcoef(y, agent[:cap])[0, 1] > 0.3


def test_recording_saturates_instead_of_wrapping():
    eng = MediaEngine(ports=2)
    eng.bridge(0, 1)
    loud = np.full(160, 0x80, dtype=np.uint8)  # mu-law full scale positive
    eng.record(0, capacity=160)
    _, events = eng.process([loud, loud])
    rec = eng.record_stop(0)
    assert np.all(dsp.ulaw_decode(rec) == dsp.ulaw_decode(loud))
    assert [e.kind for e in events] == ["record-full"]


# --- frame size invariance --------------------------------------------------------------

def _scenario(frames, rng_seed=7):
    rng = np.random.default_rng(rng_seed)
    x = dtmf("2580", lead_ms=100, rng=rng)
    n = len(x) + 4000
    line = ulaw(np.concatenate([x, silence(500)]))[:n]
    eng = MediaEngine(ports=3)
    eng.play(0, np.arange(1111, dtype=np.uint8) % 200)
    eng.tone(1, dsp.custom_tone([(700, 0, 130), (0, 0, 20)], repeat=False))
    eng.dtmf(1, "3")
    eng.record(2, capacity=4321)
    tx, events = run(eng, [line, None, line], frames=frames)
    return tx, [(e.port, e.kind, e.start, e.end, e.value) for e in events]


def test_events_and_audio_do_not_depend_on_the_frame_size():
    ref_tx, ref = _scenario((160,))
    kinds = {k for _, k, *_ in ref}
    assert kinds == {"dtmf-begin", "dtmf", "prompt-done", "tone-done", "dtmf-sent", "record-full"}
    for frames in ((80,), (20,), (320,), (1, 159, 7, 320, 0, 64)):
        tx, events = _scenario(frames)
        assert sorted(events) == sorted(ref), frames
        assert np.array_equal(tx, ref_tx), frames


@settings(max_examples=15, deadline=None)
@given(st.lists(st.integers(0, MAX_FRAME), min_size=1, max_size=8).filter(any))
def test_any_frame_cutting_gives_the_same_events(frames):
    ref_tx, ref = _scenario((160,))
    tx, events = _scenario(tuple(frames))
    assert sorted(events) == sorted(ref)
    assert np.array_equal(tx, ref_tx)


# --- errors and memory ------------------------------------------------------------------

def test_bad_commands_are_clear_errors():
    with pytest.raises(ValueError, match="ports"):
        MediaEngine(ports=0)
    with pytest.raises(ValueError, match="ports"):
        MediaEngine(ports=lib.CG_MEDIA_MAX_PORTS + 1)
    with pytest.raises(ValueError, match="law"):
        MediaEngine(ports=1, law="pcm")
    eng = MediaEngine(ports=2)
    with pytest.raises(ValueError, match="port"):
        eng.play(2, b"\x00")
    with pytest.raises(ValueError, match="empty"):
        eng.play(0, b"")
    with pytest.raises(ValueError, match="itself"):
        eng.bridge(1, 1)
    with pytest.raises(ValueError, match="tone plan"):
        eng.tone(0, "XX", "busy")
    with pytest.raises(ValueError, match="no tone"):
        eng.tone(0, "US", "beep")
    with pytest.raises(ValueError, match="DTMF digit"):
        eng.dtmf(0, "12x")
    with pytest.raises(ValueError, match="capacity"):
        eng.record(0, capacity=0)
    with pytest.raises(ValueError, match="n must be"):
        eng.process([None, None], n=MAX_FRAME + 1)
    with pytest.raises(ValueError, match="codes"):
        eng.process([np.zeros(80, np.uint8), np.zeros(81, np.uint8)])
    with pytest.raises(TypeError, match="uint8"):
        eng.process([np.zeros(80, np.int16), None])
    with pytest.raises(TypeError, match="uint8"):
        eng.play(0, np.zeros(10, np.int16))
    with pytest.raises(dsp.DspError, match="queue|space|small"):
        eng.dtmf(0, "1" * 65)
    # The C checks themselves.
    m = eng._m
    ev = ffi.new("cg_media_event_t[]", lib.CG_MEDIA_MAX_EVENTS)
    assert lib.cg_media_process(m, ffi.NULL, ffi.NULL, MAX_FRAME + 1, ev, len(ev)) == -2
    assert lib.cg_media_process(m, ffi.NULL, ffi.NULL, 80, ev, len(ev) - 1) == -3
    assert lib.cg_media_init(ffi.NULL, 1, 0) == -1
    assert lib.cg_media_init(m, 1, 7) == -2
    assert lib.cg_media_port_init(m, 0, 2) == -2
    assert lib.cg_media_play(m, 0, ffi.NULL, 1, 0) == -1
    assert lib.cg_media_tone(m, 0, 99, 0) == -4
    assert lib.cg_media_tone(m, 0, 0, 99) == -4
    assert lib.cg_media_tone_desc(m, 0, ffi.NULL) == -1
    assert lib.cg_media_bridge(m, 0, 5) == -2
    assert lib.cg_media_record(m, 0, ffi.NULL, 10) == -1
    assert lib.cg_media_cid_arm(m, 0, ffi.NULL, ffi.NULL) == -1
    assert lib.cg_media_cid_line(m, 0, 2) == -2
    assert lib.cg_media_peer(m, 9) == lib.CG_MEDIA_NO_PEER
    assert lib.cg_media_stop(m, 0) == 0
    assert lib.cg_media_record_stop(m, 1) == 0


def test_process_reuses_its_buffers():
    eng = MediaEngine(ports=4)
    eng.bridge(0, 1)
    eng.tone(2, "CN", "dial")
    frames = [np.full(160, 0xFF, np.uint8)] * 4
    tx, _ = eng.process(frames)
    assert np.shares_memory(tx, eng.tx)
    for _ in range(50):  # warm up
        eng.process(frames)
    tracemalloc.start()
    base, _ = tracemalloc.get_traced_memory()
    for _ in range(2000):
        tx, events = eng.process(frames)
    now, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert now - base < 2048 and peak - base < 16384, (now - base, peak - base)
    assert np.shares_memory(tx, eng.tx) and events == []
