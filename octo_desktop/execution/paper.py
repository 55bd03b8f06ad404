"""Paper execution: orders fill against the engine's books as they are when the order arrives.

Each order waits its venue's latency (``domain.latency``: configured lognormal, or learned from the
venue's measured latencies in live mode) on the engine clock, then:
- MARKET and IOC_LIMIT walk the venue's book at that moment (not the book at decision time) as a
  taker; the liquidity they take is removed from the market through the feed, so two orders cannot
  both take the same level.
- POST_ONLY is rejected if it would cross, else rests with the queue estimated from the size shown
  at its price, and fills from the venue's public trades (``domain.fills.RestingOrder``) until it is
  filled, expires or is cancelled.
An order whose latency runs past its ``expires_at`` is not executed (TIMED_OUT). The paper venue's
only memory is the engine's journal: an order sent before a crash with no recorded result did not
execute (LOST).
"""

from __future__ import annotations

import asyncio
import math
import random
from dataclasses import replace
from typing import Mapping

from octo_desktop.config import Config
from octo_desktop.domain.book import OrderBook
from octo_desktop.domain.fills import (
    LOST, POST_ONLY, TIMED_OUT, OrderRequest, OrderResult, RestingOrder, fill_taker_order, would_cross,
)
from octo_desktop.domain.latency import LatencyModel
from octo_desktop.domain.model import BUY, BookUpdate, MarketTrade
from octo_desktop.feeds.base import MarketFeed


class _Resting:
    __slots__ = ("order", "done", "cancel_reason")

    def __init__(self, order: RestingOrder, done: asyncio.Future) -> None:
        self.order = order
        self.done = done
        self.cancel_reason = ""


class PaperExecution:
    """An ExecutionClient that fills on paper against live (or simulated, or replayed) books."""

    def __init__(self, config: Config, books: Mapping[tuple[str, str], OrderBook], clock,
                 liquidity: MarketFeed, seed: int, *, learned_latency: bool = False) -> None:
        self._config = config
        self._books = books
        self._clock = clock
        self._liquidity = liquidity
        self._rng = random.Random(seed)
        self.models = {name: LatencyModel(venue.latency_ms_median, venue.latency_ms_p95, learned=learned_latency)
                       for name, venue in config.venues.items()}
        self._resting: dict[tuple[str, str], list[_Resting]] = {}

    def set_config(self, config: Config) -> None:
        """Adopt new trading rules (tick, lot, minimum notional, fees) a venue reported."""
        self._config = config

    def observe_latency(self, venue: str, latency_ms: float) -> None:
        """Record a latency measured on ``venue`` (live mode learns its order latency from these)."""
        model = self.models.get(venue)
        if model is not None:
            model.window.add(latency_ms)

    def latency_p95_ms(self, venue: str) -> float:
        """Return the p95 of the latency orders to ``venue`` are drawn from (ms)."""
        return self.models[venue].expected_p95_ms()

    def sample_latency(self, venue: str) -> float:
        """Return one order round-trip latency for ``venue``, in seconds."""
        return self.models[venue].sample_s(self._rng)

    @property
    def resting_count(self) -> int:
        return sum(len(orders) for orders in self._resting.values())

    async def place_order(self, request: OrderRequest) -> OrderResult:
        """Wait the venue's latency, then fill against its book at that moment (or rest, post-only)."""
        latency = self.sample_latency(request.venue)
        now = self._clock.now()
        if now + latency > request.expires_at:
            waited = max(0.0, request.expires_at - now)
            await self._clock.sleep(waited)
            return OrderResult(request, rejected_reason=f"no answer within {waited:.2f} s; treated as not executed",
                               latency_ms=waited * 1000.0, status_override=TIMED_OUT)
        await self._clock.sleep(latency)
        latency_ms = latency * 1000.0
        book = self._books[(request.venue, request.symbol)]
        if not book.is_valid:
            return OrderResult(request, rejected_reason=f"{request.venue} book unavailable (resyncing)",
                               latency_ms=latency_ms)
        vwap, got = book.vwap(request.side, float(request.quantity))
        arrival = vwap if got >= float(request.quantity) * 0.999999 else math.nan
        venue = self._config.venues[request.venue]
        spec = venue.symbols[request.symbol]
        if request.order_type == POST_ONLY:
            return await self._rest(request, book, spec, venue.maker_fee, latency_ms, arrival)
        result = fill_taker_order(book.levels(request.side), request, spec, venue.taker_fee, self._clock.now())
        if result.taken:
            self._liquidity.on_own_fill(request.venue, request.symbol, request.side, result.taken)
        return replace(result, latency_ms=latency_ms, arrival_vwap=arrival)

    async def _rest(self, request: OrderRequest, book: OrderBook, spec, maker_fee, latency_ms: float,
                    arrival: float) -> OrderResult:
        price = request.limit_price
        if price is None or not math.isfinite(price) or price <= 0:
            return OrderResult(request, rejected_reason="post-only order without a valid price",
                               latency_ms=latency_ms, arrival_vwap=arrival)
        if would_cross(request.side, price, book.best_bid, book.best_ask):
            touch = book.best_ask if request.side == BUY else book.best_bid
            return OrderResult(request, rejected_reason=f"post-only {request.side} at {price:g} would cross "
                                                        f"the touch {touch:g}; rejected",
                               latency_ms=latency_ms, arrival_vwap=arrival)
        queue = book.size_at("bid" if request.side == BUY else "ask", price)
        try:
            order = RestingOrder(request, spec, maker_fee, queue)
        except ValueError as exc:
            return OrderResult(request, rejected_reason=str(exc), latency_ms=latency_ms)
        loop = asyncio.get_running_loop()
        entry = _Resting(order, loop.create_future())
        key = (request.venue, request.symbol)
        self._resting.setdefault(key, []).append(entry)
        timer = None
        if math.isfinite(request.expires_at):
            timer = self._clock.call_later(max(0.0, request.expires_at - self._clock.now()),
                                           _finish, entry.done)
        try:
            await entry.done
        finally:
            if timer is not None:
                timer.cancel()
            orders = self._resting.get(key, [])
            if entry in orders:
                orders.remove(entry)
        reason = ""
        if not order.is_done:
            reason = f"cancelled: {entry.cancel_reason}" if entry.cancel_reason else "expired unfilled at the timeout"
        return OrderResult(request, fills=tuple(order.fills), rejected_reason=reason if not order.fills else "",
                           latency_ms=latency_ms, arrival_vwap=arrival, queue_ahead=queue)

    async def recover_order(self, request: OrderRequest) -> OrderResult:
        """Return LOST: the paper venue keeps no state outside the journal, so the order never executed."""
        return OrderResult(request, rejected_reason="sent before a restart with no recorded result: the paper "
                                                    "venue has no record of it, so it did not execute",
                           status_override=LOST)

    def cancel_all(self, reason: str) -> int:
        """Cancel every resting post-only order; return how many."""
        count = 0
        for orders in self._resting.values():
            for entry in orders:
                if not entry.done.done():
                    entry.cancel_reason = reason
                    entry.done.set_result(None)
                    count += 1
        return count

    def on_market_event(self, event) -> None:
        """Fill resting orders from public trades; shrink their queues when their level shrinks."""
        orders = self._resting.get((event.venue, event.symbol))
        if not orders:
            return
        if isinstance(event, MarketTrade):
            for entry in orders:
                entry.order.on_trade(event.side, event.price, event.quantity, event.received_time)
                if entry.order.is_done and not entry.done.done():
                    entry.done.set_result(None)
        elif isinstance(event, BookUpdate):
            book = self._books.get((event.venue, event.symbol))
            if book is None:
                return
            for entry in orders:
                side = "bid" if entry.order.request.side == BUY else "ask"
                entry.order.on_level_size(book.size_at(side, entry.order.price))


def _finish(future: asyncio.Future) -> None:
    if not future.done():
        future.set_result(None)
