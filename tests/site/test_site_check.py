"""Site files: the demo is valid, and every class of bad site gives its promised message,
`site.yaml:LINE: FIELD: message`, with the line of the offending value."""

import json
import pathlib
import re

import numpy as np
import pytest

from callgate.cli import main as cli
from callgate.dsp.wav import read_wav, write_wav
from callgate.site import BUNDLE_VERSION, SiteError, build, bundle, load_site
from callgate.site.yamlpos import load


DEMO = pathlib.Path(__file__).resolve().parents[2] / "sites" / "demo"


def line_of(text, needle, nth=0):
    hits = [i + 1 for i, line in enumerate(text.splitlines()) if needle in line]
    return hits[nth]


def edit(path, old, new, count=1):
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, count))
    return path.read_text()


def problems(path):
    with pytest.raises(SiteError) as e:
        load_site(path)
    for file, line, _field, _msg in e.value.problems:
        assert file == str(path) and 1 <= line <= path.read_bytes().count(b"\n") + 1
    return [f"{line}: {field}: {msg}" if field else f"{line}: {msg}" for _f, line, field, msg in e.value.problems]


def test_the_demo_site_is_valid(demo):
    site = load_site(demo)
    assert site.data["site"] == "demo" and site.law == "ulaw"
    assert [p["port"] for p in site.data["ports"]] == [0, 1, 2, 3, 4, 5, 6, 7]
    assert set(site.data["ivr"]["menus"]["main"]["options"]) == set("12390*")  # keys as written


def test_the_error_names_file_line_and_field(demo):
    text = edit(demo, "    plan: CN\n", "    plan: XX\n")
    with pytest.raises(SiteError) as e:
        load_site(demo)
    first = str(e.value).splitlines()[0]
    assert first == f"{demo}:{line_of(text, 'plan: XX')}: ports[0].plan: 'XX' is not one of CN, US, EU"


# (what is wrong, old text, new text, needle for the line, expected "FIELD: message")
BAD = [
    ("unknown field", "    answer_rings: 2\n", "    answer_ring: 2\n", "answer_ring:",
     "ports[0].answer_ring: unknown field"),
    ("missing field", "    agent: {name: Bob, extension: \"202\", skills: [support]}",
     "    agent: {name: Bob, skills: [support]}", "name: Bob", "ports[6].agent.extension: missing (required)"),
    ("wrong type", "  - port: 1\n", "  - port: one\n", "port: one", "ports[1].port: 'one' is not an integer"),
    ("bad name", "    support:\n      prompt: support", "    Support:\n      prompt: support", "Support:",
     "ivr.menus.Support: 'Support' is not a name: a lowercase letter, then up to 31 of a-z 0-9 _ -"),
    ("bad digit key", "        9: {action: repeat}", "        10: {action: repeat}", "10:",
     "ivr.menus.main.options.10: '10' is not one DTMF key: 0-9, * or #"),
    ("action without its target", "        2: {action: menu, menu: support}", "        2: {action: menu}",
     "2: {action: menu}", "ivr.menus.main.options.2.menu: missing (required)"),
    ("bad time range", "    sat: [\"10:00-14:00\"]", "    sat: [\"10:00-25:00\"]", "sat:",
     "hours.weekly.sat[0]: '10:00-25:00' is not a time range HH:MM-HH:MM (00:00 to 24:00)"),
    ("unknown menu", "        2: {action: menu, menu: support}", "        2: {action: menu, menu: suport}",
     "menu: suport", "ivr.menus.main.options.2.menu: no menu 'suport' in ivr.menus"),
    ("unknown queue", "        1: {action: queue, queue: sales}", "        1: {action: queue, queue: sale}",
     "queue: sale}", "ivr.menus.main.options.1.queue: no queue 'sale' in queues"),
    ("unknown start menu", "  start: main", "  start: mian", "start: mian", "ivr.start: no menu 'mian' in ivr.menus"),
    ("unknown prompt", "      invalid_prompt: invalid\n      timeout_prompt", "      invalid_prompt: oops\n      timeout_prompt",
     "invalid_prompt: oops", "ivr.menus.main.invalid_prompt: no prompt 'oops' in prompts"),
    ("duplicate extension", "extension: \"202\"", "extension: \"201\"", "Bob",
     "ports[6].agent.extension: extension 201 is already used by ports[5]"),
    ("duplicate port", "  - port: 1\n", "  - port: 0\n", "port: 0#1", "ports[1].port: port 0 is already described by ports[0]"),
    ("port the board lacks", "  - port: 3\n", "  - port: 9\n", "port: 9",
     "ports[3].port: board virtual-8 has no port 9 (it has 0, 1, 2, 3, 4, 5, 6, 7)"),
    ("port of another kind", "  - port: 1\n    kind: fxo", "  - port: 5\n    kind: fxo", "kind: fxo#1",
     "ports[1].kind: port 5 of board virtual-8 is fxs, not fxo"),
    ("unknown board", "board: virtual-8", "board: virtual-9", "board:", "board: no board 'virtual-9'"),
    ("overlapping hours", "    fri: [\"09:00-12:00\", \"13:00-17:00\"]", "    fri: [\"09:00-12:00\", \"11:00-17:00\"]",
     "fri:", "hours.weekly.fri[1]: 11:00-17:00 overlaps 09:00-12:00"),
    ("reversed hours", "    sat: [\"10:00-14:00\"]", "    sat: [\"14:00-10:00\"]", "sat:",
     "hours.weekly.sat[0]: 14:00-10:00: the range ends before it starts"),
    ("impossible date", "\"2026-12-25\"", "\"2026-02-30\"", "2026-02-30", "hours.closed[0]: '2026-02-30' is not a date"),
    ("skill no agent has", "    skills: [sales]\n", "    skills: [billing]\n", "billing",
     "queues.sales.skills[0]: no agent has skill 'billing'"),
    ("operator without an operator queue", "  operator: reception\n", "", "fallback: {action: operator}",
     "ivr.menus.main.fallback.action: operator, but no operator queue (ivr.operator)"),
    ("after hours without hours", "\nhours:\n", "\nopening:\n", "opening:", "opening: unknown field"),
    ("sample recording without a share", "  sample_percent: 20\n", "", "recording:",
     "recording: mode sample needs sample_percent"),
    ("survey min above max", "min: 1, max: 5", "min: 5, max: 1", "min: 5", "survey.questions[0]: min 5 is above max 1"),
    # the reviewers' scorecard (docs/ops.md)
    ("scorecard criterion twice", "{id: need,", "{id: greeting,", "Understood",
     "quality.criteria[1].id: id 'greeting' is already used by criteria[0]"),
    ("scorecard weight of 0", "themselves\", weight: 1}", "themselves\", weight: 0}", "weight: 0",
     "quality.criteria[0].weight: 0 is less than or equal to the minimum of 0"),
    ("scorecard criterion without a label", "{id: courtesy, label: \"Courtesy and tone\",", "{id: courtesy,",
     "id: courtesy", "quality.criteria[3].label: missing (required)"),
    ("field of another action", "        9: {action: repeat}", "        9: {action: repeat, queue: sales}", "9: {",
     "ivr.menus.main.options.9.queue: not used by action 'repeat'"),
    # queues, callback, voicemail, survey (docs/callcenter.md)
    ("unknown strategy", "    strategy: round-robin\n", "    strategy: fastest\n", "fastest",
     "queues.support.strategy: 'fastest' is not one of ring-all, longest-idle, round-robin, fewest-calls"),
    ("unknown position prompt", "position_prompts: [position_1,", "position_prompts: [position_9,", "position_9",
     "queues.sales.position_prompts[0]: no prompt 'position_9' in prompts"),
    ("too many position prompts", "position_prompts: [position_1,", "position_prompts: [" + "hold, " * 9 + "position_1,",
     "hold, hold", "queues.sales.position_prompts: 13 items; at most 9 allowed"),
    ("announce too often", "    announce_every_s: 30\n", "    announce_every_s: 5\n", "announce_every_s",
     "queues.sales.announce_every_s: 5 is less than the minimum of 10"),
    ("ring timeout too long", "    ring_timeout_s: 20\n", "    ring_timeout_s: 121\n", "ring_timeout_s: 121",
     "queues.support.ring_timeout_s: 121 is greater than the maximum of 120"),
    ("negative wrap-up", "    wrap_up_s: 0\n", "    wrap_up_s: -1\n", "wrap_up_s: -1",
     "queues.reception.wrap_up_s: -1 is less than the minimum of 0"),
    ("record not a boolean", "    record: true", "    record: sometimes", "record: sometimes",
     "queues.support.record: 'sometimes' is not a boolean"),
    ("callback without prompt", "{action: callback, prompt: callback, then_prompt: callback_thanks}",
     "{action: callback, then_prompt: callback_thanks}", "action: callback",
     "queues.support.overflow.prompt: missing (required)"),
    ("voicemail without prompt", "{action: voicemail, prompt: voicemail, max_s: 60}", "{action: voicemail, max_s: 60}",
     "action: voicemail", "queues.reception.overflow.prompt: missing (required)"),
    ("callback with an unknown then prompt", "then_prompt: callback_thanks}", "then_prompt: bye}", "then_prompt: bye",
     "queues.support.overflow.then_prompt: no prompt 'bye' in prompts"),
    ("voicemail too long", "max_s: 60}", "max_s: 600}", "max_s: 600",
     "queues.reception.overflow.max_s: 600 is greater than the maximum of 300"),
    ("field of another action: then_prompt", "max_s: 60}", "max_s: 60, then_prompt: thanks}", "then_prompt: thanks",
     "queues.reception.overflow.then_prompt: not used by action 'voicemail'"),
    ("unknown overflow queue", "overflow: {action: queue, queue: reception}", "overflow: {action: queue, queue: recep}",
     "queue: recep}", "queues.sales.overflow.queue: no queue 'recep' in queues"),
    ("queue overflowing to itself", "overflow: {action: voicemail, prompt: voicemail, max_s: 60}",
     "overflow: {action: queue, queue: reception}", "overflow: {action: queue, queue: reception}#1",
     "queues.reception.overflow.queue: overflows in a loop: reception -> reception"),
    ("overflow loop through another queue", "overflow: {action: voicemail, prompt: voicemail, max_s: 60}",
     "overflow: {action: queue, queue: sales}", "overflow: {action: queue, queue: reception}",
     "queues.sales.overflow.queue: overflows in a loop: sales -> reception -> sales"),
    ("operator queue overflowing to the operator", "overflow: {action: voicemail, prompt: voicemail, max_s: 60}",
     "overflow: {action: operator}", "overflow: {action: operator}",
     "queues.reception.overflow.action: overflows in a loop: reception -> reception"),
    # IVR menus a caller who keys nothing goes round for good (the board used to hold such a
    # caller, and the trunk, until they hung up)
    ("a menu falling back to itself", "      fallback: {action: queue, queue: support}",
     "      fallback: {action: menu, menu: support}", "fallback: {action: menu, menu: support}",
     "ivr.menus.support.fallback.menu: a caller who keys nothing goes round these menus for good: "
     "support -> support"),
    ("a menu falling back to itself by repeat", "      fallback: {action: queue, queue: support}",
     "      fallback: {action: repeat}", "fallback: {action: repeat}",
     "ivr.menus.support.fallback.action: a caller who keys nothing goes round these menus for good: "
     "support -> support"),
    ("a menu falling back to a play then the menu", "      fallback: {action: queue, queue: support}",
     "      fallback: {action: play, prompt: hours}", "fallback: {action: play, prompt: hours}",
     "ivr.menus.support.fallback.action: a caller who keys nothing goes round these menus for good: "
     "support -> support"),
    ("an IVR limit that sends the caller to a menu", "  operator: reception\n",
     "  operator: reception\n  limit: {steps: 20, then: {action: menu, menu: main}}\n", "limit: {steps: 20",
     "ivr.limit.then.action: 'menu' would keep the caller in the menus (one of queue, operator, callback, "
     "voicemail, hangup)"),
    ("an IVR limit with an unknown goodbye", "  operator: reception\n",
     "  operator: reception\n  limit: {goodbye_prompt: bye}\n", "limit: {goodbye_prompt: bye}",
     "ivr.limit.goodbye_prompt: no prompt 'bye' in prompts"),
    ("an IVR limit of too few steps", "  operator: reception\n", "  operator: reception\n  limit: {steps: 1}\n",
     "limit: {steps: 1}", "ivr.limit.steps: 1 is less than the minimum of 3"),
    ("an outbound prefix with a letter", "    answer_rings: 2\n", "    answer_rings: 2\n    outbound: {allow: true, prefix: 9a}\n",
     "prefix: 9a", "ports[0].outbound.prefix: '9a' is not of the form ^[0-9*#]{0,8}$"),
    ("an outbound permission that is not true or false", "    answer_rings: 2\n",
     "    answer_rings: 2\n    outbound: {allow: sometimes}\n", "allow: sometimes",
     "ports[0].outbound.allow: 'sometimes' is not a boolean"),
    ("a pulse trunk asked to dial a star", "    answer_rings: 2\n",
     "    answer_rings: 2\n    outbound: {allow: true, prefix: '*9', dialing: pulse}\n", "prefix: '*9'",
     "ports[0].outbound.prefix: a trunk that dials pulses cannot dial * or #"),
    ("an unknown way of dialling", "    answer_rings: 2\n",
     "    answer_rings: 2\n    outbound: {dialing: rotary}\n", "dialing: rotary",
     "ports[0].outbound.dialing: 'rotary' is not one of dtmf, pulse"),
    ("an outbound no-answer time too short", "    answer_rings: 2\n",
     "    answer_rings: 2\n    outbound: {no_answer_s: 2}\n", "no_answer_s: 2",
     "ports[0].outbound.no_answer_s: 2 is less than the minimum of 5"),
    ("survey timeout too short", "  timeout_ms: 5000\n  questions:", "  timeout_ms: 100\n  questions:", "timeout_ms: 100",
     "survey.timeout_ms: 100 is less than the minimum of 500"),
    ("survey min above the default max", "min: 1, max: 5", "min: 7", "min: 7", "survey.questions[0]: min 7 is above max 5"),
    ("survey key out of range", "min: 1, max: 5", "min: 1, max: 10", "max: 10",
     "survey.questions[0].max: 10 is greater than the maximum of 9"),
    ("unknown survey intro", "  intro_prompt: survey_intro", "  intro_prompt: hello", "intro_prompt: hello",
     "survey.intro_prompt: no prompt 'hello' in prompts"),
    # agents (docs/callcenter.md, "Agents as people")
    ("a feature code the start of another", 'login: "*1", pause: "*2"', 'login: "*1", pause: "*12"', "feature_codes",
     "agents.feature_codes.login: feature code *1 of login is the start of pause's *12"),
    ("two features on one code", 'ready: "*3"', 'ready: "*1"', "feature_codes",
     "agents.feature_codes."),
    ("a feature code of letters", 'ready: "*3"', 'ready: "*x"', "feature_codes",
     "agents.feature_codes.ready: '*x' is not 1 to 4 DTMF keys: 0-9, * or #"),
    ("a pause reason code used twice", '{code: "2", name: training}', '{code: "1", name: training}',
     '{code: "1", name: training}', "agents.pause_reasons[1].code: code 1 is already used by pause_reasons[0]"),
    ("a disposition named twice", '{code: "2", name: follow-up}', '{code: "2", name: resolved}',
     '{code: "2", name: resolved}', "agents.dispositions[1].name: name 'resolved' is already used by dispositions[0]"),
    ("a reason code the start of another", '{code: "2", name: training}', '{code: "12", name: training}',
     '{code: "12", name: training}', "agents.pause_reasons[1].code: code 12 and another begin alike"),
    ("the board's own reason", '{code: "4", name: meeting}', '{code: "4", name: no-answer}', "name: no-answer",
     "agents.pause_reasons[3].name: 'no-answer' is the board's own reason (auto_pause)"),
    ("auto-pause too high", "  auto_pause: 3", "  auto_pause: 99", "auto_pause: 99",
     "agents.auto_pause: 99 is greater than the maximum of 20"),
    ("an unknown start", "  start: ready", "  start: asleep", "start: asleep",
     "agents.start: 'asleep' is not one of ready, logged-out"),
    # supervisors (docs/callcenter.md, "Supervisors")
    ("supervisor not a boolean", "supervisor: true", "supervisor: yes-please", "supervisor: yes-please",
     "ports[7].agent.supervisor: 'yes-please' is not a boolean"),
    ("a supervisor code the start of another", 'listen: "*51"', 'listen: "*5"', 'listen: "*5"',
     "agents.feature_codes.listen: feature code *5 of listen is the start of"),
    ("a queue extension an agent has", 'extension: "301"', 'extension: "202"', 'extension: "202"#1',
     "queues.sales.extension: extension 202 is already used by ports[6]"),
    ("a flash too long", "  flash_ms: 800", "  flash_ms: 5000", "flash_ms: 5000",
     "agents.flash_ms: 5000 is greater than the maximum of 2000"),
    ("a supervisor code on a login's", 'barge: "*53"', 'barge: "*1"', 'barge: "*1"',
     "agents.feature_codes.barge: feature code *1 of barge is also login's *1"),
    # an outside transfer's prefix (docs/callcenter.md, "Hook-flash blind transfer")
    ("an outside prefix an extension begins with", 'outside_prefix: "9"', 'outside_prefix: "2"',
     'outside_prefix: "2"', "agents.outside_prefix: outside prefix 2 and the extension 201 of ports[5] begin alike"),
    ("an outside prefix longer than a queue's extension", 'outside_prefix: "9"', 'outside_prefix: "3015"',
     'outside_prefix: "3015"', "agents.outside_prefix: outside prefix 3015 and the extension 301 of queue 'sales'"),
    ("an outside prefix on a feature code", 'outside_prefix: "9"', 'outside_prefix: "*5"', 'outside_prefix: "*5"',
     "agents.outside_prefix: outside prefix *5 and feature code *51 of listen begin alike"),
    ("an outside prefix with #", 'outside_prefix: "9"', 'outside_prefix: "9#"', 'outside_prefix',
     "agents.outside_prefix: '9#' is not 1 to 4 DTMF keys: 0-9 or * (# ends the number)"),
    ("an outside prefix without the flash", "  flash_ms: 800", "  flash_ms: 0", "outside_prefix",
     "agents.outside_prefix: an outside prefix needs the hook flash (agents.flash_ms above 0)"),
]


@pytest.mark.parametrize("what,old,new,needle,expected", BAD, ids=[b[0] for b in BAD])
def test_bad_site_classes(demo, what, old, new, needle, expected):
    text = edit(demo, old, new)
    got = problems(demo)
    needle, _, nth = needle.partition("#")
    want = f"{line_of(text, needle, int(nth or 0))}: {expected}"
    assert any(g.startswith(want) for g in got), (want, got)


def test_duplicate_digit_in_a_menu_names_both_lines(demo):
    text = edit(demo, "        9: {action: repeat}", "        9: {action: repeat}\n        \"9\": {action: hangup}")
    got = problems(demo)
    assert got == [f"{line_of(text, chr(34) + '9' + chr(34))}: duplicate key '9' (first on line {line_of(text, '9: {action: repeat}')})"]


def test_unquoted_star_is_a_yaml_error_with_its_line(demo):
    text = edit(demo, '        "*": {action: hangup}', "        *: {action: hangup}")
    got = problems(demo)
    assert len(got) == 1 and got[0].startswith(f"{line_of(text, '*: {action')}: not valid YAML")


def test_missing_and_unreadable_prompt_files(demo):
    (demo.parent / "prompts" / "hold.wav").unlink()
    (demo.parent / "prompts" / "thanks.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk")
    text = demo.read_text()
    got = problems(demo)
    assert f"{line_of(text, 'hold: prompts/hold.wav')}: prompts.hold: prompts/hold.wav: cannot read it (No such file or directory)" in got
    thanks = [g for g in got if g.startswith(f"{line_of(text, 'thanks: prompts/')}: prompts.thanks: prompts/thanks.wav: not a WAV")]
    assert thanks, got


def test_all_schema_problems_come_together_in_line_order(demo):
    edit(demo, "    plan: CN\n", "    plan: XX\n")
    edit(demo, "  retention_days: 90", "  retention_days: 0")
    got = problems(demo)
    assert len(got) == 2 and got[0].endswith("'XX' is not one of CN, US, EU") and "retention_days" in got[1]
    assert int(got[0].split(":")[0]) < int(got[1].split(":")[0])


def test_not_utf8_empty_and_not_a_mapping(tmp_path):
    p = tmp_path / "site.yaml"
    p.write_bytes(b"site: demo\nboard: \xff\xfe\n")
    assert problems(p) == ["2: not UTF-8 text"]
    p.write_text("# nothing\n")
    assert problems(p) == ["1: the file is empty"]
    p.write_text("- a\n- b\n")
    assert problems(p) == ["1: a site file is a mapping (site:, board:, ports: ...)"]


def test_times_and_keys_stay_as_written():
    doc = load("a: 08:00\nb: 2026-12-25\n1: x\nc: [1, yes]\n")
    assert doc.data == {"a": "08:00", "b": "2026-12-25", "1": "x", "c": [1, True]}
    assert doc.line_of(("c", 1)) == 4 and doc.line_of(("c", 9)) == 4


def test_alias_bomb_is_refused():
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    for i in range(1, 7):
        bomb += f"{chr(97 + i)}: &{chr(97 + i)} [" + ", ".join([f"*{chr(96 + i)}"] * 10) + "]\n"
    with pytest.raises(ValueError, match="more than"):
        load(bomb)


def test_build_writes_the_bundle_and_g711_prompts(demo, tmp_path):
    # a prompt in another rate and two channels is resampled and mixed down
    t = np.arange(22050) / 22050
    stereo = (np.stack([np.sin(2 * np.pi * 440 * t), np.sin(2 * np.pi * 660 * t)], axis=1) * 6000).astype(np.int16)
    write_wav(demo.parent / "prompts" / "hold.wav", stereo, 22050)
    out = tmp_path / "out"
    b = build(load_site(demo), out)
    on_disk = json.loads((out / "site.json").read_text())
    assert on_disk == json.loads(json.dumps(b)) and on_disk["v"] == BUNDLE_VERSION == 4
    hold = read_wav(out / "prompts" / "hold.wav")
    assert (hold.sample_rate, hold.channels, hold.encoding) == (8000, 1, "ulaw")
    assert on_disk["prompts"]["hold"]["ms"] == 1000 and abs(hold.frames - 8000) <= 1
    main = on_disk["ivr"]["menus"]["main"]
    assert main["keys"]["1"] == {"do": "queue", "to": "sales"}
    assert main["keys"]["3"] == {"do": "play", "prompt": "hours", "then": "menu"}
    assert main["fallback"] == {"do": "operator"} and main["retries"] == 2 and main["barge"] is True
    assert on_disk["hours"]["offset_min"] == 480 and on_disk["hours"]["week"][0] == [[540, 720], [780, 1080]]
    assert on_disk["hours"]["week"][6] == []
    assert [p["menu"] for p in on_disk["ports"] if p["kind"] == "fxo"] == ["main", "support", "main", "main", "main"]


def test_cli_check_and_build(demo, tmp_path, capsys):
    assert cli(["site", "check", str(demo)]) == 0
    assert "ok" in capsys.readouterr().out
    assert cli(["site", "build", str(demo), str(tmp_path / "o")]) == 0
    assert (tmp_path / "o" / "site.json").is_file()
    edit(demo, "    plan: CN\n", "    plan: XX\n")
    assert cli(["site", "check", str(demo)]) == 2
    err = capsys.readouterr().err
    assert re.search(r"site\.yaml:\d+: ports\[0\]\.plan: 'XX' is not one of CN, US, EU", err)
    assert cli(["--json", "site", "check", str(demo)]) == 2
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is False and report["problems"][0]["field"] == "ports[0].plan"
    assert cli(["site", "build", str(demo), str(tmp_path / "o2")]) == 2
    assert not (tmp_path / "o2").exists()  # nothing written for an invalid site


def test_the_demo_site_in_the_tree_checks_and_builds(tmp_path):
    """sites/demo as committed, with its espeak-ng prompts (tools/site_prompts.py)."""
    b = build(load_site(DEMO / "site.yaml"), tmp_path / "flash")
    assert sorted(b["prompts"]) == sorted(load((DEMO / "prompt-texts.yaml").read_text()).data)
    assert all(p["ms"] > 500 for p in b["prompts"].values())


def test_a_queue_needs_one_agent_with_all_its_skills(demo):
    edit(demo, "skills: [support]}", "skills: [support, billing]}")  # Bob
    text = edit(demo, "    skills: [sales]\n", "    skills: [sales, billing]\n")
    assert problems(demo) == [f"{line_of(text, 'skills: [sales, billing]')}: queues.sales.skills: "
                              "no agent has all of sales, billing"]


def test_queues_without_any_agent(demo):
    text = demo.read_text()
    start, end = text.index("  - port: 5\n"), text.index("\nprompts:")
    demo.write_text(text[:start] + text[end + 1:])
    lines = demo.read_text().splitlines()
    assert problems(demo) == [f"{lines.index('  ' + q + ':') + 1}: queues.{q}: no agent can take its calls "
                              "(no fxs port has an agent)" for q in ("sales", "support", "reception")]


def test_one_problem_per_overflow_loop(demo):
    edit(demo, "overflow: {action: voicemail, prompt: voicemail, max_s: 60}", "overflow: {action: queue, queue: support}")
    text = edit(demo, "overflow: {action: callback, prompt: callback, then_prompt: callback_thanks}",
                "overflow: {action: queue, queue: reception}")
    # sales -> reception <-> support: one loop, named from its first queue in the file
    assert problems(demo) == [f"{line_of(text, 'overflow: {action: queue, queue: reception}', 1)}: "
                              "queues.support.overflow.queue: overflows in a loop: support -> reception -> support"]


def test_one_problem_per_silent_menu_loop_and_key_loops_are_fine(demo):
    """main -> support -> closed -> main by fallbacks: one loop, named from main. The demo's own
    loop (main's key 2 to support, support's key # back to main) needs keys: accepted."""
    edit(demo, "      fallback: {action: operator}", "      fallback: {action: menu, menu: support}")
    edit(demo, "      fallback: {action: queue, queue: support}", "      fallback: {action: menu, menu: closed}")
    text = edit(demo, "      fallback: {action: hangup}", "      fallback: {action: menu, menu: main}")
    assert problems(demo) == [f"{line_of(text, 'fallback: {action: menu, menu: support}')}: ivr.menus.main.fallback.menu: "
                              "a caller who keys nothing goes round these menus for good: main -> support -> closed -> main"]
    edit(demo, "      fallback: {action: menu, menu: main}", "      fallback: {action: hangup}")
    load_site(demo)  # main -> support -> closed -> hang up: a silent caller gets out


def test_two_menus_whose_timeouts_lead_to_each_other_are_refused(demo):
    """The defect: main's and support's fallbacks (after their timeouts or invalid keys) go to
    each other; `site check` accepted it and the board held a silent caller until they hung up."""
    edit(demo, "      fallback: {action: operator}", "      fallback: {action: menu, menu: support}")
    text = edit(demo, "      fallback: {action: queue, queue: support}", "      fallback: {action: menu, menu: main}")
    assert problems(demo) == [f"{line_of(text, 'fallback: {action: menu, menu: support}')}: ivr.menus.main.fallback.menu: "
                              "a caller who keys nothing goes round these menus for good: main -> support -> main"]


def test_outbound_permission_prefix_and_plan_in_the_bundle(demo, tmp_path):
    edit(demo, "    answer_rings: 2\n",
         "    answer_rings: 2\n    outbound: {allow: true, prefix: '0', no_answer_s: 45, dialing: pulse}\n")
    b = bundle(load_site(demo))
    first, second = b["ports"][0], b["ports"][1]
    assert first["out"] == {"allow": True, "prefix": "0", "no_answer_ms": 45000, "pulse": True} and first["plan"] == "CN"
    assert second["out"] == {"allow": False, "prefix": "", "no_answer_ms": 30000, "pulse": False}  # the defaults


def test_the_ivr_limit_in_the_bundle(demo, tmp_path):
    b = bundle(load_site(demo))  # the demo has an operator queue: the limit sends the caller there
    assert b["ivr"]["limit"] == {"steps": 30, "s": 300, "then": {"do": "operator"}, "bye": None}
    edit(demo, "  operator: reception\n", "  operator: reception\n  limit: {steps: 12, seconds: 90, "
         "then: {action: hangup}, goodbye_prompt: thanks}\n")
    b = bundle(load_site(demo))
    assert b["ivr"]["limit"] == {"steps": 12, "s": 90, "then": {"do": "hangup"}, "bye": "thanks"}
    text = demo.read_text().replace("  operator: reception\n", "").replace("{action: operator}", "{action: hangup}")
    demo.write_text(text.replace("overflow: {action: voicemail, prompt: voicemail, max_s: 60}", "overflow: {action: hangup}"))
    b = bundle(load_site(demo))  # no operator: a hang-up
    assert b["ivr"]["limit"]["then"] == {"do": "hangup"}


def test_new_fields_and_actions_are_accepted(demo):
    edit(demo, "    strategy: round-robin\n", "    strategy: fewest-calls\n")
    edit(demo, "        9: {action: repeat}", "        8: {action: callback, prompt: callback}\n"
         "        7: {action: voicemail, prompt: voicemail}\n        9: {action: repeat}")
    site = load_site(demo)
    options = site.data["ivr"]["menus"]["main"]["options"]
    assert options["8"] == {"action": "callback", "prompt": "callback"} and site.data["queues"]["support"]["strategy"] == "fewest-calls"


def test_bundle_of_queues_actions_survey_recording(demo, tmp_path):
    b = build(load_site(demo), tmp_path / "out")
    positions = ["position_1", "position_2", "position_3", "position_more"]
    assert b["queues"] == {
        "sales": {"skills": ["sales"], "strategy": "longest-idle", "hold": "hold", "positions": positions,
                  "announce_s": 30, "max_wait_s": 120, "overflow": {"do": "queue", "to": "reception"},
                  "ring_s": 15, "wrap_s": 10, "record": None, "ext": "301"},
        "support": {"skills": ["support"], "strategy": "round-robin", "hold": "hold", "positions": positions,
                    "announce_s": 30, "max_wait_s": 180,
                    "overflow": {"do": "callback", "prompt": "callback", "then": "callback_thanks"},
                    "ring_s": 20, "wrap_s": 15, "record": True, "ext": "302"},
        "reception": {"skills": [], "strategy": "ring-all", "hold": "hold", "positions": [], "announce_s": 30,
                      "max_wait_s": 240, "overflow": {"do": "voicemail", "prompt": "voicemail", "max_s": 60},
                      "ring_s": 15, "wrap_s": 0, "record": None, "ext": "300"},
    }
    assert b["survey"] == {"questions": [{"id": "satisfaction", "prompt": "survey_q1", "min": 1, "max": 5}],
                           "intro": "survey_intro", "thanks": "thanks", "ms": 5000}
    assert b["recording"] == {"mode": "sample", "percent": 20, "announce": "recorded", "days": 90}
    on_disk = json.loads((tmp_path / "out" / "site.json").read_text())
    assert on_disk["queues"] == b["queues"] and on_disk["survey"] == b["survey"]


def test_bundle_defaults(demo, tmp_path):
    text = demo.read_text()
    queues = text[text.index("queues:\n"):text.index("survey:\n")]
    text = text.replace(queues, "queues:\n  sales: {}\n  support: {}\n  reception: {}\n\n")
    text = text.replace("  intro_prompt: survey_intro\n  timeout_ms: 5000\n", "")
    text = text.replace("min: 1, max: 5", "min: 0")
    text = text.replace("  mode: sample\n  sample_percent: 20\n", "  mode: all\n  sample_percent: 20\n")
    text = text.replace("  retention_days: 90\n", "")
    text = text.replace("        0: {action: operator}", "        0: {action: operator}\n"
                        "        8: {action: callback, prompt: callback}\n        7: {action: voicemail, prompt: voicemail}")
    demo.write_text(text)
    b = bundle(load_site(demo))
    assert b["queues"]["sales"] == {"skills": [], "strategy": "longest-idle", "hold": None, "positions": [],
                                    "announce_s": 30, "max_wait_s": 300, "overflow": {"do": "hangup"},
                                    "ring_s": 15, "wrap_s": 10, "record": None, "ext": None}
    keys = b["ivr"]["menus"]["main"]["keys"]
    assert keys["8"] == {"do": "callback", "prompt": "callback", "then": None}
    assert keys["7"] == {"do": "voicemail", "prompt": "voicemail", "max_s": 60}
    assert b["survey"] == {"questions": [{"id": "satisfaction", "prompt": "survey_q1", "min": 0, "max": 5}],
                           "intro": None, "thanks": "thanks", "ms": 5000}
    assert b["recording"] == {"mode": "all", "percent": 100, "announce": "recorded", "days": 90}


def test_bundle_without_survey_or_recording(demo):
    edit(demo, "  enabled: true\n", "  enabled: false\n")
    text = demo.read_text()
    demo.write_text(text.replace(text[text.index("recording:\n"):text.index("hours:\n")], ""))
    b = bundle(load_site(demo))
    assert b["survey"] is None
    assert b["recording"] == {"mode": "none", "percent": 0, "announce": None, "days": 90}


def test_each_missing_field_is_said_once(tmp_path):
    p = tmp_path / "site.yaml"
    p.write_text("site: x\n")
    with pytest.raises(SiteError) as e:
        load_site(p)
    lines = str(e.value).splitlines()
    assert sorted(line.split(": ")[1] for line in lines if "missing" in line) == ["board", "ivr", "ports", "prompts"]


def test_a_supervisor_needs_someone_to_supervise_and_the_bundle_carries_it(demo, tmp_path):
    site = load_site(demo)
    b = bundle(site)
    sup = {p["ext"]: p["supervisor"] for p in b["ports"] if p["kind"] == "fxs"}
    assert sup == {"201": False, "202": False, "203": True}
    assert {k: b["agents"]["codes"][k] for k in ("listen", "whisper", "barge")} == {
        "listen": "*51", "whisper": "*52", "barge": "*53"}
    text = demo.read_text()
    start = text.index("  - port: 5")
    end = text.index("  - port: 7")
    demo.write_text(text[:start] + text[end:])  # Carol alone: nobody to supervise
    got = problems(demo)
    line = line_of(demo.read_text(), "supervisor: true")
    assert got[0].startswith(f"{line}: ports[5].agent.supervisor: a supervisor, but no other agent to supervise"), got


def test_the_bundle_carries_the_outside_prefix_and_none_without_one(demo):
    assert bundle(load_site(demo))["agents"]["outside"] == "9"
    edit(demo, '  outside_prefix: "9"', "")
    b = bundle(load_site(demo))
    assert b["agents"]["outside"] is None and b["agents"]["flash_ms"] == 800
