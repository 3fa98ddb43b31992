"""An agent-connected campaign end to end on the virtual board (docs/outbound.md, Campaigns):
`callgate campaign load|start|status` put campaigns/renewals.yaml's kind of campaign on the demo
site (sales agents, a trunk that may call out); the board rings a ready agent first, dials the
next contact once the agent's phone answers, and the exchange answers as `sim number` says. The
callee's side measures what the rule is about: a person hears the agent within 2 s of the end
of their greeting; a machine hears the identification; no person is abandoned."""


import pytest

from callgate.callcenter import cdr as cdr_mod
from callgate.link.client import connect
from callgate.link.files import RemoteFiles
from callgate.sim.control import Control

from boardkit import demo_site_copy, running_demo_board, wait
from test_campaign_on_sim import status
from test_outbound import callgate

pytestmark = pytest.mark.slow
CLOCK = 10.0
ALICE, BOB, CAROL = 5, 6, 7
NUMBERS = {"5550201": "person", "5550202": "machine", "5550203": "person", "5550204": "busy"}


@pytest.fixture(scope="module")
def board(tmp_path_factory):
    path = demo_site_copy(tmp_path_factory.mktemp("site"), lambda text: text.replace(
        "    answer_rings: 2\n", "    answer_rings: 2\n    outbound: {allow: true}\n", 1))
    with running_demo_board(clock=CLOCK, site=path) as vb:
        with Control(vb.control_path) as ctl:
            ctl.trunk(0, plan="CN")
            for number, answers in NUMBERS.items():
                ctl.number(number, answers)
        net = vb.model.network
        for port in (ALICE, CAROL):
            net.phone(port).auto(answer_ms=1500, talk_ms=5000)
        yield vb


def campaign_file(tmp_path):
    (tmp_path / "contacts.csv").write_text("number,name\n" + "".join(f"{n},C{n}\n" for n in NUMBERS))
    f = tmp_path / "renew.yaml"
    f.write_text("campaign: renew\nkind: agent-connected\ncontacts: contacts.csv\nwindow: '00:00-24:00'\n"
                 "lines: 1\nretry: {busy: {after_s: 10, attempts: 2}}\n"
                 "agent_connected: {queue: sales, id_prompt: campaign_id}\n")
    return f


def test_persons_hear_an_agent_within_2_s_and_machines_the_identification(board, tmp_path):
    f = campaign_file(tmp_path)
    callgate("--port", board.data_port, "campaign", "load", f, "--site", "sites/demo/site.yaml", check_code=0)
    callgate("--port", board.data_port, "campaign", "start", "renew", check_code=0)

    def over():
        st = status(board, "renew")
        return st if st["pending"] + st["dialing"] + st["retry"] == 0 else None

    st = wait(over, "the campaign's contacts all done or failed", timeout=300, step=1)
    assert st["outcomes"] == {"person": 2, "machine": 1, "busy": 1}, st
    assert (st["persons"], st["abandoned"], st["run"]) == (2, 0, "running"), st
    text = callgate("--port", board.data_port, "campaign", "status", "renew", check_code=0).stdout
    assert "0 abandoned of 2 persons answered (0.0 %)" in text, text

    with Control(board.control_path) as ctl:
        calls = wait(lambda: [d for d in ctl.dialled() if d["digits"] in NUMBERS] if len(
            [d for d in ctl.dialled() if d["digits"] in NUMBERS]) >= st["attempts"] else None,
            "the exchange's list of the campaign's calls", timeout=20)
    for d in calls:
        heard = [p for p in d["progress"] if p["what"] == "heard"]
        if d["answers"] == "person":
            assert heard and 0 <= heard[0]["after_greeting_ms"] <= 2000, d["progress"]
        elif d["answers"] == "machine":
            assert heard, d["progress"]  # the identification prompt
    assert sum(board.model.network.phone(p).calls for p in (ALICE, CAROL)) >= 2  # bridged to agents

    with connect(board.data_port, timeout=1.0) as c:
        records, _ = cdr_mod.fetch(RemoteFiles(c))
    mine = [r for r in records if r.get("campaign") == "renew"]
    assert len(mine) == st["attempts"]
    assert all(r["agent"] in ("201", "203") for r in mine)  # an agent was on the line for each dial
    persons = [r for r in mine if r["outcome"] == "person"]
    assert len(persons) == 2 and all(r.get("connected") and not r.get("abandoned") for r in persons)
