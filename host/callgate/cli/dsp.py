"""`callgate dsp ...`: the DSP core on WAV files, for users who do not write code."""

import json


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("dsp", help="run the DSP core on WAV files")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (func, add_arguments, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        add_arguments(p)
        p.set_defaults(func=func)


def emit(args, records, text_lines) -> None:
    """Print records as JSON with --json, else the human-readable lines."""
    if getattr(args, "json", False):
        print(json.dumps(records, indent=None))
    else:
        for line in text_lines:
            print(line)


# name -> (function, argument adder, one-line help); filled below by each command.
COMMANDS = {}
