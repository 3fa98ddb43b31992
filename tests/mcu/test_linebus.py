"""The line-card bus protocol (firmware/callgate/linebus.py) on the host: round trips, the
link's framing, a stream cut anywhere, corruption. (Its run on the target: test_mcu_bus.py.)"""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callgate.firmware import linebus as lb
from callgate.firmware.link import frame

frames_st = st.dictionaries(st.integers(0, lb.MAX_PORTS - 1), st.binary(min_size=lb.FRAME, max_size=lb.FRAME),
                            max_size=4)
events_st = st.lists(st.tuples(st.sampled_from(lb.LINE_EVENTS + lb.MCU_EVENTS), st.integers(0, 7),
                               st.binary(max_size=lb.MAX_DATA)), max_size=6)
tick_st = st.integers(0, 2**32 - 1)
kind_st = st.sampled_from(lb.KINDS)


def bodies(wire: bytes, chunks=None):
    d = lb.Decoder()
    out = []
    cuts = chunks or [len(wire)]
    at = 0
    for size in cuts:
        end = min(len(wire), at + size)
        i = at
        while i < end:
            i = d.feed(wire, i, end)
            if d.ready:
                out.append(bytes(d.body[:d.ready]))
        at = end
    return out, d


@settings(max_examples=200, deadline=None)
@given(kind_st, tick_st, frames_st, events_st)
def test_a_tick_round_trips(kind, tick, frames, events):
    wire = lb.pack(kind, tick, frames, events)
    [body], d = bodies(wire)
    assert lb.unpack(body) == (kind, tick, frames, events)
    assert d.errors == 0


@settings(max_examples=200, deadline=None)
@given(st.binary(min_size=1, max_size=1200))
def test_the_framing_is_the_links(body):
    """Encoder's wire bytes are link/frame.py's for the same body, and Decoder takes them."""
    e = lb.Encoder(1, len(body) + 2)
    e.body[:len(body)] = body
    e._n = len(body)
    n = e.finish()
    assert bytes(e.wire[:n]) == frame.encode(body, max_frame=len(body) + 2)
    assert bodies(bytes(e.wire[:n]))[0] == [body]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(kind_st, tick_st, frames_st, events_st), min_size=1, max_size=5),
       st.lists(st.integers(1, 300), min_size=1, max_size=40))
def test_a_stream_cut_anywhere_gives_every_tick(ticks, cuts):
    wire = b"".join(lb.pack(*t) for t in ticks)
    cuts = (cuts * (len(wire) // max(1, sum(cuts)) + 1))
    got, d = bodies(wire, cuts)
    assert [lb.unpack(b) for b in got] == [tuple(t) for t in ticks]
    assert d.errors == 0


@settings(max_examples=200, deadline=None)
@given(tick_st, frames_st, events_st, st.data())
def test_a_corrupted_tick_is_dropped_and_the_next_arrives(tick, frames, events, data):
    first = bytearray(lb.pack(lb.KIND_RX, tick, frames, events))
    second = lb.pack(lb.KIND_RX, (tick + 1) & 0xFFFFFFFF, {0: bytes(range(160))}, [(lb.EV_LOOP_ON, 0, b"")])
    i = data.draw(st.integers(1, len(first) - 2))  # inside the frame, not its delimiters
    first[i] ^= data.draw(st.integers(1, 255))
    got, d = bodies(bytes(first) + second)
    # CRC-16 catches the change (or it made a 0x00, which cuts the frame short): never a
    # wrong tick, and the next one is intact.
    assert got[-1] == bodies(second)[0][0]
    assert all(lb.unpack(b) == (lb.KIND_RX, tick, frames, events) for b in got[:-1])
    assert len(got) == 1 and d.errors >= 1


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=3000))
def test_noise_before_a_tick_costs_nothing_after_the_next_delimiter(noise):
    tick = lb.pack(lb.KIND_TX, 7, {1: bytes(160)}, [(lb.EV_OFFHOOK, 1, b"")])
    got, _ = bodies(noise + tick)
    assert lb.unpack(got[-1]) == (lb.KIND_TX, 7, {1: bytes(160)}, [(lb.EV_OFFHOOK, 1, b"")])


def test_an_overlong_frame_is_dropped_not_buffered():
    d = lb.Decoder(max_body=100)
    junk = b"\x00" + b"\x05\x01\x02\x03\x04" * 100 + b"\x00"
    ok = lb.pack(lb.KIND_HELLO, 0, {})
    i = 0
    wire = junk + ok
    got = []
    while i < len(wire):
        i = d.feed(wire, i, len(wire))
        if d.ready:
            got.append(bytes(d.body[:d.ready]))
    assert d.errors == 1 and [lb.unpack(b)[0] for b in got] == [lb.KIND_HELLO]


@pytest.mark.parametrize("body,why", [
    (b"\x52\x00\x00", "shorter than its head"),
    (bytes([0x52, 0, 0, 0, 0, 1, 0]) + bytes(10), "cut short"),
    (bytes([0x52, 0, 0, 0, 0, 0, 1, 3, 0, 9]), "event 0 is cut short"),
    (bytes([0x99, 0, 0, 0, 0, 0, 0]), "unknown kind"),
    (bytes([0x52, 0, 0, 0, 0, 0, 0, 1]), "after the last event"),
])
def test_a_body_that_breaks_the_layout_is_refused_with_why(body, why):
    with pytest.raises(lb.BusError, match=why):
        lb.unpack(body)


def test_clock_data_round_trips():
    for v in (0, 1, 1_700_000_000_123, 2**64 - 1):
        assert lb.from_u64(lb.u64(v)) == v
