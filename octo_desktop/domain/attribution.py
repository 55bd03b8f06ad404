"""P&L attribution: where a trade's expected edge went between the decision and the realized P&L.

For the matched quantity ``q`` of a closed trade (hedge fills: entry, retry, reroute):

    expected      = q * (sell VWAP - buy VWAP) at decision        the edge the detector saw
    latency decay = expected - q * (sell - buy VWAP at arrival)    books moved while the legs travelled
    slippage      = arrival edge - q * (avg sell - avg buy fill)   fills worse than the arrival VWAP
                                                                   (limits, lots, retries at wider limits;
                                                                   negative = price improvement, e.g. maker)
    fees          = every fee of the trade, valued in the quote asset
    rollback      = what the unmatched fills and their unwinds lost (positive = a loss)
    realized      = expected - latency decay - slippage - fees - rollback   (exactly, by construction)

Decision and arrival VWAPs are market data (floats); they enter the ledger's exact arithmetic once,
here, through their shortest decimal representation. Amounts are quantized to 1e-8 quote units, and
``rollback`` is the exact residual, so the parts always add up to the realized P&L.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from decimal import Decimal

from octo_desktop.domain.model import BUY, SELL, Trade
from octo_desktop.domain.money import exact

QUANTUM = Decimal("0.00000001")
ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Attribution:
    """A trade's realized P&L split into expected edge and the four ways it leaks (quote asset)."""

    expected: Decimal = ZERO
    latency_decay: Decimal = ZERO
    slippage: Decimal = ZERO
    fees: Decimal = ZERO
    rollback: Decimal = ZERO
    realized: Decimal = ZERO

    def __add__(self, other: "Attribution") -> "Attribution":
        return Attribution(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))

    def as_dict(self) -> dict[str, str]:
        """Return the parts as decimal strings (for JSON)."""
        return {f.name: format(getattr(self, f.name), "f") for f in fields(self)}


def attribute(trade: Trade) -> Attribution:
    """Split ``trade``'s realized P&L into expected edge, latency decay, slippage, fees and rollback."""
    realized = trade.realized_pnl
    fees = trade.fees_in_quote
    matched = trade.matched_quantity
    if matched <= 0:
        return Attribution(fees=fees, rollback=-(realized + fees), realized=realized)
    fill_edge = matched * (trade.average_price(SELL) - trade.average_price(BUY))
    if math.isfinite(trade.decision_buy_vwap) and math.isfinite(trade.decision_sell_vwap):
        expected = (matched * (exact(trade.decision_sell_vwap) - exact(trade.decision_buy_vwap))).quantize(QUANTUM)
    else:
        expected = fill_edge.quantize(QUANTUM)
    if math.isfinite(trade.arrival_buy_vwap) and math.isfinite(trade.arrival_sell_vwap):
        arrival = (matched * (exact(trade.arrival_sell_vwap) - exact(trade.arrival_buy_vwap))).quantize(QUANTUM)
    else:
        arrival = fill_edge.quantize(QUANTUM)
    decay = expected - arrival
    slippage = (arrival - fill_edge).quantize(QUANTUM)
    rollback = expected - decay - slippage - fees - realized
    return Attribution(expected=expected, latency_decay=decay, slippage=slippage, fees=fees,
                       rollback=rollback, realized=realized)


def decay_bps(trade: Trade) -> float:
    """Return how many bps of edge the books lost between decision and arrival (NaN if unknown)."""
    values = (trade.decision_buy_vwap, trade.decision_sell_vwap, trade.arrival_buy_vwap, trade.arrival_sell_vwap)
    if not all(math.isfinite(v) for v in values) or trade.decision_buy_vwap <= 0:
        return math.nan
    decided = trade.decision_sell_vwap - trade.decision_buy_vwap
    arrived = trade.arrival_sell_vwap - trade.arrival_buy_vwap
    return (decided - arrived) / trade.decision_buy_vwap * 10_000.0

