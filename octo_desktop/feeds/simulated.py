"""The simulated market: eight venues quoting correlated symbols, deterministic for a seed.

Per symbol a fundamental price follows a geometric random walk on a 10 ms grid (annualised
volatility from the config, shocks correlated across symbols). Each venue quotes every symbol around
the fundamental as it was ``quote_lag_ms`` ago (leaders ~0, laggards up to 500 ms), shifted by its own
slowly mean-reverting basis of a few bps, with a ladder of ``levels`` price levels per side whose
sizes grow away from the touch. Levels persist between updates, so an update is a small delta.
Prices moving through resting levels print trades, and small random trades nibble at the touch.

From time to time a venue is swept: its price jumps 20-100 bps away for a few seconds, then reverts.
These dislocations (and only these) open spreads wider than both taker fees. Venues also have short
outages (no updates: the engine must mark them stale) and, rarely, drop a message (a sequence gap:
the engine must resync from a snapshot).

Spoofers place a large order a few levels behind the touch and pull it when it expires or when the
price comes within one level of it, so the spoofed size never trades (unless our own order takes it).
They draw from their own random streams, so with ``spoofs_per_minute = 0`` the market's events are
exactly those it published before spoofers existed; ``spoof_log`` keeps the ground truth.

``SimulatedMarket`` is pure (no asyncio); ``SimulatedFeed`` drives it on the runtime's clock.
"""

from __future__ import annotations

import asyncio
import math
import random
from collections import deque
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Mapping

import numpy as np

from octo_desktop.config import Config
from octo_desktop.domain.model import BUY, SELL, SIMULATED, BookUpdate, MarketTrade
from octo_desktop.feeds.base import BatchSink, ConnectionHealth, EventSink, MarketEvent
from octo_desktop.feeds.competition import Competition, make_competitors, take
from octo_desktop.feeds.market_moves import InformedMoves, StaleQuotes, weights_by_lag

SECONDS_PER_YEAR = 365.25 * 86_400
GRID_SECONDS = 0.01
CHUNK = 4096
SPOOF_LOG_LENGTH = 10_000


class _Fundamental:
    """Correlated log-random-walk prices on a fixed grid, generated in chunks, read by time."""

    def __init__(self, initial: np.ndarray, vol_annual: np.ndarray, correlation: float,
                 rng: np.random.Generator, origin: float) -> None:
        n = len(initial)
        corr = np.full((n, n), correlation)
        np.fill_diagonal(corr, 1.0)
        self._chol = np.linalg.cholesky(corr)
        self._sigma = vol_annual * math.sqrt(GRID_SECONDS / SECONDS_PER_YEAR)
        self._drift = -0.5 * self._sigma ** 2
        self._rng = rng
        self._origin = origin
        self._chunks: dict[int, np.ndarray] = {}
        self._last_log = np.log(initial)
        self._next_chunk = 0
        self._extend()

    def _extend(self) -> None:
        shocks = self._rng.standard_normal((CHUNK, len(self._last_log))) @ self._chol.T
        steps = shocks * self._sigma + self._drift
        logs = self._last_log + np.cumsum(steps, axis=0)
        self._last_log = logs[-1]
        self._chunks[self._next_chunk] = np.exp(logs)
        self._chunks.pop(self._next_chunk - 3, None)
        self._next_chunk += 1

    def at(self, t: float, index: int) -> float:
        """Return symbol ``index``'s fundamental price at engine time ``t``."""
        step = max(0, int((t - self._origin) / GRID_SECONDS))
        chunk, offset = divmod(step, CHUNK)
        while chunk >= self._next_chunk:
            self._extend()
        values = self._chunks.get(chunk)
        if values is None:  # older than the kept window: use the oldest kept value
            values = self._chunks[min(self._chunks)]
            offset = 0
        return float(values[offset, index])


@dataclass
class _Dislocation:
    start: float
    jump_bps: float
    hold_s: float

    def bps(self, now: float) -> float:
        elapsed = now - self.start
        if elapsed < self.hold_s:
            return self.jump_bps
        return self.jump_bps * math.exp(-(elapsed - self.hold_s) / 0.6)


@dataclass
class _Spoof:
    side: str  # "bid" or "ask"
    level: int  # grid index of the level it sits on
    normal: float  # the level's own size underneath it (follows the level's random size changes)
    extra: float  # the spoofed size added on top
    placed: float
    until: float


@dataclass(frozen=True, slots=True)
class SpoofRecord:
    """Ground truth of one simulated spoof: where it sat, how large, when placed and pulled, and why."""

    venue: str
    symbol: str
    side: str  # "bid" or "ask"
    price: float
    size: float  # the spoofed size added on top of the level
    normal_size: float  # the level's own size when the spoof ended
    placed: float
    pulled: float
    reason: str  # "expired" (pulled unapproached), "approached" (touch within one level), "hit" (our order)


class _Quote:
    """One venue's book for one symbol, on an integer price grid (price = index * step)."""

    __slots__ = ("venue", "symbol", "index", "step", "decimals", "lot", "bids", "asks", "sequence", "version",
                 "basis_bps", "last_time", "dislocation", "next_dislocation", "needs_snapshot",
                 "touch_usdt", "bid_depleted", "ask_depleted", "spoof", "next_spoof")

    def __init__(self, venue: str, symbol: str, index: int, step: float, decimals: int, lot: float,
                 touch_usdt: float) -> None:
        self.venue = venue
        self.symbol = symbol
        self.index = index
        self.step = step
        self.decimals = decimals
        self.lot = lot
        self.bids: dict[int, float] = {}
        self.asks: dict[int, float] = {}
        self.sequence = 0
        self.version = 0  # changes with bids or asks (competitors cache the touch by it)
        self.basis_bps = 0.0
        self.last_time = math.nan
        self.dislocation: _Dislocation | None = None
        self.next_dislocation = math.inf
        self.needs_snapshot = True
        self.touch_usdt = touch_usdt
        self.bid_depleted: dict[int, float] = {}  # level -> time until which it stays empty
        self.ask_depleted: dict[int, float] = {}
        self.spoof: _Spoof | None = None
        self.next_spoof = math.inf

    def price(self, k: int) -> float:
        return round(k * self.step, self.decimals)


class SimulatedMarket:
    """Generate book updates and trades for every venue and symbol; pure and seeded."""

    def __init__(self, config: Config, origin: float, seed: int | None = None) -> None:
        self.config = config
        self.sim = config.simulation
        seed = config.seed if seed is None else seed
        root = np.random.SeedSequence(seed)
        seeds = root.spawn(len(config.venues) + 1)
        # Spawned after the market's own streams, so those are the same with or without spoofers.
        spoof_seeds = root.spawn(len(config.venues))
        # And the competitors' after both, then the informed moves' and stale quotes': with none of them
        # configured, the market is the one it was before them.
        competition_seed, moves_seed, stale_seed = root.spawn(3)
        self.symbols = config.symbols
        self.venues = config.venue_names
        markets = [config.markets[s] for s in self.symbols]
        self._fundamental = _Fundamental(
            np.array([m.initial_price for m in markets]), np.array([m.volatility_annual for m in markets]),
            self.sim.correlation, np.random.default_rng(seeds[0]), origin)
        self._rng = {v: random.Random(int(seeds[i + 1].generate_state(1)[0]))
                     for i, v in enumerate(self.venues)}
        self._spoof_rng = {v: random.Random(int(spoof_seeds[i].generate_state(1)[0]))
                           for i, v in enumerate(self.venues)}
        self.spoof_log: deque[SpoofRecord] = deque(maxlen=SPOOF_LOG_LENGTH)  # ended spoofs, oldest first
        self._quotes: dict[tuple[str, str], _Quote] = {}
        self._outage_until = {v: -math.inf for v in self.venues}
        self._next_outage = {}
        per_pair_rate = self.sim.dislocations_per_minute / 60.0 / (len(self.venues) * len(self.symbols))
        per_venue_outage_rate = self.sim.outages_per_hour / 3600.0 / len(self.venues)
        self._per_pair_spoof_rate = self.sim.spoofs_per_minute / 60.0 / (len(self.venues) * len(self.symbols))
        for venue in self.venues:
            rng = self._rng[venue]
            spec_venue = config.venues[venue]
            self._next_outage[venue] = origin + _exponential(rng, per_venue_outage_rate)
            for i, symbol in enumerate(self.symbols):
                spec = spec_venue.symbols[symbol]
                market = config.markets[symbol]
                tick = float(spec.tick_size)
                decimals = max(0, -spec.tick_size.normalize().as_tuple().exponent)
                raw_step = market.initial_price * market.level_spacing_bps / 10_000
                step = max(1, round(raw_step / tick)) * tick
                quote = _Quote(venue, symbol, i, step, decimals, float(spec.lot_size), market.touch_size_usdt)
                quote.basis_bps = spec_venue.basis_bias_bps
                quote.next_dislocation = origin + _exponential(rng, per_pair_rate)
                quote.next_spoof = origin + _exponential(self._spoof_rng[venue], self._per_pair_spoof_rate)
                self._quotes[(venue, symbol)] = quote
        self._per_pair_rate = per_pair_rate
        self._per_venue_outage_rate = per_venue_outage_rate
        self._symbol_quotes = {s: {v: self._quotes[(v, s)] for v in self.venues} for s in self.symbols}
        sim = self.sim
        self._competition_rng = random.Random(int(competition_seed.generate_state(1)[0]))
        self.competition = Competition(
            make_competitors({"fast": sim.fast_competitors, "medium": sim.medium_competitors,
                              "slow": sim.slow_competitors},
                             {"fast": sim.fast_latency_ms, "medium": sim.medium_latency_ms,
                              "slow": sim.slow_latency_ms},
                             sim.competitor_latency_sigma, sim.competitor_participation, self.venues, self.symbols,
                             self._competition_rng),
            sim.competitor_fee_bps, sim.competitor_edge_bps, sim.competitor_max_notional_usdt,
            self._competition_rng, sim.competitor_cooldown_s)
        self.informed = InformedMoves(self.venues, self.symbols, sim.informed_moves_per_minute, sim.informed_min_bps,
                                      sim.informed_max_bps, sim.follower_lag_min_ms / 1000.0,
                                      sim.follower_lag_max_ms / 1000.0,
                                      random.Random(int(moves_seed.generate_state(1)[0])), origin)
        self.stale = StaleQuotes(self.venues, weights_by_lag({v: config.venues[v].quote_lag_ms for v in self.venues},
                                                             self.venues),
                                 self.symbols, sim.stale_quotes_per_minute, sim.stale_min_s, sim.stale_max_s,
                                 sim.stale_thin_factor, random.Random(int(stale_seed.generate_state(1)[0])), origin)

    # --- scheduling -----------------------------------------------------------------------------
    def next_interval(self, venue: str) -> float:
        """Return the seconds until ``venue`` publishes its next update."""
        return self._rng[venue].uniform(0.5, 1.5) / self.config.venues[venue].update_hz

    def is_in_outage(self, venue: str, now: float) -> bool:
        """Return True while ``venue`` publishes nothing."""
        return now < self._outage_until[venue]

    def request_resync(self, venue: str, symbol: str) -> None:
        """Send a full snapshot of this book with its next update."""
        quote = self._quotes.get((venue, symbol))
        if quote is not None:
            quote.needs_snapshot = True

    def fundamental(self, symbol: str, now: float) -> float:
        """Return the fundamental price of ``symbol`` at ``now``."""
        return self._fundamental.at(now, self.symbols.index(symbol))

    # --- generation -----------------------------------------------------------------------------
    def tick(self, venue: str, now: float) -> list[MarketEvent]:
        """Advance one of ``venue``'s books to ``now`` and return the events it publishes."""
        rng = self._rng[venue]
        if now >= self._next_outage[venue]:
            length = rng.uniform(self.sim.outage_min_s, self.sim.outage_max_s)
            self._outage_until[venue] = now + length
            self._next_outage[venue] = now + length + _exponential(rng, self._per_venue_outage_rate)
            for symbol in self.symbols:  # a reconnect after an outage starts from a snapshot
                self._quotes[(venue, symbol)].needs_snapshot = True
        self.informed.advance(now)
        self.stale.advance(now)
        if now < self._outage_until[venue]:
            return []
        symbol = self.symbols[rng.randrange(len(self.symbols))]
        events = self._update(self._quotes[(venue, symbol)], now, rng)
        if self.competition.active:
            self.competition.spot(symbol, self._symbol_quotes[symbol], now)
        return events

    def dislocate(self, venue: str, symbol: str, jump_bps: float, hold_s: float, now: float) -> list[MarketEvent]:
        """Sweep ``venue``'s ``symbol`` by ``jump_bps`` now, held ``hold_s`` before it reverts (a scripted
        dislocation, for demonstrations and tests); return the update it publishes."""
        q = self._quotes[(venue, symbol)]
        q.dislocation = _Dislocation(now, jump_bps, hold_s)
        events = self._update(q, now, self._rng[venue])
        if self.competition.active:
            self.competition.spot(symbol, self._symbol_quotes[symbol], now)
        return events

    # --- competitors ----------------------------------------------------------------------------
    def next_race_time(self) -> float:
        """Return when the next competitor order arrives at its venue (inf: none in flight)."""
        return self.competition.next_time()

    def race(self, now: float) -> list[list[MarketEvent]]:
        """Fill the competitor orders that have arrived by ``now``; return each one's published events.

        A leg takes the levels at or better than its limit, up to its size, as the book is now: what a
        faster competitor (or Octo) took is gone. A leg that trades against a swept venue's dislocation
        moves that venue's price back by as much as it walked the book: the dislocation closes as they
        take it, not after a set time.
        """
        batches = []
        for leg in self.competition.due(now):
            q = self._quotes[(leg.venue, leg.symbol)]
            taken = take(q, leg.side, leg.limit, leg.quantity, q.lot)
            bid_changes: dict[int, float] = {}
            ask_changes: dict[int, float] = {}
            trades: list[MarketEvent] = []
            if taken:
                touch = q.price(taken[0][0])
                self._remove(q, leg.side, taken, now, bid_changes if leg.side == SELL else ask_changes, trades)
                leg.filled = round(sum(size for _, size in taken), 12)
                leg.average = sum(q.price(k) * size for k, size in taken) / leg.filled
                # Where the price stopped: at the limit if the levels under it ran out, else the last level.
                stop = leg.limit if leg.filled < leg.quantity - q.lot * 0.5 else q.price(taken[-1][0])
                pushed = self._push_back(q, leg.side, abs(stop - touch) / touch * 10_000.0,
                                         self.sim.competitor_impact * min(1.0, leg.filled / leg.quantity), now)
                # A laggard of an informed move, or a stale quote, picked off: its market maker requotes.
                pushed = self.informed.catch_up(leg.venue, leg.symbol, leg.side, now) | pushed
                pushed = self.stale.wake(leg.venue, leg.symbol, now) | pushed
            else:
                pushed = False
            self.competition.done(leg)
            if trades and now >= self._outage_until[leg.venue]:
                batch = self._publish(q, bid_changes, ask_changes, now, now, self._competition_rng) + trades
                if pushed:  # picked off, its market makers requote at once
                    batch += self._update(q, now, self._competition_rng)
                batches.append(batch)
            self.competition.spot(leg.symbol, self._symbol_quotes[leg.symbol], now)
        return batches

    def _push_back(self, q: _Quote, side: str, walked_bps: float, share: float, now: float) -> bool:
        # Buying a venue swept down (or selling one swept up) moves its price back toward the others: by
        # what the leg walked, or the share of the sweep its market makers give up on requoting, the more.
        dislocation = q.dislocation
        if dislocation is None:
            return False
        jump = dislocation.bps(now)
        moved_bps = max(walked_bps, share * abs(jump))
        if side == BUY and jump < 0:
            jump = min(0.0, jump + moved_bps)
        elif side == SELL and jump > 0:
            jump = max(0.0, jump - moved_bps)
        else:
            return False
        held = max(0.0, dislocation.start + dislocation.hold_s - now)
        q.dislocation = _Dislocation(now, jump, held) if abs(jump) >= 0.2 else None
        return True

    def snapshots(self, venue: str, now: float) -> list[MarketEvent]:
        """Return a full snapshot of every book of ``venue`` (sent when a feed connects)."""
        rng = self._rng[venue]
        events: list[MarketEvent] = []
        for symbol in self.symbols:
            quote = self._quotes[(venue, symbol)]
            quote.needs_snapshot = True
            events.extend(self._update(quote, now, rng))
        return events

    def _update(self, q: _Quote, now: float, rng: random.Random) -> list[MarketEvent]:
        sim = self.sim
        venue_cfg = self.config.venues[q.venue]
        dt = 0.0 if math.isnan(q.last_time) else max(0.0, now - q.last_time)
        q.last_time = now
        # Basis: Ornstein-Uhlenbeck around the venue's bias, exact discretisation.
        if dt > 0:
            decay = math.exp(-dt * math.log(2) / sim.basis_halflife_s)
            noise = sim.basis_stdev_bps * math.sqrt(max(0.0, 1 - decay * decay))
            q.basis_bps = venue_cfg.basis_bias_bps + (q.basis_bps - venue_cfg.basis_bias_bps) * decay \
                + noise * rng.gauss(0.0, 1.0)
        jump = 0.0
        if q.dislocation is not None:
            jump = q.dislocation.bps(now)
            if abs(jump) < 0.2:
                q.dislocation = None
                jump = 0.0
        elif now >= q.next_dislocation:
            size = rng.uniform(sim.dislocation_min_bps, sim.dislocation_max_bps)
            q.dislocation = _Dislocation(now, size if rng.random() < 0.5 else -size,
                                         rng.uniform(sim.dislocation_min_s, sim.dislocation_max_s))
            q.next_dislocation = now + _exponential(rng, self._per_pair_rate)
            jump = q.dislocation.jump_bps
        stale = self.stale.episode(q.venue, q.symbol)
        seen = now - venue_cfg.quote_lag_ms / 1000.0
        if stale is not None:  # left behind: the market as it was when the episode started
            seen = min(seen, stale.start - venue_cfg.quote_lag_ms / 1000.0)
            jump += self.informed.offset_bps(q.venue, q.symbol, stale.start)
        else:
            jump += self.informed.offset_bps(q.venue, q.symbol, now)
        fundamental = self._fundamental.at(seen, q.index)
        mid = fundamental * (1.0 + (q.basis_bps + jump) / 10_000.0)
        half = mid * sim.half_spread_bps / 10_000.0
        top_bid = math.floor((mid - half) / q.step)
        top_ask = math.ceil((mid + half) / q.step)
        if top_ask <= top_bid:
            top_ask = top_bid + 1
        exchange_time = now - self._feed_latency(q.venue, rng)
        trades: list[MarketEvent] = []
        bid_changes: dict[int, float] = {}
        ask_changes: dict[int, float] = {}
        levels = sim.levels
        unit = q.touch_usdt / mid  # base size at the touch
        if q.spoof is not None:  # before the trade-throughs: a spoof is pulled before it could trade
            self._pull_spoof_if_due(q, top_bid, top_ask, now, bid_changes, ask_changes)

        # Price moving down through resting bids: they were hit (aggressive sells), and vice versa.
        for k in sorted((k for k in q.bids if k > top_bid), reverse=True):
            trades.append(MarketTrade(q.venue, q.symbol, SELL, q.price(k), q.bids.pop(k), exchange_time, now))
            bid_changes[k] = 0.0
        for k in sorted(k for k in q.asks if k < top_ask):
            trades.append(MarketTrade(q.venue, q.symbol, BUY, q.price(k), q.asks.pop(k), exchange_time, now))
            ask_changes[k] = 0.0
        if q.bid_depleted:
            q.bid_depleted = {k: until for k, until in q.bid_depleted.items() if until > now}
        if q.ask_depleted:
            q.ask_depleted = {k: until for k, until in q.ask_depleted.items() if until > now}
        thin = 1.0
        if stale is not None:  # a stale quote is a thin one too
            thin = self.stale.thin_factor
            if not stale.thinned:
                stale.thinned = True
                for side, changes in ((q.bids, bid_changes), (q.asks, ask_changes)):
                    for k, size in side.items():
                        side[k] = changes[k] = max(q.lot, self._round_lot(q, size * thin))
        for depth in range(levels):
            # Levels our own orders emptied stay empty until the liquidity refills.
            k = top_bid - depth
            if k not in q.bids and k > 0 and k not in q.bid_depleted:
                size = self._level_size(q, unit, depth, rng)
                q.bids[k] = bid_changes[k] = size if thin == 1.0 else max(q.lot, self._round_lot(q, size * thin))
            k = top_ask + depth
            if k not in q.asks and k not in q.ask_depleted:
                size = self._level_size(q, unit, depth, rng)
                q.asks[k] = ask_changes[k] = size if thin == 1.0 else max(q.lot, self._round_lot(q, size * thin))
        for k in [k for k in q.bids if k <= top_bid - levels]:
            del q.bids[k]
            bid_changes[k] = 0.0
        for k in [k for k in q.asks if k >= top_ask + levels]:
            del q.asks[k]
            ask_changes[k] = 0.0
        # Resting size changes a little somewhere in the book.
        for _ in range(2):
            side, changes = (q.bids, bid_changes) if rng.random() < 0.5 else (q.asks, ask_changes)
            k = (top_bid - rng.randrange(levels)) if side is q.bids else (top_ask + rng.randrange(levels))
            if k in side:
                spoof = q.spoof
                if spoof is not None and spoof.level == k and (side is q.bids) == (spoof.side == "bid"):
                    # Only the level's own size changes; the spoofer's order stays as placed.
                    spoof.normal = max(q.lot, self._round_lot(q, spoof.normal * rng.lognormvariate(0.0, 0.25)))
                    side[k] = changes[k] = round(spoof.normal + spoof.extra, 12)
                else:  # never below one lot: a level rounded to nothing would sit on the ladder at size 0
                    side[k] = changes[k] = max(q.lot, self._round_lot(q, side[k] * rng.lognormvariate(0.0, 0.25)))
        # Small aggressive trades at the touch.
        expected = sim.trades_per_second * dt
        while expected > 0 and rng.random() < min(0.95, expected):
            expected -= 1.0
            is_buy = rng.random() < 0.5
            side, changes, k = (q.asks, ask_changes, top_ask) if is_buy else (q.bids, bid_changes, top_bid)
            if k not in side:
                break
            size = self._round_lot(q, side[k] * rng.uniform(0.05, 0.4))
            trades.append(MarketTrade(q.venue, q.symbol, BUY if is_buy else SELL, q.price(k), size,
                                      exchange_time, now))
            remaining = self._round_lot(q, side[k] - size)
            if remaining > 0:
                side[k] = changes[k] = remaining
            else:
                del side[k]
                changes[k] = 0.0
        if q.spoof is None and now >= q.next_spoof:
            self._place_spoof(q, top_bid, top_ask, now, bid_changes, ask_changes)

        return self._publish(q, bid_changes, ask_changes, exchange_time, now, rng) + trades

    def consume(self, venue: str, symbol: str, side: str, taken: tuple[tuple[float, float], ...],
                now: float) -> list[MarketEvent]:
        """Remove liquidity our own order took; return the delta and the trades it printed."""
        q = self._quotes[(venue, symbol)]
        rng = self._rng[venue]
        changes: dict[int, float] = {}
        trades: list[MarketEvent] = []
        self._remove(q, side, [(round(price / q.step), size) for price, size in taken], now, changes, trades)
        if not changes:
            return trades
        bids, asks = ({}, changes) if side == BUY else (changes, {})
        return self._publish(q, bids, asks, now, now, rng) + trades

    def _remove(self, q: _Quote, side: str, taken: list[tuple[int, float]], now: float,
                changes: dict[int, float], trades: list[MarketEvent]) -> None:
        """Take ``(level, size)`` out of ``q`` for a taker of ``side``; note the changes and print the trades."""
        book, depleted = (q.asks, q.ask_depleted) if side == BUY else (q.bids, q.bid_depleted)
        spoof_side = "ask" if side == BUY else "bid"
        q.version += 1
        for k, size in taken:
            if k not in book:
                continue
            trades.append(MarketTrade(q.venue, q.symbol, side, q.price(k), size, now, now))
            spoof = q.spoof
            if spoof is not None and spoof.side == spoof_side and spoof.level == k:
                # The level's own size was there first, so it fills first; the spoofer, hit, cancels
                # whatever is left of its order.
                remaining = self._round_lot(q, spoof.normal - size) if size < spoof.normal else 0.0
                self._end_spoof(q, now, "hit")
            else:
                remaining = self._round_lot(q, book[k] - size)
            if remaining > 0:
                book[k] = changes[k] = remaining
            else:
                del book[k]
                changes[k] = 0.0
                depleted[k] = now + self.sim.liquidity_refill_s

    def active_spoofs(self) -> list[SpoofRecord]:
        """Return the spoofs resting now (``pulled`` NaN, ``reason`` "active"): ground truth for tests."""
        return [SpoofRecord(q.venue, q.symbol, q.spoof.side, q.price(q.spoof.level), q.spoof.extra,
                            q.spoof.normal, q.spoof.placed, math.nan, "active")
                for q in self._quotes.values() if q.spoof is not None]

    # --- spoofers -------------------------------------------------------------------------------
    def _place_spoof(self, q: _Quote, top_bid: int, top_ask: int, now: float,
                     bid_changes: dict[int, float], ask_changes: dict[int, float]) -> None:
        sim = self.sim
        rng = self._spoof_rng[q.venue]
        q.next_spoof = now + _exponential(rng, self._per_pair_spoof_rate)
        is_bid = rng.random() < 0.5
        depth = rng.randint(sim.spoof_min_depth, sim.spoof_max_depth)
        lifetime_s = rng.uniform(sim.spoof_min_s, sim.spoof_max_s)
        book, changes, k = (q.bids, bid_changes, top_bid - depth) if is_bid else (q.asks, ask_changes, top_ask + depth)
        if k not in book:
            return  # our own orders emptied that level: nothing to stand behind
        normal = book[k]
        # Sized against an ordinary level at that depth even where trades have thinned this one,
        # so the spoof stands out from the book around it.
        nominal = q.touch_usdt / (q.price(k) or 1.0) * (1.0 + sim.size_growth * depth)
        extra = self._round_lot(q, max(normal, nominal) * sim.spoof_size_multiple)
        book[k] = changes[k] = round(normal + extra, 12)
        q.spoof = _Spoof("bid" if is_bid else "ask", k, normal, extra, now, now + lifetime_s)

    def _pull_spoof_if_due(self, q: _Quote, top_bid: int, top_ask: int, now: float,
                           bid_changes: dict[int, float], ask_changes: dict[int, float]) -> None:
        spoof = q.spoof
        is_bid = spoof.side == "bid"
        depth = top_bid - spoof.level if is_bid else spoof.level - top_ask
        if depth <= 1:
            reason = "approached"
        elif now >= spoof.until or depth >= self.sim.levels - 1:  # the latter: about to leave the ladder
            reason = "expired"
        else:
            return
        book, changes = (q.bids, bid_changes) if is_bid else (q.asks, ask_changes)
        book[spoof.level] = changes[spoof.level] = spoof.normal
        self._end_spoof(q, now, reason)

    def _end_spoof(self, q: _Quote, now: float, reason: str) -> None:
        spoof = q.spoof
        self.spoof_log.append(SpoofRecord(q.venue, q.symbol, spoof.side, q.price(spoof.level), spoof.extra,
                                          spoof.normal, spoof.placed, now, reason))
        q.spoof = None

    # --- helpers --------------------------------------------------------------------------------
    def _publish(self, q: _Quote, bid_changes: dict[int, float], ask_changes: dict[int, float],
                 exchange_time: float, now: float, rng: random.Random) -> list[MarketEvent]:
        q.version += 1
        if q.needs_snapshot:
            q.needs_snapshot = False
            q.sequence += 1
            bids = tuple((q.price(k), q.bids[k]) for k in sorted(q.bids, reverse=True))
            asks = tuple((q.price(k), q.asks[k]) for k in sorted(q.asks))
            return [BookUpdate(q.venue, q.symbol, q.sequence, bids, asks, True, exchange_time, now)]
        if not bid_changes and not ask_changes:
            return []
        q.sequence += 1
        if self.sim.sequence_gap_probability and rng.random() < self.sim.sequence_gap_probability:
            q.sequence += 1  # a message lost on the way: the receiver sees a gap
        bids = tuple((q.price(k), size) for k, size in bid_changes.items())
        asks = tuple((q.price(k), size) for k, size in ask_changes.items())
        return [BookUpdate(q.venue, q.symbol, q.sequence, bids, asks, False, exchange_time, now)]

    def _level_size(self, q: _Quote, unit: float, depth: int, rng: random.Random) -> float:
        size = unit * (1.0 + self.sim.size_growth * depth) * rng.lognormvariate(0.0, 0.35)
        return max(q.lot, self._round_lot(q, size))

    @staticmethod
    def _round_lot(q: _Quote, size: float) -> float:
        lots = math.floor(size / q.lot + 1e-9)
        return round(lots * q.lot, 12)

    def _feed_latency(self, venue: str, rng: random.Random) -> float:
        base_ms = self.sim.feed_latency_ms * self.config.venues[venue].latency_ms_median / 50.0
        return rng.lognormvariate(math.log(max(base_ms, 0.01) / 1000.0), 0.3) if base_ms > 0 else 0.0


def _exponential(rng: random.Random, rate: float) -> float:
    return rng.expovariate(rate) if rate > 0 else math.inf


RECENT_FILLS = 20  # competitor legs that took something, in the run summary


class SimulatedFeed:
    """Drive a ``SimulatedMarket`` on the runtime clock: each venue publishes on a timer of its own.

    What a venue publishes at one instant (its tick, or its snapshots when it connects) goes to the
    kernel as one batch; the market's reaction to our own fill goes event by event, from inside the fill.
    """

    name = "simulated"

    def __init__(self, market: SimulatedMarket, clock, sink: EventSink, batch: BatchSink) -> None:
        self.market = market
        self._clock = clock
        self._sink = sink
        self._batch = batch
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._race_timer: asyncio.TimerHandle | None = None  # the next competitor order's arrival
        self._race_at = math.inf
        self._shocks: list[asyncio.TimerHandle] = []
        self._health = MappingProxyType({venue: ConnectionHealth(SIMULATED) for venue in market.venues})

    async def run(self) -> None:
        """Publish every venue's updates until cancelled."""
        market, clock = self.market, self._clock
        try:
            for venue in market.venues:
                self._batch(market.snapshots(venue, clock.now()))
                self._timers[venue] = clock.call_later(market.next_interval(venue), self._tick, venue)
            started = clock.now()
            for shock in market.sim.shocks:
                self._shocks.append(clock.call_at(started + shock.at_s, self._shock, shock))
            await asyncio.get_running_loop().create_future()  # until cancelled
        finally:
            for timer in self._timers.values():
                timer.cancel()
            if self._race_timer is not None:
                self._race_timer.cancel()
            for timer in self._shocks:
                timer.cancel()

    def _shock(self, shock) -> None:
        # A scripted dislocation (simulation.shocks), published like any update; the competitors see it.
        now = self._clock.now()
        if not self.market.is_in_outage(shock.venue, now):
            self._batch(self.market.dislocate(shock.venue, shock.symbol, shock.bps, shock.hold_s, now))
            self._arm_race()

    def _tick(self, venue: str) -> None:
        # A timer rather than a task per venue: the same instants, without a task step per tick.
        market, clock = self.market, self._clock
        events = market.tick(venue, clock.now())
        if events:
            self._batch(events)
        self._timers[venue] = clock.call_later(market.next_interval(venue), self._tick, venue)
        self._arm_race()

    def _arm_race(self) -> None:
        # One timer for the earliest competitor order in flight (none without competitors).
        when = self.market.next_race_time()
        if when >= self._race_at:
            return
        if self._race_timer is not None:
            self._race_timer.cancel()
        self._race_at = when
        self._race_timer = self._clock.call_at(when, self._race)

    def _race(self) -> None:
        self._race_timer, self._race_at = None, math.inf
        for batch in self.market.race(self._clock.now()):
            self._batch(batch)
        self._arm_race()

    def request_resync(self, venue: str, symbol: str) -> None:
        """Send a snapshot of this book with its next update."""
        self.market.request_resync(venue, symbol)

    def on_own_fill(self, venue: str, symbol: str, side: str, taken: tuple[tuple[float, float], ...]) -> None:
        """Take the liquidity our order consumed out of the simulated book, and publish the change."""
        for event in self.market.consume(venue, symbol, side, taken, self._clock.now()):
            self._sink(event)

    def summary(self) -> Mapping[str, Any]:
        """The other arbitrageurs: the preset, how many raced and what their orders took."""
        competition = self.market.competition
        legs = list(competition.log)
        filled = [leg for leg in legs if leg.filled > 0]
        return {"competition": {
            "preset": self.market.sim.preset,
            "competitors": {kind: sum(1 for c in competition.competitors if c.kind == kind)
                            for kind in ("fast", "medium", "slow")},
            "races": competition.races,
            "legs": len(legs), "legs_filled": len(filled),
            "taken_usdt": round(sum(leg.filled * leg.average for leg in filled), 2),
            "informed_moves": len(self.market.informed.log), "stale_quotes": len(self.market.stale.log),
            # Who took what, last first: the races a trader lost can be looked up against its own orders.
            "recent_fills": [{"competitor": leg.competitor, "kind": leg.kind, "venue": leg.venue,
                              "symbol": leg.symbol, "side": leg.side, "seen_at": leg.seen_at,
                              "arrived_at": leg.arrived_at, "quantity": leg.quantity, "filled": leg.filled,
                              "average": leg.average} for leg in reversed(filled[-RECENT_FILLS:])]}}

    def connection_health(self) -> Mapping[str, ConnectionHealth]:
        """Simulated venues have no connection; an outage shows as stale books."""
        return self._health
