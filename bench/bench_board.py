"""The virtual board's figures for `make bench` (bench/run.py calls section()).

Two questions:

  audio  How many ports does one core keep in real time? The board model's audio plane is
         the C media engine (c_src/media.c) driven from Python through callgate.dsp.MediaEngine,
         one 20 ms frame (160 samples) per port per tick, engines of up to 8 ports. Measured
         here through MediaEngine (the cost the board model pays: cffi call, numpy, events),
         next to bench_media.c's figure for the C engine alone.
  link   The host link over a virtual board started here (tools/link_bench.py's path:
         client -> pty -> board model -> UNIX socket -> MicroPython firmware and back):
         frames/s, payload bytes/s and the share of the wire's bytes that is payload, for
         small requests, large requests, requests from 4 threads at once, and an event burst.

    .venv/bin/python bench/bench_board.py       # prints the markdown section
"""

import json
import os
import statistics
import sys
import threading
import time

import numpy as np

FRAME = 160  # samples: 20 ms at 8 kHz
TICK_S = FRAME / 8000


# --- audio ----------------------------------------------------------------------------------

def _noise_frames(ports, seconds=2.0, seed=1):
    """mu-law codes of about -30 dBm0 noise (a talker far away): what the detectors chew on."""
    from callgate import dsp

    rng = np.random.default_rng(seed)
    n = int(seconds * 8000) // FRAME * FRAME
    x = np.clip(rng.normal(0, 300, (ports, n)), -32768, 32767).astype(np.int16)
    return np.stack([dsp.ulaw_encode(row) for row in x])


def _engine_rate(scenario, repeats):
    """Median seconds per process() call of one 8-port engine, 20 ms frames."""
    from callgate.dsp import MediaEngine
    from callgate.dsp.media import MAX_PORTS

    ports = MAX_PORTS
    eng = MediaEngine(ports=ports, law="ulaw")
    audio = _noise_frames(ports)
    if scenario == "tone":
        for p in range(ports):
            eng.tone(p, "US", "busy")
    elif scenario == "bridge":
        for p in range(0, ports, 2):
            eng.bridge(p, p + 1)
    frames = audio.shape[1] // FRAME
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for f in range(frames):
            eng.rx[:, :FRAME] = audio[:, f * FRAME : (f + 1) * FRAME]  # the PCM highway's frame
            eng.process(n=FRAME)
        times.append((time.perf_counter() - t0) / frames)
    return ports, statistics.median(times)


def _realtime_check(n_ports, seconds=1.0):
    """Run n_ports (in 8-port engines) paced by a 20 ms clock; return (late ticks, ticks,
    worst busy share of a tick)."""
    from callgate.dsp import MediaEngine
    from callgate.dsp.media import MAX_PORTS

    engines = []
    left = n_ports
    while left > 0:
        engines.append(MediaEngine(ports=min(left, MAX_PORTS)))
        left -= MAX_PORTS
    audio = _noise_frames(MAX_PORTS, seconds=0.2)
    for e in engines:
        e.rx[:, :FRAME] = audio[: e.ports, :FRAME]
    ticks = int(seconds / TICK_S)
    late, worst = 0, 0.0
    t_next = time.perf_counter()
    for _ in range(ticks):
        t0 = time.perf_counter()
        for e in engines:
            e.process(n=FRAME)
        busy = time.perf_counter() - t0
        worst = max(worst, busy / TICK_S)
        t_next += TICK_S
        now = time.perf_counter()
        if now > t_next:
            late += 1
            t_next = now
        else:
            time.sleep(t_next - now)
    return late, ticks, worst


def audio_figures(repeats=5):
    rows = []
    for scenario in ("listen", "tone", "bridge"):
        ports, t = _engine_rate(scenario, repeats)
        per_port = t / ports
        rows.append({"scenario": scenario, "engine_ports": ports, "us_per_engine_frame": t * 1e6,
                     "us_per_port_frame": per_port * 1e6, "ports_per_core": int(TICK_S / per_port)})
    n = min(r["ports_per_core"] for r in rows) // 2  # half a core's worth, paced in real time
    n = max(8, n - n % 8)
    late, ticks, worst = _realtime_check(n)
    return {"rows": rows, "paced": {"ports": n, "late": late, "ticks": ticks, "worst_share": worst}}


# --- link -----------------------------------------------------------------------------------

def _payload(value):
    from callgate.firmware.link import codec

    return 0 if value is None else len(codec.dumps(value))


def link_figures(seconds=1.0):
    from callgate.firmware.link import frame, messages
    from callgate.link.client import connect
    from callgate.sim.board import VirtualBoard

    out = {}
    with VirtualBoard("virtual-4") as vb, connect(vb.data_port, timeout=0.5, retries=3) as c:
        for i in range(200):
            c.ping(i)

        def run(name, fn, threads=1):
            """fn() -> (request value, reply value); both ways' frames and payload bytes."""
            s0 = dict(vb.model.stats)
            counts = [[0, 0] for _ in range(threads)]  # frames, payload bytes
            stop = time.perf_counter() + seconds

            def worker(k):
                while time.perf_counter() < stop:
                    req, rep = fn()
                    counts[k][0] += 2
                    counts[k][1] += _payload(req) + _payload(rep)

            t0 = time.perf_counter()
            ts = [threading.Thread(target=worker, args=(k,)) for k in range(threads)]
            for t in ts:
                t.start()
            for t in ts:
                t.join()
            dt = time.perf_counter() - t0
            raw = (vb.model.stats["to_host"] - s0["to_host"]) + (vb.model.stats["to_board"] - s0["to_board"])
            frames = sum(x[0] for x in counts)
            payload = sum(x[1] for x in counts)
            out[name] = {"frames_per_s": frames / dt, "payload_bytes_per_s": payload / dt,
                         "raw_bytes_per_s": raw / dt, "payload_share": payload / raw if raw else 0.0,
                         "requests_per_s": frames / 2 / dt}

        small = 0

        def ping_small():
            nonlocal small
            small += 1
            return small, c.ping(small)

        big = bytes(range(256)) * 2
        big = big[:230]  # the PING reply echoes it: both ways near MAX_FRAME (512)

        def ping_big():
            return big, c.ping(big)

        run("PING, 1-byte value", ping_small)
        run("PING, 230-byte value", ping_big)
        run("PING, 230-byte value, 4 threads", ping_big, threads=4)

        # an event burst: 1 000 hook changes (2 000 events) as fast as the model makes them
        got = []
        c.subscribe(got.append)
        s0 = dict(vb.model.stats)
        t0 = time.time()  # Event.received is wall-clock
        for i in range(1000):
            vb.model.lines.hook(2, i % 2 == 0)
        deadline = t0 + 20
        while sum(1 for e in got if e.number is not None) + c.stats["lost"] < 2000 and time.time() < deadline:
            time.sleep(0.005)
        dt = max(e.received for e in got) - t0 if got else 0.0
        dt = max(dt, 1e-3)
        evs = [e for e in got if e.number is not None]
        payload = sum(_payload(e.value) for e in evs)
        raw = vb.model.stats["to_host"] - s0["to_host"]
        out["events, burst of 2 000"] = {
            "frames_per_s": len(evs) / dt, "payload_bytes_per_s": payload / dt, "raw_bytes_per_s": raw / dt,
            "payload_share": payload / raw if raw else 0.0, "delivered": len(evs), "lost": c.stats["lost"],
        }
        # the wire cost of one small frame, for the text
        f = frame.encode(messages.pack(messages.EVT, 1, messages.EV_HOOK, {"port": 2, "off": True}))
        out["_hook_event_frame"] = {"wire": len(f), "payload": _payload({"port": 2, "off": True})}
    return out


# --- the section ----------------------------------------------------------------------------

def section(repeats=5, media_c_rows=None):
    """Markdown lines for RESULTS.md, and the raw figures."""
    audio = audio_figures(repeats)
    link = link_figures()
    lines = [
        "## Virtual board (bench/bench_board.py)",
        "",
        "### Audio plane: ports one core keeps in real time",
        "",
        "The board model's audio plane is c_src's media engine called from Python through "
        "`callgate.dsp.MediaEngine`: one `process()` per 8-port engine per 20 ms frame (160 "
        "samples per port), after copying the frame into the engine's rx rows (as a PCM "
        "highway's DMA would). `listen`: detectors only on about -30 dBm0 noise; `tone`: every "
        "port plays the US busy tone; `bridge`: ports bridged in pairs. Real-time ports per core "
        "= 20 ms / (time per port-frame). Median of the repeats.",
        "",
        "| scenario | µs per 8-port process() | µs per port-frame | ports per core (Python + C) |",
        "| --- | ---: | ---: | ---: |",
    ]
    for r in audio["rows"]:
        lines.append(f"| {r['scenario']} | {r['us_per_engine_frame']:.1f} | {r['us_per_port_frame']:.2f} "
                     f"| {r['ports_per_core']:,} |")
    if media_c_rows:
        c = ", ".join(f"{r['scenario']} {int(r['ports_per_core']):,}" for r in media_c_rows)
        lines += ["", f"The C engine alone (bench_media above, ports per core): {c}. The difference is "
                  "the per-call cost of cffi and numpy, paid once per 8 ports per 20 ms."]
    p = audio["paced"]
    lines += ["", f"Paced check: {p['ports']} ports ({-(-p['ports'] // 8)} engines) run against a 20 ms clock "
              f"for {p['ticks']} ticks: {p['late']} late ticks; the busiest tick used "
              f"{p['worst_share'] * 100:.0f} % of its 20 ms.", ""]
    hf = link.pop("_hook_event_frame")
    lines += [
        "### Host link over the virtual board",
        "",
        "Client → data pty → board model → UNIX socket → MicroPython firmware and back, started "
        "here (`tools/link_bench.py` measures the same path with round-trip percentiles). "
        "Frames counts both directions; payload is the CBOR value each message carries; raw is "
        "every byte the board model moved between the pty and the firmware (4-byte header, "
        "CRC, COBS, two delimiters per frame). Requests wait for their reply (one in flight per "
        "thread). The virtual wire is not paced like a 921 600-baud UART (92 160 bytes/s), so "
        f"on hardware raw bytes/s are bounded by that. A HOOK event is {hf['wire']} bytes on the "
        f"wire for {hf['payload']} bytes of payload.",
        "",
        "| workload | frames/s | payload bytes/s | raw bytes/s | payload share |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for name, r in link.items():
        lines.append(f"| {name} | {r['frames_per_s']:,.0f} | {r['payload_bytes_per_s']:,.0f} | "
                     f"{r['raw_bytes_per_s']:,.0f} | {r['payload_share'] * 100:.0f} % |")
    ev = link["events, burst of 2 000"]
    lines += ["", f"Event burst: {ev['delivered']} delivered, {ev['lost']} reported lost.", ""]
    return lines, {"audio": audio, "link": link}


if __name__ == "__main__":
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "host"))
    lines, data = section()
    print("\n".join(lines))
    print(json.dumps(data, indent=1, default=str))
