"""The rig's own parts: plan validation (errors name file:line), the far end's signals against
the C detectors, the runner judging a case that must fail (its WAV kept, JUnit and HTML naming
expected and observed), and `callgate rig` on the command line."""

import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from callgate.dsp.callerid import decode_audio
from callgate.dsp.dtmf import detect_dtmf
from callgate.dsp.tones import generate_dtmf
from callgate.dsp.wav import read_wav
from callgate.rig import signals
from callgate.rig.plan import PlanError, load_plan

CALLGATE = [sys.executable, "-m", "callgate"]


def write(tmp_path, text, name="p.yaml"):
    p = tmp_path / name
    p.write_text(text)
    return p


@pytest.mark.parametrize("text, line, words", [
    ("plan: x\ncases:\n  - name: a\n    kind: dtmf\n    twist: 3\n", 5, "unknown parameter 'twist'"),
    ("plan: x\ncases:\n  - name: a\n    kind: fax\n", 4, "kind must be one of"),
    ("plan: x\ncases:\n  - name: a\n    kind: dtmf\n    digits: 12x\n", 5, "digits '12x': 'x' at position 2 is not a DTMF digit"),
    ("plan: x\ncases:\n  - name: a\n    kind: dtmf\n  - name: a\n    kind: dtmf\n", 5, "used twice"),
    ("plan: x\ncases:\n  - name: a\n    kind: dtmf\n    sweep: {snr_db: [1, two]}\n", 5, "snr_db must be a number"),
    ("plan: x\ncases:\n  - name: a\n    kind: dtmf\n    expect: maybe\n", 5, "expect must be"),
    ("plan: x\ncases:\n  - name: a\n    kind: flow\n    expect: {state: [x]}\n", 5, "unknown expectation 'state'"),
    ("plan: x\ncases:\n  - name: a\n    kind: cid\n    format: xdmf\n", 5, "format must be one of sdmf, mdmf"),
    ("plan: x\ncases: [\n", 3, "not valid YAML"),
    ("plan: x\n", 1, "`cases` must be a non-empty list"),
    ("plan: x\nsite: nowhere.yaml\ncases:\n  - name: a\n    kind: flow\n", 2, "'nowhere.yaml': no such file"),
    ("plan: x\nepoch: tomorrow\ncases:\n  - name: a\n    kind: flow\n", 2, "not an ISO 8601 date"),
    ("plan: x\ncases:\n  - name: a\n    kind: flow\n    agents: {5: {answer: 1}}\n", 5, "agents maps FXS port"),
    ("plan: x\ncases:\n  - name: a\n    kind: flow\n    survey: x\n", 5, "survey 'x': 'x' at position 0 is not a DTMF digit"),
    ("plan: x\ncases:\n  - name: a\n    kind: flow\n    number: 555-0000\n", 5, "number must be a caller ID number"),
    ("plan: x\ncases:\n  - name: a\n    kind: flow\n    patience_ms: -5\n", 5, "patience_ms must be a number of ms"),
    ("plan: x\ncases:\n  - name: a\n    kind: flow\n    expect: {cdr: yes}\n", 5, "expect.cdr must be a dict"),
    ("plan: x\ncases:\n  - name: a\n    kind: flow\n    supervisor: {port: 7, agent: 5, keys: \"*51201\"}\n", 5,
     "supervisor is {port: FXS port"),
    ("plan: x\ncases:\n  - name: a\n    kind: flow\n    supervisor: {port: 7, agent: 5, keys: [\"*5x\"]}\n", 5,
     "supervisor is"),
    ("plan: x\ncases:\n  - name: a\n    kind: flow\n    expect: {supervised: listen}\n", 5, "expect.supervised must be a list"),
])
def test_plan_errors_name_file_and_line(tmp_path, text, line, words):
    path = write(tmp_path, text)
    with pytest.raises(PlanError) as e:
        load_plan(path)
    assert str(e.value).startswith(f"{path}:{line}: "), str(e.value)
    assert words in str(e.value)


def test_plans_in_the_repo_load_and_sweeps_expand():
    short = load_plan("plans/short.yaml")
    assert [c.kind for c in short.cases] == ["dtmf"] * 4 + ["cid", "flow"]
    full = load_plan("plans/full.yaml")
    freq = {c.value: c.expect for c in full.cases if c.group == "dtmf-frequency"}
    assert freq[0.0] == freq[-1.5] == freq[1.5] == "detect"
    assert freq[3.5] == freq[-5.0] == "reject" and freq[2.5] == "any"
    assert "dtmf-frequency[freq_offset_pct=-1.5]" in [c.id for c in full.cases]


def test_signals_are_what_the_c_core_makes_and_detects():
    # calibrated like the C generator: the same peak at the same level
    assert abs(int(abs(signals.dtmf("5", lead_ms=0)).max()) - int(abs(generate_dtmf("5")).max())) <= 2
    got = lambda **kw: "".join(e.digit for e in detect_dtmf(signals.dtmf("159D480#", **kw)))  # noqa: E731
    assert got() == got(freq_offset_pct=-1.5) == got(twist_db=-8) == got(snr_db=15) == "159D480#"
    assert got(freq_offset_pct=5) == "" and got(on_ms=15) == ""
    msgs = [e.message for e in decode_audio(signals.caller_id("mdmf", "5551234", "ALICE")) if e.ok]
    assert [(m.number, m.name) for m in msgs] == [("5551234", "ALICE")]


def test_cli_run_writes_junit_html_plots_and_failing_wav(tmp_path):
    plan = write(tmp_path, """plan: t
description: a sweep with a case that must fail, a skipped case, a flow
cases:
  - name: dtmf-freq
    kind: dtmf
    digits: "15#"
    sweep: {freq_offset_pct: [0, 5]}
    expect: detect
  - name: cid-reversal
    kind: cid
    start: reversal
  - name: flow
    kind: flow
    digits: "3#"
    expect: {report: "3#", ended_by: board, reason: done}
""")
    out = tmp_path / "out"
    r = subprocess.run(CALLGATE + ["rig", "run", str(plan), "--out", str(out)], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 1, r.stderr
    assert "[1/4] dtmf-freq[freq_offset_pct=0]" in r.stderr and "FAIL" in r.stderr  # progress lines
    assert "2 passed, 1 failed, 1 skipped" in r.stdout
    suite = ET.parse(out / "junit.xml").getroot()
    assert suite.get("tests") == "4" and suite.get("failures") == "1" and suite.get("skipped") == "1"
    cases = {tc.get("name"): tc for tc in suite.iter("testcase")}
    fail = cases["dtmf-freq[freq_offset_pct=5]"].find("failure")
    assert "expected digits '15#'" in fail.get("message") and "observed digits ''" in fail.get("message")
    assert cases["cid-reversal"].find("skipped") is not None
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert props["board"] == "virtual-4"
    wav = out / "audio" / "dtmf-freq_freq_offset_pct=5.wav"
    assert read_wav(wav).sample_rate == 8000
    page = (out / "report.html").read_text()
    assert "audio/dtmf-freq_freq_offset_pct=5.wav" in page and "observed: digits" in page
    assert "plots/dtmf-freq.png" in page and "plots/flow-timings.png" in page
    for png in ("plots/dtmf-freq.png", "plots/flow-timings.png"):
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_cli_plan_error_is_one_line(tmp_path):
    plan = write(tmp_path, "plan: x\ncases:\n  - name: a\n    kind: dtmf\n    level: -10\n")
    r = subprocess.run(CALLGATE + ["rig", "check", str(plan)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and f"{plan}:5:" in r.stderr


def test_cli_port_without_far_end_is_one_line(tmp_path):
    import os

    env = dict(os.environ, CALLGATE_RUNTIME_DIR=str(tmp_path))
    r = subprocess.run(CALLGATE + ["--port", "/dev/null", "rig", "run", "plans/short.yaml", "--out", str(tmp_path)],
                       capture_output=True, text=True, timeout=60, env=env)
    assert r.returncode == 2 and r.stderr.count("\n") == 2 and "docs/rig.md" in r.stderr


def test_cli_port_of_a_running_sim_uses_its_line_simulator(tmp_path):
    """`callgate --port P rig run`: P is a `callgate sim` started elsewhere; the rig finds its
    control socket through the sim's record and drives its lines."""
    import json
    import os
    import select

    env = dict(os.environ, CALLGATE_RUNTIME_DIR=str(tmp_path / "rt"))
    sim = subprocess.Popen(CALLGATE + ["sim", "--clock", "8", "--json"], stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, text=True, env=env)
    try:
        assert select.select([sim.stdout], [], [], 20)[0], "the sim did not start"
        port = json.loads(sim.stdout.readline())["data"]
        plan = write(tmp_path, "plan: p\ncases:\n  - name: nominal\n    kind: dtmf\n    digits: '7#'\n")
        r = subprocess.run(CALLGATE + ["--port", port, "rig", "run", str(plan), "--out", str(tmp_path / "o"),
                                       "--json"], capture_output=True, text=True, timeout=60, env=env)
        assert r.returncode == 0, r.stderr
        assert json.loads(r.stdout)["passed"] == 1
        assert f"on {port}" in r.stderr
    finally:
        sim.terminate()
        sim.wait(timeout=10)


def test_cli_deploys_the_firmware_under_test_first(tmp_path):
    """--deploy: the DUT runs this tree's firmware (deployed, verified, restarted) before the
    plan; the JUnit properties name what was deployed."""
    import xml.etree.ElementTree as ET

    r = subprocess.run(CALLGATE + ["rig", "run", "plans/short.yaml", "--out", str(tmp_path), "--deploy",
                                   "--only", "nominal"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "deploying the firmware for virtual-4 ... running" in r.stderr
    props = {p.get("name"): p.get("value") for p in ET.parse(tmp_path / "junit.xml").iter("property")}
    assert props.get("deployed"), props
