"""Kill -9 a process that is writing fills: every fill it reported flushed must survive, exactly.

The child records batches of fills (several ``record_fills`` calls per batch), flushes after each
batch and prints ``flushed K``. The test kills it with SIGKILL while it keeps writing, then checks
the database: intact (``PRAGMA integrity_check``), every reported batch present with exact values,
and nothing but whole ``record_fills`` calls beyond them (a transaction is never half-written).
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest

from octo_desktop.storage import open_store

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

REPO = Path(__file__).resolve().parents[2]
CALLS_PER_BATCH = 5
FILLS_PER_CALL = 40

# Shared by the child and the test, so both build the very same fills.
MAKE_FILL = '''
from decimal import Decimal
from octo_desktop.domain.model import Fill

def make_fill(n):
    return Fill(trade_id=n // 4, venue=("binance", "okx", "bybit")[n % 3], symbol="BTC/USDT",
                side="buy" if n % 2 else "sell", price=Decimal("60123.45") + Decimal(n) / 100,
                quantity=Decimal(n + 1) * Decimal("0.00000001"), fee=Decimal("0.0000060123") * (n % 7),
                fee_asset="USDT", liquidity="taker", order_type="ioc_limit", time=1_700_000_000.0 + n / 8,
                purpose="unwind" if n % 11 == 0 else "entry")
'''

CHILD = MAKE_FILL + '''
import sys
from pathlib import Path
from octo_desktop.storage import open_store

store = open_store(Path(sys.argv[1]))
calls, per_call = int(sys.argv[2]), int(sys.argv[3])
n = store.load().fills.__len__()
batch = 0
while True:
    for _ in range(calls):
        store.record_fills([make_fill(n + i) for i in range(per_call)])
        n += per_call
    if not store.flush(timeout=60):
        sys.exit("flush failed: " + store.last_error)
    print(f"flushed {batch} {n}", flush=True)
    batch += 1
'''

namespace: dict = {}
exec(MAKE_FILL, namespace)
make_fill = namespace["make_fill"]


def run_and_kill(path: Path, kill_after_batches: int) -> int:
    """Run the child until it reports ``kill_after_batches`` flushes, SIGKILL it; return fills flushed."""
    python_path = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONPATH": python_path}
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path), str(CALLS_PER_BATCH), str(FILLS_PER_CALL)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=REPO)
    flushed = 0
    try:
        for line in child.stdout:
            flushed = int(line.split()[2])
            if int(line.split()[1]) + 1 >= kill_after_batches:
                break
        else:
            pytest.fail(f"child exited early ({child.wait()}): {child.stderr.read()}")
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
        # Lines printed between our last read and the kill were flushed too.
        for line in child.stdout:
            flushed = int(line.split()[2])
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        child.stdout.close()
        child.stderr.close()
    assert child.returncode == -signal.SIGKILL
    return flushed


@pytest.mark.parametrize("kills", [[3], [7, 2, 11]])
def test_every_flushed_fill_survives_kill_9_exactly(tmp_path, kills):
    path = tmp_path / "octo.db"
    flushed = 0

    for kill_after in kills:  # several kills in a row, each resuming the same database
        flushed = run_and_kill(path, kill_after)

        with closing(sqlite3.connect(path)) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        with open_store(path) as store:
            fills = store.load().fills

        assert len(fills) >= flushed
        assert len(fills) % FILLS_PER_CALL == 0, "a record_fills call was half-written"
        assert fills == tuple(make_fill(n) for n in range(len(fills)))
