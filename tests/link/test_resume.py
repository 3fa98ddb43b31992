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
    assert nums == list(range(nums[0], nums[-1] + 1)), nums
    assert nums[-1] >= (nxt - 1) & 0xFFFF  # (the board may go on after the ping)
    return boot, nums, nums[-1] + 1


def resumed(vb, boot, n):
    """A new client resumed from (boot, n): (what it was given, the board's next_ev then).
    The board may go on with events of its own (a ring that stopped ends its call later)."""
    got = Collect()
    c = Client(vb.data_port)
    try:
        c.subscribe(got)
        c.resume_from(boot, n)
        c.hello()
        got.settle()
        nxt = c.ping()["next_ev"]
        got.settle()
    finally:
        c.close()
    got.stats = dict(c.stats)  # for the failure messages
    return got, nxt


def test_resuming_the_same_boot_gives_exactly_the_events_after_n():
    with VirtualBoard("virtual-4") as vb:
        boot, nums, _ = first_client(vb, 4)
        for n in (nums[2], nums[-2]):
            got, nxt = resumed(vb, boot, n)
            got_n = got.numbers()
            assert got_n == list(range(n + 1, n + 1 + len(got_n))), (n, got_n)  # each once, in order
            assert got_n[-1] >= (nxt - 1) & 0xFFFF
            assert set(got.numbers()) >= {m for m in nums if m > n}  # all the first client saw after n
        last = got_n[-1]
        got, nxt = resumed(vb, boot, last)
        assert got.numbers() == list(range(last + 1, last + 1 + len(got.numbers())))  # none again


def test_resuming_another_boot_gives_the_boards_boot_event_and_the_ring():
    with VirtualBoard("virtual-4") as vb:
        boot, nums, _ = first_client(vb, 4)
        got, nxt = resumed(vb, boot ^ 1, 3)
        got_n = got.numbers()
        assert got_n == list(range(len(got_n))) and got_n[-1] >= (nxt - 1) & 0xFFFF, got_n
        assert got.events[0].kind == messages.EV_BOOT and got.events[0].value["boot"] == boot


def test_resuming_another_boot_past_the_ring_reports_what_it_lost():
    with VirtualBoard("virtual-4") as vb:
        boot, nums, last = first_client(vb, 40)
        assert last > 64 + 5, last  # the ring has moved on past the BOOT event
        got, nxt = resumed(vb, boot ^ 1, 7)
        lost = [e for e in got.events if e.number is None]
        held = [e.number for e in got.events if e.number is not None]
        start = held[0]
        assert held == list(range(start, start + len(held))) and held[-1] >= (nxt - 1) & 0xFFFF, (held, got.stats)
        assert start > 0 and len(held) >= 64  # the ring's 64, and any that came meanwhile
        assert len(lost) == 1 and lost[0].kind == "lost" and lost[0].value["count"] == start
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
