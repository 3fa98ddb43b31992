"""Call records survive a power cut: the real firmware code (callgate.cdr on MicroPython) writes
records into the virtual board's LittleFS2 flash image as fast as it can and is killed with
SIGKILL at random moments, mid-write most of the time. After each cut the image is mounted on
the host (littlefs-python): it must mount, every line must be whole (at most the one being
written is lost), the records must be consecutive from the first, and none written before an
earlier cut may be missing."""

import os
import random
import signal
import subprocess
import time

import pytest

from callgate import runtime
from callgate.sim.flash import FlashImage

WRITER = r"""
import os, sys
sys.path.insert(0, os.getenv("CALLGATE_FW"))
from callgate import hal_virtual
hal_virtual.mount_flash()
from callgate.cdr import CdrLog
from callgate import records
log = CdrLog()
got = []
bad = records.scan("cdr/20261123.log", lambda r: got.append(1))
n = len(got)
del got
print("start", n, bad)
while True:
    log.write({"v": 1, "id": "00000001-%d" % n, "ended": 1795420800000, "ivr": [["main", "1"]],
               "pad": "x" * (n % 200)})
    n += 1
"""


def _records(image):
    from callgate.records import parse

    data = image.read("cdr/20261123.log") or b""
    lines = data.split(b"\n")
    tail = lines.pop()  # after the last LF: a write cut short, if anything
    return [parse(line) for line in lines], tail


@pytest.mark.parametrize("seed", [1, 2])
def test_records_survive_being_killed_mid_write(tmp_path, seed):
    rng = random.Random(seed)
    image = FlashImage(tmp_path / "flash.img", 1 << 20)
    image.create()
    env = dict(os.environ, CALLGATE_FLASH=str(image.path), CALLGATE_FW=str(runtime.FIRMWARE))
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    before = 0
    for cut in range(8):
        p = subprocess.Popen([runtime.micropython(), str(script)], env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, cwd=tmp_path, start_new_session=True)
        first = p.stdout.readline().decode()
        assert first.startswith("start "), first + p.stdout.read().decode()
        time.sleep(rng.uniform(0.02, 0.25))
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()
        recs, tail = _records(image)
        assert None not in recs, f"cut {cut}: a damaged line among the complete ones"
        ids = [r["id"] for r in recs]
        assert ids == ["00000001-%d" % i for i in range(len(ids))], f"cut {cut}: records missing"
        assert len(ids) >= before, f"cut {cut}: {before - len(ids)} records written before were lost"
        assert len(tail) < 300  # at most one partial line
        before = len(ids)
    assert before > 50  # it did write between the cuts
