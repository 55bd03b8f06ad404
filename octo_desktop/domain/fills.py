"""The fill model of every order type: market, IOC limit and post-only, priced exactly.

The book is market data (floats); the fills are money (Decimal). The conversion happens here, at
the venue's tick and lot grid: a level's price is snapped to the tick, its size floored to the lot,
and the fee is rounded up to ``FEE_QUANTUM`` in the asset it is charged in (the asset received:
base for a buy, quote for a sell, as spot venues charge by default).

- MARKET takes the book from the best level until filled, at any price; what the book lacks is
  cancelled (a partial fill).
- IOC_LIMIT takes levels no worse than its limit and cancels the rest.
- POST_ONLY rests at its limit as a maker. It is rejected if it would cross (a buy at or above the
  best ask, a sell at or below the best bid). It fills only when the opposite side trades through
  it: a trade at a better price than ours fills us (the whole level it crossed is gone), a trade at
  our price first eats the queue estimated ahead of us. The queue starts as the book's size at our
  price when the order arrives and can only shrink: when the level shrinks without trades, the
  cancels are assumed to be ahead of us (the optimistic but common estimate).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, ROUND_HALF_EVEN, ROUND_UP, Decimal
from typing import Iterable

from octo_desktop.domain.model import BUY, SELL, Fill, SymbolSpec
from octo_desktop.domain.money import exact

FEE_QUANTUM = Decimal("0.00000001")

MARKET = "market"
IOC_LIMIT = "ioc_limit"
POST_ONLY = "post_only"
ORDER_TYPES = (MARKET, IOC_LIMIT, POST_ONLY)

# What became of an order.
FILLED = "filled"  # the whole quantity
PARTIALLY_FILLED = "partially filled"  # some, the rest cancelled (IOC/market) or expired (post-only)
CANCELLED = "cancelled"  # nothing filled: no liquidity within the limit, or cancelled while resting
REJECTED = "rejected"  # refused before it could fill (lot, minimum, crossing post-only, no book)
TIMED_OUT = "timed out"  # the venue did not answer within the timeout: treated as not executed
LOST = "lost"  # sent before a crash and unknown to the venue afterwards: not executed


@dataclass(frozen=True, slots=True)
class OrderRequest:
    """A taker order one leg sends to one venue."""

    trade_id: int
    venue: str
    symbol: str
    side: str  # BUY or SELL
    quantity: Decimal  # base asset, a multiple of the venue's lot size
    order_type: str  # MARKET, IOC_LIMIT or POST_ONLY
    limit_price: float | None = None  # IOC_LIMIT: the worst price accepted; POST_ONLY: the resting price
    purpose: str = "entry"  # "entry", "retry", "reroute" or "unwind"
    order_id: str = ""  # client order id, unique per database: "<trade id>-<n>"
    expires_at: float = math.inf  # engine time after which the venue's answer is no longer awaited


@dataclass(frozen=True, slots=True)
class OrderResult:
    """What a venue did with an order: its fills, or why it refused."""

    request: OrderRequest
    fills: tuple[Fill, ...] = ()
    rejected_reason: str = ""
    latency_ms: float = 0.0
    taken: tuple[tuple[float, float], ...] = field(default=())  # (price, size) consumed per level
    arrival_vwap: float = math.nan  # the book's VWAP for the full quantity when the order arrived
    queue_ahead: float = math.nan  # post-only: size estimated ahead of us when the order arrived
    status_override: str = ""  # TIMED_OUT or LOST; otherwise the status follows from the fills

    @property
    def filled_quantity(self) -> Decimal:
        return sum((f.quantity for f in self.fills), Decimal(0))

    @property
    def is_complete(self) -> bool:
        return self.filled_quantity == self.request.quantity

    @property
    def status(self) -> str:
        """Return FILLED, PARTIALLY_FILLED, CANCELLED, REJECTED, TIMED_OUT or LOST."""
        if self.status_override:
            return self.status_override
        filled = self.filled_quantity
        if filled and filled == self.request.quantity:
            return FILLED
        if filled:
            return PARTIALLY_FILLED
        return REJECTED if self.rejected_reason else CANCELLED


def round_to_tick(price: float, tick: Decimal) -> Decimal:
    """Return ``price`` snapped to the nearest multiple of ``tick``, exactly."""
    return (exact(price) / tick).to_integral_value(rounding=ROUND_HALF_EVEN) * tick


def floor_to_lot(quantity: float | Decimal, lot: Decimal) -> Decimal:
    """Return the largest multiple of ``lot`` not above ``quantity``, exactly."""
    value = exact(quantity)
    return (value / lot).to_integral_value(rounding=ROUND_FLOOR) * lot


def fee_for(side: str, quantity: Decimal, price: Decimal, rate: Decimal, spec: SymbolSpec) -> tuple[Decimal, str]:
    """Return (fee, asset) for a taker fill: charged in the asset received, rounded up."""
    if side == BUY:
        return (quantity * rate).quantize(FEE_QUANTUM, rounding=ROUND_UP), spec.base
    return (quantity * price * rate).quantize(FEE_QUANTUM, rounding=ROUND_UP), spec.quote


def fill_taker_order(levels: Iterable[tuple[float, float]], request: OrderRequest, spec: SymbolSpec,
                     fee_rate: Decimal, time: float) -> OrderResult:
    """Fill ``request`` against ``levels`` (best first) as a taker; the rest of an IOC is cancelled.

    The order is refused whole if its quantity is not a positive multiple of the lot size or its
    notional is under the venue's minimum. A market order takes any price; an IOC limit order stops
    at the first level worse than its limit. The result may fill less than asked (a partial fill).
    """
    quantity = request.quantity
    if quantity <= 0 or quantity % spec.lot_size != 0:
        return OrderResult(request, rejected_reason=f"quantity {quantity} is not a positive multiple "
                                                    f"of the lot size {spec.lot_size}")
    limit = request.limit_price if request.order_type == IOC_LIMIT else None
    if request.order_type == IOC_LIMIT and (limit is None or not math.isfinite(limit) or limit <= 0):
        return OrderResult(request, rejected_reason="IOC limit order without a valid limit price")
    fills = []
    taken = []
    remaining = quantity
    for index, (price, size) in enumerate(levels):
        if index == 0:
            notional = quantity * round_to_tick(price, spec.tick_size)
            if notional < spec.min_notional:
                return OrderResult(request, rejected_reason=f"notional {notional:.2f} is below the "
                                                            f"venue minimum {spec.min_notional}")
        if limit is not None and ((request.side == BUY and price > limit)
                                  or (request.side == SELL and price < limit)):
            break
        available = floor_to_lot(size, spec.lot_size)
        if available <= 0:
            continue
        take = available if available < remaining else remaining
        fill_price = round_to_tick(price, spec.tick_size)
        fee, fee_asset = fee_for(request.side, take, fill_price, fee_rate, spec)
        fills.append(Fill(
            trade_id=request.trade_id, venue=request.venue, symbol=request.symbol, side=request.side,
            price=fill_price, quantity=take, fee=fee, fee_asset=fee_asset, liquidity="taker",
            order_type=request.order_type, time=time, purpose=request.purpose, order_id=request.order_id,
        ))
        taken.append((price, float(take)))
        remaining -= take
        if remaining == 0:
            break
    return OrderResult(request, fills=tuple(fills), taken=tuple(taken))


def would_cross(side: str, price: float, best_bid: float, best_ask: float) -> bool:
    """Return whether a post-only order at ``price`` would take liquidity (and so be rejected)."""
    if side == BUY:
        return math.isfinite(best_ask) and price >= best_ask
    return math.isfinite(best_bid) and price <= best_bid


def post_only_price(side: str, best_bid: float, best_ask: float, tick: Decimal) -> float:
    """Return where a post-only order rests: one tick inside the spread if there is room, else the touch.

    A buy goes to best bid + tick when that is still below the best ask (first in a new queue),
    otherwise it joins the best bid; a sell mirrors it. NaN if the side it joins is empty.
    """
    step = float(tick)
    if side == BUY:
        if not math.isfinite(best_bid):
            return math.nan
        inside = float(round_to_tick(best_bid + step, tick))
        return inside if math.isfinite(best_ask) and inside < best_ask else best_bid
    if not math.isfinite(best_ask):
        return math.nan
    inside = float(round_to_tick(best_ask - step, tick))
    return inside if math.isfinite(best_bid) and inside > best_bid else best_ask


class RestingOrder:
    """A post-only order resting in a venue's book: its queue estimate and its maker fills.

    Pure: the executor feeds it the venue's public trades and the size shown at its price.
    """

    __slots__ = ("request", "spec", "fee_rate", "price", "queue_ahead", "remaining", "fills")

    def __init__(self, request: OrderRequest, spec: SymbolSpec, fee_rate: Decimal, queue_ahead: float) -> None:
        if request.limit_price is None or not math.isfinite(request.limit_price):
            raise ValueError("a post-only order needs a finite limit price")
        self.request = request
        self.spec = spec
        self.fee_rate = fee_rate
        self.price = request.limit_price
        self.queue_ahead = max(0.0, queue_ahead)
        self.remaining = request.quantity
        self.fills: list[Fill] = []

    @property
    def is_done(self) -> bool:
        return self.remaining <= 0

    def on_level_size(self, size_at_price: float) -> None:
        """Shrink the queue ahead when the book shows less at our price (cancels ahead of us)."""
        if size_at_price < self.queue_ahead:
            self.queue_ahead = max(0.0, size_at_price)

    def on_trade(self, aggressor_side: str, price: float, quantity: float, time: float) -> Fill | None:
        """Apply one public trade; return our maker fill if it traded through or at our price."""
        if self.remaining <= 0 or quantity <= 0:
            return None
        buy = self.request.side == BUY
        if aggressor_side == (BUY if buy else SELL):
            return None  # same side as ours: it takes the other side of the book, not us
        if (buy and price > self.price) or (not buy and price < self.price):
            return None  # did not reach our price
        available = quantity
        if price == self.price:  # at our level: the queue ahead trades first
            eaten = min(self.queue_ahead, available)
            self.queue_ahead -= eaten
            available -= eaten
        take = floor_to_lot(min(available, float(self.remaining)), self.spec.lot_size)
        if take <= 0:
            return None
        fill_price = round_to_tick(self.price, self.spec.tick_size)
        rate = self.fee_rate if self.fee_rate > 0 else Decimal(0)
        fee, fee_asset = fee_for(self.request.side, take, fill_price, rate, self.spec)
        fill = Fill(trade_id=self.request.trade_id, venue=self.request.venue, symbol=self.request.symbol,
                    side=self.request.side, price=fill_price, quantity=take, fee=fee, fee_asset=fee_asset,
                    liquidity="maker", order_type=POST_ONLY, time=time, purpose=self.request.purpose,
                    order_id=self.request.order_id)
        self.remaining -= take
        self.fills.append(fill)
        return fill


@dataclass(frozen=True, slots=True)
class OrderTypePolicy:
    """When a leg is sent as market, IOC limit or post-only (see ``choose_order_type``)."""

    market_min_urgency: float  # net spread / threshold at or above which a fast venue gets MARKET
    market_max_latency_ms: float  # ... if its p95 order latency is at most this
    post_only_max_urgency: float  # net spread / threshold at or below which a slow venue may rest
    post_only_min_latency_ms: float  # ... if its p95 order latency is at least this
    post_only_min_spread_bps: float  # ... and its own bid-ask spread is at least this wide

    @classmethod
    def from_settings(cls, execution) -> "OrderTypePolicy":
        """Return the policy of the ``[execution]`` settings (the one place their defaults live)."""
        return cls(execution.market_min_urgency, execution.market_max_latency_ms, execution.post_only_max_urgency,
                   execution.post_only_min_latency_ms, execution.post_only_min_spread_bps)


def choose_order_type(policy: OrderTypePolicy, *, purpose: str, net_bps: float, threshold_bps: float,
                      latency_p95_ms: float, venue_spread_bps: float) -> tuple[str, str]:
    """Return (order type, why) for one leg.

    - Unwinds are MARKET: getting flat matters more than the price.
    - A fat edge (``net/threshold >= market_min_urgency``) on a fast venue is MARKET: it will be
      competed away, and a fast venue's book barely moves during the latency.
    - A thin edge on a slow venue with a real spread is POST_ONLY: a taker order would arrive after
      the edge decayed, so the leg rests at the touch, earns the spread and pays the maker fee.
    - Everything else is IOC_LIMIT at the decision VWAP plus the slippage protection.
    """
    if purpose == "unwind":
        return MARKET, "unwind: get flat at any price"
    urgency = net_bps / threshold_bps if threshold_bps > 0 else math.inf
    if urgency >= policy.market_min_urgency and latency_p95_ms <= policy.market_max_latency_ms:
        return MARKET, f"edge {urgency:.1f}x the threshold on a fast venue (p95 {latency_p95_ms:.0f} ms)"
    if (purpose == "entry" and urgency <= policy.post_only_max_urgency
            and latency_p95_ms >= policy.post_only_min_latency_ms
            and venue_spread_bps >= policy.post_only_min_spread_bps):
        return POST_ONLY, (f"thin edge ({urgency:.1f}x) on a slow venue (p95 {latency_p95_ms:.0f} ms) "
                           f"with a {venue_spread_bps:.1f} bps spread")
    return IOC_LIMIT, "default: take up to the protected limit, cancel the rest"
