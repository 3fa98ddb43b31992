#!/usr/bin/env python3
"""The operations center (`callgate serve`, docs/ops.md) for `make bench`: writes bench/OPS.md.

    .venv/bin/python bench/bench_ops.py [--boards 8] [--clock 30] [--seconds 90] [--wallboards 50]

Two questions:

  ingest   How many events a second can the service store? The ingest thread's work per batch
           (live.Floor.event for each event, then Store.add_events of the batch in one
           transaction, batches of 200 as ingest.py takes them off its queue), on SQLite and on
           PostgreSQL (a server of its own, tests/ops/pgserver.py, when Debian's postgresql is
           here), side by side with the baseline: the same rows written raw (one executemany
           per batch into a table of the same key, no JSON encoding, no board row, no floor).
  latency  With N virtual boards (each the real firmware on MicroPython, the demo site, the
           demo's callers: 1 a minute of the lines' time at --clock times real time, so at 30
           about one every 2 s per board) followed by one `callgate serve` (SQLite store) and W
           wallboards' event streams open (/api/events as a supervisor, read in a process of
           their own), how long from the board's event to each wallboard's update: from the
           moment the firmware tells a line card to ring an agent's phone (the agent "ringing"
           event leaves in the same firmware step) to the moment a wallboard's stream delivers
           the floor showing that agent ringing. Median and 99th percentile over every (ring,
           wallboard) pair; also the events the service stored per second during the run and
           how fast the boards' lines really ran (the line cards wait for a firmware that falls
           behind).

The wallboards are the page's own stream read by plain HTTP clients (callgate.ops.live's
read_events), not 50 browsers: a browser adds its own JSON parse and DOM update on top.
"""

import argparse
import datetime
import json
import os
import pathlib
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "host"))
sys.path.insert(0, str(ROOT / "tests" / "ops"))  # opskit, pgserver: the tests' board and service kit
sys.path.insert(0, str(ROOT / "tests"))  # boardkit, which opskit takes its boards from

OUT = ROOT / "bench" / "OPS.md"
SUPERVISOR, PASSWORD = "bench-sue", "bench-pass-1"


# -- ingest ----------------------------------------------------------------------------------

def demo_events(n: int, board_boot: int = 7):
    """n link events shaped as a demo call's: call states, agent states, a pop, a cdr."""
    from callgate.firmware.link import messages
    from callgate.link.client import Event

    kinds = []
    for call in range(n // 10 + 1):
        port, ext = call % 5, str(201 + call % 3)
        kinds += [
            (messages.EV_CALL, {"port": port, "call": call, "state": "ringing", "number": "5551234", "name": "X"}),
            (messages.EV_CALL, {"port": port, "call": call, "state": "ivr", "menu": "main"}),
            (messages.EV_CALL, {"port": port, "call": call, "state": "queued", "queue": "sales", "position": 1}),
            (messages.EV_AGENT, {"port": 5 + call % 3, "ext": ext, "name": "Alice", "state": "ringing", "call": call}),
            (messages.EV_POP, {"port": 5 + call % 3, "ext": ext, "agent": "Alice", "call": call, "trunk": port,
                               "number": "5551234", "name": "X", "ivr": [["main", "1"]], "queue": "sales",
                               "waited_ms": 3000}),
            (messages.EV_CALL, {"port": port, "call": call, "state": "connected", "agent": ext}),
            (messages.EV_AGENT, {"port": 5 + call % 3, "ext": ext, "name": "Alice", "state": "talking", "call": call}),
            (messages.EV_CALL, {"port": port, "call": call, "state": "ended", "by": "caller", "reason": "loop-drop"}),
            (messages.EV_AGENT, {"port": 5 + call % 3, "ext": ext, "name": "Alice", "state": "wrap-up", "call": call}),
            (messages.EV_CDR, {"id": f"{board_boot:08x}-{call}", "file": "cdr/20261123.log"}),
        ]
    out = []
    for i, (kind, value) in enumerate(kinds[:n]):
        ev = Event(i & 0xFFFF, kind, value)
        out.append(ev)
    return out


def time_store(url: str, events, batch: int = 200, repeats: int = 3) -> float:
    """Events per second through the ingest's work: Floor.event each, add_events per batch."""
    from callgate.ops.live import Floor
    from callgate.ops.store import Store

    best = []
    for rep in range(repeats):
        store = Store.open(url)
        floor = Floor()
        floor.board_up("bench", "/dev/bench", {"calls": [], "agents": []})
        boot = 1000 + rep
        t0 = time.perf_counter()
        for i in range(0, len(events), batch):
            rows = []
            for j, ev in enumerate(events[i:i + batch], start=i):
                ev.received = time.time()
                floor.event("bench", ev, boot)
                rows.append((j, ev.number, ev.name, ev.value, ev.received))
            store.add_events("bench", "/dev/bench", boot, rows)
        best.append(len(events) / (time.perf_counter() - t0))
        store.close()
    return statistics.median(best)


def time_raw_sqlite(path: str, events, batch: int = 200, repeats: int = 3) -> float:
    import sqlite3

    rates = []
    for rep in range(repeats):
        db = sqlite3.connect(path, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("CREATE TABLE IF NOT EXISTS raw (board TEXT, boot BIGINT, ord BIGINT, n BIGINT, kind TEXT, "
                   "value TEXT, received DOUBLE PRECISION, PRIMARY KEY (board, boot, ord))")
        rows = [("bench", rep, j, ev.number, ev.name, "{}", 0.0) for j, ev in enumerate(events)]
        t0 = time.perf_counter()
        for i in range(0, len(rows), batch):
            db.execute("BEGIN IMMEDIATE")
            db.executemany("INSERT INTO raw VALUES (?, ?, ?, ?, ?, ?, ?)", rows[i:i + batch])
            db.execute("COMMIT")
        rates.append(len(rows) / (time.perf_counter() - t0))
        db.close()
    return statistics.median(rates)


def time_raw_pg(url: str, events, batch: int = 200, repeats: int = 3) -> float:
    import psycopg

    rates = []
    with psycopg.connect(url, autocommit=True) as c:
        c.execute("CREATE TABLE IF NOT EXISTS raw (board TEXT, boot BIGINT, ord BIGINT, n BIGINT, kind TEXT, "
                  "value TEXT, received DOUBLE PRECISION, PRIMARY KEY (board, boot, ord))")
        for rep in range(repeats):
            rows = [("bench", rep, j, ev.number, ev.name, "{}", 0.0) for j, ev in enumerate(events)]
            t0 = time.perf_counter()
            for i in range(0, len(rows), batch):
                with c.transaction():
                    c.cursor().executemany("INSERT INTO raw VALUES (%s, %s, %s, %s, %s, %s, %s)", rows[i:i + batch])
            rates.append(len(rows) / (time.perf_counter() - t0))
    return statistics.median(rates)


def ingest_section(n_events: int) -> tuple:
    events = demo_events(n_events)
    folder = tempfile.mkdtemp(prefix="callgate-bench-ops-")
    rows = []
    try:
        store = time_store(f"sqlite:///{folder}/ops.db", events)
        raw = time_raw_sqlite(f"{folder}/raw.db", events)
        rows.append(("SQLite (file, WAL)", store, raw))
        import pgserver

        why = pgserver.why_not()
        if why is None:
            server = pgserver.PgServer.start(fsync=True)
            try:
                store = time_store(server.new_database(), events)
                raw = time_raw_pg(server.new_database(), events)
                rows.append(("PostgreSQL 15 (unix socket, fsync on)", store, raw))
            finally:
                server.stop()
        else:
            rows.append((f"PostgreSQL: not measured ({why})", None, None))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    lines = [
        "## Ingest: events a second the service stores",
        "",
        f"{n_events:,} events shaped as the demo's calls (call, agent, pop and cdr events, each with its JSON value), "
        "through the ingest thread's work: `Floor.event` for each (the live floor the wallboards read), then "
        "`Store.add_events` for each batch of 200 (one transaction: the events with their keys, the board's "
        "position). Baseline: the same rows written raw, one `executemany` per batch of 200 in its own "
        "transaction into a table with the same primary key (no JSON, no board row, no floor). Median of 3.",
        "",
        "| store | service ingest (events/s) | raw inserts (events/s) | service / raw |",
        "| --- | ---: | ---: | ---: |",
    ]
    for name, store, raw in rows:
        if store is None:
            lines.append(f"| {name} | – | – | – |")
        else:
            lines.append(f"| {name} | {store:,.0f} | {raw:,.0f} | {store / raw:.2f}× |")
    lines += ["", "The link is not in these figures: a board sends events as calls make them (below, the "
              "demo's rate makes a few dozen a second over 8 boards), far under either rate.", ""]
    return lines, rows


# -- latency ---------------------------------------------------------------------------------

def sse_clients(url: str, n: int, seconds: float) -> None:
    """Run in a process of its own: n wallboards' streams; prints one JSON line per client,
    the (monotonic time, board, ext) of each agent's going into "ringing"."""
    import urllib.request

    from callgate.ops.live import read_events
    from opskit import Web

    web = Web(url)
    assert web.login(SUPERVISOR, PASSWORD), "bench login"
    results = [[] for _ in range(n)]
    opened = []

    def one(i):
        resp = web.opener.open(urllib.request.Request(url + "/api/events"), timeout=seconds + 60)
        opened.append(resp)
        state = {}
        try:
            for kind, value in read_events(resp):
                if kind not in ("floor", "wallboard"):
                    continue
                now = time.monotonic()
                floor = value if kind == "floor" else value.get("floor") or {}
                for a in floor.get("agents", []):
                    key = (a.get("board"), a.get("ext"))
                    if a.get("state") == "ringing" and state.get(key) != "ringing":
                        results[i].append((now, key[0], key[1]))
                    state[key] = a.get("state")
        except (OSError, ValueError, AttributeError):
            pass

    threads = [threading.Thread(target=one, args=(i,), daemon=True) for i in range(n)]
    for t in threads:
        t.start()
    print(json.dumps({"ready": n}), flush=True)
    time.sleep(seconds)
    for r in opened:
        try:
            r.close()
        except OSError:
            pass
    print(json.dumps({"results": results}), flush=True)


def start_boards(n: int, clock: float) -> list:
    """n virtual-8 boards running the demo site, each with a board id of its own."""
    from callgate.link.client import connect
    from callgate.provision import provision
    from callgate.sim.board import VirtualBoard
    from callgate.sim.clock import parse_epoch
    from callgate.site import load_site
    from opskit import EPOCH, SITE

    site = load_site(str(ROOT / SITE))
    plain = site.data
    boards = []
    for i in range(n):
        vb = VirtualBoard("virtual-8", clock=clock, epoch=parse_epoch(EPOCH))
        folder = pathlib.Path(vb._tmp) / "board-def"
        folder.mkdir()
        vb.board_def = dict(vb.board_def, id=f"virtual-8-{i + 1}")
        (folder / "board.json").write_text(json.dumps(vb.board_def))
        vb.board_path = folder  # the flash gets this board.json: the firmware answers with the id
        vb.start()
        with connect(vb.data_port, timeout=2.0) as c:
            assert c.info["board"] == f"virtual-8-{i + 1}", c.info
            # a site names its board; extensions are unique across the boards (the floor and the
            # agent pages know an agent by extension): 201 on board 3 is 3201
            data = json.loads(json.dumps(site.data))
            data["board"] = f"virtual-8-{i + 1}"
            for p in data["ports"]:
                if "agent" in p:
                    p["agent"]["extension"] = f"{i + 1}{p['agent']['extension']}"
            site.data = data
            r = provision(c, site)
            assert r["switched"], r
        site.data = plain
        boards.append(vb)
    return boards


def latency_section(n_boards: int, clock: float, seconds: float, n_walls: int) -> tuple:
    from callgate.ops import auth
    from callgate.ops.store import Store
    from opskit import ALICE, BOB, CAROL, Service

    folder = tempfile.mkdtemp(prefix="callgate-bench-ops-")
    db = f"sqlite:///{folder}/ops.db"
    store = Store.open(db)
    store.put_user(SUPERVISOR, "supervisor", None, auth.hash_password(PASSWORD))
    store.close()
    t_setup = time.monotonic()
    boards = start_boards(n_boards, clock)
    setup_s = time.monotonic() - t_setup
    rings = {}  # (board id, ext) -> [monotonic times the line card was told to ring]
    lock = threading.Lock()
    for i, vb in enumerate(boards):
        net = vb.model.network
        board_id = f"virtual-8-{i + 1}"
        ext_of = {ALICE: f"{i + 1}201", BOB: f"{i + 1}202", CAROL: f"{i + 1}203"}
        real = net.ring_phone

        def ring_phone(port, on, real=real, board_id=board_id, ext_of=ext_of):
            if on and port in ext_of:
                with lock:
                    rings.setdefault((board_id, ext_of[port]), []).append(time.monotonic())
            return real(port, on)

        net.ring_phone = ring_phone  # timing only: the call goes on to the model's own
        rng = random.Random(i)
        for port in (ALICE, BOB, CAROL):
            net.phone(port).auto(answer_ms=rng.randint(2000, 8000), talk_ms=(20000, 120000), rng=rng)
    svc = Service(db, *[vb.data_port for vb in boards]).start(timeout=120)
    sse = subprocess.Popen([sys.executable, __file__, "--sse-clients", svc.url, str(n_walls), str(seconds + 20)],
                           stdout=subprocess.PIPE, text=True)
    assert json.loads(sse.stdout.readline())["ready"] == n_walls
    time.sleep(3)  # every stream open and past its hello
    model0 = [vb.model.audio.now_ms for vb in boards]
    stored0 = _count(db, "events")
    t0 = time.monotonic()
    stop = threading.Event()
    placed = [0]

    def callers(vb, seed):
        rng = random.Random(seed)
        net = vb.model.network
        at = rng.expovariate(clock / 60)  # 1 a minute of line time
        while not stop.is_set():
            delay = t0 + at - time.monotonic()
            if delay > 0 and stop.wait(delay):
                return
            free = [p for p in range(5) if net.calls[p] is None]
            if free:
                net.place_call(rng.choice(free), number=f"555{rng.randint(1000, 9999)}", name="BENCH",
                               digits=rng.choice(["1", "2,1", "0"]), survey=rng.choice(["4", "5", None]),
                               patience_ms=rng.choice([60000, 180000]), max_call_ms=900000)
                placed[0] += 1
            at += rng.expovariate(clock / 60)

    threads = [threading.Thread(target=callers, args=(vb, i), daemon=True) for i, vb in enumerate(boards)]
    for t in threads:
        t.start()
    time.sleep(seconds)
    stop.set()
    elapsed = time.monotonic() - t0
    model_rate = [(vb.model.audio.now_ms - m0) / 1000 / elapsed for vb, m0 in zip(boards, model0)]
    time.sleep(2)
    stored = _count(db, "events") - stored0
    wall_minus_mono = time.time() - time.monotonic()
    s = Store.open(db)
    received = {}  # (board, ext) -> [monotonic times the service's link client got "ringing"]
    for r in s.query("SELECT board, value, received FROM events WHERE kind = 'agent'"):
        v = json.loads(r["value"])
        if v.get("state") == "ringing":
            received.setdefault((r["board"], str(v.get("ext"))), []).append(r["received"] - wall_minus_mono)
    s.close()
    out = None
    for line in sse.stdout:
        d = json.loads(line)
        if "results" in d:
            out = d["results"]
            break
    sse.wait(30)
    svc.stop()
    trouble = [line for line in svc.log if "again" in line or "rror" in line]
    for vb in boards:
        vb.close()
    shutil.rmtree(folder, ignore_errors=True)

    # Matched causally: a wallboard shows "ringing" from the latest "ringing" event of that agent
    # the service had received by then; that event's ring is the ring command nearest to it
    # (the two leave the firmware in one step; which reaches the host first varies).
    def nearest_ring(key, r):
        starts = rings.get(key, [])
        t = min(starts, key=lambda t: abs(t - r), default=None)
        return t if t is not None and abs(t - r) < 2.0 else None

    lat, service, to_service = [], [], []
    for key, got in received.items():
        for r in got:
            t = nearest_ring(key, r)
            if t is not None:
                to_service.append(r - t)
    for client in out or []:
        for at, board, ext in client:
            before = [r for r in received.get((board, ext), []) if r <= at]
            if not before or at - max(before) > 30:
                continue
            r = max(before)
            service.append(at - r)
            t = nearest_ring((board, ext), r)
            if t is not None:
                lat.append(at - t)
    n_rings = sum(len(v) for v in rings.values())
    data = {"boards": n_boards, "clock": clock, "seconds": elapsed, "wallboards": n_walls, "placed": placed[0],
            "rings": n_rings, "samples": len(lat), "events_stored_per_s": stored / (elapsed + 2),
            "line_clock": statistics.median(model_rate) if model_rate else None, "setup_s": setup_s,
            "median_ms": 1000 * statistics.median(lat) if lat else None,
            "p99_ms": 1000 * sorted(lat)[min(len(lat) - 1, int(0.99 * len(lat)))] if lat else None,
            "max_ms": 1000 * max(lat) if lat else None,
            "to_service_median_ms": _ms(to_service, 0.5), "to_service_p99_ms": _ms(to_service, 0.99),
            "service_median_ms": _ms(service, 0.5), "service_p99_ms": _ms(service, 0.99), "all_ms": sorted(round(1000 * x) for x in lat),
            "service_log": trouble[:20]}
    return data


def _ms(values, q):
    """The q-quantile (nearest rank) of seconds, in ms; None without values."""
    if not values:
        return None
    v = sorted(values)
    return 1000 * v[min(len(v) - 1, int(q * len(v)))]


def _count(db, table):
    from callgate.ops.store import Store

    s = Store.open(db)
    try:
        return s.query(f"SELECT count(*) FROM {table}")[0][0]
    finally:
        s.close()


def latency_lines(d: dict, asked: dict) -> list:
    lines = [
        "## Event to wallboard: latency with many boards and wallboards",
        "",
        f"{d['boards']} virtual boards (virtual-8, each the real firmware on MicroPython and its line cards' model, "
        f"the demo site with board ids and extensions of their own: 201 on board 3 is 3201), lines at {d['clock']:g}× real time, the demo's callers "
        f"(1 a minute of line time per board; each agent answers after 2-8 s, drawn once, and talks 20-120 s), followed by one "
        f"`callgate serve` (SQLite store), with {d['wallboards']} wallboards' event streams open (`/api/events` as "
        f"a supervisor, read by plain HTTP clients in a process of their own), for {d['seconds']:.0f} s. "
        "Latency: from the moment the firmware tells the line card to ring an agent's phone (the agent's "
        "\"ringing\" event goes out in the same firmware step) to the moment each wallboard's stream "
        "delivers the floor showing that agent ringing; every (ring, wallboard) pair is one sample.",
        "",
        "| figure | value |",
        "| --- | ---: |",
        f"| calls placed | {d['placed']} |",
        f"| agent rings | {d['rings']} |",
        f"| samples (ring × wallboard) | {d['samples']:,} |",
        f"| **median, event to wallboard** | **{d['median_ms']:.0f} ms** |" if d["median_ms"] is not None
        else "| median | – (no samples) |",
        f"| **99th percentile** | **{d['p99_ms']:.0f} ms** |" if d["p99_ms"] is not None else "| p99 | – |",
        f"| slowest | {d['max_ms']:.0f} ms |" if d["max_ms"] is not None else "| slowest | – |",
        f"| events stored a second (all boards) | {d['events_stored_per_s']:.1f} |",
        f"| the lines' real speed (median board; asked {d['clock']:g}×) | {d['line_clock']:.1f}× |",
        f"| starting and provisioning the boards | {d['setup_s']:.0f} s |",
        f"| of which board to service (its link client has the event): median, p99 | "
        f"{d['to_service_median_ms']:.0f} ms, {d['to_service_p99_ms']:.0f} ms |"
        if d["to_service_median_ms"] is not None else "| board to service | – |",
        f"| of which service to wallboard (the link client's receipt to the stream's delivery): median, p99 | "
        f"{d['service_median_ms']:.0f} ms, {d['service_p99_ms']:.0f} ms |"
        if d["service_median_ms"] is not None else "| service to wallboard | – |",
        "",
    ]
    lines += ["Matching: a wallboard shows an agent ringing from the latest \"ringing\" event of that agent the "
              "service had received (its `received` time in the store) by then; that event's ring is the ring "
              "command nearest to it. The firmware sends the command to the line card and the event to the host "
              "in one step and either may arrive first, so \"board to service\" can come out slightly negative. "
              "All times are this machine's monotonic clock.", ""]
    if d.get("service_log"):
        lines += ["The service said during the run: " + "; ".join(f"`{x}`" for x in d["service_log"]), ""]
    if asked["boards"] != d["boards"] or asked["clock"] != d["clock"]:
        lines += [f"Asked for {asked['boards']} boards at {asked['clock']:g}× (the demo's rate); measured with "
                  f"{d['boards']} at {d['clock']:g}×: {asked.get('why', '')}", ""]
    return lines


def machine_lines(cmd: str, started: float) -> list:
    cpu = "unknown"
    for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    load = os.getloadavg()
    return [
        "# The operations center: ingest rate and event-to-wallboard latency",
        "",
        f"Generated by `{cmd}` on {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC in "
        f"{time.monotonic() - started:.0f} s; do not edit by hand.",
        "",
        f"- Machine: {cpu} ({os.cpu_count()} cores visible), {platform.system()} {platform.release()}; "
        f"Python {platform.python_version()}",
        f"- Load average at the end (other programs share the machine): {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}",
        "",
    ]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--boards", type=int, default=8)
    ap.add_argument("--clock", type=float, default=30.0, help="the lines' time, times real time (the demo's: 30)")
    ap.add_argument("--seconds", type=float, default=90.0)
    ap.add_argument("--wallboards", type=int, default=50)
    ap.add_argument("--events", type=int, default=20000)
    ap.add_argument("--why", default="", help="why fewer boards or a slower clock than the demo's (written out)")
    ap.add_argument("--sse-clients", nargs=3, metavar=("URL", "N", "SECONDS"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.sse_clients:
        sse_clients(args.sse_clients[0], int(args.sse_clients[1]), float(args.sse_clients[2]))
        return 0
    started = time.monotonic()
    cmd = " ".join([".venv/bin/python bench/bench_ops.py"] + (argv if argv is not None else sys.argv[1:]))
    ingest, _ = ingest_section(args.events)
    d = latency_section(args.boards, args.clock, args.seconds, args.wallboards)
    text = machine_lines(cmd, started) + ingest + latency_lines(d, {"boards": 8, "clock": 30.0, "why": args.why})
    OUT.write_text("\n".join(text).rstrip() + "\n")
    print("\n".join(text))
    print(f"written to {OUT.relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
