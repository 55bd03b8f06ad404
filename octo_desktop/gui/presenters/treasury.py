"""The treasury page: funds against targets (the balance heatmap's model, the exact balances under it),
transfers with their confirmations, the ticket's preview, the rebalance log. Pure: strings, colours and rows
from a snapshot (and, for the ticket, the config's networks)."""

from __future__ import annotations

import math
from dataclasses import dataclass
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


# The balance heatmap's colours, by deviation in band units (see ``band_units``): flat inside the inner band,
# then one hue per band on each side, darker at the band's inner edge; a step at each edge shows the bands.
BAND_SEGMENTS = (  # (from, to, colour at from, colour at to); a bound belongs to the band nearer the target
    (-3.0, -2.0, "#b3322b", "#7e2621"),  # short beyond the upper band: red (rebalancing refills it)
    (-2.0, -1.0, "#7a5c17", "#4f3c12"),  # short between the bands: amber
    (-1.0, 1.0, "#3b3e44", "#3b3e44"),  # within the inner band: neutral
    (1.0, 2.0, "#213449", "#284867"),  # long between the bands: dim blue
    (2.0, 3.0, "#1f5185", "#2a67a6"),  # long beyond the upper band: blue (rebalancing drains it)
)
BAND_UNITS_MAX = 3.0  # colours saturate here: an empty balance, or twice the target with bands of 20/50 %
NO_TARGET_COLOUR = "#2f3033"  # the wallet (no target): darker than any band
NO_TARGET_TEXT = "no target"


def band_units(ratio: float, upper: float, inner: float) -> float:
    """Return a balance's deviation from its target in band units, signed (short < 0 < long): 0 on target,
    1 at the inner band, 2 at the upper band, and one more for each further upper band's width beyond it."""
    off = abs(ratio - 1.0)
    if off <= inner:
        units = off / inner if inner > 0 else 0.0
    elif off <= upper:
        units = 1.0 + (off - inner) / (upper - inner)
    else:
        units = 2.0 + (off - upper) / upper if upper > 0 else BAND_UNITS_MAX
    return -units if ratio < 1.0 else units


def band_colour(units: float | None) -> str:
    """Return the heatmap's colour ("#rrggbb") for a deviation in band units (None: no target)."""
    if units is None or math.isnan(units):
        return NO_TARGET_COLOUR
    units = max(-BAND_UNITS_MAX, min(BAND_UNITS_MAX, units))
    for low, high, start, end in BAND_SEGMENTS:
        if (units < high if high <= -1.0 else units <= high) or high == BAND_UNITS_MAX:
            share = (units - low) / (high - low)
            break
    channels = [round(int(start[i:i + 2], 16) + (int(end[i:i + 2], 16) - int(start[i:i + 2], 16)) * share)
                for i in (1, 3, 5)]
    return "#" + "".join(f"{c:02x}" for c in channels)


@dataclass(frozen=True, slots=True)
class BalanceHeatmapModel:
    """Balances per place (venues, then the wallet) and asset against their targets, ready to rasterise."""

    places: tuple[str, ...]  # rows
    assets: tuple[str, ...]  # columns
    deviations: tuple[tuple[float | None, ...], ...]  # band units (``band_units``); None without a target
    balances: tuple[tuple[str, ...], ...]  # each cell's balance, at the asset's decimals
    shares: tuple[tuple[str, ...], ...]  # each cell's "% of target", or NO_TARGET_TEXT
    colours: tuple[tuple[str, ...], ...]  # each cell's "#rrggbb"
    upper_band: float
    inner_band: float

    def same_as(self, other: "BalanceHeatmapModel | None") -> bool:
        """Return True when ``other`` would render exactly the same picture."""
        return (other is not None and self.places == other.places and self.assets == other.assets
                and self.balances == other.balances and self.shares == other.shares
                and self.colours == other.colours and self.upper_band == other.upper_band
                and self.inner_band == other.inner_band)

    def cell(self, place: str, asset: str) -> tuple[str, str, str]:
        """Return one cell's (balance, share, colour)."""
        row, column = self.places.index(place), self.assets.index(asset)
        return self.balances[row][column], self.shares[row][column], self.colours[row][column]


def band_ticks(upper: float, inner: float) -> tuple[tuple[float, str], ...]:
    """Return the colour bar's ticks: (band units, "% of target") at each band's edges and the scale's ends."""
    return ((-3.0, "0%"), (-2.0, f"{1 - upper:.0%}"), (-1.0, f"{1 - inner:.0%}"), (1.0, f"{1 + inner:.0%}"),
            (2.0, f"{1 + upper:.0%}"), (3.0, f"{1 + 2 * upper:.0%}+"))


def balance_heatmap(view: TreasuryView | None, balances: Mapping[str, Mapping[str, Decimal]],
                    venues: Sequence[str], assets: Sequence[str], upper: float,
                    inner: float) -> BalanceHeatmapModel:
    """Return the balance heatmap: each venue's balance of each asset against its target, then the wallet's."""
    targets = view.targets if view is not None else {}
    places = (*venues, WALLET)
    deviations, texts, shares, colours = [], [], [], []
    for place in places:
        held = balances.get(place, {})
        row_deviations, row_texts, row_shares, row_colours = [], [], [], []
        for asset in assets:
            balance = held.get(asset, Decimal(0))
            target = targets.get((place, asset)) if place != WALLET else None
            units = None
            if target is not None and target > 0:
                ratio = float(balance / target)
                units = band_units(ratio, upper, inner)
                row_shares.append(f"{ratio:.0%}")
            else:
                row_shares.append(NO_TARGET_TEXT)
            row_deviations.append(units)
            row_texts.append(format_money(balance, ASSET_DECIMALS.get(asset, 4)))
            row_colours.append(band_colour(units))
        deviations.append(tuple(row_deviations))
        texts.append(tuple(row_texts))
        shares.append(tuple(row_shares))
        colours.append(tuple(row_colours))
    return BalanceHeatmapModel(places, tuple(assets), tuple(deviations), tuple(texts), tuple(shares),
                               tuple(colours), upper, inner)


def band_text_colour(units: float | None) -> str:
    """Return a text colour for a deviation in band units: red short beyond the upper band, amber short
    between the bands, blue long beyond the upper band, plain otherwise (and without a target)."""
    if units is None or math.isnan(units):
        return theme.TEXT
    if units < -2.0:
        return theme.RED
    if units < -1.0:
        return theme.AMBER
    if units > 2.0:
        return theme.PNL_MARKED
    return theme.TEXT


def funds_rows(model: BalanceHeatmapModel) -> list[tuple[str, list[tuple[str, str]]]]:
    """The exact balances under the heatmap: rows of (place, [(balance, text colour) per asset])."""
    return [(place, [(text, band_text_colour(units)) for text, units in zip(texts, deviations)])
            for place, texts, deviations in zip(model.places, model.balances, model.deviations)]


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
                   network: str, routes: Mapping | None = None) -> tuple[str, bool]:
    """What the ticket would do: the network, fee (and where it came from), time to credit and cost, and the
    alternatives; or why it cannot. ``routes`` (venue -> asset -> chain -> Network) are the networks in effect
    in the engine (live figures included); the config's when None. The engine checks again (balances, halts,
    exclusions) when the ticket is sent."""
    routes = routes if routes else {venue: spec.networks for venue, spec in config.venues.items()}
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
            return routes.get(venue, {}).get(asset, {})
        return wallet_networks((assets.get(asset, {}) for assets in routes.values()), WALLET)

    processing = 0.0 if source == WALLET else config.venues[source].withdrawal_processing_s
    try:
        chosen, quotes = choose_route(asset, amount, networks(source), networks(destination), price,
                                      config.treasury.carry_bps_per_hour, processing,
                                      None if network == AUTO else network)
    except TransferRefused as exc:
        return str(exc), False
    origin = networks(source)[chosen.chain].source
    lines = [f"{chosen.chain}: fee {chosen.fee:f} {asset} ({chosen.fee_quote:.2f} {QUOTE_ASSET}), credited in about "
             f"{format_duration(chosen.seconds_to_credit)}, withdrawable again in about "
             f"{format_duration(chosen.seconds_to_unlock)}; {source} pays {amount + chosen.fee:f} {asset}; "
             f"fee from {origin}"]
    for q in quotes:
        if q.chain != chosen.chain:
            lines.append(f"  {q.chain}: " + (f"cost {q.cost_quote:.2f} {QUOTE_ASSET}, ~{format_duration(q.seconds_to_credit)}"
                                              if q.usable else q.refused))
    return "\n".join(lines), True
