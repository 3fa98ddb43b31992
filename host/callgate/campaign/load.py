"""Read and check a campaign file, its contacts and its do-not-call lists.

    c = load_campaign("campaigns/autumn.yaml", site=load_site("sites/demo/site.yaml"))
    c.contacts      # [Contact(line, number, offset_min, name, extra)], in the file's order
    c.dnc           # {number: (file, line)}
    c.skipped       # the contacts on a do-not-call list: never sent to the board

Every problem is a (file, line, field, message) in CampaignError.problems, printed as
`FILE:LINE: FIELD: message` like a site file's, all of them at once. The contacts CSV's first
line names its columns (any case): `number` (or `phone`, required), `name`, `utc_offset`
("+08:00": the callee's time, else the campaign's `utc_offset`); others are kept with the
contact for the results. A number is written as the trunk dials it: digits, `*` and `#`, with
spaces, dashes, dots and brackets allowed between them (dropped); a `+` is refused, since the
international prefix depends on the trunk's country. A number on two rows is a problem: it
would be called twice. A do-not-call file holds one number per line (blank lines and `#`
comments allowed).
"""

import csv
import os
import pathlib
import re
from dataclasses import dataclass, field

import jsonschema

from ..firmware.campaigns import NUMBER_WIDTH
from ..site.check import _minutes, field_name, format_problem, schema_problems
from ..site.yamlpos import LoadError, load
from . import schema as S

MAX_FILE_BYTES = 1 << 20
MAX_LIST_BYTES = 8 << 20
_DROP = re.compile(r"[\s\-./()\[\]]")
_DIALABLE = re.compile(r"[0-9*#]{1,%d}" % NUMBER_WIDTH)
_VALIDATOR = jsonschema.Draft202012Validator(S.SCHEMA)


class CampaignError(ValueError):
    """An invalid campaign; .problems is a list of (file, line, field, message)."""

    def __init__(self, problems):
        self.problems = sorted(problems, key=lambda p: (p[0], p[1], p[2]))
        super().__init__("\n".join(format_problem(*p) for p in self.problems))


@dataclass
class Contact:
    line: int
    number: str
    offset_min: int
    name: str = ""
    extra: dict = field(default_factory=dict)


@dataclass
class Campaign:
    path: pathlib.Path
    data: dict
    contacts: list
    dnc: dict
    skipped: list

    @property
    def name(self) -> str:
        return self.data["campaign"]

    @property
    def kind(self) -> str:
        return self.data["kind"]


def dialable(text) -> str:
    """The number as the trunk dials it, or ValueError saying why it is not one."""
    s = _DROP.sub("", str(text or ""))
    if s.startswith("+"):
        raise ValueError(f"{text!r}: write the number as the trunk dials it, with its international prefix "
                         "(e.g. 00...), not +")
    if not _DIALABLE.fullmatch(s):
        raise ValueError(f"{text!r} is not a number to dial (digits, * and #, up to {NUMBER_WIDTH})")
    return s


def offset_minutes(text) -> int:
    """"+08:00" -> 480; ValueError for anything else."""
    m = re.fullmatch(r"([+-])([01][0-9]|2[0-3]):([0-5][0-9])", str(text).strip())
    if not m:
        raise ValueError(f"{text!r} is not a UTC offset like +08:00 or -05:00")
    return (1 if m.group(1) == "+" else -1) * (int(m.group(2)) * 60 + int(m.group(3)))


def _read_text(path, limit, problems, at):
    """The text of a file, or None with a problem said where the file is named (at: file,
    line, field)."""
    file, line, fld = at
    try:
        with open(path, "rb") as f:
            raw = f.read(limit + 1)
    except OSError as e:
        problems.append((file, line, fld, f"{path}: {e.strerror}"))
        return None
    if len(raw) > limit:
        problems.append((file, line, fld, f"{path}: larger than {limit} bytes"))
        return None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        problems.append((os.fspath(path), raw[: e.start].count(b"\n") + 1, "", "not UTF-8 text"))
        return None


def _contacts(path, at, default_offset, problems):
    text = _read_text(path, MAX_LIST_BYTES, problems, at)
    if text is None:
        return []
    file = os.fspath(path)
    reader = csv.reader(text.splitlines())
    header = next(reader, None)
    cols = [h.strip().lower() for h in header or []]
    number_col = next((i for i, c in enumerate(cols) if c in ("number", "phone")), None)
    if number_col is None:
        problems.append((file, 1, "", "the first line must name the columns, one of them `number` (or `phone`)"))
        return []
    out, seen = [], {}
    for cells in reader:
        line = reader.line_num
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(cols):
            problems.append((file, line, "", f"{len(cells)} cells, the header has {len(cols)}"))
            continue
        row = dict(zip(cols, (c.strip() for c in cells)))
        try:
            number = dialable(cells[number_col])
            offset = offset_minutes(row["utc_offset"]) if row.get("utc_offset") else default_offset
        except ValueError as e:
            problems.append((file, line, "", str(e)))
            continue
        if number in seen:
            problems.append((file, line, "", f"{number} is on line {seen[number]} too: it would be called twice"))
            continue
        seen[number] = line
        extra = {k: v for k, v in row.items() if k not in ("number", "phone", "name", "utc_offset")}
        out.append(Contact(line, number, offset, row.get("name", ""), extra))
    if len(out) > S.MAX_CONTACTS:
        problems.append((file, 1, "", f"{len(out)} contacts; at most {S.MAX_CONTACTS} in one campaign"))
    return out


def _dnc(path, at, problems, into):
    text = _read_text(path, MAX_LIST_BYTES, problems, at)
    if text is None:
        return
    for n, raw in enumerate(text.splitlines(), 1):
        s = raw.split("#", 1)[0].strip()
        if not s:
            continue
        try:
            into.setdefault(dialable(s), (os.fspath(path), n))
        except ValueError as e:
            problems.append((os.fspath(path), n, "", str(e)))


def load_campaign(path, site=None) -> Campaign:
    """Read and check a campaign file; with site (a site.Site), its prompts and queue too."""
    file = os.fspath(path)
    folder = pathlib.Path(path).parent
    problems = []
    with open(path, "rb"):  # a file that is not there is OSError, as for a site file
        pass
    text = _read_text(path, MAX_FILE_BYTES, problems, (file, 1, ""))
    if text is None:
        raise CampaignError(problems)
    try:
        doc = load(text)
    except LoadError as e:
        raise CampaignError([(file, e.line, "", e.msg)]) from None
    if not isinstance(doc.data, dict):
        raise CampaignError([(file, 1, "", "a campaign file is a mapping (campaign:, kind:, contacts: ...)")])
    problems = schema_problems(doc, file, _VALIDATOR)
    if problems:
        raise CampaignError(problems)
    d = doc.data
    mine = S.SECTION[d["kind"]]
    if mine not in d:
        problems.append((file, doc.line_of(("kind",)), mine, f"missing: kind {d['kind']} needs it (what its calls do)"))
    for other in set(S.SECTION.values()) - {mine}:
        if other in d:
            problems.append((file, doc.line_of((other,)), other, f"not for kind {d['kind']}"))
    start, end = (d.get("window") or S.DEFAULT_WINDOW).split("-")
    if _minutes(start) >= _minutes(end):
        problems.append((file, doc.line_of(("window",)), "window", f"{d['window']} ends before it starts"))
    for i, q in enumerate(d.get("survey", {}).get("questions", [])):
        if q.get("min", 1) > q.get("max", 5):
            problems.append((file, doc.line_of(("survey", "questions", i)), f"survey.questions[{i}]",
                             "min is more than max"))
    if site is not None:
        problems += _site_problems(doc, file, site)
    default_offset = offset_minutes(d.get("utc_offset", "+00:00"))
    contacts = _contacts(folder / d["contacts"], (file, doc.line_of(("contacts",)), "contacts"),
                         default_offset, problems)
    dnc = {}
    for i, name in enumerate(d.get("do_not_call", [])):
        _dnc(folder / name, (file, doc.line_of(("do_not_call", i)), f"do_not_call[{i}]"), problems, dnc)
    if problems:
        raise CampaignError(problems)
    return Campaign(pathlib.Path(path), d, [c for c in contacts if c.number not in dnc], dnc,
                    [c for c in contacts if c.number in dnc])


def _site_problems(doc, file, site):
    out = []
    prompts = site.data.get("prompts", {})
    d = doc.data
    sec = S.SECTION[d["kind"]]
    body = d.get(sec, {})
    named = [((sec, k), v) for k, v in body.items() if k.endswith("prompt")]
    named += [((sec, "questions", i, "prompt"), q["prompt"]) for i, q in enumerate(body.get("questions", []))]
    for where, name in named:
        if name not in prompts:
            out.append((file, doc.line_of(where), field_name(where), f"no prompt {name!r} in the site {site.data['site']}"))
    q = body.get("queue") if d["kind"] == "agent-connected" else None
    if q is not None and q not in site.data.get("queues", {}):
        out.append((file, doc.line_of((sec, "queue")), f"{sec}.queue", f"no queue {q!r} in the site {site.data['site']}"))
    return out

