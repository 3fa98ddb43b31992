# Hot paths that must not touch the heap, checked under micropython.heap_lock() (an
# allocation then raises MemoryError), as micropython-lib's usb-device tests do. Shared file:
# on CPython, which has no heap lock, pytest reports these as skipped.

import fw

messages = fw.module("link.messages")
crc16 = fw.module("link.crc").crc16
Ports = fw.module("ports").Ports

RUNS_ON_MICROPYTHON = True


def _heap_locked(fn):
    try:
        import micropython

        lock, unlock = micropython.heap_lock, micropython.heap_unlock
    except (ImportError, AttributeError):
        import pytest

        pytest.skip("heap_lock is MicroPython's")
    fn()  # once unlocked: first-call work is allowed
    lock()  # (fn takes no arguments: a *args call would allocate by itself)
    try:
        fn()
    finally:
        unlock()


def test_crc_does_not_allocate():
    data = b"\x55" * 300
    _heap_locked(lambda: crc16(data))


def test_seq_after_does_not_allocate():
    _heap_locked(lambda: messages.seq_after(3, 0xFFF0))


def test_idle_port_tick_does_not_allocate():
    p = Ports([{"n": 0, "kind": "fxo"}, {"n": 1, "kind": "fxs"}])
    _heap_locked(lambda: p.tick(1000))


def test_idle_calls_tick_does_not_allocate():
    Calls = fw.module("calls").Calls

    defs = [{"n": 0, "kind": "fxo"}, {"n": 1, "kind": "fxs"}]
    p = Ports(defs)
    c = Calls(defs)
    ev = []
    cmd = []
    _heap_locked(lambda: c.tick(1000, p, ev, cmd))


def test_a_calls_tick_with_two_calls_bridged_does_not_allocate():
    from test_fw_center import Board

    b = Board()
    b.call_in_queue(0, "1", "5550001")  # sales: Alice
    b.at(3000).done(0, "recorded")
    b.at(4000).hook(2, True)
    b.call_in_queue(1, "2", "5550002")  # support: Bob
    b.at(b.now + 500).key(1, "1")
    b.at(b.now + 3000).done(1, "recorded")
    b.at(b.now + 1000).hook(3, True)
    assert b.agent(2) == "talking" and b.agent(3) == "talking", (b.agent(2), b.agent(3))
    ev, cmd = [], []
    tick = lambda: b.calls.tick(b.now + 20, b.ports, ev, cmd)  # noqa: E731
    _heap_locked(tick)
    assert not ev and not cmd


def test_a_calls_tick_with_a_caller_waiting_for_a_busy_agent_does_not_allocate():
    from test_fw_center import Board

    b = Board()
    b.call_in_queue(0, "1", "5550001")  # sales: Alice, the only one with the skill
    b.at(3000).done(0, "recorded")
    b.at(4000).hook(2, True)
    b.hook(3, True)  # Bob picks up his phone: no one is free
    b.call_in_queue(1, "2", "5550002")
    b.at(b.now + 500).key(1, "1")  # support: waits
    b.at(b.now + 3000).done(1, "recorded")
    assert b.states(1)[-1] == "queued" and b.agent(3) == "offhook", (b.states(1), b.agent(3))
    ev, cmd = [], []
    tick = lambda: b.calls.tick(b.now + 20, b.ports, ev, cmd)  # noqa: E731
    _heap_locked(tick)
    assert not ev and not cmd
