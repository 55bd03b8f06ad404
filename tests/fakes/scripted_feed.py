"""A MarketFeed that publishes scripted book snapshots and deltas at given engine times, then stays quiet."""

from __future__ import annotations

import asyncio

from octo_desktop.domain.model import SIMULATED, BookUpdate
from octo_desktop.feeds.base import ConnectionHealth


class ScriptedFeed:
    """Publish ``(at, venue, bids, asks, is_snapshot)`` entries of ``script`` on BTC/USDT, in order.

    ``at`` is in engine seconds from the feed's start; each venue's sequence numbers follow one another,
    so deltas apply. Our own fills and resync requests are ignored: the script is the whole market.
    """

    def __init__(self, clock, sink, venues, script, symbol: str = "BTC/USDT"):
        self.clock, self.sink, self.venues, self.script, self.symbol = clock, sink, venues, script, symbol
        self.sequence = {venue: 0 for venue in venues}

    async def run(self):
        origin = self.clock.now()
        for at, venue, bids, asks, is_snapshot in self.script:
            await self.clock.sleep_until(origin + at)
            now = self.clock.now()
            self.sequence[venue] += 1
            self.sink(BookUpdate(venue, self.symbol, self.sequence[venue], tuple(bids), tuple(asks), is_snapshot,
                                 now, now))
        await asyncio.Event().wait()

    def request_resync(self, venue, symbol):
        pass

    def on_own_fill(self, venue, symbol, side, taken):
        pass

    def summary(self):
        return {}

    def connection_health(self):
        return {venue: ConnectionHealth(SIMULATED) for venue in self.venues}


def five_levels(at: float, venue: str, bid: float, ask: float) -> tuple:
    """Return a snapshot entry: five levels of 5 each side, 0.1 apart, from ``bid`` down and ``ask`` up."""
    bids = tuple((round(bid - i * 0.1, 2), 5.0) for i in range(5))
    asks = tuple((round(ask + i * 0.1, 2), 5.0) for i in range(5))
    return (at, venue, bids, asks, True)


def scripted_compose(script, *, on_snapshot=None, seed: int = 3, advisor=None):
    """Return a ``compose`` for ``Runtime`` that runs the real kernel and arbitrage desk on ``script``.

    The paper executor fills against the scripted books (``liquidity=feed``: our fills change nothing
    in them); ``on_snapshot(snapshot)``, if given, sees every published snapshot; ``advisor``: the desk's
    advisor (default: the rule advisor).
    """
    from octo_desktop.desks.arbitrage import ArbitrageDesk
    from octo_desktop.engine.kernel import Kernel
    from octo_desktop.execution.paper import PaperExecution

    def compose(config, store, state, clock, publish, speed, *, stop_at=None, on_stop=None, snapshot_wanted=None):
        def keep(snapshot):
            if on_snapshot is not None:
                on_snapshot(snapshot)
            publish(snapshot)

        return Kernel(config, clock, store, state, market="simulated", speed="max", publish=keep,
                      make_feed=lambda sink, *_: ScriptedFeed(clock, sink, config.venue_names, script),
                      make_execution=lambda books, feed: PaperExecution(config, books, clock, liquidity=feed, seed=seed),
                      make_desks=lambda services: [ArbitrageDesk(services, state, advisor=advisor)], stop_at=stop_at, on_stop=on_stop,
                      snapshot_wanted=snapshot_wanted)

    return compose


ALL_VENUES = ("binance", "okx", "bybit", "kucoin", "gate", "mexc", "bitget", "htx")


def run_scripted(db_path, script, venues, overrides=(), *, start: float, seconds: float, advisor=None) -> tuple:
    """Run the real runtime on ``script`` (BTC/USDT, only ``venues`` enabled) at full speed for ``seconds``
    of engine time from ``start``; return ``(summary, snapshots)``, every snapshot it published."""
    from octo_desktop.config import load_config
    from octo_desktop.engine.runtime import Runtime
    from octo_desktop.storage import open_store

    enabled = [f"venues.{v}.enabled={'true' if v in venues else 'false'}" for v in ALL_VENUES]
    config = load_config(overrides=['symbols.list=["BTC/USDT"]', *overrides, *enabled])
    store = open_store(db_path)
    snapshots: list = []
    compose = scripted_compose(script, on_snapshot=snapshots.append, advisor=advisor)
    runtime = Runtime(config, store, store.load(), compose, speed=None, start_time=start, run_seconds=seconds)
    runtime.start()
    runtime.wait(timeout=60)
    assert runtime.failure is None
    return runtime.summary, snapshots
