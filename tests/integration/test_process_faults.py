"""The command line under faults: a second engine on one database, signals to a headless run, a full disk.

Every case runs the real ``python -m octo_desktop`` in a subprocess and reads what it printed, its exit
code and the database it left.
"""

from __future__ import annotations

import json
import resource
import signal
import sqlite3
from decimal import Decimal

import pytest

from tests.fakes.headless import OctoProcess, run_octo, stored_trades, unbalanced_closed_trades

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def long_run(db, *extra):
    """A headless engine that runs until stopped, streaming its fills."""
    return OctoProcess("run", "--headless", "--seconds", "100000", "--speed", "20", "--stream", "--json",
                       "--db", str(db), *extra, settings=("simulation.dislocations_per_minute=12",))


def order_ids_are_unique(db) -> bool:
    with sqlite3.connect(db) as connection:
        rows = connection.execute("SELECT order_id, fill_seq, count(*) FROM fills GROUP BY order_id, fill_seq "
                                  "HAVING count(*) > 1").fetchall()
        wrong_trade = connection.execute(
            "SELECT count(*) FROM fills f JOIN trades t ON f.trade_id = t.trade_id WHERE f.symbol != t.symbol"
        ).fetchone()[0]
    return not rows and wrong_trade == 0


# ---------------------------------------------------------------------------------------------------
# One engine per database.
# ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("second", [
    ("run", "--headless", "--seconds", "30", "--json"),
    ("record", "--market", "sim", "--seconds", "30", "--out", "{tmp}/r.jsonl.gz"),
])  # the window's refusal (with its dialog) is tested in tests/gui/test_launch.py
def test_a_second_engine_on_a_database_in_use_is_refused_and_the_first_is_untouched(tmp_path, second):
    db = tmp_path / "octo.db"
    first = long_run(db)
    try:
        first.wait_for(lambda e: e["event"] == "fills")
        refused = run_octo(*[part.replace("{tmp}", str(tmp_path)) for part in second], "--db", str(db), timeout=60)
        assert refused.returncode == 1, refused.stderr
        (line,) = refused.stderr.strip().splitlines()
        assert f"database {db} is in use by another Octo process (pid {first.process.pid}" in line
        assert "run --headless" in line
        assert refused.stdout == ""
        assert not (tmp_path / "r.jsonl.gz").exists()
        assert first.process.poll() is None
        fills_before = len(first.fills)
        first.wait_for(lambda e: e["event"] == "fills" and first.fills.index(e) >= fills_before)  # still trading
    finally:
        first.signal(signal.SIGTERM)
    assert first.finish() == 0, first.stderr
    summary = first.summary
    assert summary["trades"] == len(stored_trades(db))
    assert order_ids_are_unique(db)
    assert unbalanced_closed_trades(db) == []
    assert all(Decimal(amount) >= 0 for assets in summary["balances"].values() for amount in assets.values())


def test_replay_into_a_database_in_use_is_refused(tmp_path):
    recording = tmp_path / "session.jsonl.gz"
    assert run_octo("record", "--market", "sim", "--seconds", "20", "--out", str(recording)).returncode == 0
    db = tmp_path / "octo.db"
    first = long_run(db)
    try:
        first.wait_for(lambda e: e["event"] == "fills")
        refused = run_octo("replay", str(recording), "--db", str(db), "--json", timeout=60)
    finally:
        first.signal(signal.SIGTERM)
    assert first.finish() == 0
    assert refused.returncode == 1 and "is in use by another Octo process" in refused.stderr
    assert refused.stdout == ""


def test_halt_export_and_ai_log_work_beside_a_running_engine(tmp_path):
    db = tmp_path / "octo.db"
    first = long_run(db)
    try:
        first.wait_for(lambda e: e["event"] == "trade")
        exported = run_octo("export", "trades", "--db", str(db))
        assert exported.returncode == 0 and exported.stdout.startswith("trade_id,")
        assert len(exported.stdout.strip().splitlines()) >= 2
        ai_log = run_octo("ai-log", "--db", str(db), "--json")
        assert ai_log.returncode == 0 and "decisions" in json.loads(ai_log.stdout)
        halted = run_octo("halt", "--db", str(db), "--reason", "beside it", "--json")
        assert halted.returncode == 0, halted.stderr
        assert json.loads(halted.stdout)["acknowledged"] is True
    finally:
        first.signal(signal.SIGTERM)
    assert first.finish() == 0
    assert first.summary["risk"]["state"] == "HALTED" and first.summary["risk"]["reason"] == "beside it"


def test_the_database_is_free_again_once_the_engine_is_killed(tmp_path):
    db = tmp_path / "octo.db"
    first = long_run(db)
    first.wait_for(lambda e: e["event"] == "fills")
    first.kill()  # the operating system releases the lock with the process: nothing stale is left
    again = run_octo("run", "--headless", "--seconds", "5", "--json", "--db", str(db))
    assert again.returncode == 0, again.stderr


# ---------------------------------------------------------------------------------------------------
# Signals to a headless run.
# ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("signum, code", [(signal.SIGTERM, 0), (signal.SIGINT, 130)])
def test_a_signal_stops_a_headless_run_gracefully_with_its_summary(tmp_path, signum, code):
    db = tmp_path / "octo.db"
    engine = OctoProcess("run", "--headless", "--seconds", "100000", "--speed", "1", "--stream", "--json",
                         "--db", str(db), settings=("simulation.dislocations_per_minute=30", "risk.pair_cooldown_s=0"))
    engine.wait_for(lambda e: e["event"] == "fills" and e["purpose"] == "entry")  # a trade is in flight
    engine.signal(signum)  # how fast it stops is measured by python -m benchmarks.shutdown
    assert engine.finish(timeout=30) == code, engine.stderr
    summary = engine.summary
    assert summary is not None and summary["stopped_by"] == signal.Signals(signum).name
    assert "Traceback" not in engine.stderr
    assert summary["trades"] == len(stored_trades(db))
    # Trades in flight landed within the drain time, or stayed journaled as open for the next start.
    open_rows = [t for t in stored_trades(db) if t["state"] == "open"]
    assert summary["open_trades"] == len(open_rows)
    assert unbalanced_closed_trades(db) == []
    with sqlite3.connect(db) as connection:
        last_time = float(connection.execute("SELECT value FROM meta WHERE key = 'last_time'").fetchone()[0])
    assert summary["engine_time"] - 0.5 <= last_time <= summary["engine_time"]  # flushed at the stop


# ---------------------------------------------------------------------------------------------------
# A full disk.
# ---------------------------------------------------------------------------------------------------
def file_size_limit(size: int):
    def apply() -> None:  # in the child: every file it writes stops growing at ``size`` bytes (EFBIG)
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
    return apply


def test_writes_the_disk_refuses_end_the_run_with_a_non_zero_exit_and_the_reason(tmp_path):
    db = tmp_path / "octo.db"
    assert run_octo("run", "--headless", "--seconds", "5", "--db", str(db)).returncode == 0
    limit = db.stat().st_size // 2  # smaller than the database: the write-ahead log cannot grow
    engine = OctoProcess("run", "--headless", "--seconds", "300", "--seed", "7", "--json", "--db", str(db),
                         preexec_fn=file_size_limit(limit))
    code = engine.finish()
    assert code == 1, engine.stderr
    last = engine.stderr.strip().splitlines()[-1]
    assert last.startswith("octo_desktop: ") and "were not committed" in last and str(db) in last
    summary = engine.summary
    assert summary["storage_error"] and "not committed" in summary["storage_error"]
    assert summary["risk"]["state"] == "HALTED" and "storage" in summary["risk"]["reason"]


def test_set_changes_the_threshold_and_minimum_score_of_a_running_engine(tmp_path):
    db = tmp_path / "octo.db"
    engine = long_run(db)
    try:
        engine.wait_for(lambda e: e["event"] == "fills")
        threshold = run_octo("set", "threshold", "9.5", "--db", str(db), "--json")
        score = run_octo("set", "min-score", "0.7", "--db", str(db))
        refused = run_octo("set", "min-score", "2", "--db", str(db))
    finally:
        engine.signal(signal.SIGTERM)
    assert engine.finish() == 0, engine.stderr
    answer = json.loads(threshold.stdout)
    assert answer["acknowledged"] is True and answer["result"] == "base threshold set to 9.5 bps"
    assert score.returncode == 0 and score.stdout.strip() == "minimum score set to 0.70"
    assert refused.returncode == 2 and refused.stderr.strip().endswith("min-score must be from 0 to 1, got 2")
    summary = engine.summary
    assert all(value >= 9.5 for value in summary["thresholds_bps"].values())
    with sqlite3.connect(db) as connection:
        settings = dict(connection.execute("SELECT key, value FROM settings").fetchall())
    assert json.loads(settings["threshold_bps"]) == 9.5 and json.loads(settings["min_score"]) == 0.7
