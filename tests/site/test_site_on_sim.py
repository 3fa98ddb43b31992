"""The demo site on the virtual board, end to end: `site build` into the flash, the real
firmware on MicroPython loads site.json, a simulated caller keys a menu choice as DTMF audio
after the (chime) welcome prompt, and the host sees the call reach the queue."""

import queue
import time

import pytest

from callgate.link.client import connect
from callgate.sim.board import VirtualBoard
from callgate.sim.flash import FlashImage
from callgate.site import build, load_site


@pytest.fixture
def site_board(demo, tmp_path):
    text = demo.read_text()
    # the board's clock is the real one: no business hours, so the call meets the main menu
    demo.write_text(text.split("\nhours:")[0].replace("  after_hours: closed\n", ""))
    built = tmp_path / "site"
    build(load_site(demo), built)
    image = FlashImage(tmp_path / "flash.img")  # the board's flash, with the site put in it
    image.create()
    image.put_tree(built)
    with VirtualBoard("virtual-4", clock=8.0, flash=image.path) as vb:
        yield vb


def test_demo_site_call_reaches_the_sales_queue(site_board):
    with connect(site_board.data_port) as c:
        q = queue.SimpleQueue()
        c.subscribe(q.put)
        call = site_board.model.network.place_call(0, number="5551234", digits="1", hangup_after_ms=800)
        seen = []
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                e = q.get(timeout=0.2)
            except queue.Empty:
                continue
            seen.append(e)
            if e.name == "call" and e.value.get("state") == "ended":
                break
    calls = [e.value for e in seen if e.name == "call" and e.value["port"] == 0]
    assert [v["state"] for v in calls] == ["ringing", "answered", "menu", "queued", "ended"], calls
    assert calls[2]["menu"] == "main" and calls[3]["queue"] == "sales"
    assert calls[4]["by"] == "caller"
    assert call.done.wait(5) and call.result()["answered"]
