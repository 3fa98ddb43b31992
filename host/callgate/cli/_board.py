"""What the commands that talk to a board share: opening the link from --port."""

import contextlib

from ..firmware.link.errors import LinkError
from ..link.client import Client
from ..link.portlock import PortInUse
from . import validate


class LinkFailed(OSError):
    """The link to the board failed (printed as one line by the command table)."""


def need_port(args) -> str:
    if not getattr(args, "port", None):
        raise LinkFailed("no board: give --port PORT (or set CALLGATE_PORT); `callgate sim` starts a virtual one")
    return args.port


@contextlib.contextmanager
def board_link(args, on_event=None, keepalive=None):
    """A connected link.client.Client for --port; link errors become one-line errors.

    on_event, if given, is subscribed before the handshake, so no event is missed. keepalive:
    seconds of silence after which the client PINGs (to notice a board restart).
    """
    try:
        client = Client(need_port(args), timeout=args.timeout, keepalive=keepalive)
    except PortInUse as e:  # names the port and the program that has it
        raise LinkFailed(str(e)) from e
    except LinkError as e:
        raise LinkFailed(f"{args.port}: {e}") from e
    try:
        if on_event is not None:
            client.subscribe(on_event)
        client.hello()
    except BaseException as e:
        client.close()
        if isinstance(e, LinkError):
            raise LinkFailed(f"{args.port}: {e}") from e
        raise
    try:
        yield client
    except LinkError as e:
        raise LinkFailed(f"{args.port}: {e}") from e
    finally:
        client.close()


def add_link_arguments(p) -> None:
    p.add_argument("--timeout", type=validate.seconds, default=0.5, metavar="S", help="seconds per try of a request (default 0.5)")


def add_pull_command(subparsers, group: str, group_help: str, pull_help: str, doc: str, func):
    """`callgate GROUP pull ...`: a command group whose sub-command `pull` reads something back
    from a board (config, cdr, recordings). Returns the `pull` parser, for its own arguments,
    and the group's sub-parsers, for other sub-commands."""
    import argparse

    g = subparsers.add_parser(group, help=group_help, description=doc,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = g.add_subparsers(dest=f"{group}_command", metavar="COMMAND", required=True)
    pull = sub.add_parser("pull", help=pull_help, description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_link_arguments(pull)
    pull.set_defaults(func=func)
    return pull, sub
