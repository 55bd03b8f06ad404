"""The reference price: the books first, then HTTP sources, then the last known price, each saying so."""

import math

from octo_desktop.router.reference import Reference, reference_price

NOW = 1_000.0
BOOKS = [("okx", 150.0, 999.5, True), ("binance", 150.2, 999.9, True), ("htx", 151.0, 999.0, True),
         ("gate", 170.0, 999.9, False),  # crossed or stale: not used
         ("mexc", 149.0, 900.0, True)]  # 100 s old: not used


def test_the_books_median_mid_when_enough_are_fresh():
    ref = reference_price(BOOKS, [("coingecko", 149.0, 999.0)], None, NOW)
    assert ref == Reference(150.2, "books (3 of 5)", 999.9, False)
    assert ref.describe(NOW) == "150.2 from books (3 of 5)"


def test_the_freshest_http_price_when_the_books_are_too_few_and_it_says_fallback():
    few = BOOKS[:1] + BOOKS[3:]
    ref = reference_price(few, [("coingecko", 149.0, 990.0), ("kraken", 149.5, 995.0), ("old", 1.0, 900.0)],
                          None, NOW)
    assert (ref.price, ref.source, ref.fallback) == (149.5, "http kraken", True)
    assert ref.describe(NOW) == "149.5 from http kraken, 5 s old (fallback)"


def test_the_last_known_price_with_its_age_then_nothing():
    last = Reference(150.2, "books (3 of 5)", 940.0, False)
    ref = reference_price([], [("coingecko", math.nan, 999.0)], last, NOW)
    assert (ref.price, ref.source, ref.fallback, ref.age(NOW)) == (150.2, "last known", True, 60.0)
    none = reference_price([], [], None, NOW)
    assert math.isnan(none.price) and none.describe(NOW).startswith("no reference price: fewer than 2 fresh books")


def test_price_api_replies_are_read_and_bad_prices_named():
    from octo_desktop.router.reference import price_api_prices

    mints = {"SOL": "So1", "ETH": "Eth1", "BTC": "Btc1"}
    body = {"So1": {"usdPrice": 147.47, "blockId": 348004023, "decimals": 9, "priceChange24h": 1.29},
            "Eth1": {"usdPrice": float("nan")}, "Other": {"usdPrice": 1.0}}
    prices, problem = price_api_prices(body, mints)
    assert prices == {"SOL": 147.47}
    assert problem == "ETH: usdPrice nan is not a positive number"
    assert price_api_prices([1, 2], mints) == ({}, "the price reply is list, not an object")
    assert price_api_prices({"So1": {"usdPrice": True}}, mints)[1].startswith("SOL: usdPrice True")
