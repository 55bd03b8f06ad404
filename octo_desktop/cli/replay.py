"""``replay``: drive the engine from a recording, headless or in the window."""

from __future__ import annotations

import argparse
import sys

from octo_desktop.cli.common import PROG
from octo_desktop.cli.options import advisor_option, clock_speed, common_options
from octo_desktop.cli.run import finish_headless, storage_verdict
from octo_desktop.config import load_config


def add_parser(subparsers) -> None:
    """Declare the ``replay`` command."""
    parser = subparsers.add_parser(
        "replay", help="replay a recording through the engine (books, detector, paper executor)",
        description="Drive the engine from a recording on the simulated clock. Headless by default "
                    "(prints the summary, or JSON with --json); --gui opens the terminal with play/pause. "
                    "Without --db the replay trades into a fresh temporary database.")
    parser.add_argument("file", metavar="FILE", help="a recording written by `record` or the GUI")
    common_options(parser, sub=True)
    advisor_option(parser, {"default": argparse.SUPPRESS})
    parser.add_argument("--speed", type=clock_speed, default=argparse.SUPPRESS, metavar="1|10|max",
                        help="replay speed (default: max headless, 1 with --gui)")
    parser.add_argument("--gui", action="store_true", default=argparse.SUPPRESS,
                        help="watch the replay in the terminal")
    parser.add_argument("--json", action="store_true", default=argparse.SUPPRESS,
                        help="print the summary and every opportunity found as one JSON object")
    parser.set_defaults(func=run)


def run(args) -> int:
    """Replay the recording through the engine; return the exit code."""
    from octo_desktop.app import build_replay_runtime
    from octo_desktop.storage import StorageError

    config = load_config(args.config, args.overrides)
    gui = getattr(args, "gui", False)
    speed = getattr(args, "speed", 1.0 if gui else None)
    try:
        runtime = build_replay_runtime(config, args.file, db_path=args.db, speed=speed, stop_at_end=not gui,
                                       log_opportunities=not gui)
    except StorageError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 1
    if gui:
        from octo_desktop.gui.app import run_gui

        runtime.start()
        return storage_verdict(runtime, run_gui(runtime))
    code = finish_headless(runtime, getattr(args, "json", False))
    error = (runtime.summary or {}).get("replay_error")
    if error:  # a damaged recording: what came before it was replayed and summarized, but not the whole file
        print(f"{PROG}: {error}", file=sys.stderr)
        return code or 1
    return code
