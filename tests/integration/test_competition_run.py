"""The simulated market with other arbitrageurs, on the real runtime thread."""

from __future__ import annotations

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
