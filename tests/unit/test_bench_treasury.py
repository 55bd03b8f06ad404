"""The rebalancing benchmark's arithmetic: trades per engine hour, and its report."""

import pytest

from benchmarks import treasury

HEADER = "trade_id,opened_at,closed_at\n"


def test_trades_are_counted_in_the_engine_hour_they_opened_in():
    start = treasury.START_TIME
    rows = [f"{i},{start + t},{start + t + 1}" for i, t in enumerate((0, 3599.9, 3600, 7300, 14_400, -5))]
    assert treasury.trades_per_hour(HEADER + "\n".join(rows) + "\n", 4) == [2, 1, 1, 0]


def test_the_report_names_both_runs_and_whether_trading_dried_up():
    point = {"trades": 10, "trades_per_hour": [8, 1], "realized_pnl": "12.5", "transfer_fees_usdt": "2.5",
             "net_pnl": "10.0", "rebalances_made": 3, "rebalances_not_made": 1, "dried_up": True}
    result = {"hours": 2.0, "seed": 7, "preset": "off", "benchmark_wall_s": 1.0,
              "points": [dict(point, rebalance=True), {"rebalance": False, "error": "exit 1: boom"}]}
    text = treasury.report(result)
    assert "rebalancing  trades   10 per hour [8, 1]  realized +12.50" in text and "dried up: true" in text
    assert "none         FAILED: exit 1: boom" in text and "preset 'off'" in text
    with pytest.raises(ValueError):
        treasury.run(hours=0.5)
