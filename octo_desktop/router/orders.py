"""Parent orders: what the trader asked the router for, when it may act, and where it is in its life. Pure.

A parent order buys or sells ``quantity`` of a base asset across every source the router sees:

- *market*: now, at the best split;
- *limit*: only the part that can be done at or better than ``limit_price`` on some source (each source is
  checked before routing); the rest waits for the market to come back or is cancelled, as the trader chose
  (``rest``);
- *sniper*: nothing until its condition holds, then as a market order (or a limit one, when it has a limit
  price): the reference price crossing a level, a cross-source spread of at least N bps, or at least Q of
  liquidity at or better than a price. Every order may carry an expiry.

States::

    pending -> routing -> partially filled -> filled
                       -> filled
    pending | routing | partially filled -> cancelled | expired | failed

``pending`` waits (a sniper for its condition, a resting limit for its price); ``routing`` has children out;
``partially filled`` has fills and children or a rest to come; the last three are final. A parent never
goes back to a state it left, and its filled quantity never falls.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from enum import Enum

BUY, SELL = "buy", "sell"


class OrderType(str, Enum):
    MARKET = "market"
    LIMIT = "limit"
    SNIPER = "sniper"

    def __str__(self) -> str:
        return self.value


class ParentState(str, Enum):
    PENDING = "pending"
    ROUTING = "routing"
    PARTIAL = "partially filled"
    FILLED = "filled"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    FAILED = "failed"

    def __str__(self) -> str:
        return self.value


FINAL = (ParentState.FILLED, ParentState.CANCELLED, ParentState.EXPIRED, ParentState.FAILED)
# Which state may follow which (a final state has no successor).
_NEXT = {
    ParentState.PENDING: {ParentState.ROUTING, *FINAL[1:]},
    ParentState.ROUTING: {ParentState.PARTIAL, ParentState.FILLED, ParentState.PENDING, *FINAL[1:]},
    ParentState.PARTIAL: {ParentState.ROUTING, ParentState.FILLED, *FINAL[1:]},
}
REST_WAIT, REST_CANCEL = "wait", "cancel"


@dataclass(frozen=True, slots=True)
class Condition:
    """A sniper's trigger. ``kind`` is one of:

    - ``"price_above"`` / ``"price_below"``: the reference price is at or beyond ``level``;
    - ``"spread"``: the best cross-source spread (best bid anywhere over best ask anywhere) is at least
      ``level`` bps;
    - ``"liquidity"``: at least ``quantity`` of the base asset can be done at or better than ``level`` (a price).
    """

    kind: str
    level: float
    quantity: float = 0.0

    def __post_init__(self) -> None:
        if self.kind not in ("price_above", "price_below", "spread", "liquidity"):
            raise ValueError(f"unknown sniper condition {self.kind!r}; one of price_above, price_below, spread, "
                             f"liquidity")
        if not math.isfinite(self.level) or (self.kind != "spread" and self.level <= 0):
            raise ValueError(f"a {self.kind} condition needs a positive finite level, got {self.level}")
        if self.kind == "liquidity" and not (math.isfinite(self.quantity) and self.quantity > 0):
            raise ValueError(f"a liquidity condition needs a positive quantity, got {self.quantity}")

    def describe(self) -> str:
        if self.kind == "price_above":
            return f"price at or above {self.level:g}"
        if self.kind == "price_below":
            return f"price at or below {self.level:g}"
        if self.kind == "spread":
            return f"cross-source spread of at least {self.level:g} bps"
        return f"at least {self.quantity:g} available at or better than {self.level:g}"


@dataclass(frozen=True, slots=True)
class Observation:
    """What a trigger looks at, as of one instant: the reference price, the best bid and ask on each source,
    and how much of the base asset the order's side can do at or better than a price (``available_within``,
    precomputed by the desk for the levels its orders watch: price -> quantity)."""

    reference_price: float
    best_bids: tuple[tuple[str, float], ...] = ()
    best_asks: tuple[tuple[str, float], ...] = ()
    available_within: tuple[tuple[float, float], ...] = ()

    def spread_bps(self) -> float:
        """Best bid anywhere over best ask anywhere, in bps of the ask (NaN without both)."""
        bids = [price for _, price in self.best_bids if math.isfinite(price) and price > 0]
        asks = [price for _, price in self.best_asks if math.isfinite(price) and price > 0]
        if not bids or not asks:
            return math.nan
        return (max(bids) - min(asks)) / min(asks) * 10_000.0

    def available(self, price: float) -> float:
        for level, quantity in self.available_within:
            if level == price:
                return quantity
        return math.nan


def condition_holds(condition: Condition, observation: Observation) -> bool:
    """Whether ``condition`` holds now (a missing figure never triggers)."""
    if condition.kind == "price_above":
        return observation.reference_price >= condition.level
    if condition.kind == "price_below":
        return 0 < observation.reference_price <= condition.level
    if condition.kind == "spread":
        return observation.spread_bps() >= condition.level
    return observation.available(condition.level) >= condition.quantity


@dataclass(frozen=True, slots=True)
class ParentOrder:
    """One parent order and its progress. Quantities are in the base asset; ``cost`` is what the fills paid
    (buy) or received (sell) in the quote asset, fees and network costs included."""

    order_id: int
    side: str
    asset: str
    quantity: float
    order_type: OrderType
    created_at: float
    limit_price: float = math.nan
    condition: Condition | None = None
    expires_at: float = math.inf
    rest: str = REST_WAIT  # a limit order's part beyond its price: wait for it, or cancel it
    state: ParentState = ParentState.PENDING
    filled: float = 0.0
    cost: float = 0.0
    triggered_at: float = math.nan
    closed_at: float = math.nan
    reason: str = ""  # why it ended as it did, or why it waits

    def __post_init__(self) -> None:
        if self.side not in (BUY, SELL):
            raise ValueError(f"side must be buy or sell, got {self.side!r}")
        if not (math.isfinite(self.quantity) and self.quantity > 0):
            raise ValueError(f"the quantity must be a positive number, got {self.quantity}")
        if self.order_type == OrderType.LIMIT and not (math.isfinite(self.limit_price) and self.limit_price > 0):
            raise ValueError("a limit order needs a positive limit price")
        if self.order_type == OrderType.SNIPER and self.condition is None:
            raise ValueError("a sniper order needs a condition (--when)")
        if not math.isnan(self.limit_price) and not (math.isfinite(self.limit_price) and self.limit_price > 0):
            raise ValueError(f"the limit price must be a positive number, got {self.limit_price}")
        if self.expires_at <= self.created_at:
            raise ValueError("the expiry must be after the order's creation")
        if self.rest not in (REST_WAIT, REST_CANCEL):
            raise ValueError(f"rest must be wait or cancel, got {self.rest!r}")

    @property
    def remaining(self) -> float:
        return max(0.0, self.quantity - self.filled)

    @property
    def average_price(self) -> float:
        return self.cost / self.filled if self.filled > 0 else math.nan

    @property
    def is_final(self) -> bool:
        return self.state in FINAL

    def acceptable(self, price: float) -> bool:
        """Whether a child at ``price`` (its average, all costs in) respects the limit price, if any."""
        if math.isnan(self.limit_price):
            return True
        return price <= self.limit_price if self.side == BUY else price >= self.limit_price

    def moved_to(self, state: ParentState, now: float, reason: str = "") -> "ParentOrder":
        """The order in ``state``; ValueError for a move its life does not allow."""
        if state == self.state:
            return replace(self, reason=reason or self.reason)
        if state not in _NEXT.get(self.state, set()):
            raise ValueError(f"order #{self.order_id} cannot go from {self.state} to {state}")
        closed = now if state in FINAL else self.closed_at
        return replace(self, state=state, reason=reason, closed_at=closed)

    def with_fill(self, quantity: float, cost: float, now: float) -> "ParentOrder":
        """Book a child's fill: ``quantity`` base for ``cost`` quote. The state follows: filled when nothing
        remains (within a millionth), partially filled otherwise."""
        if self.is_final:
            raise ValueError(f"order #{self.order_id} is {self.state}: no more fills")
        if not (math.isfinite(quantity) and quantity > 0 and math.isfinite(cost) and cost >= 0):
            raise ValueError(f"a fill needs a positive quantity and a finite cost, got {quantity} for {cost}")
        if quantity > self.remaining * (1 + 1e-9) + 1e-12:
            raise ValueError(f"order #{self.order_id}: a fill of {quantity} is more than the {self.remaining} left")
        filled = min(self.quantity, self.filled + quantity)
        order = replace(self, filled=filled, cost=self.cost + cost)
        done = order.remaining <= self.quantity * 1e-6
        return order.moved_to(ParentState.FILLED if done else ParentState.PARTIAL, now)


def due(order: ParentOrder, observation: Observation, now: float) -> tuple[str, str]:
    """What to do with a waiting (pending) order now: ``("expire", why)``, ``("route", why)`` or
    ``("wait", why)``. A market order routes at once; a limit order routes when its price may be met (the
    router then takes only what is at or better than it); a sniper routes when its condition holds."""
    if now >= order.expires_at:
        return "expire", f"expired at {order.expires_at:.3f} with {order.remaining:g} {order.asset} not done"
    if order.order_type == OrderType.MARKET:
        return "route", "market order"
    if order.order_type == OrderType.SNIPER and math.isnan(order.triggered_at):
        condition = order.condition
        if not condition_holds(condition, observation):
            return "wait", f"waiting for {condition.describe()}"
        return "route", f"triggered: {condition.describe()}"
    if not math.isnan(order.limit_price):
        touch = _best(observation, order.side)
        if not order.acceptable(touch):
            return "wait", (f"waiting for {'an ask' if order.side == BUY else 'a bid'} at or better than "
                            f"{order.limit_price:g} (best {touch:g})")
    return "route", "limit price available" if not math.isnan(order.limit_price) else "triggered earlier"


def _best(observation: Observation, side: str) -> float:
    quotes = observation.best_asks if side == BUY else observation.best_bids
    prices = [price for _, price in quotes if math.isfinite(price) and price > 0]
    if not prices:
        return math.nan
    return min(prices) if side == BUY else max(prices)
