"""Measure the host link over the virtual board: round trips, request and event rates.

    .venv/bin/python tools/link_bench.py [--noise P] [--fault-rate R]

Starts a virtual board (docs/virtual-board.md), so the figures include the pty, the board
model and the MicroPython firmware; docs/link.md quotes them.
"""

import argparse
import time

from callgate.link.client import connect
from callgate.sim.board import VirtualBoard


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--noise", type=float, default=0.0)
    ap.add_argument("--fault-rate", type=float, default=0.0, help="bytes corrupted/dropped/duplicated, each way")
    ap.add_argument("--pings", type=int, default=2000)
    ap.add_argument("--events", type=int, default=2000)
    args = ap.parse_args()
    with VirtualBoard("virtual-4", noise=args.noise, seed=1, fault_rate=args.fault_rate) as vb, connect(vb.data_port, timeout=0.2, retries=8) as c:
        for i in range(100):
            c.ping(i)
        rtt = []
        for i in range(args.pings):
            t = time.perf_counter()
            c.ping(i)
            rtt.append(time.perf_counter() - t)
        rtt.sort()
        n = len(rtt)
        print(
            f"PING round trip: median {rtt[n // 2] * 1e3:.3f} ms, p90 {rtt[n * 9 // 10] * 1e3:.3f} ms, "
            f"p99 {rtt[n * 99 // 100] * 1e3:.3f} ms; {n / sum(rtt):.0f} requests/s"
        )
        t = time.perf_counter()
        k = 0
        while time.perf_counter() - t < 1.0:
            c.status()
            k += 1
        print(f"STATUS: {k / (time.perf_counter() - t):.0f} requests/s")
        got = []
        c.subscribe(got.append)
        t = time.perf_counter()
        for i in range(args.events // 2):  # each hook change is two events (hook, port)
            vb.model.lines.hook(2, i % 2 == 0)
        deadline = t + 20
        delivered = lost = 0
        while delivered + lost < args.events and time.perf_counter() < deadline:
            c.ping()  # lets the client notice a lost last event
            time.sleep(0.01)
            delivered = sum(1 for e in got if e.number is not None)
            lost = sum(e.value["count"] for e in got if e.name == "lost")
        dt = time.perf_counter() - t
        print(f"events: {delivered} delivered, {lost} reported lost (ring of 64 outrun), in {dt:.3f} s")
        print(f"client: {c.stats}")
        print(f"board model: {vb.model.stats}")


if __name__ == "__main__":
    main()
