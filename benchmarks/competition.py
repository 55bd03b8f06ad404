"""Speed against competing arbitrageurs: Octo's realized P&L as its order latency is scaled.

    python -m benchmarks.competition [--quick] [--json] [--seconds N] [--seeds 7,8,9] [--preset normal]
                                     [--scales 0.5,1,2,5]

The simulated market runs with the competitors of a ``[simulation] preset`` ("normal" by default) on
the same seed and start time for every point; only Octo's own order latency changes: every enabled
venue's ``latency_ms_median`` and ``latency_ms_p95`` are multiplied by the scale (x0.5, x1, x2, x5 by
default; x1 is the built-in defaults). Each point is one ``run --headless --speed max --json`` in a
subprocess, on a fresh database in a throwaway folder with an empty config file (the user's file is not
read) and the risk engine's halts off (its breaker, daily loss limit and latency exclusion would decide the
comparison themselves), for 1800 engine seconds (``--quick``: 300) on seeds 7, 8 and 9 (``--quick``:
seed 7). The scales run interleaved per seed: 0.5, 1, 2, 5 on seed 7, then on seed 8, and so on.

For each point: realized P&L (USDT, the summary's exact decimal string), trades, opportunities, the win
rate (share of closed trades, those with a close time, whose realized P&L is > 0, read from
``export trades --format csv``), the take rate (trades / opportunities) and the latency decay (the
summary's ``attribution.latency_decay``, a cost: realized = expected - latency_decay - slippage - fees -
rollback). Per seed and summed across seeds, ``monotone`` says whether realized P&L is non-increasing
as latency rises. It is a finding, not a check: the benchmark reports it either way. A point that fails
(non-zero exit, unparsable output) records its error line and the sweep goes on; a seed or sum with a
failed point has ``monotone`` null.
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
from decimal import Decimal, InvalidOperation
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PRESET = "normal"
SEEDS = (7, 8, 9)
QUICK_SEEDS = (7,)
SCALES = (0.5, 1.0, 2.0, 5.0)
FULL_SECONDS = 1800.0
QUICK_SECONDS = 300.0
START_TIME = 1_767_225_600  # 2026-01-01 00:00 UTC: a fixed engine start, so every point is the same market
LATENCY_KEYS = ("latency_ms_median", "latency_ms_p95")
# The risk engine's halts (the breaker after losing trades, the daily loss limit, a venue excluded for
# its latency) would decide the comparison by themselves: off, so that what is measured is the race.
RISK_OFF = ("risk.breaker_losing_trades=1000", "risk.breaker_failed_legs=1000", "risk.daily_loss_limit_pct=100",
            "risk.venue_max_latency_ms=600000")


def base_latencies() -> dict[str, tuple[float, float]]:
    """Return {venue: (median ms, p95 ms)} of every enabled venue in the built-in defaults."""
    from octo_desktop.config import builtin_config

    config = builtin_config()
    return {name: (config.venues[name].latency_ms_median, config.venues[name].latency_ms_p95)
            for name in config.venue_names}


def latency_overrides(scale: float, latencies: dict[str, tuple[float, float]]) -> list[str]:
    """Return the ``--set`` values that multiply every venue's median and p95 latency by ``scale``."""
    if scale <= 0:
        raise ValueError(f"a latency scale must be positive, got {scale}")
    settings = []
    for venue, values in latencies.items():
        for key, value in zip(LATENCY_KEYS, values):
            settings.append(f"venues.{venue}.{key}={float(value) * scale!r}")
    return settings


def command(seed: int, seconds: float, preset: str, scale: float, latencies: dict[str, tuple[float, float]],
            db: Path, config: Path, settings: tuple[str, ...] = ()) -> list[str]:
    """Return the argv of one headless run at ``scale``; ``settings`` are further ``--set`` values
    (the same on every point)."""
    argv = [sys.executable, "-m", "octo_desktop", "run", "--headless", "--seconds", f"{seconds:g}",
            "--seed", str(seed), "--speed", "max", "--start-time", str(START_TIME), "--json",
            "--config", str(config), "--db", str(db), "--set", f'simulation.preset="{preset}"']
    for setting in (*RISK_OFF, *settings, *latency_overrides(scale, latencies)):
        argv += ["--set", setting]
    return argv


def closed_trade_pnls(trades_csv: str) -> list[Decimal]:
    """Return the realized P&L of every closed trade (one with a close time) in an ``export trades`` CSV."""
    return [Decimal(row["realized_pnl"]) for row in csv.DictReader(io.StringIO(trades_csv))
            if row["closed_at"]]


def _ratio(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def point_figures(summary: dict, pnls: list[Decimal]) -> dict:
    """Return one point's figures from its run summary and the P&L of its closed trades."""
    trades, opportunities = int(summary["trades"]), int(summary["opportunities"])
    wins = sum(1 for pnl in pnls if pnl > 0)
    return {
        "realized_pnl": str(summary["realized_pnl"]),
        "trades": trades,
        "opportunities": opportunities,
        "closed": len(pnls),
        "wins": wins,
        "win_rate": _ratio(wins, len(pnls)),
        "take_rate": _ratio(trades, opportunities),
        "latency_decay": str(summary["attribution"]["latency_decay"]),
        "attribution": {key: str(value) for key, value in summary["attribution"].items()},
        "trade_states": dict(summary.get("trade_states") or {}),
        "races": (summary.get("competition") or {}).get("races"),
    }


def aggregate(points: list[dict]) -> dict:
    """Sum one scale's points across seeds; rates are recomputed from the sums (pooled, not averaged).

    A failed point makes the sum incomplete: it then carries ``error`` and no figures.
    """
    failed = [p for p in points if "error" in p]
    if failed:
        return {"error": "failed on seed " + ", ".join(str(p["seed"]) for p in failed)}
    trades = sum(p["trades"] for p in points)
    opportunities = sum(p["opportunities"] for p in points)
    closed = sum(p["closed"] for p in points)
    wins = sum(p["wins"] for p in points)
    return {
        "realized_pnl": str(sum((Decimal(p["realized_pnl"]) for p in points), Decimal(0))),
        "trades": trades,
        "opportunities": opportunities,
        "closed": closed,
        "wins": wins,
        "win_rate": _ratio(wins, closed),
        "take_rate": _ratio(trades, opportunities),
        "latency_decay": str(sum((Decimal(p["latency_decay"]) for p in points), Decimal(0))),
    }


def is_monotone(pnls: list[str | Decimal | None]) -> bool | None:
    """Whether realized P&L never rises from one scale to the next slower one (ordered by rising
    latency); None if a point has no P&L (it failed)."""
    if any(pnl is None for pnl in pnls):
        return None
    values = [Decimal(pnl) for pnl in pnls]
    return all(later <= earlier for earlier, later in zip(values, values[1:]))


def _last_line(text: str, fallback: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else fallback


def parse_summary(stdout: str) -> dict:
    """Return the run's JSON summary (its last line of output); ValueError if it is not one or lacks a figure."""
    summary = json.loads(_last_line(stdout, ""))
    if not isinstance(summary, dict) or not isinstance(summary.get("attribution"), dict) \
            or any(key not in summary for key in ("trades", "opportunities", "realized_pnl")) \
            or "latency_decay" not in summary["attribution"]:
        raise ValueError("not a run summary")
    return summary


def run_point(seed: int, scale: float, seconds: float, preset: str,
              latencies: dict[str, tuple[float, float]], settings: tuple[str, ...] = ()) -> dict:
    """Run one point in a throwaway folder; return its figures, or its error line."""
    point: dict = {"seed": seed, "scale": scale}
    began = time.perf_counter()
    timeout = 120.0 + seconds  # generous: even real time fits; a timeout is recorded as the point's error
    with tempfile.TemporaryDirectory(prefix="octo-bench-competition-") as name:
        folder = Path(name)
        config = folder / "empty-config.toml"  # built-in defaults only, whatever the user's file says
        config.write_text("", encoding="utf-8")
        db = folder / "run.db"
        try:
            done = subprocess.run(command(seed, seconds, preset, scale, latencies, db, config, settings), cwd=ROOT,
                                  capture_output=True, text=True, timeout=timeout)
            if done.returncode != 0:
                point["error"] = f"exit {done.returncode}: " + _last_line(done.stderr, "no error output")[:300]
                return point
            try:
                summary = parse_summary(done.stdout)
            except ValueError:
                point["error"] = "unparsable summary: " + _last_line(done.stdout, "no output")[:200]
                return point
            exported = subprocess.run([sys.executable, "-m", "octo_desktop", "export", "trades", "--format", "csv",
                                       "--config", str(config), "--db", str(db)], cwd=ROOT,
                                      capture_output=True, text=True, timeout=300)
            if exported.returncode != 0:
                point["error"] = f"export exit {exported.returncode}: " + _last_line(exported.stderr,
                                                                                     "no error output")[:300]
                return point
            try:
                pnls = closed_trade_pnls(exported.stdout)
                stored = sum(1 for _ in csv.DictReader(io.StringIO(exported.stdout)))
            except (KeyError, InvalidOperation, csv.Error) as exc:
                point["error"] = f"unparsable trades export: {type(exc).__name__}: {exc}"
                return point
            if stored != int(summary["trades"]):
                point["error"] = f"the export has {stored} trades, the summary {summary['trades']}"
                return point
            point.update(point_figures(summary, pnls))
        except subprocess.TimeoutExpired:
            point["error"] = f"timed out after {timeout:g} s"
        finally:
            point["wall_s"] = round(time.perf_counter() - began, 2)
    return point


def run(quick: bool = False, seconds: float | None = None, seeds: tuple[int, ...] | list[int] | None = None,
        preset: str = PRESET, scales: tuple[float, ...] | list[float] | None = None,
        settings: tuple[str, ...] | list[str] = ()) -> dict:
    """Sweep the scales on each seed (interleaved per seed); return a JSON-ready dict."""
    seconds = float(seconds if seconds is not None else (QUICK_SECONDS if quick else FULL_SECONDS))
    seeds = tuple(int(s) for s in (seeds if seeds is not None else (QUICK_SEEDS if quick else SEEDS)))
    scales = tuple(sorted(float(s) for s in (scales if scales is not None else SCALES)))  # by rising latency
    if not seeds or not scales:
        raise ValueError("at least one seed and one scale are needed")
    latencies = base_latencies()
    began = time.perf_counter()
    per_seed = []
    for seed in seeds:
        points = [run_point(seed, scale, seconds, preset, latencies, tuple(settings)) for scale in scales]
        per_seed.append({"seed": seed, "points": points,
                         "monotone": is_monotone([p.get("realized_pnl") for p in points])})
    total = [dict(aggregate([entry["points"][index] for entry in per_seed]), scale=scale)
             for index, scale in enumerate(scales)]
    monotone = is_monotone([t.get("realized_pnl") for t in total])
    return {
        "name": "competition",
        "preset": preset,
        "settings": list(settings),
        "engine_seconds": seconds,
        "start_time": START_TIME,
        "seeds": list(seeds),
        "scales": list(scales),
        "base_latency_ms": {venue: list(values) for venue, values in latencies.items()},
        "per_seed": per_seed,
        "total": total,
        "monotone": monotone,
        "errors": [f"seed {p['seed']} x{p['scale']:g}: {p['error']}"
                   for entry in per_seed for p in entry["points"] if "error" in p],
        "benchmark_wall_s": round(time.perf_counter() - began, 1),
    }


def _rate(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def _rows(points: list[dict]) -> list[str]:
    lines = [f"    {'scale':>5}  {'realized P&L':>16}  {'trades':>6}  {'opps':>6}  {'win rate':>8}  "
             f"{'take rate':>9}  {'latency decay':>14}"]
    for p in points:
        if "error" in p:
            lines.append(f"    x{p['scale']:<4g}  FAILED: {p['error']}")
            continue
        lines.append(f"    x{p['scale']:<4g}  {p['realized_pnl']:>16}  {p['trades']:>6}  "
                     f"{p['opportunities']:>6}  {_rate(p['win_rate']):>8}  {_rate(p['take_rate']):>9}  "
                     f"{p['latency_decay']:>14}")
    return lines


def _monotone(value: bool | None) -> str:
    return "unknown (a point failed)" if value is None else str(value).lower()


def report(result: dict) -> str:
    """Return the figures as a table per seed and one for the sum across seeds."""
    binance = result["base_latency_ms"].get("binance")
    example = f"; x1 = built-in, e.g. binance {binance[0]:g}/{binance[1]:g} ms median/p95" if binance else ""
    lines = [f"competition: Octo's latency scaled x{', x'.join(f'{s:g}' for s in result['scales'])} "
             f"(every venue's median and p95{example}), preset {result['preset']!r}, "
             f"{result['engine_seconds']:g} engine s, seeds {', '.join(map(str, result['seeds']))}; "
             "P&L and latency decay (a cost) in USDT"]
    for entry in result["per_seed"]:
        lines.append(f"  seed {entry['seed']}: monotone (P&L non-increasing as latency rises): "
                     f"{_monotone(entry['monotone'])}")
        lines += _rows(entry["points"])
    if len(result["per_seed"]) > 1:
        lines.append(f"  sum over seeds: monotone: {_monotone(result['monotone'])}")
        lines += _rows(result["total"])
    summed = " summed over seeds" if len(result["per_seed"]) > 1 else ""
    lines.append(f"  finding: monotone: {_monotone(result['monotone'])} (realized P&L{summed} non-increasing as "
                 f"latency rises); {result['benchmark_wall_s']:g} s wall")
    return "\n".join(lines)


def _numbers(text: str, kind):
    try:
        return tuple(kind(part) for part in text.split(",") if part.strip())
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a comma-separated list of numbers: {text!r}") from exc


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.competition", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_SECONDS:g} engine seconds, seed {QUICK_SEEDS[0]}")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--seconds", type=float, help=f"engine seconds per point (default {FULL_SECONDS:g})")
    parser.add_argument("--seeds", type=lambda text: _numbers(text, int), metavar="A,B",
                        help=f"seeds (default {','.join(map(str, SEEDS))})")
    parser.add_argument("--preset", default=PRESET, help=f"simulation preset of the competitors (default {PRESET})")
    parser.add_argument("--scales", type=lambda text: _numbers(text, float), metavar="X,Y",
                        help=f"latency scales (default {','.join(f'{s:g}' for s in SCALES)})")
    parser.add_argument("--set", dest="settings", action="append", default=[], metavar="KEY=VALUE",
                        help="a further config value for every point, as with run --set (repeatable)")
    args = parser.parse_args(argv)
    if args.scales is not None and any(s <= 0 for s in args.scales):
        parser.error("latency scales must be positive")
    result = run(args.quick, args.seconds, args.seeds, args.preset, args.scales, args.settings)
    print(json.dumps(result) if args.json else report(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
