"""`callgate --port P cdr pull` and `callgate --port P recordings pull`: records off a board;
`callgate recordings sample`: calls to review.

    callgate --port P cdr pull [--format csv|json] [-o FILE|-] # every cdr/*.log, by arrival
    callgate --port P recordings pull [DIR]                    # rec/ files not yet in DIR
    callgate recordings sample calls.json --per-agent 3 --seed 7 [--min-talk-s 30] [--since ISO]
                               [--until ISO] [--reviewed FILE] [-o sample.json|-]

Call records are read line by line (CRC-32 + JSON, docs/callcenter.md); a bad line is skipped
with one line on standard error naming the file, the line number and why (crc mismatch, not
JSON, truncated). CSV has a fixed column order with ISO-8601 UTC times and the computed
wait_s and talk_s; JSON is the list of records as the board stored them (--json without -o
prints that; with -o FILE, --json prints a summary). Recordings are
fetched only when DIR lacks a file with the board's sha256, checked, written atomically, and
listed in DIR/index.json.
"""

import argparse
import json
import sys

from ..deploy.deploy import Progress
from ..link.files import RemoteFiles
from ..callcenter import cdr, recordings
from ._board import add_pull_command, board_link
from . import validate
from .output import emit, is_stdout, pull_records, wants_json, write_output


def add_parser(subparsers) -> None:
    p, _ = add_pull_command(subparsers, "cdr", "call records from a board (CSV or JSON)",
                         "read every call record the board holds", __doc__, run_cdr_pull)
    p.add_argument("--format", choices=("csv", "json"),
                   help="default: json for a .json FILE or with --json, else csv")
    p.add_argument("-o", "--output", metavar="FILE", help="write here (default, or -: standard output)")
    p, group = add_pull_command(subparsers, "recordings", "recordings and voicemails from a board",
                         "download the recordings DIR does not have", __doc__, run_recordings_pull)
    p.add_argument("dir", nargs="?", default="recordings", help="where (default ./recordings)")
    s = group.add_parser("sample", help="draw recorded calls for quality review, N per agent at random",
                         description=SAMPLE_DOC, formatter_class=argparse.RawDescriptionHelpFormatter)
    s.add_argument("cdr", metavar="CDRFILE", help="call records (`cdr pull`): .csv or .json")
    s.add_argument("--per-agent", type=validate.whole(least=1), required=True, metavar="N", help="calls per agent")
    s.add_argument("--seed", type=validate.whole(), required=True, help="the draw's seed (write it down: it repeats the draw)")
    s.add_argument("--min-talk-s", type=validate.number(least=0, unit="s"), default=0.0, metavar="S", help="only calls with at least S seconds of talk")
    s.add_argument("--since", metavar="ISO", help="only calls that arrived at or after this time (ISO 8601)")
    s.add_argument("--until", metavar="ISO", help="only calls that arrived before this time")
    s.add_argument("--reviewed", metavar="FILE", help="ids of calls already reviewed, one per line: left out")
    s.add_argument("-o", "--output", metavar="FILE",
                   help="write the sample and how it was drawn (JSON) here (default, or -: standard output)")
    s.set_defaults(func=run_sample)


def run_cdr_pull(args) -> int:
    def fetch():
        with board_link(args) as c:
            return cdr.fetch(RemoteFiles(c))

    pull_records(args, fetch, cdr.to_text, "records", "call record(s)")
    return 0


def run_recordings_pull(args) -> int:
    json_out = getattr(args, "json", False)
    with board_link(args) as c:
        quiet = json_out or not sys.stderr.isatty()
        progress = Progress(0, None if quiet else sys.stderr)
        r = recordings.pull(RemoteFiles(c), args.dir, progress=progress)
        progress.end()
    for b in r["bad"]:
        print(f"callgate: skipped {b}", file=sys.stderr)
    for f in r["failed"]:
        print(f"callgate: {f}: the copy read never matched the board's sha256; not written", file=sys.stderr)
    emit(args, dict(r, bad=[str(b) for b in r["bad"]]),
         f"{args.dir}: {r['entries']} recording(s) on the board: {len(r['pulled'])} pulled "
         f"({r['bytes'] / 1000:.1f} kB), {len(r['have'])} already here, {len(r['missing'])} no longer on the board"
         + (f", {len(r['failed'])} failed" if r["failed"] else ""))
    return 1 if r["failed"] else 0


SAMPLE_DOC = """`callgate recordings sample CDRFILE --per-agent N --seed S [filters] [-o FILE]`: a quality
review sample. Eligible: calls an agent answered that have a recording, at least --min-talk-s of
talk, arrived in [--since, --until), and are not listed in --reviewed. N per agent are drawn at
random with the seed; the output (JSON) holds the chosen call records and the record of the draw
(filters, seed, per agent how many were eligible and which were chosen), so the draw can be
checked and repeated.
"""


def run_sample(args) -> int:
    from ..callcenter import sampling

    records = cdr.load(args.cdr)
    reviewed = ()
    if args.reviewed:
        with open(args.reviewed, encoding="utf-8") as f:
            reviewed = [line.strip() for line in f if line.strip()]
    since, until = _time("--since", args.since), _time("--until", args.until)
    s = sampling.draw(records, args.per_agent, args.seed, args.min_talk_s, since, until, reviewed)
    write_output(args.output or "-", json.dumps(s, indent=1, ensure_ascii=False) + "\n")
    lines = [f"agent {agent}: {len(a['chosen'])} of {a['eligible']} eligible: {' '.join(a['chosen'])}"
             for agent, a in s["drawn"]["agents"].items()]
    if args.output is None or is_stdout(args.output):
        # The sample (JSON) is on standard output: the summary goes to standard error, as text.
        for line in lines:
            print(line, file=sys.stderr)
    else:
        emit(args, {"output": args.output, "agents": {agent: {"eligible": a["eligible"], "chosen": a["chosen"]}
                                                      for agent, a in s["drawn"]["agents"].items()}},
             lines, to_stderr=not wants_json(args))
    return 0


def _time(option, text):
    try:
        return cdr.from_iso(text) if text else None
    except ValueError:
        raise ValueError(f"{option} {text!r} is not an ISO 8601 time (e.g. 2026-11-23T10:00+08:00)") from None
