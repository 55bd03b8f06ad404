"""SQLAlchemy 2.x declarative tables of Octo's database.

Money (prices, quantities, fees, balances, P&L) is stored as TEXT through ``DecimalText``: SQLite has
no decimal type, and SQLAlchemy's ``Numeric`` on SQLite rounds through a binary float. Market data and
analytics (times, bps, scores, equity marks) are ``Float``. Float columns that may legitimately hold
NaN are nullable, because SQLite stores a bound NaN as NULL; readers map NULL back to NaN.

There are no foreign keys between fills, trades and opportunities on purpose: the engine may record a
trade's fills before the trade itself, and a constraint failure would stall the single writer.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Boolean, Float, Index, Integer, Text, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

# 2: order ids on fills, execution details on trades, journal, risk events, control
# 3: the AI log (advice), the advisor's daily spend, spoofing events
# 4: transfers between venues and the central wallet
# 5: the transfer cost term of each opportunity (opportunities.transfer_bps)
# 6: the router's parent orders (routes) and their children (route_children)
SCHEMA_VERSION = 6


class DecimalText(TypeDecorator[Decimal]):
    """Store a ``Decimal`` exactly, as its plain decimal text (``0.00000001``, never ``1E-8``)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: object, dialect: object) -> str | None:
        if value is None:
            return None
        # A float here would already carry binary rounding; refuse it instead of storing it.
        if isinstance(value, bool) or not isinstance(value, (Decimal, int)):
            raise TypeError(f"expected a Decimal, got {type(value).__name__} {value!r}")
        number = Decimal(value)
        if not number.is_finite():
            raise ValueError(f"expected a finite Decimal, got {number}")
        return format(number, "f")

    def process_result_value(self, value: object, dialect: object) -> Decimal | None:
        return None if value is None else Decimal(value)


class Base(DeclarativeBase):
    """Declarative base of every Octo table."""


class MetaRow(Base):
    """Key/value facts about the database: app id, schema version, creation, last engine time."""

    __tablename__ = "meta"

    key: Mapped[str] = mapped_column(Text, primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class InitialBalanceRow(Base):
    """One venue's funding of one asset when the database was created."""

    __tablename__ = "initial_balances"

    venue: Mapped[str] = mapped_column(Text, primary_key=True)
    asset: Mapped[str] = mapped_column(Text, primary_key=True)
    amount: Mapped[Decimal] = mapped_column(DecimalText)


class TradeRow(Base):
    """One arbitrage trade, upserted by ``trade_id`` as it opens and closes."""

    __tablename__ = "trades"

    trade_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    opportunity_id: Mapped[int] = mapped_column(Integer)
    symbol: Mapped[str] = mapped_column(Text)
    buy_venue: Mapped[str] = mapped_column(Text)
    sell_venue: Mapped[str] = mapped_column(Text)
    planned_quantity: Mapped[Decimal] = mapped_column(DecimalText)
    matched_quantity: Mapped[Decimal] = mapped_column(DecimalText)
    opened_at: Mapped[float] = mapped_column(Float)
    closed_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    expected_bps: Mapped[float | None] = mapped_column(Float, nullable=True)
    state: Mapped[str] = mapped_column(Text, index=True)
    realized_pnl: Mapped[Decimal] = mapped_column(DecimalText)
    fees_in_quote: Mapped[Decimal] = mapped_column(DecimalText)
    note: Mapped[str] = mapped_column(Text, default="")
    # Schema 2: how the legs were sent, the books they met, the rollback steps and the P&L attribution.
    buy_order_type: Mapped[str | None] = mapped_column(Text, nullable=True)
    sell_order_type: Mapped[str | None] = mapped_column(Text, nullable=True)
    decision_buy_vwap: Mapped[float | None] = mapped_column(Float, nullable=True)
    decision_sell_vwap: Mapped[float | None] = mapped_column(Float, nullable=True)
    arrival_buy_vwap: Mapped[float | None] = mapped_column(Float, nullable=True)
    arrival_sell_vwap: Mapped[float | None] = mapped_column(Float, nullable=True)
    steps: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON list of rollback steps
    expected_edge: Mapped[Decimal | None] = mapped_column(DecimalText, nullable=True)
    latency_decay: Mapped[Decimal | None] = mapped_column(DecimalText, nullable=True)
    slippage: Mapped[Decimal | None] = mapped_column(DecimalText, nullable=True)
    rollback_loss: Mapped[Decimal | None] = mapped_column(DecimalText, nullable=True)


class FillRow(Base):
    """One fill; ``id`` is the insertion order. (order_id, fill_seq) is unique: a fill is never stored twice."""

    __tablename__ = "fills"
    __table_args__ = (Index("ux_fills_order_seq", "order_id", "fill_seq", unique=True,
                            sqlite_where=text("order_id != ''")),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    trade_id: Mapped[int] = mapped_column(Integer, index=True)
    venue: Mapped[str] = mapped_column(Text)
    symbol: Mapped[str] = mapped_column(Text)
    side: Mapped[str] = mapped_column(Text)
    price: Mapped[Decimal] = mapped_column(DecimalText)
    quantity: Mapped[Decimal] = mapped_column(DecimalText)
    fee: Mapped[Decimal] = mapped_column(DecimalText)
    fee_asset: Mapped[str] = mapped_column(Text)
    liquidity: Mapped[str] = mapped_column(Text)
    order_type: Mapped[str] = mapped_column(Text)
    time: Mapped[float] = mapped_column(Float)
    purpose: Mapped[str] = mapped_column(Text)
    order_id: Mapped[str] = mapped_column(Text, default="", server_default="")  # schema 2
    fill_seq: Mapped[int | None] = mapped_column(Integer, nullable=True)  # schema 2: index within its order


class TransferRow(Base):
    """One transfer of an asset between venues (or the central wallet), upserted as its state changes.

    The row is the transfer's write-ahead record: it is committed (synced) before the source is debited,
    and its schedule (broadcast time, every confirmation's time) is stored with it, so a transfer
    resumed after a crash follows the same times and credits once. Balances are rebuilt from it:
    ``withdrawn_at`` set means the source paid ``amount + fee``, ``credited_at`` set means the
    destination received ``amount``.
    """

    __tablename__ = "transfers"

    transfer_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    asset: Mapped[str] = mapped_column(Text)
    from_venue: Mapped[str] = mapped_column(Text)
    to_venue: Mapped[str] = mapped_column(Text)
    network: Mapped[str] = mapped_column(Text)
    amount: Mapped[Decimal] = mapped_column(DecimalText)
    fee: Mapped[Decimal] = mapped_column(DecimalText)
    fee_asset: Mapped[str] = mapped_column(Text)
    purpose: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(Text, index=True)
    requested_at: Mapped[float] = mapped_column(Float)
    broadcast_at: Mapped[float] = mapped_column(Float)  # scheduled
    blocks: Mapped[str] = mapped_column(Text)  # JSON list of scheduled confirmation times
    credit_confirmations: Mapped[int] = mapped_column(Integer)
    confirmations: Mapped[int] = mapped_column(Integer)
    withdrawn_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    credited_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    unlocked_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")


class DecisionRow(Base):
    """The engine's decision on one opportunity; ``parts`` is the score breakdown as JSON pairs."""

    __tablename__ = "opportunities"
    __table_args__ = (Index("ix_opportunities_accepted_reason", "accepted", "reason"),)

    opportunity_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    time: Mapped[float] = mapped_column(Float)
    symbol: Mapped[str] = mapped_column(Text)
    buy_venue: Mapped[str] = mapped_column(Text)
    sell_venue: Mapped[str] = mapped_column(Text)
    net_bps: Mapped[float | None] = mapped_column(Float, nullable=True)
    quantity: Mapped[float | None] = mapped_column(Float, nullable=True)
    buy_vwap: Mapped[float | None] = mapped_column(Float, nullable=True)
    sell_vwap: Mapped[float | None] = mapped_column(Float, nullable=True)
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    parts: Mapped[str] = mapped_column(Text)
    accepted: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(Text)
    detail: Mapped[str] = mapped_column(Text)
    # Moving the funds back, per unit traded, in bps: its own term beside net_bps (NULL: not priced).
    transfer_bps: Mapped[float | None] = mapped_column(Float, nullable=True)


class BalanceRow(Base):
    """One venue's balance of one asset at one engine time."""

    __tablename__ = "balance_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    time: Mapped[float] = mapped_column(Float)
    venue: Mapped[str] = mapped_column(Text)
    asset: Mapped[str] = mapped_column(Text)
    amount: Mapped[Decimal] = mapped_column(DecimalText)


class EquityRow(Base):
    """One point of the equity curve."""

    __tablename__ = "equity_curve"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    time: Mapped[float] = mapped_column(Float)
    equity_usdt: Mapped[float | None] = mapped_column(Float, nullable=True)
    realized_pnl: Mapped[Decimal | None] = mapped_column(DecimalText, nullable=True)
    marked_pnl: Mapped[float | None] = mapped_column(Float, nullable=True)


class SettingRow(Base):
    """One user setting; ``value`` is JSON."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(Text, primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class JournalRow(Base):
    """One write-ahead entry of a trade: opened, order sent, order done, rollback step, closed.

    Written and committed before the engine acts on it; ``payload`` is JSON (amounts as strings).
    """

    __tablename__ = "journal"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    time: Mapped[float] = mapped_column(Float)
    trade_id: Mapped[int] = mapped_column(Integer, index=True)
    kind: Mapped[str] = mapped_column(Text)
    order_id: Mapped[str] = mapped_column(Text, default="")
    payload: Mapped[str] = mapped_column(Text)


class RiskEventRow(Base):
    """One risk state transition (or venue exclusion change), with its reason."""

    __tablename__ = "risk_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    time: Mapped[float] = mapped_column(Float)
    from_state: Mapped[str] = mapped_column(Text)
    to_state: Mapped[str] = mapped_column(Text)
    trigger: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)


class ControlRow(Base):
    """A command for a running engine from another process (``octo_desktop halt``), and its answer."""

    __tablename__ = "control"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    posted_at: Mapped[float] = mapped_column(Float)  # wall clock, unix seconds
    command: Mapped[str] = mapped_column(Text)  # "halt" or "resume"
    reason: Mapped[str] = mapped_column(Text, default="")
    handled_at: Mapped[float | None] = mapped_column(Float, nullable=True)  # engine time
    result: Mapped[str | None] = mapped_column(Text, nullable=True)


class AdviceRow(Base):
    """One advisor decision (the AI log) and, once known, the outcome of the trade it led to."""

    __tablename__ = "advice"
    __table_args__ = (Index("ix_advice_day", "day"),)

    advice_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    time: Mapped[float] = mapped_column(Float)
    day: Mapped[str] = mapped_column(Text)  # UTC date of ``time``, YYYY-MM-DD
    opportunity_id: Mapped[int] = mapped_column(Integer)
    symbol: Mapped[str] = mapped_column(Text)
    buy_venue: Mapped[str] = mapped_column(Text)
    sell_venue: Mapped[str] = mapped_column(Text)
    net_bps: Mapped[float | None] = mapped_column(Float, nullable=True)
    advisor: Mapped[str] = mapped_column(Text)  # who answered: "rule" or "openai"
    model: Mapped[str] = mapped_column(Text)
    verdict: Mapped[str] = mapped_column(Text)
    confidence: Mapped[float | None] = mapped_column(Float, nullable=True)
    reason: Mapped[str] = mapped_column(Text)
    size_cap_usdt: Mapped[float | None] = mapped_column(Float, nullable=True)
    latency_ms: Mapped[float | None] = mapped_column(Float, nullable=True)
    tokens_in: Mapped[int] = mapped_column(Integer, default=0)
    tokens_out: Mapped[int] = mapped_column(Integer, default=0)
    cost_usd: Mapped[Decimal] = mapped_column(DecimalText)
    fallback: Mapped[str] = mapped_column(Text, default="")  # why the rule advisor answered instead
    trade_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    outcome: Mapped[str] = mapped_column(Text, default="")
    realized_pnl: Mapped[Decimal | None] = mapped_column(DecimalText, nullable=True)
    realized_bps: Mapped[float | None] = mapped_column(Float, nullable=True)


class AdvisorDayRow(Base):
    """What the remote advisor cost on one UTC day: calls, tokens and dollars (checked against the cap)."""

    __tablename__ = "advisor_days"

    day: Mapped[str] = mapped_column(Text, primary_key=True)
    calls: Mapped[int] = mapped_column(Integer)
    tokens_in: Mapped[int] = mapped_column(Integer)
    tokens_out: Mapped[int] = mapped_column(Integer)
    cost_usd: Mapped[Decimal] = mapped_column(DecimalText)


class SpoofEventRow(Base):
    """A large resting order that vanished, without trading, as the price approached it."""

    __tablename__ = "spoof_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    time: Mapped[float] = mapped_column(Float)
    venue: Mapped[str] = mapped_column(Text)
    symbol: Mapped[str] = mapped_column(Text)
    side: Mapped[str] = mapped_column(Text)  # "bid" or "ask"
    price: Mapped[float] = mapped_column(Float)
    size: Mapped[float] = mapped_column(Float)
    lifetime_s: Mapped[float] = mapped_column(Float)
    traded: Mapped[float] = mapped_column(Float)
    distance_bps: Mapped[float | None] = mapped_column(Float, nullable=True)


class RouteRow(Base):
    """One parent order of the router, upserted as it moves (``router.orders``); ``plan`` is the latest route
    decision as JSON: every child with its source, quantity, expected price and cost parts, and every
    alternative source with what it alone would have cost."""

    __tablename__ = "routes"

    order_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    created_at: Mapped[float] = mapped_column(Float)
    side: Mapped[str] = mapped_column(Text)
    asset: Mapped[str] = mapped_column(Text)
    quantity: Mapped[float] = mapped_column(Float)
    order_type: Mapped[str] = mapped_column(Text)
    limit_price: Mapped[float | None] = mapped_column(Float, nullable=True)
    condition: Mapped[str] = mapped_column(Text, default="")  # JSON {kind, level, quantity}, "" without one
    expires_at: Mapped[float | None] = mapped_column(Float, nullable=True)  # NULL: never
    rest: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(Text, index=True)
    filled: Mapped[float] = mapped_column(Float)
    cost: Mapped[float] = mapped_column(Float)  # quote paid (buy) or received (sell), everything included
    triggered_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    closed_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    rounds: Mapped[int] = mapped_column(Integer, default=0)  # how many times it was routed (re-routes included)
    best_single: Mapped[str] = mapped_column(Text, default="")
    best_single_total: Mapped[float | None] = mapped_column(Float, nullable=True)
    saving: Mapped[float | None] = mapped_column(Float, nullable=True)  # against the best single source, quote
    exchanges_only_total: Mapped[float | None] = mapped_column(Float, nullable=True)
    plan: Mapped[str] = mapped_column(Text, default="")


class RouteChildRow(Base):
    """One child of a parent order on one source. Its row is committed (synced) before it is sent, and its
    result in the same transaction as its fills, so a restart knows every child that went out and never
    books one twice."""

    __tablename__ = "route_children"

    child_id: Mapped[str] = mapped_column(Text, primary_key=True)  # "r<order>-<n>", also its fills' order id
    order_id: Mapped[int] = mapped_column(Integer, index=True)
    round: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(Text)  # book, amm, dlmm, otc
    account: Mapped[str] = mapped_column(Text)  # the ledger account it trades from
    symbol: Mapped[str] = mapped_column(Text)
    side: Mapped[str] = mapped_column(Text)
    quantity: Mapped[Decimal] = mapped_column(DecimalText)
    expected_price: Mapped[float | None] = mapped_column(Float, nullable=True)
    worst_price: Mapped[float | None] = mapped_column(Float, nullable=True)  # the tolerance checked on arrival
    parts: Mapped[str] = mapped_column(Text, default="")  # JSON cost parts expected
    state: Mapped[str] = mapped_column(Text, index=True)  # sent, filled, partial, failed, lost
    sent_at: Mapped[float] = mapped_column(Float)
    done_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    filled: Mapped[Decimal] = mapped_column(DecimalText)
    cost: Mapped[Decimal] = mapped_column(DecimalText)  # quote paid or received, before fees in another asset
    fee: Mapped[Decimal] = mapped_column(DecimalText)
    fee_asset: Mapped[str] = mapped_column(Text, default="")
    note: Mapped[str] = mapped_column(Text, default="")
