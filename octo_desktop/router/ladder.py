"""What every source (exchange book, AMM pool, DLMM pool, OTC pool) presents to the splitter: a cost curve. Pure.

A source's ``cost(q)`` is the quote units paid to buy ``q`` of the base asset, or for a sell the *negative* of
the quote units received for ``q``; proportional fees are included, ``cost(0) == 0``, and ``cost(q)`` is
``math.inf`` beyond what the source can do. One sign convention for both sides means the splitter always
*minimises*: a sell's cheapest plan is the one that receives the most.

Besides the curve a source has costs the curve does not show:

- ``fixed_cost``: paid once if the source is used at all, whatever the size: network and priority fees of a
  Solana swap, an OTC desk's settlement fee;
- ``transfer_cost``: also paid once, for a treasury transfer that funds the venue before the child can go;
- ``risk_per_unit``: the price of waiting. A child that executes ``delay_s`` after the decision is exposed to
  the market's move over that delay. With ``sigma`` the volatility per square root of a second (a fraction of
  the price: an annualised volatility ``v`` gives ``sigma = v / sqrt(365 * 86400)``), the move over the delay
  has a standard deviation ``price * sigma * sqrt(delay_s)`` per unit, and a trader who charges ``k`` such
  standard deviations prices the risk as::

      delay_risk(q) = q * price * sigma * sqrt(delay_s) * k          (``delay_risk_per_unit`` gives the factor)

  It is linear in ``q`` so it shifts the source's marginal price by a constant, which is what makes a slow
  source (an OTC desk settling in 30 s) lose to a fast one at equal quotes.

The splitter's objective for one child is ``cost(q) + risk_per_unit * q + fixed_cost + transfer_cost`` (the
last two only when ``q > 0``), and ``CostParts`` breaks it down against the reference mid.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from dataclasses import dataclass
from itertools import accumulate
from typing import TYPE_CHECKING, Callable, Sequence

if TYPE_CHECKING:
    from octo_desktop.domain.book import OrderBook

BUY, SELL = "buy", "sell"
KINDS = ("book", "amm", "dlmm", "otc", "jupiter", "custom")


@dataclass(frozen=True, slots=True)
class CostParts:
    """What one child (or a whole plan) costs beyond trading at the reference mid, in quote units.

    Positive is a cost for both sides: for a buy ``impact`` is what was paid above ``q * mid`` before fees,
    for a sell what was received below it. ``network`` is the fixed cost (network, priority, settlement fees),
    ``delay_risk`` the price of the execution delay, ``transfer`` the funding transfer.
    """

    impact: float = 0.0
    fees: float = 0.0
    network: float = 0.0
    delay_risk: float = 0.0
    transfer: float = 0.0

    @property
    def total(self) -> float:
        return self.impact + self.fees + self.network + self.delay_risk + self.transfer

    def __add__(self, other: CostParts) -> CostParts:
        return CostParts(self.impact + other.impact, self.fees + other.fees, self.network + other.network,
                         self.delay_risk + other.delay_risk, self.transfer + other.transfer)


@dataclass(frozen=True, slots=True)
class SourceCurve:
    """One source's cost to fill ``q`` of the base asset on one side, and the costs around it.

    ``cost(q)``: quote paid for a buy, minus quote received for a sell, fees included, ``math.inf`` where the
    source cannot go (see the module docstring). ``fees(q)``, when given, is the part of ``cost(q)`` that is
    fees (positive), used only to break a child's cost down. ``steps``, when given, is the exact marginal
    ladder behind ``cost``: ``(marginal price, size)`` pairs with the marginal price (fees included, signed
    like ``cost``) ascending; an exchange book has one, and the splitter then walks it instead of sampling
    ``cost``. ``lot_size`` > 0 makes a child's quantity a whole number of lots. A source can do nothing or
    between ``min_quantity`` and ``max_quantity``.
    """

    name: str
    kind: str
    side: str
    cost: Callable[[float], float]
    max_quantity: float
    min_quantity: float = 0.0
    fixed_cost: float = 0.0
    transfer_cost: float = 0.0
    delay_s: float = 0.0
    risk_per_unit: float = 0.0
    lot_size: float = 0.0
    fees: Callable[[float], float] | None = None
    steps: tuple[tuple[float, float], ...] | None = None

    def __post_init__(self) -> None:
        if self.side not in (BUY, SELL):
            raise ValueError(f"{self.name}: side must be 'buy' or 'sell', got {self.side!r}")
        if self.kind not in KINDS:
            raise ValueError(f"{self.name}: kind must be one of {', '.join(KINDS)}, got {self.kind!r}")
        for field in ("max_quantity", "min_quantity", "fixed_cost", "transfer_cost", "delay_s", "risk_per_unit",
                      "lot_size"):
            value = getattr(self, field)
            if not (value >= 0 and (math.isfinite(value) or field == "max_quantity")):
                raise ValueError(f"{self.name}: {field} must be non-negative and finite, got {value}")

    @property
    def activation_cost(self) -> float:
        """What using the source at all costs, whatever the size: the fixed cost and the funding transfer."""
        return self.fixed_cost + self.transfer_cost

    @property
    def is_gated(self) -> bool:
        """Whether opening the source is a decision (a cost to open it, or a minimum size), not just a size."""
        return self.activation_cost > 0 or self.min_quantity > 0

    def total(self, quantity: float) -> float:
        """Return the splitter's objective for a child of ``quantity``: cost, delay risk and, if used, fixed costs."""
        if quantity <= 0:
            return 0.0
        return self.cost(quantity) + self.risk_per_unit * quantity + self.activation_cost

    def parts(self, quantity: float, reference_price: float) -> CostParts:
        """Break the objective of a child of ``quantity`` down against ``reference_price`` (the mid)."""
        if quantity <= 0:
            return CostParts()
        sign = 1.0 if self.side == BUY else -1.0
        fees = self.fees(quantity) if self.fees is not None else 0.0
        impact = self.cost(quantity) - sign * quantity * reference_price - fees
        return CostParts(impact, fees, self.fixed_cost, self.risk_per_unit * quantity, self.transfer_cost)


def delay_risk_per_unit(price: float, volatility_per_sqrt_s: float, delay_s: float, risk_aversion: float = 1.0
                        ) -> float:
    """Return ``price * sigma * sqrt(delay_s) * k``: what waiting ``delay_s`` costs per unit of base.

    ``volatility_per_sqrt_s`` is ``sigma``, a fraction of the price per square root of a second;
    ``risk_aversion`` is ``k``, how many standard deviations of the move over the delay the trader charges.
    """
    if not (price > 0 and math.isfinite(price)):
        raise ValueError(f"price must be positive and finite, got {price}")
    if not (volatility_per_sqrt_s >= 0 and delay_s >= 0 and risk_aversion >= 0):
        raise ValueError(f"volatility, delay and risk aversion must be non-negative, got "
                         f"{volatility_per_sqrt_s}, {delay_s}, {risk_aversion}")
    return price * volatility_per_sqrt_s * math.sqrt(delay_s) * risk_aversion


def book_curve(name: str, side: str, prices: Sequence[float], sizes: Sequence[float], taker_fee: float, *,
               lot_size: float = 0.0, min_quantity: float = 0.0, fixed_cost: float = 0.0, transfer_cost: float = 0.0,
               delay_s: float = 0.0, risk_per_unit: float = 0.0) -> SourceCurve:
    """Return the cost curve of taking ``side`` from one exchange book's levels, best first.

    ``prices``/``sizes`` are the levels a taker walks, as ``OrderBook.top_lists`` returns them: the asks
    ascending for a buy, the bids descending for a sell. ``taker_fee`` is a fraction of the notional. The curve
    is piecewise linear: each level's marginal price is ``price * (1 + fee)`` for a buy and
    ``-price * (1 - fee)`` for a sell, and the depth shown is the maximum quantity.
    """
    if side not in (BUY, SELL):
        raise ValueError(f"{name}: side must be 'buy' or 'sell', got {side!r}")
    if len(prices) != len(sizes):
        raise ValueError(f"{name}: {len(prices)} prices but {len(sizes)} sizes")
    if not 0.0 <= taker_fee < 1.0:
        raise ValueError(f"{name}: taker_fee must be within [0, 1), got {taker_fee}")
    level_prices = [float(p) for p in prices]
    level_sizes = [float(s) for s in sizes]
    for i, (price, size) in enumerate(zip(level_prices, level_sizes)):
        if not (math.isfinite(price) and price > 0 and math.isfinite(size) and size > 0):
            raise ValueError(f"{name}: level {i} must have a positive finite price and size, got {price}, {size}")
        if i and (price <= level_prices[i - 1] if side == BUY else price >= level_prices[i - 1]):
            order = "ascending asks" if side == BUY else "descending bids"
            raise ValueError(f"{name}: {side} levels must be best first ({order}), level {i} is not")
    sign = 1.0 if side == BUY else -1.0
    factor = 1.0 + taker_fee if side == BUY else 1.0 - taker_fee
    cumulative = [0.0, *accumulate(level_sizes)]
    notional = [0.0, *accumulate(p * s for p, s in zip(level_prices, level_sizes))]
    depth = cumulative[-1]

    def gross(quantity: float) -> float:
        # Levels 0..i-1 are taken whole, level i in part: found by bisection over the cumulative sizes.
        if quantity <= 0:
            return 0.0
        if quantity > depth * (1 + 1e-12):
            return math.inf
        i = min(max(bisect_left(cumulative, quantity) - 1, 0), len(level_prices) - 1)
        return notional[i] + (quantity - cumulative[i]) * level_prices[i]

    def cost(quantity: float) -> float:
        return sign * factor * gross(quantity)

    def fees(quantity: float) -> float:
        return taker_fee * gross(quantity)

    steps = tuple((sign * factor * p, s) for p, s in zip(level_prices, level_sizes))
    return SourceCurve(name, "book", side, cost, depth, min_quantity=min_quantity, fixed_cost=fixed_cost,
                       transfer_cost=transfer_cost, delay_s=delay_s, risk_per_unit=risk_per_unit, lot_size=lot_size,
                       fees=fees, steps=steps)


def order_book_curve(book: OrderBook, side: str, taker_fee: float, depth: int = 50, **costs) -> SourceCurve:
    """Return ``book_curve`` over the best ``depth`` levels an ``OrderBook`` shows a taker of ``side``.

    The source is named after the book's venue; ``costs`` are ``book_curve``'s keyword arguments.
    """
    prices, sizes = book.top_lists("ask" if side == BUY else "bid", depth)
    return book_curve(book.venue, side, prices, sizes, taker_fee, **costs)


def function_curve(name: str, kind: str, side: str, quote_amount: Callable[[float], float], max_quantity: float, *,
                   fee_rate: float = 0.0, **costs) -> SourceCurve:
    """Wrap any quoter into a cost curve: ``quote_amount(q)`` is the quote paid to buy ``q`` (or received
    for selling ``q``), positive, fees included.

    The sign convention is applied here, and a quoter that cannot do ``q`` may raise ``ValueError`` or
    ``ArithmeticError`` or return NaN, a negative amount or infinity: all read as ``math.inf``. ``fee_rate`` is
    the fee as a fraction of the quote amount, for the breakdown only. ``costs`` are ``SourceCurve``'s keyword
    fields (``min_quantity``, ``fixed_cost``, ``transfer_cost``, ``delay_s``, ``risk_per_unit``, ``lot_size``).
    """
    sign = 1.0 if side == BUY else -1.0

    def amount(quantity: float) -> float:
        if quantity <= 0:
            return 0.0
        if quantity > max_quantity:
            return math.nan
        try:
            value = float(quote_amount(quantity))
        except (ValueError, ArithmeticError):
            return math.nan
        return value if math.isfinite(value) and value >= 0 else math.nan

    def cost(quantity: float) -> float:
        value = amount(quantity)
        if math.isnan(value):
            return math.inf
        return sign * value

    def fees(quantity: float) -> float:
        value = amount(quantity)
        return 0.0 if math.isnan(value) else fee_rate * value

    return SourceCurve(name, kind, side, cost, max_quantity, fees=fees if fee_rate else None, **costs)


def capped(curve: SourceCurve, quantity: float, why: str = "") -> SourceCurve:
    """Return ``curve`` able to do at most ``quantity`` (what its account can fund, or what a limit price
    allows); its cost is infinite beyond. A cap below the source's minimum leaves it unusable."""
    if not quantity >= 0:
        quantity = 0.0
    if quantity >= curve.max_quantity:
        return curve
    inner = curve.cost

    def cost(q: float) -> float:
        return math.inf if q > quantity * (1 + 1e-12) else inner(q)

    steps = None
    if curve.steps is not None:
        kept, left = [], quantity
        for price, size in curve.steps:
            if left <= 0:
                break
            kept.append((price, min(size, left)))
            left -= size
        steps = tuple(kept)
    return SourceCurve(curve.name, curve.kind, curve.side, cost, quantity, min_quantity=curve.min_quantity,
                       fixed_cost=curve.fixed_cost, transfer_cost=curve.transfer_cost, delay_s=curve.delay_s,
                       risk_per_unit=curve.risk_per_unit, lot_size=curve.lot_size, fees=curve.fees, steps=steps)


def marginal_price(curve: SourceCurve, quantity: float) -> float:
    """Return the unsigned all-in price (fees included) of the last unit of a child of ``quantity``; the
    touch at 0. NaN where the source cannot go."""
    if curve.steps is not None:
        done = 0.0
        for price, size in curve.steps:
            done += size
            if done >= quantity * (1 - 1e-12):
                return abs(price)
        return math.nan
    # A step small against the quantity, and never below a ten-millionth of a typical size (whole raw units:
    # the pools' integer rounding must not show), measured backwards from the quantity when it can be.
    h = max(quantity * 1e-3, min(curve.max_quantity, 1e4) * 1e-7)
    low, high = (quantity - h, quantity) if quantity >= h else (0.0, h)
    if high > curve.max_quantity:
        low, high = max(0.0, curve.max_quantity - h), curve.max_quantity
    a, b = curve.cost(low), curve.cost(high)
    if not (math.isfinite(a) and math.isfinite(b)) or high <= low:
        return math.nan
    return abs((b - a) / (high - low))


def within_limit(curve: SourceCurve, limit_price: float) -> float:
    """Return how much the source can do with every unit at or better than ``limit_price`` (all-in, fees
    included: at most the limit for a buy, at least it for a sell). The marginal price of a convex curve only
    worsens with size, so the answer is found by bisection (exactly, level by level, on a book)."""
    if not (math.isfinite(limit_price) and limit_price > 0):
        return curve.max_quantity
    better = (lambda p: p <= limit_price) if curve.side == BUY else (lambda p: p >= limit_price)
    if curve.steps is not None:
        done = 0.0
        for price, size in curve.steps:
            if not better(abs(price)):
                break
            done += size
        return min(done, curve.max_quantity)
    top = curve.max_quantity
    if not top > 0:
        return 0.0
    low = min(top, min(top, 1e4) * 1e-6)
    if not better(marginal_price(curve, low)):
        return 0.0
    # Grow until the limit is passed (a pool's capacity may be astronomically large), then bisect.
    high = low
    while better(marginal_price(curve, high)):
        low = high
        if high >= top:
            return top
        high = min(top, high * 4)
    for _ in range(60):
        middle = (low + high) / 2
        if better(marginal_price(curve, middle)):
            low = middle
        else:
            high = middle
        if high - low <= high * 1e-9:
            break
    return low


def ladder_points(curve: SourceCurve, upto: float, points: int = 24) -> tuple[tuple[float, float], ...]:
    """Return ``(quantity, marginal all-in price)`` pairs of ``curve`` from 0 to ``upto`` (or its maximum):
    the cost ladder chart's line for this source."""
    top = min(upto, curve.max_quantity)
    if not (math.isfinite(top) and top > 0):
        return ()
    out = []
    for i in range(points + 1):
        q = top * i / points
        price = marginal_price(curve, q)
        if math.isfinite(price):
            out.append((q, price + curve.risk_per_unit))
    return tuple(out)
