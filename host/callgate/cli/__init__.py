"""The `callgate` command: a table of command groups, each in its own module.

Every group module has `add_parser(subparsers)`, which registers its sub-commands and sets
`func` on each; `func(args)` returns the process exit code. A user error raises UsageError
(or one of the errors listed in USER_ERRORS) and is printed as one line, never a traceback.
"""

import argparse
import os
import sys

from . import bootstrap as bootstrap_commands
from . import deploy as deploy_commands
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

# name -> module; add a group by adding a line.
GROUPS = {
    "bootstrap": bootstrap_commands,
    "deploy": deploy_commands,
    "dsp": dsp_commands,
    "sim": sim_commands,
    "status": status_commands,
    "monitor": monitor_commands,
    "site": site_commands,
    "rig": rig_commands,
    "provision": provision_commands,  # provision, config pull
    "records": records_commands,  # cdr pull, recordings pull
    "report": report_commands,
    "serve": serve_commands,  # the operations center (docs/ops.md)
    "users": users_commands,
    "customers": customers_commands,
}


class UsageError(Exception):
    """A problem with what the user asked for, printed without a traceback."""


USER_ERRORS = (UsageError, OSError, ValueError, TypeError)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="callgate",
        description="A call center in a box: the DSP core on WAV files, the virtual board, "
                    "and the tools that talk to boards over their serial link.")
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON")
    parser.add_argument(
        "--port",
        default=os.environ.get("CALLGATE_PORT"),
        help="the board's link: a serial port, the virtual board's pty, socket:// or rfc2217:// (default $CALLGATE_PORT)",
    )
    sub = parser.add_subparsers(dest="group", metavar="COMMAND", required=True)
    for module in GROUPS.values():
        module.add_parser(sub)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args) or 0
    except USER_ERRORS as exc:
        print(f"callgate: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
