"""The market every desk reads: one book per venue and symbol, and what the books and trades show.

``MarketData`` applies the feed's book updates and public trades (on the runtime loop), keeps each
book's feed latency, order flow (``TradeFlow``) and spoof detector, counts messages and errors per
venue, and turns all of it into read-only views for the snapshot (books, venue health, spoofing
events). It knows nothing of any desk: desks read the books and the readings, never write them.
"""

from __future__ import annotations

import logging
import math
import statistics
from collections import Counter, deque
from typing import Callable, Mapping

import numpy as np

from octo_desktop.domain.book import BookError, CrossedBook, OrderBook, SequenceGap
from octo_desktop.domain.model import DOWN, REPLAY, SIMULATED, STALE_STATE, BookUpdate, MarketTrade
from octo_desktop.domain.orderflow import FlowReading, TradeFlow
from octo_desktop.domain.snapshot import (
    DEGRADED, LIVE, STALE, WAITING, BookView, SpoofEventView, VenueHealthView, frozen_array, frozen_mapping,
)
from octo_desktop.domain.spoofing import SpoofDetector, SpoofEvent
from octo_desktop.feeds.base import ConnectionHealth

log = logging.getLogger(__name__)

DEPTH_LEVELS = 20  # levels per side in each book's view
SPOOF_LOG = 100
RATE_WINDOW_S = 5.0  # engine seconds over which messages per second are measured
_NO_CONNECTION = ConnectionHealth(DOWN)
_NO_ERRORS: Mapping[str, int] = frozen_mapping(())  # shared and read-only



class MarketData:
    """Books, feed latencies, order flow and spoof detectors of every (venue, symbol); per-venue health."""

    def __init__(self, venues: tuple[str, ...], symbols: tuple[str, ...], strategy, spoofing, *,
                 stale_after_s: float, spoof_history=(), on_spoofs: Callable[[list[SpoofEvent]], None] | None = None,
                 on_error: Callable[[str], None] | None = None,
                 request_resync: Callable[[str, str], None] | None = None) -> None:
        self.venues = venues
        self.symbols = symbols
        self.venue_index = {v: i for i, v in enumerate(venues)}
        self.stale_after_s = stale_after_s
        self._strategy = strategy
        self.books: dict[tuple[str, str], OrderBook] = {(v, s): OrderBook(v, s) for v in venues for s in symbols}
        self._venue_books = {v: [self.books[(v, s)] for s in symbols] for v in venues}
        self.latency_ms = {key: math.nan for key in self.books}
        self.flows = {key: TradeFlow(strategy.flow_window_s) for key in self.books}
        self.spoof = {key: SpoofDetector(key[0], key[1], spoofing) for key in self.books}
        self._flow_cache: dict[tuple[str, str], tuple[float, int, FlowReading]] = {}
        self.spoof_events: deque[SpoofEventView] = deque((SpoofEventView(*e) for e in spoof_history),
                                                         maxlen=SPOOF_LOG)
        self.spoof_count = 0  # detected in this run
        self._on_spoofs = on_spoofs
        self._request_resync = request_resync
        self._on_error = on_error
        self.venue_messages = {v: 0 for v in venues}
        self._venue_rate: dict[str, deque[tuple[float, int]]] = {v: deque() for v in venues}
        self.venue_errors: dict[str, Counter[str]] = {v: Counter() for v in venues}
        self.venue_state: dict[str, str] = {}  # the feed's last word on each venue's connection
        self._last_exchange_latency = {v: math.nan for v in venues}
        self.events = 0
        self._event_buckets: deque[tuple[int, int]] = deque()  # (engine second, count), complete seconds
        self._second, self._second_events = -1, 0  # the engine second under way and its events so far

    # --- applying the feed ---------------------------------------------------------------------------
    def apply(self, event: BookUpdate | MarketTrade) -> None:
        """Apply one book update or public trade; a book that fails its checks is invalidated and resynced."""
        self.events += 1
        venue = event.venue
        messages = self.venue_messages
        if venue in messages:
            messages[venue] += 1
        second = int(event.received_time)
        if second == self._second:
            self._second_events += 1
        else:
            self._next_second(second)
        key = (venue, event.symbol)
        if event.__class__ is BookUpdate:
            book = self.books.get(key)
            if book is None:
                return
            try:
                if event.is_snapshot:
                    book.apply_snapshot(event.bids, event.asks, event.sequence, event.exchange_time,
                                        event.received_time)
                else:
                    book.apply_delta(event.bids, event.asks, event.sequence, event.exchange_time,
                                     event.received_time)
            except BookError as exc:
                book.invalidate()
                kind = "gap" if isinstance(exc, SequenceGap) else "crossed" if isinstance(exc, CrossedBook) \
                    else "invalid"
                self.venue_errors[event.venue][kind] += 1
                if not isinstance(exc, SequenceGap) and self._on_error is not None:
                    self._on_error(str(exc))  # a gap is routine: resync, no alarm
                log.info("resync %s %s: %s", event.venue, event.symbol, exc)
                if self._request_resync is not None:
                    self._request_resync(event.venue, event.symbol)
            if book.is_valid:
                detector = self.spoof[key]
                spoofs = detector.on_book(book, event.received_time, event.is_snapshot,
                                          detector.watched_sides(book, event.bids, event.asks))
                if spoofs:
                    self._record_spoofs(spoofs)
            latency = (event.received_time - event.exchange_time) * 1000.0
            self.latency_ms[key] = latency
            if not math.isnan(latency):
                self._last_exchange_latency[event.venue] = latency
        elif event.__class__ is MarketTrade:
            flow = self.flows.get(key)
            if flow is not None:
                flow.add(event.received_time, event.side, event.price, event.quantity)
                self.spoof[key].on_trade(event.side, event.price, event.quantity)

    def _next_second(self, second: int) -> None:
        # The engine second that ended goes into the buckets: the last few complete seconds.
        buckets = self._event_buckets
        if self._second_events:
            buckets.append((self._second, self._second_events))
        while buckets and buckets[0][0] < second - 5:
            buckets.popleft()
        self._second, self._second_events = second, 1

    def invalidate(self, venue: str, symbols) -> list[str]:
        """Invalidate ``venue``'s books of ``symbols`` (the feed called them unusable); return the symbols."""
        touched = []
        for symbol in symbols:
            book = self.books.get((venue, symbol))
            if book is not None:
                book.invalidate()
                touched.append(symbol)
        return touched

    def _record_spoofs(self, events: list[SpoofEvent]) -> None:
        for event in events:
            self.spoof_count += 1
            self.spoof_events.appendleft(SpoofEventView(event.time, event.venue, event.symbol, event.side,
                                                        event.price, event.size, event.lifetime_s, event.traded,
                                                        event.distance_bps))
        if self._on_spoofs is not None:
            self._on_spoofs(events)

    # --- readings ------------------------------------------------------------------------------------
    def status(self, book: OrderBook, now: float) -> str:
        """Return a book's status: waiting (no data yet), degraded (invalid), stale, or live."""
        if math.isnan(book.received_time):
            return WAITING
        if not book.is_valid:
            return DEGRADED
        if now - book.received_time > self.stale_after_s:
            return STALE
        return LIVE

    def flow_reading(self, venue: str, symbol: str, now: float) -> FlowReading:
        """Return the venue's order-flow reading (top-N imbalance, CVD, VWAP drift, direction)."""
        key = (venue, symbol)
        book = self.books[key]
        cached = self._flow_cache.get(key)
        if cached is not None and cached[0] == now and cached[1] == book.version:
            return cached[2]
        levels = self._strategy.imbalance_levels
        bid_size = ask_size = 0.0
        mid = math.nan
        if book.is_valid:
            bid_size = book.top_size("bid", levels)
            ask_size = book.top_size("ask", levels)
            mid = book.mid
        reading = self.flows[key].reading(now, bid_size, ask_size, mid, self._strategy.drift_scale_bps)
        self._flow_cache[key] = (now, book.version, reading)
        return reading

    def events_per_second(self) -> float:
        """Return events per engine-clock second over the last few seconds."""
        if not self._event_buckets:
            return 0.0
        complete = list(self._event_buckets)
        span = complete[-1][0] - complete[0][0] + 1
        return sum(count for _, count in complete) / span

    def sample_rates(self, now: float) -> None:
        """Take a sample of each venue's message count, for its messages per second."""
        for venue, samples in self._venue_rate.items():
            samples.append((now, self.venue_messages[venue]))
            while len(samples) > 2 and samples[0][0] < now - RATE_WINDOW_S:
                samples.popleft()

    def medians(self, now: float) -> dict[str, float]:
        """Return the median mid of each symbol's live books (symbols without a live book are left out)."""
        marks = {}
        for symbol in self.symbols:
            mids = [book.mid for venue in self.venues
                    if self.status(book := self.books[(venue, symbol)], now) == LIVE]
            if mids:
                marks[symbol] = statistics.median(mids)
        return marks

    # --- views ---------------------------------------------------------------------------------------
    def book_views(self, now: float) -> Mapping[tuple[str, str], BookView]:
        """Return every book's read-only view (best prices, age, latency, status, top levels)."""
        views = {}
        for key, book in self.books.items():
            views[key] = BookView(
                venue=key[0], symbol=key[1], bid=book.best_bid, ask=book.best_ask,
                bid_size=book.best_bid_size, ask_size=book.best_ask_size,
                age_ms=(now - book.received_time) * 1000.0, latency_ms=self.latency_ms[key],
                status=self.status(book, now),
                bids=frozen_array(book.top("bid", DEPTH_LEVELS) or np.zeros((0, 2))),
                asks=frozen_array(book.top("ask", DEPTH_LEVELS) or np.zeros((0, 2))))
        return frozen_mapping(views)

    def venue_health(self, now: float, connections: Mapping[str, ConnectionHealth]) -> dict[str, VenueHealthView]:
        """Return each venue's health: the feed's connection state and what its books show."""
        result = {}
        for venue in self.venues:
            conn = connections.get(venue) or _NO_CONNECTION
            books = self._venue_books[venue]
            newest = max((book.received_time for book in books if book.received_time == book.received_time),
                         default=math.nan)  # NaN: no data yet
            state = conn.state
            if state in (SIMULATED, REPLAY):
                statuses = [self.status(book, now) for book in books]
                if LIVE not in statuses:
                    state = DOWN if all(st == WAITING for st in statuses) else STALE_STATE
            samples = self._venue_rate[venue]
            rate = 0.0
            if len(samples) >= 2 and samples[-1][0] > samples[0][0]:
                rate = (samples[-1][1] - samples[0][1]) / (samples[-1][0] - samples[0][0])
            counted = self.venue_errors[venue]
            if conn.errors or counted:
                errors = Counter(conn.errors)
                errors.update(counted)
                error_view = frozen_mapping(sorted(errors.items()))
            else:
                error_view = _NO_ERRORS
            result[venue] = VenueHealthView(
                venue=venue, state=state, age_ms=(now - newest) * 1000.0,
                latency_ms=self._last_exchange_latency[venue], rest_rtt_ms=conn.rest_rtt_ms,
                messages_per_s=rate, reconnects=conn.reconnects, last_error=conn.last_error,
                errors=error_view)
        return result
