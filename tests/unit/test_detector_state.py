"""The detector's per-symbol state: the pairs it hands the desk equal the matrix formula's, and a book change
that the trade size never reaches gives the same pairs without computing them again."""

import math

import octo_desktop.desks.arbitrage.detector as detector_module
from octo_desktop.desks.arbitrage.detector import SymbolState
from octo_desktop.domain.book import OrderBook
from octo_desktop.domain.spoofing import SpoofDetector, SpoofingSettings
from octo_desktop.domain.spread import pairs_above

VENUES = ("a", "b", "c")
FEES = [0.001, 0.001, 0.001]


def _state():
    books = [OrderBook(v, "BTC/USDT") for v in VENUES]
    detectors = [SpoofDetector(v, "BTC/USDT", SpoofingSettings()) for v in VENUES]
    asks = {"a": 100.0, "b": 100.2, "c": 101.0}
    for book in books:
        ask = asks[book.venue]
        bids = tuple((ask - 0.1 - k * 0.1, 5.0) for k in range(10))
        book.apply_snapshot(bids, tuple((ask + k * 0.1, 5.0) for k in range(10)), 1, 10.0, 10.0)
    return SymbolState(books, detectors), books


def _expected(st, threshold):
    return tuple(pairs_above(st.cost, st.proceeds, st.buy_vwap, st.usable, threshold))


def test_pairs_are_the_matrix_formulas_and_reused_only_while_nothing_they_read_changed(monkeypatch):
    calls = []
    monkeypatch.setattr(detector_module, "pairs_above", lambda *a: calls.append(1) or pairs_above(*a))
    st, books = _state()
    st.refresh(1.0, FEES, 11.0, 0.0)
    first = st.pairs(5.0)
    assert first == _expected(st, 5.0) and first and len(calls) == 1
    assert first[0][1:] == (0, 2)  # buy on a (ask 100), sell on c (bid 100.9)

    # A level far behind what one unit walks changes the book's version, not its VWAPs: the same answer.
    books[0].apply_delta((), ((105.0, 3.0),), 2, 12.0, 12.0)
    st.refresh(1.0, FEES, 12.0, 0.0)
    assert st.pairs(5.0) is first and len(calls) == 1

    # The touch moves: computed again, and right.
    books[2].apply_delta(((100.9, 0.0),), (), 2, 13.0, 13.0)
    st.refresh(1.0, FEES, 13.0, 0.0)
    again = st.pairs(5.0)
    assert len(calls) == 2 and again == _expected(st, 5.0) and again != first

    # Another threshold, a venue going stale, another size: each is news.
    assert st.pairs(50.0) == _expected(st, 50.0) and len(calls) == 3
    st.refresh(1.0, FEES, 14.0, 11.5)  # a, b and c last changed at 12, 10 and 13: b is stale now
    assert st.usable == [True, False, True]
    assert st.pairs(50.0) == _expected(st, 50.0) and len(calls) == 4
    st.refresh(8.0, FEES, 14.0, 0.0)
    assert st.pairs(50.0) == _expected(st, 50.0) and len(calls) == 5
    assert all(math.isfinite(net) for net, _, _ in st.pairs(50.0))
