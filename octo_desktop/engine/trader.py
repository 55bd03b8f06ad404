"""Run one arbitrage trade: both legs at once, then unwind whatever the legs failed to match."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from decimal import Decimal
from typing import Callable

from octo_desktop.config import Config
from octo_desktop.domain.fills import IOC_LIMIT, MARKET, OrderRequest, OrderResult, floor_to_lot
from octo_desktop.domain.model import BUY, SELL, Fill, Trade, TradeState
from octo_desktop.execution.base import ExecutionClient


@dataclass(frozen=True, slots=True)
class ArbitragePlan:
    """What to send: quantity and the worst acceptable price of each leg."""

    trade: Trade
    quantity: Decimal
    buy_limit: float
    sell_limit: float


async def execute_arbitrage(plan: ArbitragePlan, execution: ExecutionClient, config: Config,
                            on_result: Callable[[OrderResult], None], now: Callable[[], float]) -> Trade:
    """Send both IOC legs concurrently; unwind any unmatched remainder at market where it filled.

    ``on_result`` is called with each order's result as soon as it is known, so balances move with
    the fills. Returns the closed trade: complete (both legs in full), partial (matched less than
    planned, excess unwound) or failed (nothing matched).
    """
    trade = plan.trade
    buy = OrderRequest(trade.trade_id, trade.buy_venue, trade.symbol, BUY, plan.quantity, IOC_LIMIT,
                       plan.buy_limit)
    sell = OrderRequest(trade.trade_id, trade.sell_venue, trade.symbol, SELL, plan.quantity, IOC_LIMIT,
                        plan.sell_limit)

    async def leg(request: OrderRequest) -> OrderResult:
        result = await execution.place_order(request)
        on_result(result)
        return result

    buy_result, sell_result = await asyncio.gather(leg(buy), leg(sell))
    fills: list[Fill] = [*buy_result.fills, *sell_result.fills]
    bought, sold = buy_result.filled_quantity, sell_result.filled_quantity
    notes = [f"{r.request.side} {r.request.venue}: {r.rejected_reason}"
             for r in (buy_result, sell_result) if r.rejected_reason]

    excess = bought - sold
    if excess != 0:
        # The longer leg is unwound on its own venue, at market: the loss is part of the trade.
        venue, side = (trade.buy_venue, SELL) if excess > 0 else (trade.sell_venue, BUY)
        spec = config.spec(venue, trade.symbol)
        quantity = floor_to_lot(abs(excess), spec.lot_size)
        if quantity > 0:
            unwind = await leg(OrderRequest(trade.trade_id, venue, trade.symbol, side, quantity, MARKET,
                                            purpose="unwind"))
            fills.extend(unwind.fills)
            left = quantity - unwind.filled_quantity
            if unwind.rejected_reason:
                notes.append(f"unwind {side} {quantity} on {venue} refused: {unwind.rejected_reason}")
            elif left:
                notes.append(f"unwind on {venue} left {left} unfilled")
            else:
                notes.append(f"unwound {quantity} {side} on {venue}")
        residual = abs(excess) - quantity
        if residual:
            notes.append(f"{residual} left as inventory (below the lot size)")

    matched = min(bought, sold)
    if matched == plan.quantity:
        state = TradeState.COMPLETE
    elif matched > 0:
        state = TradeState.PARTIAL
    else:
        state = TradeState.FAILED
    return trade.with_fills(tuple(fills)).closed(state, now(), "; ".join(notes))
