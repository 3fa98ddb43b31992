"""--json everywhere (issue 12): every command the parser knows, run as a user would with
--json (before the command for some, after it for others), prints JSON on standard output, and
a failing command prints {"error": ...} there with a non-zero exit. The commands come from the
parser itself: a new command without a case here fails test_every_command_has_a_case.

The board commands run against one `callgate sim` started for this module, in an order that
builds on itself: provision a site, place a call, pull its record, report on it, and last
bootstrap the board again through its REPL."""

import json
import os
import subprocess
import time

import pytest

from callgate.cli import build_parser, commands

from clitools import CALLGATE, ROOT, callgate
from minisite import make_site


def runnable():
    """The command paths that run something (their parser has a func)."""
    return [words for words, p in commands(build_parser()) if "func" in p._defaults]


def parse(stdout: str):
    """One JSON document, or JSON lines (the streaming commands); never empty."""
    assert stdout.strip(), "nothing on standard output"
    try:
        return json.loads(stdout)
    except json.JSONDecodeError:
        return [json.loads(line) for line in stdout.splitlines() if line.strip()]


class World:
    def __init__(self, sim, tmp):
        self.sim, self.tmp, self.n = sim, tmp, 0

    def json(self, *argv, words, code=0, port=True, **kw):
        """callgate [--port P] ... with --json: after the command the first time in a case (where
        only the global option had worked), before it after that; the parsed standard output."""
        argv = [str(a) for a in argv]
        k = len(words)
        self.n += 1
        if self.n > 1:
            argv = ["--json"] + argv
        else:
            argv = argv[:k] + ["--json"] + argv[k:]
        if port:
            argv = ["--port", self.sim.port] + argv
        r = callgate(*argv, env=self.sim.env, **kw)
        assert r.returncode == code, (argv, r.stdout, r.stderr)
        assert "Traceback" not in r.stderr, r.stderr
        return parse(r.stdout)


@pytest.fixture(scope="module")
def world(sim, tmp_path_factory):
    return World(sim, tmp_path_factory.mktemp("json"))


def _sim(w, words):
    info = json.loads(w.sim.first_line)  # `callgate sim --board virtual-4 --clock 8 --json`
    assert info["board"] == "virtual-4" and info["data"].startswith("/dev/") and info["control"]
    reply = json.loads(w.sim.command("ports"))
    assert reply["command"] == "ports" and reply["reply"].startswith("0 fxo")


def _status(w, words):
    st = w.json("status", words=words)
    assert st["board"] == "virtual-4" and len(st["ports"]) == 4


def _campaign_check(w, words):
    r = w.json("campaign", "check", ROOT / "campaigns" / "autumn-survey.yaml", words=words, port=False)
    assert r["ok"] is True and r["contacts"] == 4 and r["do_not_call"] == 1
    bad = w.tmp / "bad-campaign.yaml"
    bad.write_text("campaign: x\n")
    r = w.json("campaign", "check", bad, words=words, port=False, code=2)
    assert r["ok"] is False and r["problems"][0]["field"] in ("kind", "contacts")


def _campaign_file(w):
    folder = w.tmp / "campaign"
    folder.mkdir(exist_ok=True)
    (folder / "c.csv").write_text("number\n5550100\n")
    f = folder / "note.yaml"
    f.write_text("campaign: note\nkind: notification\ncontacts: c.csv\nnotification: {prompt: welcome}\n")
    return f


def _campaign(w, words):
    """load, start, pause, stop, status: each says the campaign's status (the mini site's
    trunks may not call out: it dials nobody); results writes its CSV."""
    if words == ("campaign", "results"):
        out = w.tmp / "results.csv"
        r = w.json("campaign", "results", "note", "-o", out, words=words)
        assert r["contacts"] == 1 and out.read_text().splitlines()[1].startswith("0,5550100,")
        return
    args = [_campaign_file(w)] if words == ("campaign", "load") else ["note"]
    st = w.json(*words, *args, words=words)
    assert st["name"] == "note" and st["contacts"] == 1 and st["run"] in ("stopped", "running", "paused")
    r = w.json(*words, "nosuch" if words != ("campaign", "load") else w.tmp / "none.yaml", words=words, code=2)
    assert r["error"]


def _site_check(w, words):
    w.site = make_site(w.tmp / "site")
    assert w.json("site", "check", w.site, words=words, port=False)["ok"] is True
    bad = w.tmp / "bad.yaml"
    bad.write_text("site: x\n")
    r = w.json("site", "check", bad, words=words, port=False, code=2)
    assert r["ok"] is False and r["problems"] and r["error"]


def _site_build(w, words):
    r = w.json("site", "build", w.site, w.tmp / "built", words=words, port=False)
    assert r["ok"] is True and r["prompts"] == 2


def _provision(w, words):
    r = w.json("provision", w.site, words=words)
    assert r["site"] == "mini" and r["reload"]["applied"] is True


def _config_pull(w, words):
    r = w.json("config", "pull", words=words)
    assert r["site"] == "mini" and "site: mini" in r["yaml"]
    r = w.json("config", "pull", "-o", w.tmp / "site.yaml", words=words)
    assert r["output"] == str(w.tmp / "site.yaml") and "site: mini" in (w.tmp / "site.yaml").read_text()


def _sim_agent(w, words):
    r = w.json("sim", "agent", "--port", "2", "--answer-ms", "500", words=words, port=False)
    assert r["port"] == 2 and r["auto"]["answer_ms"] == 500


def _sim_number(w, words):
    r = w.json("sim", "number", "5550100", "--answers", "busy", words=words, port=False)
    assert r == {"t": "done", "number": "5550100", "answers": "busy"}


def _sim_trunk(w, words):
    r = w.json("sim", "trunk", "1", "--dial-tone", "on", words=words, port=False)
    assert r["port"] == 1 and r["dial_tone"] is True and r["plan"] == "US"


def _dial(w, words):
    r = w.json("dial", "5550100", words=words, code=1, timeout=120)  # busy: not answered, exit 1
    assert r["outcome"] == "busy" and r["number"] == "5550100" and r["decide_ms"] > 0
    r = w.json("dial", "5550100", "--trunk", "9", words=words, code=2)
    assert "no trunk 9" in r["error"]


def _sim_call(w, words):
    lines = w.json("sim", "call", "--digits", "1", "--talk-ms", "1000", "--max-call-ms", "30000", words=words,
                   port=False, timeout=60)
    assert lines[-1]["t"] == "done" and lines[-1]["answered"] is True and lines[-1]["agent"] == 2


def _sim_phone(w, words):
    assert w.json("sim", "phone", "3", "off", words=words, port=False)["action"] == "off"
    assert w.json("sim", "phone", "3", "on", words=words, port=False)["action"] == "on"


def _monitor(w, words):
    argv = ["--port", w.sim.port, "monitor", "--json", "--count", "2", "--seconds", "20"]
    with subprocess.Popen(CALLGATE + argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          env=w.sim.env, cwd=ROOT) as mon:
        mon.stderr.readline()  # "monitoring ...": from now on no event is missed
        time.sleep(0.2)
        w.json("sim", "phone", "3", "off", words=("sim", "phone"), port=False)
        out, err = mon.communicate(timeout=30)
    w.json("sim", "phone", "3", "on", words=("sim", "phone"), port=False)
    assert mon.returncode == 0, err
    events = parse(out)  # the hook, and the agent's state it changes (in either order)
    assert isinstance(events, list) and len(events) == 2, out
    assert {"event": "hook", "port": 3} in [{"event": e["event"], "port": e.get("port")} for e in events], out


def _cdr_pull(w, words):
    records = w.json("cdr", "pull", words=words)
    assert isinstance(records, list) and records and records[-1]["agent"] == "201"
    r = w.json("cdr", "pull", "-o", w.tmp / "calls.json", words=words)
    assert r["records"] == len(records) and r["format"] == "json"


def _recordings_pull(w, words):
    r = w.json("recordings", "pull", w.tmp / "recs", words=words)
    assert r["failed"] == [] and r["entries"] == len(r["pulled"]) + len(r["have"])


def _recordings_sample(w, words):
    s = w.json("recordings", "sample", w.tmp / "calls.json", "--per-agent", "1", "--seed", "7", words=words, port=False)
    assert s["drawn"]["seed"] == 7
    r = w.json("recordings", "sample", w.tmp / "calls.json", "--per-agent", "1", "--seed", "7", "-o",
               w.tmp / "sample.json", words=words, port=False)
    assert r["output"] == str(w.tmp / "sample.json") and json.loads((w.tmp / "sample.json").read_text()) == s


def _agents(w, words):
    r = w.json("agents", words=words)
    assert {a["ext"] for a in r["agents"]} == {"201", "202"} and all("in_state_s" in a for a in r["agents"])


def _agent(w, words):
    do = words[1]
    if do == "pause":
        assert w.json("agent", "pause", "202", "lunch", words=words)["state"] in ("paused", "wrapup", "talking")
        err = w.json("agent", "pause", "202", "nap", words=words, code=2)
        assert "no pause reason 'nap'" in err["error"], err
    else:
        assert w.json("agent", do, "202", words=words)["ext"] == "202"


def _agent_log_pull(w, words):
    intervals = w.json("agent-log", "pull", words=words)
    assert intervals and {"agent", "state", "start", "end", "next"} <= set(intervals[0])
    out = w.tmp / "agents.json"
    r = w.json("agent-log", "pull", "-o", out, words=words)
    assert r["output"] == str(out) and r["intervals"] == len(json.loads(out.read_text()))


def _report(w, words):
    r = w.json("report", w.tmp / "calls.json", "--agents", "1", words=words, port=False)
    assert r["calls"] >= 1 and r["answered"] >= 1


def _dsp(w, words):
    t = w.tmp
    cmd = words[1]
    if cmd == "gen-dtmf":
        assert w.json("dsp", "gen-dtmf", "42#", t / "d.wav", words=words, port=False)["digits"] == "42#"
    elif cmd == "tone":
        assert w.json("dsp", "tone", "US", "busy", t / "busy.wav", "--seconds", "3", words=words,
                      port=False)["tone"] == "busy"
    elif cmd == "convert":
        assert w.json("dsp", "convert", t / "d.wav", t / "a.wav", "--to", "alaw", words=words,
                      port=False)["to"]["encoding"] == "alaw"
    elif cmd == "gen-cid":
        assert w.json("dsp", "gen-cid", t / "cid.wav", "--number", "5551234", words=words,
                      port=False)["message"]["number"] == "5551234"
    elif cmd == "cid":
        assert w.json("dsp", "cid", t / "cid.wav", words=words, port=False)["events"][0]["number"] == "5551234"
    elif cmd == "dtmf":
        assert w.json("dsp", "dtmf", t / "a.wav", words=words, port=False)["digits"] == "42#"
    elif cmd == "cpa":
        assert w.json("dsp", "cpa", t / "busy.wav", "--plan", "US", words=words, port=False)["result"] == "busy"
    else:
        raise AssertionError(f"no case for dsp {cmd}")


def _rig_check(w, words):
    r = w.json("rig", "check", "plans/short.yaml", words=words, port=False)
    assert r["plan"] == "short" and r["cases"][0]["id"]


def _rig_run(w, words):
    plan = w.tmp / "plan.yaml"
    plan.write_text("plan: p\ncases:\n  - name: nominal\n    kind: dtmf\n    digits: '7#'\n")
    r = w.json("rig", "run", plan, "--out", w.tmp / "rig", words=words, timeout=180)
    assert r["passed"] == 1 and r["failed"] == 0


def _deploy(w, words):
    r = w.json("deploy", "--dry-run", words=words)
    assert r["board"] == "virtual-4" and r["dry_run"] is True


def _bootstrap(w, words):
    r = w.json("bootstrap", "--board", "virtual-4", "--repl", w.sim.info["repl"], words=words)
    assert r["state"] == "running"


def _users(w, words):
    db = f"sqlite:///{w.tmp / 'ops.db'}"
    if words[1] == "add":
        r = w.json("users", "add", "sue", "--role", "supervisor", "--db", db, words=words, port=False,
                   input="a long enough password\n")
        assert (r["name"], r["role"]) == ("sue", "supervisor")
    else:
        assert [u["name"] for u in w.json("users", "list", "--db", db, words=words, port=False)] == ["sue"]


def _customers_import(w, words):
    db = f"sqlite:///{w.tmp / 'ops.db'}"
    good = w.tmp / "customers.csv"
    good.write_text("number,name,company\n5551234,Ann Lee,Acme\n")
    assert w.json("customers", "import", good, "--db", db, words=words, port=False)["created"] == 1
    bad = w.tmp / "bad-customers.csv"
    bad.write_text("number,name\nnot a number,Bob\n")
    err = w.json("customers", "import", bad, "--db", db, words=words, port=False, code=2)
    assert "nothing imported" in err["error"] and err["problems"], err


def _serve(w, words):
    import socket

    with socket.socket() as s:  # a free port for the web app
        s.bind(("127.0.0.1", 0))
        free = s.getsockname()[1]
    argv = ["--port", w.sim.port, "serve", "--json", "--db", f"sqlite:///{w.tmp / 'ops.db'}",
            "--listen", f"127.0.0.1:{free}"]
    with subprocess.Popen(CALLGATE + argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                          env=w.sim.env, cwd=ROOT) as srv:
        try:
            started = json.loads(srv.stdout.readline())
        finally:
            srv.terminate()
            srv.wait(timeout=30)
    assert started["url"] == f"http://127.0.0.1:{free}/" and started["boards"] == [w.sim.port], started


# In the order they run: each may use what an earlier one made.
CASES = {
    ("sim",): _sim,
    ("status",): _status,
    ("sim", "number"): _sim_number,
    ("sim", "trunk"): _sim_trunk,
    ("dial",): _dial,  # before the site: the mini site lets no trunk call out
    ("site", "check"): _site_check,
    ("campaign", "check"): _campaign_check,
    ("site", "build"): _site_build,
    ("provision",): _provision,
    ("config", "pull"): _config_pull,
    ("sim", "agent"): _sim_agent,
    ("sim", "call"): _sim_call,
    ("sim", "phone"): _sim_phone,
    ("monitor",): _monitor,
    ("cdr", "pull"): _cdr_pull,
    ("recordings", "pull"): _recordings_pull,
    ("recordings", "sample"): _recordings_sample,
    ("agents",): _agents,
    ("agent", "logout"): _agent,
    ("agent", "login"): _agent,
    ("agent", "pause"): _agent,
    ("agent", "ready"): _agent,
    ("agent-log", "pull"): _agent_log_pull,
    ("campaign", "load"): _campaign,
    ("campaign", "start"): _campaign,
    ("campaign", "pause"): _campaign,
    ("campaign", "stop"): _campaign,
    ("campaign", "status"): _campaign,
    ("campaign", "results"): _campaign,
    ("report",): _report,
    ("dsp", "gen-dtmf"): _dsp,
    ("dsp", "tone"): _dsp,
    ("dsp", "convert"): _dsp,
    ("dsp", "gen-cid"): _dsp,
    ("dsp", "cid"): _dsp,
    ("dsp", "dtmf"): _dsp,
    ("dsp", "cpa"): _dsp,
    ("rig", "check"): _rig_check,
    ("rig", "run"): _rig_run,
    ("deploy",): _deploy,
    ("bootstrap",): _bootstrap,
    ("users", "add"): _users,
    ("users", "list"): _users,
    ("customers", "import"): _customers_import,
    ("serve",): _serve,
}


def test_every_command_has_a_case():
    assert sorted(runnable()) == sorted(CASES), "add a case for the new command to CASES"


@pytest.mark.parametrize("words", list(CASES), ids=" ".join)
def test_json(world, words):
    world.n = 0
    CASES[words](world, words)


@pytest.mark.parametrize("argv", [
    ["--json", "status"],                                 # no board
    ["status", "--json"],
    ["--json", "dsp", "dtmf", "missing.wav"],             # no file
    ["dsp", "gen-dtmf", "1", "x.wav", "--on-ms", "0", "--json"],   # a bad value
    ["--json", "dsp"],                                    # no command
    ["--json", "report", str(ROOT / "README.md")],         # not call records
])
def test_errors_are_json_too(argv, tmp_path):
    r = subprocess.run(CALLGATE + argv, capture_output=True, text=True, cwd=tmp_path, timeout=60,
                       env={k: v for k, v in os.environ.items() if k != "CALLGATE_PORT"})
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
    err = json.loads(r.stdout)
    assert list(err) == ["error"] and err["error"] and "\n" not in err["error"]
