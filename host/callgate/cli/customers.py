"""`callgate customers import FILE.csv [--db URL]`: customers for the agents' screen pops.

The first line names the columns: name, number (or numbers/phone; several in one cell
separated by ;), company, notes; any other column is kept with the customer. All or
nothing: one bad row (`FILE:LINE: what`, every problem listed) and nothing is stored. A row
whose number is known already updates that customer.
"""

import argparse
import sys

from .output import emit, wants_json
from .serve import add_db_argument, open_store


def add_parser(subparsers) -> None:
    g = subparsers.add_parser("customers", help="the operations center's customer records",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = g.add_subparsers(dest="customers_command", metavar="COMMAND", required=True)
    i = sub.add_parser("import", help="import customers from a CSV file (all or nothing)", description=__doc__,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    i.add_argument("file", metavar="FILE.csv")
    add_db_argument(i)
    i.set_defaults(func=run_import)


def run_import(args) -> int:
    from ..ops.customers import CsvError, import_csv

    with open(args.file, "rb"):  # a file that cannot be read is named before a store is made
        pass
    store, _ = open_store(args)
    try:
        r = import_csv(store, args.file)
    except CsvError as e:
        problems = str(e).splitlines()
        if wants_json(args):
            emit(args, {"error": f"{args.file}: nothing imported", "problems": problems})
        else:
            print("\n".join(f"callgate: error: {line}" for line in problems), file=sys.stderr)
            print(f"callgate: {args.file}: nothing imported", file=sys.stderr)
        return 2
    finally:
        store.close()
    emit(args, dict(r, file=args.file),
         f"{args.file}: {r['rows']} row(s): {r['created']} customer(s) created, {r['updated']} updated")
    return 0
