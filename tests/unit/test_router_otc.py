"""The simulated OTC pool: a spread that widens with size and volatility, limits, refilling liquidity, withdrawals."""

import dataclasses
import math

import pytest

from octo_desktop.router.ladder import book_curve
from octo_desktop.router.otc import OtcPool
from octo_desktop.router.split import split

MID = 150.0
TERMS = {"base_spread_bps": 4.0, "size_slope_bps": 10.0, "reference_size": 500.0, "size_exponent": 1.5,
         "min_quantity": 100.0, "max_quantity": 2000.0, "capacity": 3000.0, "refill_per_s": 2.0, "delay_s": 25.0,
         "tolerance_bps": 8.0, "volatility_multiplier": 1.0, "fixed_cost": 1.0}


def make_pool(now=0.0, **changes):
    return OtcPool.full("desk-a", now, **{**TERMS, **changes})


def test_the_spread_widens_with_size_by_the_formula():
    pool = make_pool()
    sizes = [100.0, 300.0, 800.0, 2000.0]
    spreads = [pool.spread_bps(q) for q in sizes]
    assert spreads == sorted(spreads) and len(set(spreads)) == len(spreads)
    assert pool.spread_bps(1000.0) == pytest.approx(4.0 + 10.0 * 2.0 ** 1.5)


def test_the_spread_widens_with_volatility_over_the_delay():
    pool = make_pool()
    calm, wild = pool.spread_bps(500.0, 1e-5), pool.spread_bps(500.0, 1e-4)
    assert wild > calm > pool.spread_bps(500.0)
    assert wild - pool.spread_bps(500.0) == pytest.approx(1e-4 * math.sqrt(25.0) * 10_000)


def test_a_quote_prices_above_the_mid_for_a_buy_and_below_for_a_sell():
    pool = make_pool()
    buy = pool.quote("buy", 500.0, MID, now=10.0)
    sell = pool.quote("sell", 500.0, MID, now=10.0)
    assert buy.price == pytest.approx(MID * (1 + buy.spread_bps / 10_000))
    assert sell.price == pytest.approx(MID * (1 - sell.spread_bps / 10_000))
    assert buy.settles_at == 35.0 and buy.notional == pytest.approx(500.0 * buy.price)


def test_sizes_outside_the_minimum_and_maximum_are_refused():
    pool = make_pool()
    with pytest.raises(ValueError, match="outside what it takes now"):
        pool.quote("buy", 99.0, MID, now=0.0)
    with pytest.raises(ValueError, match="outside what it takes now"):
        pool.quote("buy", 2001.0, MID, now=0.0)
    assert pool.quote("buy", 100.0, MID, now=0.0).quantity == 100.0
    assert pool.quote("buy", 2000.0, MID, now=0.0).quantity == 2000.0


def test_a_fill_uses_up_liquidity_which_refills_linearly_up_to_the_capacity():
    pool = make_pool(now=0.0)
    after = pool.after_fill(2000.0, now=0.0)
    assert pool.available == 3000.0  # the pool is a value: a fill returns a new one
    assert after.available_at(0.0) == 1000.0
    assert after.available_at(100.0) == pytest.approx(1200.0)
    assert after.available_at(10_000.0) == 3000.0
    assert after.limits(0.0) == (100.0, 1000.0)
    with pytest.raises(ValueError, match="outside what it takes now"):
        after.quote("buy", 1500.0, MID, now=0.0)
    assert after.quote("buy", 1500.0, MID, now=250.0).quantity == 1500.0


def test_a_pool_drained_below_its_minimum_takes_nothing_until_it_refills():
    drained = make_pool().after_fill(2000.0, now=0.0).after_fill(950.0, now=0.0)
    assert drained.limits(0.0) == (100.0, 0.0)
    assert drained.curve("buy", MID, 0.0).max_quantity == 0.0
    assert drained.limits(25.0) == (100.0, 100.0)


def test_a_fill_beyond_what_is_available_or_back_in_time_is_refused():
    pool = make_pool(now=50.0)
    with pytest.raises(ValueError, match="more than the 3000 available"):
        pool.after_fill(3500.0, now=60.0)
    with pytest.raises(ValueError, match="before the pool's state"):
        pool.after_fill(10.0, now=40.0)


def test_a_quote_is_withdrawn_when_the_market_moves_beyond_the_tolerance():
    pool = make_pool()
    quote = pool.quote("buy", 500.0, MID, now=0.0)
    assert pool.still_valid(quote, MID * (1 + 7e-4))
    assert pool.still_valid(quote, MID * (1 - 7e-4))
    assert not pool.still_valid(quote, MID * (1 + 9e-4))
    assert not pool.still_valid(quote, MID * (1 - 9e-4))
    assert not pool.still_valid(quote, math.nan)


def test_the_curve_prices_what_a_quote_would_and_carries_the_limits_and_costs():
    pool = make_pool()
    curve = pool.curve("buy", MID, 0.0, volatility_per_sqrt_s=1e-4, risk_aversion=2.0, transfer_cost=3.0)
    quote = pool.quote("buy", 700.0, MID, 0.0, volatility_per_sqrt_s=1e-4)
    assert curve.cost(700.0) == pytest.approx(quote.notional)
    assert (curve.min_quantity, curve.max_quantity, curve.delay_s) == (100.0, 2000.0, 25.0)
    assert math.isinf(curve.cost(2500.0))
    assert curve.risk_per_unit == pytest.approx(MID * 1e-4 * 5.0 * 2.0)
    assert curve.activation_cost == 4.0
    sell = pool.curve("sell", MID, 0.0)
    assert sell.cost(700.0) == pytest.approx(-pool.quote("sell", 700.0, MID, 0.0).notional)


def test_the_splitter_respects_the_pool_minimum_and_what_it_has_left():
    pool = make_pool(min_quantity=100.0, base_spread_bps=0.0, size_slope_bps=1.0, fixed_cost=0.0)
    tired = pool.after_fill(2800.0, now=0.0)  # 200 left
    book = book_curve("book", "buy", [150.05 + 0.05 * i for i in range(200)], [5.0] * 200, 0.001)
    plan = split([book, tired.curve("buy", MID, 0.0)], 600.0, "buy", reference_price=MID)
    assert 100.0 - 1e-9 <= plan.quantities()["desk-a"] <= 200.0 + 1e-9


def test_bad_terms_are_refused_in_one_line():
    with pytest.raises(ValueError, match="max_quantity must be finite and at least min_quantity"):
        make_pool(max_quantity=50.0)
    with pytest.raises(ValueError, match="reference_size must be positive"):
        make_pool(reference_size=0.0)
    with pytest.raises(ValueError, match="available must be within"):
        dataclasses.replace(make_pool(), available=4000.0)
    with pytest.raises(ValueError, match="side must be"):
        make_pool().quote("hold", 200.0, MID, 0.0)
