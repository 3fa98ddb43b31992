"""The call center end to end on the virtual board (boards/virtual-8, the demo site): provisioned
over the link, real firmware on MicroPython, simulated callers and agents on the board model's
lines, events, call records and recordings read back over the link as `callgate` does.

One board for the module (the lines run 20x real time, so the demo site's queue waits of
minutes take seconds); each test sets the agents it needs and leaves every port idle."""

import queue
import time

import numpy as np
import pytest

from callgate.callcenter import cdr as cdr_mod
from callgate.callcenter.recordings import pull as pull_recordings
from callgate.callcenter.recordings import read_index
from callgate.dsp.wav import read_wav
from callgate.firmware.link import messages
from callgate.link.client import connect
from callgate.link.files import RemoteFiles
from callgate.provision import provision
from callgate.site import load_site

from boardkit import running_demo_board

pytestmark = pytest.mark.slow
SITE = "sites/demo/site.yaml"
CLOCK = 20.0
ALICE, BOB, CAROL = 5, 6, 7


@pytest.fixture(scope="module")
def board():
    with running_demo_board(clock=CLOCK) as vb:
        yield vb


@pytest.fixture
def link(board):
    with connect(board.data_port, timeout=1.0) as c:
        q = queue.SimpleQueue()
        c.subscribe(q.put)
        c.events_seen = q
        yield c
    wait_idle(board)


def agents(board, **answer_ms):
    """Phones of Alice, Bob, Carol: answer after the given ms (missing: never), talk long."""
    for name, port in (("alice", ALICE), ("bob", BOB), ("carol", CAROL)):
        board.model.network.phone(port).auto(answer_ms=answer_ms.get(name), talk_ms=answer_ms.get("talk_ms", 600000))


def wait_idle(board, timeout=30):
    net = board.model.network
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(c is None for c in net.calls) and not any(net.phone(p).ringing for p in (ALICE, BOB, CAROL)):
            return
        time.sleep(0.1)
    raise AssertionError("the board's lines did not go idle")


def agents_idle(link, timeout=30):
    """Wait until the board has every agent ready (wrap-up of an earlier call over); agents the
    demo site's auto-pause paused (an earlier test let their phones ring out) are made ready."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        agents = link.request(messages.OP_CALLS)["agents"]
        if {a["state"] for a in agents} == {"ready"}:
            return
        for a in agents:
            if a["state"] == "paused" and a["reason"] == "no-answer":
                link.request(messages.OP_AGENT, {"ext": a["ext"], "do": "ready"})
        time.sleep(0.1)
    raise AssertionError("the agents did not become ready")


def run_call(board, link, port=0, **spec):
    """Place a call once every agent is free, wait for it, return (the caller's result, the
    board's events of it)."""
    agents_idle(link)
    spec.setdefault("max_call_ms", 900000)  # the caller waits as long as the board lets them
    call = board.model.network.place_call(port, number="5551234", name="ALICE SMITH", **spec)
    assert call.done.wait(120 / CLOCK + 120), call.progress  # paced: slower on a loaded machine
    seen, deadline = [], time.monotonic() + 10
    while time.monotonic() < deadline:  # the call record's event comes last
        try:
            e = link.events_seen.get(timeout=0.2)
        except queue.Empty:
            continue
        seen.append(e)
        if e.name == "cdr":
            break
    return call.result(), seen


def record_of(link, events):
    rid = [e.value["id"] for e in events if e.name == "cdr"][-1]
    records, bad = cdr_mod.fetch(RemoteFiles(link))
    assert not bad
    mine = [r for r in records if r["id"] == rid]
    assert len(mine) == 1
    return mine[0]


def states(events, port=0):
    return [e.value["state"] for e in events if e.name == "call" and e.value.get("port") == port]


def test_a_caller_reaches_an_agent_is_recorded_and_rates_the_call(board, link, tmp_path):
    agents(board, bob=1500, talk_ms=8000)  # only Bob answers: round-robin tries the others first
    result, events = run_call(board, link, digits="2,1", survey="4")
    assert result["agent"] == BOB and result["survey"] == "4"
    s = states(events)
    assert s[:4] == ["ringing", "answered", "menu", "menu"]
    assert s.index("queued") < s.index("offered") < s.index("connected") < s.index("survey") < s.index("ended")
    pops = [e.value for e in events if e.name == "pop"]
    assert pops and pops[-1]["ext"] == "202" and pops[-1]["number"] == "5551234"
    assert pops[-1]["ivr"] == [["main", "2"], ["support", "1"]] and pops[-1]["queue"] == "support"
    ended = [e.value for e in events if e.name == "call" and e.value["state"] == "ended"][-1]
    assert ended["by"] == "board" and ended["reason"] == "survey-done"
    r = record_of(link, events)
    assert r["outcome"] == "answered" and r["agent"] == "202" and r["agent_name"] == "Bob"
    assert r["survey"] == {"satisfaction": 4} and r["queue"] == "support"
    assert r["number"] == "5551234" and r["name"] == "ALICE SMITH" and r["trunk"] == "trunk1"
    assert r["arrived"] < r["answered"] < r["queued"] < r["connected"] < r["agent_left"] < r["ended"]
    assert 7.0 < (r["agent_left"] - r["connected"]) / 1000 < 10.0  # Bob talks 8 s (model time)
    # At 20x real time every ms the firmware takes to act on Bob's hang-up is 20 ms more of the
    # bridge (and of its recording): the bridge as the line cards carried it out is the measure.
    bridged = result["bridged_ms"] / 1000
    assert bridged >= 7.9
    assert r["recording"] == f"rec/{r['id']}.wav"  # support records every call
    got = pull_recordings(RemoteFiles(link), tmp_path)
    assert r["recording"] in got["pulled"]
    wav = read_wav(tmp_path / f"{r['id']}.wav")  # a strict reader: the sizes were completed
    assert wav.sample_rate == 8000 and abs(len(wav.samples) / 8000 - bridged) < 0.25  # the whole bridge
    assert np.sqrt(np.mean(wav.samples.astype(float) ** 2)) > 100  # both sides talked


def test_the_operator_queue_rings_every_free_agent_and_the_first_to_answer_takes_it(board, link):
    agents(board, carol=2000, talk_ms=3000)  # reception rings all three; only Carol picks up
    result, events = run_call(board, link, digits="0", survey="5")
    pops = [e.value for e in events if e.name == "pop"]
    assert {p["ext"] for p in pops} == {"201", "202", "203"} and {p["queue"] for p in pops} == {"reception"}
    assert result["agent"] == CAROL
    r = record_of(link, events)
    assert r["agent"] == "203" and r["queue"] == "reception" and r["survey"] == {"satisfaction": 5}
    assert r["offered"] == 3


def test_a_caller_who_runs_out_of_patience_is_abandoned(board, link):
    agents(board)  # nobody answers
    result, events = run_call(board, link, digits="1", patience_ms=20000)
    assert result["agent"] is None
    assert [e.value["queue"] for e in events if e.name == "pop"] == ["sales"] * len(
        [e for e in events if e.name == "pop"])
    r = record_of(link, events)
    assert r["outcome"] == "abandoned" and r["by"] == "caller" and r["connected"] is None
    assert r["offered"] >= 1 and r["queue"] == "sales"


def test_support_overflows_to_a_callback_number(board, link):
    agents(board)
    result, events = run_call(board, link, digits="2,1", callback="5559876#")
    assert "callback" in states(events)
    r = record_of(link, events)
    assert r["outcome"] == "callback" and r["callback"] == "5559876" and r["overflow"] == "support"
    assert (r["ended"] - r["queued"]) / 1000 >= 180  # support's max wait


def test_the_operator_queue_overflows_to_voicemail(board, link, tmp_path):
    agents(board)
    result, events = run_call(board, link, digits="0")
    assert "voicemail" in states(events), (states(events), result)
    r = record_of(link, events)
    assert r["outcome"] == "voicemail" and r["recording"] == f"rec/{r['id']}-vm.wav", (r, result)
    assert board.model.stats["bad_lines"] == 0  # every command reached the line cards whole
    got = pull_recordings(RemoteFiles(link), tmp_path)
    assert r["recording"] in got["pulled"]
    index = {e["id"]: e for e in __import__("json").loads((tmp_path / "index.json").read_text())}
    assert index[f"{r['id']}-vm"]["kind"] == "voicemail"


def index_now(link):
    """The board's recording index as it is this moment, by id."""
    entries, bad = read_index(RemoteFiles(link))
    assert not bad
    return {e["id"]: e for e in entries}


def test_a_voicemail_is_complete_on_the_flash_before_its_call_record(board, link):
    """The line cards' last chunk of the message comes late (a slow bus: 5 s of line-card
    time, under the firmware's 10 s wait): the call record, and its event, wait for it, so a
    host that fetches recordings as soon as it sees the record finds the message's index
    line."""
    agents(board)
    board.model.audio.rec_end_delay_ms = 5000
    try:
        result, events = run_call(board, link, digits="0")
        index = index_now(link)  # at once: before anything else reaches the board
    finally:
        board.model.audio.rec_end_delay_ms = 0
    r = record_of(link, events)
    assert r["outcome"] == "voicemail" and "recording_cut" not in r
    vm = index.get(f"{r['id']}-vm")
    assert vm is not None, sorted(index)
    assert vm["kind"] == "voicemail" and vm["bytes"] > 0 and "cut" not in vm


def test_a_recording_whose_end_never_comes_is_marked_cut_in_the_call_record(board, link):
    agents(board)
    board.model.audio.rec_end_delay_ms = None  # the last chunk is lost
    try:
        result, events = run_call(board, link, digits="0")
        index = index_now(link)
    finally:
        board.model.audio.rec_end_delay_ms = 0
    r = record_of(link, events)
    assert r["outcome"] == "voicemail" and r["recording_cut"] is True
    vm = index[f"{r['id']}-vm"]  # what did arrive is kept, and said to be incomplete
    assert vm["cut"] is True and vm["bytes"] > 0


def test_the_caller_hangs_up_on_the_agent(board, link):
    agents(board, alice=1000, carol=1000)
    result, events = run_call(board, link, digits="1", talk_ms=5000)
    r = record_of(link, events)
    assert r["outcome"] == "answered" and r["by"] == "caller" and r["agent"] in ("201", "203")
    assert r["agent_left"] is None and r["survey"] is None
    time.sleep(15 / CLOCK + 1)  # the agent's wrap-up (10 s)
    st = link.request(messages.OP_CALLS)
    assert {a["state"] for a in st["agents"]} == {"ready"}, st


def test_a_site_reload_keeps_numbering_calls(board, link):
    _, events = run_call(board, link, digits="*")
    first = record_of(link, events)["id"]
    r = provision(link, load_site(SITE), force_reload=True)  # up to date: only the reload
    assert r["reload"].get("applied"), r
    _, events = run_call(board, link, digits="*")
    second = record_of(link, events)["id"]
    boot, n = first.split("-")
    assert second == f"{boot}-{int(n) + 1}"


def test_call_records_survive_a_power_cut(board, link):
    run_call(board, link, digits="*")  # the hang-up key: at least this call's record
    before, bad = cdr_mod.fetch(RemoteFiles(link))
    assert before and before[-1]["outcome"] == "ivr" and not bad
    pid = board.kill_firmware()
    assert board.wait_restart(pid)
    after, bad = cdr_mod.fetch(RemoteFiles(link))  # the client shakes hands with the new firmware
    assert [r["id"] for r in after] == [r["id"] for r in before] and not bad
    assert link.status()["site"] == "demo"  # the site is loaded again at boot



def test_status_shows_the_site_calls_and_agents(board, link, capsys):
    """`callgate --port P status` on the 8-port board: STATUS fits one frame, the calls and
    agents come from their own request."""
    from callgate.cli import main as cli_main

    link.close()  # one host tool on a serial port at a time
    assert cli_main(["--port", board.data_port, "status"]) == 0
    out = capsys.readouterr().out
    assert "site demo" in out
    for ext, name in (("201", "5"), ("202", "6"), ("203", "7")):
        assert f"agent {ext} (port {name}): " in out
