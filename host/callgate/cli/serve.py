"""`callgate serve`: the operations center (docs/ops.md) — boards in, a store, a web app out.

    callgate serve --port /dev/ttyUSB0 [--port socket://host:7000 ...] [--db sqlite:///ops.db | postgresql://...]
                   [--listen 127.0.0.1:8080] [--site site.yaml] [--target 20] [--sl-alarm 0.8] [--wait-alarm 60]

Each --port is a board's link (as for every other command); events and call records from
all of them land in one store (--db; default: ops.db in the data folder, named at start). It
listens on 127.0.0.1 unless --listen names another address. Users come from `callgate users
add`; customers from `callgate customers import`; the reviewers' scorecard from the `quality`
section of the site file given with --site.
"""

import argparse
import os
import sys

from . import validate
from ._board import add_link_arguments
from .output import emit


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("serve", help="the operations center: wallboard, agent pages, call list, JSON API",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--port", dest="boards", action="append", default=[], metavar="PORT",
                   help="a board's link (repeat for several boards; default: the global --port / $CALLGATE_PORT)")
    add_db_argument(p)
    p.add_argument("--listen", type=listen_address, default="127.0.0.1:8080", metavar="HOST:PORT",
                   help="where the web app listens (default 127.0.0.1:8080)")
    p.add_argument("--site", metavar="FILE",
                   help="the site file (site.yaml) whose `quality` section is the reviewers' scorecard")
    p.add_argument("--target", type=validate.number(above=0, unit="s"), default=20, metavar="S",
                   help="service-level target, seconds (default 20)")
    p.add_argument("--sl-alarm", type=validate.probability, default=0.8, metavar="F",
                   help="alarm when the service level falls below this share (default 0.8)")
    p.add_argument("--wait-alarm", type=validate.number(above=0, unit="s"), default=60, metavar="S",
                   help="alarm when a caller has waited longer than S seconds (default 60)")
    add_link_arguments(p)
    p.set_defaults(func=run)


def add_db_argument(p) -> None:
    p.add_argument("--db", metavar="URL", help="the store: sqlite:///PATH or postgresql://[USER@]HOST[:PORT]/DB "
                                              "(default: ops.db in the data folder: $CALLGATE_DATA or "
                                              "~/.local/share/callgate)")


def open_store(args):
    from ..ops.store import Store, default_url, shown

    url = args.db or default_url()
    return Store.open(url), shown(url)


def parse_listen(text: str) -> tuple:
    host, sep, port = text.rpartition(":")
    if not sep:
        host, port = "127.0.0.1", text
    try:
        n = int(port)
        if not 0 <= n < 65536:
            raise ValueError
    except ValueError:
        raise ValueError(f"{text!r} is not HOST:PORT (e.g. 127.0.0.1:8080)") from None
    return host.strip("[]") or "127.0.0.1", n


def listen_address(text: str) -> str:
    """argparse type of --listen: the text, once parse_listen() takes it."""
    try:
        parse_listen(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None
    return text


def run(args) -> int:
    from aiohttp import web

    from ..ops.ingest import BoardIngest
    from ..ops.live import Floor
    from ..ops.web import build_app

    host, port = parse_listen(args.listen)
    boards = args.boards or ([args.port] if getattr(args, "port", None) else [])
    if not boards:
        raise ValueError("no board: give --port PORT (once per board)")
    card = None
    if args.site:
        from ..ops.quality import scorecard

        card = scorecard(args.site)  # SiteError (file:line) for a bad site, before the store is opened
        if card is None:
            raise ValueError(f"--site {args.site}: no quality section (the scorecard's criteria and weights)")
    store, store_url = open_store(args)
    say = lambda msg: print(f"callgate serve: {msg}", file=sys.stderr, flush=True)  # noqa: E731
    say(f"store {store_url} (schema version {store.version()}, {store.call_count()} call record(s))")
    if not store.users():
        say("no users yet: add one with `callgate users add NAME --role admin`")
    floor = Floor()
    recordings = os.path.join(store.folder, "recordings")
    say(f"recordings in {recordings}")
    ingests = [BoardIngest(p, store, floor, log=say, timeout=args.timeout, recordings=recordings) for p in boards]
    app = build_app(store, floor, target_s=args.target, sl_alarm=args.sl_alarm, wait_alarm_s=args.wait_alarm,
                    recordings=recordings, card=card)

    async def start(app):
        for i in ingests:
            i.start()

    async def stop(app):
        for i in ingests:
            i.stop()

    app.on_startup.append(start)
    app.on_cleanup.append(stop)
    say(f"boards: {', '.join(boards)}")
    url = f"http://{host}:{port}/"
    started = {"url": url, "store": store_url, "boards": boards, "recordings": recordings}
    web.run_app(app, host=host, port=port, shutdown_timeout=1.0, access_log=None, handle_signals=True,
                print=lambda *_: emit(args, started, f"callgate serve: listening on {url}",
                                      to_stderr=not getattr(args, "json", False)))
    store.close()
    return 0
