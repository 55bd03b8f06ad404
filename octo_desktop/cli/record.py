"""``record``: run the engine headless and write every market event to a file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from octo_desktop.cli.common import PROG, check_live_speed, config_from_args, open_runtime
from octo_desktop.cli.options import (
    SpeedGiven, clock_speed, common_options, engine_start_time, market_seed, positive_number, source_options,
)
from octo_desktop.cli.run import finish_headless
from octo_desktop.feeds.recording import RecordingError


def add_parser(subparsers) -> None:
    """Declare the ``record`` command."""
    parser = subparsers.add_parser(
        "record", help="record market data to a file (gzip JSON Lines), trading on paper meanwhile",
        description="Run the engine headless and write every market event to FILE. On the simulated "
                    "market the run goes as fast as possible unless --speed says otherwise; a live "
                    "market records in real time.")
    common_options(parser, sub=True)
    source_options(parser, {"default": argparse.SUPPRESS})
    parser.add_argument("--seconds", type=positive_number, required=True, metavar="N",
                        help="how long to record (engine seconds)")
    parser.add_argument("--out", required=True, metavar="FILE", help="recording to write (e.g. session.jsonl.gz)")
    parser.add_argument("--seed", type=market_seed, default=argparse.SUPPRESS, metavar="S",
                        help="seed of the simulated market (default: config)")
    parser.add_argument("--speed", type=clock_speed, action=SpeedGiven, default=argparse.SUPPRESS, metavar="X|max",
                        help="simulated market only: clock speed (default: max)")
    parser.add_argument("--start-time", type=engine_start_time, default=argparse.SUPPRESS, metavar="UNIX",
                        help="simulated market only: engine clock start, unix seconds (default: now)")
    parser.add_argument("--json", action="store_true", default=argparse.SUPPRESS,
                        help="print the run's summary as one JSON object")
    parser.set_defaults(func=run)


def run(args) -> int:
    """Record for ``--seconds`` of engine time into ``--out``; return the exit code."""
    import shutil
    import tempfile
    from functools import partial

    from octo_desktop.app import MarketSource

    config = config_from_args(args)
    speed = getattr(args, "speed", None)
    check_live_speed(config, args)
    if config.market == "live":
        speed = 1.0
    out = Path(args.out)
    if out.is_dir():
        raise RecordingError(f"--out {out}: is a directory; name a file such as session.jsonl.gz")
    db, cleanup = args.db, None
    if db is None:  # the recording is the product: paper trades go to a throwaway database
        folder = tempfile.mkdtemp(prefix="octo-record-")
        db, cleanup = str(Path(folder) / "record.db"), partial(shutil.rmtree, folder, ignore_errors=True)
    source = MarketSource(config.market, record_path=str(out))
    runtime = open_runtime(args, config, speed, args.seconds, source=source, db_path=db, cleanup=cleanup)
    if runtime is None:
        return 1
    code = finish_headless(runtime, getattr(args, "json", False))
    error = (runtime.summary or {}).get("recording", {}).get("error")
    if error:
        print(f"{PROG}: {error}", file=sys.stderr)
        return 1
    if code == 0 and not getattr(args, "json", False):
        print(f"recording: {out}")
    return code
