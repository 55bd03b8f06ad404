"""Informed moves and stale quotes of the simulated market."""

import random

from octo_desktop.config import builtin_config
from octo_desktop.domain.model import BUY, SELL, BookUpdate
from octo_desktop.feeds.market_moves import InformedMoves, StaleQuotes, weights_by_lag
from octo_desktop.feeds.simulated import SimulatedMarket
from tests.fakes.market_schedule import drive

VENUES = ("a", "b", "c")


def test_an_informed_move_reaches_the_leader_first_and_each_laggard_after_its_lag_for_good():
    moves = InformedMoves(VENUES, ("BTC/USDT",), 60.0, 40.0, 40.0, 0.1, 0.5, random.Random(3), origin=0.0)
    moves.advance(0.0)
    assert not moves.active
    now = 0.0
    while not moves.active:  # about one a second
        now += 0.001
        moves.advance(now)
    move = moves.active[0]
    leader, start = move.leader, move.start
    assert move.reached[leader] == start and abs(move.jump_bps) == 40.0
    laggard = max((v for v in VENUES if v != leader), key=lambda v: move.reached[v])
    assert 0.1 <= move.reached[laggard] - start <= 0.5
    at = start + 1e-6  # the leader has moved; the laggard not yet
    before = moves.offset_bps(laggard, "BTC/USDT", move.reached[laggard] - 1e-6)
    after = moves.offset_bps(laggard, "BTC/USDT", move.reached[laggard])
    assert after - before == move.jump_bps
    assert moves.offset_bps(leader, "BTC/USDT", at) - moves.offset_bps(leader, "BTC/USDT", start - 1e-6) \
        == move.jump_bps
    # Picked off in the direction of the move, the laggard catches up at once; the other way it does not.
    side = BUY if move.jump_bps > 0 else SELL
    other = SELL if side == BUY else BUY
    assert not moves.catch_up(laggard, "BTC/USDT", other, at)
    assert moves.catch_up(laggard, "BTC/USDT", side, at) and move.reached[laggard] == at
    # Once every venue has it, the move is part of the symbol's level for good.
    settle = max(max(m.reached.values()) for m in moves.active) + 1e-9
    moves._next = float("inf")  # no new ones: look at the settled level alone
    total = sum(m.jump_bps for m in moves.log)
    moves.advance(settle)
    assert not moves.active and all(abs(moves.offset_bps(v, "BTC/USDT", settle) - total) < 1e-9 for v in VENUES)


def test_stale_quotes_come_more_often_to_slow_venues_and_wake_when_picked_off():
    stale = StaleQuotes(VENUES, weights_by_lag({"a": 0.0, "b": 0.0, "c": 450.0}, VENUES), ("BTC/USDT",), 600.0,
                        1.0, 2.0, 0.2, random.Random(5), origin=0.0)
    counts = dict.fromkeys(VENUES, 0)
    now = 0.0
    while sum(counts.values()) < 300:
        now += 0.01
        stale.advance(now)
        for (venue, _symbol) in list(stale.active):
            counts[venue] += 1
            stale.wake(venue, _symbol, now)
    assert counts["c"] > 3 * max(counts["a"], counts["b"])  # weights 10 : 1 : 1
    assert stale.episode("c", "BTC/USDT") is None and not stale.wake("c", "BTC/USDT", now)
    assert all(e.until >= e.start for e in stale.log)


def test_a_stale_quote_thins_out_and_without_episodes_nothing_changes():
    quiet = ['simulation.preset="off"', "simulation.dislocations_per_minute=0", "simulation.spoofs_per_minute=0",
             "simulation.outages_per_hour=0", "market.seed=3"]
    market = SimulatedMarket(builtin_config(quiet + ["simulation.stale_quotes_per_minute=6",
                                                     "simulation.stale_min_s=30", "simulation.stale_max_s=30"]), 0.0)
    published: list = []

    def keep(event):
        if isinstance(event, BookUpdate):
            published.append((event.received_time, event.venue, event.symbol, event.asks))

    drive(market, 40.0, keep)
    assert market.stale.log, "an episode started"
    episode = market.stale.log[0]
    assert episode.thinned
    sizes = [(t, size) for t, v, s, asks in published if (v, s) == (episode.venue, episode.symbol)
             for _price, size in asks if size > 0]
    before = sorted(size for t, size in sizes if t < episode.start)
    after = sorted(size for t, size in sizes if episode.start <= t < episode.until)
    assert before and after and after[len(after) // 2] < 0.5 * before[len(before) // 2]

    calm = SimulatedMarket(builtin_config(quiet), 0.0)
    drive(calm, 40.0, lambda event: None)
    assert not calm.stale.log and not calm.informed.log and not calm.competition.active
