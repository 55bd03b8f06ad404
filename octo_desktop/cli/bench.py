"""``bench``: the benchmark suite of the source tree, the same as ``python -m benchmarks``."""

from __future__ import annotations

import sys

from octo_desktop.cli.common import PROG


def add_parser(subparsers) -> None:
    """Declare the ``bench`` command."""
    parser = subparsers.add_parser("bench", help="run the benchmark suite (from the source tree): the same as "
                                                 "python -m benchmarks",
                                   description="Measure Octo against its peers on identical input (book "
                                               "maintenance, tick to decision, spread matrices, replay, the "
                                               "window, start-up, memory over 8 simulated hours, stopping); "
                                               "results go to "
                                               "benchmarks/results/<date>.json. Needs the source tree.")
    parser.add_argument("--quick", action="store_true", help="a smoke run: small workloads, few repetitions")
    parser.add_argument("--json", action="store_true", help="print the results as one JSON object")
    parser.add_argument("--only", metavar="A,B", help="run only these benchmarks (book, latency, spread, "
                                                      "replay, gui, startup, memory, shutdown)")
    parser.add_argument("--out", metavar="FILE", help="results file (default: benchmarks/results/<date>.json)")
    parser.set_defaults(func=run)


def run(args) -> int:
    """Run the benchmarks with the flags given; return their exit code (2 outside the source tree)."""
    try:
        from benchmarks.__main__ import main as run_benchmarks
    except ImportError:
        print(f"{PROG}: the benchmarks come with the source tree: run `python -m octo_desktop bench` (or "
              f"`python -m benchmarks`) from a checkout of Octo", file=sys.stderr)
        return 2
    argv = [flag for flag, on in (("--quick", args.quick), ("--json", args.json)) if on]
    argv += [part for option, value in (("--only", args.only), ("--out", args.out)) if value
             for part in (option, value)]
    return run_benchmarks(argv)
