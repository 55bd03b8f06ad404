"""Router over a simulated day: random parent orders through the router desk, planned against realised.

    python -m benchmarks.router_day [--hours H] [--orders N] [--seed S] [--quick] [--json] [--out FILE]
                                    [--max-update-hz HZ] [--set KEY=VALUE ...] [--db FILE]

One seeded engine run (``build_runtime`` in this process, the simulated market, the virtual clock at max speed,
a fresh database, every desk as the app composes them: the arbitrage and treasury desks trade beside the
router). Over it, N parent orders (``RouteOrder``) drawn from the seed:

- arrival times: a Poisson process over the run, conditioned on N arrivals (N sorted uniform times), after
  a 30 s warm-up and before a tail that lets the last orders finish (the limit orders' expiry plus 2 min);
- asset: SOL 60 %, ETH 25 %, BTC 15 %; size log-uniform between 5 and 800 SOL equivalent (0.75-120 k USDT
  at the config's initial prices), rounded down to the coarsest lot size of the asset's books;
- side: buy or sell at random (a seeded draw), decided when the order is submitted, with a chance of a buy
  that keeps the account from running dry: with ``q`` and ``a`` what the venues and the Solana wallet hold of
  quote (USDT and USDC) and of the asset, each as a share of what they held at the start,
  ``p_buy = q² / (q² + a²)`` clamped to 0.1-0.9 (0.5 at the start);
- type: 80 % market, 20 % limit: an all-in limit (fees included, as the desk reads limits) 0-25 bps on the
  far side of the books' median mid at submission (a buy's above it, a sell's below), so that some fill at
  once, some in part and some wait; left to wait (``rest="wait"``), expiring after 10 minutes.

Each order is submitted (``runtime.submit``) once the published snapshot's engine time reaches its arrival
time; the script polls the snapshot every 20-100 ms of wall time and never sleeps longer. The first routing
decision of each order (``ParentOrderView.plan``) is read from the snapshots as the orders appear; the
realised side (state, filled, cost, rounds, children) from the ``routes`` and ``route_children`` tables
after the run. What is reported, per order and in total:

- planned: the first plan's objective (``RoutePlanView.total``: cost, fees, network fees, delay-risk price)
  against the best single source (``saving``, only where one source could do as much alone) and against the
  best split over the exchange books alone (``saving_vs_exchanges``); which plans were a split;
- realised: what the fills paid or received, everything included (``routes.cost``), against the plan's cash
  part (its total without the delay-risk price) per unit, in bps of the reference price (positive: worse than
  planned), and the realised saving against the best single source (its planned total against the fills'
  cash plus the plan's delay-risk price, both at the filled quantity); ``one_round`` for the orders done in
  one round (the plan as executed), ``all`` with the re-routed ones too (their later rounds trade at later
  prices, so ``all`` mixes execution with the market's moves); and each filled child against the price its
  plan expected (``execution``: a book's taker fee in, a pool's network fee out, as the plan prices them);
- fill rate (filled / ordered), what was left unfilled by cause, and the first plans that could not place the
  whole order (funds, the limit, depth);
- use of each source kind (book, amm, dlmm, otc): children, orders, notional filled; why the OTC
  counterparties were or were not in each first plan;
- children by state, failures by reason (with one note each), re-routes (``rounds`` > 1), children worth
  less than 1 USDT, book children whose quantity lost a whole lot between the plan and the order;
- route compute time (``RoutePlanView.compute_ms`` of each first plan; the later rounds' from the stored plan);
- warnings raised during the run (e.g. numpy's), with the engine time of the snapshot last read.

Figures are totals and ratios of one run, not timings to compare across machines (only ``compute_ms`` is a
time). Submission is paced by wall-clock polling, so orders land a few engine seconds after their arrival
time (``submission_lag_s``) and two runs of one seed differ from there on, through the market and the
account's balances: four runs of the defaults gave fill rates of 82-90 % and planned savings against the
best single source of 178-635 USDT (1.7-4.8 bps; a few mid-size orders carry most of it). Compare runs by
their totals, and several runs, not order by order.

Wall time and the defaults, measured on the 2-core benchmark machine (AMD EPYC, shared VM, December 2026): the
default market alone runs at 49x real time at max speed (1800 engine s in 37 s, no parent orders), so a whole
day would take about half an hour, and the engine slows down as a run grows. The venues publish their books at
10-50 Hz in the defaults; the venues' standard depth streams push every 100 ms (10 Hz), so this benchmark caps
every venue at 10 Hz through config overrides (``--max-update-hz``; 0 keeps the defaults): the books keep their
depth, spread, levels, trades, dislocations and the other arbitrageurs, only their updates come less often.
Capped, the market alone runs at 105x over 30 minutes and 78x over 3 hours; with parent orders, 12 engine hours
and 100 orders took 675 s (64x), so a capped day would still take about 20-25 minutes. The default is therefore
8 engine hours with 200 orders (the ~200 of a day, at 25 an hour instead of 8): 320-485 s in six runs (59-89x).
``--hours 24 --orders 200`` runs the whole day. The risk engine's halts are off (as in ``benchmarks.treasury``): a
halt cancels every open parent and would decide the run.

``--quick``: 20 engine minutes, 10 orders (limit orders expire after 2 minutes), about 20 s; figures not to be
quoted. ``--out FILE`` writes the JSON result (the run behind PERFORMANCE.md:
``benchmarks/results/2026-12-06-router-day.json``).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import re
import shutil
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
import warnings
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

from benchmarks.harness import percentiles, summarise

ROOT = Path(__file__).resolve().parent.parent
START_TIME = 1_767_225_600.0  # 2026-01-01 00:00 UTC
HOURS = 8.0
ORDERS = 200
QUICK_HOURS = 20 / 60
QUICK_ORDERS = 10
MAX_UPDATE_HZ = 10.0
WARMUP_S = 30.0
ASSETS = (("SOL", 0.60), ("ETH", 0.25), ("BTC", 0.15))
SIZE_SOL = (5.0, 800.0)  # log-uniform, SOL equivalent at the initial prices
MARKET_SHARE = 0.8
LIMIT_BPS = (0.0, 25.0)  # all-in limit through the mid, bps
LIMIT_EXPIRY_S = 600.0
QUICK_LIMIT_EXPIRY_S = 120.0
RISK_OFF = ("risk.breaker_losing_trades=1000", "risk.breaker_failed_legs=1000", "risk.daily_loss_limit_pct=100")
FINAL_STATES = {"filled", "cancelled", "expired", "failed"}
# Each child in ``per_order[i]["children"]``, as a list in this order.
CHILD_FIELDS = ("id", "round", "source", "kind", "quantity", "state", "filled", "expected_price", "price", "failure")


@dataclass
class Planned:
    """One parent order as drawn from the seed; its side is decided at submission (``choose_side``)."""

    index: int
    at_s: float  # engine seconds after the start
    asset: str
    quantity: float
    sol_equivalent: float
    order_type: str
    side_draw: float  # uniform in [0, 1): a buy if below the chance of a buy at submission
    limit_bps: float = math.nan
    # filled in at submission
    side: str = ""
    buy_chance: float = math.nan
    submitted_at: float = math.nan
    reference: float = math.nan
    limit_price: float = math.nan
    order_id: int | None = None
    first_plan: object = None  # RoutePlanView


def draw_orders(count: int, duration_s: float, tail_s: float, seed: int, prices: dict[str, float],
                lots: dict[str, float]) -> list[Planned]:
    """Return ``count`` seeded parent orders over ``duration_s`` (see the module docstring)."""
    rng = random.Random(seed * 7_919 + 101)
    last = max(WARMUP_S + 1.0, duration_s - tail_s)
    times = sorted(rng.uniform(WARMUP_S, last) for _ in range(count))
    names, weights = zip(*ASSETS)
    orders = []
    for index, at in enumerate(times):
        asset = rng.choices(names, weights)[0]
        sol_equivalent = math.exp(rng.uniform(math.log(SIZE_SOL[0]), math.log(SIZE_SOL[1])))
        lot = lots[asset]
        quantity = math.floor(sol_equivalent * prices["SOL"] / prices[asset] / lot) * lot
        quantity = round(max(quantity, lot), 12)
        side_draw = rng.random()
        limit = rng.random() >= MARKET_SHARE
        orders.append(Planned(index, round(at, 3), asset, quantity, round(sol_equivalent, 3),
                              "limit" if limit else "market", side_draw,
                              rng.uniform(*LIMIT_BPS) if limit else math.nan))
    return orders


def holdings(snapshot) -> dict[str, float]:
    """What the router's sources can trade from, per asset (the venues and the Solana wallet; the central wallet
    only settles OTC blocks larger than it holds, see the report), with USDT and USDC as one quote."""
    held: dict[str, float] = defaultdict(float)
    for account, assets in snapshot.balances.items():
        if account == "wallet":
            continue
        for asset, amount in assets.items():
            held["quote" if asset in ("USDT", "USDC") else asset] += float(amount)
    return dict(held)


def choose_side(order: Planned, held: dict[str, float], initial: dict[str, float]) -> float:
    """Return the chance of a buy and set the order's side from its draw: with ``q`` and ``a`` what the account
    holds of quote and of the asset as shares of what it held at the start, ``q² / (q² + a²)``, clamped to
    0.1-0.9 (0.5 at the start; mostly sells once quote runs short or the asset piles up, mostly buys the other
    way)."""
    quote = held.get("quote", 0.0) / initial["quote"] if initial.get("quote") else 1.0
    asset = held.get(order.asset, 0.0) / initial[order.asset] if initial.get(order.asset) else 1.0
    chance = 0.5 if quote + asset <= 0 else min(0.9, max(0.1, quote ** 2 / (quote ** 2 + asset ** 2)))
    order.buy_chance = chance
    order.side = "buy" if order.side_draw < chance else "sell"
    return chance


def _reference(snapshot, asset: str) -> float:
    mids = [book.mid for (venue, symbol), book in snapshot.books.items()
            if symbol == f"{asset}/USDT" and str(book.status).upper() == "LIVE" and math.isfinite(book.mid)]
    if mids:
        return statistics.median(mids)
    return float(snapshot.marks.get(asset, math.nan))


def _f(value, digits: int = 6):
    """A JSON-ready float: None for NaN/inf, rounded."""
    if value is None:
        return None
    value = float(value)
    return round(value, digits) if math.isfinite(value) else None


def _config(seed: int, max_update_hz: float, settings: tuple[str, ...]):
    from octo_desktop.config import builtin_config

    overrides = [f"market.seed={seed}", *RISK_OFF]
    base = builtin_config([f"market.seed={seed}"])
    if max_update_hz > 0:
        for venue in base.venue_names:
            hz = base.venues[venue].update_hz
            if hz > max_update_hz:
                overrides.append(f"venues.{venue}.update_hz={max_update_hz:g}")
    overrides += list(settings)
    return builtin_config(overrides), overrides


def run(quick: bool = False, hours: float | None = None, orders: int | None = None, seed: int = 7,
        max_update_hz: float = MAX_UPDATE_HZ, settings: tuple[str, ...] = (), db: str | None = None) -> dict:
    """Run the day; return a JSON-ready dict (see the module docstring)."""
    hours = float(hours if hours is not None else (QUICK_HOURS if quick else HOURS))
    count = int(orders if orders is not None else (QUICK_ORDERS if quick else ORDERS))
    if not hours > 0 or count < 1:
        raise ValueError("hours must be positive and orders at least 1")
    duration = hours * 3600.0
    expiry = QUICK_LIMIT_EXPIRY_S if duration < 2 * 3600 else LIMIT_EXPIRY_S
    tail = expiry + 120.0
    if duration <= WARMUP_S + tail:
        raise ValueError(f"{duration:g} s is too short: the warm-up and the tail take {WARMUP_S + tail:g} s")
    config, overrides = _config(seed, max_update_hz, settings)
    prices = {asset: config.markets[f"{asset}/USDT"].initial_price for asset, _ in ASSETS}
    lots = {asset: max(float(config.spec(v, f"{asset}/USDT").lot_size) for v in config.venue_names)
            for asset, _ in ASSETS}
    planned = draw_orders(count, duration, tail, seed, prices, lots)
    if db is not None and Path(db).exists():
        raise ValueError(f"{db} exists: give a new database file")
    caught: list[dict] = []
    clock = {"time": START_TIME}

    def record_warning(message, category, filename, lineno, file=None, line=None):
        caught.append({"engine_s": round(clock["time"] - START_TIME, 1), "thread": threading.current_thread().name,
                       "warning": f"{category.__name__}: {message}", "where": f"{Path(filename).name}:{lineno}"})

    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.showwarning = record_warning
        return _run(config, overrides, planned, duration, expiry, db, quick, hours, count, seed, max_update_hz,
                    settings, caught, clock)


def _run(config, overrides, planned, duration, expiry, db, quick, hours, count, seed, max_update_hz, settings,
         caught, clock) -> dict:
    from octo_desktop.app import build_runtime

    folder = None
    if db is None:
        folder = tempfile.mkdtemp(prefix="octo-bench-router-day-")
        db_path = Path(folder) / "run.db"
    else:
        db_path = Path(db)
        if db_path.exists():
            raise ValueError(f"{db_path} exists: give a new database file")
    try:
        runtime = build_runtime(config, db_path=db_path, speed=None, start_time=START_TIME, run_seconds=duration)
        began = time.perf_counter()
        runtime.start()
        views: dict[int, dict] = {}
        state: dict = {"snapshot": None, "initial": None, "snapshots": 0}
        try:
            _drive(runtime, planned, views, expiry, clock, state)
        finally:
            if runtime.is_running:  # this loop failed: do not leave the engine running
                runtime.stop(timeout=30.0, reason="benchmark failed")
        snapshot, initial, snapshots = state["snapshot"], state["initial"], state["snapshots"]
        runtime.wait(timeout=120)
        wall = time.perf_counter() - began
        if runtime.failure is not None:
            raise RuntimeError(f"the engine failed: {runtime.failure!r}")
        summary = runtime.summary or {}
        routes, children = _read_tables(db_path)
    finally:
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)

    _match(planned, routes, views)
    book_lots = {(v, a): float(config.spec(v, f"{a}/USDT").lot_size) for v in config.venue_names
                 for a, _ in ASSETS}
    result = _analyse(planned, routes, children, book_lots,
                      {name: spec.min_usdt for name, spec in config.router.otc.items()})
    if initial is not None and snapshot is not None:
        final = holdings(snapshot)
        result["inventory"] = {"initial": {k: round(v, 6) for k, v in sorted(initial.items())},
                               "final": {k: round(v, 6) for k, v in sorted(final.items())}}
    desk_saved = (summary.get("router") or {}).get("saved_vs_best_single_usdt")
    if desk_saved is not None and result["planned"]["saving_vs_best_single_usdt"] is not None:
        # The desk's own total (every routed order's first-plan saving) is the same sum.
        result["checks"]["saving_matches_desk_summary"] = abs(
            desk_saved - result["planned"]["saving_vs_best_single_usdt"]) <= 0.01 + 1e-6 * abs(desk_saved)
    result.update({
        "name": "router_day", "quick": quick, "hours": hours, "orders_drawn": count, "seed": seed,
        "start_time": START_TIME, "limit_expiry_s": expiry, "max_update_hz": max_update_hz,
        "overrides": overrides,
        "command": "python -m benchmarks.router_day" + (" --quick" if quick else "")
                   + (f" --hours {hours:g}" if not quick and hours != HOURS else "")
                   + (f" --orders {count}" if not quick and count != ORDERS else "")
                   + (f" --seed {seed}" if seed != 7 else "")
                   + (f" --max-update-hz {max_update_hz:g}" if max_update_hz != MAX_UPDATE_HZ else "")
                   + "".join(f" --set {s}" for s in settings),
        "engine": {"wall_s": round(wall, 1), "engine_s": duration, "speed_x": round(duration / wall, 1),
                   "events": summary.get("events"), "snapshots_read": snapshots,
                   "arbitrage_trades": summary.get("trades"), "realized_pnl": summary.get("realized_pnl"),
                   "transfers": summary.get("transfers"), "router_summary": summary.get("router"),
                   "store_complete": runtime.store_complete, "store_error": runtime.store_error},
        "warnings": caught[:50], "warning_count": len(caught),
        "machine": {"cpu": _cpu(), "cores": os.cpu_count(), "python": platform.python_version()},
    })
    return result


def _drive(runtime, planned: list[Planned], views: dict[int, dict], expiry: float, clock: dict, state: dict) -> None:
    """Submit each order once the engine clock (the latest snapshot's time) reaches it, until the run ends."""
    from octo_desktop.domain.commands import RouteOrder

    pending = list(planned)
    snapshot = None
    while runtime.is_running:
        latest = runtime.latest_snapshot()
        if latest is not None and latest is not snapshot:
            snapshot = state["snapshot"] = latest
            state["snapshots"] += 1
            clock["time"] = snapshot.time
            now = snapshot.time - START_TIME
            if state["initial"] is None:
                state["initial"] = holdings(snapshot)
            while pending and now >= pending[0].at_s:
                order = pending.pop(0)
                order.submitted_at = snapshot.time
                order.reference = _reference(snapshot, order.asset)
                choose_side(order, holdings(snapshot), state["initial"])
                if order.order_type == "limit":
                    sign = 1.0 if order.side == "buy" else -1.0
                    order.limit_price = round(order.reference * (1 + sign * order.limit_bps / 10_000.0), 6)
                    command = RouteOrder(order.side, order.asset, order.quantity, "limit",
                                         limit_price=order.limit_price, rest="wait", expires_in_s=expiry)
                else:
                    command = RouteOrder(order.side, order.asset, order.quantity)
                runtime.submit(command)
            _collect_views(snapshot, views)
            due_in = pending[0].at_s - now if pending else math.inf
        else:
            due_in = math.inf if not pending else 0.0
        time.sleep(0.02 if due_in < 60.0 else 0.1)


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _collect_views(snapshot, views: dict[int, dict]) -> None:
    """Keep each order's first plan (the desk's first routing decision) while it is among the recent orders."""
    router = getattr(snapshot, "router", None)
    if router is None:
        return
    for view in router.orders:
        found = views.setdefault(view.order_id, {})
        found["view"] = view
        if view.plan is not None and "plan" not in found:
            found["plan"] = view.plan


def _read_tables(db_path: Path) -> tuple[list[dict], list[dict]]:
    with sqlite3.connect(db_path) as connection:
        connection.row_factory = sqlite3.Row
        routes = [dict(r) for r in connection.execute("SELECT * FROM routes ORDER BY order_id")]
        children = [dict(r) for r in connection.execute("SELECT * FROM route_children")]
    return routes, children


def _match(planned: list[Planned], routes: list[dict], views: dict[int, dict]) -> None:
    """Give each submitted order its id: the desk numbers accepted orders in the order it takes them."""
    rows = iter(routes)
    row = next(rows, None)
    for order in planned:
        if math.isnan(order.submitted_at):
            continue
        if row is not None and row["side"] == order.side and row["asset"] == order.asset \
                and abs(row["quantity"] - order.quantity) <= 1e-12 * max(1.0, order.quantity):
            order.order_id = int(row["order_id"])
            found = views.get(order.order_id, {})
            order.first_plan = found.get("plan")
            row = next(rows, None)


def _reason_class(note: str) -> str:
    """A failed child's reason, without its figures (the last part of its note)."""
    last = note.rsplit("; ", 1)[-1] if note else ""
    for key, label in (("below the venue minimum", "below the venue's minimum notional"),
                       ("slippage", "pool price beyond the slippage tolerance at arrival"),
                       ("the Solana wallet has", "the Solana wallet short at arrival"),
                       ("quote withdrawn", "OTC quote withdrawn (the market moved)"),
                       ("liquidity was taken", "OTC liquidity taken meanwhile"),
                       ("central wallet has too little", "the central wallet short"),
                       ("no firm quote", "no firm OTC quote"),
                       ("no answer within", "no answer in time"),
                       ("sent before a restart", "lost at a restart"),
                       ("the pool refused", "the pool refused the swap")):
        if key in last:
            return label
    text = re.split(r"[0-9]", last, maxsplit=1)[0].strip(" :,(")
    return text[:80] or "unknown"


def _signed(side: str, amount: float) -> float:
    """Cost in the plan's convention: paid on a buy, minus received on a sell (lower is better)."""
    return amount if side == "buy" else -amount


def _analyse(planned: list[Planned], routes: list[dict], children: list[dict],
             lots: dict[tuple[str, str], float], otc_min: dict[str, float]) -> dict:
    by_order: dict[int, list[dict]] = defaultdict(list)
    for child in children:
        by_order[int(child["order_id"])].append(child)
    route_of = {int(r["order_id"]): r for r in routes}
    per_order = []
    states: Counter = Counter()
    refused = 0
    kinds = {k: {"children": 0, "failed": 0, "orders": 0, "filled_usdt": 0.0} for k in ("book", "amm", "dlmm", "otc")}
    sources: dict[str, dict] = defaultdict(lambda: {"children": 0, "failed": 0, "filled_usdt": 0.0})
    execution = {k: {"children": 0, "filled_usdt": 0.0, "slip_usdt": 0.0} for k in ("book", "amm", "dlmm", "otc")}
    child_states: Counter = Counter()
    failures: Counter = Counter()
    otc_notes: Counter = Counter()
    examples: dict[str, str] = {}
    compute_first, compute_later, lags = [], [], []
    checks = {"children_sum_equals_filled": True, "max_filled_gap": 0.0, "saving_non_negative": True,
              "route_cost_vs_children_max_gap_usdt": 0.0, "stuck_orders": []}
    totals: dict[str, float] = defaultdict(float)
    counts: Counter = Counter()

    for order in planned:
        if math.isnan(order.submitted_at):
            continue
        if order.order_id is None:
            refused += 1
            per_order.append({"index": order.index, "side": order.side, "asset": order.asset,
                              "quantity": order.quantity, "type": order.order_type, "state": "refused"})
            continue
        row = route_of[order.order_id]
        kids = sorted(by_order.get(order.order_id, []), key=lambda c: (c["round"], c["sent_at"], c["child_id"]))
        state = row["state"]
        states[state] += 1
        if state not in FINAL_STATES:
            checks["stuck_orders"].append({"order_id": order.order_id, "state": state, "reason": row["reason"]})
        lags.append(row["created_at"] - (START_TIME + order.at_s))
        plan = order.first_plan
        reference = plan.reference_price if plan is not None and math.isfinite(plan.reference_price) \
            else order.reference
        notional = order.quantity * reference
        filled, cost = float(row["filled"]), float(row["cost"])
        rounds = int(row["rounds"] or 0)
        record = {"order_id": order.order_id, "at_s": order.at_s, "side": order.side,
                  "buy_chance": _f(order.buy_chance, 3), "asset": order.asset,
                  "quantity": order.quantity, "sol_equivalent": order.sol_equivalent, "type": order.order_type,
                  "limit_price": _f(order.limit_price), "reference": _f(reference, 4),
                  "notional_usdt": _f(notional, 2), "state": state, "reason": row["reason"], "rounds": rounds,
                  "filled": _f(filled, 9), "fill_rate": _f(filled / order.quantity, 6), "cost_usdt": _f(cost, 4),
                  "average_price": _f(cost / filled if filled > 0 else math.nan)}
        counts["orders"] += 1
        counts[f"orders_{order.order_type}"] += 1
        totals["ordered_usdt"] += notional
        totals["filled_usdt"] += filled * reference
        totals[f"ordered_usdt_{order.order_type}"] += notional
        totals[f"filled_usdt_{order.order_type}"] += filled * reference
        if filled >= order.quantity * (1 - 1e-6):
            counts["fully_filled"] += 1
        else:
            cause = _unfilled_cause(order.quantity, filled, state, row["reason"] or "")
            counts[f"unfilled_orders:{cause}"] += 1
            totals[f"unfilled_usdt:{cause}"] += (order.quantity - filled) * reference
            record["unfilled_cause"] = cause
            if cause == DUST:
                counts["dust_left"] += 1
        if rounds > 1:
            counts["rerouted_orders"] += 1
            counts["extra_rounds"] += rounds - 1
            counts[f"rerouted_{order.order_type}"] += 1

        # The children: what each source did, and each fill against the price its plan expected.
        child_filled, child_cost, used_kinds, child_records = 0.0, 0.0, set(), []
        for child in kids:
            kind, source = child["kind"], child["source"]
            got, paid, fee = float(child["filled"]), float(child["cost"]), float(child["fee"])
            child_states[child["state"]] += 1
            sources[source]["children"] += 1
            kinds[kind]["children"] += 1
            failed = child["state"] in ("failed", "lost")
            if failed:
                failures[_reason_class(child["note"] or "")] += 1
                sources[source]["failed"] += 1
                kinds[kind]["failed"] += 1
            if float(child["quantity"]) * reference < 1.0:
                counts["dust_children"] += 1  # worth less than 1 USDT
                counts["dust_children_failed"] += failed
            price = math.nan
            if got > 0:
                used_kinds.add(kind)
                price = paid / got
                fee_quote = fee if child["fee_asset"] in ("USDT", "USDC") else fee * (
                    price if child["fee_asset"] == order.asset else _sol_price(order, planned))
                child_cost += paid + fee_quote if order.side == "buy" else paid - fee_quote
                kinds[kind]["filled_usdt"] += got * reference
                sources[source]["filled_usdt"] += got * reference
                # All-in as the plan prices a child: a book's taker fee in, a pool's network fee out (it is
                # the plan's fixed cost, not its price).
                all_in = price if kind in ("amm", "dlmm") else (paid + (fee_quote if order.side == "buy"
                                                                        else -fee_quote)) / got
                expected = child["expected_price"]
                if expected:
                    sign = 1.0 if order.side == "buy" else -1.0
                    execution[kind]["children"] += 1
                    execution[kind]["filled_usdt"] += got * reference
                    execution[kind]["slip_usdt"] += sign * (all_in - expected) * got
            child_filled += got
            reason = _reason_class(child["note"] or "") if failed else None
            if failed and reason not in examples:
                examples[reason] = (child["note"] or "").rsplit("; ", 1)[-1][:240]
            child_records.append([child["child_id"], child["round"], source, kind, _f(float(child["quantity"]), 9),
                                  child["state"], _f(got, 9), _f(child["expected_price"]), _f(price), reason])
        for kind in used_kinds:
            kinds[kind]["orders"] += 1
        gap = abs(child_filled - filled)
        checks["max_filled_gap"] = max(checks["max_filled_gap"], gap)
        if gap > 1e-6 * max(order.quantity, 1.0):
            checks["children_sum_equals_filled"] = False
        if filled > 0:
            checks["route_cost_vs_children_max_gap_usdt"] = max(checks["route_cost_vs_children_max_gap_usdt"],
                                                                abs(child_cost - cost))
        record["children_filled"] = _f(child_filled, 9)
        record["kinds_used"] = sorted(used_kinds)
        record["children"] = child_records

        # The first plan against the alternatives, then against what the fills did.
        if plan is None:
            counts["never_routed"] += 1
            record["plan"] = None
            per_order.append(record)
            continue
        compute_first.append(plan.compute_ms)
        sent_first = {k[2]: float(k[4]) for k in child_records if k[1] == 1 and k[3] == "book"}
        for planned_child in plan.children:
            lot = lots.get((planned_child.source, order.asset), 0.0)
            sent = sent_first.get(planned_child.source)
            if planned_child.kind == "book" and lot > 0 and sent is not None:
                counts["book_children_first_round"] += 1
                if sent < planned_child.quantity - 0.5 * lot:
                    counts["book_children_lot_lost"] += 1  # the desk's floor to the lot dropped a whole lot
        delay = plan.parts.delay_risk
        cash = plan.total - delay - plan.parts.transfer
        chosen = {c.source for c in plan.children}
        for option in plan.options:
            if option.kind == "otc":
                otc_notes[_otc_note(option, chosen, otc_min.get(option.source, 0.0), notional, reference)] += 1
        record["plan"] = {
            "quantity": _f(plan.filled, 9), "total": _f(plan.total, 4), "cash": _f(cash, 4),
            "delay_risk": _f(delay, 4), "chosen": plan.chosen, "best_single": plan.best_single or None,
            "best_single_total": _f(plan.best_single_total, 4),
            "saving_vs_best_single": _f(plan.saving, 4) if plan.best_single else None,
            "exchanges_only_total": _f(plan.exchanges_only_total, 4),
            "saving_vs_exchanges": _f(plan.saving_vs_exchanges, 4), "compute_ms": _f(plan.compute_ms, 3),
            "reference_source": plan.reference_source, "fallback": plan.fallback, "reason": plan.reason,
            "children": [[c.source, c.kind, _f(c.quantity, 9)] for c in plan.children]}
        counts["routed"] += 1
        counts[f"plan_{plan.chosen}"] += 1
        totals["planned_usdt"] += plan.filled * reference
        if plan.filled < order.quantity * (1 - 1e-6):
            counts["plan_short"] += 1
        if plan.best_single and plan.filled > 0:
            counts["with_best_single"] += 1
            totals["saving_vs_best_single"] += plan.saving
            totals["best_single_notional"] += plan.filled * reference
            if plan.saving < -1e-9:
                checks["saving_non_negative"] = False
            if plan.saving > 1e-9:
                counts["saving_positive"] += 1
        elif plan.filled > 0:
            counts["no_single_source"] += 1
        if math.isfinite(plan.saving_vs_exchanges):
            counts["with_exchanges_only"] += 1
            totals["saving_vs_exchanges"] += plan.saving_vs_exchanges
            totals["exchanges_notional"] += plan.filled * reference
            if plan.saving_vs_exchanges < -1e-6:
                counts["exchanges_cheaper"] += 1
        elif plan.filled > 0:
            counts["exchanges_cannot_fill"] += 1
        if filled > 0 and plan.filled > 0:
            share = filled / plan.filled
            realised = _signed(order.side, cost)
            vs_plan = realised - cash * share  # positive: worse than planned
            record["realised_vs_plan_usdt"] = _f(vs_plan, 4)
            record["realised_vs_plan_bps"] = _f(vs_plan / (filled * reference) * 10_000.0, 3)
            scope = ("one_round",) if rounds == 1 else ()
            for key in ("all", *scope):
                counts[f"realised_{key}"] += 1
                totals[f"vs_plan_{key}"] += vs_plan
                totals[f"realised_notional_{key}"] += filled * reference
                totals[f"delay_risk_{key}"] += delay * share
            if plan.best_single and math.isfinite(plan.best_single_total):
                realised_saving = plan.best_single_total * share - (realised + delay * share)
                record["realised_saving_vs_best_single"] = _f(realised_saving, 4)
                for key in ("all", *scope):
                    counts[f"realised_single_{key}"] += 1
                    totals[f"realised_saving_{key}"] += realised_saving
                    totals[f"planned_saving_{key}"] += plan.saving * share
                    totals[f"single_notional_{key}"] += filled * reference
        per_order.append(record)

    # The later rounds' decisions: the stored plan is the latest one.
    for row in routes:
        if (row["rounds"] or 0) > 1 and row["plan"]:
            try:
                compute_later.append(float(json.loads(row["plan"])["compute_ms"]))
            except (ValueError, KeyError, TypeError):
                pass

    def bps(amount: float, notional: float):
        return _f(amount / notional * 10_000.0, 3) if notional > 0 else None

    def ratio(a: float, b: float):
        return _f(a / b, 4) if b > 0 else None

    filled_usdt = sum(k["filled_usdt"] for k in kinds.values())
    for kind in kinds.values():
        kind["share_of_filled"] = ratio(kind["filled_usdt"], filled_usdt)
        kind["filled_usdt"] = _f(kind["filled_usdt"], 2)
    for kind in execution.values():
        kind["slip_bps"] = bps(kind["slip_usdt"], kind["filled_usdt"])
        kind["slip_usdt"] = _f(kind["slip_usdt"], 2)
        kind["filled_usdt"] = _f(kind["filled_usdt"], 2)
    realised_bps = [o["realised_vs_plan_bps"] for o in per_order
                    if o.get("realised_vs_plan_bps") is not None and o["rounds"] == 1]
    compute = None
    if compute_first:
        compute = summarise(compute_first).as_dict(3)
        compute.update({k: _f(v, 3) for k, v in percentiles(compute_first, (90, 99)).items()})

    def realised(key: str) -> dict:
        return {"orders": counts[f"realised_{key}"],
                "vs_plan_usdt": _f(totals[f"vs_plan_{key}"], 2),
                "vs_plan_bps": bps(totals[f"vs_plan_{key}"], totals[f"realised_notional_{key}"]),
                "planned_delay_risk_usdt": _f(totals[f"delay_risk_{key}"], 2),
                "with_best_single": counts[f"realised_single_{key}"],
                "planned_saving_vs_best_single_usdt": _f(totals[f"planned_saving_{key}"], 2),
                "realised_saving_vs_best_single_usdt": _f(totals[f"realised_saving_{key}"], 2),
                "realised_saving_vs_best_single_bps": bps(totals[f"realised_saving_{key}"],
                                                          totals[f"single_notional_{key}"])}

    return {
        "orders": {"submitted": counts["orders"] + refused, "accepted": counts["orders"], "refused": refused,
                   "market": counts["orders_market"], "limit": counts["orders_limit"],
                   "states": dict(sorted(states.items())), "stuck": checks["stuck_orders"],
                   "routed": counts["routed"], "never_routed": counts["never_routed"],
                   "split": counts["plan_split"], "single": counts["plan_single"],
                   "rerouted": counts["rerouted_orders"], "rerouted_market": counts["rerouted_market"],
                   "rerouted_limit": counts["rerouted_limit"], "extra_rounds": counts["extra_rounds"],
                   "submission_lag_s": summarise(lags).as_dict(3) if lags else None},
        "fill": {"ordered_usdt": _f(totals["ordered_usdt"], 2), "filled_usdt": _f(totals["filled_usdt"], 2),
                 "fill_rate": ratio(totals["filled_usdt"], totals["ordered_usdt"]),
                 "fill_rate_market": ratio(totals["filled_usdt_market"], totals["ordered_usdt_market"]),
                 "fill_rate_limit": ratio(totals["filled_usdt_limit"], totals["ordered_usdt_limit"]),
                 "fully_filled_orders": counts["fully_filled"], "dust_left_orders": counts["dust_left"],
                 "unfilled_by_cause": {cause: {"orders": counts[f"unfilled_orders:{cause}"],
                                               "usdt": _f(totals[f"unfilled_usdt:{cause}"], 2)}
                                       for cause in CAUSES if counts[f"unfilled_orders:{cause}"]},
                 "first_plan_short_orders": counts["plan_short"], "first_plan_usdt": _f(totals["planned_usdt"], 2)},
        "planned": {"with_best_single": counts["with_best_single"], "no_single_source": counts["no_single_source"],
                    "saving_positive": counts["saving_positive"],
                    "saving_vs_best_single_usdt": _f(totals["saving_vs_best_single"], 2),
                    "saving_vs_best_single_bps": bps(totals["saving_vs_best_single"], totals["best_single_notional"]),
                    "best_single_notional_usdt": _f(totals["best_single_notional"], 2),
                    "with_exchanges_only": counts["with_exchanges_only"],
                    "exchanges_cannot_fill": counts["exchanges_cannot_fill"],
                    "exchanges_cheaper": counts["exchanges_cheaper"],
                    "saving_vs_exchanges_usdt": _f(totals["saving_vs_exchanges"], 2),
                    "saving_vs_exchanges_bps": bps(totals["saving_vs_exchanges"], totals["exchanges_notional"]),
                    "exchanges_notional_usdt": _f(totals["exchanges_notional"], 2),
                    "otc_options": dict(otc_notes.most_common())},
        "realised": {"one_round": realised("one_round"), "all": realised("all"),
                     "vs_plan_bps_per_order_one_round": summarise(realised_bps).as_dict(3) if realised_bps else None},
        "execution": execution,
        "sources": {"kinds": kinds, "by_source": {k: {**v, "filled_usdt": _f(v["filled_usdt"], 2)}
                                                  for k, v in sorted(sources.items())}},
        "children": {"total": sum(child_states.values()), "states": dict(sorted(child_states.items())),
                     "failures": dict(failures.most_common()), "failure_examples": examples,
                     "book_first_round": counts["book_children_first_round"],
                     "book_lot_lost": counts["book_children_lot_lost"],
                     "dust": counts["dust_children"],
                     "dust_failed": counts["dust_children_failed"]},
        "compute_ms": {"first_plan": compute,
                       "later_rounds": summarise(compute_later).as_dict(3) if compute_later else None},
        "checks": checks,
        "child_fields": list(CHILD_FIELDS),
        "per_order": per_order,
    }


DUST = "a remainder under 0.01 % (lots, minimum notionals)"
CAUSES = (DUST, "no source could take the rest (account funds, depth)", "re-routes fell short (closed by the desk)",
          "the limit price was not reached before expiry", "other")


def _unfilled_cause(quantity: float, filled: float, state: str, reason: str) -> str:
    if quantity - filled <= quantity * 1e-4:
        return CAUSES[0]
    if "rounds fell short" in reason:
        return CAUSES[2]
    if state == "expired":
        return CAUSES[3]
    if "no source can take" in reason or "the sources together can take" in reason:
        return CAUSES[1]
    return CAUSES[4]


def _otc_note(option, chosen: set[str], min_usdt: float, notional: float, reference: float) -> str:
    """Whether an OTC counterparty took part in a first plan, or why not."""
    if option.source in chosen:
        return "in the plan"
    if notional < min_usdt:
        return "the order is below its minimum block"
    if option.capacity * reference < min_usdt * (1 - 1e-9):
        return "the central wallet cannot fund its minimum block"
    return "priced out by the other sources"


def _sol_price(order: Planned, planned: list[Planned]) -> float:
    # A Solana network fee on an ETH or BTC swap, in quote: the SOL reference nearest in time.
    best = min((p for p in planned if p.asset == "SOL" and math.isfinite(p.reference)),
               key=lambda p: abs(p.submitted_at - order.submitted_at), default=None)
    return best.reference if best is not None else 150.0


def report(result: dict) -> str:
    o, fill, pl, re_, ex, src, ch, cm, eng = (result[k] for k in (
        "orders", "fill", "planned", "realised", "execution", "sources", "children", "compute_ms", "engine"))

    def money(value):
        return "n/a" if value is None else f"{value:,.2f}"

    def pct(value):
        return "n/a" if value is None else f"{value * 100:.1f} %"

    one, every = re_["one_round"], re_["all"]
    lines = [
        f"router day: {result['hours']:g} engine hours, {o['submitted']} parent orders (seed {result['seed']}, "
        f"venues at most {result['max_update_hz']:g} Hz); {eng['wall_s']:g} s wall, {eng['speed_x']:g}x real time",
        f"  orders: {o['accepted']} accepted ({o['market']} market, {o['limit']} limit), {o['refused']} refused; "
        f"{o['states']}; stuck {len(o['stuck'])}; first plans {o['split']} split, {o['single']} one source; "
        f"re-routed {o['rerouted']} ({o['rerouted_market']} market, {o['rerouted_limit']} limit; "
        f"{o['extra_rounds']} extra rounds)",
        f"  fill: {pct(fill['fill_rate'])} of {money(fill['ordered_usdt'])} USDT (market "
        f"{pct(fill['fill_rate_market'])}, limit {pct(fill['fill_rate_limit'])}); {fill['fully_filled_orders']} "
        f"orders filled, {fill['dust_left_orders']} closed with less than 0.01 % left; "
        f"{fill['first_plan_short_orders']} first plans short of the order",
        "  unfilled by cause: " + ("; ".join(f"{cause}: {v['orders']} orders, {money(v['usdt'])} USDT"
                                             for cause, v in fill["unfilled_by_cause"].items()) or "none"),
        f"  planned vs best single source: saves {money(pl['saving_vs_best_single_usdt'])} USDT "
        f"({pl['saving_vs_best_single_bps']} bps of {money(pl['best_single_notional_usdt'])}) on "
        f"{pl['with_best_single']} orders, {pl['saving_positive']} of them > 0; no single source could on "
        f"{pl['no_single_source']}",
        f"  planned vs exchanges only: saves {money(pl['saving_vs_exchanges_usdt'])} USDT "
        f"({pl['saving_vs_exchanges_bps']} bps) on {pl['with_exchanges_only']} orders; the exchanges alone could not "
        f"fill {pl['exchanges_cannot_fill']}",
        f"  realised vs plan (cash, positive = worse): one-round orders {money(one['vs_plan_usdt'])} USDT "
        f"({one['vs_plan_bps']} bps, n={one['orders']}); all orders {money(every['vs_plan_usdt'])} USDT "
        f"({every['vs_plan_bps']} bps, n={every['orders']})",
        f"  realised saving vs best single source: one-round {money(one['realised_saving_vs_best_single_usdt'])} USDT "
        f"(planned {money(one['planned_saving_vs_best_single_usdt'])}, n={one['with_best_single']}); all "
        f"{money(every['realised_saving_vs_best_single_usdt'])} (planned "
        f"{money(every['planned_saving_vs_best_single_usdt'])})",
        "  children vs their expected price: " + ", ".join(
            f"{k} {v['slip_bps']} bps (n={v['children']})" for k, v in ex.items() if v["children"]),
        "  sources: " + ", ".join(f"{k} {v['children']} children ({v['failed']} failed) in {v['orders']} orders, "
                                  f"{pct(v['share_of_filled'])} of filled" for k, v in src["kinds"].items()),
        f"  OTC options: {pl['otc_options']}",
        f"  children: {ch['total']} {ch['states']}; {ch['dust']} worth < 1 USDT ({ch['dust_failed']} failed); "
        f"failures {ch['failures']}; book children that lost a lot to the desk's rounding "
        f"{ch['book_lot_lost']} of {ch['book_first_round']} (first rounds)"]
    if cm["first_plan"]:
        f = cm["first_plan"]
        lines.append(f"  route compute (first plans): median {f['median']:.2f} ms, p90 {f['p90']:.2f}, "
                     f"p99 {f['p99']:.2f}, max {f['max']:.2f} (n={f['n']})")
    checks = result["checks"]
    lines.append(f"  checks: children sum = filled {checks['children_sum_equals_filled']}, saving >= 0 "
                 f"{checks['saving_non_negative']}, = desk summary {checks.get('saving_matches_desk_summary')}, "
                 f"route cost vs children max gap {checks['route_cost_vs_children_max_gap_usdt']:.4f} USDT; "
                 f"{result['warning_count']} warnings")
    return "\n".join(lines)


def dump(result: dict) -> str:
    """The result as JSON text: the figures indented, one line per order."""
    head = json.dumps({k: v for k, v in result.items() if k != "per_order"}, indent=1)
    orders = ",\n".join("  " + json.dumps(o, separators=(",", ":")) for o in result.get("per_order", ()))
    return head[:-2] + ',\n "per_order": [\n' + orders + "\n ]\n}\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.router_day", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help=f"{QUICK_HOURS * 60:g} engine minutes, {QUICK_ORDERS} orders")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--hours", type=float, help=f"engine hours (default {HOURS:g})")
    parser.add_argument("--orders", type=int, help=f"parent orders (default {ORDERS})")
    parser.add_argument("--seed", type=int, default=7, help="market and order seed (default 7)")
    parser.add_argument("--max-update-hz", type=float, default=MAX_UPDATE_HZ,
                        help=f"cap every venue's book updates at this rate (default {MAX_UPDATE_HZ:g}; 0: defaults)")
    parser.add_argument("--set", metavar="KEY=VALUE", action="append", default=[], dest="settings",
                        help="a config setting (repeatable)")
    parser.add_argument("--db", help="keep the run's database here (a new file)")
    parser.add_argument("--out", help="write the JSON result to this file")
    args = parser.parse_args(argv)
    try:
        result = run(args.quick, args.hours, args.orders, args.seed, args.max_update_hz, tuple(args.settings),
                     args.db)
    except ValueError as exc:
        parser.error(str(exc))
    if args.out:
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(dump(result), encoding="utf-8")
    print(json.dumps(result) if args.json else report(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
