"""``doctor``: run the installation checks of ``octo_desktop.doctor`` and print the report."""

from __future__ import annotations

import json

from octo_desktop.cli.options import common_options


def add_parser(subparsers) -> None:
    """Declare the ``doctor`` command."""
    parser = subparsers.add_parser("doctor", help="check that this installation can run (Tk, charts, database, "
                                                  "venues, advisor)",
                                   description="Check each part the terminal needs, without touching your data: "
                                               "the data folder, the config, the database engine, your database "
                                               "(--db, else the default one; read only, never created), Tk, the "
                                               "charts, every venue's ccxt client and the advisor. Exit 1 if any "
                                               "fails.")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    common_options(parser, sub=True)
    parser.set_defaults(func=run)


def run(args) -> int:
    """Print the checks (as text, or JSON with ``--json``); return 1 if any failed."""
    from octo_desktop.doctor import run_checks

    report = run_checks(args.config, args.overrides, args.db)
    if args.json:
        print(json.dumps(report))
    else:
        print(f"Octo {report['version']} ({'binary' if report['frozen'] else 'source'}), Python {report['python']}, "
              f"{report['platform']}")
        for check in report["checks"]:
            print(f"  {'ok  ' if check['ok'] else 'FAIL'} {check['name']:<12} {check['detail']}")
    return 0 if report["ok"] else 1
