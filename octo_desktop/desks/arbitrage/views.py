"""What the window shows of the arbitrage desk's trades, decisions and opportunities (immutable views)."""

from __future__ import annotations

import math

from octo_desktop.domain.attribution import attribute, decay_bps
from octo_desktop.domain.model import BUY, SELL, Decision, Trade, TradeState
from octo_desktop.domain.snapshot import OpportunityView, TradeView, frozen_mapping


def opportunity_view(d: Decision) -> OpportunityView:
    """Return one opportunity's line in the live list, with its latest decision."""
    return OpportunityView(d.opportunity_id, d.time, d.route, d.net_bps,
                           d.quantity, d.buy_vwap, d.sell_vwap, d.score, frozen_mapping(d.parts),
                           "taken" if d.accepted else "rejected", d.detail if not d.accepted else "",
                           d.transfer_bps)


def trade_view(t: Trade) -> TradeView:
    """Return a trade's row in the blotter (open or closed)."""
    matched = t.matched_quantity
    buy, sell = t.average_price(BUY), t.average_price(SELL)
    # Realized net of fees and unwinds, in bps of the matched buy notional: comparable to expected_bps.
    realized_bps = float(t.realized_pnl / (buy * matched) * 10_000) if buy and matched else math.nan
    is_open = t.state == TradeState.OPEN
    return TradeView(t.trade_id, t.opened_at, t.symbol, t.buy_venue, t.sell_venue, matched, buy, sell,
                     t.fees_in_quote, t.realized_pnl, str(t.state), t.expected_bps, realized_bps,
                     planned_quantity=t.planned_quantity, buy_filled=t.quantity(BUY), sell_filled=t.quantity(SELL),
                     buy_order_type=t.buy_order_type, sell_order_type=t.sell_order_type,
                     steps=tuple(step.detail for step in t.steps),
                     attribution=None if is_open else attribute(t), decay_bps=decay_bps(t), note=t.note)
