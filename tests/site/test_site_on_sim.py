"""The demo site on the virtual board, end to end: `site build` into the flash, the real
firmware on MicroPython loads site.json, a simulated caller keys a menu choice as DTMF audio
after the (chime) welcome prompt, and the host sees the call reach the queue (and perhaps be
offered to a sales agent) before the caller hangs up."""

import json
import queue
import time

import pytest

from callgate import runtime
from callgate.link.client import connect
from callgate.sim.board import VirtualBoard
from callgate.sim.flash import FlashImage
from callgate.site import build, load_site


@pytest.fixture
def site_board(demo, tmp_path):
    text = demo.read_text()
    # the board's clock is the real one: no business hours, so the call meets the main menu
    demo.write_text(text.split("\nhours:")[0].replace("  after_hours: closed\n", ""))
    with VirtualBoard("virtual-8", clock=8.0, site=load_site(demo)) as vb:  # the site in its flash at boot
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
    states = [v["state"] for v in calls]
    assert states[:4] == ["ringing", "answered", "menu", "queued"] and states[-1] == "ended", calls
    assert calls[2]["menu"] == "main" and calls[3]["queue"] == "sales"
    # the caller hangs up while a sales agent (Alice 201 or Carol 203, not Bob) may be ringing
    assert set(states[4:-1]) <= {"offered"} and all(v["agent"] in ("201", "203") for v in calls[4:-1]), calls
    assert calls[-1]["by"] == "caller"
    assert call.done.wait(5) and call.result()["answered"]


def test_a_silent_caller_in_menus_that_loop_gets_a_goodbye_and_the_trunk_back(demo, tmp_path):
    """The defect on the real firmware: a bundle whose menus fall back to each other (as one
    built before `site check` refused them, or edited by hand), a caller who keys nothing and
    would stay 30 minutes. The board's IVR limit ends the call: the goodbye, then the hang-up."""
    demo.write_text(demo.read_text().split("\nhours:")[0].replace("  after_hours: closed\n", ""))
    built = tmp_path / "site"
    build(load_site(demo), built)
    b = json.loads((built / "site.json").read_text())
    b["ivr"]["menus"]["main"]["fallback"] = {"do": "menu", "to": "support"}
    b["ivr"]["menus"]["support"]["fallback"] = {"do": "menu", "to": "main"}
    b["ivr"]["limit"] = {"steps": 8, "s": 300, "then": {"do": "hangup"}, "bye": "thanks"}
    (built / "site.json").write_text(json.dumps(b))
    storage = json.loads((runtime.board_dir("virtual-8") / "board.json").read_text())["storage"]["bytes"]
    image = FlashImage(tmp_path / "flash.img", storage)
    image.create()
    image.put_tree(built)
    with VirtualBoard("virtual-8", clock=8.0, flash=image.path) as vb, connect(vb.data_port) as c:
        q = queue.SimpleQueue()
        c.subscribe(q.put)
        call = vb.model.network.place_call(0, number="5551234", digits="", max_call_ms=1800000)
        calls = []
        deadline = time.monotonic() + 240  # line time runs slower on a loaded machine (paced)
        while time.monotonic() < deadline and not (calls and calls[-1]["state"] == "ended"):
            try:
                e = q.get(timeout=0.2)
            except queue.Empty:
                continue
            if e.name == "call" and e.value["port"] == 0:
                calls.append(e.value)
        assert calls and calls[-1]["state"] == "ended", calls
        assert calls[-1]["by"] == "board" and calls[-1]["reason"] == "ivr-limit", calls[-1]
        menus = [v["menu"] for v in calls if v["state"] == "menu"]
        assert menus[:2] == ["main", "support"], menus
        assert call.done.wait(10)
        r = call.result()
        assert r["answered"] and r["ended_by"] == "board", r
        # the loop as the line cards played it: main's prompt, support's, main's again, ...
        played = [cmd.get("prompt") for cmd in vb.model.lines.commands if cmd.get("t") == "play" and cmd.get("port") == 0]
        main, support = b["ivr"]["menus"]["main"]["prompt"], b["ivr"]["menus"]["support"]["prompt"]
        assert played[0] == main and support in played and main in played[played.index(support):], played
        assert played[-1] == "thanks" and len(played) == 8 + 1, played


def test_sim_starts_a_board_with_the_site_in_its_flash(tmp_path):
    """`callgate sim --site FILE`: the site is written into the flash before the board boots
    (provision.install), so the firmware starts with it and a provision over the link finds
    nothing to send; another board's site, or an invalid one, stops the sim before it starts."""
    import subprocess
    import sys

    from callgate.provision import provision

    cmd = [sys.executable, "-m", "callgate", "sim", "--board", "virtual-8", "--seconds", "1", "--json"]
    env = dict(__import__("os").environ, CALLGATE_RUNTIME_DIR=str(tmp_path))
    image = tmp_path / "flash.img"
    r = subprocess.run(cmd + ["--site", "sites/demo/site.yaml", "--flash", str(image)], capture_output=True,
                       text=True, timeout=60, stdin=subprocess.DEVNULL, env=env)
    assert r.returncode == 0, r.stderr
    assert "site demo in the flash at boot" in r.stderr
    with VirtualBoard("virtual-8", flash=image) as vb, connect(vb.data_port) as c:
        assert c.status()["site"] == "demo"  # the firmware loaded it at boot
        p = provision(c, load_site("sites/demo/site.yaml"))
        assert p["up_to_date"] and p["bytes_to_send"] == 0
    r = subprocess.run(cmd[:5] + ["virtual-4", "--seconds", "1", "--site", "sites/demo/site.yaml"], capture_output=True,
                       text=True, timeout=60, stdin=subprocess.DEVNULL, env=env)
    assert r.returncode == 2 and "is for board virtual-8, but the board is virtual-4" in r.stderr, r.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text("site: x\n")
    r = subprocess.run(cmd + ["--site", str(bad)], capture_output=True, text=True, timeout=60,
                       stdin=subprocess.DEVNULL, env=env)
    problems = json.loads(r.stdout)  # --json: the site's problems as JSON, as `site check --json` prints them
    assert r.returncode == 2 and problems["ok"] is False and "data" not in problems
    assert {"field": "board", "message": "missing (required)"}.items() <= next(
        p for p in problems["problems"] if p["field"] == "board").items()
