"""Taker fill model: walk a book for an order and price the fills exactly.

The book is market data (floats); the fills are money (Decimal). The conversion happens here, at
the venue's tick and lot grid: a level's price is snapped to the tick, its size floored to the lot,
and the fee is rounded up to ``FEE_QUANTUM`` in the asset it is charged in (the asset received:
base for a buy, quote for a sell, as spot venues charge by default).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, ROUND_HALF_EVEN, ROUND_UP, Decimal
from typing import Iterable

from octo_desktop.config import SymbolSpec
from octo_desktop.domain.model import BUY, SELL, Fill

FEE_QUANTUM = Decimal("0.00000001")

MARKET = "market"
IOC_LIMIT = "ioc_limit"


@dataclass(frozen=True, slots=True)
class OrderRequest:
    """A taker order one leg sends to one venue."""

    trade_id: int
    venue: str
    symbol: str
    side: str  # BUY or SELL
    quantity: Decimal  # base asset, a multiple of the venue's lot size
    order_type: str  # MARKET or IOC_LIMIT
    limit_price: float | None = None  # IOC_LIMIT only: the worst price accepted
    purpose: str = "entry"  # "entry" or "unwind"


@dataclass(frozen=True, slots=True)
class OrderResult:
    """What a venue did with an order: its fills, or why it refused."""

    request: OrderRequest
    fills: tuple[Fill, ...] = ()
    rejected_reason: str = ""
    latency_ms: float = 0.0
    taken: tuple[tuple[float, float], ...] = field(default=())  # (price, size) consumed per level

    @property
    def filled_quantity(self) -> Decimal:
        return sum((f.quantity for f in self.fills), Decimal(0))

    @property
    def is_complete(self) -> bool:
        return self.filled_quantity == self.request.quantity


def round_to_tick(price: float, tick: Decimal) -> Decimal:
    """Return ``price`` snapped to the nearest multiple of ``tick``, exactly."""
    return (Decimal(repr(price)) / tick).to_integral_value(rounding=ROUND_HALF_EVEN) * tick


def floor_to_lot(quantity: float | Decimal, lot: Decimal) -> Decimal:
    """Return the largest multiple of ``lot`` not above ``quantity``, exactly."""
    value = quantity if isinstance(quantity, Decimal) else Decimal(repr(quantity))
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
            order_type=request.order_type, time=time, purpose=request.purpose,
        ))
        taken.append((price, float(take)))
        remaining -= take
        if remaining == 0:
            break
    return OrderResult(request, fills=tuple(fills), taken=tuple(taken))
