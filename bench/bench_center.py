"""The call center's control plane for `make bench` (bench/run.py calls section()).

The firmware's call flow (calls.py, ivr.py, acd.py with the demo-like site of
tests/firmware/test_fw_center.py) and its call records (cdr.py on LittleFS) run on the real
MicroPython Unix port here. Two questions:

  flow    How much of one core does a call take? A scripted call (ring, caller ID, a menu key,
          the queue, an agent's phone rung, answered, hung up, the survey key, the thanks
          prompt, the wrap-up's end: 9 line-card reports and a tick) fed to the pure call flow,
          repeated; µs per call and per report, and calls per second of one core.
  records How long does writing a call record take on the flash? CdrLog.write() of a typical
          record into a LittleFS2 image (VfsLfs2 over a file block device, as the virtual board
          mounts it): µs per record; and reading them all back (records.scan).

No other ACD runs here to compare with; the figures say how much headroom the control plane
leaves (a call center in a box takes a few calls a second at most).

    .venv/bin/python bench/bench_center.py      # prints the markdown section
"""

import json
import os
import pathlib
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[1]

SCRIPT = r"""
import json, time
from test_fw_center import Board, scripted_call

b = Board()
def one_call(t):
    scripted_call(b, t)

one_call(0)
flow = []
for rep in range(REPEATS):
    t0 = time.ticks_us()
    for i in range(1, CALLS + 1):
        one_call((rep * CALLS + i) * 100000)
    flow.append(time.ticks_diff(time.ticks_us(), t0))

from callgate import hal
hal.mount_flash()
from callgate.cdr import CdrLog
from callgate import records
log = CdrLog()
rec = {"v": 1, "id": "1a2b3c4d-%d", "port": 0, "trunk": "trunk1", "number": "5551234", "name": "ALICE SMITH",
       "cid": "ok", "arrived": 1795399248660, "answered": 1795399254620, "ivr": [["main", "2"], ["support", "1"]],
       "queue": "support", "queues": ["support"], "queued": 1795399257620, "offered": 1, "agent": "202",
       "agent_name": "Bob", "connected": 1795399262000, "agent_left": 1795399380000, "ended": 1795399390000,
       "by": "board", "how": "survey-done", "outcome": "answered", "recording": "rec/1a2b3c4d-1.wav",
       "survey": {"satisfaction": 4}, "callback": None, "wrap_s": 10}
size = len(records.line(rec))
t0 = time.ticks_us()
for i in range(RECORDS):
    log.write(rec)
write = time.ticks_diff(time.ticks_us(), t0)
n = [0]
def count(r):
    n[0] += 1
t0 = time.ticks_us()
bad = records.scan(log.path(rec), count)
read = time.ticks_diff(time.ticks_us(), t0)
print(json.dumps({"flow_us": flow, "calls": CALLS, "reports_per_call": 9, "write_us": write, "read_us": read,
                  "records": n[0], "bad": bad, "record_bytes": size}))
"""


def figures(repeats=5, calls=200, records=500) -> dict:
    sys.path.insert(0, str(ROOT / "host"))
    from callgate import runtime
    from callgate.sim.flash import FlashImage

    with tempfile.TemporaryDirectory(prefix="callgate-bench-") as tmp:
        image = FlashImage(pathlib.Path(tmp) / "flash.img", 1 << 20)
        image.create()
        script = pathlib.Path(tmp) / "bench.py"
        script.write_text(SCRIPT.replace("REPEATS", str(repeats)).replace("CALLS", str(calls))
                          .replace("RECORDS", str(records)))
        env = dict(os.environ, MICROPYPATH=f"{runtime.FIRMWARE}:{ROOT / 'tests' / 'firmware'}",
                   CALLGATE_FLASH=str(image.path))
        out = subprocess.run([runtime.micropython(), str(script)], env=env, capture_output=True, text=True,
                             timeout=600, cwd=tmp)
        if out.returncode != 0:
            raise RuntimeError(f"bench_center: micropython failed:\n{out.stdout}\n{out.stderr}")
        r = json.loads(out.stdout.strip().splitlines()[-1])
    best = sorted(r["flow_us"])[len(r["flow_us"]) // 2]
    per_call = best / r["calls"]
    return {"us_per_call": per_call, "us_per_report": per_call / (r["reports_per_call"] + 1),
            "calls_per_s": 1e6 / per_call, "record_bytes": r["record_bytes"],
            "us_per_record_write": r["write_us"] / records, "us_per_record_read": r["read_us"] / max(1, r["records"]),
            "records": r["records"], "bad": r["bad"]}


def section(repeats=5) -> tuple:
    f = figures(repeats)
    lines = [
        "## Call center control plane on MicroPython (bench/bench_center.py)",
        "",
        "The firmware's call flow (calls.py, ivr.py, acd.py; the site of tests/firmware/test_fw_center.py) "
        "on the MicroPython Unix port: a scripted call through the menu, the queue, an agent, the survey "
        "and the wrap-up (9 line-card reports and a clock tick), 200 calls per repeat, the median repeat. "
        "Call records: `CdrLog.write()` into a LittleFS2 image (VfsLfs2 over a file block device, as the "
        "virtual board mounts its flash), one open-append-close per record, then all read back.",
        "",
        "| figure | value |",
        "| --- | ---: |",
        f"| µs per call (the whole flow) | {f['us_per_call']:.0f} |",
        f"| µs per line-card report or tick | {f['us_per_report']:.1f} |",
        f"| calls per second, one core | {f['calls_per_s']:,.0f} |",
        f"| call record (bytes, one line) | {f['record_bytes']} |",
        f"| µs per record written (append, commit) | {f['us_per_record_write']:.0f} |",
        f"| µs per record read back | {f['us_per_record_read']:.0f} |",
        "",
        "No other ACD runs here to compare with. A box with five trunks takes a call every few seconds "
        "at most, so on this machine the control plane uses a tiny part of a core. The same figures on "
        "an ESP32-S3 (slower core, real flash erase and program times) are not measured here: there is "
        "no board; `make bench` on one would say.",
        "",
    ]
    return lines, f


if __name__ == "__main__":
    lines, _ = section()
    print("\n".join(lines))
