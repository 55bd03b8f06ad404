"""Order types' fill rules, the order type policy, latency and timeouts, rollback paths, attribution."""

import asyncio
import math
import random
from dataclasses import replace
from decimal import Decimal

import pytest

from octo_desktop.config import ExecutionConfig, SymbolSpec, builtin_config
from octo_desktop.domain.attribution import attribute, decay_bps
from octo_desktop.domain.fills import (
    CANCELLED, FILLED, IOC_LIMIT, MARKET, PARTIALLY_FILLED, POST_ONLY, REJECTED, OrderRequest, OrderResult,
    OrderTypePolicy, RestingOrder, choose_order_type, fill_taker_order, post_only_price, would_cross,
)
from octo_desktop.domain.latency import LatencyModel, LatencyWindow, TimeoutPolicy, adaptive_timeout_s, percentile
from octo_desktop.domain.model import BUY, SELL, Fill, Trade, TradeState
from octo_desktop.desks.arbitrage.trader import ArbitragePlan, LegPlan, RollbackPolicy, TradeRun

SPEC = SymbolSpec("BTC/USDT", Decimal("0.01"), Decimal("0.001"), Decimal("5"))
ASKS = [(100.0, 0.5), (100.5, 1.0), (101.0, 2.0)]
BIDS = [(99.5, 0.5), (99.0, 1.0)]


def request(side, quantity, order_type, limit=None, purpose="entry", order_id="1-1"):
    return OrderRequest(1, "okx", "BTC/USDT", side, Decimal(quantity), order_type, limit, purpose, order_id)


# --- market and IOC -------------------------------------------------------------------------------
def test_market_walks_the_book_at_any_price_and_reports_status():
    result = fill_taker_order(ASKS, request(BUY, "1.200", MARKET), SPEC, Decimal("0.001"), 1.0)
    assert [(f.price, f.quantity) for f in result.fills] == [(Decimal("100.00"), Decimal("0.500")),
                                                             (Decimal("100.50"), Decimal("0.700"))]
    assert result.status == FILLED and all(f.order_id == "1-1" for f in result.fills)


def test_ioc_stops_at_its_limit_and_cancels_the_rest():
    result = fill_taker_order(ASKS, request(BUY, "1.200", IOC_LIMIT, 100.2), SPEC, Decimal("0.001"), 1.0)
    assert result.filled_quantity == Decimal("0.500") and result.status == PARTIALLY_FILLED
    none = fill_taker_order(ASKS, request(BUY, "1.000", IOC_LIMIT, 99.0), SPEC, Decimal("0.001"), 1.0)
    assert none.fills == () and none.status == CANCELLED


def test_an_order_off_the_lot_grid_is_rejected():
    result = fill_taker_order(ASKS, request(BUY, "0.0005", MARKET), SPEC, Decimal("0.001"), 1.0)
    assert result.status == REJECTED and "lot size" in result.rejected_reason


# --- post-only ------------------------------------------------------------------------------------
def test_post_only_rests_inside_the_spread_when_there_is_room_else_joins():
    assert post_only_price(BUY, 99.5, 100.0, Decimal("0.01")) == pytest.approx(99.51)
    assert post_only_price(BUY, 99.99, 100.0, Decimal("0.01")) == 99.99  # no room: join the bid
    assert post_only_price(SELL, 99.5, 100.0, Decimal("0.01")) == pytest.approx(99.99)
    assert math.isnan(post_only_price(SELL, 99.5, math.nan, Decimal("0.01")))


def test_post_only_would_cross_is_detected():
    assert would_cross(BUY, 100.0, 99.5, 100.0) and not would_cross(BUY, 99.99, 99.5, 100.0)
    assert would_cross(SELL, 99.5, 99.5, 100.0) and not would_cross(SELL, 99.51, 99.5, 100.0)


def test_post_only_fills_when_the_opposite_side_trades_through_it():
    order = RestingOrder(request(BUY, "1.000", POST_ONLY, 99.5), SPEC, Decimal("0.0008"), queue_ahead=2.0)
    assert order.on_trade(BUY, 99.5, 5.0, 1.0) is None  # a buyer does not hit our bid
    assert order.on_trade(SELL, 99.6, 5.0, 1.0) is None  # above our price: did not reach us
    fill = order.on_trade(SELL, 99.4, 0.3, 2.0)  # traded through our price: we were filled first
    assert fill.quantity == Decimal("0.300") and fill.liquidity == "maker" and fill.price == Decimal("99.50")
    assert fill.fee == Decimal("0.00024000")  # maker fee, in base for a buy
    assert order.remaining == Decimal("0.700")


def test_post_only_at_its_price_waits_for_the_queue_ahead():
    order = RestingOrder(request(SELL, "1.000", POST_ONLY, 100.0), SPEC, Decimal("0.001"), queue_ahead=1.5)
    assert order.on_trade(BUY, 100.0, 1.0, 1.0) is None and order.queue_ahead == pytest.approx(0.5)
    fill = order.on_trade(BUY, 100.0, 0.8, 2.0)  # 0.5 ahead of us, then 0.3 for us
    assert fill.quantity == Decimal("0.300")
    order.on_trade(BUY, 100.0, 5.0, 3.0)
    assert order.is_done and sum(f.quantity for f in order.fills) == Decimal("1.000")


def test_the_queue_estimate_shrinks_with_the_level_but_never_grows():
    order = RestingOrder(request(BUY, "1.000", POST_ONLY, 99.5), SPEC, Decimal("0"), queue_ahead=3.0)
    order.on_level_size(1.0)
    assert order.queue_ahead == 1.0
    order.on_level_size(4.0)
    assert order.queue_ahead == 1.0


# --- order type policy ----------------------------------------------------------------------------
POLICY = OrderTypePolicy.from_settings(ExecutionConfig())


def choose(**kw):
    args = dict(purpose="entry", net_bps=10.0, threshold_bps=5.0, latency_p95_ms=100.0, venue_spread_bps=1.0)
    args.update(kw)
    return choose_order_type(POLICY, **args)[0]


def test_order_type_follows_urgency_latency_and_spread():
    assert choose(purpose="unwind") == MARKET
    assert choose(net_bps=40.0, latency_p95_ms=60.0) == MARKET  # fat edge, fast venue
    assert choose(net_bps=40.0, latency_p95_ms=200.0) == IOC_LIMIT  # fat edge, slow venue: protect the price
    assert choose(net_bps=8.0, latency_p95_ms=350.0, venue_spread_bps=1.0) == POST_ONLY  # thin edge, slow venue
    assert choose(net_bps=8.0, latency_p95_ms=350.0, venue_spread_bps=0.1) == IOC_LIMIT  # no spread to earn
    assert choose(net_bps=8.0, latency_p95_ms=350.0, purpose="retry") == IOC_LIMIT  # retries never rest
    assert choose(net_bps=20.0, latency_p95_ms=350.0) == IOC_LIMIT


# --- latency and the adaptive timeout --------------------------------------------------------------
def test_adaptive_timeout_is_twice_the_p95_clamped():
    assert adaptive_timeout_s(4000.0) == 8.0
    assert adaptive_timeout_s(100.0) == 3.0
    assert adaptive_timeout_s(20000.0) == 15.0
    assert adaptive_timeout_s(math.nan) == 15.0
    assert adaptive_timeout_s(1000.0, TimeoutPolicy(3.0, 1.0, 10.0)) == 3.0


def test_latency_window_p95_is_over_the_rolling_window():
    window = LatencyWindow(size=100)
    for value in range(1, 201):  # only the last 100 (101..200) count
        window.add(float(value))
    window.add(math.nan)
    window.add(-1.0)
    assert len(window) == 100
    assert window.p95_ms() == pytest.approx(percentile(range(101, 201), 95))
    assert window.p95_ms() > 190


def test_configured_latency_matches_its_median_and_p95():
    model = LatencyModel(50.0, 200.0)
    rng = random.Random(3)
    draws = [model.sample_s(rng) * 1000 for _ in range(20000)]
    assert percentile(draws, 50) == pytest.approx(50.0, rel=0.05)
    assert percentile(draws, 95) == pytest.approx(200.0, rel=0.07)


def test_learned_latency_draws_only_measured_values_once_enough():
    model = LatencyModel(50.0, 200.0, learned=True, min_samples=5)
    rng = random.Random(1)
    for value in (700.0, 800.0, 900.0, 1000.0):
        model.window.add(value)
    assert not model.is_learned and model.expected_p95_ms() == 200.0
    model.window.add(1100.0)
    assert model.is_learned
    assert {round(model.sample_s(rng) * 1000) for _ in range(200)} <= {700, 800, 900, 1000, 1100}
    assert model.expected_p95_ms() > 1000


# --- rollback paths -------------------------------------------------------------------------------
CONFIG = builtin_config(["symbols.list=[\"BTC/USDT\"]"])  # never the user's file, even at import
LOT = CONFIG.spec("okx", "BTC/USDT").lot_size
ROLLBACK = RollbackPolicy.from_config(CONFIG.execution)


def fill_for(req: OrderRequest, quantity: str, price: str) -> Fill:
    return Fill(req.trade_id, req.venue, req.symbol, req.side, Decimal(price), Decimal(quantity), Decimal("0"),
                "USDT", "taker", req.order_type, 0.0, req.purpose, req.order_id)


class FakeExecution:
    """Answer each order with a scripted fill quantity, keyed by (purpose, venue, side)."""

    def __init__(self, script):
        self.script = script
        self.sent: list[OrderRequest] = []

    async def place_order(self, req):
        self.sent.append(req)
        quantity, price = self.script.get((req.purpose, req.venue, req.side), ("0", "100"))
        quantity = min(Decimal(quantity), req.quantity)
        fills = (fill_for(req, str(quantity), price),) if quantity > 0 else ()
        return OrderResult(req, fills=fills)

    async def recover_order(self, req):
        return OrderResult(req, rejected_reason="lost", status_override="lost")


class FakeHooks:
    def __init__(self, halted=False, alternatives=(), clock=0.0):
        self.clock = clock
        self.halted = halted
        self.options = list(alternatives)
        self.journal: list[tuple] = []

    def now(self):
        return self.clock

    async def before_send(self, trade, requests):
        self.journal.extend(("sent", r.order_id) for r in requests)

    async def after_result(self, trade, result):
        self.journal.append(("done", result.request.order_id))
        return trade.with_fills(result.fills)

    async def after_step(self, trade, step):
        self.journal.append(("step", step.kind))
        return trade.with_step(step)

    def is_halted(self):
        return self.halted

    def alternatives(self, trade, side, quantity, exclude):
        return [(v, limit) for v, limit in self.options if v not in exclude]

    def timeout_s(self, venue):
        return 3.0


def run_trade(script, hooks=None, deadline=10.0, policy=ROLLBACK):
    hooks = hooks or FakeHooks()
    trade = Trade(7, 1, "BTC/USDT", "okx", "htx", Decimal("1.000"), 0.0, 12.0,
                  decision_buy_vwap=100.0, decision_sell_vwap=100.3)
    execution = FakeExecution(script)
    run = TradeRun(trade, execution, hooks, CONFIG, policy, deadline=deadline, buy_limit=100.1, sell_limit=100.2)
    plan = ArbitragePlan(trade, Decimal("1.000"), LegPlan("okx", BUY, IOC_LIMIT, 100.1, 100.1),
                         LegPlan("htx", SELL, IOC_LIMIT, 100.2, 100.2), deadline)
    closed = asyncio.run(run.run(plan))
    return closed, execution, hooks


def test_both_legs_full_is_complete_without_rollback():
    closed, execution, hooks = run_trade({("entry", "okx", BUY): ("1", "100"), ("entry", "htx", SELL): ("1", "100.3")})
    assert closed.state == TradeState.COMPLETE and closed.steps == ()
    assert [r.order_id for r in execution.sent] == ["7-1", "7-2"]
    assert hooks.journal[:2] == [("sent", "7-1"), ("sent", "7-2")]  # both journaled before either result


def test_step_1_retry_on_the_same_venue_with_a_wider_limit_completes_the_trade():
    closed, execution, _ = run_trade({("entry", "okx", BUY): ("1", "100"), ("entry", "htx", SELL): ("0.6", "100.3"),
                                      ("retry", "htx", SELL): ("0.4", "100.25")})
    retry = execution.sent[2]
    assert (retry.purpose, retry.venue, retry.side, retry.quantity) == ("retry", "htx", SELL, Decimal("0.400"))
    assert retry.limit_price == pytest.approx(100.2 * (1 - 10 / 10_000))  # widened by retry_widen_bps
    assert closed.state == TradeState.COMPLETE and [s.kind for s in closed.steps] == ["retry"]


def test_step_2_reroutes_to_the_next_venue_when_the_retry_fails():
    hooks = FakeHooks(alternatives=[("okx", 100.0), ("bybit", 100.15), ("gate", 100.1)])
    closed, execution, _ = run_trade({("entry", "okx", BUY): ("1", "100"), ("entry", "htx", SELL): ("0.5", "100.3"),
                                      ("reroute", "bybit", SELL): ("0.5", "100.2")}, hooks)
    kinds = [(r.purpose, r.venue) for r in execution.sent[2:]]
    assert kinds == [("retry", "htx"), ("reroute", "bybit")]  # okx is the trade's own venue: excluded
    assert closed.state == TradeState.COMPLETE and closed.quantity(SELL) == Decimal("1.000")


def test_step_3_unwinds_the_excess_at_market_where_it_filled():
    closed, execution, _ = run_trade({("entry", "okx", BUY): ("1", "100"), ("entry", "htx", SELL): ("0.3", "100.3"),
                                      ("unwind", "okx", SELL): ("0.7", "99.9")})
    unwind = execution.sent[-1]
    assert (unwind.purpose, unwind.venue, unwind.side, unwind.order_type, unwind.quantity) == \
        ("unwind", "okx", SELL, MARKET, Decimal("0.700"))
    assert closed.state == TradeState.PARTIAL and closed.matched_quantity == Decimal("0.300")
    assert [s.kind for s in closed.steps] == ["retry", "unwind"]


def test_a_leg_that_never_filled_is_rolled_back_and_the_loss_attributed_to_rollback():
    closed, _, _ = run_trade({("entry", "okx", BUY): ("1", "100"), ("unwind", "okx", SELL): ("1", "99.9")})
    assert closed.state == TradeState.ROLLED_BACK and closed.matched_quantity == 0
    parts = attribute(closed)
    assert parts.realized == Decimal("-0.1") and parts.rollback == Decimal("0.1") and parts.expected == 0


def test_nothing_filled_is_failed():
    closed, execution, _ = run_trade({})
    assert closed.state == TradeState.FAILED and len(execution.sent) == 2


def test_no_retry_or_reroute_after_the_deadline_or_when_halted():
    script = {("entry", "okx", BUY): ("1", "100"), ("unwind", "okx", SELL): ("1", "99.9")}
    late, execution, _ = run_trade(script, FakeHooks(clock=20.0), deadline=10.0)
    assert [r.purpose for r in execution.sent] == ["entry", "entry", "unwind"]
    halted, execution, _ = run_trade(script, FakeHooks(halted=True, alternatives=[("bybit", 100.2)]))
    assert [r.purpose for r in execution.sent] == ["entry", "entry", "unwind"]
    assert "halted" in halted.note


def test_recovery_resolves_unanswered_orders_then_rolls_back():
    hooks = FakeHooks()
    bought = Fill(7, "okx", "BTC/USDT", BUY, Decimal("100"), Decimal("1.000"), Decimal("0"), "USDT", "taker",
                  IOC_LIMIT, 0.0, "entry", "7-1")
    trade = Trade(7, 1, "BTC/USDT", "okx", "htx", Decimal("1.000"), 0.0, 12.0, fills=(bought,))
    execution = FakeExecution({("unwind", "okx", SELL): ("1", "99.95")})
    run = TradeRun(trade, execution, hooks, CONFIG, ROLLBACK, deadline=-1.0, buy_limit=100.1,
                   sell_limit=100.2, next_order=3)
    pending = [OrderRequest(7, "htx", "BTC/USDT", SELL, Decimal("1.000"), IOC_LIMIT, 100.2, "entry", "7-2")]
    closed = asyncio.run(run.recover(pending))
    assert hooks.journal[0] == ("done", "7-2")  # the lost order's outcome is journaled first
    assert execution.sent[-1].order_id == "7-3" and execution.sent[-1].purpose == "unwind"
    assert closed.state == TradeState.ROLLED_BACK and "recovered" in closed.note


def recover_with(fills, pending=(), steps=(), halted=False, script=None):
    hooks = FakeHooks(halted=halted, alternatives=[("bybit", 100.2)])
    trade = Trade(7, 1, "BTC/USDT", "okx", "htx", Decimal("1.000"), 0.0, 12.0, fills=tuple(fills), steps=tuple(steps),
                  decision_buy_vwap=100.0, decision_sell_vwap=100.3)
    execution = FakeExecution(script or {("unwind", "okx", SELL): ("1", "99.95"), ("retry", "htx", SELL): ("1", "100"),
                                         ("reroute", "bybit", SELL): ("1", "100")})
    run = TradeRun(trade, execution, hooks, CONFIG, ROLLBACK, deadline=10.0, buy_limit=100.1,
                   sell_limit=100.2, next_order=5)
    closed = asyncio.run(run.recover(list(pending), unwinding=any(r.purpose == "unwind" for r in pending)))
    return closed, execution


def okx_fill(side, quantity, purpose, order_id):
    return Fill(7, "okx", "BTC/USDT", side, Decimal("100"), Decimal(quantity), Decimal("0"), "USDT", "taker",
                MARKET if purpose == "unwind" else IOC_LIMIT, 0.0, purpose, order_id)


def test_recovery_after_a_committed_unwind_sends_no_second_unwind():
    bought, unwound = okx_fill(BUY, "1.000", "entry", "7-1"), okx_fill(SELL, "1.000", "unwind", "7-3")
    closed, execution = recover_with([bought, unwound])
    assert execution.sent == []  # neither a retry (the unwind began) nor another unwind (the position is flat)
    assert closed.net_quantity == 0 and closed.state == TradeState.ROLLED_BACK
    assert "unwinding began before the restart" in closed.note


def test_recovery_after_a_partial_unwind_unwinds_only_what_is_left():
    bought, unwound = okx_fill(BUY, "1.000", "entry", "7-1"), okx_fill(SELL, "0.400", "unwind", "7-3")
    closed, execution = recover_with([bought, unwound])
    assert [(r.purpose, r.side, r.quantity) for r in execution.sent] == [("unwind", SELL, Decimal("0.600"))]
    assert closed.net_quantity == 0


def test_recovery_with_an_unwind_sent_but_unanswered_only_unwinds():
    bought = okx_fill(BUY, "1.000", "entry", "7-1")
    lost = OrderRequest(7, "okx", "BTC/USDT", SELL, Decimal("1.000"), MARKET, None, "unwind", "7-3")
    closed, execution = recover_with([bought], pending=[lost])
    assert [r.purpose for r in execution.sent] == ["unwind"]  # no retry of the sell leg on htx
    assert closed.net_quantity == 0 and closed.state == TradeState.ROLLED_BACK


def test_recovery_before_any_unwind_still_retries_the_short_leg():
    closed, execution = recover_with([okx_fill(BUY, "1.000", "entry", "7-1")])
    assert [r.purpose for r in execution.sent] == ["retry"]
    assert closed.state == TradeState.COMPLETE


# --- attribution ----------------------------------------------------------------------------------
def test_attribution_parts_add_up_to_the_realized_pnl():
    def fill(side, price, quantity, fee, purpose="entry"):
        return Fill(1, "okx", "BTC/USDT", side, Decimal(price), Decimal(quantity), Decimal(fee),
                    "USDT", "taker", IOC_LIMIT, 0.0, purpose)

    trade = Trade(1, 1, "BTC/USDT", "okx", "htx", Decimal("1"), 0.0, 20.0,
                  fills=(fill(BUY, "100.05", "1", "0.1"), fill(SELL, "100.2", "0.8", "0.08"),
                         fill(SELL, "99.9", "0.2", "0.02", "unwind")),
                  decision_buy_vwap=100.0, decision_sell_vwap=100.3, arrival_buy_vwap=100.02,
                  arrival_sell_vwap=100.22)
    parts = attribute(trade)
    assert parts.expected == Decimal("0.24")  # 0.8 matched x 0.30
    assert parts.latency_decay == Decimal("0.08")  # 0.8 x (0.30 - 0.20)
    assert parts.slippage == Decimal("0.04")  # 0.8 x (0.20 - 0.15)
    assert parts.fees == Decimal("0.20")
    assert parts.expected - parts.latency_decay - parts.slippage - parts.fees - parts.rollback == parts.realized
    assert parts.rollback == Decimal("0.03")  # 0.2 bought at 100.05, unwound at 99.90
    assert decay_bps(trade) == pytest.approx(10.0)
    assert math.isnan(decay_bps(replace(trade, arrival_buy_vwap=math.nan)))
