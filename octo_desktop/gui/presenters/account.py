"""Column 4 of the arbitrage page, Account: equity, realized P&L and fees, balances, and the risk panel
(open trades, daily loss, breaker, exposure, excluded venues, thresholds) with the risk log.

The trading state and the kill switch belong to every desk: the bar at the top of the window shows them
(``shell.risk_headline``).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Sequence

from octo_desktop.config.schema import RULES
from octo_desktop.domain.snapshot import RiskEventView, RiskView, Snapshot
from octo_desktop.gui import theme
from octo_desktop.gui.presenters.format import (
    ARROW,
    ASSET_DECIMALS,
    DASH,
    MINUS,
    format_clock,
    format_count,
    format_money,
    is_missing,
    plural,
    pnl_colour,
    short_symbol,
    shorten,
)
from octo_desktop.gui.presenters.shell import risk_state_colour


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

RISK_LOG_ROWS = 4
RISK_LOG_CHARS = 64  # a risk-log line in column 4; the whole line is in its tooltip
EXCLUDED_CHARS = 34


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
    """The risk panel of column 4: the limits and how close the engine is to each."""

    open_trades: str
    daily_pnl: str
    daily_colour: str
    threshold: str
    min_score: str
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


def risk_panel(snapshot: Snapshot) -> RiskPanel:
    """Return the risk panel: open trades, daily loss against its limit, breaker, exposure, excluded venues,
    resting orders and the thresholds."""
    risk = snapshot.risk
    limit = risk.daily_loss_limit
    used = -risk.daily_pnl if risk.daily_pnl < 0 else Decimal(0)
    if risk.state.upper() == "HALTED":
        daily_colour = theme.RED
    elif limit > 0 and used >= limit * Decimal("0.5"):
        daily_colour = theme.AMBER
    else:
        daily_colour = pnl_colour(risk.daily_pnl)
    breaker, breaker_colour = breaker_text(risk, snapshot.time)
    exposure, exposure_colour = exposure_text(risk)
    excluded, excluded_colour = excluded_text(risk)
    return RiskPanel(
        open_trades=f"{risk.open_trades} / {risk.max_open_trades}",
        daily_pnl=f"{format_money(risk.daily_pnl, 2, signed=True)} / {MINUS}{format_money(limit, 2)}",
        daily_colour=daily_colour,
        threshold=f"{snapshot.threshold_bps:.1f} bps",
        min_score=f"{snapshot.min_score:.2f}",
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
    )


_THRESHOLD_RULE = RULES["strategy"]["threshold_bps"]  # the range the config accepts for the same setting
THRESHOLD_RANGE_BPS = (_THRESHOLD_RULE.low, _THRESHOLD_RULE.high)


def parse_thresholds(threshold_text: str, min_score_text: str) -> tuple[float, float] | str:
    """Return (base threshold bps, minimum score) from what the trader typed, or one line saying what is wrong."""
    try:
        threshold = float(threshold_text.strip())
    except ValueError:
        return f"threshold: {threshold_text.strip() or 'nothing'} is not a number of bps"
    low, high = THRESHOLD_RANGE_BPS
    if not (low <= threshold <= high):  # NaN fails too
        return f"threshold: from {low:g} to {high:g} bps"
    try:
        min_score = float(min_score_text.strip())
    except ValueError:
        return f"minimum score: {min_score_text.strip() or 'nothing'} is not a number"
    if not (0.0 <= min_score <= 1.0):
        return "minimum score: from 0 to 1"
    return threshold, min_score
