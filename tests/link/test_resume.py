"""Client.resume_from: a new client goes on from where an earlier one stopped (issue 13: the
operations center's ingest used to set the client's private bookkeeping for this).

All real: the virtual board (firmware on MicroPython, its 64-event ring), a pty, the client.
"""

import threading
import time

import pytest

from callgate.firmware.link import messages
from callgate.link.client import Client, connect
from callgate.sim.board import VirtualBoard


@pytest.fixture(autouse=True)
def own_dirs(tmp_path, monkeypatch):
    monkeypatch.setenv("CALLGATE_LOCK_DIR", str(tmp_path / "locks"))
    monkeypatch.setenv("CALLGATE_RUNTIME_DIR", str(tmp_path / "sims"))


class Collect:
    def __init__(self):
        self.events = []
        self.lock = threading.Lock()

    def __call__(self, ev):
        with self.lock:
            self.events.append(ev)

    def numbers(self):
        with self.lock:
            return [e.number for e in self.events]

    def settle(self, quiet=1.5, limit=20):
        """Wait until no event came for `quiet` s."""
        end = time.monotonic() + limit
        seen = -1
        while time.monotonic() < end:
            n = len(self.events)
            if n == seen:
                return
            seen = n
            time.sleep(quiet)


def make_events(vb, c, toggles):
    """Ring line 0 on and off `toggles` times; returns the board's next_ev after it."""
    for _ in range(toggles):
        vb.model.lines.ring(0, True)
        time.sleep(0.05)
        vb.model.lines.ring(0, False)
        time.sleep(0.05)
    time.sleep(1.0)
    return c.ping()["next_ev"]


def first_client(vb, toggles):
    """A client that saw the board's events; returns (boot, numbers it was given, next_ev)."""
    got = Collect()
    with connect(vb.data_port) as c:
        c.subscribe(got)
        boot = c.info["boot"]
        nxt = make_events(vb, c, toggles)
        got.settle()
    nums = got.numbers()
    assert None not in nums and len(nums) >= 6, nums  # events, none lost
    assert nums[-1] == (nxt - 1) & 0xFFFF
    return boot, nums, nxt


def resumed(vb, boot, n):
    got = Collect()
    c = Client(vb.data_port)
    try:
        c.subscribe(got)
        c.resume_from(boot, n)
        c.hello()
        got.settle()
    finally:
        c.close()
    return got


def test_resuming_the_same_boot_gives_exactly_the_events_after_n():
    with VirtualBoard("virtual-4") as vb:
        boot, nums, _ = first_client(vb, 4)
        for n in (nums[2], nums[-2]):
            got = resumed(vb, boot, n)
            assert got.numbers() == [m for m in nums if m > n], (n, nums)
        assert resumed(vb, boot, nums[-1]).numbers() == []  # up to date: nothing again


def test_resuming_another_boot_gives_the_boards_boot_event_and_the_ring():
    with VirtualBoard("virtual-4") as vb:
        boot, nums, nxt = first_client(vb, 4)
        got = resumed(vb, boot ^ 1, 3)
        assert got.numbers() == list(range(nxt)), got.numbers()
        assert got.events[0].kind == messages.EV_BOOT and got.events[0].value["boot"] == boot


def test_resuming_another_boot_past_the_ring_reports_what_it_lost():
    with VirtualBoard("virtual-4") as vb:
        boot, nums, nxt = first_client(vb, 40)
        assert nxt > 64 + 5, nxt  # the ring has moved on past the BOOT event
        got = resumed(vb, boot ^ 1, 7)
        lost = [e for e in got.events if e.number is None]
        held = [e.number for e in got.events if e.number is not None]
        assert held == list(range(nxt - 64, nxt)), held
        assert len(lost) == 1 and lost[0].kind == "lost" and lost[0].value["count"] == nxt - 64
        assert got.events[0] is lost[0]  # reported before the events after the gap


def test_resume_from_refuses_after_the_handshake_and_bad_positions():
    with VirtualBoard("virtual-4") as vb:
        with connect(vb.data_port) as c:
            with pytest.raises(ValueError, match="after the handshake"):
                c.resume_from(c.info["boot"], 0)
        c = Client(vb.data_port)
        try:
            for bad in ((None, 3), ("b", -1), ("b", 0x10000), ("b", "7")):
                with pytest.raises(ValueError, match="resume_from needs"):
                    c.resume_from(*bad)
        finally:
            c.close()
