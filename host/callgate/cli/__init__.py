"""The `callgate` command: a table of command groups, each in its own module.

Every group module has `add_parser(subparsers)`, which registers its sub-commands and sets
`func` on each; `func(args)` returns the process exit code. A user error raises UsageError
(or one of the errors listed in errors.USER_ERRORS) and is printed as one line, never a
traceback. Results go through output.emit (text, or JSON with --json, which every command
takes before or after its name), output files through output.write_output, numbers through
validate's argparse types.
"""

import argparse
import os
import sys

from . import agents as agents_commands
from . import bootstrap as bootstrap_commands
from . import campaign as campaign_commands
from . import deploy as deploy_commands
from . import dial as dial_commands
from . import dsp as dsp_commands
from . import monitor as monitor_commands
from . import provision as provision_commands
from . import records as records_commands
from . import report as report_commands
from . import rig as rig_commands
from . import sim as sim_commands
from . import site as site_commands
from . import status as status_commands
from . import serve as serve_commands
from . import users as users_commands
from . import customers as customers_commands
from . import output
from .errors import USER_ERRORS, ParseError, UsageError  # noqa: F401 (UsageError: for the groups)

# name -> module; add a group by adding a line.
GROUPS = {
    "bootstrap": bootstrap_commands,
    "deploy": deploy_commands,
    "dsp": dsp_commands,
    "sim": sim_commands,
    "status": status_commands,
    "monitor": monitor_commands,
    "dial": dial_commands,  # one outbound call (docs/outbound.md)
    "campaign": campaign_commands,  # outbound campaigns (docs/outbound.md, Campaigns)
    "site": site_commands,
    "rig": rig_commands,
    "provision": provision_commands,  # provision, config pull
    "records": records_commands,  # cdr pull, recordings pull
    "agents": agents_commands,  # agents, agent login|logout|ready|pause, agent-log pull
    "report": report_commands,
    "serve": serve_commands,  # the operations center (docs/ops.md)
    "users": users_commands,
    "customers": customers_commands,
}


class Parser(argparse.ArgumentParser):
    """argparse, but a mistake is one line (no usage block) and goes through main(), so it is
    JSON under --json too."""

    def error(self, message):
        words = self.prog.split()[1:]  # the command: "dsp gen-dtmf"
        where = f"{' '.join(words)}: " if words else ""
        raise ParseError(f"{where}{message} (see {self.prog} --help)")


def commands(parser: argparse.ArgumentParser, path=()):
    """Every (path of words, parser) under parser, the group parsers included, depth first."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield (*path, name), sub
                yield from commands(sub, (*path, name))


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="callgate",
        description="A call center in a box: the DSP core on WAV files, the virtual board, "
                    "and the tools that talk to boards over their serial link.",
        epilog="--json (before or after the command) makes every command print JSON; "
               "an output path of - is standard output.")
    parser.add_argument("--json", action="store_true",
                        help="print machine-readable JSON (errors too: {\"error\": MESSAGE})")
    parser.add_argument(
        "--port",
        default=os.environ.get("CALLGATE_PORT"),
        help="the board's link: a serial port, the virtual board's pty, socket:// or rfc2217:// (default $CALLGATE_PORT)",
    )
    sub = parser.add_subparsers(dest="group", metavar="COMMAND", required=True, parser_class=Parser)
    for module in GROUPS.values():
        module.add_parser(sub)
    for _, p in commands(parser):
        # --json after the command too; SUPPRESS keeps `callgate --json CMD` working.
        if "--json" not in p._option_string_actions:
            p.add_argument("--json", action="store_true", default=argparse.SUPPRESS,
                           help="print machine-readable JSON")
    return parser


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else [str(a) for a in argv]
    json_out = "--json" in (argv[:argv.index("--")] if "--" in argv else argv)
    try:
        try:
            args = build_parser().parse_args(argv)
            json_out = output.wants_json(args)
            code = args.func(args) or 0
            output.flush_stdout()  # a full disk or a closed pipe shows here, not at exit
            return code
        except BrokenPipeError:
            raise
        except USER_ERRORS as exc:
            _report(output.error_text(exc), json_out)
            return 2
        except KeyboardInterrupt:
            return 130
    except BrokenPipeError:
        # The reader went away (`callgate ... | head`): stop quietly, as a Unix tool does.
        _drop_stdout()
        return 128 + 13  # as if killed by SIGPIPE


def _report(text: str, json_out: bool) -> None:
    """An error as one line: {"error": ...} on standard output with --json, else on standard
    error; on standard error after all when standard output cannot take it."""
    try:
        sys.stdout.flush()
        if json_out:
            print(output.to_json({"error": text}), flush=True)
            return
    except BrokenPipeError:
        raise  # no reader: main() ends quietly
    except OSError:
        _drop_stdout()
    print(f"callgate: error: {text}", file=sys.stderr, flush=True)


def _drop_stdout() -> None:
    """Point standard output at /dev/null, so what is still buffered for it cannot fail again
    when the interpreter exits."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass


if __name__ == "__main__":
    sys.exit(main())
