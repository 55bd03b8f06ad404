"""Spoofing: large resting orders pulled as the price approaches them, and a filter for their size.

A ``SpoofDetector`` watches one book. It tracks levels near the touch that are much larger than the
levels around them; when such a level vanishes while the price is coming toward it, before the touch
reached it and with little of it traded, it records a ``SpoofEvent``. After enough recent events the
book's large levels are suspect: ``caps`` says how much of each to believe, and ``capped_vwap`` /
``capped_quantity_within`` walk the book with those caps (the fake-liquidity filter).

Caps are ``(bid caps, ask caps)``, each ``price -> effective size``; a taker buy walks the asks, so it
uses the ask caps, and a taker sell the bid caps.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from types import MappingProxyType
from typing import Iterator, Mapping

from octo_desktop.domain.book import OrderBook, walk_vwap


@dataclass(frozen=True, slots=True)
class SpoofingSettings:
    """Large-order tracking and the fake-liquidity filter (``[spoofing]`` in the config)."""

    large_level_multiple: float = 5.0  # a level this many times the median near-touch size is "large"
    watch_levels: int = 10  # levels per side, from the touch, where large levels are tracked
    approach_bps: float = 5.0  # a large level pulled this close to the touch was being approached
    traded_fraction: float = 0.1  # pulled with less than this share of it traded: a spoof
    memory_s: float = 300.0  # spoof events this recent make a venue's large levels suspect
    min_events: int = 1
    discount: float = 1.0  # share of a suspect level's excess over the typical size that is ignored


Caps = tuple[Mapping[float, float], Mapping[float, float]]
NO_CAPS: Caps = (MappingProxyType({}), MappingProxyType({}))  # shared, so read-only
MAX_EVENTS = 100
BOTH_SIDES = ("bid", "ask")
_SIDES = {(True, True): BOTH_SIDES, (True, False): ("bid",), (False, True): ("ask",), (False, False): ()}


@dataclass(frozen=True, slots=True)
class SpoofEvent:
    """A large level that vanished as the price approached it, before it traded."""

    time: float
    venue: str
    symbol: str
    side: str  # "bid" or "ask": the side of the book it rested on
    price: float
    size: float  # the size that vanished: the level's size just before minus what is left
    lifetime_s: float  # from first sight as a large level to its disappearance
    traded: float  # quantity traded at its price while it rested
    distance_bps: float  # its distance from the touch on its side when it vanished


class _Tracked:
    """A large level being watched: its peak size, first sight, and what traded at its price."""

    __slots__ = ("peak", "size", "first_seen", "first_distance_bps", "traded")

    def __init__(self, size: float, first_seen: float, first_distance_bps: float) -> None:
        self.peak = size
        self.size = size
        self.first_seen = first_seen
        self.first_distance_bps = first_distance_bps
        self.traded = 0.0


class SpoofDetector:
    """Detect spoofed levels on one book and say which of its large levels are suspect."""

    def __init__(self, venue: str, symbol: str, config: SpoofingSettings) -> None:
        self.venue = venue
        self.symbol = symbol
        self.config = config
        self.events: deque[SpoofEvent] = deque(maxlen=max(MAX_EVENTS, config.min_events))
        self.caps_version = 0  # changes whenever caps() would return something different
        self._tracked: dict[str, dict[float, _Tracked]] = {"bid": {}, "ask": {}}
        self._typical: dict[str, float] = {"bid": math.nan, "ask": math.nan}
        self._caps: Caps = NO_CAPS
        self._suspect_until = -math.inf  # caps apply before this time
        self._is_suspect = False
        self._book_version = -1

    # --- inputs ---------------------------------------------------------------------------------
    def watched_sides(self, book: OrderBook, bids, asks) -> tuple[str, ...]:
        """Return the sides where a delta just applied to ``book`` changed a watched level, bid first.

        A change strictly behind the side's ``watch_levels``-th level (after the delta) leaves the
        watched levels as they were, so a scan of that side would find what the last one found: a
        deleted watched level brings a deeper one up, past which the deleted price lies; an inserted
        or resized one is inside.
        """
        n = self.config.watch_levels
        bid = ask = False
        if bids:
            edge = book.nth_price("bid", n)
            if edge != edge:  # NaN: fewer levels than watched, every change is watched
                bid = True
            else:
                for level in bids:
                    if level[0] >= edge:
                        bid = True
                        break
        if asks:
            edge = book.nth_price("ask", n)
            if edge != edge:
                ask = True
            else:
                for level in asks:
                    if level[0] <= edge:
                        ask = True
                        break
        return _SIDES[(bid, ask)]

    def on_book(self, book: OrderBook, now: float, is_snapshot: bool = False,
                sides: tuple[str, ...] = BOTH_SIDES) -> list[SpoofEvent]:
        """Update the tracked large levels after an applied book update; return the spoofs it revealed.

        ``sides`` names the sides whose watched levels the update changed (``watched_sides``); another would scan
        to the same result, so it is skipped. Both are scanned after a snapshot, or when this detector
        missed one of the book's versions (then it cannot know what changed).
        """
        if book.version == self._book_version and not is_snapshot:
            return []
        if is_snapshot or book.version != self._book_version + 1:
            sides = BOTH_SIDES
        self._book_version = book.version
        events: list[SpoofEvent] = []
        if is_snapshot or not book.is_valid:
            # A resync says nothing about what was cancelled in between: start again from this book.
            self._tracked["bid"].clear()
            self._tracked["ask"].clear()
        if book.is_valid:
            for side in sides:
                self._scan(book, side, now, events)
        if events:
            self.events.extend(events)
            if len(self.events) >= self.config.min_events:
                anchor = self.events[len(self.events) - self.config.min_events].time
                self._suspect_until = max(self._suspect_until, anchor + self.config.memory_s)
        self._refresh_caps(now)
        return events

    def on_trade(self, side: str, price: float, quantity: float) -> None:
        """Count a public trade (``side`` is the aggressor's) against the tracked level at its price."""
        tracked = self._tracked["ask" if side == "buy" else "bid"].get(price)
        if tracked is not None:
            tracked.traded += quantity

    # --- outputs --------------------------------------------------------------------------------
    def recent_events(self, now: float) -> int:
        """Return how many spoof events happened within ``memory_s`` before ``now``."""
        horizon = now - self.config.memory_s
        count = 0
        for event in reversed(self.events):
            if event.time <= horizon:
                break
            count += 1
        return count

    def is_suspect(self, now: float) -> bool:
        """Return True while at least ``min_events`` spoofs happened within ``memory_s``."""
        return now < self._suspect_until

    def caps(self, now: float) -> Caps:
        """Return (bid caps, ask caps): price -> effective size of each suspect level; empty if none.

        The dicts are replaced, never changed, when the caps change: treat them as read-only.
        """
        if self._is_suspect and not self.is_suspect(now):
            self._refresh_caps(now)
        return self._caps

    def tracked_levels(self, side: str) -> dict[float, float]:
        """Return the large levels tracked on ``side`` ("bid" or "ask"): price -> current size."""
        return {price: tracked.size for price, tracked in self._tracked[side].items()}

    # --- internals ------------------------------------------------------------------------------
    def _scan(self, book: OrderBook, side: str, now: float, events: list[SpoofEvent]) -> None:
        config = self.config
        prices, window_sizes = book.top_lists(side, config.watch_levels)
        tracked = self._tracked[side]
        if not prices:
            tracked.clear()
            self._typical[side] = math.nan
            return
        sizes = sorted(window_sizes)
        middle = len(sizes) // 2
        typical = sizes[middle] if len(sizes) % 2 else (sizes[middle - 1] + sizes[middle]) / 2.0
        self._typical[side] = typical
        touch = prices[0]
        is_bid = side == "bid"
        large = config.large_level_multiple * typical
        if tracked:
            window = dict(zip(prices, window_sizes))
            for price in list(tracked):
                level = tracked[price]
                size = window.get(price)
                if size is None:
                    size = book.size_at(side, price)
                    if size > 0.0:  # still resting, but outside the watched levels: no longer watched
                        del tracked[price]
                        continue
                if size < level.size / 4.0:  # a sudden drop, not a level worn down step by step
                    del tracked[price]
                    self._judge(side, price, level, size, touch, is_bid, now, events)
                elif size < large:
                    del tracked[price]  # shrank to an ordinary level: nothing vanished
                else:
                    level.size = size
                    if size > level.peak:
                        level.peak = size
        if len(sizes) < 3 or sizes[-1] < large:
            return  # nothing new to track; fewer than 3 levels: too few for a median to mean anything
        for price, size in zip(prices, window_sizes):
            if size >= large and price not in tracked:
                distance = (touch - price) / touch * 10_000.0 if is_bid else (price - touch) / touch * 10_000.0
                tracked[price] = _Tracked(size, now, distance)

    def _judge(self, side: str, price: float, level: _Tracked, size: float, touch: float, is_bid: bool,
               now: float, events: list[SpoofEvent]) -> None:
        # A level at or inside the touch may have been taken by trades the feed has not delivered
        # yet (venues publish the book change before the trades), so only levels still behind
        # the touch count: those the price never reached.
        if is_bid:
            if not touch > price:
                return
            distance = (touch - price) / touch * 10_000.0
        else:
            if not touch < price:
                return
            distance = (price - touch) / touch * 10_000.0
        if level.traded >= self.config.traded_fraction * level.peak:
            return
        if distance > self.config.approach_bps and distance >= level.first_distance_bps:
            return  # pulled away from the price, not in front of it
        events.append(SpoofEvent(now, self.venue, self.symbol, side, price, level.size - size,
                                 now - level.first_seen, level.traded, distance))

    def _refresh_caps(self, now: float) -> None:
        is_suspect = now < self._suspect_until
        if not is_suspect and not self._is_suspect:
            return  # no caps before, none now (nearly always)
        if is_suspect:
            caps = (self._side_caps("bid"), self._side_caps("ask"))
        else:
            caps = NO_CAPS
        if is_suspect != self._is_suspect or caps != self._caps:
            self._is_suspect = is_suspect
            self._caps = caps
            self.caps_version += 1

    def _side_caps(self, side: str) -> dict[float, float]:
        typical = self._typical[side]
        discount = self.config.discount
        return {price: level.size - discount * (level.size - typical)
                for price, level in self._tracked[side].items() if level.size > typical}


def capped_levels(book: OrderBook, side: str, caps: Caps) -> Iterator[tuple[float, float]]:
    """Yield the levels a taker of ``side`` would walk, each suspect level cut to its cap."""
    side_caps = caps[1] if side == "buy" else caps[0]
    for price, size in book.levels(side):
        cap = side_caps.get(price)
        yield price, (size if cap is None else min(size, cap))


def capped_vwap(book: OrderBook, side: str, quantity: float, caps: Caps) -> tuple[float, float]:
    """Return (VWAP, filled) of a taker ``side`` order for ``quantity``, believing only capped sizes."""
    if not (caps[1] if side == "buy" else caps[0]):
        return book.vwap(side, quantity)
    return walk_vwap(capped_levels(book, side, caps), quantity)


def capped_quantity_within(book: OrderBook, side: str, limit_price: float, caps: Caps) -> float:
    """Return the size a taker of ``side`` could take no worse than ``limit_price``, believing caps."""
    if not (caps[1] if side == "buy" else caps[0]):
        return book.quantity_within(side, limit_price)
    total = 0.0
    for price, size in capped_levels(book, side, caps):
        if (price > limit_price) if side == "buy" else (price < limit_price):
            break
        total += size
    return total
