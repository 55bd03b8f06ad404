"""Order flow, realised volatility with the adaptive threshold, the order-flow factor and the rule advisor."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest

from octo_desktop.advisor.rule import RuleAdvisor, decide
from octo_desktop.domain.advice import EXECUTE, SKIP, WAIT, OpportunityBrief, OutcomeBrief, VenueBrief
from octo_desktop.domain.orderflow import FlowReading, TradeFlow, aggregate_direction, book_imbalance, direction
from octo_desktop.domain.signals import order_flow_factor
from octo_desktop.domain.volatility import RealisedVolatility, adaptive_threshold_bps


# --- order flow -----------------------------------------------------------------------------------
def test_book_imbalance_is_signed_share_of_resting_size():
    assert book_imbalance(3.0, 1.0) == pytest.approx(0.5)
    assert book_imbalance(1.0, 3.0) == pytest.approx(-0.5)
    assert book_imbalance(0.0, 0.0) == 0.0


def test_trade_flow_counts_cvd_and_vwap_drift_over_its_window():
    flow = TradeFlow(window_s=10.0)
    flow.add(0.0, "buy", 101.0, 2.0)
    flow.add(1.0, "sell", 99.0, 1.0)
    reading = flow.reading(5.0, bid_size=1.0, ask_size=1.0, mid=100.0, drift_scale_bps=5.0)
    assert reading.cvd == pytest.approx(1.0)
    assert reading.volume == pytest.approx(3.0)
    assert reading.trade_flow == pytest.approx(1.0 / 3.0)
    vwap = (101.0 * 2 + 99.0) / 3.0
    assert reading.vwap_drift_bps == pytest.approx((vwap - 100.0) / 100.0 * 10_000)
    # The first trade leaves the window at t = 10 (it is older than 10 s at 10.5).
    later = flow.reading(10.5, 1.0, 1.0, 100.0, 5.0)
    assert later.cvd == pytest.approx(-1.0) and later.volume == pytest.approx(1.0)
    assert flow.session_cvd == pytest.approx(1.0)
    empty = flow.reading(20.0, 1.0, 1.0, 100.0, 5.0)
    assert empty.volume == 0 and math.isnan(empty.vwap_drift_bps) and empty.trade_flow == 0


def test_trade_flow_ignores_nonsense_trades():
    flow = TradeFlow(10.0)
    for price, quantity in ((math.nan, 1.0), (100.0, -1.0), (-5.0, 1.0), (100.0, math.inf)):
        flow.add(0.0, "buy", price, quantity)
    assert flow.reading(1.0, 0, 0, 100.0, 5.0).volume == 0


def test_direction_weights_and_clips_its_three_readings():
    assert direction(1.0, 1.0, 50.0, 5.0) == pytest.approx(1.0)
    assert direction(-1.0, -1.0, -50.0, 5.0) == pytest.approx(-1.0)
    assert direction(0.0, 0.5, math.nan, 5.0) == pytest.approx(0.2)
    assert direction(0.0, 0.0, 2.5, 5.0) == pytest.approx(0.15)


def reading(direction_value: float, volume: float) -> FlowReading:
    return FlowReading(0.0, 0.0, 0.0, volume, math.nan, direction_value)


def test_aggregate_direction_weights_busier_venues_more():
    busy_up, quiet_down = reading(1.0, 30.0), reading(-1.0, 0.0)
    value = aggregate_direction([busy_up, quiet_down])
    # Mean volume 15: weights 1 + 30/15 = 3 and 1 + 0 = 1.
    assert value == pytest.approx((3.0 * 1.0 + 1.0 * -1.0) / 4.0)
    assert aggregate_direction([]) == 0.0


def test_order_flow_factor_favours_selling_where_we_buy_and_penalises_a_one_way_market():
    assert order_flow_factor(0.0, 0.0, 0.0) == 0.5
    assert order_flow_factor(-1.0, 1.0, 0.0) == 1.0
    assert order_flow_factor(1.0, -1.0, 0.0) == 0.0
    assert order_flow_factor(0.0, 0.0, 0.8) == pytest.approx(0.3)
    assert order_flow_factor(0.0, 0.0, -0.8) == pytest.approx(0.3)


# --- volatility and the adaptive threshold --------------------------------------------------------------
def test_realised_volatility_is_the_stdev_of_sampled_log_returns_in_bps():
    vol = RealisedVolatility(window_s=10.0, sample_s=1.0)
    prices = [100.0, 100.1, 100.0, 100.2, 100.1]
    for t, price in enumerate(prices):
        vol.sample(float(t), price)
    returns = [math.log(b / a) for a, b in zip(prices, prices[1:])]
    mean = sum(returns) / len(returns)
    expected = math.sqrt(sum((r - mean) ** 2 for r in returns) / (len(returns) - 1)) * 10_000
    assert vol.volatility_bps() == pytest.approx(expected)


def test_volatility_reads_zero_until_three_returns_and_forgets_old_ones():
    vol = RealisedVolatility(window_s=3.0, sample_s=1.0)
    vol.sample(0.0, 100.0)
    vol.sample(1.0, 101.0)
    vol.sample(2.0, 100.0)
    assert vol.volatility_bps() == 0.0
    vol.sample(3.0, 101.0)
    assert vol.volatility_bps() > 50
    for t in range(4, 10):  # calm from now on: the jumps leave the 3-sample window
        vol.sample(float(t), 101.0)
    assert vol.volatility_bps() == 0.0


def test_a_gap_in_prices_starts_the_returns_afresh():
    vol = RealisedVolatility(window_s=100.0, sample_s=1.0)
    vol.sample(0.0, 100.0)
    vol.sample(1.0, math.nan)
    vol.sample(2.0, 150.0)  # no return across the gap
    assert vol.samples == 0


def test_is_due_every_sample_interval():
    vol = RealisedVolatility(window_s=100.0, sample_s=1.0)
    assert vol.is_due(0.0)
    vol.sample(0.0, 100.0)
    assert not vol.is_due(0.5) and vol.is_due(1.0)


def test_adaptive_threshold_rises_with_volatility_up_to_its_cap():
    assert adaptive_threshold_bps(5.0, 1.0, 0.0, 100.0) == 5.0
    assert adaptive_threshold_bps(5.0, 2.0, 3.0, 100.0) == 11.0
    assert adaptive_threshold_bps(5.0, 2.0, 300.0, 100.0) == 100.0
    assert adaptive_threshold_bps(5.0, 2.0, math.nan, 100.0) == 5.0


# --- the rule advisor --------------------------------------------------------------------------------
def venue(name: str, **changes) -> VenueBrief:
    values = dict(venue=name, state="live", latency_p95_ms=80.0, fill_ratio=1.0, book_imbalance=0.0,
                  trade_flow=0.0, vwap_drift_bps=0.0, direction=0.0, spoof_events=0, discounted_depth=False)
    values.update(changes)
    return VenueBrief(**values)


def brief(*, order_flow=0.5, recent=(), buy=None, sell=None) -> OpportunityBrief:
    parts = (("spread", 0.5), ("liquidity", 1.0), ("slippage", 1.0), ("freshness", 1.0),
             ("order_flow", order_flow), ("execution_quality", 0.8))
    return OpportunityBrief(1, 0.0, "BTC/USDT", "okx", "binance", 20.0, 6.0, 0.033, 2000.0, 0.8, parts,
                            buy or venue("okx"), sell or venue("binance"), 0.9, 0.1, tuple(recent))


def outcome(bps, route=("BTC/USDT", "okx", "binance")):
    return OutcomeBrief(*route, EXECUTE, 20.0, "complete", bps)


def test_the_rule_advisor_executes_a_plain_opportunity_at_full_size():
    answer = RuleAdvisor().advise(brief())
    assert answer.advice.verdict == EXECUTE and answer.advice.size_cap_usdt is None
    assert answer.advice.confidence == pytest.approx(0.8)
    assert answer.advisor == "rule" and answer.cost_usd == Decimal(0)


def test_a_route_that_lost_its_last_three_trades_is_skipped():
    advice = decide(brief(recent=[outcome(-3.0), outcome(-1.0), outcome(-2.0)]))
    assert advice.verdict == SKIP and "last 3" in advice.reason
    # One win among the last three: not skipped; losses on another route do not count.
    assert decide(brief(recent=[outcome(-3.0), outcome(4.0), outcome(-2.0)])).verdict == EXECUTE
    other = ("BTC/USDT", "gate", "binance")
    assert decide(brief(recent=[outcome(-3.0, other)] * 3)).verdict == EXECUTE


def test_adverse_order_flow_waits():
    assert decide(brief(order_flow=0.15)).verdict == WAIT


def test_spoofed_depth_halves_the_size():
    advice = decide(brief(buy=venue("okx", discounted_depth=True)))
    assert advice.verdict == EXECUTE and advice.size_cap_usdt == pytest.approx(1000.0)


def test_a_losing_recent_record_halves_the_size():
    other = ("ETH/USDT", "gate", "kucoin")
    advice = decide(brief(recent=[outcome(-5.0, other), outcome(-5.0, other), outcome(2.0, other),
                                  outcome(-1.0, other), outcome(-1.0, other)]))
    assert advice.verdict == EXECUTE and advice.size_cap_usdt == pytest.approx(1000.0)
