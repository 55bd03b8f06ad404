"""The real runtime thread on the simulated clock: trades, conservation, determinism, calm markets."""

from __future__ import annotations

from decimal import Decimal

import pytest

from octo_desktop.app import build_runtime
from octo_desktop.config import load_config
from octo_desktop.domain.commands import Halt, Resume
from octo_desktop.domain.ledger import asset_changes
from octo_desktop.storage import open_store
from tests.fakes.waiting import eventually

pytestmark = [pytest.mark.integration, pytest.mark.slow]
START = 1_700_000_000.0
TEN_MINUTES = 600.0


def run(db, seconds, overrides=(), seed=None, start=START):
    config = load_config(overrides=list(overrides))
    if seed is not None:
        from dataclasses import replace

        config = replace(config, seed=seed)
    runtime = build_runtime(config, db_path=db, speed=None, start_time=start, run_seconds=seconds)
    runtime.start()
    runtime.wait(timeout=300)
    assert not runtime.is_running and runtime.failure is None
    return runtime


def decimals(balances):
    return {v: {a: Decimal(x) for a, x in assets.items()} for v, assets in balances.items()}


@pytest.fixture(scope="module")
def ten_minutes(tmp_path_factory):
    db = tmp_path_factory.mktemp("run") / "octo.db"
    return db, run(db, TEN_MINUTES, seed=11)


def test_ten_minutes_find_opportunities_and_trade(ten_minutes):
    _, runtime = ten_minutes
    summary = runtime.summary
    assert summary["opportunities"] > 0
    assert summary["trades"] > 0
    assert summary["events"] > 50_000
    assert Decimal(summary["fees"]) > 0
    assert set(summary["books"]) == set(load_config().venue_names)


def test_ledger_is_conserved_exactly_over_every_fill(ten_minutes):
    db, runtime = ten_minutes
    store = open_store(db)
    try:
        state = store.load()
    finally:
        store.close()
    summary = runtime.summary
    initial = decimals(summary["initial_balances"])
    assert initial == state.initial_balances
    expected = {v: dict(assets) for v, assets in initial.items()}
    for fill in state.fills:
        for asset, change in asset_changes([fill]).items():
            expected[fill.venue][asset] = expected[fill.venue].get(asset, Decimal(0)) + change
    assert expected == decimals(summary["balances"])
    # Per trade: fills and fees explain every asset's change, and P&L adds up to the total.
    trades = {}
    for fill in state.fills:
        trades.setdefault(fill.trade_id, []).append(fill)
    assert len(trades) == summary["trades"] - sum(1 for t in state.recent_trades if not t.fills)
    assert sum((t.realized_pnl for t in state.recent_trades), Decimal(0)) == Decimal(summary["realized_pnl"])


def test_same_seed_gives_identical_results(ten_minutes, tmp_path):
    _, first = ten_minutes
    second = run(tmp_path / "again.db", TEN_MINUTES, seed=11)
    ignore = {"events_per_second"}
    assert {k: v for k, v in first.summary.items() if k not in ignore} == \
           {k: v for k, v in second.summary.items() if k not in ignore}


def test_calm_market_gives_no_trades(tmp_path):
    # No sweeps and no other kinds of dislocation (informed moves, stale quotes): nothing beats the fees.
    runtime = run(tmp_path / "calm.db", TEN_MINUTES, ['simulation.preset="off"', "simulation.dislocations_per_minute=0"],
                  seed=11)
    assert runtime.summary["trades"] == 0
    assert runtime.summary["opportunities"] == 0
    assert runtime.summary["events"] > 50_000


def test_a_second_run_continues_from_the_stored_state(tmp_path):
    db = tmp_path / "octo.db"
    first = run(db, 180.0, ["simulation.dislocations_per_minute=4"])
    second = run(db, 180.0, ["simulation.dislocations_per_minute=4"], start=first.summary["engine_time"])
    assert first.summary["trades"] > 0
    assert second.summary["initial_balances"] == first.summary["initial_balances"]
    assert second.summary["trades"] >= first.summary["trades"]
    assert Decimal(second.summary["fees"]) >= Decimal(first.summary["fees"])
    store = open_store(db)
    try:
        state = store.load()
    finally:
        store.close()
    expected = decimals(second.summary["initial_balances"])
    for fill in state.fills:
        for asset, change in asset_changes([fill]).items():
            expected[fill.venue][asset] += change
    assert expected == decimals(second.summary["balances"])


def test_kill_switch_halts_trading_at_once(tmp_path):
    config = load_config(overrides=["simulation.dislocations_per_minute=30"])
    runtime = build_runtime(config, db_path=tmp_path / "octo.db", speed=50.0, start_time=START)
    runtime.start()
    try:
        eventually(lambda: (s := runtime.latest_snapshot()) and s.trade_count > 0, timeout=60,
                   message="a trade")
        runtime.submit(Halt("test"))
        halted = eventually(lambda: (s := runtime.latest_snapshot()) and s.risk.state == "HALTED" and s,
                            timeout=5, message="halt")
        assert halted.engine_state == "halted"
        count = halted.trade_count
        later = eventually(lambda: (s := runtime.latest_snapshot()) and s.time > halted.time + 60 and s,
                           timeout=30, message="a minute of engine time")
        assert later.trade_count == count, "no trade opens while halted"
        assert later.rejections.get("risk:kill_switch", 0) > 0, "opportunities seen while halted are refused"
        runtime.submit(Resume())
        eventually(lambda: runtime.latest_snapshot().risk.state == "ACTIVE", timeout=5, message="resume")
    finally:
        runtime.stop(timeout=5)
    assert not runtime.is_running


def test_sequence_gaps_and_outages_are_survived(tmp_path):
    runtime = run(tmp_path / "gaps.db", 120.0, ["simulation.sequence_gap_probability=0.01",
                                                "simulation.outages_per_hour=120"])
    snapshot = runtime.latest_snapshot()
    assert sum(view.status == "live" for view in snapshot.books.values()) >= len(snapshot.books) // 2
    assert runtime.summary["events"] > 10_000
    assert "sequence gap" not in snapshot.last_error, "a routine resync is not shown as an error"


def test_snapshot_lists_each_opportunity_once(ten_minutes):
    _, runtime = ten_minutes
    ids = [view.opportunity_id for view in runtime.latest_snapshot().opportunities]
    assert ids and len(ids) == len(set(ids))
