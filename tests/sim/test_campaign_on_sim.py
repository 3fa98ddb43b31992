"""A campaign end to end on the virtual board (docs/outbound.md, Campaigns): `callgate campaign
load|start|status|results` (real processes) put a notification campaign on the board; the
firmware on MicroPython dials its contacts on the FXO trunks, the exchange answers as `sim
number` set it, and the board journals every attempt. A number on the do-not-call list is
never dialled; busy is retried by the campaign's rule until its attempts run out."""

import csv
import io
import json
import time

import pytest

from callgate.sim.control import Control
from test_outbound import answering_board, callgate

NUMBERS = {"5550100": "busy", "5550102": "person", "5550103": "machine", "5550105": "person"}


@pytest.fixture(scope="module")
def board():
    with answering_board(NUMBERS) as vb:
        yield vb


def campaign_file(tmp_path):
    (tmp_path / "contacts.csv").write_text("number,name\n5550102,Ann\n5550100,Bo\n5550105,Cy\n5550103,Di\n")
    (tmp_path / "dnc.txt").write_text("5550105\n")
    f = tmp_path / "notice.yaml"
    f.write_text("campaign: notice\nkind: notification\ncontacts: contacts.csv\ndo_not_call: [dnc.txt]\n"
                 "window: '00:00-24:00'\nlines: 2\nretry: {busy: {after_s: 10, attempts: 2}}\n"
                 "notification: {prompt: welcome, confirm_key: '1', timeout_ms: 2000}\n")
    return f


def status(board, name="notice"):
    return json.loads(callgate("--port", board.data_port, "--json", "campaign", "status", name, check_code=0).stdout)


def test_a_notification_campaign_calls_its_list_once_each_never_the_do_not_call_number(board, tmp_path):
    f = campaign_file(tmp_path)
    loaded = json.loads(callgate("--port", board.data_port, "--json", "campaign", "load", f, check_code=0).stdout)
    assert (loaded["run"], loaded["contacts"], loaded["pending"]) == ("stopped", 3, 3)
    again = callgate("--port", board.data_port, "campaign", "load", f, check_code=0)  # the same: loaded again
    assert "3 pending" in again.stdout
    callgate("--port", board.data_port, "campaign", "start", "notice", check_code=0)
    deadline = time.monotonic() + 240
    st = status(board)
    while st["pending"] + st["dialing"] + st["retry"] and time.monotonic() < deadline:
        time.sleep(2)
        st = status(board)
    # 4 attempts, or more when the line's analysis gave up on one (no dial tone on a loaded
    # machine: retried by its rule, as a board would)
    assert (st["done"], st["failed"]) == (2, 1) and st["attempts"] >= 4, st
    assert st["outcomes"] == {"person": 1, "machine": 1, "busy": 1}
    with Control(board.control_path) as ctl:  # (the exchange lists a call once the board hangs up)
        deadline = time.monotonic() + 10
        while len(dialled := [d["digits"] for d in ctl.dialled()]) < st["attempts"] and time.monotonic() < deadline:
            time.sleep(0.1)
    assert "5550105" not in dialled and {"5550100", "5550102", "5550103"} <= set(dialled), dialled
    assert dialled.count("5550100") == 2 or st["attempts"] > 4, dialled  # busy: twice, its rule's cap
    out = tmp_path / "results.csv"
    callgate("--port", board.data_port, "campaign", "results", "notice", "-o", out, check_code=0)
    rows = {r["number"]: r for r in csv.DictReader(io.StringIO(out.read_text()))}
    assert rows["5550102"]["state"] == "done" and json.loads(rows["5550102"]["answers"]) == {"confirmed": False}
    assert rows["5550100"]["state"] == "failed" and rows["5550100"]["outcome"] == "busy", rows
    assert rows["5550103"]["outcome"] == "machine" and not rows["5550103"]["answers"]  # the message left


def test_another_list_under_the_same_name_is_refused_and_nothing_changes(board, tmp_path):
    f = campaign_file(tmp_path)
    callgate("--port", board.data_port, "campaign", "load", f, check_code=0)  # (loaded already, or now)
    (tmp_path / "contacts.csv").write_text("number\n5550199\n")
    r = callgate("--port", board.data_port, "campaign", "load", f, check_code=2)
    assert "another name" in r.stderr
    r = callgate("--port", board.data_port, "campaign", "status", "nosuch", check_code=2)
    assert "no campaign 'nosuch'" in r.stderr
