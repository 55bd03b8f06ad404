"""L2 order book: snapshot, deltas, validation, best bid/ask and walks for VWAP-at-size.

Each side keeps two aligned lists, prices ascending and their sizes, maintained with ``bisect``.
Reads walk them from the touch outward without copying the book. How it compares with ccxt's book
and the other peers on one workload: ``python -m benchmarks.book`` (figures in docs/PERFORMANCE.md).
"""

from __future__ import annotations

import math
from bisect import bisect_left
from typing import Iterable, Iterator

Levels = Iterable[tuple[float, float]]
_INF = math.inf


class BookError(ValueError):
    """A book message was malformed (NaN, negative, unsorted) or the book cannot accept it."""


class CrossedBook(BookError):
    """The book's best bid reached or passed its best ask; it needs a fresh snapshot."""


class SequenceGap(BookError):
    """A delta's sequence number did not follow the book's; it needs a fresh snapshot."""


class OrderBook:
    """One venue's L2 book for one symbol.

    Each side is two aligned lists, prices ascending and their sizes: the best bid is the last bid, the
    best ask the first ask. A change finds its level by bisection and updates, inserts or deletes in
    place; the top of a side is a slice. Every level of a delta is checked before any is applied.
    """

    __slots__ = ("venue", "symbol", "_bid_prices", "_bid_sizes", "_ask_prices", "_ask_sizes", "sequence",
                 "version", "is_valid", "received_time", "exchange_time")

    def __init__(self, venue: str, symbol: str) -> None:
        self.venue = venue
        self.symbol = symbol
        self._bid_prices: list[float] = []  # ascending; best bid is the last
        self._bid_sizes: list[float] = []
        self._ask_prices: list[float] = []  # ascending; best ask is the first
        self._ask_sizes: list[float] = []
        self.sequence = -1
        self.version = 0  # increases on every change; lets readers cache derived values
        self.is_valid = False  # False until a snapshot arrives, and after a gap or a crossed book
        self.received_time = math.nan
        self.exchange_time = math.nan

    # --- writes -------------------------------------------------------------------------------
    def apply_snapshot(self, bids: Levels, asks: Levels, sequence: int,
                       exchange_time: float = math.nan, received_time: float = math.nan) -> None:
        """Replace the whole book; bids must be strictly descending and asks strictly ascending."""
        bid_list = _checked_levels(bids, "bid", allow_zero=False)
        ask_list = _checked_levels(asks, "ask", allow_zero=False)
        for i in range(1, len(bid_list)):
            if bid_list[i][0] >= bid_list[i - 1][0]:
                raise BookError(f"{self.venue} {self.symbol}: bids not strictly descending at level {i}")
        for i in range(1, len(ask_list)):
            if ask_list[i][0] <= ask_list[i - 1][0]:
                raise BookError(f"{self.venue} {self.symbol}: asks not strictly ascending at level {i}")
        if bid_list and ask_list and bid_list[0][0] >= ask_list[0][0]:
            self.is_valid = False
            raise CrossedBook(f"{self.venue} {self.symbol}: snapshot crossed "
                              f"(bid {bid_list[0][0]} >= ask {ask_list[0][0]})")
        self._bid_prices = [p for p, _ in reversed(bid_list)]
        self._bid_sizes = [s for _, s in reversed(bid_list)]
        self._ask_prices = [p for p, _ in ask_list]
        self._ask_sizes = [s for _, s in ask_list]
        self.sequence = sequence
        self.version += 1
        self.is_valid = True
        self.exchange_time = exchange_time
        self.received_time = received_time

    def apply_delta(self, bids: Levels, asks: Levels, sequence: int,
                    exchange_time: float = math.nan, received_time: float = math.nan) -> None:
        """Apply changed levels (size 0 deletes); the sequence must follow the book's by one.

        Every level is checked before any is applied. The common shape, changes on one side only, is
        checked and applied inline: this is the hottest call in the engine (``python -m benchmarks.book``).
        """
        if sequence != self.sequence + 1 or not self.is_valid:
            self._refuse_delta(sequence)
        if asks:
            if bids:  # both sides: check both before touching either
                bids = _delta_levels(bids, "bid")
                asks = _delta_levels(asks, "ask")
                _update_side(self._bid_prices, self._bid_sizes, bids)
                _update_side(self._ask_prices, self._ask_sizes, asks)
                levels = ()
            else:
                prices = self._ask_prices
                sizes = self._ask_sizes
                levels = asks
                side = "ask"
        elif bids:
            prices = self._bid_prices
            sizes = self._bid_sizes
            levels = bids
            side = "bid"
        else:
            levels = ()
        if levels:
            if levels.__class__ is not tuple:  # a list or any iterable: checked once, as a list
                levels = _delta_levels(levels, side)
            else:  # the feeds' shape, checked inline (a call would cost as much as the check)
                try:
                    for price, size in levels:
                        # NaN fails every comparison, so this also rejects NaN and infinities.
                        if not (type(price) is float and type(size) is float and 0.0 < price < _INF
                                and 0.0 <= size < _INF):
                            levels = _checked_levels(levels, side, allow_zero=True)
                            break
                except (TypeError, ValueError):  # not (price, size) pairs: named level by level
                    levels = _checked_levels(levels, side, allow_zero=True)
            for price, size in levels:
                i = bisect_left(prices, price)
                if i < len(prices) and prices[i] == price:
                    if size == 0.0:
                        del prices[i]
                        del sizes[i]
                    else:
                        sizes[i] = size
                elif size != 0.0:
                    prices.insert(i, price)
                    sizes.insert(i, size)
        self.sequence = sequence
        self.version += 1
        self.exchange_time = exchange_time
        self.received_time = received_time
        bid_prices, ask_prices = self._bid_prices, self._ask_prices
        if bid_prices and ask_prices and bid_prices[-1] >= ask_prices[0]:
            self.is_valid = False
            raise CrossedBook(f"{self.venue} {self.symbol}: crossed after delta "
                              f"(bid {bid_prices[-1]} >= ask {ask_prices[0]})")

    def _refuse_delta(self, sequence: int) -> None:
        if not self.is_valid:
            raise BookError(f"{self.venue} {self.symbol}: delta before a valid snapshot")
        self.is_valid = False
        raise SequenceGap(f"{self.venue} {self.symbol}: sequence gap "
                          f"(expected {self.sequence + 1}, got {sequence})")

    def invalidate(self) -> None:
        """Mark the book unusable until the next snapshot."""
        self.is_valid = False

    # --- reads --------------------------------------------------------------------------------
    @property
    def best_bid(self) -> float:
        return self._bid_prices[-1] if self._bid_prices else math.nan

    @property
    def best_ask(self) -> float:
        return self._ask_prices[0] if self._ask_prices else math.nan

    @property
    def best_bid_size(self) -> float:
        return self._bid_sizes[-1] if self._bid_sizes else 0.0

    @property
    def best_ask_size(self) -> float:
        return self._ask_sizes[0] if self._ask_sizes else 0.0

    @property
    def mid(self) -> float:
        return (self.best_bid + self.best_ask) / 2.0

    @property
    def depth(self) -> tuple[int, int]:
        return len(self._bid_prices), len(self._ask_prices)

    def iter_bids(self) -> Iterator[tuple[float, float]]:
        """Yield (price, size) from the best bid down, without copying the book."""
        return zip(reversed(self._bid_prices), reversed(self._bid_sizes))

    def iter_asks(self) -> Iterator[tuple[float, float]]:
        """Yield (price, size) from the best ask up, without copying the book."""
        return zip(self._ask_prices, self._ask_sizes)

    def levels(self, side: str) -> Iterator[tuple[float, float]]:
        """Yield the levels a taker of ``side`` would walk: asks for a buy, bids for a sell."""
        return self.iter_asks() if side == "buy" else self.iter_bids()

    def top(self, side: str, n: int) -> list[tuple[float, float]]:
        """Return up to ``n`` levels of ``side`` ("bid" or "ask"), best first."""
        if n <= 0:
            return []
        if side == "bid":
            return list(zip(self._bid_prices[:-n - 1:-1], self._bid_sizes[:-n - 1:-1]))
        return list(zip(self._ask_prices[:n], self._ask_sizes[:n]))

    def top_lists(self, side: str, n: int) -> tuple[list[float], list[float]]:
        """Return (prices, sizes) of up to ``n`` levels of ``side`` ("bid" or "ask"), best first, as new lists."""
        if n <= 0:
            return [], []
        if side == "bid":
            return self._bid_prices[:-n - 1:-1], self._bid_sizes[:-n - 1:-1]
        return self._ask_prices[:n], self._ask_sizes[:n]

    def nth_price(self, side: str, n: int) -> float:
        """Return the ``n``-th best price of ``side`` ("bid" or "ask"; 1 is the touch), NaN if it has fewer."""
        prices = self._bid_prices if side == "bid" else self._ask_prices
        if not 0 < n <= len(prices):
            return math.nan
        return prices[-n] if side == "bid" else prices[n - 1]

    def top_size(self, side: str, n: int) -> float:
        """Return the total size of the best ``n`` levels of ``side`` ("bid" or "ask"), added best first."""
        if n <= 0:
            return 0.0
        return sum(self._bid_sizes[:-n - 1:-1]) if side == "bid" else sum(self._ask_sizes[:n])

    def size_at(self, side: str, price: float) -> float:
        """Return the size shown at exactly ``price`` on ``side`` ("bid" or "ask"), 0 if none."""
        prices, sizes = ((self._bid_prices, self._bid_sizes) if side == "bid"
                         else (self._ask_prices, self._ask_sizes))
        i = bisect_left(prices, price)
        return sizes[i] if i < len(prices) and prices[i] == price else 0.0

    def vwap(self, side: str, quantity: float) -> tuple[float, float]:
        """Return (VWAP, filled quantity) of a taker ``side`` order walking the book for ``quantity``."""
        return walk_vwap(self.levels(side), quantity)

    def quantity_within(self, side: str, limit_price: float) -> float:
        """Return the size a taker of ``side`` could take at prices no worse than ``limit_price``."""
        total = 0.0
        if side == "buy":
            for price, size in self.iter_asks():
                if price > limit_price:
                    break
                total += size
        else:
            for price, size in self.iter_bids():
                if price < limit_price:
                    break
                total += size
        return total


def walk_vwap(levels: Iterable[tuple[float, float]], quantity: float) -> tuple[float, float]:
    """Return (VWAP, filled) for taking ``quantity`` from ``levels`` in order; VWAP is NaN if none."""
    remaining = quantity
    cost = 0.0
    for price, size in levels:
        if size >= remaining:
            cost += price * remaining
            remaining = 0.0
            break
        cost += price * size
        remaining -= size
    filled = quantity - remaining
    return (cost / filled if filled > 0 else math.nan), filled


def _checked_levels(levels: Levels, side: str, allow_zero: bool) -> list[tuple[float, float]]:
    result = []
    for level in levels:
        try:
            price, size = float(level[0]), float(level[1])
        except (TypeError, ValueError, IndexError) as exc:
            raise BookError(f"malformed {side} level {level!r}") from exc
        if not (math.isfinite(price) and price > 0):
            raise BookError(f"invalid {side} price {level[0]!r}")
        if not math.isfinite(size) or size < 0 or (size == 0 and not allow_zero):
            raise BookError(f"invalid {side} size {level[1]!r} at price {price}")
        result.append((price, size))
    return result


def _delta_levels(levels: Levels, side: str) -> Levels:
    """Return a delta's levels of one side, checked: as given when they are already finite floats
    (prices > 0, sizes >= 0), else converted and checked level by level (and named if bad)."""
    if not isinstance(levels, (tuple, list)):
        levels = list(levels)
    try:
        for price, size in levels:
            # NaN fails every comparison, so these also reject NaN and infinities.
            if not (type(price) is float and type(size) is float and 0.0 < price < _INF and 0.0 <= size < _INF):
                break
        else:
            return levels
    except (TypeError, ValueError):
        pass
    return _checked_levels(levels, side, allow_zero=True)


def _update_side(prices: list[float], sizes: list[float], changes: Levels) -> None:
    for price, size in changes:
        i = bisect_left(prices, price)
        if i < len(prices) and prices[i] == price:
            if size == 0.0:
                del prices[i]
                del sizes[i]
            else:
                sizes[i] = size
        elif size != 0.0:
            prices.insert(i, price)
            sizes.insert(i, size)
