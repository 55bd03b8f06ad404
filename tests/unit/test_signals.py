import math

import pytest

from octo_desktop.domain import signals


def test_spread_factor_is_zero_at_threshold_and_one_a_scale_above():
    assert signals.spread_factor(5.0, 5.0, 40.0) == 0.0
    assert signals.spread_factor(25.0, 5.0, 40.0) == 0.5
    assert signals.spread_factor(100.0, 5.0, 40.0) == 1.0


def test_liquidity_factor_needs_three_times_the_quantity_on_the_thinner_side():
    assert signals.liquidity_factor(30.0, 3.0, 1.0) == 1.0
    assert signals.liquidity_factor(30.0, 1.5, 1.0) == 0.5
    assert signals.liquidity_factor(1.0, 1.0, 0.0) == 0.0


def test_slippage_factor_falls_with_walking_distance():
    assert signals.slippage_bps(100.05, 100.0) == pytest.approx(5.0)
    assert signals.slippage_factor(0.0, 0.0, 10.0) == 1.0
    assert signals.slippage_factor(5.0, 5.0, 10.0) == pytest.approx(0.5)
    assert signals.slippage_factor(math.nan, 1.0, 10.0) == 0.0


def test_freshness_factor_uses_the_older_book():
    assert signals.freshness_factor(0.0, 0.0, 2.0) == 1.0
    assert signals.freshness_factor(0.1, 1.0, 2.0) == pytest.approx(0.5)
    assert signals.freshness_factor(3.0, 0.0, 2.0) == 0.0


def test_order_flow_factor_favours_selling_where_we_buy_and_buying_where_we_sell():
    assert signals.trade_imbalance(0.0, 0.0) == 0.0
    assert signals.trade_imbalance(3.0, 1.0) == 0.5
    assert signals.order_flow_factor(0.0, 0.0) == 0.5
    assert signals.order_flow_factor(-1.0, 1.0) == 1.0
    assert signals.order_flow_factor(1.0, -1.0) == 0.0


def test_execution_quality_is_the_weaker_venue():
    good = signals.venue_quality(1.0, 50.0, 500.0)
    poor = signals.venue_quality(0.5, 250.0, 500.0)
    assert good == pytest.approx(0.9) and poor == pytest.approx(0.25)
    assert signals.execution_quality_factor(good, poor) == poor


def test_composite_score_is_the_weighted_sum_of_its_six_parts():
    weights = {"spread": 0.30, "liquidity": 0.15, "slippage": 0.10, "freshness": 0.10,
               "order_flow": 0.15, "execution_quality": 0.20}
    parts = {"spread": 1.0, "liquidity": 0.0, "slippage": 0.5, "freshness": 1.0, "order_flow": 0.5,
             "execution_quality": 0.25}
    score = signals.composite_score(parts, weights)
    assert score.value == pytest.approx(0.30 + 0.05 + 0.10 + 0.075 + 0.05)
    assert [name for name, _ in score.parts] == list(signals.FACTORS)
    assert score.part("slippage") == 0.5
