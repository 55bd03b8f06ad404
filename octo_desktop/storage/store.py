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
- ``flush``, ``close`` and the exports may be called from any thread.
"""

from __future__ import annotations

import json
import logging
import math
import sqlite3
import threading
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, func, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from octo_desktop.domain.advice import AdviceRecord
from octo_desktop.domain.attribution import Attribution, attribute
from octo_desktop.domain.model import Decision, Fill, RollbackStep, Trade, TradeState
from octo_desktop.storage.errors import StorageError
from octo_desktop.storage.lock import DatabaseLock
from octo_desktop.storage.tables import (
    SCHEMA_VERSION,
    AdviceRow,
    AdvisorDayRow,
    Base,
    BalanceRow,
    ControlRow,
    DecisionRow,
    EquityRow,
    FillRow,
    InitialBalanceRow,
    JournalRow,
    MetaRow,
    RiskEventRow,
    SettingRow,
    SpoofEventRow,
    TradeRow,
)

log = logging.getLogger(__name__)

APP_ID = "octo"
RECENT_TRADES = 200
RECENT_DECISIONS = 200
EQUITY_HISTORY = 2000
RECENT_RISK_EVENTS = 200
RECENT_ADVICE = 200
RECENT_SPOOF_EVENTS = 100

_SQLITE_HEADER = b"SQLite format 3\x00"
_MAX_BATCH_OPS = 5000
_RETRY_FIRST_S = 0.05
_RETRY_MAX_S = 2.0


@dataclass(frozen=True, slots=True)
class StoredState:
    """Everything the engine needs from the database at start."""

    is_new: bool  # no initial balances recorded yet: the engine should fund and call initialize()
    initial_balances: dict[str, dict[str, Decimal]] | None  # venue -> asset -> amount
    fills: tuple[Fill, ...]  # every fill, in insertion order
    open_trades: tuple[Trade, ...]  # state == open, oldest first, with their fills
    recent_trades: tuple[Trade, ...]  # the last RECENT_TRADES closed trades, newest first, with fills
    next_trade_id: int
    next_opportunity_id: int
    trade_count: int
    opportunity_count: int
    rejections: dict[str, int]  # rejection reason -> count over all rejected decisions
    # Sums over closed trades only: an open trade's P&L is realized when it closes, by the session
    # that closes it (counting its partial fills here too would count them twice).
    realized_pnl: Decimal
    fees_in_quote: Decimal
    settings: dict[str, object]
    last_time: float | None  # the last engine clock time recorded with record_clock()
    # Oldest first: (time, equity_usdt, realized_pnl, marked_pnl).
    equity_history: tuple[tuple[float, float, float, float], ...]
    recent_decisions: tuple[Decision, ...]  # the last RECENT_DECISIONS, newest first
    journal: Mapping[int, tuple[JournalEntry, ...]] = field(default_factory=lambda: MappingProxyType({}))  # open trade id -> its journal
    risk_events: tuple[tuple[float, str, str, str, str], ...] = ()  # newest first: time, from, to, trigger, reason
    attribution: Attribution = Attribution()  # summed over closed trades
    advice: tuple[AdviceRecord, ...] = ()  # the AI log's last RECENT_ADVICE records, newest first
    next_advice_id: int = 1
    advisor_days: Mapping[str, tuple[int, int, int, Decimal]] = field(
        default_factory=lambda: MappingProxyType({}))  # UTC day -> calls, tokens in, tokens out, cost USD
    # Newest first: time, venue, symbol, side, price, size, lifetime_s, traded, distance_bps.
    spoof_events: tuple[tuple, ...] = ()
    trade_states: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))  # closed trades by state
    # The latest engine time stored anywhere (clock, journal, trades, fills, decisions, curves, events),
    # None for a new database: a restart's clock never starts before it.
    latest_time: float | None = None


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """One write-ahead journal entry as read back at start."""

    time: float
    trade_id: int
    kind: str  # "opened", "sent", "done", "step", "closed"
    order_id: str
    payload: dict[str, Any]


# ---------------------------------------------------------------------------------------------------
# Opening.
# ---------------------------------------------------------------------------------------------------
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
    if path.is_dir():
        raise StorageError(f"database {path} is a directory, not a file")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageError(f"cannot create directory {path.parent}: {exc.strerror}") from exc
    lock = DatabaseLock.acquire(path)  # before anything reads or writes the file: one engine per database
    try:
        _check_header(path)
        engine = _create_engine(path, busy_timeout_ms=busy_timeout_ms, max_size_bytes=max_size_bytes)
        try:
            initialized = _prepare(engine, path)
        except BaseException:
            engine.dispose()
            raise
    except BaseException:
        lock.release()
        raise
    return Store(path, engine, initialized=initialized, lock=lock)


def _check_header(path: Path) -> None:
    # Refuse a non-SQLite file before SQLite touches it: nothing is ever written to a foreign file.
    try:
        with open(path, "rb") as handle:
            header = handle.read(len(_SQLITE_HEADER))
    except FileNotFoundError:
        return
    except OSError as exc:
        raise StorageError(f"cannot read {path}: {exc.strerror}") from exc
    if header and header != _SQLITE_HEADER:
        raise StorageError(f"database {path} is not an Octo database (file is not a database)")


def _create_engine(path: Path, *, busy_timeout_ms: int, max_size_bytes: int | None = None,
                   read_only: bool = False, immutable: bool = False) -> Engine:
    if read_only:
        # path.as_uri() percent-encodes spaces, '?' and '#' in the file name. immutable: SQLite reads the
        # file alone and creates no -wal/-shm beside it (only for a file no one else is writing).
        query = {"mode": "ro", "uri": "true", **({"immutable": "1"} if immutable else {})}
        url = URL.create("sqlite", database=path.absolute().as_uri(), query=query)
    else:
        url = URL.create("sqlite", database=str(path))
    # check_same_thread=False: pooled connections move between threads, one thread at a time.
    engine = create_engine(url, connect_args={"check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, record: object) -> None:
        # Let SQLAlchemy's begin event issue BEGIN itself (pysqlite's implicit BEGIN is deferred
        # and skips some statements); see SQLAlchemy's "Serializable isolation" recipe.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys = ON")
        if not read_only:
            cursor.execute("PRAGMA synchronous = NORMAL")
        if max_size_bytes is not None:
            page_size = cursor.execute("PRAGMA page_size").fetchone()[0]
            cursor.execute(f"PRAGMA max_page_count = {max(1, int(max_size_bytes) // page_size)}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # The writer takes the write lock up front, so a busy database fails at BEGIN, not halfway.
        immediate = connection.get_execution_options().get("octo_writer", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def _read_meta(engine: Engine, path: Path) -> tuple[set[str], dict[str, str]]:
    try:
        with engine.connect() as conn:
            tables = set(conn.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'table'").scalars())
            meta = {}
            if "meta" in tables:
                meta = {row.key: row.value for row in conn.execute(select(MetaRow.key, MetaRow.value))}
    except DBAPIError as exc:
        raise StorageError(_describe(exc, path, "open")) from exc
    return tables, meta


def _validate(path: Path, tables: set[str], meta: dict[str, str]) -> int | None:
    """Return the file's schema version (None for an empty database) or raise StorageError."""
    user_tables = {name for name in tables if not name.startswith("sqlite_")}
    if not user_tables:
        return None
    if meta.get("app") != APP_ID:
        what = "no Octo metadata" if not meta else f"app is {meta.get('app')!r}"
        raise StorageError(f"database {path} is not an Octo database ({what})")
    try:
        version = int(meta.get("schema_version", ""))
    except ValueError:
        raise StorageError(f"database {path} is not an Octo database "
                           f"(bad schema version {meta.get('schema_version')!r})") from None
    if version > SCHEMA_VERSION:
        raise StorageError(f"database {path} has schema version {version}, newer than this Octo "
                           f"understands ({SCHEMA_VERSION}); use a newer Octo or another database")
    if version < 1:
        raise StorageError(f"database {path} has schema version {version} and no migration to "
                           f"{SCHEMA_VERSION} exists")
    return version


def _prepare(engine: Engine, path: Path) -> bool:
    """Validate, switch to WAL, create missing tables; return whether initial balances exist."""
    tables, meta = _read_meta(engine, path)
    version = _validate(path, tables, meta)
    try:
        raw = engine.raw_connection()
        try:
            mode = raw.driver_connection.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        finally:
            raw.close()
        if mode.lower() != "wal":
            log.warning("database %s: journal mode is %s, not WAL (filesystem without shared memory?)",
                        path, mode)
        with engine.begin() as conn:
            Base.metadata.create_all(conn)
            if version is not None and version < SCHEMA_VERSION:
                _migrate(conn, version)
            if version is None:
                _upsert_meta(conn, {"app": APP_ID, "schema_version": str(SCHEMA_VERSION),
                                    "created_at": datetime.now(timezone.utc).isoformat()})
    except DBAPIError as exc:
        raise StorageError(_describe(exc, path, "open")) from exc
    return "initialized_at" in meta


_MIGRATIONS = {
    # 1 -> 2: order ids on fills (unique with their sequence), execution details on trades. The new
    # tables (journal, risk_events, control) are created by create_all.
    # 2 -> 3: only new tables (advice, advisor_days, spoof_events), created by create_all.
    2: (),
    1: (
        "ALTER TABLE fills ADD COLUMN order_id TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE fills ADD COLUMN fill_seq INTEGER",
        "CREATE UNIQUE INDEX IF NOT EXISTS ux_fills_order_seq ON fills (order_id, fill_seq) WHERE order_id != ''",
        *(f"ALTER TABLE trades ADD COLUMN {name} {kind}" for name, kind in (
            ("buy_order_type", "TEXT"), ("sell_order_type", "TEXT"), ("decision_buy_vwap", "FLOAT"),
            ("decision_sell_vwap", "FLOAT"), ("arrival_buy_vwap", "FLOAT"), ("arrival_sell_vwap", "FLOAT"),
            ("steps", "TEXT"), ("expected_edge", "TEXT"), ("latency_decay", "TEXT"), ("slippage", "TEXT"),
            ("rollback_loss", "TEXT"))),
    ),
}


def _migrate(conn: Connection, version: int) -> None:
    """Bring a database from ``version`` to SCHEMA_VERSION, one step at a time, in the open transaction."""
    while version < SCHEMA_VERSION:
        for statement in _MIGRATIONS[version]:
            conn.exec_driver_sql(statement)
        version += 1
        log.info("database migrated to schema version %d", version)
    _upsert_meta(conn, {"schema_version": str(SCHEMA_VERSION)})


def _describe(exc: BaseException, path: Path, action: str) -> str:
    """Translate a database or OS error into one line naming the file."""
    original = getattr(exc, "orig", None) or exc
    name = getattr(original, "sqlite_errorname", "") or ""
    reasons = (
        ("SQLITE_FULL", "disk full"),
        ("SQLITE_BUSY", "database is locked by another connection"),
        ("SQLITE_LOCKED", "database is locked by another connection"),
        ("SQLITE_READONLY", "the file or its directory is read-only"),
        ("SQLITE_IOERR", "disk I/O error"),
        ("SQLITE_CORRUPT", "the database file is corrupt"),
        ("SQLITE_NOTADB", "file is not a database"),
        ("SQLITE_CANTOPEN", "cannot open the file"),
        ("SQLITE_PERM", "permission denied"),
    )
    for prefix, reason in reasons:
        if name.startswith(prefix):
            if prefix == "SQLITE_NOTADB":
                return f"database {path} is not an Octo database ({reason})"
            return f"cannot {action} {path}: {reason}"
    if isinstance(original, OSError) and original.strerror:
        return f"cannot {action} {path}: {original.strerror}"
    first_line = str(original).splitlines()[0] if str(original) else type(original).__name__
    return f"cannot {action} {path}: {first_line}"


# ---------------------------------------------------------------------------------------------------
# Row conversion, done on the caller's thread.
# ---------------------------------------------------------------------------------------------------
def _exact(value: object, what: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (Decimal, int)):
        raise TypeError(f"{what} must be a Decimal, got {type(value).__name__} {value!r}")
    number = Decimal(value)
    if not number.is_finite():
        raise ValueError(f"{what} must be finite, got {number}")
    return number


def _text(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a string, got {type(value).__name__} {value!r}")
    return value


def _finite(value: object, what: str) -> float:
    number = float(value)  # type: ignore[arg-type]
    if not math.isfinite(number):
        raise ValueError(f"{what} must be finite, got {number}")
    return number


def _nullable_float(value: object) -> float | None:
    if value is None:
        return None
    number = float(value)  # type: ignore[arg-type]
    return number if math.isfinite(number) else None


def _float_or_nan(value: float | None) -> float:
    return math.nan if value is None else value


def _fill_row(fill: Fill, seq: int | None = None) -> dict[str, Any]:
    return {
        "order_id": _text(fill.order_id, "fill order id"), "fill_seq": seq,
        "trade_id": int(fill.trade_id), "venue": _text(fill.venue, "fill venue"),
        "symbol": _text(fill.symbol, "fill symbol"), "side": _text(fill.side, "fill side"),
        "price": _exact(fill.price, "fill price"), "quantity": _exact(fill.quantity, "fill quantity"),
        "fee": _exact(fill.fee, "fill fee"), "fee_asset": _text(fill.fee_asset, "fill fee asset"),
        "liquidity": _text(fill.liquidity, "fill liquidity"),
        "order_type": _text(fill.order_type, "fill order type"), "time": _finite(fill.time, "fill time"),
        "purpose": _text(fill.purpose, "fill purpose"),
    }


def _trade_row(trade: Trade) -> dict[str, Any]:
    return {
        "trade_id": int(trade.trade_id), "opportunity_id": int(trade.opportunity_id),
        "symbol": _text(trade.symbol, "trade symbol"), "buy_venue": _text(trade.buy_venue, "buy venue"),
        "sell_venue": _text(trade.sell_venue, "sell venue"),
        "planned_quantity": _exact(trade.planned_quantity, "planned quantity"),
        "matched_quantity": _exact(trade.matched_quantity, "matched quantity"),
        "opened_at": _finite(trade.opened_at, "trade opened_at"),
        "closed_at": None if trade.closed_at is None else _finite(trade.closed_at, "trade closed_at"),
        "expected_bps": _nullable_float(trade.expected_bps), "state": TradeState(trade.state).value,
        "realized_pnl": _exact(trade.realized_pnl, "realized pnl"),
        "fees_in_quote": _exact(trade.fees_in_quote, "fees"), "note": _text(trade.note, "trade note"),
        "buy_order_type": trade.buy_order_type or None, "sell_order_type": trade.sell_order_type or None,
        "decision_buy_vwap": _nullable_float(trade.decision_buy_vwap),
        "decision_sell_vwap": _nullable_float(trade.decision_sell_vwap),
        "arrival_buy_vwap": _nullable_float(trade.arrival_buy_vwap),
        "arrival_sell_vwap": _nullable_float(trade.arrival_sell_vwap),
        "steps": json.dumps([_step_json(step) for step in trade.steps]),
        **_attribution_columns(trade),
    }


def _step_json(step: RollbackStep) -> dict[str, Any]:
    return {"time": step.time, "kind": step.kind, "venue": step.venue, "side": step.side,
            "quantity": format(step.quantity, "f"), "filled": format(step.filled, "f"),
            "order_type": step.order_type, "detail": step.detail}


def _step_from_json(data: dict[str, Any]) -> RollbackStep:
    return RollbackStep(float(data["time"]), str(data["kind"]), str(data["venue"]), str(data["side"]),
                        Decimal(data["quantity"]), Decimal(data["filled"]), str(data["order_type"]),
                        str(data["detail"]))


def _attribution_columns(trade: Trade) -> dict[str, Any]:
    if trade.state == TradeState.OPEN:
        return {"expected_edge": None, "latency_decay": None, "slippage": None, "rollback_loss": None}
    parts = attribute(trade)
    return {"expected_edge": parts.expected, "latency_decay": parts.latency_decay,
            "slippage": parts.slippage, "rollback_loss": parts.rollback}


def _decision_row(decision: Decision) -> dict[str, Any]:
    return {
        "opportunity_id": int(decision.opportunity_id), "time": _finite(decision.time, "decision time"),
        "symbol": _text(decision.symbol, "decision symbol"),
        "buy_venue": _text(decision.buy_venue, "buy venue"),
        "sell_venue": _text(decision.sell_venue, "sell venue"),
        "net_bps": _nullable_float(decision.net_bps), "quantity": _nullable_float(decision.quantity),
        "buy_vwap": _nullable_float(decision.buy_vwap), "sell_vwap": _nullable_float(decision.sell_vwap),
        "score": _nullable_float(decision.score),
        "parts": json.dumps([[str(name), float(value)] for name, value in decision.parts]),
        "accepted": bool(decision.accepted), "reason": _text(decision.reason, "decision reason"),
        "detail": _text(decision.detail, "decision detail"),
    }


def _balance_rows(balances: Mapping[str, Mapping[str, Decimal]], time: float | None,
                  what: str) -> list[dict[str, Any]]:
    rows = []
    for venue, assets in balances.items():
        for asset, amount in assets.items():
            row = {"venue": _text(venue, f"{what} venue"), "asset": _text(asset, f"{what} asset"),
                   "amount": _exact(amount, f"{what} {venue} {asset}")}
            if time is not None:
                row["time"] = time
            rows.append(row)
    return rows


def _pnl_decimal(value: object) -> Decimal | None:
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    number = float(value)  # type: ignore[arg-type]
    return Decimal(repr(number)) if math.isfinite(number) else None


def _upsert(model: type[Base], keys: list[str]):
    statement = sqlite_insert(model)
    columns = [c.name for c in model.__table__.columns if c.name not in keys]
    return statement.on_conflict_do_update(
        index_elements=keys, set_={name: statement.excluded[name] for name in columns})


_UPSERT_TRADE = _upsert(TradeRow, ["trade_id"])
_UPSERT_DECISION = _upsert(DecisionRow, ["opportunity_id"])
_UPSERT_SETTING = _upsert(SettingRow, ["key"])
_UPSERT_ADVICE = _upsert(AdviceRow, ["advice_id"])
_UPSERT_ADVISOR_DAY = _upsert(AdvisorDayRow, ["day"])
_UPSERT_META = _upsert(MetaRow, ["key"])


def _upsert_meta(conn: Connection, values: Mapping[str, str]) -> None:
    conn.execute(_UPSERT_META, [{"key": k, "value": v} for k, v in values.items()])


# ---------------------------------------------------------------------------------------------------
# The store.
# ---------------------------------------------------------------------------------------------------
class Store:
    """An open Octo database: reads at start, queued writes committed by the ``octo-storage`` thread.

    Build it with ``open_store``. Write methods never block on the disk; ``flush`` and ``close`` wait.
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
        self._last_error = ""
        self._connection: Connection | None = None
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

    def commit_journal(self, time: float, trade_id: int, kind: str, payload: Mapping[str, Any], *,
                       order_id: str = "", fills: Iterable[Fill] = (), trade: Trade | None = None,
                       timeout: float = 2.0) -> None:
        """Write one journal entry (with the fills and trade row it carries) and wait until committed.

        This is the write-ahead path: the caller acts on the entry only after this returns. Everything
        in one call is one transaction. Raises ``StorageError`` if the commit does not happen within
        ``timeout`` (the entry stays queued and lands when the disk recovers; the caller must not act).
        Blocks the calling thread for one commit (well under a millisecond on a healthy disk).
        """
        row = {"time": _finite(time, "journal time"), "trade_id": int(trade_id), "kind": _text(kind, "journal kind"),
               "order_id": _text(order_id, "journal order id"),
               "payload": json.dumps(payload, allow_nan=False, default=str)}
        fill_rows = [_fill_row(fill, seq) for seq, fill in enumerate(fills)]
        trade_row = _trade_row(trade) if trade is not None else None
        self._put("journal", (row, fill_rows, trade_row))
        if not self.flush(timeout):
            raise StorageError(f"journal entry {kind} of trade {trade_id} not committed within {timeout:g} s: "
                               f"{self._last_error or 'the writer is busy'}")

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
                self._done.notify_all()

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
        for kind, payload in batch:
            if kind == "advice":
                advice[payload["advice_id"]] = payload
            elif kind == "advisor_day":
                advisor_days[payload["day"]] = payload
            elif kind == "spoof":
                spoofs.append(payload)
            elif kind == "journal":
                row, fill_rows, trade_row = payload
                journal.append(row)
                fills.extend(fill_rows)
                if trade_row is not None:
                    trades[trade_row["trade_id"]] = trade_row
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
        if self._connection is None:
            self._connection = self._engine.connect().execution_options(octo_writer=True)
        conn = self._connection
        try:
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


# ---------------------------------------------------------------------------------------------------
# Loading.
# ---------------------------------------------------------------------------------------------------
# Fill's fields, in the order of its constructor: rows built positionally are ~4x faster than by name.
_FILL_COLUMNS = (FillRow.trade_id, FillRow.venue, FillRow.symbol, FillRow.side, FillRow.price,
                 FillRow.quantity, FillRow.fee, FillRow.fee_asset, FillRow.liquidity, FillRow.order_type,
                 FillRow.time, FillRow.purpose, FillRow.order_id)


def _trade_from_row(row: Any, fills: tuple[Fill, ...]) -> Trade:
    steps = tuple(_step_from_json(step) for step in json.loads(row.steps)) if row.steps else ()
    return Trade(trade_id=row.trade_id, opportunity_id=row.opportunity_id, symbol=row.symbol,
                 buy_venue=row.buy_venue, sell_venue=row.sell_venue,
                 planned_quantity=row.planned_quantity, opened_at=row.opened_at,
                 expected_bps=_float_or_nan(row.expected_bps), state=TradeState(row.state),
                 closed_at=row.closed_at, fills=fills, note=row.note,
                 buy_order_type=row.buy_order_type or "", sell_order_type=row.sell_order_type or "",
                 decision_buy_vwap=_float_or_nan(row.decision_buy_vwap),
                 decision_sell_vwap=_float_or_nan(row.decision_sell_vwap),
                 arrival_buy_vwap=_float_or_nan(row.arrival_buy_vwap),
                 arrival_sell_vwap=_float_or_nan(row.arrival_sell_vwap), steps=steps)


def _decision_from_row(row: Any) -> Decision:
    return Decision(opportunity_id=row.opportunity_id, time=row.time, symbol=row.symbol,
                    buy_venue=row.buy_venue, sell_venue=row.sell_venue,
                    net_bps=_float_or_nan(row.net_bps), quantity=_float_or_nan(row.quantity),
                    buy_vwap=_float_or_nan(row.buy_vwap), sell_vwap=_float_or_nan(row.sell_vwap),
                    score=_float_or_nan(row.score),
                    parts=tuple((name, float(value)) for name, value in json.loads(row.parts)),
                    accepted=bool(row.accepted), reason=row.reason, detail=row.detail)


def _load(conn: Connection) -> StoredState:
    meta = {row.key: row.value for row in conn.execute(select(MetaRow.key, MetaRow.value))}

    initial: dict[str, dict[str, Decimal]] | None = None
    if "initialized_at" in meta:
        initial = {}
        for row in conn.execute(select(InitialBalanceRow)):
            initial.setdefault(row.venue, {})[row.asset] = row.amount

    fills = tuple(Fill(*row) for row in conn.execute(select(*_FILL_COLUMNS).order_by(FillRow.id)).all())
    fills_by_trade: dict[int, list[Fill]] = defaultdict(list)
    for fill in fills:
        fills_by_trade[fill.trade_id].append(fill)

    def trades(statement) -> tuple[Trade, ...]:
        return tuple(_trade_from_row(row, tuple(fills_by_trade.get(row.trade_id, ())))
                     for row in conn.execute(statement))

    trade_table = TradeRow.__table__
    open_trades = trades(select(trade_table).where(TradeRow.state == TradeState.OPEN.value)
                         .order_by(TradeRow.trade_id))
    recent_trades = trades(select(trade_table).where(TradeRow.state != TradeState.OPEN.value)
                           .order_by(TradeRow.trade_id.desc()).limit(RECENT_TRADES))
    trade_states = {state: count for state, count in conn.execute(
        select(TradeRow.state, func.count()).where(TradeRow.state != TradeState.OPEN.value)
        .group_by(TradeRow.state))}

    max_trade, trade_count = conn.execute(select(func.max(TradeRow.trade_id), func.count())
                                          .select_from(trade_table)).one()
    max_opportunity, opportunity_count = conn.execute(
        select(func.max(DecisionRow.opportunity_id), func.count()).select_from(DecisionRow.__table__)).one()
    rejections = {reason: count for reason, count in conn.execute(
        select(DecisionRow.reason, func.count()).where(DecisionRow.accepted.is_(False))
        .group_by(DecisionRow.reason))}

    # Summed in Python: SQLite's SUM over TEXT would go through a binary float.
    realized = Decimal(0)
    fees = Decimal(0)
    totals = Attribution()
    zero = Decimal(0)
    for pnl, fee, expected, decay, slip, rollback in conn.execute(select(
            TradeRow.realized_pnl, TradeRow.fees_in_quote, TradeRow.expected_edge, TradeRow.latency_decay,
            TradeRow.slippage, TradeRow.rollback_loss).where(TradeRow.state != TradeState.OPEN.value)):
        realized += pnl
        fees += fee
        if expected is not None:
            totals = totals + Attribution(expected, decay or zero, slip or zero, fee, rollback or zero, pnl)

    open_ids = [trade.trade_id for trade in open_trades]
    journal: dict[int, list[JournalEntry]] = defaultdict(list)
    if open_ids:
        for row in conn.execute(select(JournalRow.__table__).where(JournalRow.trade_id.in_(open_ids))
                                .order_by(JournalRow.id)):
            journal[row.trade_id].append(JournalEntry(row.time, row.trade_id, row.kind, row.order_id,
                                                      json.loads(row.payload)))
    risk_events = tuple((row.time, row.from_state, row.to_state, row.trigger, row.reason) for row in conn.execute(
        select(RiskEventRow.__table__).order_by(RiskEventRow.id.desc()).limit(RECENT_RISK_EVENTS)))

    settings = {row.key: json.loads(row.value) for row in conn.execute(select(SettingRow))}
    equity_rows = conn.execute(select(EquityRow.__table__).order_by(EquityRow.id.desc())
                               .limit(EQUITY_HISTORY)).all()
    equity = tuple(
        (row.time, _float_or_nan(row.equity_usdt),
         math.nan if row.realized_pnl is None else float(row.realized_pnl), _float_or_nan(row.marked_pnl))
        for row in reversed(equity_rows)
    )
    decisions = tuple(_decision_from_row(row) for row in conn.execute(
        select(DecisionRow.__table__).order_by(DecisionRow.opportunity_id.desc()).limit(RECENT_DECISIONS)))

    advice = tuple(_advice_from_row(row) for row in conn.execute(
        select(AdviceRow.__table__).order_by(AdviceRow.advice_id.desc()).limit(RECENT_ADVICE)))
    max_advice = conn.execute(select(func.max(AdviceRow.advice_id))).scalar()
    advisor_days = {row.day: (row.calls, row.tokens_in, row.tokens_out, row.cost_usd)
                    for row in conn.execute(select(AdvisorDayRow.__table__))}
    spoof_events = tuple(
        (row.time, row.venue, row.symbol, row.side, row.price, row.size, row.lifetime_s, row.traded,
         _float_or_nan(row.distance_bps))
        for row in conn.execute(select(SpoofEventRow.__table__).order_by(SpoofEventRow.id.desc())
                                .limit(RECENT_SPOOF_EVENTS)))

    return StoredState(
        is_new=initial is None,
        initial_balances=initial,
        fills=fills,
        open_trades=open_trades,
        recent_trades=recent_trades,
        next_trade_id=(max_trade or 0) + 1,
        next_opportunity_id=(max_opportunity or 0) + 1,
        trade_count=trade_count,
        opportunity_count=opportunity_count,
        rejections=rejections,
        realized_pnl=realized,
        fees_in_quote=fees,
        settings=settings,
        last_time=float(meta["last_time"]) if "last_time" in meta else None,
        equity_history=equity,
        recent_decisions=decisions,
        journal=MappingProxyType({trade_id: tuple(entries) for trade_id, entries in journal.items()}),
        risk_events=risk_events,
        attribution=totals,
        advice=advice,
        next_advice_id=(max_advice or 0) + 1,
        advisor_days=MappingProxyType(advisor_days),
        spoof_events=spoof_events,
        trade_states=MappingProxyType(trade_states),
        latest_time=_latest_time(conn, meta),
    )


# Every engine-time column, with the meta keys that hold one. Wall-clock columns (control.posted_at) are
# not engine time and are left out.
_TIME_COLUMNS = (JournalRow.time, TradeRow.opened_at, TradeRow.closed_at, FillRow.time, DecisionRow.time,
                 EquityRow.time, BalanceRow.time, RiskEventRow.time, AdviceRow.time, SpoofEventRow.time,
                 ControlRow.handled_at)


def _latest_time(conn: Connection, meta: Mapping[str, str]) -> float | None:
    """Return the latest engine time stored anywhere, or None when nothing is stored yet."""
    times: list[float] = []
    for key in ("last_time", "initialized_at"):
        try:
            times.append(float(meta[key]))
        except (KeyError, ValueError):
            pass
    for column in _TIME_COLUMNS:
        value = conn.execute(select(func.max(column))).scalar()
        if value is not None:
            times.append(float(value))
    finite = [t for t in times if math.isfinite(t)]
    return max(finite) if finite else None


def _advice_row(record: AdviceRecord) -> dict[str, Any]:
    return {
        "advice_id": int(record.advice_id), "time": _finite(record.time, "advice time"), "day": record.day,
        "opportunity_id": int(record.opportunity_id), "symbol": record.symbol, "buy_venue": record.buy_venue,
        "sell_venue": record.sell_venue, "net_bps": _nullable_float(record.net_bps),
        "advisor": record.advisor, "model": record.model, "verdict": record.verdict,
        "confidence": _nullable_float(record.confidence), "reason": _text(record.reason, "advice reason"),
        "size_cap_usdt": _nullable_float(record.size_cap_usdt), "latency_ms": _nullable_float(record.latency_ms),
        "tokens_in": int(record.tokens_in), "tokens_out": int(record.tokens_out),
        "cost_usd": _exact(record.cost_usd, "advice cost"), "fallback": _text(record.fallback, "fallback"),
        "trade_id": record.trade_id, "outcome": _text(record.outcome, "outcome"),
        "realized_pnl": None if record.realized_pnl is None else _exact(record.realized_pnl, "advice P&L"),
        "realized_bps": _nullable_float(record.realized_bps),
    }


def _advice_from_row(row: Any) -> AdviceRecord:
    return AdviceRecord(
        advice_id=row.advice_id, time=row.time, opportunity_id=row.opportunity_id, symbol=row.symbol,
        buy_venue=row.buy_venue, sell_venue=row.sell_venue, net_bps=_float_or_nan(row.net_bps),
        advisor=row.advisor, model=row.model, verdict=row.verdict, confidence=_float_or_nan(row.confidence),
        reason=row.reason, size_cap_usdt=row.size_cap_usdt, latency_ms=_float_or_nan(row.latency_ms),
        tokens_in=row.tokens_in, tokens_out=row.tokens_out, cost_usd=row.cost_usd, fallback=row.fallback,
        trade_id=row.trade_id, outcome=row.outcome, realized_pnl=row.realized_pnl,
        realized_bps=row.realized_bps)


def read_advice(path: str | Path, *, verdict: str | None = None, advisor: str | None = None,
                symbol: str | None = None, limit: int = 50) -> tuple[tuple[AdviceRecord, ...], dict]:
    """Return the AI log's newest ``limit`` records matching the filters, and the per-day spend totals."""
    engine = _open_reader(path)
    try:
        with engine.connect() as conn:
            tables, _meta = _read_meta(engine, Path(path))
            if "advice" not in tables:  # written by a version before the AI log
                return (), {}
            statement = select(AdviceRow.__table__)
            if verdict:
                statement = statement.where(AdviceRow.verdict == verdict.upper())
            if advisor:
                statement = statement.where(AdviceRow.advisor == advisor)
            if symbol:
                statement = statement.where(AdviceRow.symbol == symbol)
            rows = conn.execute(statement.order_by(AdviceRow.advice_id.desc()).limit(limit)).all()
            days = {row.day: (row.calls, row.tokens_in, row.tokens_out, row.cost_usd)
                    for row in conn.execute(select(AdvisorDayRow.__table__).order_by(AdvisorDayRow.day))}
    except DBAPIError as exc:
        raise StorageError(_describe(exc, Path(path), "read")) from exc
    finally:
        engine.dispose()
    return tuple(_advice_from_row(row) for row in rows), days


def _require_file(path: Path) -> None:
    """Raise StorageError unless ``path`` is an existing file (a directory is named as one)."""
    if path.is_dir():
        raise StorageError(f"database {path} is a directory, not a file")
    if not path.is_file():
        raise StorageError(f"database {path} does not exist")


def _open_reader(path: str | Path) -> Engine:
    # A read-only engine on an existing Octo database, for exports by path.
    path = Path(path).expanduser()
    _require_file(path)
    _check_header(path)
    engine = _create_engine(path, busy_timeout_ms=5000, read_only=True)
    try:
        tables, meta = _read_meta(engine, path)
        if _validate(path, tables, meta) is None:
            raise StorageError(f"database {path} is not an Octo database (it is empty)")
    except BaseException:
        engine.dispose()
        raise
    return engine


def inspect_database(path: str | Path) -> dict[str, Any]:
    """Check the database at ``path`` read-only, never creating or changing it; return what it holds.

    Returns ``{"path", "exists": False}`` when there is no file yet, else ``{"path", "exists": True,
    "bytes", "schema_version" (None: an empty file Octo has not set up), "trades", "fills"}``. Raises
    StorageError naming the file when it is a directory, not SQLite, not Octo's, from a newer Octo or
    corrupt (SQLite's ``PRAGMA quick_check``).
    """
    path = Path(path).expanduser()
    if path.is_dir():
        raise StorageError(f"database {path} is a directory, not a file")
    if not path.exists():
        return {"path": str(path), "exists": False}
    _check_header(path)
    # Without a -wal file no engine has the database open (a running one keeps it): read the file alone,
    # or SQLite would leave a -wal and a -shm beside it. With one, read through it, as a running engine's
    # latest commits are there.
    in_use = Path(f"{path}-wal").exists()
    engine = _create_engine(path, busy_timeout_ms=5000, read_only=True, immutable=not in_use)
    try:
        tables, meta = _read_meta(engine, path)
        version = _validate(path, tables, meta)
        with engine.connect() as conn:
            problems = conn.exec_driver_sql("PRAGMA quick_check").scalars().all()
            if problems != ["ok"]:
                # One line: SQLite's report has a "*** in database main ***" heading and a line per problem.
                lines = [line for problem in problems for line in str(problem).splitlines()
                         if line.strip() and not line.startswith("***")] or ["no details"]
                more = f"; and {len(lines) - 1} more" if len(lines) > 1 else ""
                raise StorageError(f"database {path} is corrupt (PRAGMA quick_check: {lines[0]}{more})")
            counts = {name: conn.execute(select(func.count()).select_from(row.__table__)).scalar_one()
                      if row.__tablename__ in tables else 0
                      for name, row in (("trades", TradeRow), ("fills", FillRow))}
    except DBAPIError as exc:
        raise StorageError(_describe(exc, path, "read")) from exc
    finally:
        engine.dispose()
    return {"path": str(path), "exists": True, "bytes": path.stat().st_size, "schema_version": version, **counts}



# ---------------------------------------------------------------------------------------------------
# Control commands from another process (``octo_desktop halt`` for a running headless engine).
# ---------------------------------------------------------------------------------------------------
def post_control(path: str | Path, command: str, reason: str, wall_time: float) -> int:
    """Insert a control command into the Octo database at ``path``; return its id.

    Works whether or not an engine has the database open (SQLite serializes the writers); an engine
    that is not running picks it up when it next starts.
    """
    path = Path(path).expanduser()
    _require_file(path)
    _check_header(path)
    engine = _create_engine(path, busy_timeout_ms=10_000)
    try:
        tables, meta = _read_meta(engine, path)
        version = _validate(path, tables, meta)
        if version is None or "control" not in tables:
            raise StorageError(f"database {path} has no control table; start Octo on it once first")
        with engine.begin() as conn:
            result = conn.execute(ControlRow.__table__.insert().values(
                posted_at=wall_time, command=command, reason=reason))
            return int(result.inserted_primary_key[0])
    except DBAPIError as exc:
        raise StorageError(_describe(exc, path, "write")) from exc
    finally:
        engine.dispose()


def control_answer(path: str | Path, control_id: int) -> tuple[float, str] | None:
    """Return (engine time, result) once an engine has handled command ``control_id``, else None."""
    engine = _open_reader(path)
    try:
        with engine.connect() as conn:
            row = conn.execute(select(ControlRow.handled_at, ControlRow.result)
                               .where(ControlRow.id == control_id)).one_or_none()
    except DBAPIError as exc:
        raise StorageError(_describe(exc, Path(path), "read")) from exc
    finally:
        engine.dispose()
    if row is None or row.handled_at is None:
        return None
    return row.handled_at, row.result or ""


class ControlReader:
    """Read unhandled control commands of one database (used by the engine's control watcher thread)."""

    def __init__(self, path: str | Path) -> None:
        self._path = Path(path)
        self._engine = _create_engine(self._path, busy_timeout_ms=1000, read_only=True)
        self._seen: set[int] = set()

    def new_commands(self) -> list[tuple[int, str, str]]:
        """Return (id, command, reason) of commands not handled and not returned before, oldest first."""
        try:
            with self._engine.connect() as conn:
                rows = conn.execute(select(ControlRow.id, ControlRow.command, ControlRow.reason)
                                    .where(ControlRow.handled_at.is_(None)).order_by(ControlRow.id)).all()
        except DBAPIError as exc:
            log.warning("reading control commands failed: %s", _describe(exc, self._path, "read"))
            return []
        fresh = [(row.id, row.command, row.reason) for row in rows if row.id not in self._seen]
        self._seen.update(row[0] for row in fresh)
        return fresh

    def close(self) -> None:
        self._engine.dispose()
