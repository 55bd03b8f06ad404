"""Replay a recording through the engine on the simulated clock, event by event, at their own times.

Each event is delivered when the engine clock reaches its ``ts``, in file order, so the engine
sees the same books at the same instants as the session that recorded them. Consecutive events of
one venue at one instant go to the kernel as one batch, as the simulated market published them (a
venue's tick). Events marked ``own`` (the simulated market's reaction to one of our paper fills) are
handed over when the replayed executor makes that fill, inside the same call, exactly as the
simulated market did; if the replay diverged and never makes it, they are delivered at their time
like any other event.
"""

from __future__ import annotations

import asyncio
import math
from collections import deque
from types import MappingProxyType
from typing import Any, Mapping

from octo_desktop.domain.model import REPLAY, BookUpdate, MarketTrade
from octo_desktop.feeds.base import BatchSink, ConnectionHealth, EventSink
from octo_desktop.feeds.recording import RecordingReader

OWN_MATCH_WINDOW_S = 1e-3  # an own event belongs to a fill made within this time of it


class ReplayFeed:
    """A MarketFeed that reads a recording; ``run()`` returns when the recording ends.

    A damaged recording ends where the damage starts, the same way: the events before it are replayed
    and ``error`` says what stopped it.
    """

    name = "replay"

    def __init__(self, reader: RecordingReader, clock, sink: EventSink, batch: BatchSink, on_end=None) -> None:
        self.reader = reader
        self._clock = clock
        self._sink = sink
        self._batch = batch
        self._events = reader.events()
        self._buffer: deque = deque()
        self._exhausted = False
        self.delivered = 0
        self.finished = False
        self.venues = reader.header.venues
        self._health = MappingProxyType({venue: ConnectionHealth(REPLAY) for venue in self.venues})
        self.on_end = on_end  # called once with the stop time, as soon as the end of the file is read
        self._last_ts = reader.header.start
        self._end_reported = False
        self._done: asyncio.Future | None = None
        self._timer: asyncio.Handle | None = None

    # --- reading ahead ----------------------------------------------------------------------------
    def _fill(self, n: int = 1) -> None:
        while len(self._buffer) < n and not self._exhausted:
            try:
                item = next(self._events)
            except StopIteration:
                self._exhausted = True
                break
            self._last_ts = max(self._last_ts, item[0].received_time)
            self._buffer.append(item)
        if not self._end_reported and (self._exhausted or self.reader.end_time is not None):
            self._end_reported = True
            if self.on_end is not None:
                # A file cut short (no end line) ends with its last event.
                end = self.reader.end_time
                self.on_end(end if end is not None else self._last_ts)

    def _peek(self):
        self._fill()
        return self._buffer[0] if self._buffer else None

    @property
    def error(self) -> str:
        """Why the replay stopped before the end of the file (one line naming the file and line), else ""."""
        return self.reader.error

    @property
    def start_time(self) -> float:
        """When the recording's session started (the header's ``start``)."""
        return self.reader.header.start

    @property
    def end_time(self) -> float:
        """When the recording's source stopped (NaN until known)."""
        end = self.reader.end_time
        return math.nan if end is None else end

    # --- MarketFeed ---------------------------------------------------------------------------------
    async def run(self) -> None:
        """Deliver every event at its time; return at the end of the file."""
        # A timer per event time rather than a task that sleeps until it: the same instants, a few
        # microseconds less per event (no future, no task step), which a replay at full speed is made of.
        self._done = asyncio.get_running_loop().create_future()
        self._deliver_due()
        try:
            await self._done
        finally:
            if self._timer is not None:
                self._timer.cancel()
        self.finished = True

    def _deliver_due(self) -> None:
        self._timer = None
        now = self._clock.now()
        buffer = self._buffer
        while True:
            if not buffer:
                self._fill()
                if not buffer:
                    if not self._done.done():
                        self._done.set_result(None)
                    return
            event, own = buffer[0]
            when = event.received_time
            if when > now:  # an own-fill may have taken the event this timer was for: wait for the next
                if own or not self._clock.skip_to(when):
                    self._timer = self._clock.call_at(when, self._wake)
                    return
                now = when  # nothing else was due before it: delivered here, as its timer would have
            if own:
                self._deliver_head()  # not taken by a fill at its time: delivered like any other event
                continue
            # One venue's events at one instant, as one batch (own events end it: they came from a fill).
            venue = event.venue
            batch = [buffer.popleft()[0]]
            while True:
                if not buffer:
                    self._fill()
                    if not buffer:
                        break
                head, head_own = buffer[0]
                if head_own or head.received_time != when or head.venue != venue:
                    break
                batch.append(buffer.popleft()[0])
            self.delivered += len(batch)
            self._batch(batch)

    def _wake(self) -> None:
        # The own reaction to a fill due at this same instant is the fill's to take (``on_own_fill``), as the
        # recording session's market handed it over from inside the fill: wait one loop step for it.
        # Anything else is delivered now, as the simulated market's venue timers did.
        if self._buffer and self._buffer[0][1]:
            self._timer = asyncio.get_running_loop().call_soon(self._deliver_due)
        else:
            self._deliver_due()

    def request_resync(self, venue: str, symbol: str) -> None:
        """A recording cannot be asked for a snapshot: the book stays excluded until the next one."""

    def on_own_fill(self, venue: str, symbol: str, side: str, taken: tuple[tuple[float, float], ...]) -> None:
        """Hand over the recorded reaction to this fill (one book update, then its trades) if it is next."""
        limit = self._clock.now() + OWN_MATCH_WINDOW_S
        head = self._peek()
        if head is None or not isinstance(head[0], BookUpdate) or not _is_own_reaction(head, venue, symbol, limit):
            return
        self._deliver_head()
        while (head := self._peek()) is not None and isinstance(head[0], MarketTrade) \
                and head[0].side == side and _is_own_reaction(head, venue, symbol, limit):
            self._deliver_head()

    def _deliver_head(self) -> None:
        event, _own = self._buffer.popleft()
        self.delivered += 1
        self._sink(event)

    def summary(self) -> Mapping[str, Any]:
        """Nothing beyond the engine's own summary."""
        return {}

    def connection_health(self) -> Mapping[str, ConnectionHealth]:
        """Replayed venues are healthy by construction; staleness comes from the books."""
        return self._health


def _is_own_reaction(item, venue: str, symbol: str, limit: float) -> bool:
    event, own = item
    return own and event.venue == venue and getattr(event, "symbol", None) == symbol \
        and event.received_time <= limit
