"""The transfer cost a pair's trades will cause, per unit traded, as a term of the net spread. Pure.

Buying on venue ``i`` and selling on venue ``j`` leaves the base asset piling up on ``i`` and the quote
asset on ``j``; to go on trading that way, the treasury will move base from ``i`` to ``j`` and quote from
``j`` back to ``i``. One transfer moves a *batch* (what the rebalancer moves at once: the gap between its
bands on the destination's target, at least the minimum transfer), and so pays for ``batch / share`` of
trading, where ``share`` is the part of the flow that is one-way: what the venues' balances drifted over
the flow window against everything that passed through them (trades the other way cancel the rest)::

    transfer_bps[i, j] = 10_000 * (share_base  * fee_base(i -> j)  / batch_base(j)
                                   + share_quote * fee_quote(j -> i) / batch_quote(i))

with fees and batches valued in the quote asset. A route with no usable network gives NaN (unknown, not
free). Before any flow was measured the share is 1: every unit bought is assumed to be moved back.
"""

from __future__ import annotations

import math
from typing import Callable, Iterable, Sequence

import numpy as np

BPS = 10_000.0


def one_way_share(series: Iterable[Sequence[float]]) -> float | None:
    """The part of the turnover that is one-way, from each venue's balance samples of one asset.

    For each venue, the net drift ``|last - first|`` against the gross turnover ``sum |b[k+1] - b[k]|``;
    summed over venues, their ratio is in [0, 1]. None when nothing turned over (no evidence either way).
    """
    drift = gross = 0.0
    for samples in series:
        values = [float(value) for value in samples]
        if len(values) < 2:
            continue
        drift += abs(values[-1] - values[0])
        gross += sum(abs(b - a) for a, b in zip(values, values[1:]))
    if not gross > 0:
        return None
    return min(1.0, drift / gross)


def transfer_batch(target_quote: float, upper_band: float, inner_band: float, minimum_quote: float) -> float:
    """What one rebalancing transfer to a venue moves, valued in the quote asset.

    The rebalancer acts when a balance falls beyond ``upper_band`` under its target and refills it to
    ``inner_band`` under it: at least the gap between the bands, and never less than the minimum transfer.
    """
    if not (math.isfinite(target_quote) and target_quote >= 0):
        return minimum_quote
    return max(minimum_quote, (upper_band - inner_band) * target_quote)


def pair_cost_bps(base_fee: float, base_batch: float, base_share: float,
                  quote_fee: float, quote_batch: float, quote_share: float) -> float:
    """``transfer_bps`` of one pair from its two transfers' fees, batches and one-way shares (module docstring)."""
    if not (base_batch > 0 and quote_batch > 0):
        return math.nan
    return BPS * (base_share * base_fee / base_batch + quote_share * quote_fee / quote_batch)


def transfer_cost_matrix(n: int, base_fee: Callable[[int, int], float], base_batch: Sequence[float],
                         base_share: float, quote_fee: Callable[[int, int], float], quote_batch: Sequence[float],
                         quote_share: float) -> np.ndarray:
    """The n x n ``transfer_bps`` of one symbol (row = buy venue, column = sell venue; NaN on the diagonal).

    ``base_fee(i, j)`` is the fee of moving a base batch from venue i to venue j, ``quote_fee(j, i)`` that of
    moving a quote batch from j to i, both in the quote asset (NaN when no network can carry it);
    ``base_batch[j]`` and ``quote_batch[i]`` are the batches the rebalancer would move to j and to i.
    """
    out = np.full((n, n), np.nan)
    for i in range(n):
        for j in range(n):
            if i != j:
                out[i, j] = pair_cost_bps(base_fee(i, j), base_batch[j], base_share,
                                          quote_fee(j, i), quote_batch[i], quote_share)
    return out
