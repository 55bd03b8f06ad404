"""Rebalancing against none: trades per hour and realized P&L net of transfer costs over hours of the default market.

    python -m benchmarks.treasury [--quick] [--json] [--hours N] [--seed S] [--preset normal|off|...] [--set K=V ...]

The same simulated market (seed 7, a fixed start; ``--preset``, "normal" by default) runs twice for 4 engine hours (``--quick``: 1),
each as one ``run --headless --speed max --json`` in a subprocess on a fresh database with an empty config
file: once with ``treasury.rebalance`` on (the default), once off. The risk engine's halts are off for both
(its breaker and daily loss limit would decide the comparison themselves). For each: trades per engine hour
(from ``export trades``, by the hour each opened in), realized P&L, what the transfers paid in fees (valued at
the final marks), and realized P&L net of those fees; and ``dried_up``: whether the last hour made fewer
than a quarter of the first hour's trades. It is a finding, not a check. ``--set`` adds a config setting to
both runs (``--set strategy.transfer_cost_in_decision=true``: decide on spreads net of the transfer cost).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
START_TIME = 1_767_225_600  # 2026-01-01 00:00 UTC
HOURS = 4.0
QUICK_HOURS = 1.0
RISK_OFF = ("risk.breaker_losing_trades=1000", "risk.breaker_failed_legs=1000", "risk.daily_loss_limit_pct=100")


def trades_per_hour(trades_csv: str, hours: int) -> list[int]:
    """Return how many trades opened in each engine hour since the start."""
    counts = [0] * hours
    for row in csv.DictReader(io.StringIO(trades_csv)):
        index = int((float(row["opened_at"]) - START_TIME) // 3600)
        if 0 <= index < hours:
            counts[index] += 1
    return counts


def run_point(rebalance: bool, hours: float, seed: int, preset: str = "normal", settings: tuple = ()) -> dict:
    """One run; return its figures or its error line."""
    point: dict = {"rebalance": rebalance}
    began = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="octo-bench-treasury-") as name:
        folder = Path(name)
        config = folder / "empty-config.toml"
        config.write_text("", encoding="utf-8")
        db = folder / "run.db"
        argv = [sys.executable, "-m", "octo_desktop", "run", "--headless", "--seconds", f"{hours * 3600:g}",
                "--seed", str(seed), "--speed", "max", "--start-time", str(START_TIME), "--json", "--config",
                str(config), "--db", str(db), "--set", f"treasury.rebalance={'true' if rebalance else 'false'}",
                "--set", f'simulation.preset="{preset}"']
        for setting in (*RISK_OFF, *settings):
            argv += ["--set", setting]
        done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=600 + hours * 3600)
        if done.returncode != 0:
            point["error"] = f"exit {done.returncode}: " + (done.stderr.strip().splitlines() or ["?"])[-1][:300]
            return point
        summary = json.loads(done.stdout.strip().splitlines()[-1])
        exported = subprocess.run([sys.executable, "-m", "octo_desktop", "export", "trades", "--config", str(config),
                                   "--db", str(db)], cwd=ROOT, capture_output=True, text=True, timeout=300)
        if exported.returncode != 0:
            point["error"] = "export failed: " + exported.stderr.strip()[-300:]
            return point
    per_hour = trades_per_hour(exported.stdout, int(hours))
    realized = Decimal(summary["realized_pnl"])
    fees = Decimal(summary["rebalance"]["transfer_fees_usdt"])
    point.update({
        "trades": summary["trades"], "trades_per_hour": per_hour, "realized_pnl": str(realized),
        "transfer_fees_usdt": str(fees), "net_pnl": str(realized - fees), "transfers": summary["transfers"],
        "rebalances_made": summary["rebalance"]["made"], "rebalances_not_made": summary["rebalance"]["not_made"],
        "equity_usdt": summary["equity_usdt"],
        "dried_up": bool(per_hour) and per_hour[-1] * 4 < per_hour[0],
        "wall_s": round(time.perf_counter() - began, 1)})
    return point


def run(quick: bool = False, hours: float | None = None, seed: int = 7, preset: str = "normal",
        settings: tuple = ()) -> dict:
    hours = float(hours if hours is not None else (QUICK_HOURS if quick else HOURS))
    if hours < 1 or not float(hours).is_integer():
        raise ValueError("hours must be a whole number of at least 1")
    began = time.perf_counter()
    points = [run_point(True, hours, seed, preset, settings), run_point(False, hours, seed, preset, settings)]
    return {"name": "treasury", "hours": hours, "seed": seed, "preset": preset, "settings": list(settings),
            "start_time": START_TIME,
            "points": points,
            "benchmark_wall_s": round(time.perf_counter() - began, 1)}


def report(result: dict) -> str:
    lines = [f"treasury: {result['hours']:g} engine hours of the simulated market (preset {result['preset']!r}), "
             f"seed {result['seed']}, with rebalancing and without (risk halts off); P&L in USDT"
             + "".join(f"; {setting}" for setting in result.get("settings", ()))]
    for p in result["points"]:
        label = "rebalancing" if p["rebalance"] else "none"
        if "error" in p:
            lines.append(f"  {label:<12} FAILED: {p['error']}")
            continue
        lines.append(f"  {label:<12} trades {p['trades']:>4} per hour {p['trades_per_hour']}  realized "
                     f"{Decimal(p['realized_pnl']):+.2f}  transfer fees {Decimal(p['transfer_fees_usdt']):.2f}  net "
                     f"{Decimal(p['net_pnl']):+.2f}  transfers {p['rebalances_made']} made, "
                     f"{p['rebalances_not_made']} not  dried up: {str(p['dried_up']).lower()}")
    lines.append(f"  {result['benchmark_wall_s']:g} s wall")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.treasury", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_HOURS:g} engine hour")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--hours", type=float, help=f"engine hours per run (default {HOURS:g})")
    parser.add_argument("--seed", type=int, default=7, help="market seed (default 7)")
    parser.add_argument("--preset", default="normal", help="simulation preset (default normal; off: no competitors)")
    parser.add_argument("--set", metavar="KEY=VALUE", action="append", default=[], dest="settings",
                        help="a config setting for both runs (repeatable)")
    args = parser.parse_args(argv)
    try:
        result = run(args.quick, args.hours, args.seed, args.preset, tuple(args.settings))
    except ValueError as exc:
        parser.error(str(exc))
    print(json.dumps(result) if args.json else report(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
