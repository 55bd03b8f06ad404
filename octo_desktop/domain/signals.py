"""Composite opportunity score in [0, 1]: six factors, each normalised to [0, 1], weighted.

Factor definitions (weights are configurable; defaults in brackets):

- ``spread`` [0.30]: ``clip((net_bps - threshold_bps) / spread_scale_bps)``; 0 at the threshold, 1 when
  the net spread exceeds it by ``spread_scale_bps`` (default 40).
- ``liquidity`` [0.15]: ``clip(min(depth_buy, depth_sell) / (3 * quantity))`` where depth is the size
  available within ``liquidity_band_bps`` (default 10) of each leg's touch; 1 when each side could fill
  the trade three times over without walking more than the band.
- ``slippage`` [0.10]: ``1 - clip(mean_slippage_bps / slippage_scale_bps)`` where a leg's slippage is
  the distance of its VWAP-at-size from its touch price, in bps; default scale 10 bps.
- ``freshness`` [0.10]: ``1 - clip(max_age / stale_after)`` over the two books' time since last update.
- ``order_flow`` [0.15]: ``clip(0.5 + 0.25 * (direction_sell_venue - direction_buy_venue)
  - 0.25 * |market_direction|)`` where a venue's direction in [-1, 1] combines its top-N book
  imbalance, its cumulative volume delta and its VWAP drift, and the market direction aggregates the
  venues (see ``orderflow``). Selling pressure where we buy and buying pressure where we sell favour
  the trade; a market running hard one way decays the edge while legs are in flight; 0.5 is neutral.
- ``execution_quality`` [0.20]: ``min`` over the two venues of ``fill_ratio * latency_score``, with
  ``latency_score = clip(1 - median_latency_ms / latency_scale_ms)`` (default scale 500 ms) and
  ``fill_ratio`` the filled share of quantity the venue's recent orders asked for.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping

FACTORS = ("spread", "liquidity", "slippage", "freshness", "order_flow", "execution_quality")


def clip01(value: float) -> float:
    """Clamp ``value`` to [0, 1]; NaN becomes 0."""
    if not value > 0.0:
        return 0.0
    return 1.0 if value > 1.0 else value


def spread_factor(net_bps: float, threshold_bps: float, scale_bps: float) -> float:
    """Score how far the net spread clears the threshold."""
    return clip01((net_bps - threshold_bps) / scale_bps)


def liquidity_factor(depth_buy: float, depth_sell: float, quantity: float) -> float:
    """Score the depth near both touches against three times the trade quantity."""
    if quantity <= 0:
        return 0.0
    return clip01(min(depth_buy, depth_sell) / (3.0 * quantity))


def slippage_bps(vwap: float, touch: float) -> float:
    """Return how far a VWAP-at-size sits from its touch price, in bps (always >= 0)."""
    if not (touch > 0 and vwap > 0):
        return math.nan
    return abs(vwap - touch) / touch * 10_000.0


def slippage_factor(buy_slippage_bps: float, sell_slippage_bps: float, scale_bps: float) -> float:
    """Score the mean walking slippage of the two legs (1 = none)."""
    mean = (buy_slippage_bps + sell_slippage_bps) / 2.0
    if math.isnan(mean):
        return 0.0
    return 1.0 - clip01(mean / scale_bps)


def freshness_factor(age_buy_s: float, age_sell_s: float, stale_after_s: float) -> float:
    """Score the older of the two books' ages against the staleness limit (1 = just updated)."""
    oldest = max(age_buy_s, age_sell_s)
    if math.isnan(oldest):
        return 0.0
    return 1.0 - clip01(oldest / stale_after_s)


def trade_imbalance(buy_volume: float, sell_volume: float) -> float:
    """Return (buy - sell) / (buy + sell) in [-1, 1]; 0 without trades."""
    total = buy_volume + sell_volume
    return (buy_volume - sell_volume) / total if total > 0 else 0.0


def order_flow_factor(direction_buy_venue: float, direction_sell_venue: float,
                      market_direction: float = 0.0) -> float:
    """Score order flow: selling where we buy and buying where we sell help; a one-way market hurts."""
    return clip01(0.5 + 0.25 * (direction_sell_venue - direction_buy_venue) - 0.25 * abs(market_direction))


def venue_quality(fill_ratio: float, median_latency_ms: float, latency_scale_ms: float) -> float:
    """Score one venue's execution: fill ratio times a latency score."""
    return clip01(fill_ratio) * clip01(1.0 - median_latency_ms / latency_scale_ms)


def execution_quality_factor(quality_buy: float, quality_sell: float) -> float:
    """Score the weaker of the two venues' execution quality."""
    return min(quality_buy, quality_sell)


@dataclass(frozen=True, slots=True)
class Score:
    """A composite score and its parts."""

    value: float
    parts: tuple[tuple[str, float], ...]

    def part(self, name: str) -> float:
        return dict(self.parts)[name]


def composite_score(parts: Mapping[str, float], weights: Mapping[str, float]) -> Score:
    """Combine the six factor values with ``weights`` (which add up to 1) into a Score."""
    value = 0.0
    ordered = []
    for name in FACTORS:
        factor = clip01(parts[name])
        ordered.append((name, factor))
        value += weights.get(name, 0.0) * factor
    return Score(value=clip01(value), parts=tuple(ordered))
