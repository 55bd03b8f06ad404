"""`halt`/`resume` from another process against a running headless engine, and the schema 1 -> 2 migration."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from tests.fakes.waiting import eventually

from octo_desktop.storage import open_store
from octo_desktop.storage.tables import SCHEMA_VERSION

pytestmark = [pytest.mark.integration, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]
ENV = dict(os.environ, PYTHONPATH=str(ROOT))


def cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "octo_desktop", *args], cwd=ROOT, env=ENV, capture_output=True,
                          text=True, timeout=timeout)


def risk_triggers(db: Path) -> list[tuple[str, str, str]]:
    with sqlite3.connect(db) as connection:
        return connection.execute("SELECT from_state, to_state, trigger FROM risk_events ORDER BY id").fetchall()


def test_halt_and_resume_reach_a_running_headless_engine(tmp_path):
    db = tmp_path / "octo.db"
    engine = subprocess.Popen([sys.executable, "-m", "octo_desktop", "run", "--headless", "--speed", "1",
                               "--seconds", "600", "--json", "--db", str(db)], cwd=ROOT, env=ENV,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        eventually(db.exists, timeout=60, message="the engine created its database")
        halted = cli("halt", "--db", str(db), "--reason", "desk says stop", "--json", "--wait", "30")
        assert halted.returncode == 0, halted.stderr
        answer = json.loads(halted.stdout)
        assert answer["acknowledged"] and answer["result"].startswith("HALTED: desk says stop")
        assert ("ACTIVE", "HALTED", "kill switch") in risk_triggers(db)
        again = cli("resume", "--db", str(db), "--json", "--wait", "30")
        assert json.loads(again.stdout)["result"].startswith("resumed: ACTIVE")
        refused = cli("resume", "--db", str(db), "--json", "--wait", "30")
        assert "resume refused" in json.loads(refused.stdout)["result"]  # nothing to resume: illegal
        assert risk_triggers(db)[-1] == ("HALTED", "ACTIVE", "resume")
    finally:
        engine.kill()
        engine.wait(30)


def test_a_halt_posted_while_stopped_applies_before_the_next_start_trades(tmp_path):
    db = tmp_path / "octo.db"
    first = cli("run", "--headless", "--seconds", "5", "--json", "--db", str(db))
    assert first.returncode == 0, first.stderr
    posted = cli("halt", "--db", str(db), "--wait", "0.3")
    assert posted.returncode == 3 and "applies when the engine next starts" in posted.stdout
    second = cli("run", "--headless", "--seconds", "300", "--json", "--db", str(db),
                 "--set", "simulation.dislocations_per_minute=12")
    summary = json.loads(second.stdout)
    assert summary["risk"]["state"] == "HALTED"
    assert summary["trades"] == json.loads(first.stdout)["trades"]  # not one trade in 300 s
    assert summary["rejections"].get("risk:kill_switch", 0) > 0


def test_a_schema_1_database_is_migrated_and_keeps_its_trades(tmp_path):
    db = tmp_path / "octo.db"
    first = cli("run", "--headless", "--seconds", "120", "--json", "--db", str(db))
    assert first.returncode == 0, first.stderr
    trades_before = json.loads(first.stdout)["trades"]
    assert trades_before > 0
    # Turn it into what Octo 1 wrote: no journal/risk/control tables, no new columns, schema_version 1.
    with sqlite3.connect(db) as connection:
        for table in ("journal", "risk_events", "control"):
            connection.execute(f"DROP TABLE {table}")
        connection.execute("DROP INDEX ux_fills_order_seq")
        for column in ("order_id", "fill_seq"):
            connection.execute(f"ALTER TABLE fills DROP COLUMN {column}")
        for column in ("buy_order_type", "sell_order_type", "decision_buy_vwap", "decision_sell_vwap",
                       "arrival_buy_vwap", "arrival_sell_vwap", "steps", "expected_edge", "latency_decay",
                       "slippage", "rollback_loss"):
            connection.execute(f"ALTER TABLE trades DROP COLUMN {column}")
        connection.execute("ALTER TABLE opportunities DROP COLUMN transfer_bps")  # schema 5
        connection.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    store = open_store(db)
    try:
        state = store.load()
    finally:
        store.close()
    assert state.trade_count == trades_before and state.fills
    assert all(fill.order_id == "" for fill in state.fills)
    with sqlite3.connect(db) as connection:
        assert connection.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0] == str(SCHEMA_VERSION)
        assert connection.execute("SELECT count(*) FROM journal").fetchone()[0] == 0
        # The older opportunities are kept, without a transfer cost term (it was not priced then).
        kept = connection.execute("SELECT count(*), count(transfer_bps) FROM opportunities").fetchone()
        assert kept[0] > 0 and kept[1] == 0
    again = cli("run", "--headless", "--seconds", "60", "--json", "--db", str(db))
    assert again.returncode == 0, again.stderr
    assert Decimal(json.loads(again.stdout)["realized_pnl"]) != 0
