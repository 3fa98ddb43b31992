"""What tests of the whole board share (tests/ is on sys.path through tests/conftest.py): the
demo site on a started virtual board, a copy of the demo site changed for one test module,
waiting for a condition, and the test tones that show who hears whom."""

import contextlib
import shutil
import time

import numpy as np

from callgate.link.client import connect
from callgate.provision import provision
from callgate.sim.board import VirtualBoard
from callgate.sim.clock import parse_epoch
from callgate.site import load_site

SITE = "sites/demo/site.yaml"
EPOCH = "2026-11-23T10:00+08:00"  # a Monday inside the demo site's business hours
LEVEL = 0.18 * 32767  # a test tone's peak: about -15 dBm0


def demo_board(clock=20.0, site=SITE) -> VirtualBoard:
    """A started VirtualBoard (virtual-8) provisioned with `site` (the demo's by default);
    the caller closes it."""
    vb = VirtualBoard("virtual-8", clock=clock, epoch=parse_epoch(EPOCH))
    vb.start()
    try:
        with connect(vb.data_port, timeout=1.0) as c:
            r = provision(c, load_site(site))
            assert r["switched"] and r["reload"].get("applied"), r
    except BaseException:
        vb.close()
        raise
    return vb


@contextlib.contextmanager
def running_demo_board(clock=20.0, site=SITE):
    """demo_board() for a `with` (a module fixture's body)."""
    vb = demo_board(clock, site)
    try:
        yield vb
    finally:
        vb.close()


def demo_site_copy(folder, edit):
    """The demo site's folder copied into `folder`, its site.yaml's text changed by edit(text);
    the new site.yaml's path."""
    shutil.copytree("sites/demo", folder, dirs_exist_ok=True)
    path = folder / "site.yaml"
    path.write_text(edit(path.read_text()))
    return path


def wait(pred, what, timeout=60, step=0.05):
    """pred()'s first truthy value within timeout real seconds, or AssertionError naming what."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(step)
    raise AssertionError("timed out waiting for " + what)


def sine(hz, seconds):
    """A test tone at LEVEL, 8 kHz int16."""
    t = np.arange(int(seconds * 8000)) / 8000
    return (LEVEL * np.sin(2 * np.pi * hz * t)).astype(np.int16)


def level_db(x, hz):
    """The level of the tone at hz in x, in dB relative to a test tone (Hann-windowed DFT bin)."""
    w = np.hanning(len(x))
    t = np.arange(len(x)) / 8000
    a = 2 * abs(np.sum(x * w * np.exp(-2j * np.pi * hz * t))) / np.sum(w)
    return 20 * np.log10(max(a, 1e-9) / LEVEL)
