"""Meteora DLMM pair math: bin prices, the dynamic fee and its accumulator, swaps across bins, float curves."""

import math
import random
from dataclasses import replace

import pytest

from octo_desktop.router import amm, dlmm
from octo_desktop.router.dlmm import (
    FEE_PRECISION, MAX_FEE_RATE, ONE_Q64, Bin, DlmmPair, FeeParameters, Volatility, base_fee_rate, bin_id_for_price,
    bin_price, build_pair, buy_cost_curve, marginal_price, max_buy_quantity, max_buy_raw, max_sell_quantity,
    sell_proceeds_curve, swap_exact_in, swap_exact_out, total_fee_rate, ui_price, variable_fee_rate,
)

PARAMS = FeeParameters(base_factor=10_000, filter_period=30, decay_period=600, reduction_factor=5_000,
                       variable_fee_control=7_500, max_volatility_accumulator=150_000, protocol_share=500)


def small_pair(**volatility):
    """Bin 0 (price exactly 1) holds 1e6 X and 1e6 Y, bin -1 holds 1e6 Y, bin 1 holds 1e6 X."""
    bins = (Bin(-1, 0, 10**6), Bin(0, 10**6, 10**6), Bin(1, 10**6, 0))
    return DlmmPair("t", "SOL", "USDC", 6, 6, 25, 0, bins, PARAMS, Volatility(**volatility))


def sol_usdc(bins_each_side=60, shape="spot", now=0, **kw):
    return build_pair("SOL-USDC", "SOL", "USDC", 9, 6, 150.0, 25, 1_000_000.0, bins_each_side=bins_each_side,
                      shape=shape, parameters=kw.pop("parameters", PARAMS), now=now)


def random_pair(rng):
    return build_pair("r", "A", "B", rng.choice([6, 8, 9]), rng.choice([6, 9]), 10 ** rng.uniform(-2, 4),
                      rng.choice([1, 5, 10, 25, 100]), 10 ** rng.uniform(3, 7),
                      bins_each_side=rng.randint(0, 40), shape=rng.choice(["spot", "curve", "bid_ask"]),
                      parameters=PARAMS, now=0)


# --- prices ---------------------------------------------------------------------------------------------

def test_bin_prices_are_powers_of_one_plus_the_step_in_q64():
    assert bin_price(0, 25) == ONE_Q64
    for bin_id in (1, -1, 100, -100, 5000, -5000):
        assert bin_price(bin_id, 25) / ONE_Q64 == pytest.approx(1.0025 ** bin_id, rel=1e-12)
    assert bin_price(-1, 25) == (2**128 - 1) // (ONE_Q64 + ONE_Q64 // 400)  # one inversion, floored


def test_the_ui_price_scales_by_the_decimals_and_the_nearest_bin_is_found():
    bin_id = bin_id_for_price(150.0, 25, 9, 6)
    price = ui_price(bin_price(bin_id, 25), 9, 6)
    assert abs(math.log(price / 150.0)) <= math.log(1.0025) / 2
    assert ui_price(ONE_Q64, 9, 6) == 1000.0  # one lamport per micro-USDC is 1000 USDC per SOL


# --- fees -----------------------------------------------------------------------------------------------

def test_the_base_fee_is_base_factor_times_bin_step_times_ten():
    assert base_fee_rate(PARAMS, 25) == 2_500_000  # 0.25 % of 1e9
    assert base_fee_rate(FeeParameters(base_factor=8_000, base_fee_power_factor=1), 10) == 8_000_000


def test_the_variable_fee_is_the_squared_accumulator_rounded_up():
    # 7500 * (10000 * 25)^2 / 1e11 = 4687.5 -> 4688
    assert variable_fee_rate(PARAMS, 25, 10_000) == 4688
    assert variable_fee_rate(PARAMS, 25, 0) == 0
    assert variable_fee_rate(FeeParameters(variable_fee_control=0), 25, 10**5) == 0


def test_the_total_fee_is_capped_at_ten_percent():
    wild = FeeParameters(variable_fee_control=10**9, max_volatility_accumulator=10**7)
    assert total_fee_rate(wild, 100, 10**7) == MAX_FEE_RATE == FEE_PRECISION // 10
    pair = build_pair("w", "A", "B", 6, 6, 1.0, 100, 10**6, bins_each_side=30, parameters=wild)
    swap = swap_exact_in(pair, 10**11, True, now=0)
    assert max(f.fee_rate for f in swap.fills) == MAX_FEE_RATE
    assert all(f.fee * FEE_PRECISION <= f.amount_in * MAX_FEE_RATE + FEE_PRECISION for f in swap.fills)


# --- swaps ----------------------------------------------------------------------------------------------

def test_a_swap_within_one_bin_trades_at_the_bin_price():
    pair = sol_usdc()
    price = bin_price(pair.active_id, 25)
    swap = swap_exact_in(pair, 10**9, True, now=5)  # 1 SOL
    fee = -(-10**9 * 2_500_000 // FEE_PRECISION)
    assert (swap.start_id, swap.end_id, swap.fee) == (pair.active_id, pair.active_id, fee)
    assert swap.amount_out == (10**9 - fee) * price >> 64
    assert swap.pair_after.bin(pair.active_id).amount_x == pair.bin(pair.active_id).amount_x + 10**9 - fee


def test_worked_example_crossing_one_bin_by_hand():
    # Fresh pair at t=0, sell 1,500,000 X (swap_for_y), base rate 0.25 % = 2,500,000 of 1e9.
    # Bin 0, price 2^64 (1.0), vA = 0: draining its 1e6 Y needs 1e6 X plus ceil(1e6 * 2.5e6 / 997.5e6)
    #   = ceil(2506.27) = 2507 fee; 1.5e6 > 1,002,507, so it takes 1,002,507 and pays 1,000,000 Y.
    # Bin -1, vA = |0 - (-1)| * 10000 = 10000: variable = ceil(7500 * (10000 * 25)^2 / 1e11) = 4688, rate
    #   2,504,688. Left 497,493; fee = ceil(497,493 * 2,504,688 / 1e9) = ceil(1246.06) = 1247; net 496,246.
    #   price(-1) = floor((2^128 - 1) / (2^64 + floor(2^64 / 400))) = 18,400,742,218,164,141,262;
    #   out = floor(496,246 * price >> 64) = 495,008 (496,246 / 1.0025 = 495,008.5).
    # Totals: out 1,495,008, fee 2507 + 1247 = 3754, protocol floor(2507 * 5 %) + floor(1247 * 5 %) = 125 + 62.
    swap = swap_exact_in(small_pair(), 1_500_000, True, now=0)
    assert [(f.bin_id, f.amount_in, f.amount_out, f.fee, f.fee_rate) for f in swap.fills] == [
        (0, 1_002_507, 1_000_000, 2507, 2_500_000), (-1, 497_493, 495_008, 1247, 2_504_688)]
    assert (swap.amount_out, swap.fee, swap.protocol_fee, swap.end_id) == (1_495_008, 3754, 187, -1)
    after = swap.pair_after
    assert after.bin(0) == Bin(0, 10**6 + 1_000_000, 0)
    assert after.bin(-1) == Bin(-1, 496_246, 10**6 - 495_008)
    assert after.volatility == Volatility(10_000, 0, 0, 0)


def test_the_protocol_share_is_floored_bin_by_bin():
    pair = replace(small_pair(), parameters=replace(PARAMS, protocol_share=2_500))
    swap = swap_exact_in(pair, 1_500_000, True, now=0)
    # The worked example's fees at 25 %: floor(626.75) + floor(311.75) = 937, not floor(938.5) = 938.
    assert (swap.fee, swap.protocol_fee) == (3754, 937)


def test_crossing_bins_moves_the_active_bin_and_the_price():
    pair = sol_usdc()
    buy = swap_exact_in(pair, 20_000 * 10**6, False, now=0)  # 20k USDC buys SOL: up the bins
    assert buy.end_id > buy.start_id
    assert marginal_price(buy.pair_after, True, 0) > marginal_price(pair, True, 0)
    sell = swap_exact_in(pair, 150 * 10**9, True, now=0)  # 150 SOL: down the bins
    assert sell.end_id < sell.start_id
    assert marginal_price(sell.pair_after, True, 0) < marginal_price(pair, True, 0)


def test_a_swap_conserves_tokens_bin_by_bin():
    rng = random.Random(21)
    for _ in range(60):
        pair = random_pair(rng)
        swap_for_y = rng.random() < 0.5
        available = max_buy_raw(pair, base_is_x=not swap_for_y)
        if available < 2:
            continue
        swap = swap_exact_out(pair, rng.randint(1, available), swap_for_y, now=0)
        after = swap.pair_after
        paid_in, paid_out = (after.amount_x - pair.amount_x, pair.amount_y - after.amount_y) if swap_for_y \
            else (after.amount_y - pair.amount_y, pair.amount_x - after.amount_x)
        assert (paid_in, paid_out) == (swap.amount_in - swap.fee, swap.amount_out)


def test_the_variable_fee_grows_with_the_bins_crossed():
    swap = swap_exact_in(sol_usdc(), 300 * 10**9, True, now=0)
    rates = [f.fee_rate for f in swap.fills]
    accumulators = [f.volatility_accumulator for f in swap.fills]
    assert swap.bins_crossed >= 5
    assert rates == sorted(rates) and rates[-1] > rates[0] == 2_500_000
    assert accumulators == [min(10_000 * abs(f.bin_id - swap.start_id), 150_000) for f in swap.fills]
    assert swap.pair_after.volatility.accumulator == accumulators[-1]


def test_the_accumulator_stops_at_its_maximum():
    swap = swap_exact_in(sol_usdc(), 1_500 * 10**9, True, now=0)
    assert swap.bins_crossed > 15
    assert swap.fills[-1].volatility_accumulator == 150_000


def _after_first_swap():
    first = swap_exact_in(sol_usdc(), 100 * 10**9, True, now=1000)
    assert first.pair_after.volatility.last_update_timestamp == 1000
    return first


def test_within_the_filter_period_the_reference_holds_and_volatility_adds_up():
    first = _after_first_swap()
    crossed = first.bins_crossed
    second = swap_exact_in(first.pair_after, 10**9, True, now=1000 + 29)
    assert second.fills[0].volatility_accumulator == 10_000 * crossed  # still measured from the first start
    assert second.pair_after.volatility.index_reference == first.start_id


def test_between_filter_and_decay_the_reference_decays_by_the_reduction_factor():
    first = _after_first_swap()
    vA = first.pair_after.volatility.accumulator
    second = swap_exact_in(first.pair_after, 10**9, True, now=1000 + 30)
    assert second.fills[0].volatility_accumulator == vA * 5_000 // 10_000
    assert second.pair_after.volatility.index_reference == first.end_id


def test_after_the_decay_period_the_reference_resets_and_only_the_base_fee_is_left():
    first = _after_first_swap()
    second = swap_exact_in(first.pair_after, 10**9, True, now=1000 + 600)
    assert second.fills[0].volatility_accumulator == 0
    assert second.fills[0].fee_rate == 2_500_000


def test_time_is_an_argument_and_may_not_go_backwards():
    first = _after_first_swap()
    with pytest.raises(ValueError, match="backwards"):
        swap_exact_in(first.pair_after, 10**9, True, now=999)


def test_exact_out_pays_exactly_and_its_input_is_enough_for_exact_in():
    rng = random.Random(17)
    for _ in range(80):
        pair = random_pair(rng)
        swap_for_y = rng.random() < 0.5
        available = max_buy_raw(pair, base_is_x=not swap_for_y)
        if available < 10:
            continue
        wanted = rng.randint(1, available)
        bought = swap_exact_out(pair, wanted, swap_for_y, now=0)
        assert bought.amount_out == wanted
        assert swap_exact_in(pair, bought.amount_in, swap_for_y, now=0).amount_out >= wanted


def test_more_input_never_gives_less_output_and_the_average_price_worsens():
    rng = random.Random(19)
    for _ in range(40):
        pair = random_pair(rng)
        swap_for_y = rng.random() < 0.5
        top = max_buy_raw(pair, base_is_x=not swap_for_y)
        if top < 1000:
            continue
        most = swap_exact_out(pair, top, swap_for_y, now=0).amount_in
        amounts = sorted(rng.randint(most // 1000 + 1, most) for _ in range(10))
        outs = [swap_exact_in(pair, a, swap_for_y, now=0).amount_out for a in amounts]
        assert outs == sorted(outs)
        for (a1, o1), (a2, o2) in zip(zip(amounts, outs), zip(amounts[1:], outs[1:])):
            assert o2 * a1 <= (o1 + 1) * a2


def test_a_round_trip_never_returns_more_than_it_started_with():
    rng = random.Random(23)
    for _ in range(40):
        pair = random_pair(rng)
        start = rng.randint(1, max(1, pair.amount_x // 2))
        try:
            there = swap_exact_in(pair, start, True, now=0)
            back = swap_exact_in(there.pair_after, there.amount_out, False, now=0)
        except ValueError:
            continue
        assert back.amount_out <= start


def test_errors_are_one_clear_line():
    pair = small_pair()
    with pytest.raises(ValueError, match="between 1 and"):
        swap_exact_in(pair, 0, True, now=0)
    with pytest.raises(ValueError, match="not enough liquidity"):
        swap_exact_out(pair, 2 * 10**6 + 1, True, now=0)
    with pytest.raises(ValueError, match="not enough liquidity"):
        swap_exact_in(pair, 10**8, False, now=0)
    with pytest.raises(ValueError, match="rounds to zero"):
        swap_exact_in(pair, 1, True, now=0)
    with pytest.raises(ValueError, match="share an id"):
        DlmmPair("d", "A", "B", 6, 6, 25, 0, (Bin(0, 1, 1), Bin(0, 2, 2)))


def test_the_swap_leaves_the_original_pair_alone():
    pair = small_pair()
    swap_exact_in(pair, 1_500_000, True, now=0)
    assert pair == small_pair()


# --- the pool builder -----------------------------------------------------------------------------------

@pytest.mark.parametrize("shape", ["spot", "curve", "bid_ask"])
def test_the_builder_centres_the_liquidity_on_the_price(shape):
    pair = sol_usdc(bins_each_side=10, shape=shape)
    assert marginal_price(pair, True, 0) == pytest.approx(150.0, rel=0.0013)
    below = [b for b in pair.bins if b.bin_id < pair.active_id]
    above = [b for b in pair.bins if b.bin_id > pair.active_id]
    assert len(below) == len(above) == 10
    assert all(b.amount_x == 0 < b.amount_y for b in below) and all(b.amount_y == 0 < b.amount_x for b in above)
    value = pair.amount_y / 1e6 + sum(b.amount_x / 1e9 * ui_price(bin_price(b.bin_id, 25), 9, 6) for b in pair.bins)
    assert value == pytest.approx(1_000_000.0, rel=1e-6)
    edge, centre = pair.bins[0].amount_y, pair.bin(pair.active_id - 1).amount_y
    assert {"spot": edge == centre, "curve": edge < centre, "bid_ask": edge > centre}[shape]


# --- the float curves -----------------------------------------------------------------------------------

def test_buy_cost_and_sell_proceeds_are_the_exact_swaps_in_human_units():
    pair = sol_usdc()
    assert buy_cost_curve(pair, True, 0)(2.5) == swap_exact_out(pair, 2_500_000_000, False, 0).amount_in / 1e6
    assert sell_proceeds_curve(pair, True, 0)(2.5) == swap_exact_in(pair, 2_500_000_000, True, 0).amount_out / 1e6
    assert buy_cost_curve(pair, False, 0)(300.0) == swap_exact_out(pair, 300_000_000, True, 0).amount_in / 1e9


def test_the_curves_are_infinite_beyond_the_bins():
    pair = sol_usdc(bins_each_side=5)
    cost, proceeds = buy_cost_curve(pair, True, 0), sell_proceeds_curve(pair, True, 0)
    most_buy, most_sell = max_buy_quantity(pair, True), max_sell_quantity(pair, True, 0)
    assert math.isfinite(cost(most_buy)) and cost(most_buy + 2e-9) == math.inf
    assert proceeds(most_sell) > 0 and proceeds(most_sell + 2e-9) == -math.inf
    assert proceeds(1e-10) == 0.0 and cost(0) == 0.0


def test_the_buy_cost_curve_is_convex_and_starts_at_the_marginal_buy_price():
    rng = random.Random(29)
    for _ in range(30):
        pair = random_pair(rng)
        base_is_x = rng.random() < 0.5
        cost = buy_cost_curve(pair, base_is_x, 0)
        top = max_buy_quantity(pair, base_is_x) * 0.95
        if top <= 0:
            continue
        grid = [top * i / 30 for i in range(31)]
        costs = [cost(q) for q in grid]
        quote_unit = 10.0 ** -(pair.decimals_y if base_is_x else pair.decimals_x)
        step = grid[1] - grid[0]
        slopes = [(b - a) / step for a, b in zip(costs, costs[1:])]
        base_unit = 10.0 ** -(pair.decimals_x if base_is_x else pair.decimals_y)
        noise = 2 * (quote_unit + slopes[-1] * base_unit) / step  # each end may round by a raw unit of each
        for s1, s2 in zip(slopes, slopes[1:]):
            assert s2 >= s1 * (1 - 1e-9) - 2 * noise
        buy = marginal_price(pair, base_is_x, 0, "buy")
        assert all(c >= buy * q * (1 - 1e-9) - quote_unit for q, c in zip(grid[1:], costs[1:]))
        assert marginal_price(pair, base_is_x, 0, "sell") <= marginal_price(pair, base_is_x, 0) <= buy


def test_the_marginal_buy_price_includes_the_fee():
    pair = sol_usdc()
    mid = marginal_price(pair, True, 0)
    assert marginal_price(pair, True, 0, "buy") == pytest.approx(mid / (1 - 0.0025))
    assert marginal_price(pair, True, 0, "sell") == pytest.approx(mid * (1 - 0.0025))
    assert buy_cost_curve(pair, True, 0)(0.01) / 0.01 == pytest.approx(mid / (1 - 0.0025), rel=1e-5)


def test_the_cost_curves_price_exactly_what_a_settled_swap_does():
    # The curves price without building the pair after the swap: the amounts must be the settled swap's.
    pair = dlmm.build_pair("p", "SOL", "USDC", 9, 6, 150.0, 10, 2_000_000.0, bins_each_side=20, now=50)
    buy, sell = dlmm.buy_cost_curve(pair, True, 60), dlmm.sell_proceeds_curve(pair, True, 60)
    for quantity in (0.5, 40.0, 900.0, 4000.0):
        settled = dlmm.swap_exact_out(pair, amm.raw_amount(quantity, 9, round_up=True), False, 60)
        assert buy(quantity) == amm.human_amount(settled.amount_in, 6)
        settled = dlmm.swap_exact_in(pair, amm.raw_amount(quantity, 9, round_up=False), True, 60)
        assert sell(quantity) == amm.human_amount(settled.amount_out, 6)
