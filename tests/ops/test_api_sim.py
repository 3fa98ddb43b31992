"""The API and the event stream against the virtual board: the screen pop with the right
customer card while the agent's phone rings, notes stored with the call record, the floor
following a call, and the wallboard's totals equal to `callgate report` on `cdr pull`."""

import json
import time

import pytest

from callgate.dsp.wav import read_wav
from opskit import ALICE, BOB, CAROL, EventStream, Service, Web, callgate, demo_board, wait_for

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def center(tmp_path_factory):
    d = tmp_path_factory.mktemp("center")
    db = f"sqlite:///{d}/ops.db"
    (d / "customers.csv").write_text("name,number,company,notes,account\n"
                                     "Alice Smith,555-1234,Acme Ltd,always polite,A-17\n"
                                     "Dan Brown,555 8888,,,\n")
    callgate("customers", "import", str(d / "customers.csv"), "--db", db)
    callgate("users", "add", "sue", "--role", "supervisor", "--db", db, stdin="sup-pass\n")
    callgate("users", "add", "carol", "--role", "agent", "--ext", "203", "--db", db, stdin="carol-pass\n")
    vb = demo_board()
    svc = Service(db, vb.data_port).start()
    yield vb, svc, d
    svc.stop()
    vb.close()


def agents_idle(web, board):
    """Every agent the user may see ready on the floor (an earlier call's wrap-up over); one the
    demo site's auto-pause paused (an earlier test let the phone ring out) keys ready (*3)."""
    def ready():
        agents = web.json("GET", "/api/agents")[1]["agents"]
        for a in agents:
            if a["state"] == "paused":
                phone = board.model.network.phone({"201": ALICE, "202": BOB, "203": CAROL}[a["ext"]])
                phone.manual()
                phone.off_hook()
                phone.dial("*3")
                time.sleep(1.0)
                phone.hang_up()
        return {a["state"] for a in agents} == {"ready"}

    wait_for(ready, 60, what="the agents ready")


def phones(board, **answer_ms):
    for name, port in (("alice", ALICE), ("bob", BOB), ("carol", CAROL)):
        board.model.network.phone(port).auto(answer_ms=answer_ms.get(name), talk_ms=answer_ms.get("talk_ms", 8000))


def test_the_pop_with_the_customer_card_reaches_the_agent_while_the_phone_rings(center):
    board, svc, _ = center
    carol = Web(svc.url)
    assert carol.login("carol", "carol-pass")
    ringing_at_pop = []
    stream = EventStream(carol, "/api/events?ext=203", on_event=lambda kind, d: kind == "pop" and ringing_at_pop.append(
        board.model.network.phone(CAROL).ringing))
    try:
        phones(board, carol=12000)  # sales: Alice never answers, Carol after 12 s (0.6 s here)
        call = board.model.network.place_call(0, number="5551234", name="A SMITH", digits="1", survey="5",
                                              max_call_ms=900000)
        assert call.done.wait(120), call.progress
        pops = wait_for(lambda: stream.of("pop"), 10, what="a pop on Carol's stream")
    finally:
        stream.close()
    assert ringing_at_pop[0] is True  # shown while her phone still rang
    p = pops[0]
    assert p["pop"]["ext"] == "203" and p["pop"]["number"] == "5551234" and p["pop"]["queue"] == "sales"
    assert p["pop"]["ivr"] == [["main", "1"]]
    assert p["customer"]["name"] == "Alice Smith" and p["customer"]["extra"] == {"account": "A-17"}
    shown = next(t for t, kind, _ in stream.events if kind == "pop")
    print(f"pop: the board's event received -> on the agent's stream in {1000 * (shown - p['pop']['at']):.0f} ms")
    # a note typed during the call is stored with its record
    status, note = carol.json("POST", f"/api/calls/{p['call_id']}/notes", {"text": "asked about invoice 42"})
    assert status == 201
    rec = wait_for(lambda: carol.json("GET", f"/api/calls/{p['call_id']}")[1] if carol.json(
        "GET", f"/api/calls/{p['call_id']}")[0] == 200 else None, 30, what="the call record")
    assert rec["agent"] == "203" and rec["outcome"] == "answered" and rec["survey"] == {"satisfaction": 5}
    assert [n["text"] for n in rec["notes"]] == ["asked about invoice 42"]
    # the next pop for the same caller lists this call among the last ones
    assert carol.json("GET", "/api/pop?ext=203")[1]["last_calls"][0]["id"] == p["call_id"]


def test_an_unknown_caller_pops_a_blank_card(center):
    board, svc, _ = center
    carol = Web(svc.url)
    assert carol.login("carol", "carol-pass")
    wait_for(lambda: all(c is None for c in board.model.network.calls), 30, what="idle lines")
    agents_idle(carol, board)
    phones(board, carol=4000)
    call = board.model.network.place_call(2, number="5557777", name="NEW ONE", digits="1", max_call_ms=900000)
    assert call.done.wait(120), call.progress
    d = wait_for(lambda: (lambda r: r if r["pop"] and r["pop"]["number"] == "5557777" else None)(
        carol.json("GET", "/api/pop?ext=203")[1]), 10, what="the new pop")
    # no customer, and no earlier calls: this call itself is listed once its record is stored
    # (the call is over here, so the ingest may have stored it before this request)
    assert d["customer"] is None and [c["id"] for c in d["last_calls"]] in ([], [d["call_id"]]), d["last_calls"]


def test_the_floor_follows_a_scripted_call(center):
    board, svc, _ = center
    sue = Web(svc.url)
    assert sue.login("sue", "sup-pass")
    wait_for(lambda: all(c is None for c in board.model.network.calls), 30, what="idle lines")
    agents_idle(sue, board)
    stream = EventStream(sue)
    try:
        phones(board, carol=20000)  # nobody answers within sales' ring timeout: the caller waits
        call = board.model.network.place_call(3, number="5558888", name="DAN", digits="1", patience_ms=40000,
                                              max_call_ms=900000)
        assert call.done.wait(120), call.progress
        wait_for(lambda: stream.of("wallboard") and stream.of("floor")[-1]["waiting_total"] == 0, 60,
                 what="the wallboard after the record, and the floor with nobody waiting")
    finally:
        stream.close()
    floors = stream.of("floor")
    waiting = [f["waiting_total"] for f in floors]
    assert 1 in waiting and waiting[-1] == 0  # the caller waited, then left
    sales = [w for f in floors for w in f["waiting"] if w["queue"] == "sales"]
    assert sales and sales[0]["waiting"] == 1
    states = [a["state"] for f in floors for a in f["agents"] if a["ext"] == "203"]
    assert "ringing" in states and states[-1] == "ready"
    assert stream.of("wallboard")[-1]["floor"]["waiting_total"] == 0


def test_the_wallboard_totals_equal_callgate_report_on_the_pulled_records(center):
    board, svc, d = center
    sue = Web(svc.url)
    assert sue.login("sue", "sup-pass")
    wait_for(lambda: all(c is None for c in board.model.network.calls), 30, what="idle lines")
    status, wb = sue.json("GET", "/api/wallboard")
    assert status == 200
    svc.stop()  # one program at a time on the board's link
    out = d / "calls.json"
    callgate("--port", board.data_port, "cdr", "pull", "-o", str(out))
    report = json.loads(callgate("report", str(out), "--json").stdout)
    today = wb["figures"]["today"]
    assert report["calls"] == today["calls"] >= 3
    for k in ("answered", "abandoned", "asa_s", "service_level", "service_level_with_abandoned", "aht_s",
              "abandon_wait_s", "survey", "queues", "outcomes", "agents"):
        assert today[k] == report[k], k
    svc.start()


def test_a_recorded_call_is_pulled_into_the_store_folder_and_served_to_who_may_hear_it(center):
    board, svc, d = center
    sue, carol = Web(svc.url), Web(svc.url)
    assert sue.login("sue", "sup-pass") and carol.login("carol", "carol-pass")
    wait_for(lambda: all(c is None for c in board.model.network.calls), 30, what="idle lines")
    agents_idle(sue, board)
    phones(board, alice=1000, bob=1000, carol=1000, talk_ms=6000)
    call = board.model.network.place_call(1, number="5554444", name="REC", digits="1", max_call_ms=900000)
    assert call.done.wait(120), call.progress
    rec = wait_for(lambda: [r for r in sue.json("GET", "/api/calls?number=5554444")[1]["calls"]
                            if r.get("recording_url")], 30, what="the recording pulled")[0]
    assert rec["queue"] == "support" and rec["recording_url"] == f"/api/recordings/{rec['id']}.wav"
    status, headers, data = sue.request("GET", rec["recording_url"])
    assert status == 200 and headers["Content-Type"] == "audio/wav" and data[:4] == b"RIFF"
    (d / "served.wav").write_bytes(data)
    wav = read_wav(d / "served.wav")  # a strict reader: the sizes were filled in
    # 6 s of talk (the stop may land up to the line cards' 2 s lead on the firmware late)
    assert wav.sample_rate == 8000 and 4.0 < len(wav.samples) / 8000 < 10.0
    assert (d / "recordings" / f"{rec['id']}.wav").is_file()
    if rec["agent"] != "203":
        assert carol.request("GET", rec["recording_url"])[0] == 403
    assert sue.request("GET", "/api/recordings/..%2Fops.db")[0] == 404
    assert sue.request("GET", "/api/recordings/0000abcd-99.wav")[0] == 404
