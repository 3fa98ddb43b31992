"""A fixed media-engine session whose outputs were recorded before the engine had hear sets.

The two-party bridge is now the hear set {a hears b, b hears a} (cg_media_hear); it must
stay bit-identical to the bridge it replaced. This module plays one session through every
path a bridge has (same law, A-law <-> mu-law, moved, unbridged, a silent (NULL) line, under
a prompt, a tone and DTMF that end mid-frame, recordings on both sides, odd frame sizes) and
reduces what came out to SHA-256 digests: every port's tx, every recording, the event list.

`python tests/dsp/media_reference.py --record` wrote media_bridge_reference.json with the
engine of commit 5d5573f (cg_media_bridge on a peer field); test_media_hear.py compares the
engine of today with it. Re-record only for a deliberate change of the bridge's output.

The inputs are integers only (an LCG and triangle waves), so they are the same on every
machine and numpy version.
"""

import hashlib
import json
import pathlib
import sys

import numpy as np

REFERENCE = pathlib.Path(__file__).with_name("media_bridge_reference.json")
PORTS = 4
LAWS = ("ulaw", "ulaw", "alaw", "ulaw")
TOTAL = 16000  # 2 s
FRAMES = (160, 37, 320, 80, 1)


def lcg_noise(n, seed, peak):
    out = np.empty(n, np.int32)
    x = seed
    for i in range(n):
        x = (1664525 * x + 1013904223) & 0xFFFFFFFF
        out[i] = (x >> 16) % (2 * peak + 1) - peak
    return out


def triangle(n, period, peak):
    t = np.arange(n) % period
    half = period // 2
    return np.where(t < half, -peak + 2 * peak * t // half, peak - 2 * peak * (t - half) // half)


def inputs():
    """Each port's far end: a triangle wave of its own period plus noise, in the port's law."""
    from callgate import dsp

    lines = []
    for p in range(PORTS):
        x = triangle(TOTAL, 19 + 7 * p, 6000 + 3000 * p) + lcg_noise(TOTAL, 1000 + p, 1500)
        x = np.clip(x, -32768, 32767).astype(np.int16)
        lines.append(dsp.ulaw_encode(x) if LAWS[p] == "ulaw" else dsp.alaw_encode(x))
    return lines


def session():
    """Run the session; returns {name: hex digest}."""
    from callgate import dsp
    from callgate.dsp.media import MediaEngine

    eng = MediaEngine(ports=PORTS)
    for p, law in enumerate(LAWS):
        eng.port_init(p, law=law)
    rx = inputs()
    prompt = (np.arange(700) * 37 % 256).astype(np.uint8)
    ced = dsp.custom_tone([(1000, 0, 300)], level_dbm0=-10.0, repeat=False)
    rec = {0: eng.record(0, 20000), 2: eng.record(2, 6000), 3: eng.record(3, 20000)}
    eng.bridge(0, 1)
    eng.tone(1, ced)
    eng.dtmf(0, "12")
    eng.play(3, prompt)
    # (sample from which the command applies, command)
    script = [
        (2000, lambda: eng.bridge(1, 2)),  # moves port 1: port 0 now hears silence
        (4000, lambda: eng.bridge(0, 3)),
        (6000, lambda: eng.play(2, prompt[:300])),
        (7000, lambda: eng.unbridge(0)),
        (8000, lambda: eng.bridge(3, 2)),  # mu-law <-> A-law, and port 1 is left alone
        (11000, lambda: eng.bridge(1, 0)),
        (12500, lambda: eng.unbridge(2)),
        (13000, lambda: eng.bridge(2, 0)),
    ]
    tx = np.empty((PORTS, TOTAL), np.uint8)
    events = []
    at = k = 0
    while at < TOTAL:
        while script and script[0][0] <= at:
            script.pop(0)[1]()
        n = min(FRAMES[k % len(FRAMES)], TOTAL - at)
        silent = (k % 7 == 3)  # port 3's line sends nothing (rx NULL) in some frames
        frame = [r[at:at + n] for r in rx]
        if silent:
            frame[3] = None
        out, ev = eng.process(frame, n=n)
        tx[:, at:at + n] = out
        events += [(e.port, e.kind, e.start, e.end, e.value) for e in ev]
        at += n
        k += 1
    digest = lambda b: hashlib.sha256(bytes(b)).hexdigest()  # noqa: E731
    result = {f"tx{p}": digest(tx[p]) for p in range(PORTS)}
    for p in rec:
        result[f"record{p}"] = digest(eng.record_stop(p))
    result["events"] = digest(json.dumps(events).encode())
    result["n_events"] = len(events)
    return result


if __name__ == "__main__":
    if sys.argv[1:] != ["--record"]:
        sys.exit("usage: python tests/dsp/media_reference.py --record")
    REFERENCE.write_text(json.dumps(session(), indent=1) + "\n")
    print(f"wrote {REFERENCE}")
