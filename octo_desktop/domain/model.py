"""Immutable domain values: market events, orders, fills, trades and decisions.

Market data (book levels, trades) are floats; anything that moves money (fill price and quantity,
fees) is ``Decimal``, formed at the boundary where an order meets a venue's tick and lot rules.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from decimal import Decimal
from enum import Enum
from typing import NamedTuple

BUY = "buy"
SELL = "sell"


@dataclass(frozen=True, slots=True)
class Route:
    """Where an arbitrage goes: buy ``symbol`` on ``buy_venue`` and sell it on ``sell_venue``."""

    symbol: str
    buy_venue: str
    sell_venue: str

    def __str__(self) -> str:
        return f"{self.symbol} {self.buy_venue}->{self.sell_venue}"


class OnRoute:
    """Mixin: ``symbol``, ``buy_venue`` and ``sell_venue`` read from the value's ``route``."""

    __slots__ = ()

    @property
    def symbol(self) -> str:
        return self.route.symbol  # type: ignore[attr-defined]

    @property
    def buy_venue(self) -> str:
        return self.route.buy_venue  # type: ignore[attr-defined]

    @property
    def sell_venue(self) -> str:
        return self.route.sell_venue  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class SymbolSpec:
    """One symbol's trading rules on one venue: tick, lot and minimum notional (exact decimals)."""

    symbol: str
    tick_size: Decimal
    lot_size: Decimal
    min_notional: Decimal

    @property
    def base(self) -> str:
        return self.symbol.split("/")[0]

    @property
    def quote(self) -> str:
        return self.symbol.split("/")[1]


class BookUpdate(NamedTuple):
    """A normalized L2 book message: a full snapshot or a delta (size 0 deletes a level).

    Book updates and public trades are named tuples rather than frozen dataclasses: equally immutable,
    and made in a third of the time (a replay at full speed makes one per event).
    """

    venue: str
    symbol: str
    sequence: int
    bids: tuple[tuple[float, float], ...]
    asks: tuple[tuple[float, float], ...]
    is_snapshot: bool
    exchange_time: float  # the venue's own timestamp, unix seconds
    received_time: float  # when Octo received it, engine clock


class MarketTrade(NamedTuple):
    """A public trade printed by a venue; ``side`` is the aggressor's side."""

    venue: str
    symbol: str
    side: str
    price: float
    quantity: float
    exchange_time: float
    received_time: float


# Venue connection states (live feeds); simulated and replayed venues report SIMULATED / REPLAY.
LIVE_WS = "live-ws"  # books arrive over the WebSocket
LIVE_REST = "live-rest"  # the socket is down or silent: books are polled over REST
CONNECTING = "connecting"  # connection attempt in progress: some books have their first snapshot, others not yet
RECONNECTING = "reconnecting"  # waiting to reconnect (backoff), no fresh book
STALE_STATE = "stale"  # connected, but nothing arrived within the staleness limit
DOWN = "down"  # never connected, or failed fatally; the reason is in the health
SIMULATED = "simulated"
REPLAY = "replay"
# CONNECTING is usable: a book that already has its snapshot is valid and stays so, and a book without
# one is simply not valid yet. Counting it unusable would invalidate the first books while the feed
# keeps their delta baseline, so their next delta would be refused.
USABLE_STATES = frozenset({LIVE_WS, LIVE_REST, CONNECTING, SIMULATED, REPLAY})


@dataclass(frozen=True, slots=True)
class FeedStatus:
    """A feed's word about a venue's connection (or one book): the engine excludes unusable ones.

    ``symbol`` None means every book of the venue. A state outside ``USABLE_STATES`` invalidates
    the books at once, so no opportunity is computed from them until a fresh snapshot arrives.
    """

    venue: str
    state: str
    detail: str
    received_time: float
    symbol: str | None = None


@dataclass(frozen=True, slots=True)
class MarketRules:
    """Trading rules a venue reported for its symbols (tick, lot, minimum notional, fees)."""

    venue: str
    specs: tuple[tuple[str, str, str, str], ...]  # (symbol, tick_size, lot_size, min_notional) as decimals
    taker_fee: str | None  # decimal string, None when the venue did not say
    maker_fee: str | None
    received_time: float


# One withdrawal route as a venue reported it: (asset, chain, fee, fee_share, minimum, withdraw_enabled,
# deposit_enabled). The chain is Octo's name (a key of ``treasury.chains``), the amounts decimal strings in
# the asset; ``minimum`` is None when the venue did not say (the figure in effect is then kept).
NetworkRoute = tuple[str, str, str, str, str | None, bool, bool]


@dataclass(frozen=True, slots=True)
class NetworkRules:
    """Withdrawal networks a venue reported (fees, minimums, open or not), and where the figures came from.

    A live venue's ccxt client reports them (``feeds.networks_live``); the kernel lays them over the
    configured routes, except those the user set in the config file, and every desk sees the result.
    """

    venue: str
    networks: tuple[NetworkRoute, ...]
    source: str  # e.g. "kucoin via ccxt fetch_currencies, 2026-12-05 00:14 UTC"
    received_time: float


class TradeState(str, Enum):
    """Final or current state of an arbitrage trade."""

    OPEN = "open"
    COMPLETE = "complete"  # both sides filled the planned quantity (retries and reroutes included)
    PARTIAL = "partial"  # both sides matched less than planned; any excess was unwound
    ROLLED_BACK = "rolled back"  # one side filled, nothing matched: the filled side was unwound
    FAILED = "failed"  # nothing filled at all
    INTERRUPTED = "interrupted"  # written by older versions when the process stopped mid-trade

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class Fill:
    """One execution of an order against one price level."""

    trade_id: int
    venue: str
    symbol: str
    side: str  # BUY or SELL
    price: Decimal
    quantity: Decimal  # base asset
    fee: Decimal
    fee_asset: str
    liquidity: str  # "taker" or "maker"
    order_type: str  # "market", "ioc_limit" or "post_only"
    time: float  # engine clock when the fill happened (after the leg's latency)
    purpose: str = "entry"  # "entry", "retry", "reroute" (they hedge the trade) or "unwind"
    order_id: str = ""  # the client order id of the order that filled ("<trade id>-<n>")

    @property
    def base(self) -> str:
        return self.symbol.split("/")[0]

    @property
    def quote(self) -> str:
        return self.symbol.split("/")[1]

    @property
    def notional(self) -> Decimal:
        return self.price * self.quantity

    @property
    def fee_in_quote(self) -> Decimal:
        """The fee valued in the quote asset, at this fill's price."""
        return self.fee if self.fee_asset == self.quote else self.fee * self.price


HEDGE_PURPOSES = frozenset({"entry", "retry", "reroute"})  # fills that count toward the matched position


@dataclass(frozen=True, slots=True)
class RollbackStep:
    """One step of a graduated rollback: a retry, a reroute to another venue, or an unwind."""

    time: float
    kind: str  # "retry", "reroute" or "unwind"
    venue: str
    side: str
    quantity: Decimal  # asked
    filled: Decimal
    order_type: str
    detail: str  # one line: what happened


@dataclass(frozen=True, slots=True)
class Trade:
    """An arbitrage trade: buy on one venue, sell on another, with its fills and outcome."""

    trade_id: int
    opportunity_id: int
    symbol: str
    buy_venue: str
    sell_venue: str
    planned_quantity: Decimal
    opened_at: float
    expected_bps: float
    state: TradeState = TradeState.OPEN
    closed_at: float | None = None
    fills: tuple[Fill, ...] = field(default_factory=tuple)
    note: str = ""
    buy_order_type: str = ""  # order type of each entry leg (see domain.fills)
    sell_order_type: str = ""
    decision_buy_vwap: float = math.nan  # VWAPs at size the decision was made on
    decision_sell_vwap: float = math.nan
    arrival_buy_vwap: float = math.nan  # VWAPs at size of the books when each entry leg arrived
    arrival_sell_vwap: float = math.nan
    steps: tuple[RollbackStep, ...] = ()

    @property
    def route(self) -> Route:
        return Route(self.symbol, self.buy_venue, self.sell_venue)

    def quantity(self, side: str, purpose: str | None = None) -> Decimal:
        """Return the quantity filled on ``side``: hedge fills (entry, retry, reroute) or one purpose."""
        if purpose is None:
            return sum((f.quantity for f in self.fills if f.side == side and f.purpose in HEDGE_PURPOSES),
                       Decimal(0))
        return sum((f.quantity for f in self.fills if f.side == side and f.purpose == purpose), Decimal(0))

    def average_price(self, side: str) -> Decimal:
        """Return the average price of the hedge fills on ``side`` (0 if none)."""
        entry = [f for f in self.fills if f.side == side and f.purpose in HEDGE_PURPOSES]
        quantity = sum((f.quantity for f in entry), Decimal(0))
        if not quantity:
            return Decimal(0)
        return sum((f.notional for f in entry), Decimal(0)) / quantity

    @property
    def matched_quantity(self) -> Decimal:
        return min(self.quantity("buy"), self.quantity("sell"))

    @property
    def net_quantity(self) -> Decimal:
        """Return the base bought minus the base sold over every fill (unwinds included): the open position."""
        net = Decimal(0)
        for f in self.fills:
            net += f.quantity if f.side == BUY else -f.quantity
        return net

    @property
    def fees_in_quote(self) -> Decimal:
        return sum((f.fee_in_quote for f in self.fills), Decimal(0))

    @property
    def realized_pnl(self) -> Decimal:
        """Quote proceeds of every sell minus cost of every buy, minus every fee valued in quote, for the
        quantity that was both bought and sold.

        Entry and unwind fills of a closed trade normally leave no net base position. One that is left
        (an unwind that timed out, a remainder below the venue's lot size) is inventory, not profit: it
        is taken out at the average price of the side it came from (a short of 0.33 ETH sold at 3026
        is 1002 USDT received and still owed), so the account's equity, marked to market, carries it.
        """
        cash = Decimal(0)
        bought = sold = Decimal(0)
        net = Decimal(0)  # bought minus sold; a fee taken in base is in ``fees_in_quote`` already
        for f in self.fills:
            if f.side == SELL:
                cash += f.notional
                sold += f.notional
                net -= f.quantity
            else:
                cash -= f.notional
                bought += f.notional
                net += f.quantity
        if net > 0:  # still long: what it cost is held, not lost
            cash += net * bought / self._side_quantity(BUY)
        elif net < 0:  # still short: what it brought is owed, not earned
            cash += net * sold / self._side_quantity(SELL)
        return cash - self.fees_in_quote

    def _side_quantity(self, side: str) -> Decimal:
        return sum((f.quantity for f in self.fills if f.side == side), Decimal(0))

    def with_fills(self, fills: tuple[Fill, ...]) -> "Trade":
        return replace(self, fills=self.fills + fills)

    def with_step(self, step: RollbackStep) -> "Trade":
        return replace(self, steps=self.steps + (step,))

    def closed(self, state: TradeState, time: float, note: str = "") -> "Trade":
        return replace(self, state=state, closed_at=time, note=note or self.note)


@dataclass(frozen=True, slots=True)
class Decision(OnRoute):
    """The engine's verdict on one opportunity: taken, or rejected with a reason."""

    opportunity_id: int
    time: float
    route: Route
    net_bps: float
    quantity: float
    buy_vwap: float
    sell_vwap: float
    score: float
    parts: tuple[tuple[str, float], ...]
    accepted: bool
    reason: str  # rejection reason code ("" when accepted), e.g. "score", "risk:max_open_trades"
    detail: str  # one human-readable line
    transfer_bps: float = math.nan  # moving the funds back, per unit traded (treasury.costs); NaN: not priced

