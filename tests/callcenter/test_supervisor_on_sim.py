"""A supervisor on the virtual board (boards/virtual-8, the demo site: Carol 203 on port 7 is
the team lead): her simulated phone keys *51 + 201 to listen to Alice's call, 2 to whisper, 3
to barge, 1 to listen again, and hangs up. Each leg sends its own tone; what the line cards
send each port's far end (the exchange's tx) shows who hears whom: what a party must not hear
is at least 40 dB below what it must. The call record lists the modes, the link carries the
supervise events, and a phone not marked supervisor is refused. Then a hook-flash transfer:
Alice flashes, keys Bob's extension, and the record keeps both legs."""

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

from boardkit import level_db, running_demo_board, sine, wait

pytestmark = pytest.mark.slow
C, ALICE, BOB, CAROL = 0, 5, 6, 7
HZ = {C: 470.0, ALICE: 1090.0, CAROL: 1730.0}
MUST = {  # who each party must hear, per mode (the table)
    "listen": {C: {ALICE}, ALICE: {C}, CAROL: {C, ALICE}},
    "whisper": {C: {ALICE}, ALICE: {C, CAROL}, CAROL: {C, ALICE}},
    "barge": {C: {ALICE, CAROL}, ALICE: {C, CAROL}, CAROL: {C, ALICE}},
}
WINDOW = 4800  # samples measured (0.6 s), after SETTLE
SETTLE = 800


@pytest.fixture(scope="module")
def board():
    with running_demo_board(clock=10.0) as vb:
        yield vb


class Spy:
    """What the line cards send each port's far end, kept per port from reset() on (the line
    cards' thread calls tx; reset runs on it too)."""

    def __init__(self, net):
        self.lock = threading.Lock()
        self.sent = {p: [] for p in HZ}
        self._tx = net.tx
        net.tx = self.tx

    def tx(self, port, codes):
        if port in self.sent:
            with self.lock:
                self.sent[port].append(np.array(codes))
        self._tx(port, codes)

    def reset(self):
        with self.lock:
            for v in self.sent.values():
                v.clear()

    def have(self, n):
        with self.lock:
            return all(sum(len(c) for c in v) >= n for v in self.sent.values())

    def take(self):
        with self.lock:
            return {p: g711.ulaw_decode(np.concatenate(v)).astype(float) for p, v in self.sent.items()}


def measure(board, spy, call):
    """Every leg sends its tone from now on; returns {port: {tone's port: dB}} of what each
    port's far end was sent."""
    net = board.model.network

    def tones():
        call.rx.clear()
        call.rx.put(sine(HZ[C], 3.0))
        for p in (ALICE, CAROL):
            net.phone(p).rx.clear()
            net.phone(p).rx.put(sine(HZ[p], 3.0))
        spy.reset()

    done = threading.Event()
    net.plane.run_soon(lambda: (tones(), done.set()))
    assert done.wait(10)
    wait(lambda: spy.have(SETTLE + WINDOW), "the tones' audio", 30)
    got = spy.take()
    return {p: {q: level_db(x[SETTLE:SETTLE + WINDOW], HZ[q]) for q in HZ} for p, x in got.items()}


def check(mode, db):
    for p, must in MUST[mode].items():
        for q in must:
            assert db[p][q] > -3, (mode, p, q, db[p])
        for q in set(HZ) - must:
            assert db[p][q] < min(db[p][m] for m in must) - 40, (mode, p, q, db[p])


def agents(link):
    return {a["ext"]: a for a in link.request(messages.OP_AGENTS)["agents"]}


def test_listen_whisper_barge_each_party_hears_what_it_must_and_40_db_less_of_the_rest(board):
    net = board.model.network
    alice, carol, bob = net.phone(ALICE), net.phone(CAROL), net.phone(BOB)
    with connect(board.data_port, timeout=1.0) as link:
        q = queue.SimpleQueue()
        link.subscribe(q.put)
        for ext in ("202", "203"):  # the sales call goes to Alice
            link.request(messages.OP_AGENT, {"ext": ext, "do": "logout"})
        alice.auto(answer_ms=200, talk_ms=None)
        call = net.place_call(C, number="5550123", digits="1", survey="4", max_call_ms=900000)
        wait(lambda: alice.peer == C, "Alice put through", 60)
        spy = Spy(net)
        # Bob is no supervisor: refused (congestion), nothing joins
        bob.manual()
        bob.off_hook()
        time.sleep(0.2)
        bob.dial("*51201")
        time.sleep(1.0)
        assert not bob.status()["hears"] and not net.hears.get(BOB)
        bob.hang_up()
        carol.manual()
        carol.off_hook()
        time.sleep(0.2)
        carol.dial("*51201")
        wait(lambda: set(carol.status()["hears"]) == {C, ALICE}, "Carol listening")
        check("listen", measure(board, spy, call))
        for d, mode in (("2", "whisper"), ("3", "barge"), ("1", "listen")):
            done = threading.Event()
            net.plane.run_soon(lambda: (carol.rx.clear(), done.set()))  # her tone must not hide her key
            assert done.wait(10)
            carol.dial(d)
            want = {ALICE} if mode == "listen" else {ALICE, CAROL}
            wait(lambda: set(net.hears.get(C, ())) == (want if mode == "barge" else {ALICE})
                 and set(net.hears.get(ALICE, ())) == ({C} if mode == "listen" else {C, CAROL}), mode)
            check(mode, measure(board, spy, call))
        carol.hang_up()  # out of the call: the caller and Alice still hear each other
        wait(lambda: not net.hears.get(CAROL), "Carol out of the call")
        db = measure(board, spy, call)
        assert db[C][ALICE] > -3 and db[ALICE][C] > -3 and db[C][CAROL] < db[C][ALICE] - 40
        alice.manual()
        alice.hang_up()  # the survey, then the record (after Alice's wrap-up: she may key a disposition)
        assert call.done.wait(60), call.progress
        recs = wait(lambda: [r for r in cdr_mod.fetch(RemoteFiles(link))[0] if r["number"] == "5550123"],
                    "the call's record", 60)
        sup = recs[-1]["supervised"]
        assert [(s["ext"], s["mode"]) for s in sup] == [("203", "listen"), ("203", "whisper"), ("203", "barge"),
                                                       ("203", "listen")], sup
        assert all(s["ms"] > 0 for s in sup)
        seen = []
        while not q.empty():
            seen.append(q.get())
        ev = [e.value for e in seen if e.name == "supervise"]
        assert [v["mode"] for v in ev] == ["listen", "whisper", "barge", "listen", None]
        assert ev[0]["ext"] == "203" and ev[0]["agent"] == "201" and ev[0]["trunk"] == C
        for ext in ("202", "203"):
            link.request(messages.OP_AGENT, {"ext": ext, "do": "login"})


def test_a_hook_flash_and_an_extension_transfer_the_call_and_the_record_keeps_both_legs(board):
    """Alice flashes her hook (`callgate sim phone 5 flash`), keys 202 and hangs up; Bob's phone
    rings and takes the caller."""
    net = board.model.network
    alice, bob = net.phone(ALICE), net.phone(BOB)
    with connect(board.data_port, timeout=1.0) as link:
        wait(lambda: all(a["state"] in ("ready", "paused", "logged-out") for a in agents(link).values()),
             "every agent at rest")
        for ext, do in (("201", "ready"), ("202", "ready"), ("203", "logout")):
            link.request(messages.OP_AGENT, {"ext": ext, "do": do})
        alice.auto(answer_ms=200, talk_ms=None)
        bob.auto(answer_ms=300, talk_ms=3000)
        call = net.place_call(C, number="5550456", digits="1", survey="5", max_call_ms=900000)
        wait(lambda: alice.peer == C, "Alice put through", 60)
        alice.manual()
        alice.flash()
        wait(lambda: any(p["what"] == "flash" for p in alice.progress), "the flash")
        time.sleep(0.3)
        alice.dial("202")
        wait(lambda: bob.peer == C, "Bob put through", 60)
        alice.hang_up()
        assert call.done.wait(60), call.progress
        recs = wait(lambda: [r for r in cdr_mod.fetch(RemoteFiles(link))[0] if r["number"] == "5550456"],
                    "the call's record", 60)
        r = recs[-1]
        assert [leg["agent"] for leg in r["legs"]] == ["201", "202"], r
        assert r["legs"][0]["left"] <= r["legs"][1]["connected"] <= r["legs"][1]["left"]
        assert r["transfers"][0]["from"] == "201" and r["transfers"][0]["to"] == "202"
        assert r["agent"] == "202" and r["outcome"] == "answered"  # (the caller may key its survey key on the hold prompt)
        link.request(messages.OP_AGENT, {"ext": "203", "do": "login"})
