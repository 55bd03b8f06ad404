"""The treasury page: funds against targets, transfers with their confirmations, the ticket's preview, the
rebalance log. Pure: strings, colours and rows from a snapshot (and, for the ticket, the config's networks)."""

from __future__ import annotations

import math
from decimal import Decimal, InvalidOperation
from typing import Mapping, Sequence

from octo_desktop.config import QUOTE_ASSET, WALLET
from octo_desktop.domain.snapshot import TreasuryView
from octo_desktop.gui import theme
from octo_desktop.gui.presenters.format import (
    ARROW, ASSET_DECIMALS, DASH, Row, format_clock, format_duration, format_money, shorten,
)
from octo_desktop.treasury.networks import TransferRefused, choose_route, wallet_networks

AUTO = "cheapest"  # the ticket's network choice when none is named


def funds_cell(balance: Decimal, target: Decimal | None, asset: str, upper: float,
               inner: float) -> tuple[str, str, str]:
    """A balance against its target: (text, foreground, background). Red beyond the upper band below the
    target, amber below the inner band, blue beyond the upper band above it, plain within the bands."""
    text = format_money(balance, ASSET_DECIMALS.get(asset, 4))
    if target is None or target <= 0:
        return text, theme.TEXT, theme.PANEL_BG
    ratio = float(balance / target)
    text = f"{text} {ratio:4.0%}"
    if ratio < 1 - upper:
        return text, theme.TEXT, "#5a1e1e"
    if ratio < 1 - inner:
        return text, theme.TEXT, "#4d3b12"
    if ratio > 1 + upper:
        return text, theme.TEXT, "#1c3550"
    return text, theme.TEXT, theme.PANEL_BG


def funds_table(view: TreasuryView | None, balances: Mapping[str, Mapping[str, Decimal]], venues: Sequence[str],
                assets: Sequence[str], upper: float, inner: float) -> list[tuple[str, list[tuple[str, str, str]]]]:
    """Rows of (place, cells): each venue's balance of each asset against its target, then the wallet's."""
    targets = view.targets if view is not None else {}
    rows = []
    for venue in (*venues, WALLET):
        held = balances.get(venue, {})
        cells = [funds_cell(held.get(asset, Decimal(0)), targets.get((venue, asset)) if venue != WALLET else None,
                            asset, upper, inner) for asset in assets]
        rows.append((venue, cells))
    return rows


def transfer_rows(view: TreasuryView | None, now: float) -> list[Row]:
    """The transfers, open first: id, state, amount, route, network, confirmations, when credited (or ETA)."""
    if view is None:
        return []
    rows = []
    for t in view.transfers:
        if t.credited_at is not None:
            when = format_clock(t.credited_at)
        elif t.state == "cancelled":
            when = DASH
        else:
            when = "in " + format_duration(max(0.0, t.expected_credit_at - now))
        tag = {"unlocked": "dim", "credited": "good", "cancelled": "bad"}.get(t.state, "warn")
        rows.append(Row(t.transfer_id, (
            f"#{t.transfer_id}", t.state, f"{format_money(t.amount, ASSET_DECIMALS.get(t.asset, 4))} {t.asset}",
            f"{t.from_venue}{ARROW}{t.to_venue}", t.network,
            f"{min(t.confirmations, t.unlock_confirmations)}/{t.credit_confirmations}"
            + (f" ({t.unlock_confirmations})" if t.unlock_confirmations != t.credit_confirmations else ""),
            when), tag))
    return rows


def transfer_note(view: TreasuryView | None, transfer_id: object) -> str:
    """Why the transfer took its network: the chosen cost and every alternative's (or why it was refused)."""
    if view is None:
        return ""
    for t in view.transfers:
        if t.transfer_id == transfer_id:
            return (f"#{t.transfer_id} ({t.purpose}), fee {t.fee:f} {t.asset}: {t.note}" if t.note
                    else f"#{t.transfer_id} ({t.purpose})")
    return ""


def in_flight_text(view: TreasuryView | None) -> str:
    """One line: what is in flight, by source, or that nothing is."""
    if view is None or not view.in_flight:
        return "nothing in flight"
    parts = [f"{amount:f} {asset} from {venue}" for venue, assets in view.in_flight.items()
             for asset, amount in assets.items()]
    return "in flight: " + ", ".join(parts)


def forecast_rows(view: TreasuryView | None, limit: int = 12) -> list[Row]:
    """The runways, soonest dry first (those not being used up last)."""
    if view is None:
        return []
    rows = []
    for venue, asset, seconds, text in view.forecast[:limit]:
        tag = "dim" if seconds is None else ("bad" if seconds < 600 else "warn" if seconds < 3600 else "neutral")
        rows.append(Row((venue, asset), (text,), tag))
    return rows


def rebalance_rows(view: TreasuryView | None) -> list[Row]:
    """The rebalance log, newest first: when, what, where, moved or not, and why."""
    if view is None:
        return []
    return [Row((r.time, r.asset, r.from_venue, r.to_venue, str(r.amount)), (
        format_clock(r.time), f"{r.amount:f} {r.asset}", f"{r.from_venue}{ARROW}{r.to_venue}",
        "moved" if r.made else "not moved", shorten(r.reason, 160)), "good" if r.made else "dim")
        for r in view.rebalance_log]


def rebalance_title(view: TreasuryView | None) -> str:
    if view is None:
        return "REBALANCING"
    made = sum(1 for r in view.rebalance_log if r.made)
    state = "on" if view.rebalance else "off (treasury.rebalance = false)"
    return f"REBALANCING · {state} · {made} of the last {len(view.rebalance_log)} moved"


def ticket_preview(config, marks: Mapping[str, float], source: str, destination: str, asset: str, amount_text: str,
                   network: str) -> tuple[str, bool]:
    """What the ticket would do: the network, fee, time to credit and cost, and the alternatives; or why
    it cannot. The engine checks again (balances, halts, exclusions) when the ticket is sent."""
    try:
        amount = Decimal(amount_text.strip())
    except InvalidOperation:
        return f"the amount {amount_text.strip()!r} is not a number", False
    if not amount.is_finite() or amount <= 0:
        return "the amount must be positive", False
    if source == destination:
        return f"the source and the destination are both {source}", False
    price = 1.0 if asset == QUOTE_ASSET else marks.get(asset, math.nan)

    def networks(venue):
        if venue != WALLET:
            return config.venues[venue].networks.get(asset, {})
        return wallet_networks((spec.networks.get(asset, {}) for spec in config.venues.values()), WALLET)

    processing = 0.0 if source == WALLET else config.venues[source].withdrawal_processing_s
    try:
        chosen, quotes = choose_route(asset, amount, networks(source), networks(destination), price,
                                      config.treasury.carry_bps_per_hour, processing,
                                      None if network == AUTO else network)
    except TransferRefused as exc:
        return str(exc), False
    lines = [f"{chosen.chain}: fee {chosen.fee:f} {asset} ({chosen.fee_quote:.2f} {QUOTE_ASSET}), credited in about "
             f"{format_duration(chosen.seconds_to_credit)}, withdrawable again in about "
             f"{format_duration(chosen.seconds_to_unlock)}; {source} pays {amount + chosen.fee:f} {asset}"]
    for q in quotes:
        if q.chain != chosen.chain:
            lines.append(f"  {q.chain}: " + (f"cost {q.cost_quote:.2f} {QUOTE_ASSET}, ~{format_duration(q.seconds_to_credit)}"
                                              if q.usable else q.refused))
    return "\n".join(lines), True
