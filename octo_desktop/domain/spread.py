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
    a VWAP is NaN (not enough depth for the size). An unusable venue's row and column become NaN by
    arithmetic (its cost and proceeds are NaN), not by masked assignment, which costs more than the
    matrix itself.
    """
    cost = buy_vwaps * (1.0 + taker_fees)
    proceeds = np.where(usable, sell_vwaps * (1.0 - taker_fees), np.nan)
    per_unit = np.where(usable, buy_vwaps, np.nan)
    if out is None:
        out = np.empty((len(buy_vwaps), len(buy_vwaps)))
    np.subtract(proceeds[None, :], cost[:, None], out=out)
    out /= per_unit[:, None]
    out *= BPS
    np.fill_diagonal(out, np.nan)
    return out


def net_spread_matrices(buy_vwaps: np.ndarray, sell_vwaps: np.ndarray, taker_fees: np.ndarray,
                        usable: np.ndarray) -> np.ndarray:
    """Return every symbol's net-spread matrix at once: an s x n x n array from s x n VWAPs and usability.

    The same arithmetic as ``net_spread_matrix``, in one vectorised pass over all symbols (a full
    recompute costs a few numpy calls, not a few per symbol).
    """
    cost = buy_vwaps * (1.0 + taker_fees)
    proceeds = np.where(usable, sell_vwaps * (1.0 - taker_fees), np.nan)
    per_unit = np.where(usable, buy_vwaps, np.nan)
    out = proceeds[:, None, :] - cost[:, :, None]
    out /= per_unit[:, :, None]
    out *= BPS
    diagonal = np.arange(out.shape[1])
    out[:, diagonal, diagonal] = np.nan
    return out


def gross_spread_bps(buy_price: float, sell_price: float) -> float:
    """Return (sell - buy) / buy in bps, before fees."""
    return (sell_price - buy_price) / buy_price * BPS if buy_price > 0 else math.nan
