"""A blind transfer to an outside number on the virtual board (boards/virtual-8, the demo site
with trunk5 allowed to call out, as `outbound: {allow: true}` in a site would): Alice talks to a
caller, flashes her hook and keys the demo's outside prefix 9, 5550123 and #
(`callgate sim phone 5 flash ; callgate sim phone 5 dial 95550123#`), and hangs up. The board
dials 5550123 on trunk5 (the real firmware, the C call-progress analyser live on the line);
the simulated exchange decodes the digits and answers as `callgate sim number 5550123
--answers person` says; the board bridges the held caller to the trunk. Each side sends a
tone: what the line cards send the other side's far end carries it (the caller's audio
reaches the outside party, and back). The person hangs up 20 s after their "hello?": both
calls end, the trunk is released, and the records link up: the inbound one's legs (Alice,
then the number) and transfers, the attempt's own record with transfer_for."""

import queue
import threading
import time

import numpy as np
import pytest

from callgate.callcenter import cdr as cdr_mod
from callgate.dsp import g711
from callgate.firmware.link import messages
from callgate.link.client import connect
from callgate.link.files import RemoteFiles
from callgate.sim.control import Control

from boardkit import demo_site_copy, level_db, running_demo_board, sine, wait

pytestmark = pytest.mark.slow
C, TRUNK5, ALICE = 0, 4, 5
CALLER_HZ, OUTSIDE_HZ = 470.0, 1090.0
WINDOW = 4800  # samples measured (0.6 s), after SETTLE
SETTLE = 800


@pytest.fixture(scope="module")
def board(tmp_path_factory):
    def trunk5_calls_out(text):
        trunk5 = "    name: trunk5\n"
        assert trunk5 in text and 'outside_prefix: "9"' in text
        return text.replace(trunk5, trunk5 + "    outbound: {allow: true}\n", 1)

    path = demo_site_copy(tmp_path_factory.mktemp("site"), trunk5_calls_out)
    with running_demo_board(clock=10.0, site=path) as vb:
        with Control(vb.control_path) as ctl:
            ctl.trunk(TRUNK5, plan="CN")  # the exchange's tones are the site's plan for trunk5
            ctl.number("5550123", "person")
        yield vb


class Spy:
    """What the line cards send the far ends of the caller's trunk and of trunk5 (the
    exchange's tx), from start() on; on the line cards' thread."""

    def __init__(self, net):
        self.lock = threading.Lock()
        self.sent = None
        self._tx = net.tx
        net.tx = self.tx

    def tx(self, port, codes):
        with self.lock:
            if self.sent is not None and port in self.sent:
                self.sent[port].append(np.array(codes))
        self._tx(port, codes)

    def start(self):
        with self.lock:
            self.sent = {C: [], TRUNK5: []}

    def have(self, n):
        with self.lock:
            return self.sent is not None and all(sum(len(c) for c in v) >= n for v in self.sent.values())

    def take(self):
        with self.lock:
            return {p: g711.ulaw_decode(np.concatenate(v)).astype(float) for p, v in self.sent.items()}


def calls_events(q, seen):
    while not q.empty():
        seen.append(q.get())
    return [e.value for e in seen if e.name == "call"]


def test_a_flash_and_9_number_hash_bridge_the_caller_to_the_outside_party_and_both_legs_are_recorded(board):
    net = board.model.network
    alice = net.phone(ALICE)
    seen = []
    with connect(board.data_port, timeout=1.0) as link:
        q = queue.SimpleQueue()
        link.subscribe(q.put)
        for ext, do in (("201", "ready"), ("202", "logout"), ("203", "logout")):
            link.request(messages.OP_AGENT, {"ext": ext, "do": do})
        alice.auto(answer_ms=200, talk_ms=None)
        # survey: a caller without one hangs up a second after an agent leaves (the flash)
        call = net.place_call(C, number="5550789", digits="1", survey="5", max_call_ms=900000)
        wait(lambda: alice.peer == C, "Alice put through")
        alice.manual()
        alice.flash()
        wait(lambda: any(p["what"] == "flash" for p in alice.progress), "the flash")
        time.sleep(0.3)
        alice.dial("95550123#")
        wait(lambda: any(v["state"] == "transfer" for v in calls_events(q, seen)), "the transfer")
        alice.hang_up()
        transfer = [v for v in calls_events(q, seen) if v["state"] == "transfer"][-1]
        assert transfer["agent"] == "201" and transfer["to"] == "95550123" and transfer["outside"], transfer
        bridged = wait(lambda: [v for v in calls_events(q, seen) if v["state"] == "outside" and "bridged" in v],
                       "the outside number's answer")[-1]
        assert bridged == {"port": C, "call": transfer["call"], "state": "outside", "number": "5550123",
                           "trunk": "trunk5", "result": "person", "bridged": True}, bridged
        assert net.peers.get(C) == TRUNK5 and net.hears.get(TRUNK5) == frozenset([C])

        # Each side sends its tone; each far end is sent the other's (the caller's audio out on
        # trunk5, the outside party's back on the caller's trunk), within a few dB of it
        spy = Spy(net)
        done = threading.Event()

        def tones():
            call.rx.clear()
            call.rx.put(sine(CALLER_HZ, 3.0))
            out = net.out[TRUNK5]
            out.rx.clear()
            out.rx.put(sine(OUTSIDE_HZ, 3.0))
            spy.start()
            done.set()

        net.plane.run_soon(tones)
        assert done.wait(10)
        wait(lambda: spy.have(SETTLE + WINDOW), "the tones' audio")
        got = {p: x[SETTLE:SETTLE + WINDOW] for p, x in spy.take().items()}
        to_outside = {hz: level_db(got[TRUNK5], hz) for hz in (CALLER_HZ, OUTSIDE_HZ)}
        to_caller = {hz: level_db(got[C], hz) for hz in (CALLER_HZ, OUTSIDE_HZ)}
        assert to_outside[CALLER_HZ] > -3 and to_outside[OUTSIDE_HZ] < to_outside[CALLER_HZ] - 30, to_outside
        assert to_caller[OUTSIDE_HZ] > -3 and to_caller[CALLER_HZ] < to_caller[OUTSIDE_HZ] - 30, to_caller

        # The person hangs up (20 s after their greeting): both calls end, trunk5 is free again
        assert call.done.wait(120), call.progress
        ended = wait(lambda: [v for v in calls_events(q, seen) if v["state"] == "ended" and v["port"] == TRUNK5],
                     "the outside call's end")[-1]
        assert ended["by"] == "callee" and ended["outcome"] == "person" and ended["direction"] == "out"
        inbound_end = [v for v in calls_events(q, seen) if v["state"] == "ended" and v["port"] == C][-1]
        assert inbound_end["by"] == "callee", inbound_end
        ports = {p["n"]: p["state"] for p in link.request(messages.OP_STATUS)["ports"]}
        assert ports[TRUNK5] == "idle" and ports[C] == "idle", ports
        with Control(board.control_path) as ctl:
            dialled = wait(ctl.dialled, "the exchange's outbound call list")
        assert dialled[-1]["digits"] == "5550123" and dialled[-1]["answers"] == "person"

        def both():
            recs = cdr_mod.fetch(RemoteFiles(link))[0]
            inbound = [r for r in recs if r["number"] == "5550789" and r["direction"] == "in"]
            return inbound and [r for r in recs if r.get("transfer_for") == inbound[-1]["id"]] and (inbound, recs)

        inbound, recs = wait(both, "both records")  # (the inbound one after Alice's wrap-up)
        r = inbound[-1]
        (out,) = [x for x in recs if x.get("transfer_for") == r["id"]]
        assert [leg.get("agent") or leg.get("number") for leg in r["legs"]] == ["201", "5550123"], r
        assert r["legs"][1]["trunk"] == "trunk5" and r["legs"][1]["connected"] == out["connected"]
        assert r["legs"][0]["left"] <= r["legs"][1]["connected"] <= r["legs"][1]["left"] <= r["ended"]
        (t,) = r["transfers"]
        assert (t["from"], t["to"], t["outside"], t["trunk"], t["result"]) == ("201", "95550123", True, "trunk5",
                                                                              "person"), t
        assert r["outcome"] == "answered" and r["by"] == "callee" and r["agent"] == "201"
        assert r["agent_left"] == r["legs"][0]["left"] == t["at"]  # her talk time ends there
        assert out["direction"] == "out" and out["number"] == "5550123" and out["trunk"] == "trunk5"
        assert out["outcome"] == "person" and out["decide_ms"] > 0 and out["by"] == "callee"
        link.request(messages.OP_AGENT, {"ext": "202", "do": "login"})
        link.request(messages.OP_AGENT, {"ext": "203", "do": "login"})
