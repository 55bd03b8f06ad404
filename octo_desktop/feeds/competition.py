"""Other arbitrageurs in the simulated market: who they are, when they see an opportunity, when they arrive.

Pure and seeded (no asyncio). The simulated market asks ``Competition.spot`` after each book update of a
symbol; every competitor that trades a crossed route (buy where the ask is low, sell where the bid is
high) and whose net edge after its own fees clears its threshold sends two immediate-or-cancel legs,
each arriving at its venue after that competitor's latency to it. ``due`` hands the market the legs
whose time has come; the market fills them against its books as they are then (``SimulatedMarket``),
so a faster competitor takes the mispriced levels first and a slower one, or Octo, meets what is left.

Each competitor has its own median latency to each venue, drawn once around its class's median, and
every race draws around that again: the fastest class wins most races, not all of them.
"""

from __future__ import annotations

import heapq
import math
import random
from collections import deque
from dataclasses import dataclass
from typing import Iterable, Mapping, Protocol

from octo_desktop.domain.model import BUY, SELL

BPS = 10_000.0
RACE_LOG_LENGTH = 10_000
CLASSES = ("fast", "medium", "slow")


class QuoteView(Protocol):
    """What a competitor sees of one venue's book: integer price levels -> size, and their prices."""

    bids: dict[int, float]
    asks: dict[int, float]
    version: int  # changes whenever bids or asks do

    def price(self, k: int) -> float: ...


@dataclass(frozen=True, slots=True)
class Competitor:
    """One other arbitrageur: its class and its median latency to each venue (seconds)."""

    name: str  # "fast-1", "slow-3", ...
    kind: str  # "fast", "medium" or "slow"
    latency_s: Mapping[str, float]
    sigma: float  # lognormal spread of one race's latency around the median
    routes: frozenset  # (symbol, buy venue, sell venue) it trades

    def delay(self, venue: str, rng: random.Random) -> float:
        """Return the seconds from a publication to this competitor's order arriving at ``venue``."""
        median = self.latency_s[venue]
        return median * rng.lognormvariate(0.0, self.sigma) if self.sigma > 0 else median


@dataclass(slots=True)
class Leg:
    """One immediate-or-cancel order of a race, due at its venue at ``when``."""

    when: float
    competitor: Competitor
    symbol: str
    venue: str
    side: str  # BUY or SELL
    limit: float  # the worst price it accepts
    quantity: float
    seen_at: float
    route: tuple[str, str, str]  # (symbol, buy venue, sell venue)
    filled: float = 0.0
    average: float = math.nan


@dataclass(frozen=True, slots=True)
class RaceRecord:
    """Ground truth of one competitor leg: where, when it was seen and arrived, and what it took."""

    competitor: str
    kind: str
    symbol: str
    venue: str
    side: str
    seen_at: float
    arrived_at: float
    limit: float
    quantity: float
    filled: float
    average: float  # NaN when nothing filled


def make_competitors(counts: Mapping[str, int], medians_ms: Mapping[str, float], sigma: float,
                     participation: float, venues: Iterable[str], symbols: Iterable[str],
                     rng: random.Random) -> tuple[Competitor, ...]:
    """Draw the population: ``counts[kind]`` competitors of each class, their latencies and their routes."""
    venues, symbols = tuple(venues), tuple(symbols)
    routes = [(s, b, v) for s in symbols for b in venues for v in venues if b != v]
    result = []
    for kind in CLASSES:
        for n in range(int(counts.get(kind, 0))):
            median = medians_ms[kind] / 1000.0
            latency = {v: median * (rng.lognormvariate(0.0, sigma) if sigma > 0 else 1.0) for v in venues}
            chosen = frozenset(r for r in routes if rng.random() < participation)
            result.append(Competitor(f"{kind}-{n + 1}", kind, latency, sigma, chosen))
    return tuple(result)


def buy_limit(sell_bid: float, fee: float, edge_bps: float) -> float:
    """The highest price ``p`` worth paying when the other leg sells at ``sell_bid``: the net edge
    ``(sell_bid * (1 - fee) - p * (1 + fee)) / p`` is at least ``edge_bps``."""
    return sell_bid * (1.0 - fee) / (1.0 + fee + edge_bps / BPS)


def sell_limit(buy_ask: float, fee: float, edge_bps: float) -> float:
    """The lowest price worth selling at when the other leg buys at ``buy_ask`` (the same net edge)."""
    return buy_ask * (1.0 + fee + edge_bps / BPS) / (1.0 - fee)


class Competition:
    """The population, its races in flight and the record of what each leg took."""

    def __init__(self, competitors: tuple[Competitor, ...], fee_bps: float, edge_bps: float,
                 max_notional: float, rng: random.Random, cooldown_s: float = 0.0) -> None:
        self.competitors = competitors
        self.fee = fee_bps / BPS
        self.edge_bps = edge_bps
        self.max_notional = max_notional
        self.cooldown_s = cooldown_s
        self._resting: dict[tuple[str, str], float] = {}  # (competitor, symbol) -> when it races that symbol again
        self._rng = rng
        self._heap: list[tuple[float, int, Leg]] = []
        self._sequence = 0
        self._racing: set[tuple[str, str, str, str]] = set()  # (competitor, symbol, venue, side) of open legs
        self.log: deque[RaceRecord] = deque(maxlen=RACE_LOG_LENGTH)
        self.races = 0
        self._tops: dict[tuple[str, str], tuple[int, float, float]] = {}  # best ask and bid by book version

    @property
    def active(self) -> bool:
        return bool(self.competitors)

    def next_time(self) -> float:
        """Return when the next leg arrives (inf: none in flight)."""
        return self._heap[0][0] if self._heap else math.inf

    def spot(self, symbol: str, quotes: Mapping[str, QuoteView], now: float) -> int:
        """Look at ``symbol`` across the venues now; start a race for every competitor that wants one.

        Each competitor takes the best crossed route it trades whose venues it is not already racing on
        for this symbol (one order per book at a time), unless it raced this symbol less than
        ``cooldown_s`` ago: one race moves its inventory, and it rebalances and rechecks its risk before
        the next. Return how many races started.
        """
        if not self.competitors:
            return 0
        tops = {}
        low_ask, high_bid = math.inf, -math.inf
        cache = self._tops
        for venue, q in quotes.items():
            cached = cache.get((symbol, venue))
            if cached is None or cached[0] != q.version:
                cached = cache[(symbol, venue)] = (q.version, q.price(min(q.asks)) if q.asks else math.nan,
                                                   q.price(max(q.bids)) if q.bids else math.nan)
            _, ask, bid = cached
            if ask == ask and bid == bid:  # both sides quoted
                tops[venue] = (ask, bid)
                if ask < low_ask:
                    low_ask = ask
                if bid > high_bid:
                    high_bid = bid
        fee, edge = self.fee, self.edge_bps
        if not tops or (high_bid * (1.0 - fee) - low_ask * (1.0 + fee)) / low_ask * BPS < edge:
            return 0  # even the best bid against the best ask does not pay: nearly always
        crossed = []
        for buy_venue, (ask, _) in tops.items():
            for sell_venue, (_, bid) in tops.items():
                if buy_venue != sell_venue and bid > ask:
                    net_bps = (bid * (1.0 - fee) - ask * (1.0 + fee)) / ask * BPS
                    if net_bps >= edge:
                        crossed.append((net_bps, buy_venue, sell_venue, ask, bid))
        if not crossed:
            return 0
        crossed.sort(key=lambda c: -c[0])
        started = 0
        busy, resting = self._racing, self._resting
        for competitor in self.competitors:
            name = competitor.name
            if resting.get((name, symbol), -math.inf) > now:
                continue
            for _net, buy_venue, sell_venue, ask, bid in crossed:
                route = (symbol, buy_venue, sell_venue)
                buy_key, sell_key = (name, symbol, buy_venue, BUY), (name, symbol, sell_venue, SELL)
                if route not in competitor.routes or buy_key in busy or sell_key in busy:
                    continue
                high, low = buy_limit(bid, fee, edge), sell_limit(ask, fee, edge)
                depth = min(_depth(quotes[buy_venue], BUY, high), _depth(quotes[sell_venue], SELL, low))
                quantity = min(depth, self.max_notional / ask)
                if quantity <= 0:
                    continue
                busy.add(buy_key)
                busy.add(sell_key)
                if self.cooldown_s > 0:
                    resting[(name, symbol)] = now + self.cooldown_s
                self.races += 1
                started += 1
                for venue, side, limit in ((buy_venue, BUY, high), (sell_venue, SELL, low)):
                    when = now + competitor.delay(venue, self._rng)
                    self._sequence += 1
                    heapq.heappush(self._heap, (when, self._sequence, Leg(
                        when, competitor, symbol, venue, side, limit, quantity, now, route)))
                break
        return started

    def due(self, now: float) -> list[Leg]:
        """Return the legs that have arrived by ``now``, in arrival order."""
        legs = []
        heap = self._heap
        while heap and heap[0][0] <= now:
            legs.append(heapq.heappop(heap)[2])
        return legs

    def done(self, leg: Leg) -> None:
        """Record what ``leg`` took (its ``filled`` and ``average`` set by the market); that book is free
        for this competitor again."""
        self.log.append(RaceRecord(leg.competitor.name, leg.competitor.kind, leg.symbol, leg.venue, leg.side,
                                   leg.seen_at, leg.when, leg.limit, leg.quantity, leg.filled, leg.average))
        self._racing.discard((leg.competitor.name, leg.symbol, leg.venue, leg.side))


def _depth(q: QuoteView, side: str, limit: float) -> float:
    """Size a taker of ``side`` finds at or better than ``limit``."""
    if side == BUY:
        return sum(size for k, size in q.asks.items() if q.price(k) <= limit)
    return sum(size for k, size in q.bids.items() if q.price(k) >= limit)


def take(q: QuoteView, side: str, limit: float, quantity: float, lot: float) -> list[tuple[int, float]]:
    """Walk ``q`` as a taker of ``side`` up to ``quantity`` at prices no worse than ``limit``.

    Return ``(level, size taken)`` best first; the quote is not changed (the market applies it).
    """
    if side == BUY:
        levels = sorted(k for k in q.asks if q.price(k) <= limit)
        book = q.asks
    else:
        levels = sorted((k for k in q.bids if q.price(k) >= limit), reverse=True)
        book = q.bids
    taken = []
    remaining = quantity
    for k in levels:
        if remaining < lot * 0.5:
            break
        size = min(book[k], math.floor(remaining / lot + 1e-9) * lot)
        size = round(size, 12)
        if size <= 0:
            break
        taken.append((k, size))
        remaining -= size
    return taken
