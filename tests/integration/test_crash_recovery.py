"""kill -9 the headless engine at random moments (mid-trade included), restart it, and lose nothing.

The engine runs as a real subprocess on the simulated market with ``--stream``: it prints one JSON line
per committed fill. After every kill the database must open cleanly, hold every fill the process
reported exactly once, and on the next start every trade left open is recovered by the rollback
rules. A final clean run must end with no open trade and balances equal to the initial balances plus
every fill and fee, exactly.
"""

from __future__ import annotations

import random
import signal
import sqlite3
import time
from decimal import Decimal
from pathlib import Path

import pytest

from octo_desktop.domain.ledger import asset_changes
from octo_desktop.domain.model import Fill
from tests.fakes.headless import (
    OctoProcess, net_base, run_octo, stored_fills_by_trade, stored_trades, unbalanced_closed_trades,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]
KILLS = 22
# Without other arbitrageurs, so that trades open (and can be killed in flight) on every dislocation.
OFF = ('simulation.preset="off"',)
SETTINGS = [*OFF, "simulation.dislocations_per_minute=12", "risk.pair_cooldown_s=0",
            "risk.breaker_losing_trades=1000",
            "risk.breaker_failed_legs=1000", "risk.daily_loss_limit_pct=100", "risk.max_open_trades=6",
            "venues.htx.latency_ms_median=400", "venues.htx.latency_ms_p95=900"]


def engine_process(db: Path, *extra: str) -> OctoProcess:
    """One headless engine subprocess on ``db``, streaming its committed fills."""
    return OctoProcess("run", "--headless", "--stream", "--db", str(db), *extra, settings=tuple(SETTINGS))


def stored_fills(db: Path) -> dict[tuple[str, int], tuple[str, str, str]]:
    with sqlite3.connect(db) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows = connection.execute("SELECT order_id, fill_seq, price, quantity, fee FROM fills").fetchall()
    keys = [(order_id, seq) for order_id, seq, *_ in rows]
    assert len(keys) == len(set(keys)), "a fill is stored twice"
    return {(order_id, seq): (price, quantity, fee) for order_id, seq, price, quantity, fee in rows}


def test_kill_9_at_random_moments_loses_and_duplicates_nothing(tmp_path):
    db = tmp_path / "octo.db"
    rng = random.Random(20261121)
    reported: dict[tuple[str, int], tuple[str, str, str]] = {}
    mid_trade_kills = 0
    open_after_kill = 0
    for attempt in range(KILLS):
        engine = engine_process(db, "--speed", "10", "--seconds", "100000")
        try:
            if attempt % 2:  # right after a committed entry fill: the trade is mid-flight
                engine.wait_for(lambda e: e["event"] == "fills" and e["purpose"] == "entry", timeout=60)
                time.sleep(rng.uniform(0.0, 0.05))
                mid_trade_kills += 1
            else:  # at a random moment, trading or not
                engine.wait_for(lambda e: True, timeout=60)
                time.sleep(rng.uniform(0.0, 1.5))
        finally:
            engine.kill()
        for event in engine.fills:
            for fill in event["fills"]:
                key = (event["order_id"], fill["seq"])
                assert key not in reported, f"fill {key} reported by two runs"
                reported[key] = (fill["price"], fill["quantity"], fill["fee"])
        stored = stored_fills(db)
        missing = [key for key in reported if key not in stored]
        assert not missing, f"kill {attempt}: fills reported but not stored: {missing[:5]}"
        for key, values in reported.items():
            assert tuple(Decimal(v) for v in stored[key]) == tuple(Decimal(v) for v in values), key
        with sqlite3.connect(db) as connection:
            open_after_kill += connection.execute("SELECT count(*) FROM trades WHERE state = 'open'").fetchone()[0]

    assert mid_trade_kills >= 10
    assert open_after_kill > 0, "no kill ever left a trade open: recovery was never exercised"

    final = engine_process(db, "--speed", "max", "--seconds", "30", "--json")
    assert final.finish() == 0, final.stderr
    summary = final.summary
    assert summary is not None and summary["open_trades"] == 0

    with sqlite3.connect(db) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert connection.execute("SELECT count(*) FROM trades WHERE state = 'open'").fetchone()[0] == 0
        recovered = connection.execute("SELECT count(*) FROM trades WHERE note LIKE '%recovered after a restart%'")
        assert recovered.fetchone()[0] > 0
        initial: dict[str, dict[str, Decimal]] = {}
        for venue, asset, amount in connection.execute("SELECT venue, asset, amount FROM initial_balances"):
            initial.setdefault(venue, {})[asset] = Decimal(amount)
        rows = connection.execute("SELECT trade_id, venue, symbol, side, price, quantity, fee, fee_asset, "
                                  "liquidity, order_type, time, purpose, order_id FROM fills ORDER BY id").fetchall()
    fills = [Fill(r[0], r[1], r[2], r[3], Decimal(r[4]), Decimal(r[5]), Decimal(r[6]), r[7], r[8], r[9], r[10],
                  r[11], r[12]) for r in rows]
    assert len(fills) >= len(reported) > 0
    expected = {venue: dict(assets) for venue, assets in initial.items()}
    for fill in fills:
        for asset, change in asset_changes([fill]).items():
            expected.setdefault(fill.venue, {})[asset] = expected.get(fill.venue, {}).get(asset, Decimal(0)) + change
    balances = {venue: {asset: Decimal(amount) for asset, amount in assets.items()}
                for venue, assets in summary["balances"].items()}
    assert balances == expected

    # Every closed trade's own fills net to zero base across its venues, and none closed before it opened.
    assert unbalanced_closed_trades(db) == []
    backwards = [(t["trade_id"], t["opened_at"], t["closed_at"]) for t in stored_trades(db)
                 if t["closed_at"] is not None and t["closed_at"] < t["opened_at"]]
    assert backwards == []


# ---------------------------------------------------------------------------------------------------
# A recovery interrupted again and again, at exactly the same points (the stream's own events).
# ---------------------------------------------------------------------------------------------------
def stored_sum(db: Path, column: str) -> Decimal:
    return sum((Decimal(t[column]) for t in stored_trades(db) if t["state"] != "open"), Decimal(0))


def test_an_interrupted_recovery_never_unwinds_a_position_twice(tmp_path):
    db = tmp_path / "octo.db"
    run = ("run", "--headless", "--seconds", "600", "--seed", "7", "--stream", "--db", str(db))

    first = OctoProcess(*run, kill_after="event=fills", settings=OFF)  # the entry leg's fill is committed, nothing else
    assert first.finish() == -signal.SIGKILL, first.stderr
    (entry,) = first.fills
    trade_id = entry["trade_id"]
    assert run_octo("halt", "--db", str(db), "--wait", "0").returncode == 3  # the next start is halted

    # recovery unwinds the leg: killed mid-recovery
    second = OctoProcess(*run, kill_after="purpose=unwind", settings=OFF)
    assert second.finish() == -signal.SIGKILL, second.stderr
    (trade,) = [t for t in stored_trades(db) if t["trade_id"] == trade_id]
    assert trade["state"] == "open"
    assert [f["purpose"] for f in stored_fills_by_trade(db)[trade_id]] == ["entry", "unwind"]

    third = OctoProcess(*run, kill_after="purpose=unwind", settings=OFF)  # a second interrupted recovery
    third.finish()
    final = OctoProcess("run", "--headless", "--seconds", "60", "--json", "--db", str(db), settings=OFF)
    assert final.finish() == 0, final.stderr

    fills = stored_fills_by_trade(db)[trade_id]
    assert [f["purpose"] for f in fills] == ["entry", "unwind"], "the excess was unwound more than once"
    assert net_base(fills) == 0
    assert unbalanced_closed_trades(db) == []
    (trade,) = [t for t in stored_trades(db) if t["trade_id"] == trade_id]
    assert trade["state"] == "rolled back" and trade["closed_at"] >= trade["opened_at"]
    notional = Decimal(fills[0]["price"]) * Decimal(fills[0]["quantity"])
    assert abs(Decimal(trade["realized_pnl"])) < notional * Decimal("0.01"), "a round trip cannot earn 1 %"
    summary = final.summary
    assert Decimal(summary["realized_pnl"]) == stored_sum(db, "realized_pnl")
    assert Decimal(summary["fees"]) == stored_sum(db, "fees_in_quote")
    assert summary["open_trades"] == 0 and summary["trade_states"] == {"rolled back": 1}


def test_the_session_that_recovers_a_trade_counts_its_pnl_once(tmp_path):
    db = tmp_path / "octo.db"
    first = OctoProcess("run", "--headless", "--seconds", "600", "--seed", "7", "--stream", "--db", str(db),
                        kill_after="event=fills", settings=OFF)
    assert first.finish() == -signal.SIGKILL
    assert [t["state"] for t in stored_trades(db)] == ["open"]

    second = OctoProcess("run", "--headless", "--seconds", "120", "--json", "--db", str(db), settings=OFF)
    assert second.finish() == 0, second.stderr
    summary = second.summary
    trades = stored_trades(db)
    assert summary["recovered"] and summary["open_trades"] == 0
    assert all(t["state"] != "open" for t in trades)
    assert Decimal(summary["realized_pnl"]) == stored_sum(db, "realized_pnl")
    states: dict[str, int] = {}
    for trade in trades:
        states[trade["state"]] = states.get(trade["state"], 0) + 1
    assert summary["trade_states"] == states
    assert sum(states.values()) == summary["trades"] == len(trades)


TIMED_TABLES = {"journal": "time", "fills": "time", "equity_curve": "time", "balance_history": "time",
                "risk_events": "time", "opportunities": "time"}


def times_by_row(db: Path) -> dict[str, list[tuple[int, float]]]:
    """Return (row id, engine time) of every row of every table with an engine-time column."""
    with sqlite3.connect(db) as connection:
        return {table: connection.execute(f"SELECT rowid, {column} FROM {table}").fetchall()
                for table, column in TIMED_TABLES.items()}


def test_engine_time_after_a_crash_never_goes_back_before_what_is_stored(tmp_path):
    db = tmp_path / "octo.db"
    # The clock is stored every 10 engine seconds; kill -9 after the first trade, between two stores. The
    # first run starts a day ahead of the wall clock, so that the restart cannot simply take "now" instead.
    start = str(round(time.time()) + 86_400)
    first = OctoProcess("run", "--headless", "--seconds", "600", "--seed", "7", "--stream", "--db", str(db),
                        "--start-time", start, kill_after="event=trade",
                        settings=('simulation.preset="off"', "simulation.dislocations_per_minute=12"))
    assert first.finish() == -signal.SIGKILL
    before = times_by_row(db)
    latest = max(t for rows in before.values() for _, t in rows)
    assert latest > float(start) + 1.0

    second = OctoProcess("run", "--headless", "--seconds", "60", "--stream", "--json", "--db", str(db),
                         settings=('simulation.preset="off"', "simulation.dislocations_per_minute=12"))
    assert second.finish() == 0, second.stderr

    after = times_by_row(db)
    new_times = [t for table, rows in after.items() for row, t in rows
                 if row > max((r for r, _ in before[table]), default=0)]
    assert new_times and min(new_times) >= latest
    backwards = [t["trade_id"] for t in stored_trades(db) if t["closed_at"] is not None
                 and t["closed_at"] < t["opened_at"]]
    assert backwards == []
