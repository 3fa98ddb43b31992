"""Every event and call record lands in the store exactly once, across a service killed mid-
traffic (SIGKILL) and started again: the store is compared with `callgate cdr pull`. The
kill-and-restart test runs on both databases (SQLite, and a PostgreSQL server of the tests'
own: conftest.pg_server)."""

import json
import random
import time

import pytest

from callgate.callcenter import cdr as cdr_mod
from callgate.link.client import connect
from callgate.link.files import RemoteFiles
from callgate.ops.store import Store
from opskit import ALICE, BOB, CAROL, Service, demo_board, wait_for

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def board():
    vb = demo_board()
    vb.placed = 0  # calls placed on it by this module's tests: each leaves one call record
    yield vb
    vb.close()


def place_calls(board, n, seed=1):
    """n callers on trunks 0-4, a few at a time; agents answer after 1-3 s and talk 5-20 s."""
    rng = random.Random(seed)
    net = board.model.network
    for port in (ALICE, BOB, CAROL):
        net.phone(port).auto(answer_ms=rng.randint(1000, 3000), talk_ms=rng.randint(5000, 20000))
    calls = []
    board.placed += n
    for i in range(n):
        trunk = i % 5
        while net.calls[trunk] is not None:
            time.sleep(0.05)
        calls.append(net.place_call(trunk, number=f"555{1000 + i % 7}", name="CALLER", max_call_ms=900000,
                                    digits=rng.choice(["1", "2,1", "0", "*"]), survey=rng.choice(["4", "5", None]),
                                    patience_ms=rng.choice([60000, 600000])))
        time.sleep(rng.uniform(0.05, 0.3))
    return calls


def stored(db):
    """(calls by id, events, boards) as the store holds them; db: a path or a --db URL."""
    s = Store.open(db if "://" in db else f"sqlite:///{db}")
    try:
        calls = {r[0]: json.loads(r[1]) for r in s.query("SELECT id, record FROM calls")}
        events = [tuple(r) for r in s.query("SELECT board, boot, ord, n, kind FROM events ORDER BY boot, ord")]
        boards = [tuple(r) for r in s.query("SELECT board, boot, last_n, lost FROM boards")]
    finally:
        s.close()
    return calls, events, boards


def test_killed_mid_traffic_and_restarted_the_store_holds_every_record_once(board, store_url):
    db = store_url
    svc = Service(db, board.data_port).start()
    try:
        calls = place_calls(board, 6, seed=1)
        wait_for(lambda: len(stored(db)[0]) >= 1, 60, what="a first call record in the store")
        svc.kill()  # mid-traffic: calls are still up, events keep coming
        more = place_calls(board, 4, seed=2)
        time.sleep(1.0)
        svc = Service(db, board.data_port).start()
        for c in calls + more:
            assert c.done.wait(120), c.progress
        # the board holds the records of this module's earlier tests too: the store gets them all
        wait_for(lambda: len(stored(db)[0]) >= board.placed, 60, what="every call record in the store")
    finally:
        svc.stop()
    with connect(board.data_port, timeout=1.0) as c:
        pulled, bad = cdr_mod.fetch(RemoteFiles(c))
    assert not bad
    calls_in_store, events, boards = stored(db)
    assert {r["id"] for r in pulled} == set(calls_in_store)
    for r in pulled:
        assert calls_in_store[r["id"]] == r
    # events: each once (the key), and every number of the boot either stored or counted lost
    keys = [(b, boot, o) for b, boot, o, _, _ in events]
    assert len(keys) == len(set(keys))
    (board_id, boot, last_n, lost), = boards
    ords = sorted(o for b, bt, o, _, _ in events if bt == boot)
    missing = (ords[-1] - ords[0] + 1) - len(ords)
    assert missing <= lost, (missing, lost)
    kinds = {k for *_, k in events}
    assert {"call", "pop", "agent", "cdr"} <= kinds
    print(f"{len(pulled)} records, {len(events)} events, {missing} event numbers missing, {lost} counted lost")



def test_events_missed_while_the_service_was_down_are_fetched_from_the_board(board, tmp_path):
    """Down for one short call (fewer events than the board's ring of 64): on restart the
    client is told where the store stopped and fetches the rest; no number missing, none lost."""
    db = str(tmp_path / "ops.db")
    with Service(db, board.data_port):
        call = place_calls(board, 1, seed=3)[0]
        assert call.done.wait(120)
        wait_for(lambda: len(stored(db)[0]) >= 1, 30, what="the call record")
        before = len(stored(db)[1])
    call = board.model.network.place_call(0, number="5550000", name="WHILE DOWN", digits="*", max_call_ms=60000)
    board.placed += 1
    assert call.done.wait(60)
    time.sleep(0.5)
    with Service(db, board.data_port) as svc:
        wait_for(lambda: len(stored(db)[0]) >= 2, 30, what="the call record made while down")
        time.sleep(0.5)
    svc_logs = svc.log
    _, events, boards = stored(db)
    (_, boot, _, lost), = boards
    ords = [o for _, bt, o, _, _ in events if bt == boot]
    assert ords, (boards, {bt for _, bt, _, _, _ in events}, svc_logs)
    assert lost == 0 and ords == list(range(ords[0], ords[0] + len(ords)))
    down = [e for e in events[before:] if e[4] == "call"]
    assert down, "the events of the call made while the service was down"


def test_a_board_that_restarts_mid_call_is_followed_into_its_new_boot(board, tmp_path):
    """The firmware SIGKILLed while a call is up (the board's reset): the service sees the
    new boot, stores its events from 0, and still ends up with exactly `cdr pull`'s records."""
    db = str(tmp_path / "ops.db")
    with Service(db, board.data_port):
        first = place_calls(board, 2, seed=4)
        wait_for(lambda: len(stored(db)[0]) >= 1, 60, what="a first record")
        old = board.kill_firmware()
        assert board.wait_restart(old, 30)
        for c in first:
            c.done.wait(120)
        wait_for(lambda: all(c is None for c in board.model.network.calls), 60, what="idle lines")
        after = place_calls(board, 2, seed=5)
        for c in after:
            assert c.done.wait(120), c.progress
        with_new_boot = lambda: {r["id"].split("-")[0] for r in stored(db)[0].values()}  # noqa: E731
        wait_for(lambda: len(with_new_boot()) >= 2 and len(stored(db)[0]) >= 3, 60, what="the new boot's records")
        time.sleep(1.0)  # the last record written (stopping reads the files once more)
    with connect(board.data_port, timeout=1.0) as c:
        pulled, bad = cdr_mod.fetch(RemoteFiles(c))
        boot = c.info["boot"]
    assert not bad
    calls_in_store, events, boards = stored(db)
    assert {r["id"] for r in pulled} == set(calls_in_store)
    assert boards[0][1] == boot
    new_boot = sorted((o, k) for _, bt, o, _, k in events if bt == boot)
    assert new_boot[0] == (0, "boot")  # the new boot's events from its BOOT event on
