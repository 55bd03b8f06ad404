"""Column 1 of the arbitrage page, Market: each venue's prices of the chosen symbol, the consolidated
book, every symbol's summary, the session, the rejections, and the order flow with the adaptive threshold.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from octo_desktop.domain.snapshot import DEGRADED, LIVE, STALE, WAITING, Snapshot, SymbolSignalsView
from octo_desktop.gui import theme
from octo_desktop.gui.presenters.format import (
    DASH,
    MINUS,
    format_bps,
    format_count,
    format_ms,
    format_price,
    format_signed,
    format_size,
    is_missing,
    pnl_colour,
    price_decimals,
    route,
    short_symbol,
)
from octo_desktop.gui.presenters.opportunities import best_cell

_STATUS_COLOURS = {LIVE: theme.GREEN, STALE: theme.GREY, DEGRADED: theme.ORANGE, WAITING: theme.TEXT_DIM}


def status_colour(status: str) -> str:
    """Return the colour of a venue status dot."""
    return _STATUS_COLOURS.get(status, theme.TEXT_DIM)


@dataclass(frozen=True, slots=True)
class PriceRow:
    """One venue's line in the prices table."""

    venue: str
    dot_colour: str
    venue_colour: str
    bid: str
    bid_colour: str
    ask: str
    ask_colour: str
    spread_bps: str
    age_ms: str
    latency_ms: str
    text_colour: str


def price_rows(snapshot: Snapshot, symbol: str) -> tuple[PriceRow, ...]:
    """Return one row per venue for ``symbol``, best bid and best ask highlighted."""
    books = [snapshot.books.get((venue, symbol)) for venue in snapshot.venues]
    usable = [b for b in books if b is not None and b.status == LIVE]
    best_bid = max((b.bid for b in usable if not math.isnan(b.bid)), default=math.nan)
    best_ask = min((b.ask for b in usable if not math.isnan(b.ask)), default=math.nan)
    reference = next((b.bid for b in books if b is not None and not math.isnan(b.bid)), math.nan)
    decimals = price_decimals(reference)
    rows = []
    for venue, book in zip(snapshot.venues, books):
        if book is None:
            rows.append(PriceRow(venue, status_colour(WAITING), theme.TEXT_DIM, DASH, theme.TEXT_DIM,
                                 DASH, theme.TEXT_DIM, DASH, DASH, DASH, theme.TEXT_DIM))
            continue
        live = book.status == LIVE
        text = theme.TEXT if live else theme.TEXT_DIM
        bid_colour = theme.BID if live and book.bid == best_bid else text
        ask_colour = theme.ASK if live and book.ask == best_ask else text
        rows.append(PriceRow(
            venue=venue,
            dot_colour=status_colour(book.status),
            venue_colour=text,
            bid=format_price(book.bid, decimals),
            bid_colour=bid_colour,
            ask=format_price(book.ask, decimals),
            ask_colour=ask_colour,
            spread_bps=format_bps(book.spread_bps, 1, signed=False),
            age_ms=format_ms(book.age_ms),
            latency_ms=format_ms(book.latency_ms),
            text_colour=text,
        ))
    return tuple(rows)


def consolidated_rows(snapshot: Snapshot, symbol: str, depth: int = 5) -> tuple[tuple[str, ...], ...]:
    """Return the best ``depth`` levels across live venues: (venue, size, bid, ask, size, venue)."""
    bids: list[tuple[float, float, str]] = []
    asks: list[tuple[float, float, str]] = []
    for venue in snapshot.venues:
        book = snapshot.books.get((venue, symbol))
        if book is None or book.status != LIVE:
            continue
        bids.extend((p, q, venue) for p, q in book.bids[:depth].tolist())
        asks.extend((p, q, venue) for p, q in book.asks[:depth].tolist())
    bids.sort(key=lambda level: -level[0])
    asks.sort(key=lambda level: level[0])
    reference = bids[0][0] if bids else (asks[0][0] if asks else math.nan)
    decimals = price_decimals(reference)
    rows = []
    for index in range(depth):
        bid = bids[index] if index < len(bids) else (math.nan, math.nan, "")
        ask = asks[index] if index < len(asks) else (math.nan, math.nan, "")
        rows.append((bid[2], format_size(bid[1]) if bid[2] else "", format_price(bid[0], decimals),
                     format_price(ask[0], decimals), format_size(ask[1]) if ask[2] else "", ask[2]))
    return tuple(rows)


@dataclass(frozen=True, slots=True)
class SymbolSummaryRow:
    """One symbol's line in the all-symbols summary: mark, best pair, best net spread."""

    symbol: str
    mark: str
    live_venues: str
    best_route: str
    best_net_bps: str
    best_colour: str
    threshold_bps: str = DASH  # the symbol's adaptive minimum net spread


def symbol_threshold_bps(snapshot: Snapshot, symbol: str) -> float:
    """Return the minimum net spread of ``symbol`` now: its adaptive threshold, else the base one."""
    signals = snapshot.signals.get(symbol)
    return signals.threshold_bps if signals is not None else snapshot.threshold_bps


def symbol_summary_rows(snapshot: Snapshot) -> tuple[SymbolSummaryRow, ...]:
    """Return one summary line per symbol, from the marks, the spread matrices and the thresholds.

    The best net spread is green when it clears the symbol's adaptive threshold, amber when it is
    positive but below it.
    """
    rows = []
    for symbol in snapshot.symbols:
        base = short_symbol(symbol)
        mark = snapshot.marks.get(base, math.nan)
        live = sum(1 for v in snapshot.venues
                   if (b := snapshot.books.get((v, symbol))) is not None and b.status == LIVE)
        threshold = symbol_threshold_bps(snapshot, symbol)
        pair = best_cell(snapshot, symbol)
        if pair is None:
            best_route, best_text, colour = DASH, DASH, theme.TEXT_DIM
        else:
            buy, sell, value = pair
            best_route, best_text = route(buy, sell), format_bps(value)
            colour = theme.GREEN if value >= threshold else (
                theme.TEXT_MUTED if value < 0 else theme.AMBER)
        rows.append(SymbolSummaryRow(symbol, format_price(mark), f"{live}/{len(snapshot.venues)}",
                                     best_route, best_text, colour, format_bps(threshold, signed=False)))
    return tuple(rows)


def rejection_rows(snapshot: Snapshot, limit: int = 6) -> tuple[tuple[str, str], ...]:
    """Return the most frequent rejection reasons with their counts, most frequent first."""
    items = sorted(snapshot.rejections.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
    return tuple((reason, format_count(count)) for reason, count in items)


def session_rows(snapshot: Snapshot) -> tuple[tuple[str, str, str], ...]:
    """Return (caption, value, colour) lines summarising the session: counts, hit rate, edge kept.

    The first four count the whole run; the last four are over the recent trades the snapshot holds.
    """
    rejected = sum(snapshot.rejections.values())
    found = snapshot.opportunity_count
    trades = snapshot.trades
    expected = [t.expected_bps for t in trades if not math.isnan(t.expected_bps)]
    realized = [t.realized_bps for t in trades if not math.isnan(t.realized_bps)]
    wins = sum(1 for t in trades if t.realized_pnl > 0)
    take_rate = f"{snapshot.trade_count / found * 100:.0f} %" if found else DASH
    avg_expected = sum(expected) / len(expected) if expected else math.nan
    avg_realized = sum(realized) / len(realized) if realized else math.nan
    kept = (f"{avg_realized / avg_expected * 100:.0f} %"
            if expected and realized and avg_expected > 0 else DASH)
    muted = theme.TEXT
    return (
        ("opportunities", format_count(found), muted),
        ("trades taken", format_count(snapshot.trade_count), muted),
        ("rejected", format_count(rejected), theme.AMBER if rejected else muted),
        ("take rate", take_rate, muted),
        ("avg expected", f"{format_bps(avg_expected)} bps" if expected else DASH, muted),
        ("avg realized", f"{format_bps(avg_realized)} bps" if realized else DASH,
         pnl_colour(avg_realized) if realized else muted),
        ("edge kept", kept, muted),
        ("winning trades", f"{wins} / {len(trades)}" if trades else DASH, muted),
    )


# --------------------------------------------------------------------------------------------------
# Order flow and the adaptive threshold.
# --------------------------------------------------------------------------------------------------
DIRECTION_NEUTRAL = 0.05  # a direction closer to 0 than this reads as none (muted, no arrow)
SUSPECT_MARK = "⚠ spoof"
THRESHOLD_HELP = (
    "min net spread: the net spread after fees an opportunity must clear now, the base threshold plus "
    "the volatility multiplier times the symbol's realised volatility (bps per sample), at most "
    "strategy.threshold_max_bps.\n"
    "imbalance: top-of-book bid/ask size imbalance; cvd: buy minus sell volume over the window; drift: "
    "trade VWAP minus mid; direction: the venue's short-horizon estimate in [−1, 1] from the three; "
    "market: the venues' aggregate.\n"
    f"{SUSPECT_MARK}: large levels on that book are discounted as likely spoofs.")


def format_flow_amount(value: float) -> str:
    """Format a signed base-asset amount compactly: "+2.22", "+14.2", "+124", "+9.3k", "+12k"."""
    if is_missing(value):
        return DASH
    size = abs(value)
    if size >= 9_999.5:
        text = f"{value / 1000:+.0f}k"
    elif size >= 999.5:
        text = f"{value / 1000:+.1f}k"
    elif size >= 99.95:
        text = f"{value:+.0f}"
    elif size >= 9.995:
        text = f"{value:+.1f}"
    else:
        text = f"{value:+.2f}"
    return text.replace("-", MINUS)


def direction_text(direction: float) -> tuple[str, str]:
    """Return a direction in [-1, 1] as "↑ +0.23" (green), "↓ −0.35" (red) or "· +0.01" (muted)."""
    if is_missing(direction):
        return DASH, theme.TEXT_DIM
    if direction >= DIRECTION_NEUTRAL:
        return f"↑ {format_signed(direction)}", theme.GREEN
    if direction <= -DIRECTION_NEUTRAL:
        return f"↓ {format_signed(direction)}", theme.RED
    return f"· {format_signed(direction)}", theme.TEXT_MUTED


@dataclass(frozen=True, slots=True)
class FlowRow:
    """One venue's order flow for the selected symbol."""

    venue: str
    imbalance: str  # top-N book imbalance, [-1, 1]
    cvd: str  # cumulative volume delta over the flow window, base units
    drift_bps: str  # trade VWAP minus mid; a dash without trades
    direction: str  # arrow and signed value
    direction_colour: str
    suspect: str  # SUSPECT_MARK when the book's large levels are discounted as likely spoofs, else ""
    text_colour: str


def flow_rows(snapshot: Snapshot, symbol: str) -> tuple[FlowRow, ...]:
    """Return one order-flow line per venue for ``symbol`` (dashes until the engine reports signals)."""
    signals = snapshot.signals.get(symbol)
    if signals is None:
        return tuple(FlowRow(venue, DASH, DASH, DASH, DASH, theme.TEXT_DIM, "", theme.TEXT_DIM)
                     for venue in snapshot.venues)
    rows = []
    for flow in signals.flows:
        direction, colour = direction_text(flow.direction)
        rows.append(FlowRow(
            venue=flow.venue,
            imbalance=format_signed(flow.book_imbalance),
            cvd=format_flow_amount(flow.cvd),
            drift_bps=format_bps(flow.vwap_drift_bps),
            direction=direction,
            direction_colour=colour,
            suspect=SUSPECT_MARK if flow.suspect else "",
            text_colour=theme.TEXT,
        ))
    return tuple(rows)


@dataclass(frozen=True, slots=True)
class ThresholdLine:
    """The adaptive threshold of the selected symbol and the market's aggregate direction."""

    text: str
    colour: str
    market: str
    market_colour: str


def threshold_line(signals: SymbolSignalsView | None, vol_multiplier: float | None = None) -> ThresholdLine:
    """Return "min net spread 5.9 bps = base 5.0 + 1.0 × vol 0.91 bps" and "market ↓ −0.17".

    The threshold is ``min(cap, base + vol_multiplier × volatility)``: when the cap bound, the line says
    so. Without the multiplier the base and the volatility are shown side by side.
    """
    if signals is None:
        return ThresholdLine("min net spread: waiting for the engine's signals", theme.TEXT_DIM,
                             f"market {DASH}", theme.TEXT_DIM)
    threshold = format_bps(signals.threshold_bps, signed=False)
    base = format_bps(signals.base_bps, signed=False)
    volatility = format_bps(signals.volatility_bps, 2, signed=False)
    if vol_multiplier is None:
        text = f"min net spread {threshold} bps · base {base} · vol {volatility} bps"
    else:
        multiplier = f"{vol_multiplier:.1f}" if round(vol_multiplier, 1) == vol_multiplier else f"{vol_multiplier:g}"
        terms = f"base {base} + {multiplier} × vol {volatility} bps"
        uncapped = signals.base_bps + vol_multiplier * signals.volatility_bps
        if uncapped > signals.threshold_bps + 0.05:
            text = f"min net spread {threshold} bps (cap) < {terms}"
        else:
            text = f"min net spread {threshold} bps = {terms}"
    market, colour = direction_text(signals.market_direction)
    return ThresholdLine(text, theme.TEXT, f"market {market}", colour)
