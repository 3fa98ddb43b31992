"""Load and validate a site file: YAML with lines -> JSON schema -> cross-checks.

`load_site(path)` returns a Site (the data, its folder, the board definition) or raises
SiteError listing every problem found, each as `FILE:LINE: FIELD: message`, e.g.

    site.yaml:14: ports[2].plan: 'XX' is not one of CN, US, EU

Schema problems are all reported together; the cross-checks (which need well-typed data) run
only when the schema passes. Nothing but SiteError is raised for a bad site (OSError only
if the site file itself cannot be read).
"""

import datetime
import json
import os
import pathlib

import jsonschema

from ..dsp.wav import WavError, read_wav
from . import schema as S
from .yamlpos import LoadError, load

MAX_SITE_BYTES = 1 << 20


class SiteError(ValueError):
    """An invalid site; .problems is a list of (file, line, field, message)."""

    def __init__(self, problems):
        self.problems = sorted(problems, key=lambda p: (p[1], p[2]))
        super().__init__("\n".join(format_problem(*p) for p in self.problems))


def format_problem(file, line, field, msg) -> str:
    return f"{file}:{line}: {field}: {msg}" if field else f"{file}:{line}: {msg}"


def field_name(path) -> str:
    """("ports", 2, "plan") -> "ports[2].plan"; () -> "" (the whole file)."""
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


class Site:
    """A valid site: .data (plain data as in the file), .folder, .board (board.json), .law."""

    def __init__(self, path, data, board):
        self.path = pathlib.Path(path)
        self.folder = self.path.parent
        self.data = data
        self.board = board
        self.law = data.get("law") or board.get("pcm", {}).get("law", "ulaw")

    def prompt_path(self, name) -> pathlib.Path:
        return self.folder / self.data["prompts"][name]


_VALIDATOR = jsonschema.Draft202012Validator(S.SCHEMA)


def schema_problems(doc, file, validator=_VALIDATOR):
    """(file, line, field, message) for each schema error of a YAML document (site files, and
    campaign files with their own validator)."""
    out = []
    for e in validator.iter_errors(doc.data):
        path = tuple(e.absolute_path)
        v, inst = e.validator, e.instance
        schema_path = list(e.absolute_schema_path)
        if v == "additionalProperties" and isinstance(inst, dict) and isinstance(e.validator_value, bool):
            known = set(e.schema.get("properties", {}))
            for key in sorted(set(inst) - known):
                out.append((file, doc.line_of(path + (key,)), field_name(path + (key,)), "unknown field"))
            continue
        if v == "required":
            missing = [k for k in e.validator_value if isinstance(inst, dict) and k not in inst]
            for key in missing:
                out.append((file, doc.line_of(path), field_name(path + (key,)), "missing (required)"))
            continue
        if "propertyNames" in schema_path and isinstance(inst, str):
            path = path + (inst,)  # the error is about the key itself
        if v == "enum":
            msg = f"{inst!r} is not one of {', '.join(str(x) for x in e.validator_value)}"
        elif v == "const":
            msg = f"{inst!r} is not {e.validator_value!r}"
        elif v == "pattern":
            msg = f"{inst!r} is not {S.PATTERN_WORDS.get(e.validator_value, 'of the form ' + e.validator_value)}"
        elif v in ("maxItems", "minItems") and isinstance(inst, list):
            most = "at most" if v == "maxItems" else "at least"
            msg = f"{len(inst)} item{'s' if len(inst) != 1 else ''}; {most} {e.validator_value} allowed"
        elif v == "type":
            want = e.validator_value
            want = " or ".join(want) if isinstance(want, list) else want
            msg = f"{inst!r} is not {'an' if want[0] in 'aeiou' else 'a'} {want}"
        else:
            msg = e.message
        if len(msg) > 200:
            msg = msg[:197] + "..."
        out.append((file, doc.line_of(path), field_name(path), msg))
    return list(dict.fromkeys(out))  # jsonschema reports `required` once per missing key, each listing all


def _board_def(name, boards_dir):
    path = pathlib.Path(boards_dir) / name / "board.json"
    with open(path) as f:
        return json.load(f)


def _minutes(hhmm):
    h, m = hhmm.split(":")
    return int(h) * 60 + int(m)


def referenced_prompts(data):
    """(path, prompt name) for every prompt the site uses."""
    out = []
    for path, act in all_actions(data):
        for key in S.ACTION_PROMPTS:
            if key in act and key in S.ACTION_FIELDS[act["action"]]:
                out.append((path + (key,), act[key]))
    ivr = data["ivr"]
    for mname, menu in ivr["menus"].items():
        base = ("ivr", "menus", mname)
        for key in ("prompt", "invalid_prompt", "timeout_prompt"):
            if key in menu:
                out.append((base + (key,), menu[key]))
    for qname, q in data.get("queues", {}).items():
        if "hold_prompt" in q:
            out.append((("queues", qname, "hold_prompt"), q["hold_prompt"]))
        for j, name in enumerate(q.get("position_prompts", [])):
            out.append((("queues", qname, "position_prompts", j), name))
    survey = data.get("survey")
    if survey:
        for key in ("intro_prompt", "thanks_prompt"):
            if key in survey:
                out.append((("survey", key), survey[key]))
        for i, q in enumerate(survey["questions"]):
            out.append((("survey", "questions", i, "prompt"), q["prompt"]))
    limit = data["ivr"].get("limit", {})
    if "goodbye_prompt" in limit:
        out.append((("ivr", "limit", "goodbye_prompt"), limit["goodbye_prompt"]))
    rec = data.get("recording")
    if rec and "announce_prompt" in rec:
        out.append((("recording", "announce_prompt"), rec["announce_prompt"]))
    return out


def all_actions(data):
    """(path, action) for every action of the site: menu keys and fallbacks, queue overflows,
    the IVR limit's."""
    acts = []
    for mname, menu in data["ivr"]["menus"].items():
        acts.extend(_menu_actions(mname, menu))
    if "then" in data["ivr"].get("limit", {}):
        acts.append((("ivr", "limit", "then"), data["ivr"]["limit"]["then"]))
    for qname, q in data.get("queues", {}).items():
        if "overflow" in q:
            acts.append((("queues", qname, "overflow"), q["overflow"]))
    return acts


def overflow_loops(data):
    """Each loop of queue overflows (a queue's overflow goes to another queue, directly or as
    the operator), once, as the list of queue names from its first queue in the file back to it."""
    queues = data.get("queues", {})
    operator = data["ivr"].get("operator")

    def next_queue(q):
        act = queues[q].get("overflow", {})
        to = act.get("queue") if act.get("action") == "queue" else (
            operator if act.get("action") == "operator" else None)
        return to if to in queues else None

    return _cycles(list(queues), next_queue)


def silent_loops(data):
    """Each loop of menus that a caller who keys nothing goes round for good, once, as the
    list of menu names from its first menu in the file back to it.

    Without a valid key a caller follows each menu's fallback (after `retries` timeouts or
    invalid keys; at once in a menu without options). A loop is refused when every step of it
    is such a fallback: one going to another menu, or back into the same menu (repeat, or a
    play then menu: the tries are spent, so the fallback comes again at the next timeout).
    Loops a caller takes only by keying valid options (a "back to the main menu" key) are
    fine, and so are loops through a queue (each turn waits for an agent): the board's IVR
    limit (ivr.limit) ends those calls anyway."""
    menus = data["ivr"]["menus"]

    def next_menu(m):
        fb = menus[m].get("fallback", {"action": "hangup"})
        kind = fb["action"]
        if kind == "menu":
            return fb["menu"] if fb["menu"] in menus else None
        if kind == "repeat" or (kind == "play" and fb.get("then", "menu") == "menu"):
            return m
        return None

    return _cycles(list(menus), next_menu)


def _cycles(names, successor):
    """Each cycle of the graph where every name has at most one successor (None: none), once,
    as the names from its first in `names` back to it."""
    order = {name: i for i, name in enumerate(names)}
    loops, seen = [], set()
    for start in names:
        path = [start]
        n = successor(start)
        while n is not None and n not in path:
            path.append(n)
            n = successor(n)
        if n is None:
            continue
        loop = path[path.index(n):]
        if frozenset(loop) in seen:
            continue
        seen.add(frozenset(loop))
        first = min(range(len(loop)), key=lambda i: order[loop[i]])
        loop = loop[first:] + loop[:first]
        loops.append(loop + [loop[0]])
    return loops


def _menu_actions(mname, menu):
    base = ("ivr", "menus", mname)
    acts = []
    if "fallback" in menu:
        acts.append((base + ("fallback",), menu["fallback"]))
    for digit, act in menu.get("options", {}).items():
        acts.append((base + ("options", digit), act))
    return acts


def _cross_problems(doc, file, folder, boards_dir, check_prompts):
    data = doc.data
    out = []

    def bad(path, msg):
        out.append((file, doc.line_of(path), field_name(path), msg))

    board = None
    try:
        board = _board_def(data["board"], boards_dir)
    except OSError:
        bad(("board",), f"no board {data['board']!r} (no {data['board']}/board.json in {boards_dir})")
    except ValueError as e:
        bad(("board",), f"the board definition of {data['board']!r} is not valid JSON: {e}")

    # Ports: on the board, of the right kind, each once; names and extensions unique.
    board_ports = {}
    if board is not None:
        board_ports = {p.get("n"): p for p in board.get("ports", []) if isinstance(p, dict)}
        law = board.get("pcm", {}).get("law")
        if "law" in data and law and data["law"] != law:
            bad(("law",), f"{data['law']!r} but board {data['board']} uses {law}")
    seen_port, seen_name, seen_ext = {}, {}, {}
    supervisors = []  # index of each port whose agent is a supervisor
    skills = set()
    agent_skills = []  # each agent's set of skills
    for i, p in enumerate(data["ports"]):
        n = p["port"]
        if n in seen_port:
            bad(("ports", i, "port"), f"port {n} is already described by ports[{seen_port[n]}]")
        seen_port.setdefault(n, i)
        if board is not None:
            if n not in board_ports:
                have = ", ".join(str(k) for k in sorted(board_ports, key=str))
                bad(("ports", i, "port"), f"board {data['board']} has no port {n} (it has {have})")
            elif board_ports[n].get("kind") != p["kind"]:
                kind = board_ports[n].get("kind")
                bad(("ports", i, "kind"), f"port {n} of board {data['board']} is {kind}, not {p['kind']}")
        if "name" in p:
            if p["name"] in seen_name:
                bad(("ports", i, "name"), f"name {p['name']!r} is already used by ports[{seen_name[p['name']]}]")
            seen_name.setdefault(p["name"], i)
        if p["kind"] == "fxs":
            ext = p["agent"]["extension"]
            if ext in seen_ext:
                bad(("ports", i, "agent", "extension"), f"extension {ext} is already used by ports[{seen_ext[ext]}]")
            seen_ext.setdefault(ext, i)
            skills.update(p["agent"].get("skills", []))
            if p["agent"].get("supervisor"):
                supervisors.append(i)
            agent_skills.append(set(p["agent"].get("skills", [])))

    # IVR references.
    ivr = data["ivr"]
    menus = ivr["menus"]
    queues = data.get("queues", {})
    if ivr["start"] not in menus:
        bad(("ivr", "start"), f"no menu {ivr['start']!r} in ivr.menus")
    if "after_hours" in ivr:
        if ivr["after_hours"] not in menus:
            bad(("ivr", "after_hours"), f"no menu {ivr['after_hours']!r} in ivr.menus")
        if "hours" not in data:
            bad(("ivr", "after_hours"), "an after-hours menu needs business hours (hours)")
    elif "hours" in data:
        bad(("hours",), "business hours need an after-hours menu (ivr.after_hours)")
    if "operator" in ivr and ivr["operator"] not in queues:
        bad(("ivr", "operator"), f"no queue {ivr['operator']!r} in queues")
    for i, p in enumerate(data["ports"]):
        if "menu" in p and p["menu"] not in menus:
            bad(("ports", i, "menu"), f"no menu {p['menu']!r} in ivr.menus")
        dials = p.get("outbound") or {}
        if dials.get("dialing") == "pulse" and any(c in dials.get("prefix", "") for c in "*#"):
            bad(("ports", i, "outbound", "prefix"), "a trunk that dials pulses cannot dial * or #")

    def check_action(path, act):
        kind = act["action"]
        if kind == "menu" and act["menu"] not in menus:
            bad(path + ("menu",), f"no menu {act['menu']!r} in ivr.menus")
        if kind == "queue" and act["queue"] not in queues:
            bad(path + ("queue",), f"no queue {act['queue']!r} in queues")
        if kind == "operator" and "operator" not in ivr:
            bad(path + ("action",), "operator, but no operator queue (ivr.operator)")
        for key in act:
            if key != "action" and key not in S.ACTION_FIELDS[kind]:
                bad(path + (key,), f"not used by action {kind!r}")

    for path, act in all_actions(data):
        check_action(path, act)
    cbq = data.get("callbacks", {}).get("queue")
    if cbq is not None and cbq not in queues:
        bad(("callbacks", "queue"), f"no queue {cbq!r} in queues")
    for loop in overflow_loops(data):
        act = queues[loop[0]]["overflow"]
        key = "queue" if act["action"] == "queue" else "action"
        bad(("queues", loop[0], "overflow", key), "overflows in a loop: " + " -> ".join(loop))

    for loop in silent_loops(data):
        fb = menus[loop[0]]["fallback"]
        key = "menu" if fb["action"] == "menu" else "action"
        bad(("ivr", "menus", loop[0], "fallback", key),
            "a caller who keys nothing goes round these menus for good: " + " -> ".join(loop))
    limit_then = ivr.get("limit", {}).get("then")
    if limit_then is not None and limit_then["action"] not in S.LIMIT_ACTIONS:
        bad(("ivr", "limit", "then", "action"), f"{limit_then['action']!r} would keep the caller in the menus "
            f"(one of {', '.join(S.LIMIT_ACTIONS)})")

    # Queues: someone can take each one's calls (an agent holding all of its skills); a queue's
    # extension (a blind transfer's digits) is nobody else's.
    for qname, q in queues.items():
        qext = q.get("extension")
        if qext is not None:
            if qext in seen_ext:
                bad(("queues", qname, "extension"), f"extension {qext} is already used by ports[{seen_ext[qext]}]")
            for other, q2 in queues.items():
                if other < qname and q2.get("extension") == qext:
                    bad(("queues", qname, "extension"), f"extension {qext} is already used by queue {other!r}")
        if not agent_skills:
            bad(("queues", qname), "no agent can take its calls (no fxs port has an agent)")
            continue
        want = q.get("skills", [])
        unknown = [j for j, skill in enumerate(want) if skill not in skills]
        for j in unknown:
            bad(("queues", qname, "skills", j), f"no agent has skill {want[j]!r}")
        if not unknown and not any(set(want) <= have for have in agent_skills):
            bad(("queues", qname, "skills"), f"no agent has all of {', '.join(want)}")

    # Prompts: every one used is listed, every listed file is a WAV we can read.
    prompts = data["prompts"]
    for path, name in referenced_prompts(data):
        if name not in prompts:
            bad(path, f"no prompt {name!r} in prompts")
    if check_prompts:
        for name, rel in prompts.items():
            p = folder / rel
            try:
                wav = read_wav(p)
            except WavError as e:
                bad(("prompts", name), f"{rel}: not a WAV file callgate reads ({str(e).split(': ', 1)[-1]})")
            except OSError as e:
                bad(("prompts", name), f"{rel}: cannot read it ({e.strerror or e})")
            else:
                if wav.frames == 0:
                    bad(("prompts", name), f"{rel}: no audio (0 frames)")

    # Survey and recording.
    survey = data.get("survey")
    if survey:
        _unique_ids(survey["questions"], ("survey", "questions"), bad)
        for i, q in enumerate(survey["questions"]):
            lo, hi = q.get("min", S.SURVEY_MIN), q.get("max", S.SURVEY_MAX)
            if lo > hi:
                bad(("survey", "questions", i), f"min {lo} is above max {hi}")
    quality = data.get("quality")
    if quality:
        _unique_ids(quality["criteria"], ("quality", "criteria"), bad)
    rec = data.get("recording")
    if rec and rec["mode"] == "sample" and "sample_percent" not in rec:
        bad(("recording",), "mode sample needs sample_percent")

    # Agents: codes unique, none the start of another (the phone could never reach it).
    agents = data.get("agents", {})
    codes = dict(build_codes(), **agents.get("feature_codes", {}))
    for f, code in codes.items():
        for g, other in codes.items():
            if f != g and other.startswith(code) and (code != other or f < g):
                where = ("agents", "feature_codes", f if f in agents.get("feature_codes", {}) else g)
                bad(where, f"feature code {code} of {f} is {'also' if code == other else 'the start of'} "
                    f"{g}'s {other}")
    # The outside prefix (keyed after a hook flash, then a number and #): no extension or
    # feature code begins like it, nor it like one (one of the two could never be reached).
    prefix = agents.get("outside_prefix")
    if prefix is not None:
        others = [(e, f"the extension {e} of ports[{i}]") for e, i in seen_ext.items()]
        others += [(q["extension"], f"the extension {q['extension']} of queue {n!r}")
                   for n, q in queues.items() if "extension" in q]
        others += [(code, f"feature code {code} of {f}") for f, code in codes.items()]
        for other, what in others:
            if other.startswith(prefix) or prefix.startswith(other):
                bad(("agents", "outside_prefix"), f"outside prefix {prefix} and {what} begin alike: "
                    "one would never be reached")
        if not agents.get("flash_ms"):
            bad(("agents", "outside_prefix"), "an outside prefix needs the hook flash (agents.flash_ms above 0)")
    # Supervisors: someone to supervise (their codes are checked with the others' below).
    if supervisors and len(seen_ext) < 2:
        bad(("ports", supervisors[0], "agent", "supervisor"), "a supervisor, but no other agent to supervise")
    for key in ("pause_reasons", "dispositions"):
        seen_code, seen_name = {}, {}
        for j, r in enumerate(agents.get(key, [])):
            if r["code"] in seen_code:
                bad(("agents", key, j, "code"), f"code {r['code']} is already used by {key}[{seen_code[r['code']]}]")
            elif any(c.startswith(r["code"]) or r["code"].startswith(c) for c in seen_code):
                bad(("agents", key, j, "code"), f"code {r['code']} and another begin alike: one would never be reached")
            seen_code.setdefault(r["code"], j)
            if r["name"] in seen_name:
                bad(("agents", key, j, "name"), f"name {r['name']!r} is already used by {key}[{seen_name[r['name']]}]")
            seen_name.setdefault(r["name"], j)
            if key == "pause_reasons" and r["name"] == S.AUTO_PAUSE_REASON:
                bad(("agents", key, j, "name"), f"{S.AUTO_PAUSE_REASON!r} is the board's own reason (auto_pause)")

    # Business hours: ranges in order, no overlap within a day; closed dates real dates.
    hours = data.get("hours")
    if hours:
        for day, ranges in hours["weekly"].items():
            spans = []
            for j, r in enumerate(ranges):
                a, b = (_minutes(x) for x in r.split("-"))
                if a >= b:
                    bad(("hours", "weekly", day, j), f"{r}: the range ends before it starts")
                    continue
                for a2, b2, j2 in spans:
                    if a < b2 and a2 < b:
                        bad(("hours", "weekly", day, j), f"{r} overlaps {ranges[j2]}")
                spans.append((a, b, j))
        for j, d in enumerate(hours.get("closed", [])):
            try:
                datetime.date.fromisoformat(d)
            except ValueError:
                bad(("hours", "closed", j), f"{d!r} is not a date")
    return out, board


def build_codes():
    from .build import DEFAULT_CODES

    return dict(DEFAULT_CODES)


def load_site(path, boards_dir=None, check_prompts=True) -> Site:
    """Read, validate and cross-check a site file; SiteError lists every problem."""
    from .. import runtime

    boards_dir = pathlib.Path(boards_dir) if boards_dir is not None else runtime.BOARDS
    file = os.fspath(path)
    with open(path, "rb") as f:
        raw = f.read(MAX_SITE_BYTES + 1)
    if len(raw) > MAX_SITE_BYTES:
        raise SiteError([(file, 1, "", f"larger than {MAX_SITE_BYTES} bytes")])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise SiteError([(file, line, "", "not UTF-8 text")]) from None
    return check_text(text, file, pathlib.Path(path).parent, boards_dir, check_prompts)


def check_text(text, file, folder, boards_dir, check_prompts=True) -> Site:
    """As load_site, from the text of a site file whose prompts are relative to folder."""
    try:
        doc = load(text)
    except LoadError as e:
        raise SiteError([(file, e.line, "", e.msg)]) from None
    if not isinstance(doc.data, dict):
        raise SiteError([(file, 1, "", "a site file is a mapping (site:, board:, ports: ...)")])
    problems = schema_problems(doc, file)
    if problems:
        raise SiteError(problems)
    problems, board = _cross_problems(doc, file, pathlib.Path(folder), boards_dir, check_prompts)
    if problems:
        raise SiteError(problems)
    site = Site(pathlib.Path(folder) / pathlib.Path(file).name, doc.data, board)
    site.doc = doc
    return site


def _unique_ids(items, path: tuple, bad) -> None:
    """Each item's "id" used once in the list at path (e.g. survey questions): a repeat is said
    at its own id, naming the item that has it first."""
    first = {}
    for i, item in enumerate(items):
        if item["id"] in first:
            bad(path + (i, "id"), f"id {item['id']!r} is already used by {path[-1]}[{first[item['id']]}]")
        first.setdefault(item["id"], i)
