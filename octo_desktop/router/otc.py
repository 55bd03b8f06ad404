"""A simulated OTC pool: a dealer quoting a spread around the mid, with limits, a refilling liquidity and a delay. Pure.

The dealer's spread (a fraction of the mid, charged on top of it for a buy and below it for a sell) widens with
the size asked and with the market's volatility::

    spread_bps(q) = base_spread_bps
                  + size_slope_bps * (q / reference_size) ** size_exponent      larger blocks cost more
                  + volatility_multiplier * sigma * sqrt(delay_s) * 10_000       the dealer's risk over the delay

where ``sigma`` is the volatility per square root of a second (a fraction of the price). With
``size_exponent >= 0`` the cost ``q * mid * spread(q)`` is convex in ``q``, which the splitter relies on.

A block must be between ``min_quantity`` and ``max_quantity``, and within what the pool can still take: the
dealer's appetite ``capacity`` shrinks by every fill and refills linearly at ``refill_per_s`` up to
``capacity``. A pool is an immutable value: ``after_fill(q, now)`` returns the pool after a fill, and every
time is passed in, never read from a clock, so replay and tests see the same pool.

A quote settles ``delay_s`` after it is accepted. If the mid moves more than ``tolerance_bps`` meanwhile the
dealer withdraws it (``still_valid``); the router then re-routes what it covered.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from octo_desktop.router.ladder import BUY, SELL, SourceCurve, delay_risk_per_unit

_BPS = 10_000.0


@dataclass(frozen=True, slots=True)
class OtcQuote:
    """A dealer's firm price for ``quantity`` on ``side``, given at ``quoted_at`` against ``mid``.

    ``price`` is what one unit costs (buy) or brings (sell); it settles at ``settles_at`` unless withdrawn.
    """

    pool: str
    side: str
    quantity: float
    price: float
    spread_bps: float
    mid: float
    quoted_at: float
    settles_at: float

    @property
    def notional(self) -> float:
        return self.quantity * self.price


@dataclass(frozen=True, slots=True)
class OtcPool:
    """One OTC pool's terms and its liquidity as of ``as_of`` (``available`` base units it can still take)."""

    name: str
    base_spread_bps: float
    size_slope_bps: float
    reference_size: float
    min_quantity: float
    max_quantity: float
    capacity: float
    refill_per_s: float
    available: float
    as_of: float
    size_exponent: float = 1.0
    volatility_multiplier: float = 1.0
    delay_s: float = 0.0
    tolerance_bps: float = 10.0
    fixed_cost: float = 0.0

    def __post_init__(self) -> None:
        for field in ("base_spread_bps", "size_slope_bps", "min_quantity", "capacity", "refill_per_s",
                      "size_exponent", "volatility_multiplier", "delay_s", "tolerance_bps", "fixed_cost"):
            value = getattr(self, field)
            if not (math.isfinite(value) and value >= 0):
                raise ValueError(f"OTC pool {self.name}: {field} must be non-negative and finite, got {value}")
        if not (math.isfinite(self.reference_size) and self.reference_size > 0):
            raise ValueError(f"OTC pool {self.name}: reference_size must be positive, got {self.reference_size}")
        if not (self.max_quantity >= self.min_quantity and math.isfinite(self.max_quantity)):
            raise ValueError(f"OTC pool {self.name}: max_quantity must be finite and at least min_quantity "
                             f"({self.min_quantity}), got {self.max_quantity}")
        if not (0 <= self.available <= self.capacity):
            raise ValueError(f"OTC pool {self.name}: available must be within [0, capacity={self.capacity}], "
                             f"got {self.available}")

    @classmethod
    def full(cls, name: str, now: float, **terms) -> OtcPool:
        """Return a pool with its whole capacity available at ``now``; ``terms`` are the other fields."""
        return cls(name=name, available=terms["capacity"], as_of=now, **terms)

    def available_at(self, now: float) -> float:
        """Return what the pool can take at ``now``: the last level refilled linearly, up to ``capacity``."""
        elapsed = max(0.0, now - self.as_of)
        return min(self.capacity, self.available + self.refill_per_s * elapsed)

    def limits(self, now: float) -> tuple[float, float]:
        """Return (smallest, largest) block the pool takes at ``now``; the largest is 0 when it takes none."""
        largest = min(self.max_quantity, self.available_at(now))
        return self.min_quantity, (largest if largest >= self.min_quantity and largest > 0 else 0.0)

    def spread_bps(self, quantity: float, volatility_per_sqrt_s: float = 0.0) -> float:
        """Return the spread in bps the dealer charges for ``quantity`` in a market of that volatility."""
        if quantity < 0 or volatility_per_sqrt_s < 0:
            raise ValueError(f"quantity and volatility must be non-negative, got {quantity}, {volatility_per_sqrt_s}")
        return (self.base_spread_bps
                + self.size_slope_bps * (quantity / self.reference_size) ** self.size_exponent
                + self.volatility_multiplier * volatility_per_sqrt_s * math.sqrt(self.delay_s) * _BPS)

    def quote(self, side: str, quantity: float, mid: float, now: float, volatility_per_sqrt_s: float = 0.0
              ) -> OtcQuote:
        """Quote ``quantity`` on ``side`` around ``mid`` at ``now``; ValueError outside the pool's limits."""
        _check_side(side)
        if not (math.isfinite(mid) and mid > 0):
            raise ValueError(f"OTC pool {self.name}: mid must be positive and finite, got {mid}")
        smallest, largest = self.limits(now)
        if not smallest <= quantity <= largest or quantity <= 0:
            raise ValueError(f"OTC pool {self.name}: {quantity:g} is outside what it takes now "
                             f"({'nothing' if largest == 0 else f'{smallest:g} to {largest:g}'})")
        spread = self.spread_bps(quantity, volatility_per_sqrt_s)
        sign = 1.0 if side == BUY else -1.0
        price = mid * (1.0 + sign * spread / _BPS)
        return OtcQuote(self.name, side, quantity, price, spread, mid, now, now + self.delay_s)

    def still_valid(self, quote: OtcQuote, mid_now: float) -> bool:
        """Whether the dealer still honours ``quote`` with the mid now at ``mid_now`` (moved within tolerance)."""
        if not (math.isfinite(mid_now) and mid_now > 0):
            return False
        return abs(mid_now / quote.mid - 1.0) * _BPS <= self.tolerance_bps

    def after_fill(self, quantity: float, now: float) -> OtcPool:
        """Return the pool after a fill of ``quantity`` at ``now``: its availability refilled to ``now``, less it."""
        if quantity < 0:
            raise ValueError(f"OTC pool {self.name}: a fill must be non-negative, got {quantity}")
        if now < self.as_of:
            raise ValueError(f"OTC pool {self.name}: a fill at {now} is before the pool's state ({self.as_of})")
        level = self.available_at(now)
        if quantity > level * (1 + 1e-12):
            raise ValueError(f"OTC pool {self.name}: a fill of {quantity:g} is more than the {level:g} available")
        return replace(self, available=max(0.0, level - quantity), as_of=now)

    def curve(self, side: str, mid: float, now: float, volatility_per_sqrt_s: float = 0.0, *,
              risk_aversion: float = 1.0, transfer_cost: float = 0.0) -> SourceCurve:
        """Return the pool's cost curve for the splitter at ``now``.

        ``cost(q) = +-q * mid + q * mid * spread_bps(q) / 10_000`` (the spread is impact, there is no separate
        fee), infinite outside the pool's limits; the delay risk is ``delay_risk_per_unit(mid, sigma, delay_s,
        risk_aversion)`` per unit, and the pool's fixed cost is paid once per block.
        """
        _check_side(side)
        smallest, largest = self.limits(now)
        sign = 1.0 if side == BUY else -1.0
        pool = self

        def cost(quantity: float) -> float:
            if quantity <= 0:
                return 0.0
            if quantity > largest * (1 + 1e-12):
                return math.inf
            return sign * quantity * mid + quantity * mid * pool.spread_bps(quantity, volatility_per_sqrt_s) / _BPS

        risk = delay_risk_per_unit(mid, volatility_per_sqrt_s, self.delay_s, risk_aversion)
        return SourceCurve(self.name, "otc", side, cost, largest, min_quantity=smallest if largest else 0.0,
                           fixed_cost=self.fixed_cost, transfer_cost=transfer_cost, delay_s=self.delay_s,
                           risk_per_unit=risk)


def _check_side(side: str) -> None:
    if side not in (BUY, SELL):
        raise ValueError(f"side must be 'buy' or 'sell', got {side!r}")
