"""kill -9 the headless engine at random moments (mid-trade included), restart it, and lose nothing.

The engine runs as a real subprocess on the simulated market with ``--stream``: it prints one JSON line
per committed fill. After every kill the database must open cleanly, hold every fill the process
reported exactly once, and on the next start every trade left open is recovered by the rollback
rules. A final clean run must end with no open trade and balances equal to the initial balances plus
every fill and fee, exactly.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path

import pytest

from octo_desktop.domain.ledger import asset_changes
from octo_desktop.domain.model import Fill

pytestmark = [pytest.mark.integration, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]
KILLS = 22
SETTINGS = ["simulation.dislocations_per_minute=12", "risk.pair_cooldown_s=0", "risk.breaker_losing_trades=1000",
            "risk.breaker_failed_legs=1000", "risk.daily_loss_limit_pct=100", "risk.max_open_trades=6",
            "venues.htx.latency_ms_median=400", "venues.htx.latency_ms_p95=900"]


class Engine:
    """One headless engine subprocess and the fill events it streamed."""

    def __init__(self, db: Path, *extra: str) -> None:
        args = [sys.executable, "-m", "octo_desktop", "run", "--headless", "--stream", "--db", str(db),
                *extra]
        for setting in SETTINGS:
            args += ["--set", setting]
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        self.process = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        text=True, env=env)
        self.fills: list[dict] = []
        self.summary: dict | None = None
        self.entry_fill = threading.Event()  # a trade's first leg has a committed fill: mid-trade
        self.any_event = threading.Event()
        self.stderr = ""
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self._errors = threading.Thread(target=self._read_errors, daemon=True)
        self._errors.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            try:
                event = json.loads(line)
            except json.JSONDecodeError:
                continue  # the last line of a killed process may be cut
            if event.get("event") == "fills":
                self.fills.append(event)
                if event["purpose"] == "entry":
                    self.entry_fill.set()
            elif "event" not in event:
                self.summary = event
            self.any_event.set()

    def _read_errors(self) -> None:
        self.stderr = self.process.stderr.read()

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(30)
        self._reader.join(10)

    def finish(self) -> int:
        code = self.process.wait(180)
        self._reader.join(10)
        self._errors.join(10)
        return code


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
        engine = Engine(db, "--speed", "10", "--seconds", "100000")
        try:
            if attempt % 2:  # right after a committed entry fill: the trade is mid-flight
                assert engine.entry_fill.wait(60), engine.stderr
                time.sleep(rng.uniform(0.0, 0.05))
                mid_trade_kills += 1
            else:  # at a random moment, trading or not
                assert engine.any_event.wait(60) or engine.process.poll() is None, engine.stderr
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

    final = Engine(db, "--speed", "max", "--seconds", "30", "--json")
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
