import math

import pytest

from octo_desktop.domain.book import BookError, CrossedBook, OrderBook, SequenceGap


def make_book():
    book = OrderBook("okx", "BTC/USDT")
    book.apply_snapshot([(100.0, 1.0), (99.5, 2.0), (99.0, 3.0)], [(100.5, 1.5), (101.0, 2.5)], sequence=10)
    return book


def test_snapshot_gives_best_bid_and_ask():
    book = make_book()
    assert (book.best_bid, book.best_ask) == (100.0, 100.5)
    assert (book.best_bid_size, book.best_ask_size) == (1.0, 1.5)
    assert book.is_valid and book.sequence == 10


def test_delta_updates_inserts_and_deletes_with_size_zero():
    book = make_book()
    book.apply_delta(bids=[(100.0, 0.0), (99.8, 4.0)], asks=[(100.4, 0.7), (101.0, 0.0)], sequence=11)
    assert book.top("bid", 10) == [(99.8, 4.0), (99.5, 2.0), (99.0, 3.0)]
    assert book.top("ask", 10) == [(100.4, 0.7), (100.5, 1.5)]


def test_top_n_returns_best_first_and_at_most_n():
    book = make_book()
    assert book.top("bid", 2) == [(100.0, 1.0), (99.5, 2.0)]
    assert book.top("ask", 1) == [(100.5, 1.5)]


def test_top_lists_and_nth_price_read_the_same_levels_as_top():
    book = make_book()
    for side in ("bid", "ask"):
        for n in range(0, 5):
            prices, sizes = book.top_lists(side, n)
            assert list(zip(prices, sizes)) == book.top(side, n)
            expected = book.top(side, n)[n - 1][0] if 0 < n <= len(book.top(side, 10)) else None
            assert book.nth_price(side, n) == expected if expected is not None else math.isnan(book.nth_price(side, n))


def test_vwap_walks_levels_for_the_size():
    book = make_book()
    vwap, filled = book.vwap("buy", 2.0)
    assert filled == 2.0
    assert vwap == pytest.approx((1.5 * 100.5 + 0.5 * 101.0) / 2.0)
    vwap, filled = book.vwap("sell", 10.0)  # more than the book holds
    assert filled == 6.0
    assert vwap == pytest.approx((100.0 + 2 * 99.5 + 3 * 99.0) / 6.0)


def test_quantity_within_counts_only_levels_inside_the_limit():
    book = make_book()
    assert book.quantity_within("buy", 100.9) == 1.5
    assert book.quantity_within("sell", 99.5) == 3.0


def test_sequence_gap_is_detected_and_invalidates_the_book():
    book = make_book()
    with pytest.raises(SequenceGap):
        book.apply_delta([(100.0, 2.0)], [], sequence=12)
    assert not book.is_valid
    with pytest.raises(BookError):
        book.apply_delta([(100.0, 2.0)], [], sequence=11)  # no more deltas until a snapshot
    book.apply_snapshot([(100.0, 1.0)], [(100.5, 1.0)], sequence=20)
    assert book.is_valid


def test_crossed_delta_is_reported_and_invalidates_the_book():
    book = make_book()
    with pytest.raises(CrossedBook):
        book.apply_delta([(100.6, 1.0)], [], sequence=11)
    assert not book.is_valid


def test_crossed_snapshot_is_rejected():
    book = OrderBook("okx", "BTC/USDT")
    with pytest.raises(CrossedBook):
        book.apply_snapshot([(101.0, 1.0)], [(100.0, 1.0)], sequence=1)
    assert not book.is_valid


@pytest.mark.parametrize("bids", [[(99.0, 1.0), (100.0, 1.0)], [(100.0, 1.0), (100.0, 2.0)]])
def test_non_monotonic_snapshot_is_rejected(bids):
    book = OrderBook("okx", "BTC/USDT")
    with pytest.raises(BookError, match="descending"):
        book.apply_snapshot(bids, [(101.0, 1.0)], sequence=1)


@pytest.mark.parametrize("level", [(math.nan, 1.0), (-1.0, 1.0), (0.0, 1.0), (100.0, math.nan),
                                   (100.0, -2.0), (math.inf, 1.0), ("abc", 1.0), (100.0,)])
def test_malformed_delta_is_rejected_and_leaves_the_book_unchanged(level):
    book = make_book()
    before = (book.top("bid", 10), book.top("ask", 10), book.sequence)
    with pytest.raises(BookError):
        book.apply_delta([level], [], sequence=11)
    assert (book.top("bid", 10), book.top("ask", 10), book.sequence) == before


def test_empty_book_reads_are_nan_not_errors():
    book = OrderBook("okx", "BTC/USDT")
    assert math.isnan(book.best_bid) and math.isnan(book.best_ask)
    assert book.top("bid", 5) == []
    vwap, filled = book.vwap("buy", 1.0)
    assert math.isnan(vwap) and filled == 0.0


def test_top_size_adds_the_best_levels_of_a_side_like_summing_top():
    book = OrderBook("okx", "BTC/USDT")
    book.apply_snapshot([(100.0, 0.1), (99.9, 0.2), (99.8, 0.3)], [(100.1, 1.5), (100.2, 2.5)], 1)
    for side in ("bid", "ask"):
        for n in range(0, 5):
            assert book.top_size(side, n) == sum(size for _, size in book.top(side, n))
    assert book.top_size("bid", 2) == 0.1 + 0.2
    assert book.top_size("ask", 9) == 4.0
