# Port states from line-card reports. Shared: CPython (pytest) and MicroPython (mp_runner.py).

import fw

messages = fw.module("link.messages")
RING_GAP_MS = fw.module("ports").RING_GAP_MS
Ports = fw.module("ports").Ports

RUNS_ON_MICROPYTHON = True

DEFS = [
    {"n": 0, "kind": "fxo", "name": "fxo1"},
    {"n": 1, "kind": "fxo", "name": "fxo2"},
    {"n": 2, "kind": "fxs", "name": "fxs1"},
]


def test_fxo_ring_cadence_is_one_ringing_state():
    p = Ports(DEFS)
    ev = p.line({"what": "ring", "port": 0, "on": True}, 0)
    assert ev == [
        (messages.EV_RING, {"port": 0, "on": True}),
        (messages.EV_PORT, {"port": 0, "state": "ringing", "was": "idle"}),
    ]
    assert p.line({"what": "ring", "port": 0, "on": False}, 2000) == [(messages.EV_RING, {"port": 0, "on": False})]
    assert not p.tick(5000)  # inside the cadence's pause
    assert p.line({"what": "ring", "port": 0, "on": True}, 6000) == [(messages.EV_RING, {"port": 0, "on": True})]
    assert p.line({"what": "ring", "port": 0, "on": True}, 6100) == []  # no change, no event
    p.line({"what": "ring", "port": 0, "on": False}, 8000)
    assert not p.tick(8000 + RING_GAP_MS - 1)
    assert p.tick(8000 + RING_GAP_MS) == [(messages.EV_PORT, {"port": 0, "state": "idle", "was": "ringing"})]
    assert p.status()[0] == {"n": 0, "kind": "fxo", "name": "fxo1", "state": "idle"}


def test_fxs_hook():
    p = Ports(DEFS)
    assert p.line({"what": "hook", "port": 2, "off": True}, 0) == [
        (messages.EV_HOOK, {"port": 2, "off": True}),
        (messages.EV_PORT, {"port": 2, "state": "offhook", "was": "idle"}),
    ]
    assert p.line({"what": "hook", "port": 2, "off": True}, 1) == []
    assert p.line({"what": "hook", "port": 2, "off": False}, 2)[1][1]["state"] == "idle"


def test_reports_that_do_not_fit_are_ignored():
    p = Ports(DEFS)
    for bad in (
        {"what": "ring", "port": 2, "on": True},  # an FXS port does not get rung
        {"what": "hook", "port": 0, "off": True},  # an FXO port has no hook switch
        {"what": "ring", "port": 9, "on": True},
        {"what": "ring", "port": "0", "on": True},
        {"what": "smoke", "port": 0},
        {},
    ):
        assert p.line(bad, 0) == []
    assert p.ignored == 6
