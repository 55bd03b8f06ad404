"""Spread matrix: the net-spread matrices of every symbol across 8 venues, and of one symbol.

    python -m benchmarks.spread [--quick] [--json]

A full recompute (10, 100 and 1000 symbols x 8 venues) with ``net_spread_matrices`` (one vectorised
pass), three ways, interleaved: into the previous result's buffer (``out=``, what a caller that
recomputes keeps doing; the target is judged on this one), into a fresh array, and the per-symbol loop of
``net_spread_matrix`` it replaces. All run on identical seeded VWAPs with some venues unusable and some
VWAPs missing, and must give identical matrices. Then one symbol's 8 x 8 recompute into a preallocated
matrix, as after one book update.
"""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np

from benchmarks.harness import interleaved, repeat
from octo_desktop.domain.spread import net_spread_matrices, net_spread_matrix

VENUES = 8
SYMBOL_COUNTS = (10, 100, 1000)
TARGET_FULL_1000_MS = 0.25
TARGET_SINGLE_US = 10.0


def workload(symbols: int, seed: int = 7) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return (buy VWAPs, sell VWAPs, taker fees, usable) for ``symbols`` x 8 venues."""
    rng = np.random.default_rng(seed + symbols)
    mids = rng.uniform(0.1, 60_000.0, size=(symbols, 1))
    buy = mids * (1 + rng.normal(5e-4, 3e-4, size=(symbols, VENUES)))
    sell = mids * (1 - rng.normal(5e-4, 3e-4, size=(symbols, VENUES)))
    buy[rng.random((symbols, VENUES)) < 0.02] = np.nan  # not enough depth for the size
    fees = rng.uniform(0.0005, 0.002, size=VENUES)
    usable = rng.random((symbols, VENUES)) > 0.05  # stale or resyncing venues
    return buy, sell, fees, usable


def _loop(buy, sell, fees, usable) -> list[np.ndarray]:
    return [net_spread_matrix(buy[i], sell[i], fees, usable[i]) for i in range(len(buy))]


def run(quick: bool = False, seed: int = 7) -> dict:
    """Measure; return a JSON-ready dict (milliseconds and microseconds, medians with spreads)."""
    repeats = 5 if quick else 30
    full = {}
    for symbols in SYMBOL_COUNTS:
        buy, sell, fees, usable = workload(symbols, seed)
        batch = net_spread_matrices(buy, sell, fees, usable)
        buffer = np.full_like(batch, 1.0)
        loop = np.stack(_loop(buy, sell, fees, usable))
        if not (np.array_equal(batch, loop, equal_nan=True)
                and np.array_equal(net_spread_matrices(buy, sell, fees, usable, out=buffer), batch, equal_nan=True)):
            raise AssertionError(f"batch, buffered and per-symbol matrices differ for {symbols} symbols")
        found = interleaved({"batch": lambda: net_spread_matrices(buy, sell, fees, usable, out=buffer),
                             "batch_fresh_array": lambda: net_spread_matrices(buy, sell, fees, usable),
                             "per_symbol_loop": lambda: _loop(buy, sell, fees, usable)}, repeats)
        full[str(symbols)] = {name: {k: v * 1000.0 if k not in ("n",) else v
                                     for k, v in summary.as_dict(9).items()} for name, summary in found.items()}
        full[str(symbols)]["loop_over_batch"] = found["per_symbol_loop"].median / found["batch"].median

    buy, sell, fees, usable = workload(1, seed)
    out = np.empty((VENUES, VENUES))
    calls = 500 if quick else 5000

    def single() -> None:
        for _ in range(calls):
            net_spread_matrix(buy[0], sell[0], fees, usable[0], out)

    single_summary = repeat(single, repeats)
    single_us = {k: (v / calls * 1e6 if k != "n" else v) for k, v in single_summary.as_dict(12).items()}
    return {
        "name": "spread",
        "venues": VENUES,
        "full_recompute_ms": full,
        "single_symbol_us": single_us,
        "identical_matrices": True,
        "targets": {
            "full_1000_le_0_25ms": full["1000"]["batch"]["median"] <= TARGET_FULL_1000_MS,
            "single_le_10us": single_us["median"] <= TARGET_SINGLE_US,
        },
    }


def report(result: dict) -> str:
    lines = ["spread matrix (8 venues): full recompute, median ms (min-max); batch = into the kept buffer"]
    for symbols, found in result["full_recompute_ms"].items():
        batch, loop = found["batch"], found["per_symbol_loop"]
        fresh = found["batch_fresh_array"]
        lines.append(f"  {symbols:>5} symbols: batch {batch['median']:.3f} ({batch['min']:.3f}-{batch['max']:.3f}), "
                     f"into a fresh array {fresh['median']:.3f}, "
                     f"per-symbol loop {loop['median']:.3f}; loop/batch {found['loop_over_batch']:.1f}x")
    single = result["single_symbol_us"]
    lines.append(f"  one symbol: {single['median']:.2f} us ({single['min']:.2f}-{single['max']:.2f})")
    lines.append("  targets: " + ", ".join(f"{k} {'met' if v else 'NOT met'}" for k, v in result["targets"].items()))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.spread", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args(argv)
    result = run(quick=args.quick)
    print(json.dumps(result) if args.json else report(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
