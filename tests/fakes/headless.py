"""Octo's command line as a real subprocess, with its ``--stream`` events read as they are printed."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[2]


def octo_command(*args: str) -> list[str]:
    """Return the argv that runs ``python -m octo_desktop *args`` from the source tree."""
    return [sys.executable, "-m", "octo_desktop", *args]


def octo_env(**extra: str) -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=str(ROOT), **extra)


def run_octo(*args: str, timeout: float = 180, **popen) -> subprocess.CompletedProcess:
    """Run one Octo command to its end; return the completed process (text output)."""
    return subprocess.run(octo_command(*args), cwd=ROOT, env=octo_env(), capture_output=True, text=True,
                          timeout=timeout, **popen)


class OctoProcess:
    """One Octo subprocess; every JSON line it prints is collected in ``events`` as it arrives."""

    def __init__(self, *args: str, settings: tuple[str, ...] = (), preexec_fn=None, kill_after: str = "") -> None:
        """Start ``octo_desktop *args``; ``kill_after`` ("purpose=unwind") makes it kill -9 itself right
        after printing the first stream event with those fields."""
        argv = list(args)
        for setting in settings:
            argv += ["--set", setting]
        env = octo_env(OCTO_FAULT_KILL_AFTER=kill_after) if kill_after else octo_env()
        self.process = subprocess.Popen(octo_command(*argv), cwd=ROOT, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True, env=env, preexec_fn=preexec_fn)
        self.events: list[dict] = []
        self.summary: dict | None = None
        self.stderr = ""
        self._changed = threading.Condition()
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
            with self._changed:
                if isinstance(event, dict) and "event" in event:
                    self.events.append(event)
                else:
                    self.summary = event
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    def _read_errors(self) -> None:
        self.stderr = self.process.stderr.read()

    @property
    def fills(self) -> list[dict]:
        return [e for e in self.events if e.get("event") == "fills"]

    def wait_for(self, predicate: Callable[[dict], bool], timeout: float = 120.0) -> dict:
        """Return the first streamed event matching ``predicate``; fail if the process ends or time runs out."""
        deadline = time.monotonic() + timeout
        seen = 0
        with self._changed:
            while True:
                for event in self.events[seen:]:
                    if predicate(event):
                        return event
                seen = len(self.events)
                if self.process.poll() is not None and not self._reader.is_alive():
                    raise AssertionError(f"the process ended (exit {self.process.returncode}) before the event; "
                                         f"stderr: {self.stderr[-2000:]}")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError("event not seen in time")
                self._changed.wait(min(left, 0.5))

    def kill(self) -> None:
        """kill -9, and wait until everything it printed has been read."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(30)
        self._reader.join(10)

    def signal(self, signum: int) -> None:
        self.process.send_signal(signum)

    def finish(self, timeout: float = 180) -> int:
        """Wait for the process to end on its own; return its exit code."""
        code = self.process.wait(timeout)
        self._reader.join(10)
        self._errors.join(10)
        return code


def stored_trades(db: Path) -> list[sqlite3.Row]:
    with sqlite3.connect(db) as connection:
        connection.row_factory = sqlite3.Row
        return connection.execute("SELECT * FROM trades ORDER BY trade_id").fetchall()


def stored_fills_by_trade(db: Path) -> dict[int, list[sqlite3.Row]]:
    with sqlite3.connect(db) as connection:
        connection.row_factory = sqlite3.Row
        rows = connection.execute("SELECT * FROM fills ORDER BY id").fetchall()
    by_trade: dict[int, list[sqlite3.Row]] = {}
    for row in rows:
        by_trade.setdefault(row["trade_id"], []).append(row)
    return by_trade


def net_base(fills) -> Decimal:
    """Return base bought minus base sold over ``fills`` (rows or dicts with side and quantity)."""
    return sum((Decimal(f["quantity"]) * (1 if f["side"] == "buy" else -1) for f in fills), Decimal(0))


def unbalanced_closed_trades(db: Path, lot: Decimal = Decimal("0.01")) -> list[str]:
    """Describe every closed trade whose fills do not net to zero base across its venues.

    A remainder below the lot size may stay as inventory (the trade's note says so); anything else
    is a position the trade's state does not admit.
    """
    fills = stored_fills_by_trade(db)
    problems = []
    for trade in stored_trades(db):
        if trade["state"] == "open":
            continue
        net = net_base(fills.get(trade["trade_id"], ()))
        if net != 0 and not (abs(net) < lot and "left as inventory" in (trade["note"] or "")):
            orders = [(f["order_id"], f["side"], f["quantity"], f["purpose"]) for f in fills[trade["trade_id"]]]
            problems.append(f"trade {trade['trade_id']} ({trade['state']}) nets {net}: {orders}")
    return problems
