"""The recorded-data parsers and the independent book rebuilders agree with the recordings themselves."""

from __future__ import annotations

import pytest

from tests.fakes.realdata import (
    BINANCE_DEPTH_REST,
    BINANCE_REST,
    BINANCE_WS,
    OKX_REST,
    OKX_WS,
    best_levels,
    binance_books,
    binance_diffs,
    binance_rebuild,
    binance_snapshot,
    float_side,
    okx_book_checksum,
    okx_book_frames,
    okx_books,
    okx_checksum,
    okx_float_checksum,
    okx_number,
    read_rest,
    read_ws,
    rest_bodies,
)

OKX_INSTRUMENTS = ("BTC-USDT", "BTC-USD-220527", "UNI-USD-SWAP")
BINANCE_SYMBOLS = ("NKNUSDT", "BLZETH", "LRCBTC", "RUNEEUR")


def test_rest_parsers_count_responses_as_the_readme_says():
    okx = read_rest(OKX_REST)
    assert len(okx) == 25  # 5 instrument lists, each recorded 5 times; the configuration line is skipped
    assert all(record.data["code"] == "0" for record in okx)
    assert sorted(rest_bodies(OKX_REST)) == sorted([
        "/api/v5/public/instruments?instType=SPOT", "/api/v5/public/instruments?instType=SWAP",
        "/api/v5/public/instruments?instType=FUTURES", "/api/v5/public/instruments?instType=OPTION&uly=BTC-USD",
        "/api/v5/public/instruments?instType=OPTION&uly=ETH-USD"])
    assert rest_bodies(OKX_REST)["/api/v5/public/instruments?instType=SPOT"] == okx[20].text  # the latest wins
    (info,) = read_rest(BINANCE_REST)
    assert info.url == "https://api.binance.com/api/v3/exchangeInfo" and "symbols" in info.data
    depth = read_rest(BINANCE_DEPTH_REST)
    assert [record.url.split("symbol=")[1].split("&")[0] for record in depth] == list(BINANCE_SYMBOLS)


def test_ws_parsers_count_frames_as_the_readme_says():
    okx = read_ws(OKX_WS)
    assert okx.url == "wss://ws.okx.com:8443/ws/v5/public"
    assert len(okx.sent) == 3 and all(record.data["op"] == "subscribe" for record in okx.sent)
    assert len(okx.received) == 410
    assert 11 < okx.received[-1].ts - okx.connect_ts < 13
    btc = okx_book_frames("BTC-USDT")
    assert [record.data["action"] for _, record in btc] == ["snapshot"] + ["update"] * 97
    binance = read_ws(BINANCE_WS)
    assert binance.url.startswith("wss://stream.binance.com:9443/stream?streams=nknusdt@depth@100ms/")
    assert binance.sent == () and len(binance.received) == 265
    assert len(binance_diffs("NKNUSDT")) == 150


@pytest.mark.parametrize("inst_id", OKX_INSTRUMENTS)
def test_every_okx_checksum_verifies_against_the_rebuild(inst_id):
    books = okx_books(inst_id)
    assert len(books) == len(okx_book_frames(inst_id))
    assert all(okx_book_checksum(book.bids, book.asks) == book.checksum for book in books)


def test_okx_btc_usdt_has_98_checksums_and_a_sane_book():
    books = okx_books("BTC-USDT")
    assert len(books) == 98
    for book in books:
        assert len(book.bids) <= 400 and len(book.asks) <= 400
        assert max(map(float, book.bids)) < min(map(float, book.asks))


def test_okx_checksum_notices_a_changed_level():
    book = okx_books("BTC-USDT")[0]
    bids = best_levels(book.bids, bids=True, depth=25)
    asks = best_levels(book.asks, bids=False, depth=25)
    assert okx_checksum(bids, asks) == book.checksum
    changed = [(bids[3][0], bids[3][1] + "1")] + bids[4:]
    assert okx_checksum(bids[:3] + changed, asks) != book.checksum
    assert okx_checksum(bids[1:], asks) != book.checksum


@pytest.mark.parametrize("value, text", [(30258.0, "30258"), (30246.5, "30246.5"), (1e-05, "0.00001"),
                                         (0.00087743, "0.00087743"), (0.61, "0.61"), (5.0, "5"), (30250.0, "30250")])
def test_okx_number_writes_floats_the_way_okx_did(value, text):
    assert okx_number(value) == text


@pytest.mark.parametrize("inst_id", OKX_INSTRUMENTS)
def test_every_okx_checksum_verifies_from_a_float_book(inst_id):
    for book in okx_books(inst_id):
        assert okx_float_checksum(float_side(book.bids), float_side(book.asks)) == book.checksum


@pytest.mark.parametrize("symbol", BINANCE_SYMBOLS)
def test_binance_snapshot_and_diffs_chain_without_gaps(symbol):
    snapshot = binance_snapshot(symbol)
    books = binance_books(symbol)
    dropped = [record for _, record in binance_diffs(symbol) if record.data["data"]["u"] <= snapshot.last_update_id]
    assert len(books) + len(dropped) == len(binance_diffs(symbol))
    for book in books:
        assert max(map(float, book.bids)) < min(map(float, book.asks))


def test_binance_nknusdt_gives_149_states_after_the_snapshot():
    snapshot = binance_snapshot("NKNUSDT")
    books = binance_books("NKNUSDT")
    assert snapshot.last_update_id == 499869752 and (len(snapshot.bids), len(snapshot.asks)) == (609, 1000)
    assert len(books) == 149  # the first of the 150 diffs (u == lastUpdateId) is already in the snapshot
    assert books[0].last_update_id == 499869754 and books[-1].last_update_id == 499870179
    assert books[-1].bids != snapshot.bids


def test_binance_rebuild_refuses_a_gap():
    diffs = binance_diffs("NKNUSDT")
    with pytest.raises(ValueError, match="does not follow"):
        binance_rebuild(binance_snapshot("NKNUSDT"), diffs[:10] + diffs[11:])
