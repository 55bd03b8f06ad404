"""The writer thread under real SQLite failures, and its journal commits (durable, and awaitable).

"Disk full" is SQLite's own SQLITE_FULL, produced by capping the file with ``max_size_bytes``
(``PRAGMA max_page_count``); space is then freed the way a user would, by deleting rows from another
connection. "Locked" is another connection holding the write lock past the store's busy timeout.
Durability is read from SQLite's own statement trace of the connections the store opens.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
import threading
import time
from concurrent.futures import wait
from contextlib import closing
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import event
from sqlalchemy.pool import Pool

from octo_desktop.domain.model import BUY, Fill
from octo_desktop.storage import StorageError, open_store

pytestmark = pytest.mark.timeout(60)


def make_fill(n: int) -> Fill:
    return Fill(trade_id=n // 2, venue="binance", symbol="BTC/USDT", side=BUY,
                price=Decimal("60123.45") + Decimal(n) / 100, quantity=Decimal(n + 1) * Decimal("0.00000001"),
                fee=Decimal("0.00000001"), fee_asset="BTC", liquidity="taker", order_type="ioc_limit",
                time=1_700_000_000.0 + n)


def eventually(predicate, timeout: float = 10.0) -> None:
    """Wait until ``predicate()`` is true, checking every few milliseconds."""
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met within %.1fs" % timeout)
        pause.wait(0.005)


def fill_database_to_its_cap(path: Path) -> int:
    """Create a database holding ~150 KB of padding rows; return its size in bytes."""
    with open_store(path) as store:
        store.record_balances(1.0, {"padding": {f"ASSET{i}": Decimal(i) for i in range(3000)}})
    return path.stat().st_size


def full_store(path: Path):
    """Open a store on a database at its size cap, with a batch of fills it cannot write (disk full)."""
    store = open_store(path, max_size_bytes=fill_database_to_its_cap(path))
    store.record_fills([make_fill(n) for n in range(300)])
    eventually(lambda: not store.healthy)
    return store


def free_space(path: Path) -> None:
    """Delete the padding rows from another connection, as a user freeing disk space would."""
    with closing(sqlite3.connect(path)) as other:
        other.execute("DELETE FROM balance_history")
        other.commit()


def journal_rows(path: Path) -> list[tuple]:
    """Read the journal through a connection of its own: only what is committed."""
    with closing(sqlite3.connect(path)) as other:
        return other.execute("SELECT trade_id, kind, order_id FROM journal ORDER BY id").fetchall()


@pytest.fixture
def traced_connections():
    """Yield one list per SQLite connection opened during the test, holding every statement it ran."""
    traces: list[list[str]] = []

    def trace(dbapi_connection, _record) -> None:
        statements: list[str] = []
        traces.append(statements)
        dbapi_connection.set_trace_callback(statements.append)

    event.listen(Pool, "connect", trace)
    yield traces
    event.remove(Pool, "connect", trace)


def synchronous_level_of_each_insert(statements: list[str]) -> list[tuple[str, str]]:
    """Return (table, PRAGMA synchronous in effect) for each INSERT, one per run of equal statements."""
    level = "NORMAL"  # what the store's connect hook sets before any statement is traced
    inserts: list[tuple[str, str]] = []
    for statement in statements:
        if statement.startswith("PRAGMA synchronous = "):
            level = statement.removeprefix("PRAGMA synchronous = ")
        elif statement.startswith("INSERT INTO "):
            insert = (statement.split()[2], level)
            if not inserts or inserts[-1] != insert:
                inserts.append(insert)
    return inserts


def test_writer_thread_is_named_octo_storage(tmp_path):
    with open_store(tmp_path / "octo.db"):
        names = {thread.name for thread in threading.enumerate()}

    assert "octo-storage" in names


def test_writer_keeps_its_batch_through_disk_full_and_commits_it_after_space_frees(tmp_path):
    path = tmp_path / "octo.db"
    store = open_store(path, max_size_bytes=fill_database_to_its_cap(path))
    fills = [make_fill(n) for n in range(500)]

    store.record_fills(fills[:300])
    eventually(lambda: not store.healthy)
    store.record_fills(fills[300:])  # still accepted while the writer is failing

    assert store.last_error == f"cannot write {path}: disk full"
    assert store.flush(timeout=0.05) is False
    assert store.pending == 2

    with closing(sqlite3.connect(path)) as other:  # free space: delete the padding
        other.execute("DELETE FROM balance_history")
        other.commit()

    assert store.flush(timeout=20), store.last_error
    assert store.healthy and store.last_error == ""
    assert store.load().fills == tuple(fills)
    assert store.close() is True


def test_writer_keeps_order_through_a_lock_held_by_another_connection(tmp_path):
    path = tmp_path / "octo.db"
    store = open_store(path, busy_timeout_ms=20)
    fills = [make_fill(n) for n in range(30)]
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")

    try:
        store.record_fills(fills[:10])
        eventually(lambda: not store.healthy)
        for n in range(10, 30):
            store.record_fills([fills[n]])
        store.save_setting("during_outage", True)
        assert store.last_error == f"cannot write {path}: database is locked by another connection"
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()

    assert store.flush(timeout=20), store.last_error
    state = store.load()
    assert state.fills == tuple(fills)
    assert state.settings == {"during_outage": True}
    assert store.healthy
    store.close()


def test_close_gives_up_on_an_unwritable_backlog_without_hanging_and_says_so(tmp_path):
    path = tmp_path / "octo.db"
    store = open_store(path, busy_timeout_ms=20)
    with closing(sqlite3.connect(path, isolation_level=None)) as blocker:
        blocker.execute("BEGIN IMMEDIATE")
        store.record_fills([make_fill(1)])
        eventually(lambda: not store.healthy)

        assert store.close(timeout=0.2) is False
        assert store.close() is False
        assert "locked" in store.last_error
        blocker.execute("ROLLBACK")


def test_many_small_calls_are_committed_in_order(tmp_path):
    with open_store(tmp_path / "octo.db") as store:
        fills = [make_fill(n) for n in range(5000)]
        for fill in fills:
            store.record_fills([fill])

        assert store.flush(timeout=30)
        assert store.load().fills == tuple(fills)


def test_a_journal_batch_is_committed_with_synchronous_full_and_other_batches_with_normal(
        tmp_path, traced_connections):
    with open_store(tmp_path / "octo.db") as store:
        store.record_equity(1.0, 1000.0, Decimal(0), 0.0)
        assert store.flush()
        store.commit_journal(2.0, 1, "sent", {"side": "buy"}, order_id="1-1", fills=[make_fill(2)])
        store.record_equity(3.0, 1001.0, Decimal(1), 0.0)
        assert store.flush()

    writer = next(statements for statements in traced_connections
                  if any(s.startswith("INSERT INTO journal") for s in statements))
    inserts = [insert for insert in synchronous_level_of_each_insert(writer)
               if insert[0] != "meta"]  # written on this pooled connection when the file was created
    assert inserts == [
        ("equity_curve", "NORMAL"), ("journal", "FULL"), ("fills", "FULL"), ("equity_curve", "NORMAL")]


def test_a_journal_future_resolves_only_once_its_entry_is_readable_by_another_connection(tmp_path):
    path = tmp_path / "octo.db"
    seen_at_resolution: list[list[tuple]] = []
    with open_store(path) as store:
        future = store.submit_journal(2.0, 7, "sent", {"side": "buy"}, order_id="7-1", fills=[make_fill(14)])
        future.add_done_callback(lambda _future: seen_at_resolution.append(journal_rows(path)))

        assert future.result(timeout=10) is None
        eventually(lambda: seen_at_resolution)  # callbacks run just after result() is released
        assert seen_at_resolution == [[(7, "sent", "7-1")]]
        assert store.pending == 0


def test_a_journal_future_can_be_awaited_on_an_event_loop(tmp_path):
    path = tmp_path / "octo.db"

    async def journal_then_read() -> list[tuple]:
        future = store.submit_journal(2.0, 7, "opened", {})
        await asyncio.wait_for(asyncio.wrap_future(future), timeout=10)
        return journal_rows(path)

    with open_store(path) as store:
        assert asyncio.run(journal_then_read()) == [(7, "opened", "")]


def test_a_journal_future_cannot_be_cancelled(tmp_path):
    with open_store(tmp_path / "octo.db") as store:
        future = store.submit_journal(2.0, 7, "opened", {})

        assert future.cancel() is False
        assert future.result(timeout=10) is None


def test_a_journal_future_stays_pending_on_a_full_disk_and_resolves_once_space_frees(tmp_path):
    path = tmp_path / "octo.db"
    store = full_store(path)

    future = store.submit_journal(2.0, 1, "sent", {"side": "buy"}, order_id="1-1")
    done, _ = wait([future], timeout=0.3)  # the writer retries meanwhile

    assert not done and not future.done()
    assert store.last_error == f"cannot write {path}: disk full"
    assert journal_rows(path) == []

    free_space(path)

    assert future.result(timeout=20) is None
    assert journal_rows(path) == [(1, "sent", "1-1")]
    assert store.close() is True


def test_commit_journal_on_a_full_disk_raises_after_its_timeout_and_the_entry_lands_later(tmp_path):
    path = tmp_path / "octo.db"
    store = full_store(path)

    message = f"journal entry sent of trade 1 not committed within 0.2 s: cannot write {path}: disk full"
    with pytest.raises(StorageError, match=f"^{re.escape(message)}$"):
        store.commit_journal(2.0, 1, "sent", {}, order_id="1-1", timeout=0.2)

    free_space(path)
    assert store.flush(timeout=20), store.last_error
    assert journal_rows(path) == [(1, "sent", "1-1")]
    assert store.close() is True


def test_a_journal_future_fails_with_storage_error_when_close_abandons_its_entry(tmp_path):
    path = tmp_path / "octo.db"
    store = full_store(path)
    future = store.submit_journal(2.0, 1, "sent", {}, order_id="1-1")

    assert store.close(timeout=0.2) is False

    message = (f"journal entry sent of trade 1 not committed: storage {path} was closed before the disk took it "
               f"(cannot write {path}: disk full)")
    with pytest.raises(StorageError, match=f"^{re.escape(message)}$"):
        future.result(timeout=10)
    assert journal_rows(path) == []
