"""``halt``, ``resume`` and ``set``: post the command to the database and wait for a running engine to confirm it.

A running engine reads the database's control table (``engine.runtime``); a stopped one applies what is
pending when it next starts.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

from octo_desktop.cli.common import PROG
from octo_desktop.cli.options import common_options, wait_seconds


def add_parser(subparsers) -> None:
    """Declare the ``halt`` and ``resume`` commands."""
    for name, text in (("halt", "the kill switch for an engine running on the database (GUI or headless): "
                                 "cancel resting orders, unwind open imbalances, HALT until resumed"),
                       ("resume", "resume trading after a halt (kill switch, circuit breaker or reduce-only)")):
        parser = subparsers.add_parser(name, help=text, description=text[0].upper() + text[1:] + ". "
                                       "The command is written to the database; a running engine applies it "
                                       "within a quarter second, a stopped one when it next starts.")
        if name == "halt":
            parser.add_argument("--reason", default="halt from the command line", help="why (shown and logged)")
        parser.add_argument("--wait", type=wait_seconds, default=10.0, metavar="S",
                            help="seconds to wait for a running engine to confirm (default 10; 0: do not wait)")
        parser.add_argument("--json", action="store_true", help="print the outcome as JSON")
        common_options(parser, sub=True)
        parser.set_defaults(func=run)


# What ``set`` may change: the name on the command line -> the setting the engine applies.
SETTINGS = {"threshold": "threshold_bps", "min-score": "min_score"}


def add_set_parser(subparsers) -> None:
    """Declare the ``set`` command."""
    text = "change a setting of the engine running on the database (GUI or headless), as the window does"
    parser = subparsers.add_parser(
        "set", help=text, description=text[0].upper() + text[1:] + ": threshold (the base minimum net spread "
        "after fees, in bps) or min-score (the minimum composite score, 0 to 1). The engine keeps it in the "
        "database; a stopped engine applies it when it next starts.")
    parser.add_argument("setting", choices=list(SETTINGS), help="what to change")
    parser.add_argument("value", type=_setting_value, help="its new value")
    parser.add_argument("--wait", type=wait_seconds, default=10.0, metavar="S",
                        help="seconds to wait for a running engine to confirm (default 10; 0: do not wait)")
    parser.add_argument("--json", action="store_true", help="print the outcome as JSON")
    common_options(parser, sub=True)
    parser.set_defaults(func=run_set)


def _setting_value(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"not a finite number: {text!r}")
    return value


def run_set(args) -> int:
    """Check the value against the setting's range, post it, and wait for a running engine to confirm."""
    from octo_desktop.config.schema import RULES

    key = SETTINGS[args.setting]
    low, high = (RULES["strategy"]["threshold_bps"].low, RULES["strategy"]["threshold_bps"].high) \
        if key == "threshold_bps" else (0.0, 1.0)
    if not low <= args.value <= high:
        print(f"{PROG} set: error: {args.setting} must be from {low:g} to {high:g}, got {args.value:g}",
              file=sys.stderr)
        return 2
    return _post(args, "set", json.dumps({"key": key, "value": args.value}))


def run(args) -> int:
    """Post ``args.command`` (halt or resume); return 0 once an engine confirms it, 3 if none did in time."""
    return _post(args, args.command, getattr(args, "reason", ""))


def _post(args, command: str, reason: str) -> int:
    from octo_desktop.app import default_db_path
    from octo_desktop.storage import StorageError, control_answer, post_control

    path = Path(args.db) if args.db else default_db_path()
    try:
        control_id = post_control(path, command, reason, time.time())
        answer = None
        deadline = time.monotonic() + max(0.0, args.wait)
        while answer is None and time.monotonic() < deadline:
            time.sleep(0.05)
            answer = control_answer(path, control_id)
    except StorageError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps({"command": command, "id": control_id, "database": str(path),
                          "acknowledged": answer is not None, "result": answer[1] if answer else None}))
    elif answer is not None:
        print(answer[1])
    else:
        print(f"{command} recorded in {path}; no running engine confirmed it within {args.wait:g} s, "
              f"so it applies when the engine next starts")
    return 0 if answer is not None else 3
