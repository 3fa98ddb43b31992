"""The agents on a board: their states, changing them, and the record of their day.

    callgate --port P agents [--json]                 every agent: state, reason, time in state, calls today
    callgate --port P agent login|logout|ready EXT    log in (ready), log out, become ready
    callgate --port P agent pause EXT REASON          pause with one of the site's reasons
    callgate --port P agent-log pull [--format csv|json] [-o FILE|-]   every interval of every agent
                                                      (the ones still going: "open", up to now)

These are the board's agents (the site's FXS ports), as agents at their phones change them too
with feature codes (docs/callcenter.md). `callgate sim agent ...` is another thing: it sets how
the virtual board's simulated phone behaves (answers after N ms, talks M ms).
"""

import argparse

from ..callcenter import agentlog
from ..firmware.link import messages
from ..firmware.link.errors import RemoteError
from ..link.files import RemoteFiles
from ._board import add_link_arguments, add_pull_command, board_link
from .errors import UsageError
from .output import emit, pull_records


def extension(text: str) -> str:
    """An agent's extension: 2 to 6 digits (as the site file has them)."""
    if not (text.isdigit() and text.isascii() and 2 <= len(text) <= 6):
        raise argparse.ArgumentTypeError(f"{text!r} is not an extension (2 to 6 digits)")
    return text


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("agents", help="the board's agents: state, reason, time in state, calls today",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_link_arguments(p)
    p.set_defaults(func=run_agents)

    g = subparsers.add_parser("agent", help="log an agent in or out, make them ready, pause them",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = g.add_subparsers(dest="agent_command", metavar="COMMAND", required=True)
    for do, what in (("login", "log the agent in (ready)"), ("logout", "log the agent out"),
                     ("ready", "make the agent ready for calls")):
        s = sub.add_parser(do, help=what, description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
        s.add_argument("ext", metavar="EXT", type=extension, help="the agent's extension")
        add_link_arguments(s)
        s.set_defaults(func=run_agent, do=do, reason=None)
    s = sub.add_parser("pause", help="pause the agent with a reason of the site's", description=__doc__,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    s.add_argument("ext", metavar="EXT", type=extension, help="the agent's extension")
    s.add_argument("reason", metavar="REASON", help="one of the site's pause reasons (agents.pause_reasons)")
    add_link_arguments(s)
    s.set_defaults(func=run_agent, do="pause")

    p, _ = add_pull_command(subparsers, "agent-log", "agent-state records from a board (CSV or JSON)",
                            "read every agent-state interval the board holds", __doc__, run_pull)
    p.add_argument("--format", choices=("csv", "json"),
                   help="default: json for a .json FILE or with --json, else csv")
    p.add_argument("-o", "--output", metavar="FILE", help="write here (default, or -: standard output)")


def _duration(ms) -> str:
    s = max(0, int(ms // 1000))
    h, rest = divmod(s, 3600)
    return f"{h}:{rest // 60:02d}:{rest % 60:02d}" if h else f"{rest // 60}:{rest % 60:02d}"


def line(a, now) -> str:
    state = a["state"] + (f" ({a['reason']})" if a.get("reason") else "")
    after = ""
    if a.get("base") and a["state"] not in ("ready", "paused", "logged-out") and a["base"] != "ready":
        after = f", then {a['base']}" + (f" ({a['base_reason']})" if a.get("base_reason") else "")
    return (f"agent {a['ext']} {a.get('name') or ''} (port {a['port']}): {state} for {_duration(now - a['since'])}"
            f"{after}, {a.get('today', 0)} call(s) today")


def run_agents(args) -> int:
    with board_link(args) as c:
        st = c.request(messages.OP_AGENTS)
    now = st["now"]
    agents = [dict(a, in_state_s=round((now - a["since"]) / 1000, 3)) for a in st["agents"]]
    emit(args, {"now": now, "agents": agents},
         [line(a, now) for a in agents] or ["no agents (the board has no site, or its site has no agents)"])
    return 0


def run_agent(args) -> int:
    with board_link(args) as c:
        try:
            a = c.request(messages.OP_AGENT, {"ext": args.ext, "do": args.do, "reason": args.reason})
        except RemoteError as e:
            raise UsageError(f"agent {args.do} {args.ext}: {e.message or e}") from None
        now = c.request(messages.OP_AGENTS)["now"]
    emit(args, a, line(a, now))
    return 0


def run_pull(args) -> int:
    def fetch():
        with board_link(args) as c:
            intervals, bad = agentlog.fetch(RemoteFiles(c))
            return agentlog.sort(intervals + agentlog.open_intervals(c.request(messages.OP_AGENTS))), bad

    pull_records(args, fetch, agentlog.to_text, "intervals", "interval(s)")
    return 0
