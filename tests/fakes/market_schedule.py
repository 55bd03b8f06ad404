"""Drive a SimulatedMarket's venue schedule by hand, without an event loop (for unit tests)."""

from __future__ import annotations

import heapq


def drive(market, seconds, on_event):
    """Run the market's venue schedule for ``seconds`` (no event loop: the schedule by hand)."""
    for venue in market.venues:
        for event in market.snapshots(venue, 0.0):
            on_event(event)
    heap = [(market.next_interval(v), v) for v in market.venues]
    heapq.heapify(heap)
    while heap[0][0] < seconds:
        race = market.next_race_time()
        if race <= heap[0][0]:  # a competitor's order arrives first
            for batch in market.race(race):
                for event in batch:
                    on_event(event)
            continue
        now, venue = heapq.heappop(heap)
        for event in market.tick(venue, now):
            on_event(event)
        heapq.heappush(heap, (now + market.next_interval(venue), venue))
