# The board's end of the link: handshake, at-most-once, events and their ring.
# Shared: CPython (pytest) and MicroPython (mp_runner.py).

import fw

frame = fw.module("link.frame")
messages = fw.module("link.messages")
Endpoint = fw.module("link.endpoint").Endpoint
RemoteError = fw.module("link.errors").RemoteError
ERR, EVT, REQ, RSP = messages.ERR, messages.EVT, messages.REQ, messages.RSP

RUNS_ON_MICROPYTHON = True


def _req(rid, op, value=None):
    return frame.encode(messages.pack(REQ, rid, op, value))


def _talk(ep, data):
    """Send data to the endpoint; return the decoded messages it answers with."""
    r = frame.Reader()
    out = []
    for f in ep.receive(data):
        for body in r.feed(f):
            out.append(messages.unpack(body))
    assert r.errors == 0
    return out


def _board():
    ep = Endpoint({"fw": "0.1.0", "board": "test", "boot": 1234})
    calls = []

    def dial(value):
        calls.append(value)
        if value == "busy":
            raise RemoteError(42, "line busy", {"port": 1})
        if value == "bug":
            return 1 // 0
        return {"ok": len(calls)}

    ep.handle(0x40, dial)
    return ep, calls


def test_hello():
    ep, _ = _board()
    (m,) = _talk(ep, _req(1, messages.OP_HELLO, {"proto": messages.PROTO}))
    kind, rid, op, v = m
    assert (kind, rid, op) == (RSP, 1, messages.OP_HELLO)
    assert v["proto"] == messages.PROTO and v["max"] == frame.MAX_FRAME
    assert v["board"] == "test" and v["boot"] == 1234 and v["next_ev"] == 0


def test_hello_other_version():
    ep, _ = _board()
    for value in ({"proto": 99}, None, [1], {"x": 1}):
        (m,) = _talk(ep, _req(2, messages.OP_HELLO, value))
        assert m[0] == ERR and m[3]["code"] == messages.ERR_VERSION
        assert m[3]["detail"] == {"proto": messages.PROTO}


def test_at_most_once():
    ep, calls = _board()
    req = _req(7, 0x40, "port 1")
    (a,) = _talk(ep, req)
    (b,) = _talk(ep, req)  # a retry: same id, same bytes
    assert a == b == (RSP, 7, 0x40, {"ok": 1})
    assert calls == ["port 1"] and ep.repeats == 1
    (c,) = _talk(ep, _req(7, 0x40, "port 2"))  # same id, other request: runs
    assert c[3] == {"ok": 2}
    (d,) = _talk(ep, _req(8, 0x40, "port 1"))  # other id: runs
    assert d[3] == {"ok": 3}


def test_cache_is_bounded_and_hello_clears_it():
    ep, calls = _board()
    for rid in range(20):
        _talk(ep, _req(rid, 0x40, rid))
    assert len(calls) == 20
    _talk(ep, _req(19, 0x40, 19))  # still cached
    assert len(calls) == 20
    _talk(ep, _req(0, 0x40, 0))  # long gone: runs again
    assert len(calls) == 21
    _talk(ep, _req(100, messages.OP_HELLO, {"proto": messages.PROTO}))
    _talk(ep, _req(19, 0x40, 19))
    assert len(calls) == 22


def test_errors():
    ep, _ = _board()
    (m,) = _talk(ep, _req(3, 0x40, "busy"))
    assert m[0] == ERR and m[3] == {"code": 42, "msg": "line busy", "detail": {"port": 1}}
    (m,) = _talk(ep, _req(4, 0x40, "bug"))
    assert m[0] == ERR and m[3]["code"] == messages.ERR_INTERNAL
    assert "ZeroDivisionError" in m[3]["msg"]
    (m,) = _talk(ep, _req(5, 0x77))
    assert m[0] == ERR and m[3]["code"] == messages.ERR_UNKNOWN_OP
    bad_payload = frame.encode(b"\x01\x00\x06\x40\xff")
    (m,) = _talk(ep, bad_payload)
    assert m[:3] == (ERR, 6, 0x40) and m[3]["code"] == messages.ERR_BAD_REQUEST


def test_too_large_reply():
    ep, _ = _board()
    ep.handle(0x41, lambda v: b"x" * 1000)
    (m,) = _talk(ep, _req(9, 0x41))
    assert m[0] == ERR and m[3]["code"] == messages.ERR_TOO_LARGE


def test_non_requests_are_ignored():
    ep, _ = _board()
    assert _talk(ep, frame.encode(messages.pack(RSP, 1, 0)) + b"garbage\x00") == []
    assert ep.ignored == 1 and ep.reader.errors == 1


def test_ping():
    ep, _ = _board()
    (m,) = _talk(ep, _req(10, messages.OP_PING, [1, b"\x00"]))
    assert m == (RSP, 10, messages.OP_PING, {"echo": [1, b"\x00"], "next_ev": 0, "boot": 1234})


def _events(msgs):
    return [(m[1], m[3]) for m in msgs if m[0] == EVT]


def test_events_are_numbered_and_resent():
    ep, _ = _board()
    frames = [ep.event(messages.EV_RING, {"port": i, "on": True}) for i in range(5)]
    r = frame.Reader()
    assert [messages.unpack(r.feed(f)[0])[1] for f in frames] == [0, 1, 2, 3, 4]
    msgs = _talk(ep, _req(11, messages.OP_EVENTS, {"after": 1}))
    assert _events(msgs) == [(2, {"port": 2, "on": True}), (3, {"port": 3, "on": True}), (4, {"port": 4, "on": True})]
    assert msgs[-1] == (RSP, 11, messages.OP_EVENTS, {"next_ev": 5, "sent": 3, "lost": 0})
    msgs = _talk(ep, _req(12, messages.OP_EVENTS, {"after": 4}))
    assert msgs == [(RSP, 12, messages.OP_EVENTS, {"next_ev": 5, "sent": 0, "lost": 0})]
    msgs = _talk(ep, _req(13, messages.OP_EVENTS, {"after": None}))
    assert [n for n, _ in _events(msgs)] == [0, 1, 2, 3, 4]
    (m,) = _talk(ep, _req(14, messages.OP_EVENTS, {"after": -3}))
    assert m[0] == ERR and m[3]["code"] == messages.ERR_BAD_REQUEST


def test_event_ring_overflow_and_wrap():
    ep = Endpoint({}, ring_size=8)
    for i in range(65540):
        if i < 65520:
            ep._ring.n += 1  # skip ahead cheaply; the ring only keeps the last 8 anyway
        else:
            ep.event(messages.EV_HOOK, {"n": i})
    assert ep.next_event() == 65540 & 0xFFFF
    msgs = _talk(ep, _req(15, messages.OP_EVENTS, {"after": 65525}))
    got = _events(msgs)
    assert [n for n, _ in got] == [(i & 0xFFFF) for i in range(65532, 65540)]
    assert msgs[-1][3] == {"next_ev": 4, "sent": 8, "lost": 6}


class _Starved:
    """The link's framing on a heap with no room left for a reply (the MCU met it with a
    fragmented heap: a 410-byte reply's COBS encoding raised MemoryError): replies fail to
    encode `misses` times; errors and events, which are small, still do."""

    def __init__(self, misses):
        self.misses = misses
        self.Reader = frame.Reader
        self.MAX_FRAME = frame.MAX_FRAME

    def encode(self, body):
        if body[0] == RSP and self.misses:
            self.misses -= 1
            raise MemoryError("memory allocation failed, allocating 410 bytes")
        return frame.encode(body)


def test_a_reply_with_no_memory_to_encode_fails_that_request_not_the_link():
    endpoint = fw.module("link.endpoint")
    ep, calls = _board()
    endpoint.frame = _Starved(1)
    try:
        (m,) = _talk(ep, _req(7, 0x40, "x"))
        assert m[0] == ERR and m[1] == 7 and m[3]["code"] == messages.ERR_INTERNAL
        assert "memory" in m[3]["msg"]
        assert _talk(ep, _req(8, 0x40, "y")) == [(RSP, 8, 0x40, {"ok": 2})]  # the next one is answered
    finally:
        endpoint.frame = frame
    assert calls == ["x", "y"]


def test_an_event_finds_memory_after_a_collection():
    endpoint = fw.module("link.endpoint")
    ep, _ = _board()

    class Once(_Starved):
        def encode(self, body):
            if body[0] == EVT and self.misses:
                self.misses -= 1
                raise MemoryError
            return frame.encode(body)

    endpoint.frame = Once(1)
    try:
        f = ep.event(messages.EV_DTMF, {"port": 1, "digit": "5"})
    finally:
        endpoint.frame = frame
    assert messages.unpack(frame.Reader().feed(f)[0]) == (EVT, 0, messages.EV_DTMF, {"port": 1, "digit": "5"})
    assert ep.next_event() == 1
