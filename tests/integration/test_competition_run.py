"""The simulated market with other arbitrageurs, on the real runtime thread."""

from __future__ import annotations

import sqlite3
from decimal import Decimal

import pytest

from octo_desktop.app import build_runtime
from octo_desktop.config import builtin_config

pytestmark = [pytest.mark.integration, pytest.mark.slow]
START = 1_767_225_600.0


def run(db, seconds, overrides=()):
    config = builtin_config(["market.seed=7", *overrides])
    runtime = build_runtime(config, db_path=db, speed=None, start_time=START, run_seconds=seconds)
    runtime.start()
    runtime.wait(timeout=300)
    assert not runtime.is_running and runtime.failure is None
    return runtime


def test_without_competitors_the_market_and_its_results_are_those_from_before_them(tmp_path):
    # The figures of the tree before competitors existed, for this seed, start and length.
    summary = run(tmp_path / "off.db", 300.0, ['simulation.preset="off"']).summary
    assert (summary["trades"], summary["realized_pnl"], summary["events"]) == (24, "196.4380757280", 119_274)


def test_with_competitors_their_trades_take_the_edge_octo_saw(tmp_path):
    off = run(tmp_path / "off.db", 300.0, ['simulation.preset="off"'])
    on = run(tmp_path / "on.db", 300.0, ['simulation.preset="competitive"'])
    competition = on.summary["competition"]
    assert competition["preset"] == "competitive" and competition["competitors"] == {"fast": 5, "medium": 5, "slow": 5}
    assert competition["races"] > 0 and competition["legs_filled"] > 0 and competition["taken_usdt"] > 0
    assert off.summary["competition"]["races"] == 0
    expected_off = Decimal(off.summary["attribution"]["expected"])
    expected_on = Decimal(on.summary["attribution"]["expected"])
    assert expected_on < expected_off / 2  # what Octo's decisions expected shrank: the edges were taken
    assert Decimal(on.summary["realized_pnl"]) < Decimal(off.summary["realized_pnl"])


def test_the_opportunities_gone_before_octos_order_are_counted_with_why(tmp_path):
    off = run(tmp_path / "off.db", 300.0, ['simulation.preset="off"']).summary
    on = run(tmp_path / "on.db", 300.0, ['simulation.preset="normal"']).summary
    assert off["vanished"] == {"taken": 0, "moved": 0}
    assert on["vanished"]["taken"] > 0
    # each one is a trade whose entry leg found its price gone: it did not complete as planned
    incomplete = sum(count for state, count in on["trade_states"].items() if state != "complete")
    assert sum(on["vanished"].values()) <= on["trades"] and incomplete >= 1


VENUES = ("binance", "okx", "bybit", "kucoin", "gate", "mexc", "bitget", "htx")
# Nothing moves but one scripted sweep: okx's ETH book 80 bps down at 20 s, held 5 s. Octo sees books
# 5 ms late and its orders take 60-80 ms; its entries are IOC limits (never market orders), so a late
# order is refused by a book that no longer has the price, instead of paying whatever is there.
SWEEP = ['simulation.preset="off"', "simulation.dislocations_per_minute=0", "simulation.outages_per_hour=0",
         'simulation.shocks=["20 okx ETH/USDT -80 5"]', "simulation.feed_latency_ms=5",
         "execution.market_min_urgency=1000000",
         *(f"venues.{v}.latency_ms_median=60" for v in VENUES), *(f"venues.{v}.latency_ms_p95=80" for v in VENUES)]
# One professional at exactly 20 ms on every route, whose fill makes okx's market makers requote fully.
RACER = ["simulation.fast_competitors=1", "simulation.fast_latency_ms=20", "simulation.competitor_latency_sigma=0",
         "simulation.competitor_participation=1", "simulation.competitor_impact=1"]


def _trades(db):
    connection = sqlite3.connect(db)
    connection.row_factory = sqlite3.Row
    try:
        trades = [dict(row) for row in connection.execute("SELECT * FROM trades ORDER BY trade_id")]
        fills = [dict(row) for row in connection.execute("SELECT * FROM fills ORDER BY id")]
    finally:
        connection.close()
    return trades, fills


def test_a_scripted_sweep_is_closed_at_the_competitors_latency_and_octos_late_order_is_refused(tmp_path):
    # Alone, Octo buys the sweep: its order lands 60-80 ms later at the price it decided on.
    alone = run(tmp_path / "alone.db", 40.0, SWEEP).summary
    trades, _ = _trades(tmp_path / "alone.db")
    first = trades[0]
    assert (first["buy_venue"], first["state"]) == ("okx", "complete") and alone["vanished"]["taken"] == 0
    assert first["opened_at"] == pytest.approx(START + 20.0, abs=0.01)
    assert first["arrival_buy_vwap"] == first["decision_buy_vwap"] and Decimal(first["realized_pnl"]) > 0
    # With the professional, the same sweep is taken 20 ms after it printed, on both of its venues...
    # (A breaker that trips on one failed leg: a lost race is not one.)
    raced = run(tmp_path / "raced.db", 40.0, [*SWEEP, *RACER, "risk.breaker_failed_legs=1"]).summary
    fills_by_them = raced["competition"]["recent_fills"]
    okx = [leg for leg in fills_by_them if leg["venue"] == "okx" and leg["side"] == "buy"]
    assert okx and okx[-1]["seen_at"] == pytest.approx(START + 20.0, abs=1e-6)
    assert okx[-1]["arrived_at"] == pytest.approx(START + 20.020, abs=1e-6) and okx[-1]["filled"] > 0
    assert okx[-1]["average"] < first["decision_sell_vwap"] * (1 - 50e-4)  # they got the swept price
    # ... so Octo's IOC buy, which decided on the same price, meets the requoted book and is refused;
    # its other leg is unwound, and the opportunity counts as taken first.
    trades, fills = _trades(tmp_path / "raced.db")
    late = trades[0]
    assert (late["buy_venue"], late["state"]) == ("okx", "rolled back")
    assert late["decision_buy_vwap"] == first["decision_buy_vwap"]
    assert late["arrival_buy_vwap"] > late["decision_buy_vwap"] * (1 + 50e-4)  # the sweep was gone
    assert not [f for f in fills if f["trade_id"] == late["trade_id"] and f["venue"] == "okx"]
    assert all(f["time"] > START + 20.020 for f in fills if f["trade_id"] == late["trade_id"])
    assert raced["vanished"]["taken"] >= 1 and Decimal(late["realized_pnl"]) < 0
    assert not [e for e in raced["risk"]["events"] if e["trigger"] == "circuit breaker"], raced["risk"]
    assert Decimal(raced["realized_pnl"]) < Decimal(alone["realized_pnl"])


def test_octos_realized_pnl_falls_as_its_latency_rises(tmp_path):
    # The latency sweep of benchmarks/competition.py, on one seed for 600 s: the same default market, the
    # same competitors; only Octo's order latency changes. The risk engine's halts are off, as there.
    from benchmarks.competition import RISK_OFF, SCALES, base_latencies, latency_overrides

    latencies = base_latencies()
    pnls = []
    for scale in SCALES:
        summary = run(tmp_path / f"x{scale:g}.db", 600.0, [*RISK_OFF, *latency_overrides(scale, latencies)]).summary
        assert summary["competition"]["preset"] == "normal" and summary["competition"]["races"] > 0
        pnls.append(Decimal(summary["realized_pnl"]))
    assert pnls == sorted(pnls, reverse=True) and len(set(pnls)) == len(pnls), pnls  # strictly falling
    assert pnls[0] > 0 > pnls[-1]  # fast earns, slow loses: x0.5 and x5
