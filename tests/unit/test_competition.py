"""Other arbitrageurs in the simulated market: a faster one takes a dislocation before Octo's order lands;
a slower one finds what Octo left."""

import math
import random

import pytest

from octo_desktop.config import builtin_config
from octo_desktop.domain.book import OrderBook
from octo_desktop.domain.model import BUY, SELL, MarketTrade
from octo_desktop.domain.spread import net_spread_bps
from octo_desktop.feeds.competition import Competition, Competitor, buy_limit, make_competitors, sell_limit, take
from octo_desktop.feeds.simulated import SimulatedMarket
from tests.fakes.market_schedule import drive

SYMBOL = "BTC/USDT"
QUIET = ['simulation.preset="off"', "simulation.dislocations_per_minute=0", "simulation.spoofs_per_minute=0",
         "simulation.outages_per_hour=0", "simulation.sequence_gap_probability=0",
         "simulation.competitor_latency_sigma=0", "simulation.competitor_participation=1",
         "simulation.competitor_cooldown_s=0"]


class Books:
    """Octo's view: every published event applied to its books."""

    def __init__(self, config):
        self.config = config
        self.books = {(v, s): OrderBook(v, s) for v in config.venue_names for s in config.symbols}
        self.trades: list[MarketTrade] = []

    def __call__(self, event):
        if isinstance(event, MarketTrade):
            self.trades.append(event)
            return
        book = self.books[(event.venue, event.symbol)]
        if event.is_snapshot:
            book.apply_snapshot(event.bids, event.asks, event.sequence)
        else:
            book.apply_delta(event.bids, event.asks, event.sequence)

    def apply(self, events):
        for event in events:
            self(event)

    def best_net_buying(self, venue):
        """Octo's net bps, after its taker fees, buying ``venue``'s best ask and selling the best bid elsewhere."""
        fees = {v: float(self.config.venues[v].taker_fee) for v in self.config.venue_names}
        ask = self.books[(venue, SYMBOL)].best_ask
        return max(net_spread_bps(ask, self.books[(v, SYMBOL)].best_bid, fees[venue], fees[v])
                   for v in self.config.venue_names if v != venue)


def _swept_market(*overrides):
    config = builtin_config(QUIET + list(overrides))
    market = SimulatedMarket(config, 0.0)
    books = Books(config)
    drive(market, 1.0, books)
    books.apply(market.dislocate("okx", SYMBOL, -80.0, 5.0, 1.0))  # okx swept 80 bps down, held 5 s
    return market, books


def test_a_competitor_faster_than_octo_closes_the_dislocation_before_octo_arrives():
    market, books = _swept_market("simulation.fast_competitors=1", "simulation.fast_latency_ms=2")
    assert books.best_net_buying("okx") > 50  # what Octo sees at 1.000
    assert market.next_race_time() == pytest.approx(1.002)  # the professional's order, 2 ms later
    for batch in market.race(1.002):
        books.apply(batch)
    bought = [r for r in market.competition.log if r.venue == "okx" and r.side == BUY]
    assert len(bought) == 1 and bought[0].filled > 0 and bought[0].arrived_at == pytest.approx(1.002)
    assert any(t.venue == "okx" and t.side == BUY for t in books.trades)  # their trades print on the tape
    # It races again as soon as its legs are done, each time for what its size allows, until the edge
    # no longer pays it. Octo's order lands at 1.020 (its latency): the cheap levels are gone.
    while market.next_race_time() <= 1.02:
        for batch in market.race(market.next_race_time()):
            books.apply(batch)
    assert len([r for r in market.competition.log if r.venue == "okx" and r.filled > 0]) > 1
    assert books.best_net_buying("okx") < 0
    # Picked off, the venue's market makers requoted: the sweep is (nearly) closed, not just its touch.
    others = sorted(books.books[(v, SYMBOL)].best_ask for v in books.config.venue_names if v != "okx")
    assert books.books[("okx", SYMBOL)].best_ask > others[len(others) // 2] * (1 - 20e-4)  # was 80 bps under


def test_a_competitor_slower_than_octo_finds_what_octo_left():
    market, books = _swept_market("simulation.slow_competitors=1", "simulation.slow_latency_ms=500")
    assert market.next_race_time() == pytest.approx(1.5)
    assert market.race(1.02) == []  # nothing has arrived when Octo's order does
    assert books.best_net_buying("okx") > 50  # the edge is there for Octo
    okx = books.books[("okx", SYMBOL)]
    cheap = tuple((price, size) for price, size in okx.top("ask", 25) if price < okx.best_ask * 1.004)
    books.apply(market.consume("okx", SYMBOL, BUY, cheap, 1.02))  # Octo takes the cheap levels
    for batch in market.race(1.5):
        books.apply(batch)
    bought = [r for r in market.competition.log if r.venue == "okx" and r.side == BUY]
    assert len(bought) == 1 and bought[0].filled < bought[0].quantity  # it met what Octo left


def test_limits_are_the_edge_the_competitor_asks_for_after_its_fees():
    fee, edge = 0.0002, 3.0
    high = buy_limit(101.0, fee, edge)
    assert (101.0 * (1 - fee) - high * (1 + fee)) / high * 1e4 == pytest.approx(edge)  # the edge at the limit
    low = sell_limit(100.0, fee, edge)
    assert (low * (1 - fee) - 100.0 * (1 + fee)) / 100.0 * 1e4 == pytest.approx(edge)


class _Quote:
    def __init__(self, bids, asks, step=0.5):
        self.bids, self.asks, self.step, self.version = bids, asks, step, 0

    def price(self, k):
        return k * self.step


def test_spot_races_each_competitor_once_per_route_and_the_faster_leg_arrives_first():
    quotes = {"a": _Quote({199: 2.0, 198: 2.0}, {200: 1.0, 201: 5.0}),  # ask 100.0
              "b": _Quote({204: 3.0, 203: 3.0}, {205: 1.0})}  # bid 102.0
    routes = frozenset({(SYMBOL, "a", "b")})
    fast = Competitor("fast-1", "fast", {"a": 0.001, "b": 0.002}, 0.0, routes)
    slow = Competitor("slow-1", "slow", {"a": 0.1, "b": 0.2}, 0.0, routes)
    competition = Competition((slow, fast), fee_bps=2.0, edge_bps=3.0, max_notional=1e9, rng=random.Random(1))
    assert competition.spot(SYMBOL, quotes, 10.0) == 2
    assert competition.spot(SYMBOL, quotes, 10.0) == 0  # both already racing on that route
    legs = competition.due(10.5)
    assert [(leg.competitor.name, leg.venue, leg.side) for leg in legs] == [
        ("fast-1", "a", BUY), ("fast-1", "b", SELL), ("slow-1", "a", BUY), ("slow-1", "b", SELL)]
    assert [leg.when for leg in legs] == [10.001, 10.002, 10.1, 10.2]
    assert legs[0].quantity == 6.0  # every ask under its limit (1 + 5), within the bids above the other
    assert take(quotes["a"], BUY, legs[0].limit, 3.0, 0.5) == [(200, 1.0), (201, 2.0)]
    for leg in legs:
        competition.done(leg)
    assert competition.spot(SYMBOL, quotes, 11.0) == 2  # free to race again
    assert math.isinf(Competition((), 2.0, 3.0, 1e9, random.Random(1)).next_time())


def test_the_population_is_seeded_and_each_competitor_has_its_own_latency_per_venue():
    def population(seed):
        return make_competitors({"fast": 2, "medium": 1, "slow": 0}, {"fast": 3.0, "medium": 20.0, "slow": 100.0},
                                0.35, 0.5, ("a", "b", "c"), (SYMBOL,), random.Random(seed))

    first, again, other = population(4), population(4), population(5)
    assert first == again and first != other
    assert [c.name for c in first] == ["fast-1", "fast-2", "medium-1"]
    fast = first[0]
    assert len(set(fast.latency_s.values())) == 3 and all(0.0005 < s < 0.02 for s in fast.latency_s.values())
    assert all(0.004 < s < 0.2 for s in first[2].latency_s.values())


def test_without_competitors_the_market_has_none_and_publishes_what_it_did_before():
    config = builtin_config(["simulation.preset=\"off\""])
    market = SimulatedMarket(config, 0.0)
    assert not market.competition.active and math.isinf(market.next_race_time())
    assert market.race(100.0) == []


def test_the_tape_tells_what_others_took_at_our_price_since_the_decision():
    from octo_desktop.domain.orderflow import TradeFlow

    flow = TradeFlow(10.0)
    flow.add(1.0, BUY, 100.0, 2.0)  # before the decision: not counted
    flow.add(2.0, BUY, 100.5, 1.0)  # a buyer at our limit
    flow.add(2.1, BUY, 101.5, 4.0)  # above it: not what we wanted
    flow.add(2.2, SELL, 99.0, 3.0)  # the other side
    assert flow.traded(BUY, 1.5, 3.0, 100.5) == 1.0
    assert flow.traded(BUY, 1.5, 3.0, 102.0) == 5.0
    assert flow.traded(SELL, 1.5, 3.0, 99.0) == 3.0 and flow.traded(SELL, 1.5, 3.0, 99.5) == 0.0
    assert flow.traded(BUY, 2.05, 3.0, 100.5) == 0.0 and flow.traded(BUY, 0.0, 1.5, 100.0) == 2.0


def test_after_a_race_a_competitor_leaves_that_symbol_alone_for_its_cooldown():
    quotes = {"a": _Quote({199: 2.0}, {200: 1.0}), "b": _Quote({204: 3.0}, {205: 1.0})}
    routes = frozenset({(SYMBOL, "a", "b"), ("ETH/USDT", "a", "b")})
    pro = Competitor("fast-1", "fast", {"a": 0.001, "b": 0.001}, 0.0, routes)
    competition = Competition((pro,), fee_bps=2.0, edge_bps=3.0, max_notional=1e9, rng=random.Random(1),
                              cooldown_s=0.1)
    assert competition.spot(SYMBOL, quotes, 10.0) == 1
    for leg in competition.due(10.001):
        competition.done(leg)
    # Its legs are done and the route still crosses, but it is rebalancing: nothing until 10.1 ...
    assert competition.spot(SYMBOL, quotes, 10.05) == 0
    assert competition.spot("ETH/USDT", quotes, 10.05) == 1  # ... on this symbol only
    assert competition.spot(SYMBOL, quotes, 10.1) == 1
    # Without a cooldown it races again as soon as its legs are done.
    eager = Competition((pro,), fee_bps=2.0, edge_bps=3.0, max_notional=1e9, rng=random.Random(1))
    assert eager.spot(SYMBOL, quotes, 10.0) == 1
    for leg in eager.due(10.001):
        eager.done(leg)
    assert eager.spot(SYMBOL, quotes, 10.001) == 1
