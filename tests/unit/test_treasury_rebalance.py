import math
import random
from decimal import Decimal

import pytest

from octo_desktop.treasury.rebalance import (
    refill_from_reserve,
    Move, consumption_rate, plan_rebalance, runway_text, seconds_to_dry, targets_from_flow, worth_moving,
)

D = Decimal
TARGETS = {"a": D("1000"), "b": D("1000"), "c": D("1000")}
UPPER, INNER = 0.2, 0.05


def applied(balances, moves):
    """Return the balances after the moves, nothing else changing."""
    after = dict(balances)
    for move in moves:
        after[move.from_venue] = after.get(move.from_venue, D(0)) - move.amount
        after[move.to_venue] = after.get(move.to_venue, D(0)) + move.amount
    return after


def naive_plan(balances, targets):
    """Rebalance every venue to exactly its target whenever it differs at all: the rule bands exist to avoid."""
    surplus = sorted(((balances[v] - targets[v], v) for v in targets if balances[v] > targets[v]), reverse=True)
    need = sorted(((targets[v] - balances[v], v) for v in targets if balances[v] < targets[v]), reverse=True)
    moves = []
    surplus = [list(item) for item in surplus]
    need = [list(item) for item in need]
    i = j = 0
    while i < len(surplus) and j < len(need):
        amount = min(surplus[i][0], need[j][0])
        moves.append(Move(surplus[i][1], need[j][1], amount))
        surplus[i][0] -= amount
        need[j][0] -= amount
        i += surplus[i][0] == 0
        j += need[j][0] == 0
    return moves


def consume(balances, step):
    """Trade flow of one step: arbitrage alternately drains a into b and b back into a; c slowly feeds a."""
    after = dict(balances)
    if step % 2 == 0:
        after["a"] -= D("40")
        after["b"] += D("40")
    else:
        after["b"] -= D("30")
        after["a"] += D("30")
    after["c"] -= D("2")
    after["a"] += D("2")
    return after


# --- hysteresis ---------------------------------------------------------------------------------------------

def test_banded_plan_moves_far_less_often_than_naive_rule_under_alternating_consumption():
    naive, banded = dict(TARGETS), dict(TARGETS)
    naive_moves = banded_moves = 0

    for step in range(200):
        naive = consume(naive, step)
        moves = naive_plan(naive, TARGETS)
        naive_moves += len(moves)
        naive = applied(naive, moves)

        banded = consume(banded, step)
        moves = plan_rebalance(banded, TARGETS, UPPER, INNER, D("1"))
        banded_moves += len(moves)
        banded = applied(banded, moves)
        assert plan_rebalance(banded, TARGETS, UPPER, INNER, D("1")) == []

    assert naive_moves >= 200
    assert 0 < banded_moves <= 20
    assert sum(banded.values()) == D("3000")
    assert all(TARGETS[v] * D("0.8") <= banded[v] <= TARGETS[v] * D("1.2") for v in TARGETS)


def test_drift_inside_the_upper_band_moves_nothing():
    balances = {"a": D("810"), "b": D("1190"), "c": D("1000")}

    assert plan_rebalance(balances, TARGETS, UPPER, INNER, D("0")) == []


@pytest.mark.parametrize("seed", range(5))
def test_applying_a_plan_then_planning_again_gives_no_moves(seed):
    rng = random.Random(seed)
    for _ in range(200):
        venues = [f"v{k}" for k in range(rng.randint(2, 5))]
        targets = {v: D(rng.randint(0, 500_000)) / 100 for v in venues}
        balances = {v: D(rng.randint(0, 800_000)) / 100 for v in venues}
        upper = rng.uniform(0.05, 0.6)
        inner = rng.uniform(0.0, upper * 0.99)
        min_amount = D(rng.choice(["0", "0.5", "5", "50", "500"]))

        moves = plan_rebalance(balances, targets, upper, inner, min_amount)
        after = applied(balances, moves)

        assert plan_rebalance(after, targets, upper, inner, min_amount) == []
        assert sum(after.values()) == sum(balances.values())
        assert all(move.amount >= min_amount and move.amount > 0 for move in moves)
        inner_d = D(str(inner))
        for move in moves:
            assert after[move.from_venue] >= targets[move.from_venue] * (1 + inner_d)
            assert after[move.to_venue] <= targets[move.to_venue] * (1 - inner_d)
        assert not {m.from_venue for m in moves} & {m.to_venue for m in moves}


# --- plan ---------------------------------------------------------------------------------------------------

def test_short_venue_is_refilled_only_to_its_inner_band():
    balances = {"a": D("700"), "b": D("1300"), "c": D("1000")}

    moves = plan_rebalance(balances, TARGETS, UPPER, INNER, D("1"))

    assert moves == [Move("b", "a", D("250"))]
    assert applied(balances, moves)["a"] == D("950")


def test_donors_are_never_pushed_below_their_inner_band():
    balances = {"a": D("500"), "b": D("1100"), "c": D("1080")}

    moves = plan_rebalance(balances, TARGETS, UPPER, INNER, D("1"))

    assert moves == [Move("b", "a", D("50")), Move("c", "a", D("30"))]
    after = applied(balances, moves)
    assert after["b"] == D("1050") and after["c"] == D("1050")


def test_largest_surplus_gives_first_and_ties_go_by_venue_name():
    targets = dict(TARGETS, d=D("1000"))
    balances = {"a": D("600"), "b": D("1200"), "c": D("1200"), "d": D("1300")}

    moves = plan_rebalance(balances, targets, UPPER, INNER, D("1"))

    assert moves == [Move("d", "a", D("250")), Move("b", "a", D("100"))]


def test_long_venue_triggers_a_refill_of_venues_below_their_inner_band():
    balances = {"a": D("1300"), "b": D("940"), "c": D("960")}

    assert plan_rebalance(balances, TARGETS, UPPER, INNER, D("1")) == [Move("a", "b", D("10"))]


def test_moves_under_min_amount_are_dropped():
    balances = {"a": D("600"), "b": D("1052"), "c": D("1300")}

    assert plan_rebalance(balances, TARGETS, UPPER, INNER, D("5")) == [Move("c", "a", D("250"))]
    assert plan_rebalance(balances, TARGETS, UPPER, INNER, D("1")) == [Move("c", "a", D("250")),
                                                                        Move("b", "a", D("2"))]


def test_a_venue_missing_from_the_balances_counts_as_empty():
    targets = {"a": D("1000"), "b": D("1000")}

    assert plan_rebalance({"a": D("2000")}, targets, UPPER, INNER, D("1")) == [Move("a", "b", D("950"))]


@pytest.mark.parametrize("upper, inner", [(0.2, 0.2), (0.1, 0.2), (0.2, -0.01), (math.nan, 0.1), (0.2, math.inf)])
def test_bad_bands_raise(upper, inner):
    with pytest.raises(ValueError, match="inner_band < upper_band"):
        plan_rebalance({"a": D("1")}, {"a": D("1")}, upper, inner, D("0"))


def test_negative_min_amount_or_target_raises():
    with pytest.raises(ValueError, match="min_amount"):
        plan_rebalance({"a": D("1")}, {"a": D("1")}, UPPER, INNER, D("-1"))
    with pytest.raises(ValueError, match="targets"):
        plan_rebalance({"a": D("1")}, {"a": D("-1")}, UPPER, INNER, D("0"))


# --- targets ------------------------------------------------------------------------------------------------

def test_targets_are_proportional_to_flow_without_a_floor():
    assert targets_from_flow({"a": 3.0, "b": 1.0}, D("1000"), 0.0) == {"a": D("750"), "b": D("250")}


def test_idle_venues_keep_their_floor_share_of_an_even_split():
    targets = targets_from_flow({"a": 10.0, "b": 0.0, "c": 0.0}, D("1000"), 0.3)

    assert targets == {"a": D("800"), "b": D("100"), "c": D("100")}


def test_only_venues_below_the_floor_are_pinned_and_the_rest_stays_proportional():
    targets = targets_from_flow({"a": 6.0, "b": 3.0, "c": 1.0}, D("1000"), 0.6)

    assert targets["c"] == D("200")
    assert float(targets["a"] / targets["b"]) == pytest.approx(2.0, rel=1e-9)
    assert float(targets["a"]) == pytest.approx(1600 / 3, rel=1e-9)


def test_zero_flow_splits_evenly():
    targets = targets_from_flow({"a": 0.0, "b": 0.0, "c": 0.0}, D("300"), 0.5)

    assert all(float(t) == pytest.approx(100.0, rel=1e-9) for t in targets.values())


@pytest.mark.parametrize("seed", range(20))
def test_targets_sum_to_the_total_exactly(seed):
    rng = random.Random(seed)
    flow = {f"v{k}": rng.choice([0.0, rng.uniform(0, 1e6)]) for k in range(rng.randint(1, 7))}
    total = D(rng.randint(0, 10**9)) / 1000

    targets = targets_from_flow(flow, total, rng.uniform(0, 1))

    assert sum(targets.values()) == total
    assert all(t >= 0 for t in targets.values())


@pytest.mark.parametrize("flow, floor_share", [({}, 0.5), ({"a": -1.0}, 0.5), ({"a": math.nan}, 0.5),
                                               ({"a": 1.0}, 1.5)])
def test_bad_flow_arguments_raise(flow, floor_share):
    with pytest.raises(ValueError):
        targets_from_flow(flow, D("100"), floor_share)


# --- cost gate ----------------------------------------------------------------------------------------------

def test_fee_above_the_share_limit_is_not_worth_moving():
    assert worth_moving(D("200"), D("4"), 0.01, D("50"), asset="USDT") == (
        False, "fee 4 USDT is 2.0 % of 200 USDT, above the 1.0 % limit")


def test_fee_not_covered_by_the_restored_edge_is_not_worth_moving():
    ok, reason = worth_moving(D("1000"), D("4"), 0.01, D("4"), asset="USDT")

    assert not ok
    assert reason == "fee 4 USDT is not covered by the 4 USDT edge the move restores"


def test_cheap_move_restoring_more_edge_than_its_fee_is_worth_it():
    ok, reason = worth_moving(D("200"), D("2"), 0.01, D("3"), asset="USDT")

    assert ok
    assert reason == "fee 2 USDT is 1.0 % of 200 USDT and below the 3 USDT edge the move restores"


def test_share_just_above_the_limit_is_not_printed_as_equal_to_it():
    ok, reason = worth_moving(D("200"), D("2.002"), 0.01, D("50"))

    assert not ok
    assert reason == "fee 2.002 is 1.001 % of 200, above the 1.000 % limit"


def test_non_positive_amount_raises():
    with pytest.raises(ValueError, match="amount"):
        worth_moving(D("0"), D("1"), 0.01, D("5"))


# --- runway -------------------------------------------------------------------------------------------------

LINEAR = [(float(t), D(2500 - t)) for t in range(101)]  # 100 units used at 1 per second, 2400 left at t=100


def test_linear_consumption_gives_the_exact_time_to_dry():
    seconds = seconds_to_dry(LINEAR, 3600.0, now=100.0, floor=D("0"))

    assert seconds == 2400.0
    assert runway_text("binance", "USDT", seconds, 3600.0) == "binance USDT: 40 min at the last hour's rate"


def test_time_to_dry_counts_to_the_floor_and_from_now():
    assert seconds_to_dry(LINEAR, 3600.0, now=100.0, floor=D("400")) == 2000.0
    assert seconds_to_dry(LINEAR, 3600.0, now=160.0) == 2340.0


@pytest.mark.parametrize("step", [0, 1])
def test_flat_or_rising_balance_is_not_being_used_up(step):
    samples = [(float(t), D(1000 + step * t)) for t in range(60)]

    seconds = seconds_to_dry(samples, 3600.0, now=60.0)

    assert seconds is None
    assert consumption_rate(samples, 3600.0, now=60.0) == 0.0
    assert runway_text("okx", "BTC", seconds, 3600.0) == "okx BTC: not being used up"


def test_fewer_than_two_samples_in_the_window_give_none():
    assert seconds_to_dry([(100.0, D("50"))], 3600.0, now=100.0) is None
    assert seconds_to_dry([(0.0, D("60")), (100.0, D("50"))], 60.0, now=100.0) is None


def test_samples_all_at_one_instant_give_none():
    assert seconds_to_dry([(100.0, D("60")), (100.0, D("50"))], 3600.0, now=100.0) is None


def test_samples_outside_the_window_are_ignored():
    old = [(-5000.0 + t, D(10**6 * (t % 2))) for t in range(100)]

    assert seconds_to_dry(old + LINEAR, 3600.0, now=100.0) == 2400.0


def test_least_squares_slope_averages_out_noise():
    samples = [(float(t), 5000 - 2.0 * t + (3.0 if t % 2 else -3.0)) for t in range(600)]

    assert consumption_rate(samples, 3600.0, now=600.0) == pytest.approx(2.0, rel=1e-3)


def test_balance_at_the_floor_is_dry_now():
    samples = [(0.0, D("10")), (10.0, D("0"))]

    seconds = seconds_to_dry(samples, 3600.0, now=10.0)

    assert seconds == 0.0
    assert runway_text("kraken", "ETH", seconds, 3600.0) == "kraken ETH: dry now"


@pytest.mark.parametrize("seconds, window_s, text", [
    (30.0, 3600.0, "30 s at the last hour's rate"),
    (5400.0, 3600.0, "1 h 30 min at the last hour's rate"),
    (7200.0, 60.0, "2 h at the last minute's rate"),
    (3 * 86400.0, 86400.0, "3 d at the last day's rate"),
    (600.0, 900.0, "10 min at the last 15 min's rate"),
])
def test_runway_text_uses_sensible_units(seconds, window_s, text):
    assert runway_text("binance", "USDT", seconds, window_s) == f"binance USDT: {text}"


def test_the_reserve_refills_what_the_venues_cannot_give_each_other():
    # One venue drained, seven each a little over target but inside the inner band: no venue has a spare, so
    # a plan between venues moves nothing and the wallet refills the drained venue to its floor.
    t = Decimal("1000")
    balances = {f"v{k}": t * Decimal(8) / Decimal(7) for k in range(7)} | {"dry": Decimal(0)}
    targets = {venue: t for venue in balances}
    assert plan_rebalance(balances, targets, 0.5, 0.2, Decimal(10)) == []
    moves = refill_from_reserve(balances, targets, 0.5, 0.2, Decimal(5000), Decimal(10), "wallet")
    assert moves == [Move("wallet", "dry", Decimal("800.0"))]
    after = dict(balances, dry=Decimal("800.0"))
    assert refill_from_reserve(after, targets, 0.5, 0.2, Decimal(4200), Decimal(10), "wallet") == []  # fixed point


def test_the_reserve_gives_only_what_it_has_largest_need_first_and_nothing_inside_the_bands():
    targets = {"a": Decimal(1000), "b": Decimal(1000), "c": Decimal(1000)}
    balances = {"a": Decimal(100), "b": Decimal(300), "c": Decimal(700)}  # c is short but inside the upper band
    moves = refill_from_reserve(balances, targets, 0.5, 0.2, Decimal(900), Decimal(10), "wallet")
    assert moves == [Move("wallet", "a", Decimal("700.0")), Move("wallet", "b", Decimal(200))]
    assert refill_from_reserve(balances, targets, 0.5, 0.2, Decimal(5), Decimal(10), "wallet") == []
    with pytest.raises(ValueError):
        refill_from_reserve(balances, targets, 0.2, 0.5, Decimal(900), Decimal(10), "wallet")
