"""Agents as people on the virtual board (boards/virtual-8, the demo site): feature codes keyed
on the simulated phones, `callgate --port P agent ...` and `agents` over the link, a call kept
from a paused agent, a disposition keyed in wrap-up going into the call record, and the
agent-state records tiling each agent's time across a site reload and a power cut."""

import json
import queue
import time

import pytest

from callgate.callcenter import agentlog
from callgate.callcenter import cdr as cdr_mod
from callgate.cli import main as cli_main
from callgate.firmware.link import messages
from callgate.link.client import connect
from callgate.link.files import RemoteFiles
from callgate.provision import provision
from callgate.site import load_site

from boardkit import running_demo_board, wait

pytestmark = pytest.mark.slow
SITE = "sites/demo/site.yaml"
ALICE, BOB, CAROL = 5, 6, 7


@pytest.fixture(scope="module")
def board():
    with running_demo_board(clock=20.0) as vb:
        yield vb


def agents(link):
    return {a["ext"]: a for a in link.request(messages.OP_AGENTS)["agents"]}


def key(board, port, digits):
    """Pick up the phone on port, key digits, hang up once the board has answered with a tone."""
    phone = board.model.network.phone(port)
    phone.manual()
    phone.off_hook()
    time.sleep(0.3)
    phone.dial(digits)
    time.sleep(1.0)
    phone.hang_up()
    time.sleep(0.3)


def tiled(intervals):
    assert intervals
    assert agentlog.gaps(intervals) == [], agentlog.gaps(intervals)[:3]
    for r in intervals:
        assert r["start"] <= r["end"], r


def test_feature_codes_and_the_link_change_agents_and_only_ready_ones_get_calls(board, capsys):
    with connect(board.data_port, timeout=1.0) as link:
        q = queue.SimpleQueue()
        link.subscribe(q.put)
        assert {a["state"] for a in agents(link).values()} == {"ready"}
        key(board, ALICE, "*21")  # pause: lunch
        wait(lambda: agents(link)["201"]["state"] == "paused", "Alice paused")
        assert agents(link)["201"]["reason"] == "lunch"
        key(board, ALICE, "*29")  # no reason 9: refused, nothing changes
        key(board, BOB, "*1")  # log out
        wait(lambda: agents(link)["202"]["state"] == "logged-out", "Bob logged out")
        seen = []
        while not q.empty():
            seen.append(q.get())
        agent_events = [e.value for e in seen if e.name == "agent"]
        assert {"ext": "201", "state": "paused", "reason": "lunch"}.items() <= agent_events[-3].items() or any(
            v["ext"] == "201" and v["state"] == "paused" and v["reason"] == "lunch" for v in agent_events)
        # a call to support (Bob, Carol have the skill; Alice paused, Bob out): only Carol rings
        phones = board.model.network
        for p in (ALICE, BOB):
            phones.phone(p).auto(answer_ms=100, talk_ms=2000)
        phones.phone(CAROL).auto(answer_ms=500, talk_ms=2000)
        call = phones.place_call(0, number="5550100", digits="2,1", survey="4", max_call_ms=900000)
        assert call.done.wait(60), call.progress
        assert phones.phone(CAROL).calls == 1
        assert phones.phone(ALICE).calls == 0 and phones.phone(BOB).calls == 0
        assert not any(pr["what"] == "ring" for p in (ALICE, BOB) for pr in phones.phone(p).progress)
    # over the link, as a user would
    port = board.data_port
    assert cli_main(["--port", port, "agent", "ready", "201"]) == 0
    assert cli_main(["--port", port, "agent", "login", "202"]) == 0
    assert cli_main(["--port", port, "agent", "pause", "203", "nap"]) == 2
    err = capsys.readouterr().err
    assert "no pause reason 'nap'" in err and "lunch" in err
    assert cli_main(["--port", port, "agent", "pause", "299", "lunch"]) == 2
    assert "no agent with extension 299" in capsys.readouterr().err
    assert cli_main(["--port", port, "--json", "agents"]) == 0
    out = json.loads(capsys.readouterr().out)
    by = {a["ext"]: a for a in out["agents"]}
    assert by["201"]["state"] == "ready" and by["202"]["state"] == "ready"
    assert by["203"]["today"] >= 1 and by["203"]["in_state_s"] >= 0
    assert cli_main(["--port", port, "agents"]) == 0
    assert "agent 203 Carol (port 7):" in capsys.readouterr().out


def at_rest(link):
    return all(a["state"] in ("ready", "paused", "logged-out") for a in agents(link).values())


def test_intervals_tile_across_a_site_reload_and_a_power_cut(board, tmp_path, capsys):
    with connect(board.data_port, timeout=1.0) as link:
        wait(lambda: at_rest(link), "every agent at rest")
        assert link.request(messages.OP_AGENT, {"ext": "203", "do": "pause", "reason": "training"})["state"] == "paused"
        r = provision(link, load_site(SITE), force_reload=True)
        assert r["reload"].get("applied"), r
        assert agents(link)["203"]["state"] == "paused"  # the reload keeps the agents as they were
        before, bad = agentlog.fetch(RemoteFiles(link))
        tiled(before)
        pid = board.kill_firmware()
    assert board.wait_restart(pid)
    with connect(board.data_port, timeout=1.0) as link:
        a = agents(link)
        assert a["203"]["state"] == "paused" and a["203"]["reason"] == "training"  # paused stays paused
        after, bad = agentlog.fetch(RemoteFiles(link))
        assert not bad
    tiled(after)
    line_now_ms = (board.model.audio.epoch + board.model.audio.now / 8000) * 1000
    late = [r for r in after if r["end"] > line_now_ms]
    assert not late, f"intervals past the line's time {line_now_ms} (a clock not the line cards'): {late[:3]}"
    cut = [r for r in after if r.get("cut")]
    assert {r["agent"] for r in cut} == {"201", "202", "203"}  # each agent's open interval, closed at the boot
    assert [r for r in after if not r.get("cut")][: len(before)] or before
    out = tmp_path / "agents.csv"
    assert cli_main(["--port", board.data_port, "agent-log", "pull", "-o", str(out)]) == 0
    text = out.read_text().splitlines()
    assert text[0].startswith("agent,name,port,state,reason,start,end,seconds") and len(text) == len(after) + 3 + 1  # and each agent's open one
    per = agentlog.per_agent(after)
    assert per["203"]["pause_by_reason"].get("training", 0) > 0


def test_a_disposition_keyed_in_wrap_up_goes_into_the_call_record(board):
    net = board.model.network
    with connect(board.data_port, timeout=1.0) as link:
        for ext in ("201", "202", "203"):
            link.request(messages.OP_AGENT, {"ext": ext, "do": "ready"})
        for p in (ALICE, BOB):
            link.request(messages.OP_AGENT, {"ext": {ALICE: "201", BOB: "202"}[p], "do": "logout"})
        carol = net.phone(CAROL)
        carol.auto(answer_ms=300, talk_ms=1500)
        before = len(cdr_mod.fetch(RemoteFiles(link))[0])
        net.place_call(0, number="5550111", digits="2,1", survey="4", max_call_ms=900000)
        wait(lambda: agents(link)["203"]["state"] == "wrapup", "Carol in wrap-up", 60)
        key(board, CAROL, "*42")  # follow-up
        recs = wait(lambda: (lambda r: r if len(r) > before else None)(cdr_mod.fetch(RemoteFiles(link))[0]),
                    "the call's record", 60)
        mine = [r for r in recs if r["number"] == "5550111"]
        assert mine and mine[-1]["disposition"] == "follow-up" and mine[-1]["agent"] == "203", mine
        for ext in ("201", "202"):
            link.request(messages.OP_AGENT, {"ext": ext, "do": "login"})
