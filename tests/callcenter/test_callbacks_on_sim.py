"""Callbacks end to end on the virtual board (issue 15, firmware callbacks.py): a caller waits in
support until its overflow asks for a number, keys it, hangs up; the board rings an agent first,
and when the agent's phone answers it dials the number on a trunk that may call out; the
simulated exchange decodes the digits and answers as `sim number` says (a person speaking with
espeak-ng); the agent is bridged to the callee. The call records link up (callback_for). A busy
number is retried after the site's interval, and answered the second time."""

import queue
import time

import pytest

from callgate.callcenter import cdr as cdr_mod
from callgate.firmware.link import messages
from callgate.link.client import connect
from callgate.link.files import RemoteFiles
from callgate.sim.control import Control

from boardkit import demo_site_copy, running_demo_board

pytestmark = pytest.mark.slow
CLOCK = 20.0
ALICE, BOB, CAROL = 5, 6, 7
EXTS = ("201", "202", "203")
CALLBACKS = """
callbacks:
  retry:
    busy: {after_s: 20, attempts: 3}
"""


@pytest.fixture(scope="module")
def board(tmp_path_factory):
    # The sim's automatic agents, who hang up AGENT_NO_CALL_MS after answering when nobody is put through,
    # wait on the line while the board dials out for them (phones.py)
    path = demo_site_copy(tmp_path_factory.mktemp("site"), lambda text: text.replace(
        "    answer_rings: 2\n", "    answer_rings: 2\n    outbound: {allow: true}\n", 1) + CALLBACKS)
    with running_demo_board(clock=CLOCK, site=path) as vb:
        with Control(vb.control_path) as ctl:
            ctl.trunk(0, plan="CN")  # the exchange's tones are the site's plan for trunk1
        yield vb


@pytest.fixture
def link(board):
    with connect(board.data_port, timeout=1.0) as c:
        q = queue.SimpleQueue()
        c.subscribe(q.put)
        c.events_seen = q
        yield c


def until(link, seen, done, timeout=90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            e = link.events_seen.get(timeout=0.2)
        except queue.Empty:
            continue
        seen.append(e)
        if done(e):
            return e
    raise AssertionError(f"not seen in time; callback events: {[e.value for e in seen if e.name == 'callback']}")


def leave_number(board, link, number):
    """Every agent logged out; a caller keys 2 (support), waits its 180 s, keys the number."""
    for ext in EXTS:
        link.request(messages.OP_AGENT, {"ext": ext, "do": "logout"})
    call = board.model.network.place_call(0, number="5551234", name="ALICE SMITH", digits="2,1",
                                          callback=number + "#", max_call_ms=900000)
    assert call.done.wait(300 / CLOCK + 30), call.progress
    seen = []
    until(link, seen, lambda e: e.name == "callback" and e.value["state"] == "pending")
    return seen


def eventually(look, timeout=120):
    """look()'s first truthy answer within timeout real seconds (the board runs in real time
    beside other test workers)."""
    deadline = time.monotonic() + timeout
    while not (got := look()):
        assert time.monotonic() < deadline, f"{look} gave nothing in {timeout} s"
        time.sleep(0.5)
    return got


def records(link):
    got, bad = cdr_mod.fetch(RemoteFiles(link))
    assert not bad
    return got


def records_when(link, done):
    """The board's call records once done(records) holds (a record is written when its call
    ends)."""
    return eventually(lambda: done(rs := records(link)) and rs)


def test_a_callback_rings_an_agent_first_then_dials_and_bridges_a_person(board, link):
    with Control(board.control_path) as ctl:
        ctl.number("5550102", "person")
    seen = leave_number(board, link, "5550102")
    pending = [e.value for e in seen if e.name == "callback"][-1]
    time.sleep(2)
    assert not [e for e in seen if e.name == "callback" and e.value["state"] == "dialing"]  # no agent: no dial
    page = link.request(messages.OP_CALLBACKS, {"from": 0})
    assert page["total"] == 1 and page["callbacks"][0]["id"] == pending["id"]
    assert page["callbacks"][0]["state"] == "pending" and page["callbacks"][0]["number"] == "5550102"
    board.model.network.phone(ALICE).auto(answer_ms=1500, talk_ms=6000)
    link.request(messages.OP_AGENT, {"ext": "201", "do": "login"})
    link.request(messages.OP_AGENT, {"ext": "201", "do": "ready"})
    until(link, seen, lambda e: e.name == "callback" and e.value["state"] in ("done", "failed"), timeout=120)
    states = [e.value["state"] for e in seen if e.name == "callback"]
    assert states[-4:] == ["offered", "dialing", "connected", "done"], str([e.value for e in seen if e.name in ("callback", "call")])
    connected = [e.value for e in seen if e.name == "callback" and e.value["state"] == "connected"][-1]
    assert connected["result"] == "person" and connected["agent"] == "201"
    # "done" is the callback's: the call it made goes on until the agent (6 s) hangs up
    with Control(board.control_path) as ctl:
        dialled = eventually(ctl.dialled)  # the exchange lists an outbound call once it ended
    assert dialled[-1]["digits"] == "5550102"  # what the exchange decoded from the line
    recs = records_when(link, lambda rs: any(r.get("callback_for") == pending["id"] for r in rs))
    inbound = [r for r in recs if r["id"] == pending["id"]][0]
    assert inbound["callback"] == "5550102" and inbound["direction"] == "in"
    (out,) = [r for r in recs if r.get("callback_for") == inbound["id"]]
    assert out["direction"] == "out" and out["number"] == "5550102" and out["outcome"] == "person"
    assert out["attempt"] == 1 and out["agent"] == "201" and out["trunk"] == "trunk1"
    assert out["decide_ms"] > 0 and out["connected"] is not None
    assert link.request(messages.OP_CALLBACKS, {}) == {"callbacks": [], "total": 0}
    board.model.network.phone(ALICE).auto(answer_ms=None)


def test_a_busy_number_is_retried_and_answered_the_second_time(board, link):
    with Control(board.control_path) as ctl:
        ctl.number("5550177", "busy")
    seen = leave_number(board, link, "5550177")
    rid = [e.value for e in seen if e.name == "callback"][-1]["id"]
    board.model.network.phone(BOB).auto(answer_ms=1000, talk_ms=5000)
    link.request(messages.OP_AGENT, {"ext": "202", "do": "login"})
    link.request(messages.OP_AGENT, {"ext": "202", "do": "ready"})
    retry = until(link, seen, lambda e: e.name == "callback" and e.value["state"] in ("retry", "failed"))
    assert retry.value["state"] == "retry" and retry.value["outcome"] == "busy"
    with Control(board.control_path) as ctl:
        ctl.number("5550177", "person")
    until(link, seen, lambda e: e.name == "callback" and e.value["state"] in ("done", "failed"), timeout=120)
    mine = [e.value for e in seen if e.name == "callback"]
    assert mine[-1]["state"] == "done" and mine[-1]["attempt"] == 2
    recs = records_when(link, lambda rs: any(r.get("callback_for") == rid and r["attempt"] == 2 for r in rs))
    outs = sorted((r for r in recs if r.get("callback_for") == rid), key=lambda r: r["attempt"])
    assert [(r["attempt"], r["outcome"]) for r in outs] == [(1, "busy"), (2, "person")]
    assert all(r["number"] == "5550177" and r["agent"] == "202" for r in outs)
    board.model.network.phone(BOB).auto(answer_ms=None)
