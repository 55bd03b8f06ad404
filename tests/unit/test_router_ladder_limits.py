"""Capping a source (funds, a limit price) and reading its marginal price: the pure helpers the desk uses."""

from __future__ import annotations

import math

import pytest

from octo_desktop.router import amm
from octo_desktop.router.ladder import BUY, SELL, book_curve, capped, function_curve, ladder_points, marginal_price, \
    within_limit
from octo_desktop.router.pools import PoolSpec, build_pool
from octo_desktop.router.split import split

ASKS = ([100.0, 101.0, 102.0], [1.0, 2.0, 3.0])
BIDS = ([99.0, 98.0, 97.0], [1.0, 2.0, 3.0])


def pool_curve(side: str):
    pool = build_pool(PoolSpec("p", "cpmm", "SOL", "USDC", 1_000_000.0), 150.0)
    if side == BUY:
        return function_curve("p", "amm", side, amm.buy_cost_curve(pool, True), amm.max_buy_quantity(pool, True))
    return function_curve("p", "amm", side, amm.sell_proceeds_curve(pool, True), amm.max_sell_quantity(pool, True))


def test_capped_book_keeps_its_exact_ladder_up_to_the_cap():
    curve = book_curve("b", BUY, *ASKS, 0.001)
    cut = capped(curve, 2.5)
    assert cut.max_quantity == 2.5 and cut.cost(2.5) == curve.cost(2.5) and cut.cost(2.6) == math.inf
    assert [size for _, size in cut.steps] == [1.0, 1.5]
    assert capped(curve, 10.0) is curve  # a cap beyond its depth changes nothing
    plan = split([cut, book_curve("c", BUY, [103.0], [10.0], 0.0)], 4.0, BUY)
    assert plan.quantities()["b"] == pytest.approx(2.5)  # the splitter respects the cap


def test_within_limit_on_a_book_is_exact_level_by_level_fees_included():
    buy = book_curve("b", BUY, *ASKS, 0.01)
    assert within_limit(buy, 101.0 * 1.01) == pytest.approx(3.0)  # levels 100 and 101, all-in
    assert within_limit(buy, 101.0 * 1.01 - 1e-9) == pytest.approx(1.0)
    assert within_limit(buy, 99.0) == 0.0
    sell = book_curve("s", SELL, *BIDS, 0.0)
    assert within_limit(sell, 98.0) == pytest.approx(3.0)
    assert within_limit(sell, 99.5) == 0.0
    assert within_limit(buy, math.nan) == buy.max_quantity  # no limit


@pytest.mark.parametrize("side", [BUY, SELL])
def test_within_limit_on_a_pool_stops_where_the_marginal_price_reaches_the_limit(side):
    curve = pool_curve(side)
    touch = marginal_price(curve, 1e-6)
    limit = touch * (1.002 if side == BUY else 0.998)
    q = within_limit(curve, limit)
    assert q > 0
    assert marginal_price(curve, q * 0.999) == pytest.approx(limit, rel=2e-4)
    if side == BUY:
        assert marginal_price(curve, q * 0.99) <= limit < marginal_price(curve, q * 1.01)
    else:
        assert marginal_price(curve, q * 0.99) >= limit > marginal_price(curve, q * 1.01)


def test_marginal_price_and_ladder_points_rise_for_a_buy():
    curve = pool_curve(BUY)
    points = ladder_points(curve, 500.0, points=10)
    assert len(points) == 11 and points[0][0] == 0.0 and points[-1][0] == 500.0
    prices = [p for _, p in points]
    assert prices == sorted(prices) and prices[0] > 150.0  # fees: above the mid from the first unit
    book = book_curve("b", BUY, *ASKS, 0.0)
    assert marginal_price(book, 0.5) == 100.0 and marginal_price(book, 2.0) == 101.0
    assert math.isnan(marginal_price(book, 7.0))
