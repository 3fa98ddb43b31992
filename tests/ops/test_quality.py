"""Quality review: the scorecard from the site file, scores weighed, stored per call and per
agent (on both databases), the worklist as `recordings sample` draws it, and the API against
a real `callgate serve --site` process."""

import pathlib

import pytest

from callgate.callcenter import sampling
from callgate.ops import quality
from callgate.ops.store import Store
from opskit import Service, Web, callgate

SITE = "sites/demo/site.yaml"
T0 = 1795400000000  # 2026-11-23, ms


def record(i, agent, talk_s=30, recorded=True, outcome="answered"):
    return {"id": f"0000abcd-{i}", "arrived": T0 + 1000 * i, "number": f"555{1000 + i}", "queue": "sales",
            "agent": agent, "outcome": outcome, "connected": T0 + 1000 * i + 5000,
            "agent_left": T0 + 1000 * i + 5000 + 1000 * talk_s, "ended": T0 + 1000 * i + 6000 + 1000 * talk_s,
            "recording": f"rec/0000abcd-{i}.wav" if recorded else None}


RECORDS = ([record(i, "201") for i in range(1, 6)] + [record(i, "202") for i in range(6, 9)]
           + [record(9, "203", recorded=False), record(10, "203", talk_s=2), record(11, "201", outcome="abandoned")])


def test_the_demo_sites_scorecard_and_a_call_weighed_on_it():
    card = quality.scorecard(SITE)
    assert [c["id"] for c in card["criteria"]] == ["greeting", "need", "resolution", "courtesy"]
    assert card["criteria"][3]["max"] == 3 and card["criteria"][0]["max"] == 5 and card["pass_percent"] == 75
    full = quality.score(card, {"greeting": 5, "need": 5, "resolution": 5, "courtesy": 3})
    assert full["percent"] == 100.0 and full["passed"] is True
    # weights 1, 3, 4, 2: (1*5/5 + 3*0/5 + 4*5/5 + 2*3/3) / 10 = 0.7
    some = quality.score(card, {"greeting": 5, "need": 0, "resolution": 5, "courtesy": 3})
    assert some["percent"] == 70.0 and some["passed"] is False
    assert some["card"][1] == {"id": "need", "label": "Understood what the caller needed", "weight": 3, "max": 5}
    for scores, words in (({"greeting": 5}, "'need'.*not scored"), ({**full["scores"], "x": 1}, "no criterion 'x'"),
                          ({**full["scores"], "courtesy": 4}, "from 0 to 3"), ({**full["scores"], "need": 2.5}, "whole"),
                          ([], "must be an object")):
        with pytest.raises(quality.ScoreError, match=words):
            quality.score(card, scores)


def test_scorecards_are_stored_per_call_and_per_agent(store_url):
    s = Store.open(store_url)
    card = quality.scorecard(SITE)
    s.add_calls("b1", RECORDS)
    for cid, agent, scores in (("0000abcd-1", "201", {"greeting": 5, "need": 5, "resolution": 5, "courtesy": 3}),
                               ("0000abcd-1", "201", {"greeting": 5, "need": 0, "resolution": 5, "courtesy": 3}),
                               ("0000abcd-6", "202", {"greeting": 0, "need": 0, "resolution": 0, "courtesy": 0})):
        sc = quality.score(card, scores)
        sc.update(call=cid, agent=agent, reviewer="sue", comment="ok")
        s.add_scorecard(sc)
    got = s.scorecards(calls=["0000abcd-1"])
    assert [g["percent"] for g in got] == [100.0, 70.0] and got[0]["passed"] is True and got[1]["passed"] is False
    assert got[0]["scores"]["courtesy"] == 3 and got[0]["card"][3]["max"] == 3
    assert [g["call"] for g in s.scorecards(agent="202")] == ["0000abcd-6"]
    by_agent = {a["agent"]: a for a in s.quality_by_agent()}
    assert by_agent["201"]["calls"] == 1 and by_agent["201"]["scorecards"] == 2
    assert by_agent["201"]["average"] == pytest.approx(85.0) and by_agent["201"]["passed"] == 1
    assert by_agent["202"]["lowest"] == 0.0 and by_agent["202"]["judged"] == 1 and by_agent["202"]["passed"] == 0


def test_the_worklist_is_the_recordings_sample_draw_and_stays_while_worked_through(tmp_path):
    s = Store(str(tmp_path / "ops.db"))
    s.add_calls("b1", RECORDS)
    card = quality.scorecard(SITE)
    wl = quality.worklist(s, card, seed=7)
    want = sampling.draw(s.calls(), card["per_agent"], 7, card["min_talk_s"])
    assert [r["id"] for r in wl["calls"]] == [r["id"] for r in want["calls"]]
    assert {r["agent"] for r in wl["calls"]} == {"201", "202"}  # 203: not recorded, or too short
    assert wl["drawn"]["agents"]["201"]["eligible"] == 5 and wl["to_do"] == 4
    first = wl["calls"][0]["id"]
    sc = quality.score(card, {"greeting": 5, "need": 5, "resolution": 5, "courtesy": 3})
    s.add_scorecard(dict(sc, call=first, agent="201", reviewer="sue"))
    again = quality.worklist(s, card, seed=7)
    assert [r["id"] for r in again["calls"]] == [r["id"] for r in wl["calls"]]
    assert again["done"] == 1 and again["calls"][0]["scorecards"][0]["percent"] == 100.0


@pytest.mark.slow
def test_the_quality_api_against_a_real_service(tmp_path):
    db = f"sqlite:///{tmp_path}/ops.db"
    Store.open(db).add_calls("b1", RECORDS)
    callgate("users", "add", "sue", "--role", "supervisor", "--db", db, stdin="sup-pass\n")
    callgate("users", "add", "bob", "--role", "agent", "--ext", "202", "--db", db, stdin="bob-pass\n")
    with Service(db, f"{tmp_path}/no-such-board", args=["--site", SITE]) as svc:
        sue, bob = Web(svc.url), Web(svc.url)
        assert sue.login("sue", "sup-pass") and bob.login("bob", "bob-pass")
        status, wl = sue.json("GET", "/api/quality?seed=7")
        assert status == 200 and wl["card"]["criteria"][0]["id"] == "greeting" and wl["to_do"] == 4
        cid = next(r["id"] for r in wl["calls"] if r["agent"] == "202")
        good = {"scores": {"greeting": 4, "need": 5, "resolution": 5, "courtesy": 3}, "comment": "clear"}
        assert sue.json("POST", f"/api/calls/{cid}/scorecard", good, csrf=False)[0] == 403  # no CSRF token
        assert bob.json("POST", f"/api/calls/{cid}/scorecard", good)[0] == 403  # agents do not review
        status, sc = sue.json("POST", f"/api/calls/{cid}/scorecard", good)
        assert status == 201 and sc["percent"] == 98.0 and sc["agent"] == "202" and sc["reviewer"] == "sue"
        for body, code, words in (({"scores": {"greeting": 9}}, 400, "from 0 to 5"),
                                  ({"scores": {**good["scores"], "courtesy": 7}}, 400, "from 0 to 3"),
                                  (good, 404, "no call record")):
            path = f"/api/calls/{cid if code == 400 else '0000abcd-99'}/scorecard"
            status, err = sue.json("POST", path, body)
            assert status == code and words in err["error"], err
        assert sue.json("GET", "/api/quality?seed=x")[0] == 400
        assert bob.json("GET", "/api/quality")[0] == 403
        status, call = bob.json("GET", f"/api/calls/{cid}")  # the agent sees their scores with the call
        assert status == 200 and [s["percent"] for s in call["scorecards"]] == [98.0]
        assert [r["scorecards"][0]["percent"] for r in sue.json("GET", "/api/calls?agent=202")[1]["calls"]
                if r["scorecards"]] == [98.0]
        status, agents = bob.json("GET", "/api/quality/agents")
        assert status == 200 and [(a["agent"], a["average"], a["passed"]) for a in agents["agents"]] == [("202", 98.0, 1)]
        assert sue.json("GET", "/api/quality")[1]["done"] == 1


def test_serve_names_a_site_without_a_scorecard_or_a_bad_one(tmp_path):
    text = open(SITE).read()
    (tmp_path / "prompts").symlink_to(pathlib.Path(SITE).resolve().parent / "prompts")
    site = tmp_path / "site.yaml"
    site.write_text(text[:text.index("# The reviewers' scorecard")] + text[text.index("\nhours:"):])
    r = callgate("serve", "--port", "/dev/null", "--site", str(site), "--db", f"sqlite:///{tmp_path}/x.db", check=False)
    assert r.returncode == 2 and "no quality section" in r.stderr and "Traceback" not in r.stderr
    site.write_text(text.replace("weight: 3}", "weight: -3}"))
    line = text[:text.index("weight: 3}")].count("\n") + 1
    r = callgate("serve", "--port", "/dev/null", "--site", str(site), "--db", f"sqlite:///{tmp_path}/x.db", check=False)
    assert r.returncode == 2 and f"site.yaml:{line}: quality.criteria[1].weight: -3 is less than" in r.stderr
    assert not (tmp_path / "x.db").exists()  # refused before a store was made
