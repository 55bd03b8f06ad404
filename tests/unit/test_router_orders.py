"""Parent orders: their life, their fills, and when a market, limit or sniper order may route."""

import math
from dataclasses import replace

import pytest

from octo_desktop.router.orders import (
    BUY, SELL, Condition, Observation, OrderType, ParentOrder, ParentState, condition_holds, due,
)


def order(**changes):
    values = dict(order_id=1, side=BUY, asset="SOL", quantity=500.0, order_type=OrderType.MARKET, created_at=100.0)
    values.update(changes)
    return ParentOrder(**values)


BOOKS = Observation(150.0, best_bids=(("okx", 149.9), ("raydium", 150.4)), best_asks=(("okx", 150.0), ("otc", 150.2)),
                    available_within=((150.1, 320.0),))


def test_fills_move_it_to_partially_filled_then_filled_and_never_past_its_quantity():
    o = order().moved_to(ParentState.ROUTING, 101.0)
    o = o.with_fill(200.0, 30_010.0, 101.5)
    assert o.state == ParentState.PARTIAL and o.remaining == 300.0 and o.average_price == pytest.approx(150.05)
    with pytest.raises(ValueError, match="more than the 300.0 left"):
        o.with_fill(300.5, 45_000.0, 102.0)
    o = o.with_fill(300.0, 45_060.0, 102.0)
    assert o.state == ParentState.FILLED and o.closed_at == 102.0 and o.is_final
    with pytest.raises(ValueError, match="no more fills"):
        o.with_fill(1.0, 150.0, 103.0)


def test_a_final_state_has_no_successor_and_pending_cannot_fill_without_routing():
    o = order().moved_to(ParentState.CANCELLED, 101.0, "cancelled by the trader")
    assert o.reason == "cancelled by the trader" and o.closed_at == 101.0
    for state in ParentState:
        if state != ParentState.CANCELLED:
            with pytest.raises(ValueError, match="cannot go from cancelled"):
                o.moved_to(state, 102.0)
    with pytest.raises(ValueError, match="cannot go from pending to filled"):
        order().moved_to(ParentState.FILLED, 101.0)


@pytest.mark.parametrize("changes, message", [
    (dict(side="hold"), "side must be buy or sell"),
    (dict(quantity=0.0), "positive number"),
    (dict(quantity=math.nan), "positive number"),
    (dict(order_type=OrderType.LIMIT), "needs a positive limit price"),
    (dict(order_type=OrderType.SNIPER), "needs a condition"),
    (dict(expires_at=100.0), "expiry must be after"),
    (dict(rest="later"), "rest must be wait or cancel"),
])
def test_a_bad_order_is_refused_with_one_clear_line(changes, message):
    with pytest.raises(ValueError, match=message):
        order(**changes)


def test_conditions_trigger_on_price_spread_and_liquidity_and_never_on_a_missing_figure():
    assert condition_holds(Condition("price_above", 150.0), BOOKS)
    assert not condition_holds(Condition("price_above", 150.01), BOOKS)
    assert condition_holds(Condition("price_below", 150.0), BOOKS)
    assert not condition_holds(Condition("price_below", 149.0), BOOKS)
    assert BOOKS.spread_bps() == pytest.approx((150.4 - 150.0) / 150.0 * 1e4)  # raydium's bid over okx's ask
    assert condition_holds(Condition("spread", 26.0), BOOKS) and not condition_holds(Condition("spread", 27.0), BOOKS)
    assert condition_holds(Condition("liquidity", 150.1, 300.0), BOOKS)
    assert not condition_holds(Condition("liquidity", 150.1, 400.0), BOOKS)
    assert not condition_holds(Condition("liquidity", 150.3, 1.0), BOOKS)  # not measured at that level
    assert not condition_holds(Condition("spread", 0.0), Observation(150.0))
    assert not condition_holds(Condition("price_below", 200.0), Observation(math.nan))
    with pytest.raises(ValueError, match="unknown sniper condition"):
        Condition("volume", 1.0)
    with pytest.raises(ValueError, match="positive quantity"):
        Condition("liquidity", 150.0)


def test_a_market_order_routes_at_once_and_any_order_expires_at_its_expiry():
    assert due(order(), BOOKS, 100.0) == ("route", "market order")
    action, why = due(order(expires_at=160.0), BOOKS, 160.0)
    assert action == "expire" and "500 SOL not done" in why


def test_a_limit_order_waits_until_some_source_is_at_or_better_than_its_price():
    buy = order(order_type=OrderType.LIMIT, limit_price=149.95)
    assert due(buy, BOOKS, 101.0) == ("wait", "waiting for an ask at or better than 149.95 (best 150)")
    assert due(buy, BOOKS, 101.0)[0] == "wait"
    assert due(order(order_type=OrderType.LIMIT, limit_price=150.0), BOOKS, 101.0)[0] == "route"
    sell = order(side=SELL, order_type=OrderType.LIMIT, limit_price=150.3)
    assert due(sell, BOOKS, 101.0)[0] == "route"  # raydium bids 150.4
    assert due(order(side=SELL, order_type=OrderType.LIMIT, limit_price=150.5), BOOKS, 101.0)[0] == "wait"
    assert due(buy, Observation(150.0), 101.0)[0] == "wait"  # no quotes: never routes blind
    assert buy.acceptable(149.9) and not buy.acceptable(150.0) and sell.acceptable(150.3)


def test_a_sniper_waits_for_its_condition_then_routes_and_its_limit_still_applies():
    sniper = order(order_type=OrderType.SNIPER, condition=Condition("price_below", 149.0), expires_at=400.0)
    assert due(sniper, BOOKS, 101.0) == ("wait", "waiting for price at or below 149")
    dipped = Observation(148.9, best_asks=(("okx", 149.0),))
    assert due(sniper, dipped, 102.0) == ("route", "triggered: price at or below 149")
    capped = order(order_type=OrderType.SNIPER, condition=Condition("spread", 20.0), limit_price=149.0)
    assert due(capped, BOOKS, 101.0)[0] == "route"  # the spread is there
    fired = replace(capped, triggered_at=101.0)
    assert due(fired, BOOKS, 102.0)[0] == "wait"  # once triggered, it rests on its limit like a limit order
    assert due(sniper, dipped, 400.0)[0] == "expire"
