# A campaign's plan on the board (campaigns.py): windows in the callee's time, the do-not-call
# list, retries, and the journal across a power cut. Shared: CPython (pytest) and MicroPython
# (mp_runner.py); they work in a folder of the current directory, removed afterwards.

import os

import fw

campaigns = fw.module("campaigns")
files = fw.module("files")
records = fw.module("records")

RUNS_ON_MICROPYTHON = True

D = "_cg_campaign_test"
MIN = 60000
# 2026-11-23 is a monday; 10:00 UTC then, in ms
MONDAY_10_UTC = 1795428000000


def _write(contacts, dnc, **cfg):
    """The files `campaign load` puts on the flash, in D/cp."""
    files.makedirs(D + "/cp/x")
    with open(D + "/cp/t.contacts", "wb") as f:
        for number, offset in contacts:
            f.write(campaigns.contact_line(number, offset))
    with open(D + "/cp/t.dnc", "wb") as f:
        for number in sorted(dnc):
            f.write(campaigns.dnc_line(number))
    c = {"name": "t", "kind": "notification", "window": [8 * 60, 21 * 60], "days": [0, 1, 2, 3, 4, 5, 6],
         "attempts": 3, "retry": {"busy": [10 * MIN, 3], "no-answer": [30 * MIN, 2], "cut": [MIN, 3]},
         "contacts": len(contacts), "dnc": len(dnc)}
    c.update(cfg)
    return c


def _campaign(cfg):
    return campaigns.Campaign(cfg, D + "/cp")


def _fresh():
    files.remove(D)
    os.mkdir(D)


def test_the_weekday_and_minute_are_the_callees():
    assert campaigns.local_minute(MONDAY_10_UTC, 0) == (0, 600)
    assert campaigns.local_minute(MONDAY_10_UTC, 8 * 60) == (0, 1080)  # 18:00 in Shanghai
    assert campaigns.local_minute(MONDAY_10_UTC, -11 * 60) == (6, 1380)  # sunday 23:00 in Samoa
    assert campaigns.in_window([480, 1260], [0], MONDAY_10_UTC, 0)
    assert not campaigns.in_window([480, 1260], [1, 2], MONDAY_10_UTC, 0)
    assert not campaigns.in_window([480, 1260], [0, 6], MONDAY_10_UTC, -11 * 60)


def test_contacts_are_called_in_order_each_only_in_their_window():
    _fresh()
    try:
        cfg = _write([("5550001", 0), ("5550002", -11 * 60), ("5550003", 8 * 60)], [])
        cp = _campaign(cfg)
        assert cp.next_due(MONDAY_10_UTC) is None  # not running yet
        cp.set_run(campaigns.R_RUNNING, MONDAY_10_UTC)
        assert cp.next_due(MONDAY_10_UTC) == 0
        assert cp.dialing(0, MONDAY_10_UTC) == "5550001"
        assert cp.next_due(MONDAY_10_UTC) == 2  # 1's callee is asleep (23:00)
        assert cp.ended(0, "person", MONDAY_10_UTC) == "done"
        later = MONDAY_10_UTC + 3 * 3600000  # 13:00 UTC: 21:00 in Shanghai, 02:00 in Samoa
        assert cp.next_due(later) is None
        st = cp.status()
        assert (st["done"], st["pending"], st["attempts"], st["outcomes"]) == (1, 2, 1, {"person": 1})
    finally:
        files.remove(D)


def test_a_number_on_the_do_not_call_list_is_never_dialled():
    _fresh()
    try:
        cfg = _write([("5550001", 0), ("5550002", 0), ("5550003", 0)], ["5550002", "5550001", "1"])
        cp = _campaign(cfg)
        cp.set_run(campaigns.R_RUNNING, MONDAY_10_UTC)
        assert cp.on_dnc("5550001") and cp.on_dnc("1") and not cp.on_dnc("5550003") and not cp.on_dnc("")
        assert cp.next_due(MONDAY_10_UTC) == 2
        assert cp.status()["dnc"] == 2
        try:
            cp.dialing(0, MONDAY_10_UTC)
        except campaigns.CampaignError:
            pass
        else:
            raise AssertionError("a do-not-call number was dialled")
    finally:
        files.remove(D)


def test_outcomes_retry_by_their_rule_until_attempts_run_out():
    _fresh()
    try:
        cfg = _write([("5550001", 0)], [], attempts=2)
        cp = _campaign(cfg)
        cp.set_run(campaigns.R_RUNNING, MONDAY_10_UTC)
        t = MONDAY_10_UTC
        cp.dialing(0, t)
        assert cp.ended(0, "busy", t) == "retry"
        assert cp.next_due(t + 9 * MIN) is None and cp.next_due(t + 10 * MIN) == 0
        cp.dialing(0, t + 10 * MIN)
        assert cp.ended(0, "busy", t + 11 * MIN) == "failed"  # the campaign's 2 attempts
        assert cp.finished() and cp.next_due(t + 60 * MIN) is None
        cfg = _write([("5550001", 0)], [])
        cp = _campaign(cfg)
        cp.dialing(0, t)
        assert cp.ended(0, "sit", t) == "failed"  # no rule: not tried again
    finally:
        files.remove(D)


def test_an_attempt_cut_by_a_power_cut_counts_as_made_and_is_never_dialled_twice():
    _fresh()
    try:
        cfg = _write([("5550001", 0), ("5550002", 0)], [], attempts=1)
        cp = _campaign(cfg)
        cp.set_run(campaigns.R_RUNNING, MONDAY_10_UTC)
        cp.dialing(0, MONDAY_10_UTC)  # ... and the power goes
        again = _campaign(cfg)
        assert again.load(MONDAY_10_UTC + MIN) == [0]
        assert again.run == campaigns.R_RUNNING and again.tries[0] == 1
        assert again.status()["failed"] == 1 and again.outcome[0] == "cut"  # its one attempt was made
        assert again.next_due(MONDAY_10_UTC + 2 * MIN) == 1
        third = _campaign(cfg)  # a second boot finds the cut journalled: nothing more to cut
        assert third.load(MONDAY_10_UTC + 3 * MIN) == [] and third.outcome[0] == "cut"
        dialled = []
        records.scan(third.log_path, lambda r: dialled.append((r.get("c"), r.get("a"))) if r.get("s") == "dialing" else None)
        assert dialled == [(0, 1)]
    finally:
        files.remove(D)


def test_paused_and_stopped_campaigns_dial_nobody_and_say_so_after_a_boot():
    _fresh()
    try:
        cfg = _write([("5550001", 0)], [])
        cp = _campaign(cfg)
        cp.set_run(campaigns.R_RUNNING, MONDAY_10_UTC)
        cp.set_run(campaigns.R_PAUSED, MONDAY_10_UTC)
        assert cp.next_due(MONDAY_10_UTC) is None
        again = _campaign(cfg)
        again.load(MONDAY_10_UTC)
        assert again.run == campaigns.R_PAUSED
    finally:
        files.remove(D)
