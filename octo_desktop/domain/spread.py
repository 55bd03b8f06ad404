"""Net-spread arithmetic: what buying on one venue and selling on another earns after taker fees.

For a trade of quantity q, buying on venue i at the VWAP of walking i's asks for q (``buy_vwap``)
and selling on venue j at the VWAP of walking j's bids for q (``sell_vwap``)::

    net_bps[i, j] = (sell_vwap[j] * (1 - fee[j]) - buy_vwap[i] * (1 + fee[i])) / buy_vwap[i] * 10_000

that is, the profit per unit after both taker fees, in basis points of the buy notional.
"""

from __future__ import annotations

import math

import numpy as np

BPS = 10_000.0


def net_spread_bps(buy_vwap: float, sell_vwap: float, buy_fee: float, sell_fee: float) -> float:
    """Return the net spread in bps of buying at ``buy_vwap`` and selling at ``sell_vwap`` after fees."""
    if not (buy_vwap > 0 and sell_vwap > 0):
        return math.nan
    return (sell_vwap * (1.0 - sell_fee) - buy_vwap * (1.0 + buy_fee)) / buy_vwap * BPS


def net_spread_matrix(buy_vwaps: np.ndarray, sell_vwaps: np.ndarray, taker_fees: np.ndarray,
                      usable: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Return the n x n net-spread matrix in bps (row = buy venue, column = sell venue).

    Entries are NaN on the diagonal, for venues that are not ``usable`` (stale, degraded) and where
    a VWAP is NaN (not enough depth for the size). The formula is evaluated as
    ``scale[i] * proceeds[j] - cost_bps[i]`` with ``scale = 10_000 / buy_vwap`` and
    ``cost_bps = 10_000 * (1 + fee)``: one outer product and one subtraction. An unusable venue's row and
    column become NaN by arithmetic (its scale and proceeds are NaN), not by masked assignment, which
    costs more than the matrix itself. ``out`` (n x n) is filled and returned when given.
    """
    n = len(buy_vwaps)
    nan_mask = np.where(usable, 1.0, np.nan)
    scale = BPS / buy_vwaps * nan_mask
    proceeds = sell_vwaps * (1.0 - taker_fees) * nan_mask
    out = np.multiply.outer(scale, proceeds, out=out)
    out -= (BPS * (1.0 + taker_fees))[:, None]
    out.reshape(n * n)[::n + 1] = np.nan
    return out


def net_spread_matrices(buy_vwaps: np.ndarray, sell_vwaps: np.ndarray, taker_fees: np.ndarray,
                        usable: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Return every symbol's net-spread matrix at once: an s x n x n array from s x n VWAPs and usability.

    The same arithmetic as ``net_spread_matrix`` (equal results, bit for bit), in one vectorised pass
    over all symbols: a full recompute costs a few numpy calls, not a few per symbol. ``out``
    (s x n x n) is filled and returned when given; ``python -m benchmarks.spread`` times both ways.
    """
    symbols, n = buy_vwaps.shape
    nan_mask = np.where(usable, 1.0, np.nan)
    scale = BPS / buy_vwaps * nan_mask
    proceeds = sell_vwaps * (1.0 - taker_fees) * nan_mask
    if out is None:
        out = np.empty((symbols, n, n))
    np.multiply(scale[:, :, None], proceeds[:, None, :], out=out)
    out -= (BPS * (1.0 + taker_fees))[None, :, None]
    out.reshape(symbols, n * n)[:, ::n + 1] = np.nan
    return out


def pairs_above(cost: list[float], proceeds: list[float], buy_vwap: list[float], usable: list[bool],
                threshold_bps: float) -> list[tuple[float, int, int]]:
    """Return ``(net_bps, i, j)`` of every usable pair netting at least ``threshold_bps``, best first.

    ``cost[i] = buy_vwap[i] * (1 + fee[i])`` and ``proceeds[j] = sell_vwap[j] * (1 - fee[j])``, so
    ``net_bps = (proceeds[j] - cost[i]) / buy_vwap[i] * 10_000``: the matrix's formula (``net_spread_matrix``,
    equal to 1e-9 relative) for the detector's hot path, where one symbol's 8 venues cost less as Python
    than as numpy. A buy venue is skipped at once when even the best seller does not clear the threshold.
    """
    n = len(cost)
    best = -math.inf
    for j in range(n):
        if usable[j] and proceeds[j] > best:  # NaN (too little depth) never compares greater
            best = proceeds[j]
    threshold = threshold_bps / BPS
    ranked = []
    for i in range(n):
        cost_i = cost[i]
        if not usable[i] or not (best - cost_i >= threshold * buy_vwap[i]):
            continue
        for j in range(n):
            if j != i and usable[j]:
                net = (proceeds[j] - cost_i) / buy_vwap[i] * BPS
                if net >= threshold_bps:
                    ranked.append((net, i, j))
    ranked.sort(reverse=True)
    return ranked


def gross_spread_bps(buy_price: float, sell_price: float) -> float:
    """Return (sell - buy) / buy in bps, before fees."""
    return (sell_price - buy_price) / buy_price * BPS if buy_price > 0 else math.nan
