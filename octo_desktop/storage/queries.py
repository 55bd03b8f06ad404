"""Reads: the state the engine resumes from, the AI log, a read-only check, and control commands."""

from __future__ import annotations

import json
import logging
import math
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType
from typing import Any

from sqlalchemy import Connection, func, select
from sqlalchemy.exc import DBAPIError

from octo_desktop.domain.advice import AdviceRecord
from octo_desktop.domain.attribution import Attribution
from octo_desktop.domain.model import Decision, Fill, Trade, TradeState
from octo_desktop.domain.ledger import Ledger
from octo_desktop.treasury.transfers import Transfer, in_flight
from octo_desktop.storage.database import (
    _check_header,
    _create_engine,
    _describe,
    _open_reader,
    _read_meta,
    _require_file,
    _validate,
)
from octo_desktop.storage.errors import StorageError
from octo_desktop.storage.rows import (
    _advice_from_row, _decision_from_row, _float_or_nan, _trade_from_row, _transfer_from_row,
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
    MetaRow,
    RiskEventRow,
    RouteChildRow,
    RouteRow,
    SettingRow,
    SpoofEventRow,
    TradeRow,
    TransferRow,
)

log = logging.getLogger(__name__)

RECENT_TRADES = 200
RECENT_DECISIONS = 200
EQUITY_HISTORY = 2000
RECENT_RISK_EVENTS = 200
RECENT_ADVICE = 200
RECENT_SPOOF_EVENTS = 100


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
    transfers: tuple[Transfer, ...] = ()  # every transfer, oldest first: balances are rebuilt from them
    # The router's parent orders and their children, oldest first, as column -> value dicts (routes.desk reads them).
    routes: tuple[dict[str, Any], ...] = ()
    route_children: tuple[dict[str, Any], ...] = ()
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
# Loading, at start.
# ---------------------------------------------------------------------------------------------------
# Fill's fields, in the order of its constructor: rows built positionally are ~4x faster than by name.
_FILL_COLUMNS = (FillRow.trade_id, FillRow.venue, FillRow.symbol, FillRow.side, FillRow.price,
                 FillRow.quantity, FillRow.fee, FillRow.fee_asset, FillRow.liquidity, FillRow.order_type,
                 FillRow.time, FillRow.purpose, FillRow.order_id)


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
        transfers=tuple(_transfer_from_row(row) for row in conn.execute(
            select(TransferRow.__table__).order_by(TransferRow.transfer_id))),
        routes=tuple(dict(row._mapping) for row in conn.execute(
            select(RouteRow.__table__).order_by(RouteRow.order_id))),
        route_children=tuple(dict(row._mapping) for row in conn.execute(
            select(RouteChildRow.__table__).order_by(RouteChildRow.order_id, RouteChildRow.sent_at,
                                                     RouteChildRow.child_id))),
        latest_time=_latest_time(conn, meta),
    )


# Every engine-time column, with the meta keys that hold one. Wall-clock columns (control.posted_at) are
# not engine time and are left out.
_TIME_COLUMNS = (JournalRow.time, TradeRow.opened_at, TradeRow.closed_at, FillRow.time, DecisionRow.time,
                 EquityRow.time, BalanceRow.time, RiskEventRow.time, AdviceRow.time, SpoofEventRow.time,
                 ControlRow.handled_at, TransferRow.requested_at, TransferRow.credited_at, TransferRow.unlocked_at,
                 RouteRow.created_at, RouteRow.closed_at, RouteChildRow.sent_at, RouteChildRow.done_at)


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


@dataclass(frozen=True, slots=True)
class TreasuryRecord:
    """What the database says about funds: balances rebuilt from the initial funding, every fill and every
    transfer (as the engine rebuilds them), and every transfer, oldest first."""

    balances: dict[str, dict[str, Decimal]]  # venue (and the central wallet) -> asset -> amount
    in_flight: dict[str, dict[str, Decimal]]  # source venue -> asset -> amount withdrawn, not yet credited
    transfers: tuple[Transfer, ...]
    initialized: bool


def read_treasury(path: str | Path) -> TreasuryRecord:
    """Read the balances and transfers of the database at ``path`` (read-only, committed data)."""
    engine = _open_reader(path)
    try:
        tables, meta = _read_meta(engine, Path(path))
        with engine.connect() as conn:
            initial: dict[str, dict[str, Decimal]] = {}
            if "initial_balances" in tables:
                for row in conn.execute(select(InitialBalanceRow)):
                    initial.setdefault(row.venue, {})[row.asset] = row.amount
            ledger = Ledger(initial)
            if "fills" in tables:
                ledger.apply_all(Fill(*row) for row in conn.execute(select(*_FILL_COLUMNS).order_by(FillRow.id)))
            transfers: tuple[Transfer, ...] = ()
            if "transfers" in tables:
                transfers = tuple(_transfer_from_row(row) for row in conn.execute(
                    select(TransferRow.__table__).order_by(TransferRow.transfer_id)))
    except DBAPIError as exc:
        raise StorageError(_describe(exc, Path(path), "read")) from exc
    finally:
        engine.dispose()
    for transfer in transfers:
        if transfer.withdrawn_at is not None:
            ledger.move_out(transfer.from_venue, transfer.asset, transfer.debit)
        if transfer.credited_at is not None:
            ledger.move_in(transfer.to_venue, transfer.asset, transfer.amount)
    return TreasuryRecord(ledger.balances(), in_flight(transfers), transfers, "initialized_at" in meta)


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
