"""`callgate users add NAME --role agent|supervisor|admin [--ext EXT]` and `callgate users list`:
who may log in to the operations center (`callgate serve`).

The password is asked for twice on a terminal, or read as the first line of standard input
(`printf 'secret\\n' | callgate users add bob --role agent --ext 202`). Adding a user that
exists changes their role, extension and password. Passwords are stored as scrypt hashes.
"""

import argparse
import getpass
import sys

from .output import emit
from .serve import add_db_argument, open_store


def add_parser(subparsers) -> None:
    g = subparsers.add_parser("users", help="the operations center's users and roles",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = g.add_subparsers(dest="users_command", metavar="COMMAND", required=True)
    a = sub.add_parser("add", help="add a user (or change one)", description=__doc__,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    a.add_argument("name")
    a.add_argument("--role", required=True, choices=("agent", "supervisor", "admin"))
    a.add_argument("--ext", help="an agent's extension (their agent page and calls)")
    add_db_argument(a)
    a.set_defaults(func=run_add)
    ls = sub.add_parser("list", help="list the users")
    add_db_argument(ls)
    ls.set_defaults(func=run_list)


def read_password() -> str:
    if sys.stdin.isatty():
        pw = getpass.getpass("password: ")
        if pw != getpass.getpass("again: "):
            raise ValueError("the two passwords differ")
        return pw
    return sys.stdin.readline().rstrip("\r\n")


def run_add(args) -> int:
    from ..ops.auth import add_user

    store, url = open_store(args)
    try:
        add_user(store, args.name, args.role, read_password(), args.ext)
    finally:
        store.close()
    emit(args, {"name": args.name, "role": args.role, "ext": args.ext, "store": url},
         f"{args.name}: {args.role}" + (f", extension {args.ext}" if args.ext else "") + f" ({url})")
    return 0


def run_list(args) -> int:
    store, _ = open_store(args)
    try:
        users = store.users()
    finally:
        store.close()
    emit(args, users, [f"{u['name']:<16}{u['role']:<12}{u['ext'] or ''}" for u in users])
    return 0
