"""`make demo`: the virtual board, end to end, with real processes.

    python -m callgate.demo [center] [--clock X] ...  a busy half-hour of the demo call center
                                                      (demo_center.py; the default)
    python -m callgate.demo call [--clock X]          one scripted call, event by event
    python -m callgate.demo dsp                       the DSP demo (DTMF from a noisy WAV line)

The call demo starts `callgate sim` (the firmware on MicroPython and the board model), opens
`callgate --port PTY monitor` on its data port (pyserial, the host link), places a scripted
call with `callgate sim call` (ring -> FSK caller ID -> answer -> welcome prompt -> the
caller keys 1, 2, # -> the board reports the digits and hangs up), prints both live, and
exits 0 only if the monitor saw every step, in order.
"""

import argparse
import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time

CALLGATE = [sys.executable, "-m", "callgate"]
NUMBER, NAME, DIGITS = "5551234", "ALICE", "12#"

# What the monitor must show, in order: (event name, fields it must have).
EXPECTED = [
    ("ring", {"port": "0", "on": "True"}),
    ("call", {"state": "ringing"}),
    ("cid", {"number": NUMBER, "name": NAME}),
    ("call", {"state": "answered"}),
    ("call", {"state": "prompt"}),
    ("dtmf", {"digit": "1"}),
    ("dtmf", {"digit": "2"}),
    ("dtmf", {"digit": "#"}),
    ("call", {"state": "digits", "digits": DIGITS}),
    ("call", {"state": "ended"}),
    ("port", {"state": "idle"}),
]
LINE = re.compile(r"^\S+\s+#\d+\s+(\w+)\s*(.*)$")


def parse(line: str):
    m = LINE.match(line.strip())
    if not m:
        return None, {}
    return m.group(1), dict(f.split("=", 1) for f in m.group(2).split() if "=" in f)


def call_demo(clock: float) -> int:
    records = tempfile.mkdtemp(prefix="callgate-demo-")  # this demo's sim record only
    env = dict(os.environ, PYTHONUNBUFFERED="1", CALLGATE_RUNTIME_DIR=records)
    procs = []

    def start(args, **kw):
        p = subprocess.Popen(CALLGATE + args, env=env, text=True, start_new_session=True, **kw)
        procs.append(p)
        return p

    try:
        sim = start(["sim", "--json", "--clock", str(clock)], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        if not select.select([sim.stdout], [], [], 20)[0]:
            print("demo: the virtual board did not start", file=sys.stderr)
            return 1
        info = json.loads(sim.stdout.readline())
        port = info["data"]
        print(f"virtual board {info['board']}: data port {port}, REPL {info['repl']}, "
              f"firmware pid {info['firmware_pid']}")
        mon = start(["--port", port, "monitor"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if not select.select([mon.stderr], [], [], 10)[0]:
            print("demo: the monitor did not connect", file=sys.stderr)
            return 1
        print(mon.stderr.readline().rstrip())
        print(f"$ callgate sim call --from {NUMBER} --name {NAME} --digits '{DIGITS}'")
        call = start(["sim", "call", "--from", NUMBER, "--name", NAME, "--digits", DIGITS],
                     stdout=subprocess.PIPE)
        todo = list(EXPECTED)
        deadline = time.monotonic() + 12 / clock + 20
        # os.read, not readline(): a file object's buffer hides lines from select()
        streams = {mon.stdout.fileno(): "monitor |", call.stdout.fileno(): "caller  |"}
        partial = {fd: b"" for fd in streams}
        while streams and time.monotonic() < deadline and (todo or call.stdout.fileno() in streams):
            for fd in select.select(list(streams), [], [], 0.5)[0]:
                data = os.read(fd, 4096)
                if not data:
                    del streams[fd]
                    continue
                *lines, partial[fd] = (partial[fd] + data).split(b"\n")
                for raw in lines:
                    line = raw.decode(errors="replace")
                    print(f"{streams[fd]} {line.rstrip()}", flush=True)
                    if fd == mon.stdout.fileno() and todo:
                        name, fields = parse(line)
                        want_name, want = todo[0]
                        if name == want_name and all(fields.get(k) == v for k, v in want.items()):
                            todo.pop(0)
        call_rc = call.wait(timeout=10)
        if todo:
            print(f"demo: FAILED: the monitor never showed {todo[0][0]} {todo[0][1]}")
            return 1
        if call_rc != 0:
            print(f"demo: FAILED: `callgate sim call` exited {call_rc}")
            return 1
        print(f"demo: ok: ring, caller ID {NUMBER} {NAME}, answer, prompt, digits {DIGITS} "
              f"reported to the host, hang-up: all seen through the link")
        return 0
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        for p in procs:
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
        shutil.rmtree(records, ignore_errors=True)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m callgate.demo", description=__doc__.splitlines()[0])
    ap.add_argument("which", nargs="?", choices=("center", "call", "dsp"), default="center")
    ap.add_argument("--clock", type=float, help="phone-line time, times real time (default: 1 for "
                    "the call, 30 for the call center, 4 for it on qemu-m4f)")
    ap.add_argument("--board", default="virtual-8", choices=("virtual-8", "qemu-m4f"),
                    help="call center: the virtual board (default) or the emulated MCU (make firmware "
                         "BOARD=qemu-m4f; its lines run at 4x real time by default, which it keeps up with: docs/hardware.md)")
    ap.add_argument("--minutes", type=float, default=30, help="call center: minutes of arrivals (default 30)")
    ap.add_argument("--rate", type=float, default=1.0, help="call center: callers per minute (default 1)")
    ap.add_argument("--seed", type=int, default=7, help="call center: seed of callers and agents")
    ap.add_argument("--out", default="build/demo", help="call center: where the records go (default build/demo)")
    args = ap.parse_args(argv)
    if args.which == "dsp":
        from . import demo_dsp

        return demo_dsp.main()
    if args.which == "call":
        return call_demo(args.clock or 1.0)
    from . import demo_center

    args.clock = args.clock or (4.0 if args.board == "qemu-m4f" else 30.0)
    return demo_center.main(args)


if __name__ == "__main__":
    sys.exit(main())
