import hashlib

import pytest

from octo_desktop.config import load_config
from octo_desktop.domain.book import BookError, OrderBook
from octo_desktop.domain.model import BUY, SELL, BookUpdate, MarketTrade
from octo_desktop.domain.spoofing import SpoofDetector
from octo_desktop.feeds.simulated import SimulatedMarket
from tests.fakes.market_schedule import drive

SECONDS = 180.0


class Watcher:
    """Apply a market's events to books and spoof detectors, as the engine would; keep what they said."""

    def __init__(self, config, market):
        self.market = market
        self.books = {(v, s): OrderBook(v, s) for v in config.venue_names for s in config.symbols}
        self.detectors = {key: SpoofDetector(*key, config.spoofing) for key in self.books}
        self.events, self.trades, self.spoofs = [], [], []

    def __call__(self, event):
        self.events.append(event)
        key = (event.venue, event.symbol)
        if isinstance(event, MarketTrade):
            self.trades.append(event)
            self.detectors[key].on_trade(event.side, event.price, event.quantity)
            return
        book = self.books[key]
        try:
            if event.is_snapshot:
                book.apply_snapshot(event.bids, event.asks, event.sequence)
            else:
                book.apply_delta(event.bids, event.asks, event.sequence)
        except BookError:
            self.market.request_resync(*key)
            return
        self.spoofs += self.detectors[key].on_book(book, event.received_time, event.is_snapshot)


def watch(rate_per_minute, seconds=SECONDS, seed=7):
    # Without other arbitrageurs (whose orders, like Octo's, may hit a spoof): the spoofers alone.
    config = load_config(None, ['simulation.preset="off"', f"simulation.spoofs_per_minute={rate_per_minute}",
                                "simulation.dislocations_per_minute=3"])  # price jumps through spoofs, too
    market = SimulatedMarket(config, 0.0, seed=seed)
    watcher = Watcher(config, market)
    drive(market, seconds, watcher)
    return market, watcher


@pytest.fixture(scope="module")
def spoofed():
    return watch(30)


@pytest.fixture(scope="module")
def calm():
    return watch(0)


def test_spoofs_are_placed_on_most_venues_and_end_for_each_reason(spoofed):
    market, _ = spoofed
    log = list(market.spoof_log)

    assert len(log) > 60
    assert len({record.venue for record in log}) >= 6
    assert {record.reason for record in log} == {"approached", "expired"}
    assert all(record.size > 5 * record.normal_size for record in log)


def test_no_trade_ever_hits_a_spoofed_size(spoofed):
    market, watcher = spoofed
    hits = []
    for record in market.spoof_log:
        aggressor = BUY if record.side == "ask" else SELL
        for trade in watcher.trades:
            if (trade.venue, trade.symbol, trade.side, trade.price) != (record.venue, record.symbol, aggressor,
                                                                         record.price):
                continue
            if record.placed <= trade.received_time < record.pulled:
                hits.append((record, trade))  # a trade while the spoof rested
            elif trade.received_time == record.pulled and trade.quantity > record.normal_size + 1e-9:
                hits.append((record, trade))  # traded through as it was pulled: only the normal size may print

    assert hits == []


def test_the_detector_finds_most_spoofs_pulled_as_the_price_approached(spoofed):
    market, watcher = spoofed
    approached = [record for record in market.spoof_log if record.reason == "approached"]

    found = [record for record in approached
             if any((event.venue, event.symbol, event.side, event.price) ==
                    (record.venue, record.symbol, record.side, record.price)
                    and record.placed <= event.time <= record.pulled for event in watcher.spoofs)]

    # Measured 38 of 41 (93%) here; 84-93% over 4-10 min runs of seeds 7 and 11. The misses were jumped
    # through by a fast move, or not 5 times the median of their neighbours.
    assert len(approached) > 30
    assert len(found) >= 0.7 * len(approached)


def test_every_detected_spoof_is_a_real_one(spoofed):
    market, watcher = spoofed
    truth = {(r.venue, r.symbol, r.side, r.price): r for r in market.spoof_log}

    unexplained = [e for e in watcher.spoofs
                   if not any(r.placed <= e.time <= r.pulled for r in market.spoof_log
                              if (r.venue, r.symbol, r.side, r.price) == (e.venue, e.symbol, e.side, e.price))]

    assert truth and unexplained == []


def test_a_market_without_spoofers_raises_few_false_alarms(calm):
    market, watcher = calm

    # Measured: no event in 180 s here, nor in 10-30 min runs of seeds 1, 2, 3 and 7 (24 books each).
    assert list(market.spoof_log) == []
    assert len(watcher.spoofs) <= 2


def test_spoofers_leave_the_market_unchanged_when_switched_off():
    config = load_config(None, ['simulation.preset="off"', "simulation.spoofs_per_minute=0"])
    events = []

    drive(SimulatedMarket(config, 0.0, seed=7), 30.0, events.append)

    # Digest of the same 30 s recorded from the market as it was before spoofers were added.
    digest = hashlib.sha256("\n".join(map(repr, events)).encode()).hexdigest()
    assert len(events) == 11942
    assert digest == "bbdb903b2fec72b3da942178b1388024a23aa66339167315fa9b922878f66b51"


def test_our_order_taking_a_spoofed_level_hits_the_spoof_and_ends_it():
    config = load_config(None, ['simulation.preset="off"', "simulation.spoofs_per_minute=120",
                                "simulation.sequence_gap_probability=0",
                                "simulation.outages_per_hour=0"])
    market = SimulatedMarket(config, 0.0, seed=7)
    watcher = Watcher(config, market)
    drive(market, 10.0, watcher)
    spoof = market.active_spoofs()[0]
    book = watcher.books[(spoof.venue, spoof.symbol)]
    book_side = spoof.side
    resting = book.size_at(book_side, spoof.price)
    assert resting == pytest.approx(spoof.size + spoof.normal_size)

    taken = spoof.normal_size + spoof.size / 2  # through the level's own size into the spoof
    events = market.consume(spoof.venue, spoof.symbol, BUY if spoof.side == "ask" else SELL,
                            ((spoof.price, taken),), now=10.0)
    for event in events:
        watcher(event)

    record = market.spoof_log[-1]
    assert (record.venue, record.symbol, record.price, record.reason) == (spoof.venue, spoof.symbol, spoof.price,
                                                                          "hit")
    assert [(t.price, t.quantity) for t in events if isinstance(t, MarketTrade)] == [(spoof.price, taken)]
    assert book.size_at(book_side, spoof.price) == 0.0, "the spoofer cancelled what was left of its order"
    assert all(not (s.venue == spoof.venue and s.symbol == spoof.symbol) for s in market.active_spoofs())
    assert any(isinstance(e, BookUpdate) for e in events)
