"""Two kinds of dislocation beside the sweep, for the simulated market: informed moves and stale quotes.

Pure and seeded (no asyncio); each draws from its own random stream, so with their rates at zero the
market publishes exactly what it did without them.

- An **informed move**: news reaches one venue first. Its price moves by the move for good, and every
  other venue follows after its own lag (tens of milliseconds to a second). Meanwhile the leader looks
  dislocated against the laggards; buying a laggard (or selling one, after a fall) is right, betting on
  the leader coming back is not: it does not. A laggard that is picked off requotes at once.
- A **stale quote**: a slow venue's market maker stops following the market for a few seconds; its quote
  stays where the market was and thins out, so what looks like an edge on it is small and goes to
  whoever is fastest. Picked off, it wakes up.
"""

from __future__ import annotations

import math
import random
from collections import deque
from dataclasses import dataclass, field
from typing import Mapping, Sequence

from octo_desktop.domain.model import BUY

LOG_LENGTH = 1_000


@dataclass(slots=True)
class InformedMove:
    """One informed move: when it reached each venue (a laggard picked off catches up earlier)."""

    symbol: str
    leader: str
    start: float
    jump_bps: float
    reached: dict[str, float] = field(default_factory=dict)  # venue -> time its quote moves


class InformedMoves:
    """The informed moves in progress and each venue's share of the moves so far, per symbol."""

    def __init__(self, venues: Sequence[str], symbols: Sequence[str], per_minute: float, min_bps: float,
                 max_bps: float, lag_min_s: float, lag_max_s: float, rng: random.Random, origin: float) -> None:
        self.venues, self.symbols = tuple(venues), tuple(symbols)
        self._rate = per_minute / 60.0
        self._bps = (min_bps, max_bps)
        self._lag = (lag_min_s, lag_max_s)
        self._rng = rng
        self._next = origin + rng.expovariate(self._rate) if self._rate > 0 else math.inf
        self.active: list[InformedMove] = []
        self._settled = {s: 0.0 for s in self.symbols}  # bps of moves every venue has caught up with
        self.log: deque[InformedMove] = deque(maxlen=LOG_LENGTH)

    def advance(self, now: float) -> None:
        """Start the moves due by ``now``; settle those every venue has caught up with."""
        rng = self._rng
        while now >= self._next:
            start = self._next
            size = rng.uniform(*self._bps)
            leader = self.venues[rng.randrange(len(self.venues))]
            move = InformedMove(self.symbols[rng.randrange(len(self.symbols))], leader, start,
                                size if rng.random() < 0.5 else -size)
            move.reached = {v: start if v == leader else start + rng.uniform(*self._lag) for v in self.venues}
            self.active.append(move)
            self.log.append(move)
            self._next = start + rng.expovariate(self._rate)
        if self.active:
            for move in [m for m in self.active if max(m.reached.values()) <= now]:
                self._settled[move.symbol] += move.jump_bps
                self.active.remove(move)

    def offset_bps(self, venue: str, symbol: str, now: float) -> float:
        """Return how far the informed moves have taken ``venue``'s ``symbol`` so far, in bps."""
        offset = self._settled[symbol]
        for move in self.active:
            if move.symbol == symbol and now >= move.reached[venue]:
                offset += move.jump_bps
        return offset

    def catch_up(self, venue: str, symbol: str, side: str, now: float) -> bool:
        """A taker of ``side`` picked off a laggard: it moves now. Return whether it was lagging that way."""
        caught = False
        for move in self.active:
            if move.symbol == symbol and now < move.reached[venue] and (move.jump_bps > 0) == (side == BUY):
                move.reached[venue] = now
                caught = True
        return caught


@dataclass(slots=True)
class StaleQuote:
    """One venue's quote left behind: the market price it stays at, until when, how thin."""

    venue: str
    symbol: str
    start: float
    until: float
    thinned: bool = False


class StaleQuotes:
    """Stale-quote episodes; the slower a venue quotes (its ``quote_lag_ms``), the likelier it is chosen."""

    def __init__(self, venues: Sequence[str], weights: Sequence[float], symbols: Sequence[str], per_minute: float,
                 min_s: float, max_s: float, thin_factor: float, rng: random.Random, origin: float) -> None:
        self.venues, self.symbols = tuple(venues), tuple(symbols)
        total = sum(weights)
        self._weights = [w / total for w in weights] if total > 0 else [1.0 / len(self.venues)] * len(self.venues)
        self._rate = per_minute / 60.0
        self._span = (min_s, max_s)
        self.thin_factor = thin_factor
        self._rng = rng
        self._next = origin + rng.expovariate(self._rate) if self._rate > 0 else math.inf
        self.active: dict[tuple[str, str], StaleQuote] = {}
        self.log: deque[StaleQuote] = deque(maxlen=LOG_LENGTH)

    def advance(self, now: float) -> None:
        """Start the episodes due by ``now``; end those whose time is up."""
        rng = self._rng
        while now >= self._next:
            start = self._next
            venue = rng.choices(self.venues, self._weights)[0]
            symbol = self.symbols[rng.randrange(len(self.symbols))]
            if (venue, symbol) not in self.active:
                episode = StaleQuote(venue, symbol, start, start + rng.uniform(*self._span))
                self.active[(venue, symbol)] = episode
                self.log.append(episode)
            self._next = start + rng.expovariate(self._rate)
        if self.active:
            for key in [k for k, e in self.active.items() if now >= e.until]:
                del self.active[key]

    def episode(self, venue: str, symbol: str) -> StaleQuote | None:
        """Return the episode ``venue``'s ``symbol`` is in, if any."""
        return self.active.get((venue, symbol)) if self.active else None

    def wake(self, venue: str, symbol: str, now: float) -> bool:
        """Picked off: the market maker requotes from now. Return whether the quote was stale."""
        episode = self.active.pop((venue, symbol), None)
        if episode is None:
            return False
        episode.until = now
        return True


def weights_by_lag(lags_ms: Mapping[str, float], venues: Sequence[str]) -> list[float]:
    """A venue's chance of a stale episode grows with how far behind it quotes (never zero)."""
    return [1.0 + lags_ms[v] / 50.0 for v in venues]
