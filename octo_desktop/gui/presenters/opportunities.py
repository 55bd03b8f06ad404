"""Column 2 of the arbitrage page, Opportunities: the net-spread heatmap of the chosen symbol, the live
opportunity list and the score of the focused opportunity, part by part.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from octo_desktop.domain.snapshot import OpportunityView, Snapshot, SpreadMatrixView
from octo_desktop.gui import theme
from octo_desktop.gui.presenters.format import (
    DASH,
    MINUS,
    Row,
    format_bps,
    format_clock,
    is_missing,
    route,
    short_symbol,
)

SCORE_PARTS = ("spread", "liquidity", "slippage", "freshness", "order_flow", "execution_quality")
SCORE_PART_LABELS = {
    "spread": "spread",
    "liquidity": "liquidity",
    "slippage": "slippage",
    "freshness": "freshness",
    "order_flow": "order flow",
    "execution_quality": "exec quality",
}


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


def heatmap_model(snapshot: Snapshot, symbol: str, with_transfer: bool = False) -> HeatmapModel | None:
    """Return the heatmap of ``symbol``, excluded venues and the diagonal blanked; ``with_transfer``: each
    pair's transfer cost term subtracted (a pair no network can fund back is blanked)."""
    matrix = snapshot.matrices.get(symbol)
    if matrix is None:
        return None
    values = usable_net_bps(matrix)
    if with_transfer and matrix.transfer_bps is not None:
        values = values - matrix.transfer_bps
    texts = tuple(tuple(heatmap_cell_text(v) for v in row) for row in values.tolist())
    return HeatmapModel(symbol, tuple(matrix.venues), values, tuple(bool(x) for x in matrix.excluded),
                        texts)


def heatmap_title(snapshot: Snapshot, symbol: str, with_transfer: bool) -> str:
    """The opportunities column's title: what the heatmap's numbers are net of."""
    if not with_transfer:
        return "OPPORTUNITIES · net spread after fees, bps"
    matrix = snapshot.matrices.get(symbol)
    if matrix is None or matrix.transfer_bps is None:
        return "OPPORTUNITIES · transfers not priced yet"
    return "OPPORTUNITIES · net of fees + transfers, bps"


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

OPPORTUNITY_COLUMNS = (("time", 50), ("sym", 30), ("buy→sell", 86), ("net", 40), ("score", 38),
                       ("status", 120))


def opportunity_status_text(opportunity: OpportunityView) -> str:
    """Return the status column: the status, or the reason of a rejection, or why it vanished."""
    if opportunity.status == "rejected" and opportunity.reason:
        return opportunity.reason
    if opportunity.status == "vanished":
        return f"gone: {opportunity.reason}" if opportunity.reason else "gone"
    return opportunity.status


def vanished_text(snapshot: Snapshot) -> str:
    """Return the list's title: how many opportunities were gone when Octo's order arrived, and why."""
    taken, moved = snapshot.vanished.get("taken", 0), snapshot.vanished.get("moved", 0)
    if not taken and not moved:
        return "LIVE OPPORTUNITIES"
    return f"LIVE OPPORTUNITIES · gone before our order: {taken} taken first, {moved} price moved"


def opportunity_rows(snapshot: Snapshot, limit: int = 50) -> tuple[Row, ...]:
    """Return the newest opportunities first, keyed by their id."""
    rows = []
    for opp in snapshot.opportunities[:limit]:
        tag = {"taken": "good", "rejected": "warn", "vanished": "alert"}.get(opp.status, "neutral")
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
    transfer = opportunity.transfer_bps
    if math.isfinite(transfer):
        title += f" {MINUS} {format_bps(transfer, signed=False)} transfer"
    colour = theme.GREEN if opportunity.score >= min_score else theme.AMBER
    return ScoreModel(title, f"{opportunity.score:.2f}", colour, tuple(parts))
