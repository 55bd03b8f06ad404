"""The transfer cost board: what keeping each pair funded costs per unit traded, shared by the desks.

The treasury desk knows the networks, the targets and how one-way the flow is; it writes each symbol's
n x n matrix of ``transfer_bps`` here (``treasury.costs``) whenever it samples the balances. The desks that
price opportunities read it: the arbitrage desk shows it as its own term of every opportunity and of the
heatmap, and subtracts it before the threshold when ``strategy.transfer_cost_in_decision`` is on. Runtime
loop only; the matrices are replaced, never changed in place, so a snapshot may hold them.
"""

from __future__ import annotations

import math
from typing import Mapping

import numpy as np


class TransferCostBoard:
    """Each symbol's n x n transfer cost in bps of the traded notional (row = buy venue, column = sell)."""

    def __init__(self) -> None:
        self._matrices: dict[str, np.ndarray] = {}
        self.as_of = math.nan  # engine time of the last update
        self.basis = ""  # one line: what the figures assume (batches, one-way shares)
        self.version = 0

    def update(self, matrices: Mapping[str, np.ndarray], now: float, basis: str) -> None:
        """Adopt new matrices (read-only from here on)."""
        for matrix in matrices.values():
            matrix.setflags(write=False)
        self._matrices = dict(matrices)
        self.as_of = now
        self.basis = basis
        self.version += 1

    def matrix(self, symbol: str) -> np.ndarray | None:
        """``symbol``'s matrix, or None before the treasury priced it."""
        return self._matrices.get(symbol)

    def cost_bps(self, symbol: str, buy_index: int, sell_index: int) -> float:
        """One pair's transfer cost in bps (NaN when unknown: no matrix yet, or no route)."""
        matrix = self._matrices.get(symbol)
        return float(matrix[buy_index, sell_index]) if matrix is not None else math.nan
