"""Bad values (issue 12): every command, given a bad value, says so in one line that names the
value, exits non-zero and prints no traceback; a reader that goes away (`callgate ... | head`)
ends the command quietly."""

import select
import subprocess

import pytest

from callgate.cli import build_parser, commands

from clitools import CALLGATE, ROOT, run


def runnable():
    return {words: p for words, p in commands(build_parser()) if "func" in p._defaults}


def test_no_option_takes_a_bare_int_or_float():
    """int and float take any size: a port of 99999, a probability of 2. Every number goes
    through a validator of callgate.cli.validate (or one of the command's own) that knows
    the range and names the value."""
    bare = [(" ".join(words), a.option_strings or a.dest) for words, p in runnable().items()
            for a in p._actions if a.type in (int, float)]
    assert bare == []


BOGUS = "bogus\t"  # neither a number, nor a date, nor a name (not printable)


@pytest.mark.parametrize("words", sorted(runnable()), ids=" ".join)
def test_every_checked_option_names_a_value_it_refuses(words, capsys):
    """Text where a number (or a date, a calling number...) belongs, for every option with a
    type check, found in the parser."""
    checked = [a for a in runnable()[words]._actions if a.type is not None and a.type is not str]
    for a in checked:
        where = [a.option_strings[0], BOGUS] if a.option_strings else [BOGUS]
        code, out, err = run(capsys, *words, *where)
        assert code == 2 and out == "", (a.dest, err)
        assert err.count("\n") == 1 and err.startswith("callgate: error: "), err
        assert repr(BOGUS) in err and (not a.option_strings or a.option_strings[0] in err), err


def here(name: str) -> str:
    return str(ROOT / name)


# Every command with a value out of its range: (argv, what the one line must name).
BAD = {
    ("sim",): [(["sim", "--tcp", "99999"], "--tcp: 99999 is not a TCP port (1..65535)"),
               (["sim", "--noise", "2"], "--noise: 2 is not a probability (0..1)"),
               (["sim", "--fault-rate", "-0.1"], "--fault-rate: -0.1 is not a probability"),
               (["sim", "--clock", "0"], "--clock: 0 must be more than 0"),
               (["sim", "--epoch", "yesterday"], "--epoch: not an ISO 8601 date and time: 'yesterday'")],
    ("sim", "call"): [(["sim", "call", "--port-index", "-1"], "--port-index: -1 must be at least 0"),
                      (["sim", "call", "--patience-ms", "-5"], "--patience-ms: patience_ms must be a number of ms >= 0 or None, not -5")],
    ("sim", "phone"): [(["sim", "phone", "-2", "off"], "-2 must be at least 0"),
                       (["sim", "phone", "2", "off", "--sim", "/nonexistent"], "/nonexistent: No such file"),
                       (["sim", "phone", "2", "up"], "invalid choice: 'up'")],
    ("sim", "agent"): [(["sim", "agent", "--port", "2", "--answer-ms", "-1"], "--answer-ms: -1 must be at least 0"),
                       (["sim", "agent", "--port", "2", "--talk-ms", "9-x"], "--talk-ms: not MS or MS-MS: '9-x'")],
    ("sim", "number"): [(["sim", "number", "555x", "--answers", "busy"], "bad number '555x'"),
                        (["sim", "number", "555", "--answers", "maybe"], "--answers must be one of"),
                        (["sim", "number", "555", "--answers", "wav:no-such.wav"], "no-such.wav"),
                        (["sim", "number", "555", "--answers", "busy", "--rings", "-1"], "--rings: -1 must be at least 0")],
    ("sim", "trunk"): [(["sim", "trunk", "0", "--dial-tone", "maybe"], "--dial-tone: invalid choice: 'maybe'"),
                       (["sim", "trunk", "0", "--plan", "XX"], "--plan: invalid choice: 'XX'")],
    ("dial",): [(["--port", "/dev/null", "dial", "555-1234"], "number '555-1234': '-' is not a digit"),
                (["--port", "/dev/null", "dial", "5551234", "--trunk", "a b"], "'a b' is neither a port number nor"),
                (["--port", "/dev/null", "dial", "5551234", "--play", "../x"], "'../x' is not a prompt name")],
    ("status",): [(["--port", "/dev/null", "status", "--timeout", "0"], "--timeout: 0 must be more than 0 s")],
    ("monitor",): [(["--port", "/dev/null", "monitor", "--count", "0"], "--count: 0 must be at least 1"),
                   (["--port", "/dev/null", "monitor", "--seconds", "-1"], "--seconds: -1 must be more than 0")],
    ("site", "check"): [(["site", "check", "no-such-site.yaml"], "no-such-site.yaml")],
    ("campaign", "load"): [(["--port", "/dev/null", "campaign", "load", "no-such-campaign.yaml"], "no-such-campaign.yaml")],
    ("campaign", "start"): [(["--port", "/dev/null", "campaign", "start", "Bad Name"], "'Bad Name' is not a campaign name")],
    ("campaign", "pause"): [(["--port", "/dev/null", "campaign", "pause", "../x"], "'../x' is not a campaign name")],
    ("campaign", "stop"): [(["--port", "/dev/null", "campaign", "stop", ""], "'' is not a campaign name")],
    ("campaign", "status"): [(["--port", "/dev/null", "campaign", "status", "x y"], "'x y' is not a campaign name")],
    ("campaign", "results"): [(["--port", "/dev/null", "campaign", "results", "X", "-o", "r.csv"], "'X' is not a campaign name")],
    ("campaign", "check"): [(["campaign", "check", "no-such-campaign.yaml"], "no-such-campaign.yaml"),
                            (["campaign", "check", here("campaigns/autumn-survey.yaml"), "--site", "no-such-site.yaml"],
                             "no-such-site.yaml")],
    ("site", "build"): [(["site", "build", "no-such-site.yaml", "out"], "no-such-site.yaml")],
    ("rig", "check"): [(["rig", "check", "no-such-plan.yaml"], "no-such-plan.yaml")],
    ("rig", "run"): [(["rig", "run", here("plans/short.yaml"), "--out", "o", "--clock", "-8"], "--clock: -8 must be more")],
    ("provision",): [(["--port", "/dev/null", "provision", "no-such-site.yaml"], "no-such-site.yaml")],
    ("config", "pull"): [(["--port", "/dev/null", "config", "pull", "--timeout", "inf"], "--timeout: 'inf' is not a finite")],
    ("cdr", "pull"): [(["--port", "/dev/null", "cdr", "pull", "--format", "xml"], "--format: invalid choice: 'xml'")],
    ("agents",): [(["--port", "/dev/null", "agents", "--timeout", "0"], "--timeout: 0 must be more than 0 s")],
    ("agent", "login"): [(["--port", "/dev/null", "agent", "login", "2x1"], "EXT: '2x1' is not an extension")],
    ("agent", "logout"): [(["--port", "/dev/null", "agent", "logout", "1234567"], "'1234567' is not an extension")],
    ("agent", "ready"): [(["--port", "/dev/null", "agent", "ready", "201", "--timeout", "-1"], "--timeout: -1 must be more")],
    ("agent", "pause"): [(["--port", "/dev/null", "agent", "pause", "x", "lunch"], "EXT: 'x' is not an extension")],
    ("agent-log", "pull"): [(["--port", "/dev/null", "agent-log", "pull", "--format", "xml"], "--format: invalid choice: 'xml'")],
    ("recordings", "pull"): [(["--port", "/dev/null", "recordings", "pull", "--timeout", "-1"], "--timeout: -1 must be more")],
    ("recordings", "sample"): [(["recordings", "sample", "c.json", "--per-agent", "0", "--seed", "1"],
                                "--per-agent: 0 must be at least 1"),
                               (["recordings", "sample", here("README.md"), "--per-agent", "1", "--seed", "1"],
                                here("README.md") + ": not call records")],
    ("report",): [(["report", here("sites/demo/prompts/closed.wav")],
                   here("sites/demo/prompts/closed.wav") + ": not call records (not UTF-8 text: a binary file?)"),
                  (["report", here("tests/cli/conftest.py")], here("tests/cli/conftest.py") + ": not call records"),
                  (["report", "c.json", "--agents", "0"], "--agents: 0 must be at least 1"),
                  (["report", "c.json", "--target", "-1"], "--target: -1 must be at least 0 s")],
    ("deploy",): [(["--port", "/dev/null", "deploy", "--timeout", "nan"], "--timeout: 'nan' is not a finite number")],
    ("serve",): [(["--port", "/dev/null", "serve", "--listen", "127.0.0.1:99999"],
                  "--listen: '127.0.0.1:99999' is not HOST:PORT"),
                 (["--port", "/dev/null", "serve", "--sl-alarm", "1.5"], "--sl-alarm: 1.5 is not a probability"),
                 (["--port", "/dev/null", "serve", "--db", "mysql://x"], "mysql://x")],
    ("users", "add"): [(["users", "add", "sue", "--role", "boss"], "--role: invalid choice: 'boss'")],
    ("users", "list"): [(["users", "list", "--db", "mysql://x"], "mysql://x")],
    ("customers", "import"): [(["customers", "import", "no-such.csv", "--db", "sqlite:///x.db"], "no-such.csv")],
    ("bootstrap",): [(["--port", "/dev/null", "bootstrap", "--board", "virtual-4", "--timeout", "-3"],
                      "--timeout: -3 must be more than 0")],
    ("dsp", "gen-dtmf"): [(["dsp", "gen-dtmf", "1", "x.wav", "--level", "4"], "--level: 4 is out of range: -80..3 dBm0"),
                          (["dsp", "gen-dtmf", "1X", "x.wav"], "'X'")],
    ("dsp", "tone"): [(["dsp", "tone", "CN", "busy", "x.wav", "--seconds", "0"], "--seconds: 0 must be more than 0 s"),
                      (["dsp", "tone", "XX", "busy", "x.wav", "--seconds", "1"], "XX")],
    ("dsp", "convert"): [(["dsp", "convert", here("README.md"), "x.wav", "--to", "alaw"], here("README.md"))],
    ("dsp", "gen-cid"): [(["dsp", "gen-cid", "x.wav", "--level", "-81"], "--level: -81 is out of range: -80..3 dBm0"),
                         (["dsp", "gen-cid", "x.wav", "--number", "555-1234"], "--number: '555-1234' is not a calling"),
                         (["dsp", "gen-cid", "x.wav", "--date", "13011200"], "--date: '13011200' is not a date"),
                         (["dsp", "gen-cid", "x.wav", "--format", "sdmf", "--number", "1"], "--format sdmf needs --date")],
    ("dsp", "cid"): [(["dsp", "cid", "x.wav", "--min-level", "5"], "--min-level: 5 is out of range: -70..0 dBm0")],
    ("dsp", "dtmf"): [(["dsp", "dtmf", "x.wav", "--min-level", "-90"], "--min-level: -90 is out of range: -70..3")],
    ("dsp", "cpa"): [(["dsp", "cpa", "x.wav", "--no-answer", "5"], "--no-answer: 5 is out of range: 1000..600000 ms")],
}


def test_every_command_has_bad_values():
    assert sorted(BAD) == sorted(runnable()), "add the new command's bad values to BAD"


@pytest.mark.parametrize("argv,named", [case for cases in BAD.values() for case in cases],
                         ids=lambda x: " ".join(x) if isinstance(x, list) else "")
def test_a_bad_value_is_one_line_naming_it(argv, named, capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CALLGATE_PORT", raising=False)
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == "", err
    assert err.count("\n") == 1 and err.startswith("callgate: error: ") and "Traceback" not in err, err
    assert named in err, err
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_a_bad_value_in_a_real_process_has_no_traceback():
    r = subprocess.run(CALLGATE + ["sim", "--tcp", "99999"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr == ("callgate: error: sim: argument --tcp: 99999 is not a TCP port (1..65535) "
                        "(see callgate sim --help)\n")


@pytest.mark.parametrize("argv", [
    ["dsp", "gen-dtmf", "0123456789*#ABCD" * 20, "-"],     # a WAV file to standard output
    ["dsp", "dtmf", "{long}"],                               # text, one line per digit
    ["--json", "sim", "call", "--sim", "/nonexistent"],      # an error message, when the reader is gone
])
def test_a_reader_that_goes_away_ends_the_command_quietly(argv, tmp_path):
    """`callgate ... | head -c 10`: no "Broken pipe" message, no traceback; the exit status a
    tool killed by SIGPIPE has (141)."""
    if "{long}" in argv:
        long = tmp_path / "long.wav"
        assert subprocess.run(CALLGATE + ["dsp", "gen-dtmf", "0123456789" * 300, str(long)],
                              capture_output=True, timeout=60).returncode == 0
        argv = [str(long) if a == "{long}" else a for a in argv]
    p = subprocess.Popen(CALLGATE + argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if "--sim" in argv:
        p.stdout.close()  # gone before the first byte
    else:
        assert select.select([p.stdout], [], [], 60)[0]
        assert len(p.stdout.read(10)) == 10
        p.stdout.close()
    err = p.stderr.read().decode()
    assert p.wait(60) == 141, err
    assert err == "", err


def test_a_csv_that_is_not_call_records_is_refused_by_name(tmp_path, capsys):
    """It was read as 0 calls; now the file and what is wrong with it are named."""
    csv = tmp_path / "calls.csv"
    csv.write_text("a,b\n1,2\n")
    code, out, err = run(capsys, "report", csv)
    assert code == 2 and out == ""
    assert err == f"callgate: error: {csv}: not call records (its first line lacks the columns id and arrived)\n"
