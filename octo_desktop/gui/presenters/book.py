"""Column 3 of the arbitrage page, Book: the venue pair to chart, its cumulative depth, and the trade
blotter: each leg's order type and fill, the trade's state, its rollback steps and its detail.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Sequence

import numpy as np

from octo_desktop.domain.snapshot import BookView, Snapshot, TradeView
from octo_desktop.gui import theme
from octo_desktop.gui.presenters.attribution import attribution_line
from octo_desktop.gui.presenters.format import (
    ASSET_DECIMALS,
    DASH,
    Row,
    format_bps,
    format_clock,
    format_money,
    format_price,
    format_quantity,
    is_missing,
    plural,
    route,
    short_symbol,
)
from octo_desktop.gui.presenters.opportunities import usable_net_bps

# Trade state -> list tag (the tag's colour is in widgets._TAG_COLOURS) and colour.
_TRADE_STATE_TAGS = {"complete": "good", "open": "neutral", "partial": "warn", "rolled back": "alert",
                     "failed": "bad", "interrupted": "bad"}
_TRADE_STATE_COLOURS = {"complete": theme.GREEN, "open": theme.TEXT, "partial": theme.AMBER,
                        "rolled back": theme.ORANGE, "failed": theme.RED, "interrupted": theme.RED}


def choose_pair(snapshot: Snapshot, symbol: str, current: tuple[str, str] | None = None,
                margin_bps: float = 2.0) -> tuple[str, str]:
    """Return the (buy, sell) pair to chart: the best cell, keeping ``current`` unless beaten by a margin."""
    matrix = snapshot.matrices.get(symbol)
    venues = snapshot.venues
    values = usable_net_bps(matrix) if matrix is not None else None
    if values is None or np.all(np.isnan(values)):
        if current is not None and current[0] in venues and current[1] in venues:
            return current
        return (venues[0], venues[1]) if len(venues) > 1 else (venues[0], venues[0])
    names = matrix.venues
    i, j = divmod(int(np.nanargmax(values)), len(names))
    best = (names[i], names[j])
    if current is not None and current != best and current[0] in names and current[1] in names:
        held = values[names.index(current[0]), names.index(current[1])]
        if not math.isnan(held) and values[i, j] - held < margin_bps:
            return current
    return best


@dataclass(frozen=True, slots=True)
class DepthCurve:
    """One side of one book as a cumulative step curve: prices and cumulative base size."""

    prices: np.ndarray
    cumulative: np.ndarray


def depth_curve(levels: np.ndarray) -> DepthCurve:
    """Return the cumulative size curve of levels (price, size), best first, as steps from size 0."""
    if levels is None or len(levels) == 0:
        return DepthCurve(np.zeros(0), np.zeros(0))
    prices = np.asarray(levels[:, 0], dtype=float)
    cumulative = np.cumsum(np.asarray(levels[:, 1], dtype=float))
    # Start at the touch with size 0, then hold each cumulative size until the next level.
    step_prices = np.repeat(prices, 2)
    step_sizes = np.concatenate(([0.0], np.repeat(cumulative, 2)[:-1]))
    return DepthCurve(step_prices, step_sizes)


@dataclass(frozen=True, slots=True)
class DepthModel:
    """The two books of a venue pair, each side as a cumulative curve."""

    symbol: str
    buy_venue: str
    sell_venue: str
    buy_bids: DepthCurve
    buy_asks: DepthCurve
    sell_bids: DepthCurve
    sell_asks: DepthCurve
    cross_bps: float  # sell venue's best bid over the buy venue's best ask, before fees
    key: tuple  # changes whenever the picture would change

    def price_range(self) -> tuple[float, float] | None:
        """Return (lowest, highest) price over the four curves."""
        arrays = [c.prices for c in (self.buy_bids, self.buy_asks, self.sell_bids, self.sell_asks)
                  if c.prices.size]
        if not arrays:
            return None
        return min(float(a.min()) for a in arrays), max(float(a.max()) for a in arrays)

    def max_size(self) -> float:
        """Return the largest cumulative size over the four curves."""
        sizes = [float(c.cumulative[-1]) for c in (self.buy_bids, self.buy_asks, self.sell_bids,
                                                   self.sell_asks) if c.cumulative.size]
        return max(sizes, default=0.0)


def _book_key(book: BookView | None) -> tuple:
    if book is None:
        return ()
    return (book.bid, book.ask, book.bids.shape, book.asks.shape,
            float(book.bids[:, 1].sum()) if len(book.bids) else 0.0,
            float(book.asks[:, 1].sum()) if len(book.asks) else 0.0,
            float(book.bids[-1, 0]) if len(book.bids) else 0.0,
            float(book.asks[-1, 0]) if len(book.asks) else 0.0)


def depth_model(snapshot: Snapshot, symbol: str, buy_venue: str, sell_venue: str) -> DepthModel:
    """Return the depth curves of the buy venue's and the sell venue's books of ``symbol``."""
    buy = snapshot.books.get((buy_venue, symbol))
    sell = snapshot.books.get((sell_venue, symbol))
    empty = depth_curve(None)
    cross = math.nan
    if buy is not None and sell is not None and buy.ask > 0 and not math.isnan(sell.bid):
        cross = (sell.bid - buy.ask) / buy.ask * 1e4
    return DepthModel(
        symbol, buy_venue, sell_venue,
        depth_curve(buy.bids) if buy is not None else empty,
        depth_curve(buy.asks) if buy is not None else empty,
        depth_curve(sell.bids) if sell is not None else empty,
        depth_curve(sell.asks) if sell is not None else empty,
        cross,
        (symbol, buy_venue, sell_venue, _book_key(buy), _book_key(sell)),
    )


def cross_text(model: DepthModel) -> tuple[str, str]:
    """Return the line above the depth chart: the pair's cross before fees, and its colour."""
    if math.isnan(model.cross_bps):
        return f"{model.sell_venue} bid vs {model.buy_venue} ask: {DASH}", theme.TEXT_DIM
    colour = theme.GREEN if model.cross_bps > 0 else theme.TEXT_MUTED
    return (f"{model.sell_venue} bid vs {model.buy_venue} ask: {format_bps(model.cross_bps)} bps "
            f"before fees", colour)


# Widths in px for the list font: "binance→kucoin", "POST none" and "rolled back ↺2" fit unclipped.
BLOTTER_COLUMNS = (("time", 50), ("sym", 28), ("buy→sell", 90), ("qty", 48), ("buy leg", 64),
                   ("sell leg", 64), ("P&L", 48), ("state", 84))
ORDER_TYPE_LABELS = {"market": "MKT", "ioc_limit": "IOC", "post_only": "POST"}
ROLLBACK_MARK = "↺"


def order_type_label(order_type: str) -> str:
    """Return the short label of a leg's order type: MKT, IOC or POST (a dash when unknown)."""
    if not order_type:
        return DASH
    return ORDER_TYPE_LABELS.get(order_type, order_type.upper()[:4])


def fill_state(filled: Decimal, planned: Decimal) -> str:
    """Return how much of a leg filled: "full", "none", or the percentage filled ("60%").

    The percentage is rounded down and kept between 1 and 99, so a leg short of a full fill never
    reads "100%" and a leg with any fill never reads "0%". A trade from before planned quantities
    were kept (planned 0) shows "full" for any fill.
    """
    if filled <= 0:
        return "none"
    if planned <= 0 or filled >= planned:
        return "full"
    return f"{min(99, max(1, int(filled * 100 / planned)))}%"


def leg_text(order_type: str, filled: Decimal, planned: Decimal) -> str:
    """Return a leg's blotter cell: order type and fill state ("IOC full", "MKT 60%", "POST none")."""
    return f"{order_type_label(order_type)} {fill_state(filled, planned)}"


def steps_marker(steps: Sequence[str]) -> str:
    """Return the rollback marker of a trade: "↺2" for two rollback steps, "" for none."""
    return f"{ROLLBACK_MARK}{len(steps)}" if steps else ""


def trade_state_tag(state: str) -> str:
    """Return the list tag (and so the colour) of a trade state."""
    return _TRADE_STATE_TAGS.get(str(state), "neutral")


def trade_state_colour(state: str) -> str:
    """Return the colour of a trade state: complete green, partial amber, rolled back orange, failed red."""
    return _TRADE_STATE_COLOURS.get(str(state), theme.TEXT)


def trade_state_text(trade: TradeView) -> str:
    """Return the state cell: the state, then the rollback marker if the trade has steps."""
    marker = steps_marker(trade.steps)
    return f"{trade.state} {marker}" if marker else str(trade.state)


def trade_rows(snapshot: Snapshot, limit: int = 50) -> tuple[Row, ...]:
    """Return the newest trades first for the blotter, keyed by trade id."""
    rows = []
    for trade in snapshot.trades[:limit]:
        base = short_symbol(trade.symbol)
        planned = trade.planned_quantity
        rows.append(Row(trade.trade_id, (
            format_clock(trade.time), base, route(trade.buy_venue, trade.sell_venue),
            format_quantity(trade.quantity, ASSET_DECIMALS.get(base, 5)),
            leg_text(trade.buy_order_type, trade.buy_filled, planned),
            leg_text(trade.sell_order_type, trade.sell_filled, planned),
            format_money(trade.realized_pnl, 2, signed=True),
            trade_state_text(trade)), trade_state_tag(trade.state)))
    return tuple(rows)


def find_trade(snapshot: Snapshot | None, trade_id: object) -> TradeView | None:
    """Return the trade with this id if it is still in the snapshot."""
    if snapshot is None or trade_id is None:
        return None
    for trade in snapshot.trades:
        if trade.trade_id == trade_id:
            return trade
    return None


def _leg_detail(side: str, order_type: str, filled: Decimal, planned: Decimal, price: Decimal,
                qty_decimals: int, price_decimals_: int) -> str:
    text = f"{side} {order_type_label(order_type)} {format_quantity(filled, qty_decimals)}"
    if planned > 0:
        text += f"/{format_quantity(planned, qty_decimals)}"
    if price:
        text += f" @ {format_price(float(price), price_decimals_)}"
    return text


def trade_detail(trade: TradeView | None) -> str:
    """Return everything about one trade, one fact a line: legs and fills, attribution, steps, note."""
    if trade is None:
        return ""
    base = short_symbol(trade.symbol)
    qty_decimals = ASSET_DECIMALS.get(base, 5)
    px_decimals = 2 if trade.buy_price >= 100 or trade.sell_price >= 100 else 3
    header = (f"#{trade.trade_id} {trade.symbol} {route(trade.buy_venue, trade.sell_venue)} · {trade.state} · "
              f"matched {format_quantity(trade.quantity, qty_decimals)} · fees {format_money(trade.fees_usdt, 2)}"
              f" · P&L {format_money(trade.realized_pnl, 2, signed=True)}")
    legs = " · ".join((
        _leg_detail("buy", trade.buy_order_type, trade.buy_filled, trade.planned_quantity, trade.buy_price,
                    qty_decimals, px_decimals),
        _leg_detail("sell", trade.sell_order_type, trade.sell_filled, trade.planned_quantity,
                    trade.sell_price, qty_decimals, px_decimals)))
    if not is_missing(trade.decay_bps):
        legs += f" · decay {format_bps(trade.decay_bps)} bps"
    lines = [header, legs, attribution_line(trade.attribution)]
    lines.extend(f"{ROLLBACK_MARK} {index}. {step}" for index, step in enumerate(trade.steps, start=1))
    if trade.note:
        lines.append(f"note: {trade.note}")
    return "\n".join(lines)


def blotter_detail(snapshot: Snapshot, trade_id: object) -> tuple[str, str]:
    """Return the line under the blotter and its colour: the chosen trade's detail, else a summary."""
    trade = find_trade(snapshot, trade_id)
    if trade is not None:
        return trade_detail(trade), trade_state_colour(trade.state)
    if not snapshot.trades:
        return "no trades yet", theme.TEXT_DIM
    counts: dict[str, int] = {}
    for t in snapshot.trades:
        counts[str(t.state)] = counts.get(str(t.state), 0) + 1
    states = ", ".join(f"{state} {count}" for state, count in sorted(counts.items(), key=lambda kv: -kv[1]))
    rolled = sum(1 for t in snapshot.trades if t.steps)
    return (f"recent trades: {states} · {plural(rolled, 'trade')} with rollback steps\n"
            f"click a trade for its legs, {ROLLBACK_MARK} rollback steps and P&L attribution"), theme.TEXT_MUTED
