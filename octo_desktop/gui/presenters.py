"""Pure functions from a ``Snapshot`` to what the views show: strings, colours, rows, the venue pair.

Nothing here imports Tk or matplotlib, so every rule of presentation is unit-tested without a display.
Prices are floats (NaN when a side is empty, shown as "—"); money is ``Decimal`` and shown with a fixed
number of decimals.
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from octo_desktop.domain.attribution import Attribution
from octo_desktop.domain.snapshot import (
    DEGRADED,
    LIVE,
    STALE,
    WAITING,
    BookView,
    OpportunityView,
    RecordingView,
    ReplayView,
    RiskEventView,
    RiskView,
    Snapshot,
    AdvisorView,
    SpoofEventView,
    SpreadMatrixView,
    SymbolSignalsView,
    TradeView,
    VenueHealthView,
)
from octo_desktop.domain.advice import AdviceRecord
from octo_desktop.gui import theme

DASH = "—"
ARROW = "→"
MINUS = "−"  # U+2212: as wide as "+", so signed numbers line up
SCORE_PARTS = ("spread", "liquidity", "slippage", "freshness", "order_flow", "execution_quality")
SCORE_PART_LABELS = {
    "spread": "spread",
    "liquidity": "liquidity",
    "slippage": "slippage",
    "freshness": "freshness",
    "order_flow": "order flow",
    "execution_quality": "exec quality",
}
ASSET_DECIMALS = {"USDT": 2, "USDC": 2, "BTC": 5, "ETH": 4, "SOL": 3}
DEFAULT_GEOMETRY = (1600, 950)
MIN_GEOMETRY = (1280, 760)

_STATUS_COLOURS = {LIVE: theme.GREEN, STALE: theme.GREY, DEGRADED: theme.ORANGE, WAITING: theme.TEXT_DIM}
_ENGINE_STATE_COLOURS = {
    "running": theme.GREEN,
    "reducing": theme.AMBER,
    "halted": theme.RED,
    "starting": theme.AMBER,
    "stopping": theme.AMBER,
    "stopped": theme.GREY,
    "failed": theme.RED,
}
# Trade state -> list tag (the tag's colour is in widgets._TAG_COLOURS) and colour.
_TRADE_STATE_TAGS = {"complete": "good", "open": "neutral", "partial": "warn", "rolled back": "alert",
                     "failed": "bad", "interrupted": "bad"}
_TRADE_STATE_COLOURS = {"complete": theme.GREEN, "open": theme.TEXT, "partial": theme.AMBER,
                        "rolled back": theme.ORANGE, "failed": theme.RED, "interrupted": theme.RED}
_RISK_STATE_COLOURS = {"ACTIVE": theme.GREEN, "REDUCING": theme.AMBER, "HALTED": theme.RED}
_GEOMETRY = re.compile(r"^\s*(\d{2,5})x(\d{2,5})")


# --------------------------------------------------------------------------------------------------
# Formatting.
# --------------------------------------------------------------------------------------------------
def is_missing(value) -> bool:
    """Return True for None and NaN (a value the view shows as a dash)."""
    return value is None or (isinstance(value, float) and math.isnan(value))


def price_decimals(price: float) -> int:
    """Return how many decimals to show for a price of this magnitude."""
    if is_missing(price) or price >= 100:
        return 2
    if price >= 1:
        return 3
    if price >= 0.01:
        return 5
    return 8


def format_price(price: float, decimals: int | None = None) -> str:
    """Format a price with fixed decimals, or a dash when it is missing."""
    if is_missing(price):
        return DASH
    if decimals is None:
        decimals = price_decimals(price)
    return f"{price:,.{decimals}f}".replace(",", "")


def format_bps(value: float, decimals: int = 1, signed: bool = True) -> str:
    """Format basis points with a sign, or a dash when missing."""
    if is_missing(value):
        return DASH
    text = f"{value:+.{decimals}f}" if signed else f"{value:.{decimals}f}"
    return text.replace("-", MINUS)


def format_ms(value: float) -> str:
    """Format a duration in milliseconds, switching to seconds above 10 s."""
    if is_missing(value) or value < 0:
        return DASH
    if value >= 10_000:
        return f"{value / 1000:.0f}s"
    return f"{value:.0f}"


def format_money(value: Decimal | float, decimals: int = 2, signed: bool = False) -> str:
    """Format an amount of money with fixed decimals and thousands separators."""
    if is_missing(value):
        return DASH
    amount = Decimal(value) if not isinstance(value, Decimal) else value
    text = f"{amount:+,.{decimals}f}" if signed else f"{amount:,.{decimals}f}"
    return text.replace("-", MINUS)


def format_quantity(value: Decimal | float, decimals: int = 5) -> str:
    """Format a base-asset quantity with fixed decimals."""
    if is_missing(value):
        return DASH
    return f"{Decimal(value) if not isinstance(value, Decimal) else value:.{decimals}f}"


def format_clock(unix_seconds: float) -> str:
    """Format engine time as HH:MM:SS in UTC."""
    if is_missing(unix_seconds):
        return DASH
    return time.strftime("%H:%M:%S", time.gmtime(unix_seconds))


def format_count(value: int) -> str:
    """Format a count with thousands separators."""
    return f"{value:,}"


def plural(count: int, noun: str) -> str:
    """Return "1 error", "2 errors": the count and the noun, plural unless the count is one."""
    return f"{format_count(count)} {noun}{'' if count == 1 else 's'}"


def short_symbol(symbol: str) -> str:
    """Return the base asset of a USDT-quoted symbol ("BTC/USDT" -> "BTC")."""
    base, _, quote = symbol.partition("/")
    return base if quote == "USDT" else symbol


def route(buy_venue: str, sell_venue: str) -> str:
    """Return "buy→sell" for a pair of venues."""
    return f"{buy_venue}{ARROW}{sell_venue}"


def pnl_colour(value: Decimal | float) -> str:
    """Return green for a gain, red for a loss, the muted colour for zero."""
    if is_missing(value) or value == 0:
        return theme.TEXT_MUTED
    return theme.GREEN if value > 0 else theme.RED


def status_colour(status: str) -> str:
    """Return the colour of a venue status dot."""
    return _STATUS_COLOURS.get(status, theme.TEXT_DIM)


def engine_state_colour(state: str) -> str:
    """Return the colour the status bar shows the engine state in."""
    return _ENGINE_STATE_COLOURS.get(state, theme.TEXT_MUTED)


def window_title(market: str, replay_path: str = "") -> str:
    """Return the window title for a market name (a replay names its file)."""
    if market == "replay" and replay_path:
        return f"Octo — paper trading · replay of {file_name(replay_path)}"
    return f"Octo — paper trading · {market} market"


def file_name(path: str) -> str:
    """Return the last part of a path written with either kind of slash."""
    return re.split(r"[\\/]", str(path))[-1]


def shorten(text: str, limit: int) -> str:
    """Return ``text`` cut to ``limit`` characters, an ellipsis marking the cut."""
    return text if len(text) <= limit else text[: max(0, limit - 1)] + "…"


def format_duration(seconds: float) -> str:
    """Format a duration as M:SS, or H:MM:SS from an hour up."""
    if is_missing(seconds) or seconds < 0:
        return DASH
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def format_rate(per_second: float) -> str:
    """Format a message rate: one decimal below 10/s, whole numbers above, thousands as "k"."""
    if is_missing(per_second) or per_second < 0:
        return DASH
    if per_second >= 10_000:
        return f"{per_second / 1000:.0f}k"
    if per_second >= 1000:
        return f"{per_second / 1000:.1f}k"
    if per_second >= 10:
        return f"{per_second:.0f}"
    return f"{per_second:.1f}"


def parse_geometry(text: object, screen: tuple[int, int] | None = None) -> tuple[int, int]:
    """Return (width, height) from a saved "WxH" setting, the default if it is unusable."""
    match = _GEOMETRY.match(text) if isinstance(text, str) else None
    if match is None:
        return DEFAULT_GEOMETRY
    width = max(MIN_GEOMETRY[0], int(match.group(1)))
    height = max(MIN_GEOMETRY[1], int(match.group(2)))
    if screen is not None:
        width = min(width, max(MIN_GEOMETRY[0], screen[0]))
        height = min(height, max(MIN_GEOMETRY[1], screen[1]))
    return width, height


def percentiles(values: Iterable[float], points: Sequence[float] = (50, 95)) -> tuple[float, ...]:
    """Return the given percentiles of the values (NaN each when there are none)."""
    data = np.fromiter(values, dtype=float)
    if data.size == 0:
        return tuple(float("nan") for _ in points)
    return tuple(float(v) for v in np.percentile(data, points))


# --------------------------------------------------------------------------------------------------
# Column 1: market.
# --------------------------------------------------------------------------------------------------
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


def format_size(size: float) -> str:
    """Format a base-asset size with decimals that suit its magnitude."""
    if is_missing(size):
        return DASH
    if size >= 1000:
        return f"{size:.0f}"
    if size >= 100:
        return f"{size:.1f}"
    if size >= 1:
        return f"{size:.2f}"
    return f"{size:.4f}"


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
# Column 1: order flow and the adaptive threshold.
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


def format_signed(value: float, decimals: int = 2) -> str:
    """Format a signed number with a true minus ("+0.42", "−0.10"; "0.00" without a sign), or a dash."""
    if is_missing(value):
        return DASH
    if round(value, decimals) == 0:
        return f"{0:.{decimals}f}"
    return f"{value:+.{decimals}f}".replace("-", MINUS)


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


# --------------------------------------------------------------------------------------------------
# Column 1: venue health.
# --------------------------------------------------------------------------------------------------
BADGE_TEXT = "#161b22"  # dark text on a filled badge
_NEUTRAL_BADGE = (theme.RAISED_BG, theme.TEXT_MUTED)
# state -> (badge text, badge background, badge text colour, long name for the detail line)
_HEALTH_STATES = {
    "live-ws": ("LIVE WS", theme.GREEN, BADGE_TEXT, "live over WebSocket"),
    "live-rest": ("REST", theme.AMBER, BADGE_TEXT, "live over REST polling"),
    "connecting": ("CONNECTING", theme.ACCENT, BADGE_TEXT, "connecting: first books arriving"),
    "reconnecting": ("RECONNECTING", theme.AMBER, BADGE_TEXT, "reconnecting"),
    "stale": ("STALE", theme.GREY, BADGE_TEXT, "stale: no recent update"),
    "down": ("DOWN", theme.RED, BADGE_TEXT, "down"),
    "simulated": ("SIM", *_NEUTRAL_BADGE, "simulated market"),
    "replay": ("REPLAY", *_NEUTRAL_BADGE, "replayed from a recording"),
}
HEALTH_ERROR_CHARS = 13  # the row's error cell; the full text is in the tooltip and the detail line


@dataclass(frozen=True, slots=True)
class HealthBadge:
    """How a venue's market-data state is shown: a short word on a coloured badge."""

    text: str
    background: str
    foreground: str
    description: str


def health_badge(state: str) -> HealthBadge:
    """Return the badge of a venue-health state (an unknown state shows as itself, neutral)."""
    known = _HEALTH_STATES.get(state)
    if known is None:
        return HealthBadge(state.upper() or DASH, *_NEUTRAL_BADGE, state or "unknown")
    return HealthBadge(*known)


@dataclass(frozen=True, slots=True)
class HealthRow:
    """One venue's line in the health table."""

    venue: str
    badge: HealthBadge
    age_ms: str
    age_colour: str
    latency_ms: str
    messages_per_s: str
    reconnects: str
    reconnects_colour: str
    error: str  # shortened to fit the row
    full_error: str
    error_colour: str
    text_colour: str


_NO_HEALTH = HealthBadge("NO DATA", *_NEUTRAL_BADGE, "no health report yet")


def health_row(venue: str, health: VenueHealthView | None,
               error_chars: int = HEALTH_ERROR_CHARS) -> HealthRow:
    """Return the health line of one venue (dashes when the engine has not reported it yet)."""
    if health is None:
        return HealthRow(venue, _NO_HEALTH, DASH, theme.TEXT_DIM, DASH, DASH, DASH, theme.TEXT_DIM, "", "",
                         theme.TEXT_DIM, theme.TEXT_DIM)
    down = health.state == "down"
    text = theme.TEXT_DIM if down else theme.TEXT
    return HealthRow(
        venue=venue,
        badge=health_badge(health.state),
        age_ms=format_ms(health.age_ms),
        age_colour=theme.AMBER if health.state == "stale" else text,
        latency_ms=format_ms(health.latency_ms),
        messages_per_s=format_rate(health.messages_per_s),
        reconnects=format_count(health.reconnects),
        reconnects_colour=theme.AMBER if health.reconnects > 0 else theme.TEXT_MUTED,
        error=shorten(health.last_error, error_chars),
        full_error=health.last_error,
        error_colour=theme.RED,
        text_colour=text,
    )


def health_venues(snapshot: Snapshot) -> tuple[str, ...]:
    """Return the venues of the health table: the snapshot's venues, then any other reported one."""
    extra = tuple(v for v in snapshot.venue_health if v not in snapshot.venues)
    return tuple(snapshot.venues) + extra


def health_rows(snapshot: Snapshot, error_chars: int = HEALTH_ERROR_CHARS) -> tuple[HealthRow, ...]:
    """Return one health line per venue."""
    return tuple(health_row(venue, snapshot.venue_health.get(venue), error_chars)
                 for venue in health_venues(snapshot))


def error_counts_text(errors) -> str:
    """Return "gap 2, checksum 1": error kinds with their counts, most frequent first."""
    items = sorted(((kind, count) for kind, count in errors.items() if count), key=lambda kv: (-kv[1], kv[0]))
    return ", ".join(f"{kind} {format_count(count)}" for kind, count in items)


def health_detail(snapshot: Snapshot, venue: str | None) -> tuple[str, str]:
    """Return the detail line under the health table, and its colour.

    For a chosen venue: its state, REST round trip, reconnects, errors by kind and the whole last
    error. With none chosen: the first venue that has an error, else a one-line summary.
    """
    reports = snapshot.venue_health
    if venue is None or venue not in reports:
        venue = next((v for v in health_venues(snapshot) if v in reports and reports[v].last_error), None)
    if venue is None:
        if not reports:
            return "venue health: waiting for the engine's first report", theme.TEXT_DIM
        usable = sum(1 for h in reports.values() if h.usable)
        reconnects = sum(h.reconnects for h in reports.values())
        errors = sum(sum(h.errors.values()) for h in reports.values())
        return (f"{usable}/{len(reports)} venues usable · {plural(reconnects, 'reconnect')} · "
                f"{plural(errors, 'error')} · click a venue for details"), theme.TEXT_MUTED
    health = reports[venue]
    parts = [venue, health_badge(health.state).description]
    if not is_missing(health.rest_rtt_ms):
        parts.append(f"REST rtt {format_ms(health.rest_rtt_ms)} ms")
    parts.append(plural(health.reconnects, "reconnect"))
    counts = error_counts_text(health.errors)
    parts.append(f"errors {counts}" if counts else "no errors")
    text = " · ".join(parts)
    if health.last_error:
        return f"{text}\nlast error: {health.last_error}", theme.RED
    return text, theme.TEXT_MUTED


# --------------------------------------------------------------------------------------------------
# Column 2: opportunities.
# --------------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class HeatmapModel:
    """The net-spread matrix of one symbol, ready to rasterise."""

    symbol: str
    venues: tuple[str, ...]
    values: np.ndarray  # (n, n) net bps; NaN on the diagonal and for excluded venues
    excluded: tuple[bool, ...]
    texts: tuple[tuple[str, ...], ...]  # annotation per cell, "" where blank

    def same_as(self, other: "HeatmapModel | None") -> bool:
        """Return True when ``other`` would render exactly the same picture."""
        return (other is not None and self.symbol == other.symbol and self.venues == other.venues
                and self.excluded == other.excluded and self.texts == other.texts)


def heatmap_cell_text(value: float) -> str:
    """Return the annotation of one heatmap cell: one decimal below 10 bps, whole bps above."""
    if is_missing(value):
        return ""
    text = f"{value:+.0f}" if abs(value) >= 9.95 else f"{value:+.1f}"
    return text.replace("-", MINUS)


def usable_net_bps(matrix: SpreadMatrixView) -> np.ndarray:
    """Return a copy of the matrix's net spreads with the diagonal and excluded venues set to NaN."""
    values = np.array(matrix.net_bps, dtype=float, copy=True)
    for i, is_excluded in enumerate(matrix.excluded):
        if is_excluded:
            values[i, :] = np.nan
            values[:, i] = np.nan
    np.fill_diagonal(values, np.nan)
    return values


def heatmap_model(snapshot: Snapshot, symbol: str) -> HeatmapModel | None:
    """Return the heatmap of ``symbol``, excluded venues and the diagonal blanked."""
    matrix = snapshot.matrices.get(symbol)
    if matrix is None:
        return None
    values = usable_net_bps(matrix)
    texts = tuple(tuple(heatmap_cell_text(v) for v in row) for row in values.tolist())
    return HeatmapModel(symbol, tuple(matrix.venues), values, tuple(bool(x) for x in matrix.excluded),
                        texts)


def best_cell(snapshot: Snapshot, symbol: str) -> tuple[str, str, float] | None:
    """Return (buy venue, sell venue, net bps) of the best usable cell of ``symbol``'s matrix."""
    matrix = snapshot.matrices.get(symbol)
    if matrix is None:
        return None
    values = usable_net_bps(matrix)
    if np.all(np.isnan(values)):
        return None
    i, j = divmod(int(np.nanargmax(values)), len(matrix.venues))
    return matrix.venues[i], matrix.venues[j], float(values[i, j])


@dataclass(frozen=True, slots=True)
class Row:
    """One row of a list view: a stable key, the cell texts and a tag naming its colour."""

    key: object
    values: tuple[str, ...]
    tag: str


OPPORTUNITY_COLUMNS = (("time", 50), ("sym", 30), ("buy→sell", 86), ("net", 40), ("score", 38),
                       ("status", 120))


def opportunity_status_text(opportunity: OpportunityView) -> str:
    """Return the status column: the status, or the reason of a rejection."""
    if opportunity.status == "rejected" and opportunity.reason:
        return opportunity.reason
    return opportunity.status


def opportunity_rows(snapshot: Snapshot, limit: int = 50) -> tuple[Row, ...]:
    """Return the newest opportunities first, keyed by their id."""
    rows = []
    for opp in snapshot.opportunities[:limit]:
        tag = {"taken": "good", "rejected": "warn"}.get(opp.status, "neutral")
        rows.append(Row(opp.opportunity_id, (
            format_clock(opp.time), short_symbol(opp.symbol), route(opp.buy_venue, opp.sell_venue),
            format_bps(opp.net_bps), f"{opp.score:.2f}", opportunity_status_text(opp)), tag))
    return tuple(rows)


def find_opportunity(snapshot: Snapshot, opportunity_id: object) -> OpportunityView | None:
    """Return the opportunity with this id if it is still in the snapshot."""
    for opp in snapshot.opportunities:
        if opp.opportunity_id == opportunity_id:
            return opp
    return None


def focus_opportunity(snapshot: Snapshot, symbol: str, selected_id: object = None) -> OpportunityView | None:
    """Return the opportunity whose score is shown: the selected one, else the newest for ``symbol``."""
    if selected_id is not None:
        chosen = find_opportunity(snapshot, selected_id)
        if chosen is not None:
            return chosen
    for opp in snapshot.opportunities:
        if opp.symbol == symbol:
            return opp
    return snapshot.opportunities[0] if snapshot.opportunities else None


@dataclass(frozen=True, slots=True)
class ScoreModel:
    """The score of one opportunity and its six parts, each in [0, 1]."""

    title: str
    score: str
    score_colour: str
    parts: tuple[tuple[str, float, str], ...]  # label, value in [0, 1], value text


def score_model(opportunity: OpportunityView | None, min_score: float) -> ScoreModel:
    """Return the score panel of an opportunity (empty bars when there is none)."""
    if opportunity is None:
        return ScoreModel("no opportunity yet", DASH, theme.TEXT_DIM,
                          tuple((SCORE_PART_LABELS[p], 0.0, DASH) for p in SCORE_PARTS))
    parts = []
    for name in SCORE_PARTS:
        value = float(opportunity.parts.get(name, math.nan))
        shown = 0.0 if math.isnan(value) else min(1.0, max(0.0, value))
        parts.append((SCORE_PART_LABELS[name], shown, DASH if math.isnan(value) else f"{value:.2f}"))
    title = (f"#{opportunity.opportunity_id} {short_symbol(opportunity.symbol)} "
             f"{route(opportunity.buy_venue, opportunity.sell_venue)} {format_bps(opportunity.net_bps)} bps")
    colour = theme.GREEN if opportunity.score >= min_score else theme.AMBER
    return ScoreModel(title, f"{opportunity.score:.2f}", colour, tuple(parts))


# --------------------------------------------------------------------------------------------------
# Column 3: book.
# --------------------------------------------------------------------------------------------------
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


def format_cost(value: Decimal, decimals: int = 2) -> str:
    """Format a cost as a negative amount ("−1.25"); a gain (negative cost) shows with a plus."""
    return format_money(-value, decimals, signed=True) if round(value, decimals) else format_money(0, decimals)


def cost_colour(value: Decimal, decimals: int = 2) -> str:
    """Return red for a cost, green for a gain (e.g. price improvement), muted for none."""
    if not round(value, decimals):
        return theme.TEXT_MUTED
    return theme.RED if value > 0 else theme.GREEN


def signed_amount(value: Decimal, decimals: int = 2) -> str:
    """Format a signed amount, with no sign when it rounds to zero."""
    return format_money(value, decimals, signed=True) if round(value, decimals) else format_money(0, decimals)


# P&L attribution rows: (caption, field, is a cost).
ATTRIBUTION_PARTS = (("expected", "expected", False), ("latency decay", "latency_decay", True),
                     ("slippage", "slippage", True), ("fees", "fees", True), ("rollback", "rollback", True),
                     ("realized", "realized", False))


def attribution_rows(attribution: Attribution, decimals: int = 2) -> tuple[tuple[str, str, str], ...]:
    """Return (caption, amount, colour) for expected, latency decay, slippage, fees, rollback, realized.

    Costs are shown as negatives (red); a negative cost, e.g. price improvement, shows as a gain (green).
    """
    rows = []
    for caption, name, is_cost in ATTRIBUTION_PARTS:
        value = getattr(attribution, name)
        if is_cost:
            rows.append((caption, format_cost(value, decimals), cost_colour(value, decimals)))
        else:
            rows.append((caption, signed_amount(value, decimals),
                         pnl_colour(round(value, decimals))))
    return tuple(rows)


def attribution_line(attribution: Attribution | None, decimals: int = 4) -> str:
    """Return a trade's attribution on one line: the parts, costs negative, then "= realized"."""
    if attribution is None:
        return "attribution: when the trade closes"
    parts = attribution_rows(attribution, decimals)
    terms = " · ".join(f"{caption} {amount}" for caption, amount, _ in parts[:-1])
    return f"{terms} = realized {parts[-1][1]}"


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


# --------------------------------------------------------------------------------------------------
# Column 4: account.
# --------------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class AccountSummary:
    """The headline numbers of the account."""

    equity: str
    equity_change: str
    equity_colour: str
    realized: str
    realized_colour: str
    fees: str
    trades: str


def account_summary(snapshot: Snapshot) -> AccountSummary:
    """Return equity, its change since the start, realized P&L, fees and the trade count."""
    change = snapshot.equity_usdt - snapshot.initial_equity_usdt
    return AccountSummary(
        equity=format_money(snapshot.equity_usdt, 2),
        equity_change=format_money(change, 2, signed=True),
        equity_colour=pnl_colour(change),
        realized=format_money(snapshot.realized_pnl, 2, signed=True),
        realized_colour=pnl_colour(snapshot.realized_pnl),
        fees=format_money(snapshot.fees_usdt, 2),
        trades=format_count(snapshot.trade_count),
    )


def balance_assets(snapshot: Snapshot) -> tuple[str, ...]:
    """Return the assets to show as balance columns: USDT first, then the symbols' base assets."""
    assets = ["USDT"]
    for symbol in snapshot.symbols:
        base = short_symbol(symbol)
        if base not in assets:
            assets.append(base)
    for balances in snapshot.balances.values():
        for asset in balances:
            if asset not in assets:
                assets.append(asset)
    return tuple(assets)


def balance_rows(snapshot: Snapshot, assets: Sequence[str]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Return (venue, amounts as text) per venue, one amount per asset with that asset's decimals."""
    rows = []
    for venue in snapshot.venues:
        balances = snapshot.balances.get(venue, {})
        cells = []
        for asset in assets:
            amount = balances.get(asset)
            cells.append(DASH if amount is None else format_money(amount, ASSET_DECIMALS.get(asset, 4)))
        rows.append((venue, tuple(cells)))
    return tuple(rows)


KILL_BUTTON_TEXT = "KILL SWITCH (Ctrl+K)"
RESUME_BUTTON_TEXT = "Resume trading"
RISK_LOG_ROWS = 4
RISK_LOG_CHARS = 64  # a risk-log line in column 4; the whole line is in its tooltip
EXCLUDED_CHARS = 34
REASON_CHARS = 64  # two lines next to the state; the whole reason is in its tooltip


def risk_state_colour(state: str) -> str:
    """Return the colour of a trading state: ACTIVE green, REDUCING amber, HALTED red."""
    return _RISK_STATE_COLOURS.get(state.upper(), theme.TEXT_MUTED)


def _of_limit(count: int, limit: int) -> str:
    return f"{count}/{limit}" if limit > 0 else f"{count}/{DASH}"


def breaker_tripped(risk: RiskView, now: float) -> bool:
    """Return True while the circuit breaker holds trading (its cooldown has not ended)."""
    return risk.breaker_until is not None and not is_missing(risk.breaker_until) and (
        is_missing(now) or risk.breaker_until > now)


def breaker_text(risk: RiskView, now: float) -> tuple[str, str]:
    """Return the breaker counters ("losses 2/5 · failed legs 1/6", "· until HH:MM:SS" when tripped)
    and their colour: red when tripped, amber when a counter is at least half way, else plain."""
    text = (f"losses {_of_limit(risk.consecutive_losses, risk.breaker_losing_trades)} · "
            f"failed legs {_of_limit(risk.failed_legs, risk.breaker_failed_legs)}")
    if breaker_tripped(risk, now):
        return f"{text} · until {format_clock(risk.breaker_until)}", theme.RED
    near = any(limit > 0 and count * 2 >= limit
               for count, limit in ((risk.consecutive_losses, risk.breaker_losing_trades),
                                    (risk.failed_legs, risk.breaker_failed_legs)))
    return text, theme.AMBER if near else theme.TEXT


def exposure_text(risk: RiskView) -> tuple[str, str]:
    """Return the largest absolute exposure against its limit ("BTC −4,321 / 5,000 USDT") and a colour:
    red above the limit, amber from 80 % of it."""
    if not risk.exposure_usdt:
        return "none", theme.TEXT_MUTED
    asset, value = max(sorted(risk.exposure_usdt.items()), key=lambda kv: abs(kv[1]))
    if not round(value, 0):
        return "none", theme.TEXT_MUTED
    amount = format_money(value, 0, signed=True)
    limit = risk.max_exposure_usdt
    if limit <= 0:
        return f"{asset} {amount} USDT", theme.TEXT
    colour = theme.RED if abs(value) > limit else theme.AMBER if abs(value) >= limit * Decimal("0.8") else theme.TEXT
    return f"{asset} {amount} / {format_money(limit, 0)} USDT", colour


def excluded_text(risk: RiskView) -> tuple[str, str]:
    """Return the venues excluded from trading with their reasons ("htx: stale, okx: gap"), or "none"."""
    if not risk.excluded_venues:
        return "none", theme.TEXT_MUTED
    return ", ".join(f"{venue}: {reason}" if reason else venue
                     for venue, reason in sorted(risk.excluded_venues.items())), theme.AMBER


def risk_event_line(event: RiskEventView) -> str:
    """Return one risk-log line: "HH:MM:SS FROM→TO trigger: reason" (one state when it did not change)."""
    states = (event.to_state if event.from_state == event.to_state
              else f"{event.from_state}{ARROW}{event.to_state}")
    text = f"{format_clock(event.time)} {states} {event.trigger}"
    return f"{text}: {event.reason}" if event.reason else text


def risk_log_lines(risk: RiskView, rows: int = RISK_LOG_ROWS,
                   chars: int = RISK_LOG_CHARS) -> tuple[tuple[str, str, str], ...]:
    """Return (shortened line, whole line, colour) for the newest ``rows`` risk events, newest first;
    each coloured by the state it led to."""
    lines = []
    for event in risk.events[:rows]:
        full = risk_event_line(event)
        lines.append((shorten(full, chars), full, risk_state_colour(event.to_state)))
    return tuple(lines)


@dataclass(frozen=True, slots=True)
class RiskPanel:
    """The risk panel and the kill-switch button."""

    state: str
    state_colour: str
    reason: str  # shortened to fit; the whole reason is ``reason_full``
    open_trades: str
    daily_pnl: str
    daily_colour: str
    threshold: str
    min_score: str
    is_halted: bool
    button_text: str
    button_colour: str
    button_hover: str
    breaker: str = ""
    breaker_colour: str = theme.TEXT
    exposure: str = ""
    exposure_colour: str = theme.TEXT
    excluded: str = ""  # shortened to fit; the whole text is ``excluded_full``
    excluded_full: str = ""
    excluded_colour: str = theme.TEXT_MUTED
    resting_orders: str = "0"
    trades: str = ""  # open trades and resting orders on one line
    strategy: str = ""  # threshold and min score on one line
    hint: str = ""
    reason_full: str = ""


def risk_panel(snapshot: Snapshot) -> RiskPanel:
    """Return the risk panel: state, reason, limits, breaker, exposure, excluded venues, resting orders,
    and what the kill-switch button does now (resume when HALTED, halt otherwise)."""
    risk = snapshot.risk
    state = risk.state.upper()
    halted = state == "HALTED"
    limit = risk.daily_loss_limit
    used = -risk.daily_pnl if risk.daily_pnl < 0 else Decimal(0)
    if halted:
        daily_colour = theme.RED
    elif limit > 0 and used >= limit * Decimal("0.5"):
        daily_colour = theme.AMBER
    else:
        daily_colour = pnl_colour(risk.daily_pnl)
    breaker, breaker_colour = breaker_text(risk, snapshot.time)
    exposure, exposure_colour = exposure_text(risk)
    excluded, excluded_colour = excluded_text(risk)
    default_reason = {"ACTIVE": "trading", "REDUCING": "reducing: no new trades"}.get(state, state.lower())
    return RiskPanel(
        state=state,
        state_colour=risk_state_colour(state),
        reason=shorten(risk.reason or default_reason, REASON_CHARS),
        reason_full=risk.reason or default_reason,
        open_trades=f"{risk.open_trades} / {risk.max_open_trades}",
        daily_pnl=f"{format_money(risk.daily_pnl, 2, signed=True)} / {MINUS}{format_money(limit, 2)}",
        daily_colour=daily_colour,
        threshold=f"{snapshot.threshold_bps:.1f} bps",
        min_score=f"{snapshot.min_score:.2f}",
        is_halted=halted,
        button_text=RESUME_BUTTON_TEXT if halted else KILL_BUTTON_TEXT,
        button_colour=theme.RESUME if halted else theme.KILL,
        button_hover=theme.RESUME_HOVER if halted else theme.KILL_HOVER,
        breaker=breaker,
        breaker_colour=breaker_colour,
        exposure=exposure,
        exposure_colour=exposure_colour,
        excluded=shorten(excluded, EXCLUDED_CHARS),
        excluded_full=excluded if risk.excluded_venues else "",
        excluded_colour=excluded_colour,
        resting_orders=format_count(risk.resting_orders),
        trades=(f"{risk.open_trades} / {risk.max_open_trades} open · "
                f"{plural(risk.resting_orders, 'resting order')}"),
        strategy=f"{snapshot.threshold_bps:.1f} bps · min score {snapshot.min_score:.2f}",
        hint=("resume clears the kill switch and breaker holds" if halted
              else "Ctrl+K halts at once"),
    )


DECISION_COLUMNS = (("time", 50), ("sym", 30), ("buy→sell", 86), ("decision", 170))


def decision_rows(snapshot: Snapshot, limit: int = 50) -> tuple[Row, ...]:
    """Return the newest decisions first; accepted ones tagged good, rejected ones warn."""
    rows = []
    seen: dict[tuple, int] = {}
    for decision in snapshot.decisions[:limit]:
        base_key = (decision.time, decision.symbol, decision.buy_venue, decision.sell_venue,
                    decision.accepted, decision.text)
        # Identical decisions at the same instant stay distinct rows.
        count = seen.get(base_key, 0)
        seen[base_key] = count + 1
        rows.append(Row((*base_key, count), (
            format_clock(decision.time), short_symbol(decision.symbol),
            route(decision.buy_venue, decision.sell_venue),
            ("✔ " if decision.accepted else "✖ ") + decision.text),
            "good" if decision.accepted else "warn"))
    return tuple(rows)


# --------------------------------------------------------------------------------------------------
# Column 4: the AI log and the spoofing log.
# --------------------------------------------------------------------------------------------------
LOG_TABS = ("Decisions", "AI log", "Spoofing")
VERDICT_FILTERS = ("EXECUTE", "SKIP", "WAIT")
FALLBACK_FILTER = "Fallback"
ADVICE_FILTERS = ("All", *VERDICT_FILTERS, FALLBACK_FILTER)
FALLBACK_MARK = "*"  # after the advisor's name when the rule advisor stood in for the configured one
# Widths in px for the list font; latency, cost, tokens and the reason are in the detail line and the
# row tooltip, as a 350 px column cannot hold nine readable columns.
ADVICE_COLUMNS = (("time", 50), ("route", 104), ("by", 40), ("verdict", 52), ("conf", 28), ("outcome", 60))
SPOOF_COLUMNS = (("time", 50), ("venue", 48), ("sym", 28), ("side", 28), ("price", 58), ("size", 42),
                 ("life", 34), ("dist", 44))
SPEND_WARN_SHARE = Decimal("0.8")  # the spend line turns amber from this share of the daily cap
ADVICE_DETAIL_CHARS = 60  # a line under the AI log; the whole record is in the tooltip
LOG_ROWS = 100  # the most rows the AI log and the spoofing log list


def format_tokens(count: int) -> str:
    """Format a token count: "850", "9.8k", "12k", "1.2M"."""
    if count >= 999_500:
        return f"{count / 1_000_000:.1f}M"
    if count >= 9_950:
        return f"{count / 1000:.0f}k"
    if count >= 1000:
        return f"{count / 1000:.1f}k"
    return str(count)


def format_usd(value: Decimal, decimals: int = 3) -> str:
    """Format US dollars ("$0.031")."""
    return f"${value:,.{decimals}f}"


def format_latency_ms(value: float) -> str:
    """Format an advisor's latency: two decimals below 1 ms (the rule advisor), whole ms above."""
    if is_missing(value) or value < 0:
        return DASH
    if value < 1:
        return f"{value:.2f}"
    return format_ms(value)


@dataclass(frozen=True, slots=True)
class AdvisorHeader:
    """The lines above the AI log: who advises, today's spend against the cap."""

    title: str
    spend: str
    spend_colour: str


def advisor_header(advisor: AdvisorView | None) -> AdvisorHeader:
    """Return the advisor's name and model, and today's calls, tokens and cost against the cap, and the budget.

    The spend line turns amber from 80 % of the cap and red at the cap (the rule advisor then decides).
    """
    if advisor is None:
        return AdvisorHeader("advisor: waiting for the engine", "", theme.TEXT_DIM)
    title = f"{advisor.name} · {advisor.model}"
    if advisor.pending:
        title += f" · {advisor.pending} pending"
    if advisor.name == "rule" and not advisor.calls:
        return AdvisorHeader(title, "offline and instant: no remote calls, no cost", theme.TEXT_MUTED)
    spend = (f"{plural(advisor.calls, 'call')} · {format_tokens(advisor.tokens_in)}/"
             f"{format_tokens(advisor.tokens_out)} tokens · {format_usd(advisor.cost_usd)} of "
             f"{format_usd(advisor.cap_usd, 2)} today · budget {format_ms(advisor.budget_ms)} ms")
    cap = advisor.cap_usd
    if cap > 0 and advisor.cost_usd >= cap:
        colour = theme.RED
    elif cap > 0 and advisor.cost_usd >= cap * SPEND_WARN_SHARE:
        colour = theme.AMBER
    else:
        colour = theme.TEXT_MUTED
    return AdvisorHeader(title, spend, colour)


def advice_by(record: AdviceRecord) -> str:
    """Return who answered: the advisor's name, marked "*" when the rule advisor stood in."""
    return f"{record.advisor}{FALLBACK_MARK}" if record.fallback else record.advisor


def is_not_traded(outcome: str) -> bool:
    """Return True for an outcome that says the advice led to no trade ("not traded (skip)", ...)."""
    return outcome.startswith("not traded")


def advice_outcome(record: AdviceRecord) -> tuple[str, str]:
    """Return the outcome cell and its list tag: the realized bps of a trade (green win, red loss),
    "pending", "not traded" or "refused" by risk (amber); a failed trade without a result is red."""
    if not record.outcome:
        return "pending", "warn"
    if record.realized_bps is not None and not is_missing(record.realized_bps):
        pnl = record.realized_pnl if record.realized_pnl is not None else record.realized_bps
        tag = "good" if pnl > 0 else "bad" if pnl < 0 else "neutral"
        return f"{format_bps(record.realized_bps)} bps", tag
    if record.outcome in ("failed", "rolled back"):
        return record.outcome, "bad"
    if record.outcome in ("open", "complete"):
        return record.outcome, "neutral"
    # Why it did not trade is in the detail line and the tooltip; the cell keeps to the verdict's fate.
    if is_not_traded(record.outcome):
        return "not traded", "warn"
    if record.outcome.startswith("refused"):
        return "refused", "warn"
    return record.outcome, "warn"


def advice_matches(record: AdviceRecord, choice: str) -> bool:
    """Return True if ``record`` passes the filter ``choice`` (see ``ADVICE_FILTERS``)."""
    if choice == FALLBACK_FILTER:
        return bool(record.fallback)
    if choice in VERDICT_FILTERS:
        return record.verdict == choice
    return True


def advice_rows(snapshot: Snapshot, choice: str = "All", limit: int = LOG_ROWS) -> tuple[Row, ...]:
    """Return the newest advice records first that pass the filter, keyed by advice id."""
    advisor = snapshot.advisor
    if advisor is None:
        return ()
    rows = []
    for record in advisor.log:
        if not advice_matches(record, choice):
            continue
        outcome, tag = advice_outcome(record)
        rows.append(Row(record.advice_id, (
            format_clock(record.time), f"{short_symbol(record.symbol)} {route(record.buy_venue, record.sell_venue)}",
            advice_by(record), record.verdict, f"{record.confidence:.2f}", outcome), tag))
        if len(rows) >= limit:
            break
    return tuple(rows)


def find_advice(snapshot: Snapshot | None, advice_id: object) -> AdviceRecord | None:
    """Return the advice record with this id if it is still in the snapshot's AI log."""
    if snapshot is None or snapshot.advisor is None or advice_id is None:
        return None
    for record in snapshot.advisor.log:
        if record.advice_id == advice_id:
            return record
    return None


def advice_outcome_text(record: AdviceRecord) -> str:
    """Return how the advice ended, in words: "complete · trade #75 · +1.88 USDT · +42.4 bps"."""
    parts = [record.outcome or "pending"]
    if record.trade_id is not None:
        parts.append(f"trade #{record.trade_id}")
    if record.realized_pnl is not None:
        parts.append(f"{format_money(record.realized_pnl, 2, signed=True)} USDT")
    if record.realized_bps is not None and not is_missing(record.realized_bps):
        parts.append(f"{format_bps(record.realized_bps)} bps")
    return " · ".join(parts)


def advice_detail(record: AdviceRecord | None) -> str:
    """Return everything about one advice, one fact a line (the row tooltip)."""
    if record is None:
        return ""
    verdict = f"{record.verdict} {record.confidence:.2f}"
    if record.size_cap_usdt is not None:
        verdict += f" · size cap {record.size_cap_usdt:,.0f} USDT"
    lines = [
        f"#{record.advice_id} {record.symbol} {route(record.buy_venue, record.sell_venue)} · "
        f"net {format_bps(record.net_bps)} bps · {verdict}",
        f"by {advice_by(record)} ({record.model}) · {format_latency_ms(record.latency_ms)} ms · "
        f"{format_tokens(record.tokens_in)}/{format_tokens(record.tokens_out)} tokens · "
        f"{format_usd(record.cost_usd, 4)}",
        f"reason: {record.reason}",
    ]
    if record.fallback:
        lines.append(f"fallback: {record.fallback}")
    lines.append(f"outcome: {advice_outcome_text(record)}")
    return "\n".join(lines)


def advice_summary(snapshot: Snapshot, advice_id: object,
                   chars: int = ADVICE_DETAIL_CHARS) -> tuple[str, str]:
    """Return the two lines under the AI log and their colour, each cut to ``chars``.

    For the chosen record: who answered, latency, cost and outcome, then the fallback reason (amber)
    or the advisor's reason. With none chosen: the advisor's last error (red), else this run's verdicts.
    """
    record = find_advice(snapshot, advice_id)
    if record is not None:
        first = (f"{advice_by(record)} · {format_latency_ms(record.latency_ms)} ms · "
                 f"{format_usd(record.cost_usd, 4)} · {record.outcome or 'pending'}")
        if record.realized_pnl is not None:
            first += f" {format_money(record.realized_pnl, 2, signed=True)} USDT"
        if record.fallback:
            return f"{shorten(first, chars)}\n{shorten(f'fallback: {record.fallback}', chars)}", theme.AMBER
        return f"{shorten(first, chars)}\n{shorten(record.reason, chars)}", theme.TEXT_MUTED
    advisor = snapshot.advisor
    if advisor is None:
        return "no advisor report yet", theme.TEXT_DIM
    counts = " · ".join(f"{verdict} {format_count(advisor.verdicts.get(verdict, 0))}"
                        for verdict in VERDICT_FILTERS)
    fallbacks = sum(1 for record in advisor.log if record.fallback)
    if advisor.last_error:
        return f"{shorten(f'last error: {advisor.last_error}', chars)}\nthis run: {counts}", theme.RED
    if not advisor.log:
        return "no advice yet: the advisor is asked about each\nopportunity before it is traded", theme.TEXT_DIM
    return (f"this run: {counts} · {plural(fallbacks, 'fallback')}\n"
            f"click a row for its reason, cost and outcome"), theme.TEXT_MUTED


def spoof_rows(snapshot: Snapshot, limit: int = LOG_ROWS) -> tuple[Row, ...]:
    """Return the newest spoofing events first; bids green, asks red."""
    rows = []
    seen: dict[tuple, int] = {}
    for event in snapshot.spoof_events[:limit]:
        base_key = (event.time, event.venue, event.symbol, event.side, event.price)
        count = seen.get(base_key, 0)  # two events alike at the same instant stay distinct rows
        seen[base_key] = count + 1
        rows.append(Row((*base_key, count), (
            format_clock(event.time), event.venue, short_symbol(event.symbol), event.side,
            format_price(event.price), format_size(event.size), f"{event.lifetime_s:.1f}s",
            format_bps(event.distance_bps, 1, signed=False)), "good" if event.side == "bid" else "bad"))
    return tuple(rows)


def find_spoof(snapshot: Snapshot | None, key: object) -> SpoofEventView | None:
    """Return the spoofing event of a ``spoof_rows`` key if it is still in the snapshot."""
    if snapshot is None or not isinstance(key, tuple) or len(key) != 6:
        return None
    matches = [e for e in snapshot.spoof_events if (e.time, e.venue, e.symbol, e.side, e.price) == key[:5]]
    return matches[key[5]] if key[5] < len(matches) else None


def spoof_detail(event: SpoofEventView | None) -> str:
    """Return one spoofing event in words (the row tooltip)."""
    if event is None:
        return ""
    traded = f"{format_size(event.traded)} traded" if event.traded > 0 else "none of it traded"
    return (f"{format_clock(event.time)} {event.venue} {event.symbol}: a {format_size(event.size)} {event.side} "
            f"at {format_price(event.price)}, {format_bps(event.distance_bps, 1, signed=False)} bps from the "
            f"touch, pulled after {event.lifetime_s:.1f} s as the price came near; {traded}")


def spoof_summary(snapshot: Snapshot, window_s: float = 60.0) -> tuple[str, str]:
    """Return the line above the spoofing log: this run's count, the last minute's, the busiest venue."""
    if not snapshot.spoof_count and not snapshot.spoof_events:
        return "no spoofing detected yet", theme.TEXT_DIM
    recent = sum(1 for e in snapshot.spoof_events if snapshot.time - e.time <= window_s)
    venues: dict[str, int] = {}
    for event in snapshot.spoof_events:
        venues[event.venue] = venues.get(event.venue, 0) + 1
    busiest, count = max(sorted(venues.items()), key=lambda kv: kv[1]) if venues else (DASH, 0)
    text = (f"{plural(snapshot.spoof_count, 'event')} this run · {recent} in the last minute"
            f" · most: {busiest} ({count} listed)")
    return text, theme.AMBER if recent else theme.TEXT_MUTED


# --------------------------------------------------------------------------------------------------
# Status bar.
# --------------------------------------------------------------------------------------------------
_MARKET_SOURCES = {"simulated": ("SIMULATED", theme.TEXT_MUTED), "live": ("LIVE", theme.GREEN),
                   "replay": ("REPLAY", theme.ACCENT)}


def market_source(market: str, replay: ReplayView | None = None) -> tuple[str, str]:
    """Return where the market data come from, and its colour: SIMULATED, LIVE or REPLAY <file>."""
    text, colour = _MARKET_SOURCES.get(market, ((market or DASH).upper(), theme.TEXT_MUTED))
    if market == "replay" and replay is not None and replay.path:
        text = f"REPLAY {file_name(replay.path)}"
    return text, colour


@dataclass(frozen=True, slots=True)
class StatusLine:
    """The texts of the status bar, field by field."""

    engine: str
    engine_colour: str
    market: str
    market_colour: str
    speed: str
    events: str
    events_per_second: str
    trades: str
    frame: str
    error: str
    source: str


def status_line(snapshot: Snapshot | None, frame_p50_ms: float, frame_p95_ms: float, source: str,
                gui_error: str = "", market: str = "", is_running: bool = True) -> StatusLine:
    """Return the status bar fields; before the first snapshot the engine shows as starting."""
    frame = (f"frame {frame_p50_ms:.1f}/{frame_p95_ms:.1f} ms p50/p95"
             if not (math.isnan(frame_p50_ms) or math.isnan(frame_p95_ms)) else "frame — ms")
    if snapshot is None:
        engine, colour = ("engine starting", theme.AMBER) if is_running else ("engine stopped", theme.RED)
        market_text, market_colour = market_source(market) if market else (DASH, theme.TEXT_MUTED)
        return StatusLine(engine, colour, market_text, market_colour, "speed —",
                          "events 0", "0 ev/s", "trades 0", frame, gui_error, f"config: {source}")
    # A GUI error first (it is about this window), then the engine's last error.
    error = " · ".join(text for text in (gui_error, snapshot.last_error) if text)
    speed = snapshot.speed if snapshot.speed == "max" else f"{snapshot.speed}×"
    # The last snapshot may still say "running" after the runtime thread died: trust the thread.
    state = snapshot.engine_state if is_running else "stopped"
    market_text, market_colour = market_source(snapshot.market, snapshot.replay)
    return StatusLine(
        engine=f"engine {state}",
        engine_colour=engine_state_colour(state) if is_running else theme.RED,
        market=market_text,
        market_colour=market_colour,
        speed=f"speed {speed}",
        events=f"events {format_count(snapshot.events)}",
        events_per_second=f"{snapshot.events_per_second:,.0f} ev/s",
        trades=f"trades {format_count(snapshot.trade_count)}",
        frame=frame,
        error=error,
        source=f"config: {source}",
    )


# --------------------------------------------------------------------------------------------------
# Control bar: recording and replay.
# --------------------------------------------------------------------------------------------------
RECORDING_SUFFIX = ".jsonl.gz"


def default_recording_path(data_dir: str | Path, unix_seconds: float) -> Path:
    """Return ``<data dir>/recordings/octo-<UTC yyyymmdd-HHMMSS>.jsonl.gz`` for a recording started now."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime(unix_seconds))
    return Path(data_dir) / "recordings" / f"octo-{stamp}{RECORDING_SUFFIX}"


@dataclass(frozen=True, slots=True)
class RecordingModel:
    """The record toggle and the line next to it."""

    is_recording: bool
    button_text: str
    button_colour: str
    button_hover: str
    text: str
    text_colour: str
    full_text: str  # untruncated, for the tooltip


REC_BUTTON_OFF = "●  REC"
REC_BUTTON_ON = "■  STOP"


def recording_model(recording: RecordingView | None, now: float, is_recording: bool | None = None,
                    text_chars: int = 64) -> RecordingModel:
    """Return the record toggle and the recording's file, event count, duration and error.

    ``is_recording`` overrides the snapshot while a start or stop the user asked for is on its way.
    """
    recording_now = (recording is not None) if is_recording is None else is_recording
    if not recording_now:
        full, colour = "not recording", theme.TEXT_DIM
        if recording is not None and recording.error:
            full, colour = f"recording error: {recording.error}", theme.RED
        return RecordingModel(False, REC_BUTTON_OFF, theme.RAISED_BG, "#404040", shorten(full, text_chars),
                              colour, full)
    if recording is None:
        full, colour = "starting the recording…", theme.TEXT_MUTED
    elif recording.error:
        full, colour = f"{file_name(recording.path)} · recording error: {recording.error}", theme.RED
    else:
        duration = format_duration(now - recording.started) if not is_missing(now) else DASH
        full = (f"● {file_name(recording.path)} · {format_count(recording.events)} events · {duration}")
        colour = theme.RED
    return RecordingModel(True, REC_BUTTON_ON, theme.KILL, theme.KILL_HOVER, shorten(full, text_chars),
                          colour, full)


# Replay speeds offered, and the ControlReplay speed each one asks for (None = as fast as possible).
REPLAY_SPEEDS = (("1×", 1.0), ("10×", 10.0), ("100×", 100.0), ("max", None))


def replay_speed_label(speed: str) -> str:
    """Return the speed button that matches a snapshot's speed ("10" -> "10×", "max" -> "max")."""
    if speed == "max":
        return "max"
    try:
        return f"{float(speed):g}×"
    except ValueError:
        return speed


def replay_speed_value(label: str) -> float | None:
    """Return the speed factor of a speed button (None for "max")."""
    for name, value in REPLAY_SPEEDS:
        if name == label:
            return value
    raise ValueError(f"unknown replay speed {label!r}")


@dataclass(frozen=True, slots=True)
class ReplayModel:
    """The replay controls: play/pause, speed, progress and position."""

    play_text: str
    can_play: bool
    speed: str
    progress: float  # in [0, 1], rounded so the bar redraws only on a visible change
    position: str
    status: str
    status_colour: str


def replay_model(replay: ReplayView, paused: bool | None = None, speed: str | None = None) -> ReplayModel:
    """Return the replay controls; ``paused``/``speed`` override the snapshot while a change is on its way."""
    is_paused = replay.paused if paused is None else paused
    end_known = not is_missing(replay.end)
    stopped = replay.finished and bool(replay.error)  # a damaged recording ends where the damage starts
    progress = 1.0 if replay.finished and not stopped else round(replay.progress, 3)
    events = f"{format_count(replay.events)} events"
    if stopped:
        name = file_name(replay.path)
        reason = replay.error.replace(replay.path, name) if replay.path else replay.error
        play_text, status, colour = "▶  Play", shorten(f"stopped · {events} · {reason}", 90), theme.RED
    elif replay.finished:
        play_text, status, colour = "▶  Play", f"finished · {events}", theme.GREEN
    elif is_paused:
        play_text, status, colour = "▶  Play", f"paused · {events}", theme.AMBER
    else:
        play_text, colour = "❚❚  Pause", theme.TEXT_MUTED
        # Until the reader has seen the recording's end there is no percentage: say how far it got.
        done = f"{progress * 100:.0f} %" if end_known else f"{format_duration(replay.position - replay.start)} in"
        status = f"{done} · {events}"
    end = format_clock(replay.end) if end_known else "…"
    # The engine clock runs on after the last event; the replay's position stops at the end.
    at = min(replay.position, replay.end) if end_known else replay.position
    position = f"{format_clock(at)} / {end} UTC"
    return ReplayModel(play_text, not replay.finished, replay_speed_label(replay.speed if speed is None
                                                                          else speed),
                       progress, position, status, colour)


class PendingChoice:
    """Remember what the user just asked the engine for, until a snapshot agrees or ``timeout_s`` passes.

    Without it a control would flick back to the old value for the few frames the command takes to
    reach the engine and come back in a snapshot.
    """

    def __init__(self, timeout_s: float = 3.0) -> None:
        self.timeout_s = timeout_s
        self._value: object = None
        self._since = -math.inf
        self._active = False

    def request(self, value: object, now: float) -> None:
        """Note that ``value`` was asked for at ``now``."""
        self._value, self._since, self._active = value, now, True

    def clear(self) -> None:
        """Forget any request (e.g. when the runtime is replaced)."""
        self._active = False

    def shown(self, actual: object, now: float) -> object:
        """Return the value to show: the requested one while it is on its way, else ``actual``."""
        if self._active and (actual == self._value or now - self._since > self.timeout_s):
            self._active = False
        return self._value if self._active else actual


# --------------------------------------------------------------------------------------------------
# The welcome screen.
# --------------------------------------------------------------------------------------------------
WELCOME_SETTING = "welcome_shown"  # settings key: the welcome was dismissed once


@dataclass(frozen=True, slots=True)
class WelcomeModel:
    """What the one-screen welcome says: paragraphs, then (label, path, note) rows of where data lives."""

    title: str
    paragraphs: tuple[str, ...]
    places: tuple[tuple[str, str, str], ...]
    button: str


MARKET_WELCOME = {
    "simulated": "You are on the simulated market: a built-in market of {venues} venues and {symbols} symbols "
                 "that needs no network, no keys and no server. Started with --market live, Octo watches "
                 "the real venues instead, still trading on paper.",
    "live": "You are on the live market: real order books from {venues} venues, traded on paper.",
    "replay": "You are watching a replay of a recording, traded on paper as if it were live.",
}


def welcome_model(market: str, venues: int, symbols: int, database: Path, recordings: Path,
                  config_path: Path, config_exists: bool) -> WelcomeModel:
    """Return the welcome for a session on ``market`` and the places its data and settings live."""
    paragraphs = (
        "Octo watches the order books of many crypto venues at once, finds where the same asset can be "
        "bought on one venue and sold on another for more than every cost, and trades those chances.",
        "It trades on paper: no order reaches an exchange and no exchange keys are needed. Each fill is "
        "simulated against the books after the venue's latency, with taker fees, lot sizes, partial fills "
        "and the risk limits, so the P&L it shows is one you could really have made.",
        MARKET_WELCOME.get(market, MARKET_WELCOME["simulated"]).format(venues=venues, symbols=symbols),
        "Ctrl+K (or the kill switch at the bottom right) halts trading at once. Closing the window stops "
        "everything; your trades, balances and settings are kept for the next start.",
    )
    config_note = "" if config_exists else "not created yet: built-in defaults apply; `config init` writes one"
    places = (
        ("Trades, fills, balances, settings", str(database), ""),
        ("Recordings", str(recordings), ""),
        ("Config file", str(config_path), config_note),
    )
    return WelcomeModel("Welcome to Octo", paragraphs, places, "Start paper trading")


def wants_welcome(config_named: bool, config_exists: bool, settings) -> bool:
    """Return True for a first start: no config file (none named, none at the default place) and the
    welcome never dismissed in this database."""
    return not config_named and not config_exists and not settings.get(WELCOME_SETTING)
