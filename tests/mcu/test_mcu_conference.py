"""_callgate.Media's hear sets on the MCU image (Cortex-M4F under QEMU) against the host's cffi
binding: a supervisor's listen, whisper and barge on a three-leg call, code for code."""

import ast
import hashlib

import numpy as np
import pytest

from callgate.dsp import g711
from callgate.dsp.media import MediaEngine

BLOCK = 160
MODES = {  # caller 0, agent 1, supervisor 2 (A-law): each port's hear set
    "listen": ([1], [0], [0, 1]),
    "whisper": ([1], [0, 2], [0, 1]),
    "barge": ([1, 2], [0, 2], [0, 1]),
}


@pytest.fixture
def mcu(target):
    target.soft_reset()
    target.run("import _callgate\nfrom array import array")
    return target


def lines(frames):
    n = frames * BLOCK
    t = np.arange(n) / 8000
    x = [(6000 * np.sin(2 * np.pi * f * t)).astype(np.int16) for f in (470.0, 1090.0, 1730.0)]
    return [g711.ulaw_encode(x[0]), g711.ulaw_encode(x[1]), g711.alaw_encode(x[2])]


def test_supervisor_modes_are_code_for_code_the_hosts(mcu):
    frames = 12
    rx = lines(frames)
    for p in range(3):
        mcu.put(f"rx{p}", rx[p].tobytes(), "B")
    out = mcu.run(f"""
import hashlib, binascii
N = {BLOCK}
m = _callgate.Media(3, _callgate.ULAW)
m.port_init(2, _callgate.ALAW)
rx = bytearray(3 * N); tx = bytearray(3 * N)
ev = bytearray(_callgate.MEDIA_MAX_EVENTS * _callgate.MEDIA_EVENT_SIZE)
res = []
for mode in {list(MODES.values())!r}:
    for p in range(3):
        m.hear(p, mode[p])
    h = [hashlib.sha256(), hashlib.sha256(), hashlib.sha256()]
    for f in range({frames}):
        rx[0:N] = rx0[f * N:(f + 1) * N]
        rx[N:2 * N] = rx1[f * N:(f + 1) * N]
        rx[2 * N:3 * N] = rx2[f * N:(f + 1) * N]
        m.process(rx, tx, ev)
        for p in range(3):
            h[p].update(tx[p * N:(p + 1) * N])
    res.append(([m.hears(p) for p in range(3)], [binascii.hexlify(x.digest()).decode() for x in h]))
print(repr(res))
""", timeout=120)
    on_mcu = ast.literal_eval(out.strip())
    eng = MediaEngine(3, "ulaw")
    eng.port_init(2, law="alaw")
    on_host = []
    for mode in MODES.values():
        for p in range(3):
            eng.hear(p, mode[p])
        h = [hashlib.sha256() for _ in range(3)]
        for f in range(frames):
            s = slice(f * BLOCK, (f + 1) * BLOCK)
            tx, _ = eng.process([r[s] for r in rx], n=BLOCK)
            for p in range(3):
                h[p].update(tx[p].tobytes())
        on_host.append(([eng.hears(p) for p in range(3)], [x.hexdigest() for x in h]))
    assert on_mcu == on_host
    assert [sets for sets, _ in on_mcu] == [list(m) for m in MODES.values()]


def test_bad_hear_sets_are_clear_errors(mcu):
    out = mcu.run("""
m = _callgate.Media(3, _callgate.ULAW)
m.hear(0, (1, 2))
for bad in ((0, [0]), (0, [3]), (3, [0]), (0, 5)):
    try:
        m.hear(*bad)
        print('accepted', bad)
    except (ValueError, TypeError) as e:
        print(type(e).__name__, e)
print(m.hears(0), m.peer(0))
""")
    assert out.splitlines() == [
        "ValueError hear: a parameter is out of its documented range",
        "ValueError no such port",
        "ValueError no such port",
        "TypeError object 'int' isn't a tuple or list",
        "[1, 2] None",
    ]


def test_hal_mcu_carries_out_the_hear_command_and_tells_the_line_cards(mcu):
    """The firmware's `hear` command on the MCU board (hal_mcu.Board.command): the engine's
    hear set, and EV_HEAR on the line-card bus for the simulated far ends; a bad one is an
    error report naming why, with nothing changed."""
    out = mcu.run("""
from callgate import hal_mcu, linebus
board = {"ports": [{"kind": "fxo"}, {"kind": "fxs"}, {"kind": "fxs"}], "pcm": {"law": "ulaw"}}
import asyncio
b = hal_mcu.Board(board)
b._flag = asyncio.Event()  # (connect() makes it, with the UARTs this test does without)
b.command({"t": "bridge", "port": 0, "a": 0, "b": 1})
b.command({"t": "hear", "port": 2, "from": [1, 0]})
b.command({"t": "hear", "port": 2, "from": [2]})
b.command({"t": "hear", "port": 2, "from": 1})
b.command({"t": "unbridge", "port": 2})
print(repr([b.media.hears(p) for p in range(3)]))
told = (linebus.EV_BRIDGE, linebus.EV_HEAR, linebus.EV_UNBRIDGE)
print(repr([(c, p, bytes(d)) for c, p, d in b.out if c in told]))
print(repr([(r["cmd"], r["port"], r["msg"]) for r in b._reports if r["what"] == "error"]))
""")
    sets, events, errors = (ast.literal_eval(line) for line in out.splitlines())
    assert sets == [[1], [0], []]
    assert events == [(20, 0, b"\x01"), (23, 2, b"\x00\x01"), (21, 2, b"")]
    assert errors == [("hear", 2, "hear: a parameter is out of its documented range"),
                      ("hear", 2, "hear: from must be a list of ports, not 1")]
