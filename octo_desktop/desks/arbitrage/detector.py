"""The detector's per-symbol state: each venue's VWAPs at the trade size, cached by book version.

For 8 venues a plain-Python pass over cost and proceeds is several times faster than numpy
(measured); the pairs come from ``domain.spread.pairs_above``, the same formula as the heatmap's
matrix (tested equal), which is built only when a snapshot is published.
"""

from __future__ import annotations

import math

from octo_desktop.domain.model import BUY, SELL
from octo_desktop.domain.spoofing import capped_vwap
from octo_desktop.domain.spread import pairs_above


class SymbolState:
    """One symbol across the venues: VWAPs at size, cost and proceeds after fees, usability."""

    def __init__(self, books, detectors) -> None:
        n = len(books)
        self.books = books  # the symbol's book on each venue, in venue order
        self.detectors = detectors  # and each book's spoof detector
        self.buy_vwap = [math.nan] * n
        self.sell_vwap = [math.nan] * n
        self.caps_versions = [-1] * n  # the spoof detector's caps version the VWAPs were built with
        self.discounted = [False] * n  # suspect depth was discounted in this venue's VWAPs
        self.cost = [math.nan] * n  # buy VWAP * (1 + taker fee)
        self.proceeds = [math.nan] * n  # sell VWAP * (1 - taker fee)
        self.versions = [-1] * n
        self.usable = [False] * n
        self.quantity = 0.0
        # The last pairs and the threshold they were found at; ``_stale`` when a VWAP or a venue's usability
        # changed since (most deltas are deeper than the trade size reaches: the pairs stay as they were).
        self._pairs: tuple[tuple[float, int, int], ...] = ()
        self._pairs_threshold = math.nan
        self._stale = True

    def invalidate(self, index: int | None = None) -> None:
        """Recompute the VWAPs (of one venue, or all) at the next pass: its fee or the size changed."""
        if index is None:
            self.versions = [-1] * len(self.versions)
        else:
            self.versions[index] = -1
        self._stale = True

    def refresh(self, quantity: float, fees: list[float], now: float, fresh_after: float) -> None:
        """Bring every usable venue's VWAPs for ``quantity`` up to date (only books that changed)."""
        if abs(quantity - self.quantity) > 1e-3 * quantity:
            self.quantity = quantity
            self.invalidate()
        quantity = self.quantity
        detectors = self.detectors
        for i, book in enumerate(self.books):
            usable = book.is_valid and book.received_time >= fresh_after
            if usable != self.usable[i]:
                self.usable[i] = usable
                self._stale = True
            if not usable:
                continue
            detector = detectors[i]
            if self.versions[i] != book.version or self.caps_versions[i] != detector.caps_version:
                self.versions[i] = book.version
                caps = detector.caps(now)
                self.caps_versions[i] = detector.caps_version
                if caps[0] or caps[1]:
                    # Fake-liquidity filter: suspect levels count only their discounted size.
                    buy, bought = capped_vwap(book, BUY, quantity, caps)
                    sell, sold = capped_vwap(book, SELL, quantity, caps)
                    self.discounted[i] = True
                else:
                    buy, bought = book.vwap(BUY, quantity)
                    sell, sold = book.vwap(SELL, quantity)
                    self.discounted[i] = False
                full = quantity * 0.999999
                before = self.buy_vwap[i]
                self.buy_vwap[i] = buy = buy if bought >= full else math.nan
                self.sell_vwap[i] = sell = sell if sold >= full else math.nan
                cost, proceeds = buy * (1.0 + fees[i]), sell * (1.0 - fees[i])
                if not (buy == before and cost == self.cost[i] and proceeds == self.proceeds[i]):  # NaN: news
                    self.cost[i], self.proceeds[i] = cost, proceeds
                    self._stale = True

    def pairs(self, threshold_bps: float) -> tuple[tuple[float, int, int], ...]:
        """Return ``(net_bps, buy index, sell index)`` of the pairs at or above the threshold, best first.

        The last answer again when nothing it depends on changed: the VWAPs, the venues' usability, the
        threshold.
        """
        if self._stale or threshold_bps != self._pairs_threshold:
            self._pairs = tuple(pairs_above(self.cost, self.proceeds, self.buy_vwap, self.usable, threshold_bps))
            self._pairs_threshold = threshold_bps
            self._stale = False
        return self._pairs
