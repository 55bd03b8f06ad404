"""Formatting every page shares: prices, sizes, bps, money, times, counts, signed numbers, colours of
gains and losses, shortened text, and the row type of every list.

Prices are floats (NaN when a side is empty, shown as a dash); money is ``Decimal`` and shown with a fixed
number of decimals.
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Iterable, Sequence

import numpy as np

from octo_desktop.gui import theme

DASH = "—"
ARROW = "→"
MINUS = "−"  # U+2212: as wide as "+", so signed numbers line up
ASSET_DECIMALS = {"USDT": 2, "USDC": 2, "BTC": 5, "ETH": 4, "SOL": 3}


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


def percentiles(values: Iterable[float], points: Sequence[float] = (50, 95)) -> tuple[float, ...]:
    """Return the given percentiles of the values (NaN each when there are none)."""
    data = np.fromiter(values, dtype=float)
    if data.size == 0:
        return tuple(float("nan") for _ in points)
    return tuple(float(v) for v in np.percentile(data, points))


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


def format_signed(value: float, decimals: int = 2) -> str:
    """Format a signed number with a true minus ("+0.42", "−0.10"; "0.00" without a sign), or a dash."""
    if is_missing(value):
        return DASH
    if round(value, decimals) == 0:
        return f"{0:.{decimals}f}"
    return f"{value:+.{decimals}f}".replace("-", MINUS)


@dataclass(frozen=True, slots=True)
class Row:
    """One row of a list view: a stable key, the cell texts and a tag naming its colour."""

    key: object
    values: tuple[str, ...]
    tag: str
