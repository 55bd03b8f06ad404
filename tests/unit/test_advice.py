"""Advice values, how an advice changes a trade, and the brief an advisor is shown."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from decimal import Decimal

import pytest

from octo_desktop.domain.advice import (
    EXECUTE,
    REASON_MAX_CHARS,
    SKIP,
    WAIT,
    Advice,
    InvalidAdvice,
    OpportunityBrief,
    OutcomeBrief,
    VenueBrief,
    apply_advice,
)

PRICE = 50_000.0
QUANTITY = Decimal("0.05")  # 2500 USDT at PRICE


def make_venue(venue: str, **changes) -> VenueBrief:
    """A healthy venue, with ``changes`` applied."""
    healthy = VenueBrief(venue=venue, state="live", latency_p95_ms=40.123456, fill_ratio=0.98,
                         book_imbalance=0.123456, trade_flow=-0.05, vwap_drift_bps=0.7, direction=0.1,
                         spoof_events=0, discounted_depth=False)
    return replace(healthy, **changes)


def make_brief(recent: tuple[OutcomeBrief, ...] = (), **changes) -> OpportunityBrief:
    """A BTC/USDT okx -> binance opportunity, with ``changes`` applied."""
    brief = OpportunityBrief(
        opportunity_id=7, time=1_717_000_000.5, symbol="BTC/USDT", buy_venue="okx", sell_venue="binance",
        net_bps=7.8456, threshold_bps=5.0, quantity=0.0312345678912, notional_usdt=1561.7284, score=0.71234,
        parts=(("spread", 0.81234), ("liquidity", 0.65)), buy=make_venue("okx"), sell=make_venue("binance"),
        volatility_bps=2.34567, market_direction=-0.12345, recent=recent)
    return replace(brief, **changes)


def outcome(verdict: str, state: str, realized_bps: float | None) -> OutcomeBrief:
    """A recent advised decision on BTC/USDT okx -> binance."""
    return OutcomeBrief("BTC/USDT", "okx", "binance", verdict, 6.0, state, realized_bps)


# Advice validation.

@pytest.mark.parametrize("verdict", ["BUY", "execute", "", None])
def test_an_unknown_verdict_is_invalid(verdict):
    with pytest.raises(InvalidAdvice, match="verdict"):
        Advice(verdict, 0.5, "reason")


@pytest.mark.parametrize("confidence", [-0.01, 1.01, 1.7, math.nan, math.inf, "0.5", None])
def test_a_confidence_outside_zero_to_one_or_not_a_number_is_invalid(confidence):
    with pytest.raises(InvalidAdvice, match="confidence"):
        Advice(EXECUTE, confidence, "reason")


@pytest.mark.parametrize("confidence", [0, 0.0, 0.5, 1, 1.0])
def test_a_confidence_from_zero_to_one_inclusive_is_valid(confidence):
    assert Advice(EXECUTE, confidence, "reason").confidence == confidence


@pytest.mark.parametrize("size_cap_usdt", [-1.0, math.nan, math.inf, "100"])
def test_a_negative_or_non_finite_size_cap_is_invalid(size_cap_usdt):
    with pytest.raises(InvalidAdvice, match="size_cap_usdt"):
        Advice(EXECUTE, 0.5, "reason", size_cap_usdt)


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_an_empty_reason_is_invalid(reason):
    with pytest.raises(InvalidAdvice, match="reason"):
        Advice(SKIP, 0.5, reason)


def test_a_long_reason_is_truncated_with_an_ellipsis():
    advice = Advice(WAIT, 0.5, "x" * (REASON_MAX_CHARS + 50))

    assert len(advice.reason) == REASON_MAX_CHARS
    assert advice.reason == "x" * (REASON_MAX_CHARS - 1) + "…"


def test_a_reason_of_exactly_the_limit_is_kept_whole():
    reason = "y" * REASON_MAX_CHARS

    assert Advice(WAIT, 0.5, reason).reason == reason


# apply_advice.

@pytest.mark.parametrize("verdict, code", [(SKIP, "advisor:skip"), (WAIT, "advisor:wait")])
def test_skip_and_wait_stop_the_trade_with_their_codes(verdict, code):
    applied = apply_advice(Advice(verdict, 0.9, "no"), QUANTITY, PRICE)

    assert applied.proceed is False
    assert applied.reason == code


def test_execute_without_a_cap_leaves_the_trade_unchanged():
    applied = apply_advice(Advice(EXECUTE, 0.9, "go"), QUANTITY, PRICE)

    assert (applied.proceed, applied.quantity, applied.reason) == (True, QUANTITY, "")


def test_a_cap_smaller_than_the_trade_shrinks_the_quantity():
    applied = apply_advice(Advice(EXECUTE, 0.9, "go small", size_cap_usdt=1000.0), QUANTITY, PRICE)

    assert applied.proceed is True
    assert applied.quantity == Decimal("0.02")  # 1000 USDT / 50000
    assert applied.reason == "size capped at 1000 USDT by the advisor"


def test_a_cap_larger_than_the_trade_never_enlarges_it():
    applied = apply_advice(Advice(EXECUTE, 0.9, "go", size_cap_usdt=1_000_000.0), QUANTITY, PRICE)

    assert (applied.proceed, applied.quantity, applied.reason) == (True, QUANTITY, "")


def test_a_cap_is_ignored_without_a_usable_price():
    applied = apply_advice(Advice(EXECUTE, 0.9, "go", size_cap_usdt=10.0), QUANTITY, 0.0)

    assert (applied.proceed, applied.quantity) == (True, QUANTITY)


# OpportunityBrief.as_prompt_dict.

def test_the_prompt_dict_is_strict_json_even_with_non_finite_numbers():
    brief = make_brief(net_bps=math.nan, volatility_bps=math.inf, buy=make_venue("okx", latency_p95_ms=math.nan))

    prompt = brief.as_prompt_dict()
    text = json.dumps(prompt, allow_nan=False)

    assert json.loads(text) == prompt
    assert prompt["opportunity"]["net_spread_bps"] is None
    assert prompt["market"]["volatility_bps"] is None
    assert prompt["venues"]["buy"]["latency_p95_ms"] is None


def test_the_prompt_dict_rounds_numbers_for_a_short_prompt():
    prompt = make_brief().as_prompt_dict()

    assert prompt["opportunity"]["net_spread_bps"] == 7.85
    assert prompt["opportunity"]["quantity"] == 0.03123457
    assert prompt["score"] == {"value": 0.712, "parts": {"spread": 0.812, "liquidity": 0.65}}
    assert prompt["venues"]["buy"]["book_imbalance"] == 0.123
    assert prompt["venues"]["sell"]["venue"] == "binance"
    assert prompt["market"] == {"volatility_bps": 2.346, "direction": -0.123}


def test_the_prompt_dict_summarises_recent_outcomes():
    recent = (outcome(EXECUTE, "complete", 4.2), outcome(EXECUTE, "rolled back", -3.0),
              outcome(EXECUTE, "complete", 1.5), outcome(SKIP, "not traded", None))

    summary = make_brief(recent).as_prompt_dict()["recent_advised_trades"]

    assert (summary["count"], summary["traded"], summary["winners"]) == (4, 3, 2)
    assert summary["mean_realized_bps"] == 0.9  # (4.2 - 3.0 + 1.5) / 3
    assert summary["last"][1] == {"route": "BTC/USDT okx->binance", "verdict": EXECUTE, "expected_bps": 6.0,
                                  "state": "rolled back", "realized_bps": -3.0}
    assert summary["last"][3]["realized_bps"] is None


def test_without_traded_outcomes_the_mean_realized_is_null():
    summary = make_brief((outcome(WAIT, "not traded", None),)).as_prompt_dict()["recent_advised_trades"]

    assert (summary["count"], summary["traded"], summary["winners"]) == (1, 0, 0)
    assert summary["mean_realized_bps"] is None
