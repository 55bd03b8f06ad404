"""Paper execution: orders fill against the engine's books as they are when the order arrives.

Each order waits the venue's sampled latency (lognormal, fitted to the configured median and 95th
percentile) on the engine clock, then walks the venue's book at that moment, not the book at decision
time. Liquidity it takes is removed from the market through the feed, so two orders cannot both take
the same level.
"""

from __future__ import annotations

import math
import random
from dataclasses import replace
from typing import Mapping

from octo_desktop.config import Config
from octo_desktop.domain.book import OrderBook
from octo_desktop.domain.fills import OrderRequest, OrderResult, fill_taker_order
from octo_desktop.feeds.base import MarketFeed

Z95 = 1.6448536269514722


class PaperExecution:
    """An ExecutionClient that fills on paper against live (or simulated, or replayed) books."""

    def __init__(self, config: Config, books: Mapping[tuple[str, str], OrderBook], clock,
                 liquidity: MarketFeed, seed: int) -> None:
        self._config = config
        self._books = books
        self._clock = clock
        self._liquidity = liquidity
        self._rng = random.Random(seed)
        self._latency = {}
        for name, venue in config.venues.items():
            sigma = math.log(venue.latency_ms_p95 / venue.latency_ms_median) / Z95
            self._latency[name] = (math.log(venue.latency_ms_median / 1000.0), sigma)

    def set_config(self, config: Config) -> None:
        """Adopt new trading rules (tick, lot, minimum notional, fees) a venue reported."""
        self._config = config

    def sample_latency(self, venue: str) -> float:
        """Return one order round-trip latency for ``venue``, in seconds."""
        mu, sigma = self._latency[venue]
        return self._rng.lognormvariate(mu, sigma)

    async def place_order(self, request: OrderRequest) -> OrderResult:
        """Wait the venue's latency, then fill as a taker against its book at that moment."""
        latency = self.sample_latency(request.venue)
        await self._clock.sleep(latency)
        book = self._books[(request.venue, request.symbol)]
        if not book.is_valid:
            return OrderResult(request, rejected_reason=f"{request.venue} book unavailable (resyncing)",
                               latency_ms=latency * 1000.0)
        venue = self._config.venues[request.venue]
        result = fill_taker_order(book.levels(request.side), request, venue.symbols[request.symbol],
                                  venue.taker_fee, self._clock.now())
        if result.taken:
            self._liquidity.on_own_fill(request.venue, request.symbol, request.side, result.taken)
        return replace(result, latency_ms=latency * 1000.0)
