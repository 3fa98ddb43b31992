"""Campaign files (host/callgate/campaign): checked with FILE:LINE problems, compiled into the
files the board plans from, and read back by the board's own logic (campaigns.py)."""

import json
import pathlib
import subprocess
import sys

import pytest
from hypothesis import given, settings, strategies as st

from callgate.campaign import CampaignError, load_campaign
from callgate.campaign.board import files
from callgate.firmware import campaigns
from callgate.site import load_site

ROOT = pathlib.Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "campaigns" / "autumn-survey.yaml"
MONDAY_10_UTC = 1795428000000


@pytest.fixture(scope="module")
def demo_site():
    return load_site(ROOT / "sites" / "demo" / "site.yaml")


def _write(tmp_path, yaml_text, contacts="number,name\n5550001,Ann\n", dnc=None):
    (tmp_path / "c.csv").write_text(contacts)
    if dnc is not None:
        (tmp_path / "dnc.txt").write_text(dnc)
    f = tmp_path / "cp.yaml"
    f.write_text(yaml_text)
    return f


def test_the_example_campaign_is_valid_against_the_demo_site(demo_site):
    c = load_campaign(EXAMPLE, demo_site)
    assert (c.name, c.kind) == ("autumn-survey", "survey")
    assert [x.number for x in c.contacts] == ["5550101", "5550102", "5550103", "5550104"]
    assert [x.offset_min for x in c.contacts] == [480, 480, 540, -300]  # the file's default, then their own
    assert [x.number for x in c.skipped] == ["5550105"] and c.contacts[0].extra == {"account": "A-1001"}


def test_the_board_plans_the_example_from_the_files_load_writes(demo_site, tmp_path):
    out = files(load_campaign(EXAMPLE, demo_site))
    assert sorted(out) == ["cp/autumn-survey.contacts", "cp/autumn-survey.dnc", "cp/autumn-survey.json"]
    for name, data in out.items():
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_bytes(data)
    cfg = json.loads(out["cp/autumn-survey.json"])
    assert cfg["window"] == [480, 1260] and cfg["days"] == [0, 1, 2, 3, 4, 5] and cfg["lines"] == 2
    assert cfg["retry"]["busy"] == [600000, 3] and cfg["retry"]["cut"] == [60000, 3]  # a default kept
    assert cfg["survey"]["questions"] == [{"id": "satisfaction", "prompt": "survey_q1", "min": 1, "max": 5}]
    cp = campaigns.Campaign(cfg, str(tmp_path / "cp"))
    cp.set_run(campaigns.R_RUNNING, MONDAY_10_UTC)
    # monday 10:00 UTC: 18:00 in +08:00, 19:00 in +09:00, 05:00 in -05:00 (asleep)
    assert cp.contact(3) == ("5550104", -300) and cp.on_dnc("5550105")
    seen = []
    while (c := cp.next_due(MONDAY_10_UTC)) is not None:
        seen.append(cp.dialing(c, MONDAY_10_UTC))
        cp.ended(c, "person", MONDAY_10_UTC)
    assert seen == ["5550101", "5550102", "5550103"]


def test_every_problem_is_named_with_its_file_and_line(tmp_path, demo_site):
    f = _write(tmp_path, "campaign: bad\nkind: notification\ncontacts: c.csv\ndo_not_call: [dnc.txt]\n"
                         "window: '21:00-08:00'\nnotification: {prompt: nosuch}\n"
                         "survey: {questions: [{id: q, prompt: survey_q1}]}\n",
               contacts="number,name\n5550001,A\n+15550002,B\n5550001,C\n", dnc="# none\nfoo\n")
    with pytest.raises(CampaignError) as e:
        load_campaign(f, demo_site)
    got = [(pathlib.Path(p[0]).name, p[1], p[2]) for p in e.value.problems]
    assert got == [("c.csv", 3, ""), ("c.csv", 4, ""), ("cp.yaml", 5, "window"),
                   ("cp.yaml", 6, "notification.prompt"), ("cp.yaml", 7, "survey"), ("dnc.txt", 2, "")]
    assert "would be called twice" in str(e.value) and "international prefix" in str(e.value)


def test_a_missing_section_and_missing_files_are_problems(tmp_path):
    f = tmp_path / "cp.yaml"
    f.write_text("campaign: x\nkind: agent-connected\ncontacts: none.csv\ndo_not_call: [gone.txt]\n")
    with pytest.raises(CampaignError) as e:
        load_campaign(f)
    msgs = [(p[1], p[2], p[3]) for p in e.value.problems]
    assert (2, "agent_connected", "missing: kind agent-connected needs it (what its calls do)") in msgs
    assert any(m[1] == "contacts" and "No such file" in m[2] for m in msgs)
    assert any(m[1] == "do_not_call[0]" and "No such file" in m[2] for m in msgs)


def test_the_cli_checks_and_exits_2_on_problems(tmp_path):
    def run(*args):
        return subprocess.run([sys.executable, "-m", "callgate", *args], capture_output=True, text=True, timeout=60)

    r = run("campaign", "check", str(EXAMPLE), "--site", str(ROOT / "sites/demo/site.yaml"))
    assert r.returncode == 0 and "4 contacts to call, 1 on a do-not-call list" in r.stdout, r.stderr
    bad = _write(tmp_path, "campaign: x\nkind: survey\ncontacts: c.csv\nsurvey: {questions: []}\n")
    r = run("--json", "campaign", "check", str(bad))
    out = json.loads(r.stdout)
    assert r.returncode == 2 and not out["ok"] and out["problems"][0]["line"] == 4


phone = st.text("0123456789", min_size=3, max_size=12)
noise = st.sampled_from(["", " ", "-", ".", "(", ")"])


@settings(max_examples=60, deadline=None)
@given(numbers=st.lists(phone, min_size=1, max_size=20, unique=True), seps=st.lists(noise, min_size=20, max_size=20),
       dnc_pick=st.lists(st.booleans(), min_size=20, max_size=20))
def test_contacts_read_back_as_dialled_and_no_do_not_call_number_reaches_the_board(tmp_path_factory, numbers, seps,
                                                                                 dnc_pick):
    tmp = tmp_path_factory.mktemp("cp")
    written = [n[:2] + seps[i] + n[2:] for i, n in enumerate(numbers)]
    dnc = [n for i, n in enumerate(numbers) if dnc_pick[i]]
    f = _write(tmp, "campaign: p\nkind: notification\ncontacts: c.csv\ndo_not_call: [dnc.txt]\n"
                    "notification: {prompt: notice}\n",
               contacts="number\n" + "".join(f'"{w}"\n' for w in written), dnc="\n".join(dnc) + "\n")
    c = load_campaign(f)
    assert [x.number for x in c.contacts] == [n for n in numbers if n not in dnc]
    assert [x.number for x in c.skipped] == [n for n in numbers if n in dnc]
    board_dnc = files(c)["cp/p.dnc"].split(b"\n")[:-1]
    assert sorted(x.decode().strip() for x in board_dnc) == sorted(dnc)


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=300))
def test_any_text_as_a_campaign_file_is_a_campaign_error_or_a_campaign(tmp_path_factory, text):
    f = tmp_path_factory.mktemp("fz") / "cp.yaml"
    f.write_text(text, encoding="utf-8")
    try:
        load_campaign(f)
    except CampaignError as e:
        assert e.problems and all(isinstance(p[1], int) for p in e.problems)
