"""``export``: every fill, trade, transfer or router child order in the database as CSV."""

from __future__ import annotations

import sys
from pathlib import Path

from octo_desktop.cli.common import PROG
from octo_desktop.cli.options import common_options


def add_parser(subparsers) -> None:
    """Declare the ``export`` command."""
    parser = subparsers.add_parser("export", help="export fills, trades, transfers or routes as CSV",
                                   description="Write every fill, trade or transfer in the database as CSV, or "
                                               "(routes) every child order of the router, one row per child with "
                                               "its parent order's type, state and saving.")
    parser.add_argument("what", choices=["fills", "trades", "transfers", "routes"], help="what to export")
    parser.add_argument("--format", choices=["csv"], default="csv", help="output format (csv)")
    parser.add_argument("--output", metavar="FILE", help="write to FILE instead of standard output")
    common_options(parser, sub=True)
    parser.set_defaults(func=run)


def run(args) -> int:
    """Write the fills, trades, transfers or routes to ``--output`` or standard output; return the exit code."""
    from octo_desktop.app import default_db_path
    from octo_desktop.storage import StorageError, write_fills_csv, write_trades_csv, write_transfers_csv
    from octo_desktop.storage.export import write_routes_csv

    db = Path(args.db) if args.db else default_db_path()
    if not db.exists():
        print(f"{PROG}: no database at {db}", file=sys.stderr)
        return 1
    if args.output and Path(args.output).is_dir():
        print(f"{PROG}: --output {args.output} is a directory; name a file such as fills.csv", file=sys.stderr)
        return 2
    writer = {"fills": write_fills_csv, "trades": write_trades_csv, "transfers": write_transfers_csv,
              "routes": write_routes_csv}[args.what]
    try:
        if args.output:
            with open(args.output, "w", newline="", encoding="utf-8") as handle:
                writer(db, handle)
        else:
            writer(db, sys.stdout)
    except StorageError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 1
    return 0
