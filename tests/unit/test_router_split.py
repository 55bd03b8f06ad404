"""The splitter: water-filling over books, pools and OTC pools, the activation gate, the single-source floor."""

import math
import random

import pytest

from octo_desktop.domain.book import OrderBook
from octo_desktop.router.ladder import (CostParts, SourceCurve, book_curve, delay_risk_per_unit, function_curve,
                                        order_book_curve)
from octo_desktop.router.otc import OtcPool
from octo_desktop.router.split import split

MID = 100.0


def pool(name, quote_reserve, fee, side="buy", fixed_cost=0.0, **costs):
    """A constant-product pool around MID: ``quote_reserve`` deep, ``fee`` on the input."""
    base_reserve = quote_reserve / MID
    if side == "buy":
        def amount(q):
            return quote_reserve * q / (base_reserve - q) / (1 - fee)
        limit = base_reserve * 0.9
    else:
        def amount(q):
            return (1 - fee) * q * quote_reserve / (base_reserve + (1 - fee) * q)
        limit = base_reserve * 10
    return function_curve(name, "amm", side, amount, limit, fee_rate=fee, fixed_cost=fixed_cost, **costs)


def ladder(name, touch, tick, sizes, fee, side="buy", **costs):
    """A book whose levels step away from MID by ``tick`` from ``touch`` (asks for a buy, mirrored bids for a sell)."""
    asks = [touch + i * tick for i in range(len(sizes))]
    prices = asks if side == "buy" else [2 * MID - p for p in asks]
    return book_curve(name, side, prices, sizes, fee, **costs)


def otc(name, side="buy", base_bps=5.0, min_quantity=50.0, fixed_cost=1.0, delay_s=0.0, **terms):
    terms = {"size_slope_bps": 20.0, "reference_size": 100.0, "max_quantity": 400.0, "capacity": 1000.0,
             "refill_per_s": 1.0, "delay_s": delay_s, **terms}
    return OtcPool.full(name, 0.0, base_spread_bps=base_bps, min_quantity=min_quantity, fixed_cost=fixed_cost,
                        **terms).curve(side, MID, 0.0)


def allowed(curve, q):
    return q == 0 or (curve.min_quantity - 1e-12 <= q <= curve.max_quantity + 1e-12 and math.isfinite(curve.total(q)))


def brute_force(curves, quantity, steps):
    """The lowest total over every split on a grid of ``quantity / steps`` (2 or 3 sources)."""
    grid = [quantity * i / steps for i in range(steps + 1)]
    best = math.inf
    if len(curves) == 2:
        a, b = curves
        for q in grid:
            if allowed(a, q) and allowed(b, quantity - q):
                best = min(best, a.total(q) + b.total(quantity - q))
        return best
    a, b, c = curves
    totals_a = [a.total(q) if allowed(a, q) else math.inf for q in grid]
    totals_b = [b.total(q) if allowed(b, q) else math.inf for q in grid]
    for i, qa in enumerate(grid):
        for j in range(steps + 1 - i):
            rest = max(0.0, quantity - qa - grid[j])
            if totals_a[i] + totals_b[j] < best and allowed(c, rest):
                best = min(best, totals_a[i] + totals_b[j] + c.total(rest))
    return best


def recomputed_total(curves, plan):
    by_name = {curve.name: curve for curve in curves}
    return sum(by_name[child.source].total(child.quantity) for child in plan.children)


def assert_near_brute_force(curves, quantity, side, steps):
    plan = split(curves, quantity, side, reference_price=MID)
    best = brute_force(curves, quantity, steps)
    sign = 1.0 if side == "buy" else -1.0
    excess = best - sign * quantity * MID  # what the brute force pays beyond the mid: the part a split can change
    assert plan.is_complete
    assert plan.total == pytest.approx(recomputed_total(curves, plan), rel=1e-12)
    assert plan.total <= best + 1e-3 * abs(excess) + 1e-9, (plan.quantities(), plan.total, best)
    return plan


# --- the curves -------------------------------------------------------------------------------------------
def test_a_book_curve_walks_the_levels_with_the_fee_and_ends_at_its_depth():
    book = OrderBook("okx", "SOL/USDT")
    book.apply_snapshot([(99.0, 5.0), (98.0, 5.0)], [(101.0, 2.0), (102.0, 3.0), (104.0, 10.0)], sequence=1)
    buy = order_book_curve(book, "buy", 0.001)
    sell = order_book_curve(book, "sell", 0.001)
    assert buy.cost(4.0) == pytest.approx((2 * 101 + 2 * 102) * 1.001)
    assert buy.cost(4.0) == pytest.approx(book.vwap("buy", 4.0)[0] * 4.0 * 1.001)
    assert sell.cost(7.0) == pytest.approx(-(5 * 99 + 2 * 98) * 0.999)
    assert buy.max_quantity == 15.0 and math.isinf(buy.cost(15.5))
    parts = buy.parts(4.0, 100.0)
    assert parts.fees == pytest.approx(0.001 * (2 * 101 + 2 * 102))
    assert parts.impact == pytest.approx(2 * 101 + 2 * 102 - 400.0)
    sell_parts = sell.parts(7.0, 100.0)
    assert sell_parts.impact == pytest.approx(700.0 - (5 * 99 + 2 * 98))


def test_a_book_curve_refuses_levels_that_are_not_best_first():
    with pytest.raises(ValueError, match="best first"):
        book_curve("okx", "buy", [101.0, 100.0], [1.0, 1.0], 0.001)
    with pytest.raises(ValueError, match="best first"):
        book_curve("okx", "sell", [99.0, 100.0], [1.0, 1.0], 0.001)


def test_a_function_curve_signs_the_amount_and_reads_failures_as_infinite():
    def quoter(q):
        if q > 5:
            raise ValueError("not enough liquidity")
        return 10.0 * q

    buy = function_curve("raydium", "amm", "buy", quoter, 100.0, fee_rate=0.0025)
    sell = function_curve("raydium", "amm", "sell", quoter, 100.0)
    assert buy.cost(2.0) == 20.0 and sell.cost(2.0) == -20.0
    assert math.isinf(buy.cost(6.0)) and math.isinf(buy.cost(101.0))
    assert buy.fees(2.0) == pytest.approx(0.05) and sell.fees is None


def test_delay_risk_is_price_times_sigma_times_root_delay_times_k():
    assert delay_risk_per_unit(150.0, 1e-4, 25.0, 2.0) == pytest.approx(150.0 * 1e-4 * 5.0 * 2.0)
    assert delay_risk_per_unit(150.0, 1e-4, 0.0) == 0.0


# --- against a brute force -------------------------------------------------------------------------------
def test_two_books_split_at_equal_marginal_prices():
    a = ladder("a", 100.0, 0.1, [5.0] * 20, 0.001)
    b = ladder("b", 100.05, 0.05, [3.0] * 30, 0.002)
    plan = assert_near_brute_force([a, b], 60.0, "buy", 600)
    assert set(plan.quantities()) == {"a", "b"}
    assert plan.chosen == "split" and plan.saving > 0


def test_random_small_cases_match_a_brute_force_search_within_a_thousandth_of_the_cost():
    rng = random.Random(11)
    for case in range(12):
        side = rng.choice(("buy", "sell"))
        book = ladder("book", MID + rng.uniform(0.01, 0.2), rng.uniform(0.02, 0.2),
                      [rng.uniform(1, 10) for _ in range(30)], rng.choice((0.0005, 0.001, 0.002)), side)
        amm = pool("amm", rng.uniform(5e4, 5e5), 0.0025, side, fixed_cost=rng.choice((0.0, 1.0, 5.0)))
        block = otc("otc", side, base_bps=rng.uniform(2, 15), min_quantity=rng.uniform(20, 80),
                    fixed_cost=rng.choice((0.0, 2.0)))
        quantity = rng.uniform(30, 200)
        curves = [book, amm, block] if case % 3 else [book, amm]
        assert_near_brute_force(curves, quantity, side, 160 if len(curves) == 3 else 800)


def test_a_fixed_cost_and_a_minimum_size_against_a_brute_force():
    book = ladder("book", 100.1, 0.05, [4.0] * 40, 0.001)
    amm = pool("amm", 2e5, 0.0025, fixed_cost=3.0)
    block = otc("otc", base_bps=3.0, min_quantity=60.0, fixed_cost=2.0)
    for quantity in (10.0, 55.0, 70.0, 140.0):
        assert_near_brute_force([book, amm, block], quantity, "buy", 200)


# --- properties ------------------------------------------------------------------------------------------
def random_sources(rng, side, gated=True):
    curves = [ladder(f"book{i}", MID + rng.uniform(0.01, 0.3), rng.uniform(0.01, 0.1),
                     [rng.uniform(0.5, 6) for _ in range(40)], rng.choice((0.0005, 0.001)), side,
                     transfer_cost=rng.choice((0.0, 0.0, 8.0)) if gated else 0.0) for i in range(3)]
    curves += [pool(f"pool{i}", rng.uniform(1e5, 1e6), 0.0025, side, fixed_cost=rng.uniform(0.5, 3) if gated else 0.0)
               for i in range(2)]
    if gated:
        curves.append(otc("otc", side, base_bps=rng.uniform(3, 20), min_quantity=rng.uniform(30, 120)))
    return curves


def test_quantities_sum_to_the_order_and_respect_every_limit():
    rng = random.Random(3)
    for _ in range(30):
        side = rng.choice(("buy", "sell"))
        curves = random_sources(rng, side)
        quantity = rng.uniform(1, 400)
        plan = split(curves, quantity, side, reference_price=MID)
        by_name = {curve.name: curve for curve in curves}
        assert plan.is_complete and plan.filled == quantity
        assert sum(child.quantity for child in plan.children) == pytest.approx(quantity, rel=1e-9)
        for child in plan.children:
            curve = by_name[child.source]
            assert curve.min_quantity - 1e-9 <= child.quantity <= curve.max_quantity + 1e-9
        assert plan.total == pytest.approx(recomputed_total(curves, plan), rel=1e-12)


def test_the_split_is_never_worse_than_the_best_single_source():
    rng = random.Random(5)
    for _ in range(30):
        side = rng.choice(("buy", "sell"))
        curves = random_sources(rng, side)
        quantity = rng.uniform(1, 300)
        plan = split(curves, quantity, side, reference_price=MID)
        singles = [c.total(quantity) for c in curves if c.min_quantity <= quantity <= c.max_quantity]
        assert plan.total <= min(singles) + 1e-9
        assert plan.best_single_total == pytest.approx(min(singles))
        assert plan.saving == pytest.approx(plan.best_single_total - plan.total, abs=1e-9)


def test_more_size_never_costs_less_per_unit_without_fixed_costs():
    rng = random.Random(8)
    for _ in range(10):
        side = rng.choice(("buy", "sell"))
        curves = random_sources(rng, side, gated=False)
        previous = -math.inf
        for quantity in sorted(rng.uniform(1, 300) for _ in range(12)):
            plan = split(curves, quantity, side, reference_price=MID)
            per_unit = plan.total / quantity  # paid per unit on a buy, minus what one unit brings on a sell
            assert per_unit >= previous - 1e-9 * abs(previous), (side, quantity)
            previous = per_unit


def test_a_source_with_a_high_fixed_cost_stays_closed_for_small_orders_and_opens_for_large_ones():
    books = [ladder("a", 100.05, 0.1, [2.0] * 100, 0.001), ladder("b", 100.05, 0.1, [2.0] * 100, 0.001)]
    deep = pool("deep", 5e6, 0.001, fixed_cost=25.0)  # cheapest at the margin, but 25 to open
    small = split([*books, deep], 8.0, "buy", reference_price=MID)
    large = split([*books, deep], 150.0, "buy", reference_price=MID)
    assert small.quantities() == pytest.approx({"a": 4.0, "b": 4.0})  # two books share it; the pool stays closed
    assert large.quantities().get("deep", 0.0) > 50.0
    assert large.parts.network == 25.0


def test_a_source_below_its_minimum_size_is_not_used_and_above_it_takes_at_least_the_minimum():
    book = ladder("book", 100.05, 0.05, [2.0] * 200, 0.001)
    block = otc("otc", base_bps=2.0, min_quantity=80.0, fixed_cost=0.0)
    small = split([book, block], 60.0, "buy", reference_price=MID)
    large = split([book, block], 100.0, "buy", reference_price=MID)
    assert "otc" not in small.quantities()
    assert large.quantities()["otc"] >= 80.0 - 1e-9


def test_a_sell_mirrors_a_buy():
    rng = random.Random(13)
    for _ in range(8):
        params = [(MID + rng.uniform(0.01, 0.3), rng.uniform(0.01, 0.1), [rng.uniform(0.5, 6) for _ in range(40)])
                  for _ in range(3)]
        quantity = rng.uniform(10, 250)
        spread = rng.uniform(2, 20)
        plans = {}
        for side in ("buy", "sell"):
            curves = [ladder(f"book{i}", touch, tick, sizes, 0.0, side)
                      for i, (touch, tick, sizes) in enumerate(params)]
            curves.append(otc("otc", side, base_bps=spread, min_quantity=40.0))
            plans[side] = split(curves, quantity, side, reference_price=MID)
        buy, sell = plans["buy"], plans["sell"]
        assert buy.quantities().keys() == sell.quantities().keys()
        for name, q in buy.quantities().items():
            assert sell.quantities()[name] == pytest.approx(q, rel=1e-6, abs=1e-6)
        assert sell.total == pytest.approx(buy.total - 2 * quantity * MID, rel=1e-9)
        assert sell.parts.total == pytest.approx(buy.parts.total, rel=1e-6)


def test_delay_risk_sends_the_order_to_the_faster_of_two_equal_sources():
    fast = otc("fast", base_bps=5.0, min_quantity=0.0, fixed_cost=0.0)
    slow_pool = OtcPool.full("slow", 0.0, base_spread_bps=5.0, size_slope_bps=20.0, reference_size=100.0,
                             min_quantity=0.0, max_quantity=400.0, capacity=1000.0, refill_per_s=1.0, delay_s=30.0)
    slow = slow_pool.curve("buy", MID, 0.0, volatility_per_sqrt_s=1e-4)
    plan = split([fast, slow], 100.0, "buy", reference_price=MID)
    assert plan.quantities()["fast"] > plan.quantities().get("slow", 0.0)
    assert slow.risk_per_unit > 0 and slow.delay_s == 30.0


# --- what the plan says ----------------------------------------------------------------------------------
def test_the_cost_parts_add_up_to_the_total_beyond_the_mid():
    book = ladder("book", 100.05, 0.05, [2.0] * 50, 0.001, transfer_cost=4.0)
    amm = pool("amm", 1e6, 0.0025, fixed_cost=1.5)
    plan = split([book, amm], 80.0, "buy", reference_price=MID)
    assert plan.total == pytest.approx(80.0 * MID + plan.parts.total)
    for child in plan.children:
        assert child.total == pytest.approx(child.quantity * MID + child.parts.total)
        assert child.average_price == pytest.approx(child.cost / child.quantity)
    book_child = next(child for child in plan.children if child.source == "book")
    assert book_child.parts.transfer == 4.0 and book_child.parts.fees > 0
    assert plan.parts == sum((child.parts for child in plan.children), CostParts())


def test_more_than_the_sources_can_take_fills_what_they_can_and_says_why():
    a = ladder("a", 100.0, 0.1, [5.0] * 4, 0.001)
    b = ladder("b", 100.0, 0.1, [5.0] * 2, 0.001)
    plan = split([a, b], 50.0, "buy", reference_price=MID)
    assert plan.filled == pytest.approx(30.0) and not plan.is_complete
    assert plan.reason.startswith("only 30 of 50 can be planned")
    assert plan.best_single is None  # no single source fills 30 on its own


def test_one_source_alone_is_reported_as_single_with_no_saving():
    a = ladder("a", 100.0, 0.01, [50.0] * 4, 0.0005)
    b = ladder("b", 101.0, 0.01, [50.0] * 4, 0.001, transfer_cost=20.0)
    plan = split([a, b], 20.0, "buy", reference_price=MID)
    assert plan.chosen == "single" and plan.best_single == "a"
    assert plan.quantities() == {"a": 20.0} and plan.saving == 0.0


def test_lot_sizes_make_whole_lots_and_the_rest_goes_elsewhere():
    a = ladder("a", 100.0, 0.02, [1.0] * 100, 0.0005, lot_size=1.0)
    amm = pool("amm", 5e5, 0.0025)
    plan = split([a, amm], 37.3, "buy", reference_price=MID)
    quantities = plan.quantities()
    assert quantities["a"] == pytest.approx(round(quantities["a"]))
    assert sum(quantities.values()) == pytest.approx(37.3)


def test_only_lot_bound_sources_leave_what_is_below_a_lot_and_say_so():
    a = ladder("a", 100.0, 0.02, [1.0] * 100, 0.0005, lot_size=1.0)
    b = ladder("b", 100.01, 0.02, [1.0] * 100, 0.0005, lot_size=0.5)
    plan = split([a, b], 10.3, "buy", reference_price=MID)
    assert plan.filled == pytest.approx(10.0)
    assert "lot sizes" in plan.reason
    for child in plan.children:
        lot = 1.0 if child.source == "a" else 0.5
        assert child.quantity / lot == pytest.approx(round(child.quantity / lot))


def test_bad_requests_are_refused_in_one_line():
    a = ladder("a", 100.0, 0.1, [5.0] * 4, 0.001)
    with pytest.raises(ValueError, match="quantity must be positive"):
        split([a], 0.0, "buy")
    with pytest.raises(ValueError, match="is a buy curve, the order is a sell"):
        split([a], 1.0, "sell")
    with pytest.raises(ValueError, match="unique"):
        split([a, a], 1.0, "buy")
    with pytest.raises(ValueError, match="kind must be one of"):
        SourceCurve("x", "cex", "buy", lambda q: q, 1.0)


def test_without_a_reference_the_best_touch_stands_in():
    a = ladder("a", 100.2, 0.1, [5.0] * 4, 0.0)
    b = ladder("b", 100.4, 0.1, [5.0] * 4, 0.0)
    assert split([a, b], 3.0, "buy").reference_price == pytest.approx(100.2)
