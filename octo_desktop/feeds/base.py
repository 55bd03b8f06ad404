"""The market-feed interface every market source implements (simulated, live, replay)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Protocol, Sequence, Union

from octo_desktop.domain.model import BookUpdate, FeedStatus, MarketRules, MarketTrade, NetworkRules

MarketEvent = Union[BookUpdate, MarketTrade, FeedStatus, MarketRules, NetworkRules]
EventSink = Callable[[MarketEvent], None]  # one event; the desks look once at the end of the loop iteration
BatchSink = Callable[[Sequence[MarketEvent]], None]  # what one venue published at one instant; the desks look then


@dataclass(frozen=True, slots=True)
class ConnectionHealth:
    """What a feed knows about a venue's connection; the engine adds what the books show."""

    state: str
    reconnects: int = 0
    rest_rtt_ms: float = math.nan
    last_error: str = ""
    errors: Mapping[str, int] = field(default_factory=dict)


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

    def connection_health(self) -> Mapping[str, ConnectionHealth]:
        """Return venue -> the connection's health (read on the runtime thread)."""

    def summary(self) -> Mapping[str, Any]:
        """Return what the feed adds to the ``--json`` summary (the simulated market's competitors), or {}."""
