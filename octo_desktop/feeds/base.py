"""The market-feed interface every market source implements (simulated, live, replay)."""

from __future__ import annotations

from typing import Callable, Protocol, Union

from octo_desktop.domain.model import BookUpdate, MarketTrade

MarketEvent = Union[BookUpdate, MarketTrade]
EventSink = Callable[[MarketEvent], None]


class MarketFeed(Protocol):
    """A source of normalized book updates and trades for the engine."""

    name: str

    async def run(self) -> None:
        """Publish events to the sink until cancelled."""

    def request_resync(self, venue: str, symbol: str) -> None:
        """Ask for a fresh snapshot of one book (after a sequence gap or a crossed book)."""

    def on_own_fill(self, venue: str, symbol: str, side: str, taken: tuple[tuple[float, float], ...]) -> None:
        """Learn that our own order took ``taken`` (price, size) from a book.

        A simulated venue removes that liquidity from its book; a live venue's own feed reports it,
        so live feeds ignore this.
        """
