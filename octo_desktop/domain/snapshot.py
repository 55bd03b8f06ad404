"""The immutable snapshot the engine publishes and the GUI polls.

One writer (the engine, on the runtime thread) builds a fresh ``Snapshot`` after a batch of events;
readers get the whole object through ``Runtime.latest_snapshot()``. Nothing in it is mutated after
publication: containers are tuples or read-only mappings, numpy arrays are marked read-only.
Market data are floats; money (balances, P&L, fees) is ``Decimal``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Mapping

import numpy as np

from octo_desktop.domain.attribution import Attribution
from octo_desktop.router.ladder import CostParts
from octo_desktop.domain.model import USABLE_STATES, OnRoute, Route

# Venue/book status values, shown as the status dot in the GUI.
LIVE = "live"
STALE = "stale"
DEGRADED = "degraded"  # crossed book, sequence gap: waiting for a fresh snapshot
WAITING = "waiting"  # no data yet

EMPTY_LEVELS = np.zeros((0, 2))
EMPTY_LEVELS.flags.writeable = False


def frozen_array(values, dtype=float) -> np.ndarray:
    """Return a read-only float64 copy of ``values``."""
    array = np.array(values, dtype=dtype)
    array.flags.writeable = False
    return array


def frozen_mapping(items) -> Mapping:
    """Return a read-only mapping over a fresh dict of ``items``."""
    return MappingProxyType(dict(items))


@dataclass(frozen=True, slots=True)
class BookView:
    """One (venue, symbol) book as the GUI sees it."""

    venue: str
    symbol: str
    bid: float  # NaN when the side is empty
    ask: float
    bid_size: float
    ask_size: float
    age_ms: float  # engine time since the last update was received
    latency_ms: float  # receive time minus the exchange's own timestamp for the last update
    status: str  # LIVE, STALE, DEGRADED or WAITING
    bids: np.ndarray = field(default_factory=lambda: EMPTY_LEVELS)  # top levels (n, 2): price, size
    asks: np.ndarray = field(default_factory=lambda: EMPTY_LEVELS)  # best first

    @property
    def mid(self) -> float:
        return (self.bid + self.ask) / 2.0

    @property
    def spread_bps(self) -> float:
        mid = self.mid
        return (self.ask - self.bid) / mid * 1e4 if mid > 0 else float("nan")


@dataclass(frozen=True, slots=True)
class SpreadMatrixView:
    """Net spread after taker fees, in bps, for buying on row venue i and selling on column venue j."""

    symbol: str
    venues: tuple[str, ...]
    net_bps: np.ndarray  # (n, n); NaN on the diagonal and for excluded venues
    excluded: tuple[bool, ...]  # per venue: stale or degraded, so not used
    trade_quantity: float  # base-asset quantity the VWAPs were computed for
    # (n, n) what moving the funds back costs per unit traded, in bps (treasury.costs); None: not priced yet
    transfer_bps: np.ndarray | None = None


@dataclass(frozen=True, slots=True)
class OpportunityView(OnRoute):
    """An opportunity the detector found, with its score and the six parts of the score."""

    opportunity_id: int
    time: float
    route: Route
    net_bps: float
    quantity: float
    buy_vwap: float
    sell_vwap: float
    score: float
    parts: Mapping[str, float]  # factor name -> value in [0, 1]
    status: str  # "open", "taken", "rejected" or "vanished" (gone when an entry order arrived)
    reason: str  # why it was rejected or vanished ("" otherwise)
    transfer_bps: float = float("nan")  # moving the funds back, per unit traded; NaN: not priced


@dataclass(frozen=True, slots=True)
class TradeView:
    """One arbitrage trade for the blotter."""

    trade_id: int
    time: float
    symbol: str
    buy_venue: str
    sell_venue: str
    quantity: Decimal  # matched quantity
    buy_price: Decimal  # average fill prices; 0 if that leg did not fill
    sell_price: Decimal
    fees_usdt: Decimal
    realized_pnl: Decimal
    state: str  # open, complete, partial, rolled back, failed (interrupted: older versions)
    expected_bps: float
    realized_bps: float
    planned_quantity: Decimal = Decimal(0)
    buy_filled: Decimal = Decimal(0)  # hedge fills per side (entry, retry, reroute)
    sell_filled: Decimal = Decimal(0)
    buy_order_type: str = ""
    sell_order_type: str = ""
    steps: tuple[str, ...] = ()  # one line per rollback step, in order
    attribution: Attribution | None = None  # None while open
    decay_bps: float = float("nan")  # edge lost between decision and arrival
    note: str = ""


@dataclass(frozen=True, slots=True)
class DecisionView:
    """One line of the decision log: why an opportunity was taken or rejected."""

    time: float
    symbol: str
    buy_venue: str
    sell_venue: str
    accepted: bool
    text: str


@dataclass(frozen=True, slots=True)
class RiskEventView:
    """One risk transition or venue exclusion change, for column 4's risk log."""

    time: float
    from_state: str
    to_state: str
    trigger: str
    reason: str


@dataclass(frozen=True, slots=True)
class RiskView:
    """Risk state for column 4."""

    state: str  # "ACTIVE", "REDUCING" or "HALTED"
    reason: str
    open_trades: int
    max_open_trades: int
    daily_pnl: Decimal
    daily_loss_limit: Decimal
    max_notional_per_trade: Decimal
    events: tuple[RiskEventView, ...] = ()  # newest first
    excluded_venues: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    consecutive_losses: int = 0
    breaker_losing_trades: int = 0
    failed_legs: int = 0  # within the breaker window
    breaker_failed_legs: int = 0
    breaker_until: float | None = None
    exposure_usdt: Mapping[str, Decimal] = field(default_factory=lambda: MappingProxyType({}))
    max_exposure_usdt: Decimal = Decimal(0)
    attribution: Attribution = Attribution()  # P&L attribution summed over closed trades
    resting_orders: int = 0


@dataclass(frozen=True, slots=True)
class VenueHealthView:
    """One venue's market-data health (column 1 and ``--json``)."""

    venue: str
    state: str  # live-ws, live-rest, connecting, reconnecting, stale, down, simulated or replay
    age_ms: float  # engine time since the newest book update of any of its symbols (NaN: none yet)
    latency_ms: float  # receive time minus the exchange's own timestamp, newest update (NaN: unknown)
    rest_rtt_ms: float  # round trip of the last REST book request (NaN: none)
    messages_per_s: float  # book and trade messages per second, recent window
    reconnects: int
    last_error: str  # one line, no secrets; "" when none
    errors: Mapping[str, int]  # kind (malformed, gap, checksum, invalid, crossed, rest) -> count

    @property
    def usable(self) -> bool:
        return self.state in USABLE_STATES


@dataclass(frozen=True, slots=True)
class RecordingView:
    """The recording in progress."""

    path: str
    events: int
    started: float  # engine time
    error: str = ""


@dataclass(frozen=True, slots=True)
class ReplayView:
    """A replay's position and controls."""

    path: str
    start: float  # engine time of the recording's first event
    end: float  # engine time it ends (NaN while unknown)
    position: float  # engine time now
    events: int  # events replayed so far
    paused: bool
    speed: str  # "1", "10", "max"
    finished: bool
    error: str = ""  # why the replay stopped before the end of the file (a damaged recording), else ""

    @property
    def progress(self) -> float:
        span = self.end - self.start
        if not span > 0:
            return 0.0
        return min(1.0, max(0.0, (self.position - self.start) / span))


@dataclass(frozen=True, slots=True)
class FlowView:
    """One venue's order flow for one symbol (see ``domain.orderflow``)."""

    venue: str
    book_imbalance: float  # top-N, [-1, 1]
    cvd: float  # window, base units
    trade_flow: float  # CVD / volume, [-1, 1]
    volume: float  # window, base units
    vwap_drift_bps: float  # NaN without trades
    direction: float  # [-1, 1]
    suspect: bool  # large levels on this book are discounted as likely spoofs


@dataclass(frozen=True, slots=True)
class SymbolSignalsView:
    """A symbol's adaptive threshold, realised volatility and order flow across venues."""

    symbol: str
    threshold_bps: float  # the minimum net spread now
    base_bps: float
    volatility_bps: float  # realised, bps per sample
    market_direction: float  # aggregate, [-1, 1]
    flows: tuple[FlowView, ...]  # in venue order


@dataclass(frozen=True, slots=True)
class SpoofEventView:
    """A large order that vanished, without trading, as the price approached it."""

    time: float
    venue: str
    symbol: str
    side: str  # "bid" or "ask"
    price: float
    size: float
    lifetime_s: float
    traded: float
    distance_bps: float


@dataclass(frozen=True, slots=True)
class AdvisorView:
    """The advisor in charge, today's spend against the cap, and the AI log (newest first)."""

    name: str  # "rule" or "openai"
    model: str
    budget_ms: float
    pending: int  # remote calls in flight
    day: str  # UTC date the totals are for
    calls: int
    tokens_in: int
    tokens_out: int
    cost_usd: Decimal
    cap_usd: Decimal
    verdicts: Mapping[str, int]  # this run's verdict counts
    last_error: str
    log: tuple  # AdviceRecord, newest first


@dataclass(frozen=True, slots=True)
class TransferView:
    """One transfer as the window shows it."""

    transfer_id: int
    asset: str
    from_venue: str
    to_venue: str
    network: str
    amount: Decimal
    fee: Decimal
    state: str
    purpose: str
    requested_at: float
    confirmations: int
    credit_confirmations: int
    unlock_confirmations: int
    expected_credit_at: float  # the scheduled time of the credit confirmation
    credited_at: float | None
    note: str  # the network chosen and the alternatives


@dataclass(frozen=True, slots=True)
class RebalanceView:
    """One rebalancing decision: the move considered, whether it was made, and why."""

    time: float
    asset: str
    from_venue: str
    to_venue: str
    amount: Decimal
    made: bool
    reason: str


@dataclass(frozen=True, slots=True)
class TreasuryView:
    """Funds across venues: transfers (open first, then the recent ones), what is in flight, the wallet."""

    transfers: tuple[TransferView, ...]
    in_flight: Mapping[str, Mapping[str, Decimal]]  # source venue -> asset -> amount leaving it
    counts: Mapping[str, int]  # state -> transfers
    wallet: Mapping[str, Decimal]
    targets: Mapping[tuple[str, str], Decimal] = field(default_factory=lambda: MappingProxyType({}))  # (venue, asset)
    forecast: tuple[tuple[str, str, float | None, str], ...] = ()  # (venue, asset, seconds to dry, text), soonest first
    rebalance_log: tuple[RebalanceView, ...] = ()  # newest first
    rebalance: bool = True  # automatic rebalancing on
    # venue -> asset -> chain -> treasury.networks.Network: the routes in effect (live figures included)
    networks: Mapping[str, Mapping[str, Mapping[str, Any]]] = field(default_factory=lambda: MappingProxyType({}))


# What a child or a plan costs beyond trading at the reference mid (the router's own value: pure and frozen).
CostPartsView = CostParts


@dataclass(frozen=True, slots=True)
class PlannedChildView:
    """One source's part of a route plan: what it should do and what that costs."""

    source: str
    kind: str  # book, amm, dlmm, otc
    quantity: float
    average_price: float  # per unit, fees included
    total: float  # its part of the plan's objective (signed: paid on a buy, minus received on a sell)
    parts: CostPartsView
    delay_s: float


@dataclass(frozen=True, slots=True)
class SourceOptionView:
    """One source the router looked at: how much it could do, what it alone would cost, or why not."""

    source: str
    kind: str
    capacity: float  # what it could take (funds, depth, limit price)
    touch: float  # its best all-in price for the first unit (NaN: none)
    alone_total: float  # what the whole order costs on it alone (NaN: it cannot fill it alone)
    note: str = ""  # why it is capped or left out
    ladder: tuple[tuple[float, float], ...] = ()  # (quantity, marginal all-in price): the cost ladder


@dataclass(frozen=True, slots=True)
class RoutePlanView:
    """A route decision: the split, its cost against the best single source and against the exchanges only."""

    side: str
    asset: str
    quantity: float
    filled: float
    reference_price: float
    reference_source: str
    fallback: bool  # the reference is not from the books
    children: tuple[PlannedChildView, ...]
    total: float
    parts: CostPartsView
    best_single: str  # "" when no single source can fill as much
    best_single_total: float
    saving: float  # against the best single source, quote (>= 0)
    exchanges_only_total: float  # the best split over the exchange books alone (NaN: they cannot fill it)
    chosen: str  # "split" or "single"
    reason: str  # "" when it fills the whole quantity
    options: tuple[SourceOptionView, ...]
    computed_at: float
    compute_ms: float

    @property
    def average_price(self) -> float:
        return abs(self.total) / self.filled if self.filled > 0 else math.nan

    @property
    def saving_vs_exchanges(self) -> float:
        if not math.isfinite(self.exchanges_only_total):
            return math.nan
        return (self.exchanges_only_total - self.total) if self.filled > 0 else math.nan


@dataclass(frozen=True, slots=True)
class RouteChildView:
    """One child order as executed (or under way)."""

    child_id: str
    round: int
    source: str
    kind: str
    side: str
    quantity: float
    expected_price: float
    state: str  # sent, filled, partial, failed, lost
    filled: float
    average_price: float  # NaN until filled
    fee: str  # "0.000025 SOL"
    sent_at: float
    done_at: float  # NaN while under way
    note: str


@dataclass(frozen=True, slots=True)
class ParentOrderView:
    """One parent order of the router, with its children."""

    order_id: int
    side: str
    asset: str
    quantity: float
    order_type: str
    state: str
    filled: float
    average_price: float  # per unit, everything included (NaN before a fill)
    limit_price: float
    condition: str  # "price at or above 151" ("" without one)
    expires_at: float
    created_at: float
    closed_at: float
    reason: str
    best_single: str
    saving: float  # against the best single source at the first routing, quote; NaN before routing
    exchanges_only_total: float
    children: tuple[RouteChildView, ...]
    plan: RoutePlanView | None = None  # the first routing's decision


@dataclass(frozen=True, slots=True)
class PoolView:
    """One on-chain pool as it stands: its mid against the exchanges', reserves or bins, fee."""

    name: str
    kind: str  # cpmm, amm_v4, dlmm
    base: str
    quote: str
    mid: float
    exchange_mid: float  # the exchanges' median mid of the base (NaN: none)
    gap_bps: float  # the pool's mid against the exchanges', bps
    fee_bps: float
    reserve_base: float
    reserve_quote: float
    active_bin: int = 0
    bin_step: int = 0
    bins: tuple[tuple[float, float], ...] = ()  # dlmm: (bin price, liquidity in quote) around the active bin


@dataclass(frozen=True, slots=True)
class OtcView:
    """One OTC counterparty's terms and what it can still take, per asset it quotes."""

    name: str
    asset: str
    available: float
    min_quantity: float
    max_quantity: float
    spread_bps: float  # for a minimum block
    delay_s: float


@dataclass(frozen=True, slots=True)
class ReferenceView:
    asset: str
    price: float
    source: str
    age_s: float
    fallback: bool


@dataclass(frozen=True, slots=True)
class RouterView:
    """The router desk: the live preview, parent orders (open first, then recent), pools, OTC, references."""

    preview: RoutePlanView | None
    orders: tuple[ParentOrderView, ...]
    pools: tuple[PoolView, ...]
    otc: tuple[OtcView, ...]
    references: Mapping[str, ReferenceView]
    counts: Mapping[str, int]  # state -> parent orders
    saved_total: float  # against the best single source, over every routed order, quote
    wallet: Mapping[str, Decimal]  # the Solana wallet
    assets: tuple[str, ...]  # what the router can trade
    quote_endpoint: str = ""  # "http://127.0.0.1:8787/quote" when served


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Everything the GUI shows, as of one instant on the engine's clock."""

    sequence: int
    time: float  # engine clock, unix seconds
    engine_state: str  # starting, running, halted, stopping, stopped, failed
    market: str  # e.g. "simulated"
    speed: str  # "1", "10", "max"
    venues: tuple[str, ...]
    symbols: tuple[str, ...]
    events: int
    events_per_second: float  # book/trade events per second of engine time, recent window
    books: Mapping[tuple[str, str], BookView]
    matrices: Mapping[str, SpreadMatrixView]
    opportunities: tuple[OpportunityView, ...]  # recent ones, one per opportunity id, newest first
    trades: tuple[TradeView, ...]  # recent ones, newest first
    decisions: tuple[DecisionView, ...]  # newest first
    balances: Mapping[str, Mapping[str, Decimal]]  # venue -> asset -> amount
    marks: Mapping[str, float]  # asset -> USDT mark price (median mid across live venues)
    equity_usdt: float  # balances marked at mid
    initial_equity_usdt: float  # the initial balances marked at today's mid
    realized_pnl: Decimal
    fees_usdt: Decimal
    trade_count: int
    opportunity_count: int
    rejections: Mapping[str, int]  # reason -> count
    pnl_times: np.ndarray  # bounded history for the P&L curve
    pnl_realized: np.ndarray
    pnl_marked: np.ndarray  # equity minus the initial balances marked at the same marks
    risk: RiskView
    threshold_bps: float
    min_score: float
    last_error: str = ""
    settings: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}))
    venue_health: Mapping[str, VenueHealthView] = field(default_factory=lambda: MappingProxyType({}))
    recording: RecordingView | None = None
    replay: ReplayView | None = None
    signals: Mapping[str, SymbolSignalsView] = field(default_factory=lambda: MappingProxyType({}))
    spoof_events: tuple[SpoofEventView, ...] = ()  # newest first
    spoof_count: int = 0  # detected in this run
    advisor: AdvisorView | None = None
    vanished: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))  # why -> opportunities
    treasury: TreasuryView | None = None
    router: RouterView | None = None
