"""Router split: the time to split one parent order over 8 exchange books, 6 AMM pools and 2 OTC pools.

    python -m benchmarks.router [--quick] [--json] [--quantity Q] [--seed S]

A seeded SOL/USDT market around 150: 8 books of 50 ask levels each (taker fees 0.05 %-0.2 %, two of them
needing a funding transfer first), 6 Solana pools on their exact integer math (2 Raydium CPMM, 2 AMM v4,
2 Meteora DLMM; 0.4-6 M USDC each; a network fee each) and 2 OTC pools (a minimum block, a settlement delay).
One route is ``split`` from the curves to the plan, the curves built beforehand as the desk keeps them;
building the curves from the books and pools is timed apart. Buy 500 SOL by default, and a sell of the same
size on the bids. Medians with their spreads, in milliseconds; the target is a route under 5 ms.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys

from benchmarks.harness import repeat
from octo_desktop.router import amm, dlmm
from octo_desktop.router.ladder import book_curve, function_curve
from octo_desktop.router.otc import OtcPool
from octo_desktop.router.pools import PoolSpec, build_pool
from octo_desktop.router.split import split

MID = 150.0
BOOKS = 8
LEVELS = 50
POOLS = 6
QUANTITY = 500.0
TARGET_ROUTE_MS = 5.0


def _pool_curve(spec: PoolSpec, side: str, network: float):
    # The exact integer pool math behind the float adapter the desk uses (exact-out to buy, exact-in to sell).
    pool = build_pool(spec, MID, now=0.0)
    module = dlmm if spec.kind == "dlmm" else amm
    extra = (0,) if spec.kind == "dlmm" else ()
    if side == "buy":
        amount = module.buy_cost_curve(pool, True, *extra)
        limit = module.max_buy_quantity(pool, True)
    else:
        amount = module.sell_proceeds_curve(pool, True, *extra)
        limit = module.max_sell_quantity(pool, True, *extra)
    fee = 0.001 if spec.kind == "dlmm" else 0.0025
    return function_curve(spec.name, "dlmm" if spec.kind == "dlmm" else "amm", side, amount, limit, fee_rate=fee,
                          fixed_cost=network)


def workload(side: str, seed: int = 7):
    """Return a builder of the 16 curves of one side of a seeded market."""
    rng = random.Random(seed)
    books = []
    for i in range(BOOKS):
        fee = rng.choice((0.0005, 0.001, 0.001, 0.002))
        touch = MID * (1 + rng.uniform(0.0001, 0.0008))
        tick = MID * rng.uniform(0.00005, 0.0002)
        asks = [touch + j * tick for j in range(LEVELS)]
        bids = [2 * MID - price for price in asks]
        sizes = [rng.uniform(0.5, 8.0) * (1 + j / 10) for j in range(LEVELS)]
        books.append((f"book{i}", fee, asks if side == "buy" else bids, sizes, 12.0 if i >= 6 else 0.0))
    kinds = ("cpmm", "cpmm", "amm_v4", "amm_v4", "dlmm", "dlmm")
    pools = [(PoolSpec(f"pool{i}", kind, "SOL", "USDC", rng.uniform(4e5, 6e6)), rng.uniform(0.002, 0.02))
             for i, kind in enumerate(kinds)]
    otcs = [OtcPool.full(f"otc{i}", 0.0, base_spread_bps=4 + 3 * i, size_slope_bps=6.0, reference_size=500.0,
                         min_quantity=100.0, max_quantity=2000.0, capacity=5000.0, refill_per_s=1.0,
                         delay_s=20.0, fixed_cost=1.0) for i in range(2)]

    def build():
        curves = [book_curve(name, side, prices, sizes, fee, transfer_cost=transfer)
                  for name, fee, prices, sizes, transfer in books]
        curves += [_pool_curve(spec, side, network) for spec, network in pools]
        curves += [pool.curve(side, MID, 0.0, 2e-4) for pool in otcs]
        return curves
    return build


def run(quick: bool = False, quantity: float = QUANTITY, seed: int = 7) -> dict:
    """Measure; return a JSON-ready dict (milliseconds, medians with spreads)."""
    repeats = 10 if quick else 100
    result: dict = {"name": "router", "quantity": quantity, "sources": BOOKS + POOLS + 2, "book_levels": LEVELS}
    for side in ("buy", "sell"):
        build = workload(side, seed)
        curves = build()
        plan = split(curves, quantity, side, reference_price=MID)
        route = repeat(lambda: split(curves, quantity, side, reference_price=MID), repeats)
        curves_ms = repeat(build, repeats)
        result[side] = {
            "route_ms": {k: (v * 1000.0 if k != "n" else v) for k, v in route.as_dict(9).items()},
            "build_curves_ms": {k: (v * 1000.0 if k != "n" else v) for k, v in curves_ms.as_dict(9).items()},
            "children": len(plan.children), "chosen": plan.chosen, "filled": plan.filled,
            "average_price": plan.average_price, "saving_vs_best_single": plan.saving,
            "best_single": plan.best_single,
        }
    result["targets"] = {"route_le_5ms": all(result[s]["route_ms"]["median"] <= TARGET_ROUTE_MS
                                             for s in ("buy", "sell"))}
    return result


def report(result: dict) -> str:
    lines = [f"router split: {result['quantity']:g} SOL over {result['sources']} sources "
             f"(8 books x {result['book_levels']} levels, 6 AMM pools, 2 OTC pools); median ms (min-max)"]
    for side in ("buy", "sell"):
        found = result[side]
        route, build = found["route_ms"], found["build_curves_ms"]
        saving = found["saving_vs_best_single"]
        lines.append(f"  {side:<4} route {route['median']:.2f} ({route['min']:.2f}-{route['max']:.2f}), "
                     f"building the curves {build['median']:.2f}; {found['children']} children, "
                     f"average {found['average_price']:.4f}, "
                     + (f"saves {saving:.2f} USDT against {found['best_single']} alone"
                        if found["best_single"] and not math.isnan(saving) else "no single source fills it"))
    lines.append("  targets: " + ", ".join(f"{k} {'met' if v else 'NOT met'}" for k, v in result["targets"].items()))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.router", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument("--quantity", type=float, default=QUANTITY, help=f"base to route (default {QUANTITY:g})")
    parser.add_argument("--seed", type=int, default=7, help="market seed (default 7)")
    args = parser.parse_args(argv)
    print(json.dumps(run(args.quick, args.quantity, args.seed)) if args.json else report(run(args.quick, args.quantity,
                                                                                              args.seed)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
