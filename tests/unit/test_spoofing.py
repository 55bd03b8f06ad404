import math

import pytest

from octo_desktop.domain.spoofing import SpoofingSettings
from octo_desktop.domain.book import OrderBook
from octo_desktop.domain.spoofing import (
    NO_CAPS,
    SpoofDetector,
    capped_quantity_within,
    capped_vwap,
)

STEP = 0.05  # 5 bps a level at 100: the default approach_bps (5) is one level from the touch


def price(level: int) -> float:
    """Return the price ``level`` steps above 100.00 (negative: below)."""
    return round(100.0 + level * STEP, 2)


class ScriptedBook:
    """An OrderBook and its SpoofDetector, changed step by step the way a feed would."""

    def __init__(self, config: SpoofingSettings | None = None) -> None:
        self.book = OrderBook("okx", "BTC/USDT")
        self.detector = SpoofDetector("okx", "BTC/USDT", config or SpoofingSettings())
        self.events = []
        # Touch 100.00 / 100.05, twelve levels of size 1 a side.
        self.snapshot(0.0, bids=[(price(-i), 1.0) for i in range(12)],
                      asks=[(price(1 + i), 1.0) for i in range(12)])

    def snapshot(self, now, bids, asks):
        self.book.apply_snapshot(bids, asks, self.book.sequence + 1)
        self.events += self.detector.on_book(self.book, now, is_snapshot=True)

    def delta(self, now, bids=(), asks=()):
        self.book.apply_delta(bids, asks, self.book.sequence + 1)
        new = self.detector.on_book(self.book, now, sides=self.detector.watched_sides(self.book, bids, asks))  # as the engine calls it
        self.events += new
        return new

    def trade(self, side, at, quantity):
        self.detector.on_trade(side, at, quantity)


def approach_large_bid(market: ScriptedBook) -> None:
    """Place a 20-lot bid 3 levels below the touch at t=1, then move the touch down to 1 level above it."""
    market.delta(1.0, bids=[(price(-3), 20.0)])
    market.trade("sell", price(0), 1.0)
    market.trade("sell", price(-1), 1.0)
    market.delta(2.0, bids=[(price(0), 0.0), (price(-1), 0.0)])


def test_a_large_bid_cancelled_as_the_price_approaches_is_a_spoof():
    market = ScriptedBook()
    approach_large_bid(market)

    events = market.delta(3.0, bids=[(price(-3), 0.0)])

    assert len(events) == 1
    event = events[0]
    assert (event.venue, event.symbol, event.side, event.price) == ("okx", "BTC/USDT", "bid", price(-3))
    assert event.size == pytest.approx(20.0)
    assert event.lifetime_s == pytest.approx(2.0)
    assert event.traded == 0.0
    assert event.distance_bps == pytest.approx((price(-2) - price(-3)) / price(-2) * 1e4)
    assert list(market.detector.events) == [event]


def test_a_large_ask_shrunk_to_its_normal_size_as_the_price_approaches_is_a_spoof():
    market = ScriptedBook()
    market.delta(1.0, asks=[(price(4), 20.0)])
    market.delta(2.0, asks=[(price(1), 0.0), (price(2), 0.0)])

    events = market.delta(3.0, asks=[(price(4), 1.0)])

    assert [(e.side, e.price, e.size) for e in events] == [("ask", price(4), pytest.approx(19.0))]


def test_a_large_bid_traded_before_it_vanished_is_not_a_spoof():
    market = ScriptedBook()
    approach_large_bid(market)
    market.trade("sell", price(-3), 5.0)  # a quarter of it traded, then the rest was cancelled

    assert market.delta(3.0, bids=[(price(-3), 0.0)]) == []


def test_a_large_bid_the_touch_trades_through_is_not_a_spoof():
    market = ScriptedBook()
    approach_large_bid(market)

    # The book change arrives before the trades that explain it, as venues publish them.
    events = market.delta(3.0, bids=[(price(-2), 0.0), (price(-3), 0.0)])
    market.trade("sell", price(-2), 1.0)
    market.trade("sell", price(-3), 20.0)

    assert events == [] and market.events == []


def test_a_large_bid_pulled_after_the_price_moved_away_is_not_a_spoof():
    market = ScriptedBook()
    market.delta(1.0, bids=[(price(-3), 20.0)])
    market.delta(2.0, bids=[(price(1), 1.0), (price(2), 1.0)], asks=[(price(1), 0.0), (price(2), 0.0)])

    assert market.delta(3.0, bids=[(price(-3), 0.0)]) == []


def test_a_snapshot_rebaselines_without_events():
    market = ScriptedBook()
    approach_large_bid(market)

    market.snapshot(3.0, bids=[(price(-2 - i), 1.0) for i in range(12)],
                    asks=[(price(1 + i), 1.0) for i in range(12)])

    assert market.events == []
    assert market.detector.tracked_levels("bid") == {}


def test_no_caps_before_any_spoof_even_with_a_large_level():
    market = ScriptedBook()
    market.delta(1.0, asks=[(price(3), 20.0)])

    assert market.detector.tracked_levels("ask") == {price(3): 20.0}
    assert market.detector.caps(1.0) == ({}, {})


@pytest.mark.parametrize("discount, expected", [(1.0, 1.0), (0.5, 10.5)])
def test_after_a_spoof_the_next_large_level_is_capped(discount, expected):
    market = ScriptedBook(SpoofingSettings(discount=discount))
    approach_large_bid(market)
    market.delta(3.0, bids=[(price(-3), 0.0)])

    market.delta(4.0, asks=[(price(3), 20.0)])

    bid_caps, ask_caps = market.detector.caps(4.0)
    assert bid_caps == {} and ask_caps == {price(3): pytest.approx(expected)}
    assert market.detector.recent_events(4.0) == 1 and market.detector.is_suspect(4.0)


def test_suspicion_ends_after_memory_s():
    market = ScriptedBook(SpoofingSettings(memory_s=60.0))
    approach_large_bid(market)
    market.delta(3.0, bids=[(price(-3), 0.0)])
    market.delta(4.0, asks=[(price(3), 20.0)])
    version = market.detector.caps_version

    caps = market.detector.caps(63.5)

    assert caps == ({}, {}) and market.detector.recent_events(63.5) == 0
    assert market.detector.caps_version != version


def test_suspicion_needs_min_events():
    market = ScriptedBook(SpoofingSettings(min_events=2))
    approach_large_bid(market)
    market.delta(3.0, bids=[(price(-3), 0.0)])
    market.delta(4.0, asks=[(price(3), 20.0)])

    assert market.detector.recent_events(4.0) == 1
    assert market.detector.caps(4.0) == ({}, {})


def test_caps_version_changes_when_suspicion_starts_and_when_tracked_levels_change_only():
    market = ScriptedBook(SpoofingSettings(discount=0.5))
    approach_large_bid(market)
    before = market.detector.caps_version
    market.delta(3.0, bids=[(price(-3), 0.0)])
    after_spoof = market.detector.caps_version

    market.delta(4.0, asks=[(price(3), 20.0)])  # a large level appears while suspect
    after_new_level = market.detector.caps_version
    market.delta(5.0, asks=[(price(3), 30.0)])  # the tracked level grows
    after_growth = market.detector.caps_version
    market.delta(6.0, asks=[(price(9), 1.5)])  # an ordinary level changes: the caps do not
    after_ordinary = market.detector.caps_version
    market.delta(7.0, asks=[(price(3), 1.0)])  # the tracked level is gone
    after_gone = market.detector.caps_version

    assert len({before, after_spoof, after_new_level, after_growth}) == 4
    assert after_ordinary == after_growth
    assert after_gone != after_ordinary and market.detector.caps(7.0) == ({}, {})


def large_ask_book() -> OrderBook:
    book = OrderBook("okx", "BTC/USDT")
    book.apply_snapshot([(price(0), 1.0)], [(price(1), 1.0), (price(2), 1.0), (price(3), 20.0), (price(4), 1.0)], 1)
    return book


def test_capped_vwap_believes_only_the_capped_size_of_a_suspect_level():
    book = large_ask_book()
    caps = ({}, {price(3): 1.0})

    vwap, filled = book.vwap("buy", 10.0)
    capped, capped_filled = capped_vwap(book, "buy", 10.0, caps)

    assert filled == 10.0 and vwap == pytest.approx((price(1) + price(2) + 8 * price(3)) / 10)
    assert capped_filled == 4.0, "the rest of the order finds no believable liquidity"
    assert capped == pytest.approx((price(1) + price(2) + price(3) + price(4)) / 4)
    assert capped_vwap(book, "sell", 1.0, caps) == book.vwap("sell", 1.0), "bid caps are empty"


def test_capped_vwap_walks_deeper_for_a_worse_price_when_the_book_has_depth():
    book = large_ask_book()
    book.apply_delta([], [(price(5), 10.0)], 2)

    vwap, _ = book.vwap("buy", 6.0)
    capped, filled = capped_vwap(book, "buy", 6.0, ({}, {price(3): 1.0}))

    assert filled == 6.0 and capped > vwap


def test_capped_quantity_within_counts_only_capped_sizes():
    book = large_ask_book()

    assert capped_quantity_within(book, "buy", price(3), ({}, {price(3): 1.0})) == 3.0
    assert book.quantity_within("buy", price(3)) == 22.0


def test_without_caps_the_helpers_equal_the_books_own_walks():
    book = large_ask_book()

    for side in ("buy", "sell"):
        assert capped_vwap(book, side, 10.0, NO_CAPS) == book.vwap(side, 10.0)
        assert capped_quantity_within(book, side, price(3), NO_CAPS) == book.quantity_within(side, price(3))
        assert capped_quantity_within(book, side, price(-3), NO_CAPS) == book.quantity_within(side, price(-3))


def test_empty_and_one_sided_books_do_not_crash():
    detector = SpoofDetector("okx", "BTC/USDT", SpoofingSettings())
    empty = OrderBook("okx", "BTC/USDT")

    assert detector.on_book(empty, 0.0) == []  # never had a snapshot
    empty.apply_snapshot([], [], 1)
    assert detector.on_book(empty, 1.0, is_snapshot=True) == []
    one_sided = OrderBook("okx", "BTC/USDT")
    one_sided.apply_snapshot([(price(0), 1.0), (price(-1), 30.0)], [], 1)
    assert detector.on_book(one_sided, 2.0, is_snapshot=True) == []
    detector.on_trade("buy", math.nan, 1.0)
    vwap, filled = capped_vwap(empty, "buy", 1.0, ({}, {price(1): 1.0}))

    assert math.isnan(vwap) and filled == 0.0
    assert capped_quantity_within(empty, "sell", math.nan, ({price(0): 1.0}, {})) == 0.0
    assert detector.caps(2.0) == ({}, {})


def test_watched_sides_names_the_sides_whose_watched_levels_a_delta_changed():
    book = OrderBook("okx", "BTC/USDT")
    detector = SpoofDetector("okx", "BTC/USDT", SpoofingSettings(watch_levels=3))
    book.apply_snapshot([(price(-i), 1.0) for i in range(5)], [(price(1 + i), 1.0) for i in range(5)], 1)
    watched = detector.watched_sides
    assert watched(book, ((price(-2), 2.0),), ()) == ("bid",)  # the 3rd bid: watched
    assert watched(book, ((price(-3), 2.0),), ()) == ()  # the 4th: behind the watched levels
    assert watched(book, (), ((price(4), 2.0),)) == ()
    assert watched(book, ((price(-4), 2.0),), ((price(3), 2.0),)) == ("ask",)
    assert watched(book, (), ()) == ()
    book.apply_delta(((price(-1), 0.0),), (), 2)  # a watched bid deleted: the 4th bid moves up
    assert watched(book, ((price(-1), 0.0),), ()) == ("bid",)
    thin = OrderBook("okx", "BTC/USDT")
    thin.apply_snapshot([(price(0), 1.0)], [(price(1), 1.0)], 1)
    assert watched(thin, ((price(-9), 1.0),), ()) == ("bid",)  # fewer levels than watched: every change


def test_scanning_only_the_changed_side_finds_exactly_what_scanning_both_finds():
    """A seeded market of one-sided deltas (at the touch and behind the watched levels), large levels
    placed and pulled, and trades: a detector told which side's watched levels changed must give the
    same events and caps, step by step, as one that scans both sides, also across a skipped version
    (a delta it was never shown) and a snapshot."""
    import random

    rng = random.Random(11)
    config = SpoofingSettings(min_events=2, memory_s=30.0)
    book = OrderBook("okx", "BTC/USDT")
    told = SpoofDetector("okx", "BTC/USDT", config)
    full = SpoofDetector("okx", "BTC/USDT", config)
    book.apply_snapshot([(price(-i), 1.0) for i in range(15)], [(price(1 + i), 1.0) for i in range(15)], 1)
    assert told.on_book(book, 0.0, is_snapshot=True) == full.on_book(book, 0.0, is_snapshot=True)
    found = 0
    after_skip = False
    for step in range(1, 4000):
        now = step * 0.1
        bid_touch, ask_touch = book.best_bid, book.best_ask
        skip = step % 997 == 0
        is_bid = True if skip else False if after_skip else rng.random() < 0.5
        if is_bid:
            at = round(bid_touch - STEP * rng.randrange(0, 16), 2)
        else:
            at = round(ask_touch + STEP * rng.randrange(0, 16), 2)
        roll = rng.random()
        size = 0.0 if roll < 0.3 else (25.0 if roll < 0.4 else round(rng.uniform(0.5, 2.0), 3))
        if size == 0.0 and (book.depth[0] < 5 or book.depth[1] < 5):
            size = 1.0
        if skip:  # a new large bid that neither detector is shown; the next delta changes the asks
            at, size = round(bid_touch - 2 * STEP, 2), 40.0
        bids, asks = (((at, size),), ()) if is_bid else ((), ((at, size),))
        if rng.random() < 0.05:
            side = "sell" if is_bid else "buy"
            told.on_trade(side, at, 0.5)
            full.on_trade(side, at, 0.5)
        book.apply_delta(bids, asks, book.sequence + 1)
        after_skip = skip
        if skip:
            continue  # neither detector sees this version: the next call must scan both sides
        if step % 1500 == 0:
            book.apply_snapshot(list(book.iter_bids()), list(book.iter_asks()), book.sequence + 1)
            a = told.on_book(book, now, is_snapshot=True)
            b = full.on_book(book, now, is_snapshot=True)
        else:
            a = told.on_book(book, now, sides=told.watched_sides(book, bids, asks))
            b = full.on_book(book, now)
        assert a == b, step
        assert told.caps(now) == full.caps(now), step
        assert told.tracked_levels("bid") == full.tracked_levels("bid")
        assert told.tracked_levels("ask") == full.tracked_levels("ask")
        found += len(a)
    assert found > 0  # the market did make spoofs, so the comparison covered them
