"""Raydium CPMM and AMM v4 pool math: the golden vector, the programs' rounding, invariants and the float curves."""

import math
import random
from fractions import Fraction

import pytest

from octo_desktop.router.amm import (
    CREATOR_FEE_ON_INPUT, CREATOR_FEE_ON_X, CREATOR_FEE_ON_Y, FEE_RATE_DENOMINATOR, U64_MAX, AmmV4Pool, CpmmPool,
    apply_swap, buy_cost_curve, marginal_price, max_buy_quantity, max_buy_raw, max_sell_quantity, raw_amount,
    sell_proceeds_curve, swap_exact_in, swap_exact_out,
)


def cpmm(x=10**9, y=2 * 10**9, rate=2500, **kw):
    return CpmmPool("cpmm", "SOL", "USDC", 9, 6, x, y, trade_fee_rate=rate, **kw)


def v4(x=10**9, y=2 * 10**9, **kw):
    return AmmV4Pool("v4", "SOL", "USDC", 9, 6, x, y, **kw)


def random_pool(rng):
    x, y = rng.randint(10**6, 10**15), rng.randint(10**6, 10**15)
    if rng.random() < 0.5:
        return v4(x, y)
    return cpmm(x, y, rate=rng.choice([100, 500, 2500, 10000, 40000]),
                creator_fee_rate=rng.choice([0, 0, 500, 1000]),
                creator_fee_on=rng.choice([CREATOR_FEE_ON_INPUT, CREATOR_FEE_ON_X, CREATOR_FEE_ON_Y]))


# --- the golden vector from the reference ---------------------------------------------------------------

@pytest.mark.parametrize("pool", [cpmm(), v4()], ids=["cpmm", "amm-v4"])
def test_golden_vector_fee_2500_and_out_1_993_011(pool):
    # fee = ceil(1e6 * 2500 / 1e6) = 2500; in' = 997,500; out = floor(997,500 * 2e9 / 1,000,997,500)
    swap = swap_exact_in(pool, 1_000_000, x_for_y=True)
    assert (swap.fee, swap.amount_out) == (2500, 1_993_011)


@pytest.mark.parametrize("pool", [cpmm(), v4()], ids=["cpmm", "amm-v4"])
def test_golden_vector_backwards_exact_out_costs_the_same_million(pool):
    # in' = ceil(1e9 * 1,993,011 / (2e9 - 1,993,011)) = 997,500; gross = ceil(997,500 * D / (D - fee)) = 1e6
    swap = swap_exact_out(pool, 1_993_011, x_for_y=True)
    assert (swap.amount_in, swap.fee) == (1_000_000, 2500)


def test_cpmm_protocol_and_fund_shares_round_down_and_leave_the_reserves():
    swap = swap_exact_in(cpmm(), 1_000_000, x_for_y=True)
    assert (swap.protocol_fee, swap.fund_fee) == (300, 100)  # 2500 * 12 %, 2500 * 4 %
    assert (swap.reserve_x_after, swap.reserve_y_after) == (10**9 + 1_000_000 - 400, 2 * 10**9 - 1_993_011)
    assert swap_exact_in(cpmm(rate=2500, protocol_fee_rate=100_001), 1_000_000, True).protocol_fee == 250


def test_amm_v4_keeps_the_whole_fee_in_the_pool():
    swap = swap_exact_in(v4(), 1_000_000, x_for_y=True)
    assert swap.protocol_fee == 0
    assert swap.reserve_x_after == 10**9 + 1_000_000


def test_reserves_exclude_accrued_fees_and_take_pnl():
    assert swap_exact_in(cpmm(x=10**9 + 777, accrued_fees_x=777), 1_000_000, True).amount_out == 1_993_011
    assert swap_exact_in(v4(y=2 * 10**9 + 5, need_take_pnl_y=5), 1_000_000, True).amount_out == 1_993_011


def test_the_reverse_direction_trades_y_for_x():
    swap = swap_exact_in(cpmm(x=2 * 10**9, y=10**9), 1_000_000, x_for_y=False)
    assert swap.amount_out == 1_993_011
    assert (swap.reserve_x_after, swap.reserve_y_after) == (2 * 10**9 - 1_993_011, 10**9 + 1_000_000 - 400)


# --- the creator fee ------------------------------------------------------------------------------------

def test_creator_fee_on_input_is_one_fee_at_both_rates_split_with_the_creator_rounded_down():
    swap = swap_exact_in(cpmm(rate=2500, creator_fee_rate=1000), 1_000_000, x_for_y=True)
    # total = ceil(1e6 * 3500 / 1e6) = 3500; creator = floor(3500 * 1000 / 3500) = 1000; trade = 2500
    assert (swap.creator_fee, swap.fee, swap.creator_fee_on_input) == (1000, 2500, True)
    assert swap.amount_out == 996_500 * 2 * 10**9 // (10**9 + 996_500)
    assert swap.reserve_x_after == 10**9 + 1_000_000 - 300 - 100 - 1000


def test_the_creator_part_of_a_fee_on_input_rounds_down_and_the_trade_part_takes_the_rest():
    swap = swap_exact_in(cpmm(rate=2500, creator_fee_rate=1000), 1_234_567, x_for_y=True)
    # total = ceil(1,234,567 * 3500 / 1e6) = ceil(4320.98) = 4321; creator = floor(4321 / 3.5) = 1234
    assert (swap.creator_fee, swap.fee) == (1234, 3087)


def test_creator_fee_on_output_is_rounded_up_and_kept_back_from_the_output():
    pool = cpmm(rate=2500, creator_fee_rate=1000, creator_fee_on=CREATOR_FEE_ON_X)  # paying X: it is input
    assert swap_exact_in(pool, 1_000_000, x_for_y=True).creator_fee_on_input
    swap = swap_exact_in(pool, 1_000_000, x_for_y=False)  # paying Y, receiving X: on the output
    swapped = 997_500 * 10**9 // (2 * 10**9 + 997_500)
    assert swap.creator_fee == -(-swapped * 1000 // 10**6)
    assert swap.amount_out == swapped - swap.creator_fee
    after = apply_swap(pool, swap)
    assert after.accrued_fees_x == swap.creator_fee
    assert after.reserve_x == 10**9 - swapped
    assert after.vault_x == 10**9 - swap.amount_out


def test_exact_out_with_creator_fee_on_output_pays_at_least_what_was_asked():
    pool = cpmm(rate=2500, creator_fee_rate=1000, creator_fee_on=CREATOR_FEE_ON_Y)
    swap = swap_exact_out(pool, 1_000_000, x_for_y=True)
    assert swap.amount_out == 1_000_000
    assert swap_exact_in(pool, swap.amount_in, x_for_y=True).amount_out >= 1_000_000


# --- rounding directions --------------------------------------------------------------------------------

def test_the_trade_fee_rounds_up():
    assert swap_exact_in(cpmm(x=10**6, y=10**6), 401, True).fee == 2  # 401 * 0.25 % = 1.0025
    assert swap_exact_in(v4(x=10**6, y=10**6), 401, True).fee == 2


def test_exact_in_output_is_floored_and_exact_out_input_is_the_least_that_pays():
    rng = random.Random(7)
    for _ in range(300):
        pool = random_pool(rng)
        if isinstance(pool, CpmmPool) and pool.creator_fee_rate:
            continue
        x_for_y = rng.random() < 0.5
        reserve_in, reserve_out = (pool.reserve_x, pool.reserve_y) if x_for_y else (pool.reserve_y, pool.reserve_x)
        amount = rng.randint(1, reserve_out // 3)
        try:
            bought = swap_exact_out(pool, amount, x_for_y)
        except ValueError:
            continue
        assert swap_exact_in(pool, bought.amount_in, x_for_y).amount_out >= amount
        if bought.amount_in > 1:
            try:
                assert swap_exact_in(pool, bought.amount_in - 1, x_for_y).amount_out < amount
            except ValueError:
                pass  # one unit less buys nothing at all
        sold = swap_exact_in(pool, bought.amount_in, x_for_y)
        net = sold.amount_in - sold.fee - sold.creator_fee
        assert sold.amount_out * (reserve_in + net) <= net * reserve_out < (sold.amount_out + 1) * (reserve_in + net)


def test_exact_in_agrees_with_the_float_formula_within_one_raw_unit():
    rng = random.Random(11)
    for _ in range(300):
        x, y = rng.randint(10**6, 10**15), rng.randint(10**6, 10**15)
        rate = rng.choice([100, 2500, 10000])
        pool = cpmm(x, y, rate)
        # An amount whose fee is exact: then only the final floor separates the program from the formula.
        amount = rng.randint(1, 10**6) * (FEE_RATE_DENOMINATOR // math.gcd(rate, FEE_RATE_DENOMINATOR))
        gamma = Fraction(FEE_RATE_DENOMINATOR - rate, FEE_RATE_DENOMINATOR)
        closed = gamma * amount * y / (x + gamma * amount)
        try:
            out = swap_exact_in(pool, amount, True).amount_out
        except ValueError:
            assert closed < 1
            continue
        assert 0 <= closed - out < 1
        # Any amount: the fee's rounding moves in' by under one unit, so out by under 1 + y/x units.
        amount = rng.randint(1, x)
        floating = float(gamma) * amount * y / (x + float(gamma) * amount)
        out = swap_exact_in(pool, amount, True).amount_out if floating >= 1 + y / x else None
        if out is not None:
            assert abs(floating - out) <= 1 + y / x


# --- invariants -----------------------------------------------------------------------------------------

def test_the_product_of_the_reserves_never_falls():
    rng = random.Random(3)
    for _ in range(200):
        pool = random_pool(rng)
        for _ in range(5):
            x_for_y = rng.random() < 0.5
            reserve_out = pool.reserve_y if x_for_y else pool.reserve_x
            try:
                if rng.random() < 0.5:
                    swap = swap_exact_in(pool, rng.randint(1, 3 * reserve_out), x_for_y)
                else:
                    swap = swap_exact_out(pool, rng.randint(1, reserve_out - 1), x_for_y)
            except ValueError:
                continue
            after = apply_swap(pool, swap)
            assert (after.reserve_x, after.reserve_y) == (swap.reserve_x_after, swap.reserve_y_after)
            assert after.reserve_x * after.reserve_y >= pool.reserve_x * pool.reserve_y
            pool = after


def test_a_round_trip_never_returns_more_than_it_started_with():
    rng = random.Random(5)
    for _ in range(300):
        pool = random_pool(rng)
        start = rng.randint(1000, pool.reserve_x)
        try:
            there = swap_exact_in(pool, start, True)
            back = swap_exact_in(apply_swap(pool, there), there.amount_out, False)
        except ValueError:
            continue
        assert back.amount_out <= start


def test_more_input_never_gives_less_output_and_the_average_price_worsens():
    rng = random.Random(9)
    for _ in range(100):
        pool = random_pool(rng)
        x_for_y = rng.random() < 0.5
        reserve_in = pool.reserve_x if x_for_y else pool.reserve_y
        amounts = sorted(rng.randint(1, 2 * reserve_in) for _ in range(12))
        outs = []
        for amount in amounts:
            try:
                outs.append(swap_exact_in(pool, amount, x_for_y).amount_out)
            except ValueError:
                outs.append(0)
        assert outs == sorted(outs)
        for (a1, o1), (a2, o2) in zip(zip(amounts, outs), zip(amounts[1:], outs[1:])):
            assert o2 * a1 <= (o1 + 1) * a2  # out per unit in falls, up to the last unit's floor


def test_applying_a_swap_leaves_the_original_pool_alone_and_refuses_another_pool():
    pool = cpmm()
    swap = swap_exact_in(pool, 1_000_000, True)
    after = apply_swap(pool, swap)
    assert pool.vault_x == 10**9 and after.vault_x == 10**9 + 1_000_000
    with pytest.raises(ValueError, match="other reserves"):
        apply_swap(after, swap)


# --- errors ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("amount", [0, -5])
def test_a_non_positive_amount_is_refused(amount):
    with pytest.raises(ValueError, match="between 1 and"):
        swap_exact_in(cpmm(), amount, True)
    with pytest.raises(ValueError, match="between 1 and"):
        swap_exact_out(v4(), amount, True)


def test_an_output_the_reserve_cannot_pay_is_refused():
    with pytest.raises(ValueError, match="cannot pay out"):
        swap_exact_out(cpmm(), 2 * 10**9, True)
    with pytest.raises(ValueError, match="cannot pay out"):
        swap_exact_out(v4(), 3 * 10**9, True)


def test_an_empty_pool_is_refused():
    with pytest.raises(ValueError, match="empty"):
        swap_exact_in(cpmm(y=0), 1000, True)
    with pytest.raises(ValueError, match="empty"):
        swap_exact_out(v4(x=5, need_take_pnl_x=5), 10, True)


def test_an_output_that_rounds_to_zero_is_refused():
    with pytest.raises(ValueError, match="rounds to zero"):
        swap_exact_in(cpmm(x=10**12, y=10**6), 1000, True)


def test_bad_pool_settings_are_refused():
    with pytest.raises(ValueError, match="fee rates"):
        cpmm(rate=FEE_RATE_DENOMINATOR)
    with pytest.raises(ValueError, match="accrued fees exceed"):
        cpmm(accrued_fees_x=10**10)
    with pytest.raises(ValueError, match="creator_fee_on"):
        cpmm(creator_fee_on="z")


# --- the float curves -----------------------------------------------------------------------------------

def test_raw_amount_rounds_as_written_and_in_the_direction_asked():
    assert raw_amount(0.1, 9, True) == raw_amount(0.1, 9, False) == 100_000_000
    assert raw_amount(1e-10, 9, True) == 1 and raw_amount(1e-10, 9, False) == 0


def test_buy_cost_is_the_exact_out_input_in_human_units():
    pool = cpmm()
    cost = buy_cost_curve(pool, base_is_x=False)  # buy USDC (Y) with SOL (X)
    assert cost(1.993011) == swap_exact_out(pool, 1_993_011, True).amount_in / 1e9 == 0.001
    assert cost(0) == 0.0


def test_a_buy_never_rounds_in_the_traders_favour():
    pool = cpmm()
    cost = buy_cost_curve(pool, base_is_x=True)  # buy SOL, 9 decimals
    assert cost(1e-10) == swap_exact_out(pool, 1, False).amount_in / 1e6  # a tenth of a lamport costs one


def test_sell_proceeds_are_the_exact_in_output_and_a_dust_sale_gets_nothing():
    pool = v4()
    proceeds = sell_proceeds_curve(pool, base_is_x=True)
    assert proceeds(0.001) == swap_exact_in(pool, 1_000_000, True).amount_out / 1e6 == 1.993011
    assert proceeds(1e-10) == 0.0 and proceeds(0) == 0.0


def test_the_buy_curve_is_infinite_beyond_the_reserve():
    pool = cpmm()
    cost = buy_cost_curve(pool, base_is_x=True)
    most = max_buy_quantity(pool, base_is_x=True)
    assert raw_amount(most, 9, True) <= max_buy_raw(pool, True) == 10**9 - 1
    assert math.isfinite(cost(most))
    assert cost(most + 2e-9) == math.inf


def test_the_sell_curve_is_minus_infinity_beyond_what_the_vault_holds():
    pool = cpmm()
    proceeds = sell_proceeds_curve(pool, base_is_x=True)
    most = max_sell_quantity(pool, base_is_x=True)
    assert raw_amount(most, 9, False) <= U64_MAX - pool.vault_x
    assert 0 < proceeds(most) < 2000
    assert proceeds(most * 1.001) == -math.inf


def test_the_buy_cost_curve_is_convex_and_sits_above_the_marginal_price():
    rng = random.Random(13)
    for _ in range(50):
        pool = random_pool(rng)
        base_is_x = rng.random() < 0.5
        cost = buy_cost_curve(pool, base_is_x)
        top = max_buy_quantity(pool, base_is_x) * 0.9
        grid = [top * i / 40 for i in range(41)]
        costs = [cost(q) for q in grid]
        quote_unit = 10.0 ** -(pool.decimals_y if base_is_x else pool.decimals_x)
        step = grid[1] - grid[0]
        slopes = [(b - a) / step for a, b in zip(costs, costs[1:])]
        base_unit = 10.0 ** -(pool.decimals_x if base_is_x else pool.decimals_y)
        noise = 2 * (quote_unit + slopes[-1] * base_unit) / step  # each end may round by a raw unit of each
        for s1, s2 in zip(slopes, slopes[1:]):
            assert s2 >= s1 * (1 - 1e-9) - 2 * noise
        buy = marginal_price(pool, base_is_x, "buy")
        assert all(c >= buy * q * (1 - 1e-9) for q, c in zip(grid[1:], costs[1:]))
        assert marginal_price(pool, base_is_x, "sell") <= marginal_price(pool, base_is_x) <= buy


def test_the_marginal_price_is_the_limit_of_the_average_price():
    pool = cpmm(x=10**15, y=2 * 10**14)  # 1e6 SOL against 2e8 USDC: 200 USDC per SOL
    assert marginal_price(pool, True) == pytest.approx(200.0)
    assert marginal_price(pool, True, "buy") == pytest.approx(200 / 0.9975)
    assert buy_cost_curve(pool, True)(0.01) / 0.01 == pytest.approx(200 / 0.9975, rel=1e-6)
    assert sell_proceeds_curve(pool, True)(0.01) / 0.01 == pytest.approx(200 * 0.9975, rel=1e-6)
    assert marginal_price(pool, False) == pytest.approx(1 / 200)
