# The firmware's RAM budget, measured with gc under MicroPython (on CPython, which has no
# gc.mem_alloc, pytest reports these as skipped). Shared: mp_runner.py runs them on the real
# Unix port. The budgets are for a board with the virtual-4 port set; a board with more ports
# scales the per-port part.

import gc

import fw

Calls = fw.module("calls").Calls
messages = fw.module("link.messages")
Endpoint = fw.module("link.endpoint").Endpoint
FRAME_BUFFERS = fw.module("link.endpoint").RING_BYTES + fw.module("link.endpoint").CACHE_BYTES
Ports = fw.module("ports").Ports

RUNS_ON_MICROPYTHON = True

PORTS = [{"n": 0, "kind": "fxo", "name": "fxo1"}, {"n": 1, "kind": "fxo", "name": "fxo2"},
         {"n": 2, "kind": "fxs", "name": "fxs1"}, {"n": 3, "kind": "fxs", "name": "fxs2"}]
BOOT_BUDGET = 8 * 1024 + FRAME_BUFFERS  # bytes: ports, calls, the link endpoint and the buffers
#   of its event ring and reply cache (6.2 KB and the buffers measured on the 64-bit Unix port;
#   a 32-bit board needs less)
LEAK_SLACK = 512  # bytes a run of calls may leave behind (interned strings, dict growth)


def _mem_alloc():
    if not hasattr(gc, "mem_alloc"):
        import pytest

        pytest.skip("gc.mem_alloc is MicroPython's")
    gc.collect()
    return gc.mem_alloc()


def _call(ports, calls, ep, t, port):
    """One inbound call, ring to hang-up, with its events sent to the host."""
    ev, cmd = [], []
    for now, r in ((t, {"what": "ring", "port": port, "on": True}),
                   (t + 2000, {"what": "ring", "port": port, "on": False}),
                   (t + 2600, {"what": "cid", "port": port, "number": "5551234", "name": "A",
                               "status": "ok"}),
                   (t + 6000, {"what": "ring", "port": port, "on": True}),
                   (t + 7600, {"what": "prompt_done", "port": port, "prompt": "welcome",
                               "reason": "complete"}),
                   (t + 8000, {"what": "dtmf", "port": port, "digit": "1"}),
                   (t + 8200, {"what": "dtmf", "port": port, "digit": "#"})):
        ev.extend(ports.line(r, now))
        calls.line(r, now, ports, ev, cmd)
    for kind, value in ev:
        ep.event(kind, value)
    assert ports.state(port) == "idle", ports.state(port)


def test_boot_objects_fit_the_budget():
    before = _mem_alloc()
    ports = Ports(PORTS)
    calls = Calls(PORTS, None)
    ep = Endpoint({"fw": "0", "board": "virtual-4", "boot": 1})
    used = _mem_alloc() - before
    assert used < BOOT_BUDGET, "boot objects take %d bytes (budget %d)" % (used, BOOT_BUDGET)
    assert ports and calls and ep


def test_calls_leave_nothing_behind():
    ports, calls = Ports(PORTS), Calls(PORTS, None)
    ep = Endpoint({"fw": "0", "board": "virtual-4", "boot": 1})
    for i in range(80):  # fill the event ring: from here on it only overwrites
        ep.event(messages.EV_PORT, {"port": 0, "state": "idle", "was": "idle"})
    _call(ports, calls, ep, 0, 0)
    settled = _mem_alloc()
    for i in range(30):
        _call(ports, calls, ep, 10000 * (i + 1), i % 2)
    grew = _mem_alloc() - settled
    assert grew < LEAK_SLACK, "30 calls left %d bytes behind" % grew
