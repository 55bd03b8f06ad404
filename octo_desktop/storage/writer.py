"""Octo's SQLite store: one writer thread behind a queue, so the engine never waits on the disk.

Threads:
- ``open_store`` and ``Store.load`` run on the caller's thread, once, before the runtime starts.
- ``record_*``, ``save_setting``, ``initialize`` are called from the runtime thread. They validate and
  convert their arguments to rows (so a bad value raises at the call site, not in the writer), append
  them to an unbounded queue and return. Nothing is ever dropped; a backlog shows in ``pending``.
- The ``octo-storage`` thread owns the write connection. It takes everything queued (up to
  ``_MAX_BATCH_OPS`` calls) and commits it in one transaction, so a kill -9 loses at most the batch
  being written and never leaves part of one. A failed batch (disk full, database locked, read-only
  file) is kept and retried with backoff; ``last_error`` / ``healthy`` say so until it succeeds.
- A batch that carries a journal entry (``submit_journal``, ``commit_journal``) is committed with
  ``synchronous=FULL``, so it is on the disk, not only in the operating system's cache, when the
  writer resolves the entry's future; other batches are committed with ``synchronous=NORMAL``.
- ``flush``, ``close`` and the exports may be called from any thread; a journal future may be waited
  on (or wrapped with ``asyncio.wrap_future``) from any thread.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from collections.abc import Iterable, Mapping
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple

from sqlalchemy import Connection, Engine
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from octo_desktop.domain.advice import AdviceRecord
from octo_desktop.domain.model import Decision, Fill, Trade
from octo_desktop.storage.database import _describe, _upsert, _upsert_meta, open_database
from octo_desktop.storage.errors import StorageError
from octo_desktop.storage.lock import DatabaseLock
from octo_desktop.storage.queries import StoredState, _load
from octo_desktop.storage.rows import (
    _advice_row,
    _balance_rows,
    _decision_row,
    _exact,
    _fill_row,
    _finite,
    _nullable_float,
    _child_row,
    _pnl_decimal,
    _route_row,
    _text,
    _trade_row,
    _transfer_row,
)
from octo_desktop.storage.tables import (
    AdviceRow,
    AdvisorDayRow,
    BalanceRow,
    ControlRow,
    DecisionRow,
    EquityRow,
    FillRow,
    InitialBalanceRow,
    JournalRow,
    RiskEventRow,
    RouteChildRow,
    RouteRow,
    SettingRow,
    SpoofEventRow,
    TradeRow,
    TransferRow,
)

log = logging.getLogger(__name__)

_MAX_BATCH_OPS = 5000
_RETRY_FIRST_S = 0.05
_RETRY_MAX_S = 2.0


class _Journal(NamedTuple):
    # A queued journal entry: its rows, and the future the writer resolves once they are committed. A
    # transfer's write-ahead record is its row alone (``row`` None).
    row: dict[str, Any] | None
    fill_rows: list[dict[str, Any]]
    trade_row: dict[str, Any] | None
    future: Future[None]
    transfer_row: dict[str, Any] | None = None
    route_row: dict[str, Any] | None = None
    child_rows: tuple[dict[str, Any], ...] = ()

    def describe(self) -> str:
        if self.row is None and self.route_row is not None:
            return f"route {self.route_row['order_id']} ({self.route_row['state']})"
        if self.row is None and self.child_rows:
            return f"route child {self.child_rows[0]['child_id']} ({self.child_rows[0]['state']})"
        if self.row is None and self.transfer_row is not None:
            return f"transfer {self.transfer_row['transfer_id']} ({self.transfer_row['state']})"
        return f"journal entry {self.row['kind']} of trade {self.row['trade_id']}"


def open_store(path: str | Path, *, busy_timeout_ms: int = 5000,
               max_size_bytes: int | None = None) -> "Store":
    """Open (creating if missing) the Octo database at ``path`` and start its writer thread.

    ``busy_timeout_ms`` is how long one write waits for another connection's lock before the batch
    is retried. ``max_size_bytes`` caps the file (SQLite's ``max_page_count``): writes that would
    grow it further fail as "disk full" and are retried, like a full disk.
    Raises ``StorageError`` if the file is not SQLite, not Octo's, corrupt, or from a newer Octo;
    such a file is left exactly as it was.
    """
    path = Path(path).expanduser()
    engine, initialized, lock = open_database(path, busy_timeout_ms=busy_timeout_ms,
                                              max_size_bytes=max_size_bytes)
    return Store(path, engine, initialized=initialized, lock=lock)


_UPSERT_TRADE = _upsert(TradeRow, ["trade_id"])
_UPSERT_DECISION = _upsert(DecisionRow, ["opportunity_id"])
_UPSERT_SETTING = _upsert(SettingRow, ["key"])
_UPSERT_ADVICE = _upsert(AdviceRow, ["advice_id"])
_UPSERT_ADVISOR_DAY = _upsert(AdvisorDayRow, ["day"])
_UPSERT_TRANSFER = _upsert(TransferRow, ["transfer_id"])
_UPSERT_ROUTE = _upsert(RouteRow, ["order_id"])
_UPSERT_CHILD = _upsert(RouteChildRow, ["child_id"])


class Store:
    """An open Octo database: reads at start, queued writes committed by the ``octo-storage`` thread.

    Build it with ``open_store``. Write methods never block on the disk; ``commit_journal``, ``flush``
    and ``close`` wait (``submit_journal`` returns a future to wait on instead).
    """

    def __init__(self, path: Path, engine: Engine, *, initialized: bool, lock: DatabaseLock | None = None) -> None:
        self._path = path
        self._engine = engine
        self._lock_file = lock  # released by close(): the next engine may then open the database
        self._initialized = initialized
        self._lock = threading.Lock()
        self._work = threading.Condition(self._lock)  # the writer waits here for work
        self._done = threading.Condition(self._lock)  # flush() waits here for commits
        self._queue: list[tuple[str, Any]] = []
        self._enqueued = 0  # calls ever queued
        self._committed = 0  # calls committed (a prefix of the queued ones)
        self._closing = False
        self._close_lock = threading.Lock()
        self._close_result: bool | None = None
        self.lost_writes = 0  # write calls close() had to discard (the disk never took them)
        self.first_error = ""  # the first write failure since the store opened, even if writes recovered
        self._abandon = threading.Event()  # set by close() when the backlog cannot be written
        self._stopped = False  # the writer thread has ended: nothing queued now will be written
        self._last_error = ""
        self._connection: Connection | None = None
        self._synchronous = ""  # the write connection's PRAGMA synchronous ("" before it is set here)
        self._thread = threading.Thread(target=self._run, name="octo-storage", daemon=True)
        self._thread.start()

    # -- status, any thread ------------------------------------------------------------------------
    @property
    def path(self) -> Path:
        """The database file."""
        return self._path

    @property
    def last_error(self) -> str:
        """The current write failure ("" when writes succeed), e.g. "cannot write /x/octo.db: disk full"."""
        return self._last_error

    @property
    def healthy(self) -> bool:
        """Whether the last write attempt succeeded and the writer is running."""
        return not self._last_error and (self._thread.is_alive() or self._closing)

    @property
    def pending(self) -> int:
        """How many write calls are queued or being written and not yet committed."""
        with self._lock:
            return self._enqueued - self._committed

    # -- reading, at start -------------------------------------------------------------------------
    def load(self) -> StoredState:
        """Read everything the engine needs to resume (committed data only; call once at start)."""
        try:
            with self._engine.connect() as conn:  # one read transaction: a consistent snapshot
                return _load(conn)
        except DBAPIError as exc:
            raise StorageError(_describe(exc, self._path, "read")) from exc

    # -- writing, from the runtime thread ----------------------------------------------------------
    def initialize(self, initial_balances: Mapping[str, Mapping[str, Decimal]], time: float) -> None:
        """Record the initial funding (venue -> asset -> amount); raise StorageError if already done."""
        rows = _balance_rows(initial_balances, None, "initial balance")
        meta = {"initialized_at": repr(_finite(time, "initialization time"))}
        with self._lock:
            if self._initialized:
                raise StorageError(f"database {self._path} already has initial balances")
            self._put_locked("initial", (rows, meta))
            self._initialized = True

    def record_trade(self, trade: Trade) -> None:
        """Queue an insert or update of ``trade`` (by trade_id); its fills are recorded separately."""
        self._put("trade", _trade_row(trade))

    def record_fills(self, fills: Iterable[Fill]) -> None:
        """Queue new fills; all fills of one call are committed together."""
        rows = [_fill_row(fill) for fill in fills]
        if rows:
            self._put("fills", rows)

    def record_decision(self, decision: Decision) -> None:
        """Queue one decision (accepted or rejected) for the opportunities table."""
        self._put("decision", _decision_row(decision))

    def record_balances(self, time: float, balances: Mapping[str, Mapping[str, Decimal]]) -> None:
        """Queue a balance history snapshot (venue -> asset -> amount) at engine time ``time``."""
        rows = _balance_rows(balances, _finite(time, "balance time"), "balance")
        if rows:
            self._put("balances", rows)

    def record_equity(self, time: float, equity_usdt: float, realized_pnl: Decimal | float,
                      marked_pnl: float) -> None:
        """Queue one equity curve point."""
        self._put("equity", {"time": _finite(time, "equity time"),
                             "equity_usdt": _nullable_float(equity_usdt),
                             "realized_pnl": _pnl_decimal(realized_pnl),
                             "marked_pnl": _nullable_float(marked_pnl)})

    def save_setting(self, key: str, value: object) -> None:
        """Queue an upsert of a JSON-serializable setting (raises TypeError/ValueError otherwise)."""
        if not isinstance(key, str) or not key:
            raise TypeError(f"setting key must be a non-empty string, got {key!r}")
        self._put("setting", {"key": key, "value": json.dumps(value, allow_nan=False)})

    def submit_journal(self, time: float, trade_id: int, kind: str, payload: Mapping[str, Any], *,
                       order_id: str = "", fills: Iterable[Fill] = (),
                       trade: Trade | None = None) -> Future[None]:
        """Queue one journal entry (with the fills and trade row it carries); return its commit's future.

        Everything in one call is one transaction. The writer thread resolves the future (result None)
        once that transaction is committed and synced to the disk, never before: the caller acts on
        the entry only then. While writes fail the future stays pending and the entry stays queued
        (it lands when the disk recovers), so the caller chooses how long to wait. If the store is
        closed with the entry unwritten, or the writer stops, the future fails with ``StorageError``.
        It cannot be cancelled. Raises ``StorageError`` at once if the store is already closed.
        """
        row = {"time": _finite(time, "journal time"), "trade_id": int(trade_id), "kind": _text(kind, "journal kind"),
               "order_id": _text(order_id, "journal order id"),
               "payload": json.dumps(payload, allow_nan=False, default=str)}
        fill_rows = [_fill_row(fill, seq) for seq, fill in enumerate(fills)]
        trade_row = _trade_row(trade) if trade is not None else None
        future: Future[None] = Future()
        future.set_running_or_notify_cancel()  # a queued write cannot be taken back: cancel() is refused
        entry = ("journal", _Journal(row, fill_rows, trade_row, future))
        with self._lock:
            self._put_locked(*entry)
            stopped = self._stopped
        if stopped:  # the writer ended before it could see this entry
            self._fail_unwritten([entry])
        return future

    def commit_journal(self, time: float, trade_id: int, kind: str, payload: Mapping[str, Any], *,
                       order_id: str = "", fills: Iterable[Fill] = (), trade: Trade | None = None,
                       timeout: float = 2.0) -> None:
        """Write one journal entry (with the fills and trade row it carries) and wait until committed.

        This is the write-ahead path: the caller acts on the entry only after this returns. It is
        ``submit_journal`` and a wait on its future. Raises ``StorageError`` if the commit does not
        happen within ``timeout`` (the entry stays queued and lands when the disk recovers; the caller
        must not act). Blocks the calling thread for one commit and one sync of the disk (0.3 ms on
        the machine the tests run on; more on a slow drive).
        """
        future = self.submit_journal(time, trade_id, kind, payload, order_id=order_id, fills=fills, trade=trade)
        try:
            future.result(timeout)
        except (FutureTimeout, StorageError):
            raise StorageError(f"journal entry {kind} of trade {trade_id} not committed within {timeout:g} s: "
                               f"{self._last_error or 'the writer is busy'}") from None

    def submit_transfer(self, transfer) -> Future[None]:
        """Queue an upsert of ``transfer`` (a ``treasury.transfers.Transfer``) as a write-ahead record;
        return its commit's future, resolved once it is committed and synced (see ``submit_journal``)."""
        future: Future[None] = Future()
        future.set_running_or_notify_cancel()
        entry = ("journal", _Journal(None, [], None, future, _transfer_row(transfer)))
        with self._lock:
            self._put_locked(*entry)
            stopped = self._stopped
        if stopped:
            self._fail_unwritten([entry])
        return future

    def submit_route(self, route: Mapping[str, Any] | None = None, children: Iterable[Mapping[str, Any]] = (),
                     fills: Iterable[Fill] = ()) -> Future[None]:
        """Queue a router write-ahead record: a parent order's row (``routes``), its children's rows
        (``route_children``) and the fills they carry, all in one transaction; return its commit's future,
        resolved once committed and synced (see ``submit_journal``). Rows are column -> value dicts."""
        route_row = _route_row(route) if route is not None else None
        child_rows = tuple(_child_row(child) for child in children)
        fill_rows = [_fill_row(fill, seq) for seq, fill in enumerate(fills)]
        future: Future[None] = Future()
        future.set_running_or_notify_cancel()
        entry = ("journal", _Journal(None, fill_rows, None, future, None, route_row, child_rows))
        with self._lock:
            self._put_locked(*entry)
            stopped = self._stopped
        if stopped:
            self._fail_unwritten([entry])
        return future

    def record_route(self, route: Mapping[str, Any]) -> None:
        """Queue an upsert of a parent order's row without waiting for the disk (its progress)."""
        self._put("route", _route_row(route))

    def record_transfer(self, transfer) -> None:
        """Queue an upsert of ``transfer`` (its progress: confirmations) without waiting for the disk."""
        self._put("transfer", _transfer_row(transfer))

    def record_risk_event(self, time: float, from_state: str, to_state: str, trigger: str, reason: str) -> None:
        """Queue one risk transition for the risk_events table."""
        self._put("risk_event", {"time": _finite(time, "risk event time"), "from_state": from_state,
                                 "to_state": to_state, "trigger": trigger, "reason": _text(reason, "reason")})

    def record_advice(self, record: AdviceRecord) -> None:
        """Queue one AI log record (inserted, or replaced when its outcome is known)."""
        self._put("advice", _advice_row(record))

    def record_advisor_day(self, day: str, calls: int, tokens_in: int, tokens_out: int, cost_usd: Decimal) -> None:
        """Queue the remote advisor's running totals for one UTC day."""
        self._put("advisor_day", {"day": day, "calls": int(calls), "tokens_in": int(tokens_in),
                                  "tokens_out": int(tokens_out), "cost_usd": _exact(cost_usd, "advisor cost")})

    def record_spoof_event(self, event) -> None:
        """Queue one spoofing event (a ``domain.spoofing.SpoofEvent``)."""
        self._put("spoof", {"time": _finite(event.time, "spoof time"), "venue": event.venue,
                            "symbol": event.symbol, "side": event.side, "price": _finite(event.price, "spoof price"),
                            "size": _finite(event.size, "spoof size"), "lifetime_s": float(event.lifetime_s),
                            "traded": float(event.traded), "distance_bps": _nullable_float(event.distance_bps)})

    def mark_control(self, control_id: int, time: float, result: str) -> None:
        """Queue the answer to a control command (see ``post_control``)."""
        self._put("control", {"id": int(control_id), "handled_at": _finite(time, "control time"),
                              "result": _text(result, "control result")})

    def record_clock(self, time: float) -> None:
        """Queue the engine clock time, returned as ``last_time`` by the next ``load``."""
        self._put("meta", {"key": "last_time", "value": repr(_finite(time, "clock time"))})

    def _put(self, kind: str, payload: Any) -> None:
        with self._lock:
            self._put_locked(kind, payload)

    def _put_locked(self, kind: str, payload: Any) -> None:
        if self._closing:
            raise StorageError(f"storage {self._path} is closed; {kind} not recorded")
        self._queue.append((kind, payload))
        self._enqueued += 1
        self._work.notify()

    # -- waiting, any thread but the writer --------------------------------------------------------
    def flush(self, timeout: float | None = 5.0) -> bool:
        """Wait until every call queued before this one is committed; False on timeout.

        Blocks: call it from a worker or at shutdown, not from the runtime loop's hot path.
        """
        with self._lock:
            target = self._enqueued
            return self._done.wait_for(
                lambda: self._committed >= target or not self._thread.is_alive(), timeout
            ) and self._committed >= target

    def close(self, timeout: float | None = 5.0) -> bool:
        """Flush, stop the writer and release the database; return whether everything was written.

        Safe to call twice (later calls return the first result). If the backlog cannot be written
        within ``timeout`` (the disk is still full), it is discarded and logged as an error.
        """
        with self._close_lock:
            if self._close_result is not None:
                return self._close_result
            with self._lock:
                self._closing = True
                self._work.notify()
            complete = self.flush(timeout)
            if not complete:
                lost = self.lost_writes = self.pending
                self._abandon.set()
                log.error("closing %s with %d write calls not committed: %s",
                          self._path, lost, self._last_error or "timed out")
            self._thread.join(timeout=None if complete else 30.0)
            self._engine.dispose()
            if self._lock_file is not None:
                self._lock_file.release()
            self._close_result = complete
            return complete

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- the writer thread -------------------------------------------------------------------------
    def _run(self) -> None:
        batch: list[tuple[str, Any]] = []  # taken from the queue and not yet committed
        try:
            while True:
                with self._lock:
                    while not self._queue and not self._closing:
                        self._work.wait()
                    if not self._queue or self._abandon.is_set():
                        return
                    batch = self._queue[:_MAX_BATCH_OPS]
                    del self._queue[:_MAX_BATCH_OPS]
                if not self._write_with_retry(batch):
                    return
                with self._lock:
                    self._committed += len(batch)
                    self._done.notify_all()
                # Outside the lock: a future's done-callback may call back into the store.
                for kind, payload in batch:
                    if kind == "journal":
                        payload.future.set_result(None)
                batch = []
        except Exception as exc:  # a bug in the writer itself: say so instead of dying silently
            self._last_error = f"storage writer stopped: {exc}"
            log.exception("storage writer for %s stopped", self._path)
        finally:
            if self._connection is not None:
                try:
                    self._connection.close()
                except SQLAlchemyError:
                    log.warning("closing the write connection to %s failed", self._path, exc_info=True)
                self._connection = None
            with self._lock:
                self._stopped = True
                unwritten = batch + self._queue
                self._done.notify_all()
            self._fail_unwritten(unwritten)

    def _fail_unwritten(self, entries: list[tuple[str, Any]]) -> None:
        # The writer has ended with these never committed: their journal futures fail, so that no
        # waiter hangs on a commit that will not come.
        if self._abandon.is_set():
            reason = f"storage {self._path} was closed before the disk took it ({self._last_error or 'timed out'})"
        else:
            reason = self._last_error or f"the writer of {self._path} stopped"
        for kind, payload in entries:
            if kind == "journal" and not payload.future.done():
                payload.future.set_exception(StorageError(f"{payload.describe()} not committed: {reason}"))

    def _write_with_retry(self, batch: list[tuple[str, Any]]) -> bool:
        delay = _RETRY_FIRST_S
        attempts = 0
        while True:
            try:
                self._write(batch)
            except Exception as exc:  # keep the batch whatever failed: nothing is dropped silently
                attempts += 1
                message = _describe(exc, self._path, "write")
                self.first_error = self.first_error or message
                if message != self._last_error:
                    unexpected = not isinstance(exc, (SQLAlchemyError, sqlite3.Error, OSError))
                    log.error("%s (keeping %d write calls, retrying)", message, len(batch),
                              exc_info=unexpected)
                self._last_error = message
                if self._abandon.wait(delay):
                    return False
                delay = min(delay * 2, _RETRY_MAX_S)
                continue
            if self._last_error:
                log.warning("writes to %s recovered after %d failed attempts", self._path, attempts)
                self._last_error = ""
            return True

    def _write(self, batch: list[tuple[str, Any]]) -> None:
        fills: list[dict] = []
        balances: list[dict] = []
        equity: list[dict] = []
        initial: list[dict] = []
        # Upserts keyed by primary key: only the last value in a batch matters.
        trades: dict[int, dict] = {}
        decisions: dict[int, dict] = {}
        settings: dict[str, dict] = {}
        meta: dict[str, str] = {}
        journal: list[dict] = []
        risk_events: list[dict] = []
        controls: list[dict] = []
        advice: dict[int, dict] = {}
        advisor_days: dict[str, dict] = {}
        spoofs: list[dict] = []
        transfers: dict[int, dict] = {}
        routes: dict[int, dict] = {}
        children: dict[str, dict] = {}
        for kind, payload in batch:
            if kind == "advice":
                advice[payload["advice_id"]] = payload
            elif kind == "advisor_day":
                advisor_days[payload["day"]] = payload
            elif kind == "spoof":
                spoofs.append(payload)
            elif kind == "journal":
                if payload.row is not None:
                    journal.append(payload.row)
                fills.extend(payload.fill_rows)
                if payload.trade_row is not None:
                    trades[payload.trade_row["trade_id"]] = payload.trade_row
                if payload.transfer_row is not None:
                    transfers[payload.transfer_row["transfer_id"]] = payload.transfer_row
                if payload.route_row is not None:
                    routes[payload.route_row["order_id"]] = payload.route_row
                for child in payload.child_rows:
                    children[child["child_id"]] = child
            elif kind == "route":
                routes[payload["order_id"]] = payload
            elif kind == "transfer":
                transfers[payload["transfer_id"]] = payload
            elif kind == "risk_event":
                risk_events.append(payload)
            elif kind == "control":
                controls.append(payload)
            elif kind == "fills":
                fills.extend(payload)
            elif kind == "trade":
                trades[payload["trade_id"]] = payload
            elif kind == "decision":
                decisions[payload["opportunity_id"]] = payload
            elif kind == "balances":
                balances.extend(payload)
            elif kind == "equity":
                equity.append(payload)
            elif kind == "setting":
                settings[payload["key"]] = payload
            elif kind == "meta":
                meta[payload["key"]] = payload["value"]
            elif kind == "initial":
                initial.extend(payload[0])
                meta.update(payload[1])
        # A batch with a journal entry commits with synchronous=FULL: SQLite then syncs the WAL to the
        # disk at that commit, so the entry (and every commit before it) survives a power cut before
        # its waiter acts on it. Other batches stay NORMAL (synced at checkpoints only), which a power
        # cut may roll back to an earlier commit but never leaves half-written.
        level = "FULL" if any(kind == "journal" for kind, _ in batch) else "NORMAL"
        if self._connection is None:
            self._connection = self._engine.connect().execution_options(octo_writer=True)
            self._synchronous = ""
        conn = self._connection
        try:
            if level != self._synchronous:
                # On the driver connection, outside a transaction: SQLite refuses to change the safety
                # level inside one, and SQLAlchemy would begin one for its own execute.
                conn.connection.driver_connection.execute(f"PRAGMA synchronous = {level}")
                self._synchronous = level
            with conn.begin():
                if initial:
                    conn.execute(InitialBalanceRow.__table__.insert(), initial)
                if journal:
                    conn.execute(JournalRow.__table__.insert(), journal)
                if fills:
                    # A fill already stored (same order id and sequence) is never stored twice.
                    conn.execute(sqlite_insert(FillRow).on_conflict_do_nothing(), fills)
                if risk_events:
                    conn.execute(RiskEventRow.__table__.insert(), risk_events)
                for control in controls:
                    conn.execute(ControlRow.__table__.update().where(ControlRow.id == control["id"])
                                 .values(handled_at=control["handled_at"], result=control["result"]))
                if trades:
                    conn.execute(_UPSERT_TRADE, list(trades.values()))
                if decisions:
                    conn.execute(_UPSERT_DECISION, list(decisions.values()))
                if balances:
                    conn.execute(BalanceRow.__table__.insert(), balances)
                if equity:
                    conn.execute(EquityRow.__table__.insert(), equity)
                if settings:
                    conn.execute(_UPSERT_SETTING, list(settings.values()))
                if meta:
                    _upsert_meta(conn, meta)
                if advice:
                    conn.execute(_UPSERT_ADVICE, list(advice.values()))
                if advisor_days:
                    conn.execute(_UPSERT_ADVISOR_DAY, list(advisor_days.values()))
                if spoofs:
                    conn.execute(SpoofEventRow.__table__.insert(), spoofs)
                if transfers:
                    conn.execute(_UPSERT_TRANSFER, list(transfers.values()))
                if routes:
                    conn.execute(_UPSERT_ROUTE, list(routes.values()))
                if children:
                    conn.execute(_UPSERT_CHILD, list(children.values()))
        except BaseException:
            # After a disk or I/O error the connection may be unusable: start afresh next attempt.
            self._connection = None
            try:
                conn.invalidate()
            except SQLAlchemyError:
                log.debug("invalidating the failed write connection to %s failed", self._path,
                          exc_info=True)
            raise

    def _read_connection(self) -> Connection:
        # For exports: a pooled connection of its own, used by the calling thread only.
        return self._engine.connect()
