"""Call records (CDRs): fetch them from a board, write them as CSV or JSON, read them back.

    with connect(port) as c:
        records, bad = fetch(RemoteFiles(c))     # every cdr/*.log, sorted by "arrived"
    write_csv(records, sys.stdout)               # COLUMNS, ISO-8601 UTC times
    records = load("calls.csv")                  # or .json: the records as stored

A CDR (docs/callcenter.md) holds Unix-millisecond times, null for the steps a call did not
take. JSON output is the list of records exactly as the board stored them; CSV flattens them
into COLUMNS: times as ISO-8601 UTC ("2026-11-23T09:15:02.120Z"), the IVR path as
"main:2>support:1", the queues as "sales>reception", the survey as "satisfaction=4;q2=5",
the supervisor's modes as "203:listen:1.74;203:barge:3" (extension:mode:seconds), a
transferred call's legs and transfers as JSON, null as an empty cell, plus two computed columns, wait_s and talk_s (stats.py). load() turns
such a CSV back into records (computed columns dropped), so `callgate report` reads either.
"""

import csv
import datetime
import io
import json

from ..firmware import cdr as board
from .lines import fetch_folder
from .stats import talk_s, wait_s

FOLDER = "cdr"

# The record's layout is the board's (firmware/callgate/cdr.py); CSV leaves out its "v" (the
# layout version) and "cid" (the caller-ID status), has a column for each field a record has
# only when it happened (board.EXTRA: an empty cell when it did not; recording_cut is "true"),
# and adds the computed columns.
NOT_IN_CSV = ("v", "cid")
COMPUTED = ("wait_s", "talk_s")
EXTRA = board.EXTRA
COLUMNS = [f for f in board.FIELDS if f not in NOT_IN_CSV] + list(EXTRA) + list(COMPUTED)
TIMES = board.TIMES
INTS = ("port", "offered", "wrap_s")
JSON_CELLS = ("legs", "transfers", "campaign_answers")  # JSON in the cell


def fetch(fs, folder: str = FOLDER, progress=None) -> tuple:
    """(records sorted by arrival, bad lines) of every *.log in the board's cdr/ folder.
    A board without the folder has no records. fs: a link.files.RemoteFiles."""
    records, bad = fetch_folder(fs, folder, progress)
    return sort(records), bad


def sort(records) -> list:
    return sorted(records, key=lambda r: (r.get("arrived") is None, r.get("arrived") or 0, str(r.get("id"))))


def iso(ms) -> str:
    """Unix ms -> "2026-11-23T09:15:02.120Z" ("" for None)."""
    if ms is None:
        return ""
    t = datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def from_iso(text: str):
    """The inverse of iso(): Unix ms, or None for ""."""
    if not text:
        return None
    t = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if t.tzinfo is None:
        t = t.replace(tzinfo=datetime.timezone.utc)
    return round(t.timestamp() * 1000)


def _num(x):
    if x is None:
        return ""
    return f"{x:.3f}".rstrip("0").rstrip(".") if isinstance(x, float) else str(x)


def row(rec) -> dict:
    """One record as CSV cells (strings), COLUMNS as keys."""
    out = {}
    for col in COLUMNS:
        v = rec.get(col)
        if col in TIMES:
            out[col] = iso(v)
        elif col == "ivr":
            out[col] = ">".join(f"{m}:{k}" for m, k in (v or []))
        elif col == "queues":
            out[col] = ">".join(v or [])
        elif col == "survey":
            out[col] = ";".join(f"{q}={a}" for q, a in (v or {}).items())
        elif col == "supervised":
            out[col] = ";".join(f"{s['ext']}:{s['mode']}:{_num(s['ms'] / 1000)}" for s in (v or []))
        elif col in JSON_CELLS:
            out[col] = json.dumps(v, separators=(",", ":")) if v else ""
        elif col == "wait_s":
            out[col] = _num(wait_s(rec))
        elif col == "talk_s":
            out[col] = _num(talk_s(rec))
        elif isinstance(v, bool):
            out[col] = "true" if v else "false"
        else:
            out[col] = "" if v is None else (_num(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else str(v))
    return out


def unrow(cells: dict) -> dict:
    """The inverse of row() (computed columns dropped; "" is None, or no such key for an EXTRA
    field)."""
    rec = {}
    for col in COLUMNS:
        if col in COMPUTED:
            continue
        v = cells.get(col) or ""
        if col in EXTRA:
            if v and col == "supervised":
                rec[col] = [{"ext": e, "mode": m, "ms": round(float(s) * 1000)}
                            for e, m, s in (p.split(":") for p in v.split(";"))]
            elif v and col in JSON_CELLS:
                rec[col] = json.loads(v)
            elif v:
                rec[col] = v == "true" if col in ("recording_cut", "abandoned") else (
                    int(v) if col in ("attempt", "contact") else v)
        elif col in TIMES:
            rec[col] = from_iso(v)
        elif col == "ivr":
            rec[col] = [list(step.rsplit(":", 1)) for step in v.split(">")] if v else []
        elif col == "queues":
            rec[col] = v.split(">") if v else []
        elif col == "survey":
            rec[col] = {q: _int_or_str(a) for q, _, a in (p.partition("=") for p in v.split(";"))} if v else None
        elif col in INTS:
            rec[col] = int(v) if v else None
        else:
            rec[col] = v or None
    return rec


def _int_or_str(a):
    try:
        return int(a)
    except ValueError:
        return a


def write_csv(records, out) -> None:
    w = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    w.writeheader()
    for r in records:
        w.writerow(row(r))


def write_json(records, out) -> None:
    json.dump(list(records), out, indent=1, ensure_ascii=False)
    out.write("\n")


def to_text(records, fmt: str) -> str:
    buf = io.StringIO()
    (write_csv if fmt == "csv" else write_json)(records, buf)
    return buf.getvalue()


def read_csv(f) -> list:
    return [unrow(cells) for cells in csv.DictReader(f)]


def load(path) -> list:
    """Records from a file `cdr pull` wrote: .csv, else JSON (a list of records). A file that
    is not one is a ValueError naming it and why."""
    path = str(path)
    csv_file = path.lower().endswith(".csv")
    try:
        with open(path, newline="" if csv_file else None, encoding="utf-8") as f:
            if csv_file:
                reader = csv.DictReader(f)
                if "id" not in (reader.fieldnames or ()) or "arrived" not in reader.fieldnames:
                    raise ValueError("not call records (its first line lacks the columns id and arrived)")
                return [unrow(cells) for cells in reader]
            data = json.load(f)
    except UnicodeDecodeError:
        raise ValueError(f"{path}: not call records (not UTF-8 text: a binary file?)") from None
    except json.JSONDecodeError as e:
        raise ValueError(f"{path}: not call records (not JSON: {e.msg} at line {e.lineno})") from None
    except ValueError as e:
        raise ValueError(f"{path}: {e}") from None
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise ValueError(f"{path}: not a list of call records")
    return data
