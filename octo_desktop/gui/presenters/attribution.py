"""P&L attribution in words: expected, latency decay, slippage, fees, rollback and realized, costs shown as
negatives (column 4's totals and the blotter's trade detail).
"""

from __future__ import annotations

from decimal import Decimal

from octo_desktop.domain.attribution import Attribution
from octo_desktop.gui import theme
from octo_desktop.gui.presenters.format import format_money, pnl_colour


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
