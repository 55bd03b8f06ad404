"""The router page's presenters: the ticket parsed into a ``RouteOrder`` or one clear error, the live preview's
request and text, the chart models (split bar, cost ladder, DLMM bins), the orders and children, the pools."""

import math
from decimal import Decimal
from types import MappingProxyType

import pytest

from octo_desktop.domain.commands import PreviewRoute, RouteOrder
from octo_desktop.domain.snapshot import (
    CostPartsView, DecisionView, OtcView, ParentOrderView, PlannedChildView, PoolView, ReferenceView, RouteChildView,
    RoutePlanView, RouterView, SourceOptionView,
)
from octo_desktop.gui import theme
from octo_desktop.gui.presenters import router as p

ASSETS = ("BTC", "ETH", "SOL")
NAN = math.nan


def fields(**changes):
    base = dict(side="buy", asset="SOL", quantity="500")
    base.update(changes)
    return p.TicketFields(**base)


def plan(side="buy", quantity=500.0, filled=500.0, children=None, options=None, **changes):
    children = children if children is not None else (
        PlannedChildView("meteora_sol_usdc", "dlmm", 300.0, 150.31, 45_093.0, CostPartsView(1.0, 40.0, 0.004, 5.0),
                         0.8),
        PlannedChildView("okx", "book", 200.0, 150.33, 30_066.0, CostPartsView(0.5, 30.0, 0.0, 0.2), 0.07),
    )
    options = options if options is not None else (
        SourceOptionView("okx", "book", 240.0, 150.30, NAN, "funds: 36,000 USDT on okx",
                         ((0.0, 150.30), (100.0, 150.32), (200.0, 150.35), (240.0, 150.40))),
        SourceOptionView("htx", "book", 50.0, 150.52, NAN, "funds: 7,600 USDT on htx",
                         ((0.0, 150.52), (50.0, 150.60))),
        SourceOptionView("meteora_sol_usdc", "dlmm", 330.0, 150.31, NAN, "",
                         ((0.0, 150.31), (150.0, 150.33), (300.0, 150.35), (330.0, 150.50))),
    )
    values = dict(side=side, asset="SOL", quantity=quantity, filled=filled, reference_price=150.0,
                  reference_source="books (8 of 8)", fallback=False, children=children, total=75_159.0,
                  parts=CostPartsView(1.5, 70.0, 0.004, 5.2, 0.0), best_single="", best_single_total=NAN, saving=0.0,
                  exchanges_only_total=NAN, chosen="split", reason="", options=options, computed_at=100.0,
                  compute_ms=8.14)
    values.update(changes)
    return RoutePlanView(**values)


def child(child_id="r1-1", state="filled", source="okx", **changes):
    values = dict(child_id=child_id, round=1, source=source, kind="book", side="buy", quantity=44.511,
                  expected_price=150.3502, state=state, filled=44.511 if state == "filled" else 0.0,
                  average_price=150.2 if state == "filled" else NAN, fee="0.04451100 SOL", sent_at=10.0,
                  done_at=10.1, note="market order; expected 150.35, worst 150.951")
    values.update(changes)
    return RouteChildView(**values)


def order(order_id=1, state="filled", **changes):
    values = dict(order_id=order_id, side="buy", asset="SOL", quantity=500.0, order_type="market", state=state,
                  filled=499.999999999 if state == "filled" else 0.0,
                  average_price=150.31789548 if state == "filled" else NAN, limit_price=NAN, condition="",
                  expires_at=math.inf, created_at=10.0, closed_at=11.0, reason="", best_single="", saving=NAN,
                  exchanges_only_total=NAN, children=(child(), child("r1-2", "failed", "meteora_sol_usdc",
                                                                    kind="dlmm", fee="", note="slippage")))
    values.update(changes)
    return ParentOrderView(**values)


def dlmm(**changes):
    values = dict(name="meteora_sol_usdc", kind="dlmm", base="SOL", quote="USDC", mid=150.16, exchange_mid=150.16,
                  gap_bps=0.0, fee_bps=10.0, reserve_base=12_899.75, reserve_quote=2_024_971.7, active_bin=-1897,
                  bin_step=10, bins=((149.86, 40_000.0), (150.01, 45_000.0), (150.16, 20_000.0),
                                     (150.31, 30_000.0), (150.46, 25_000.0)))
    values.update(changes)
    return PoolView(**values)


def view(**changes):
    values = dict(preview=None, orders=(order(2, "pending", order_type="limit", limit_price=1.0,
                                              reason="waiting for an ask at or better than 1", children=()),
                                        order(1)),
                  pools=(dlmm(), PoolView("raydium_sol_usdc", "amm_v4", "SOL", "USDC", 149.87, 150.16, -19.5, 25.0,
                                          40_019.8, 5_997_630.9)),
                  otc=(OtcView("otc_swift", "SOL", 33_333.3, 166.67, 13_333.3, 9.12, 3.0),),
                  references=MappingProxyType({"SOL": ReferenceView("SOL", 150.175, "books (8 of 8)", 0.2, False),
                                               "BTC": ReferenceView("BTC", 60_000.0, "last known (the account's mark)",
                                                                    12.4, True)}),
                  counts=MappingProxyType({"filled": 1, "pending": 1}), saved_total=12.5,
                  wallet=MappingProxyType({"SOL": Decimal("10.0"), "USDC": Decimal("50000.0")}), assets=ASSETS)
    values.update(changes)
    return RouterView(**values)


# --- the ticket -----------------------------------------------------------------------------------------------
def test_a_market_ticket_becomes_a_route_order_and_ignores_the_fields_of_other_types():
    order, error = p.parse_ticket(fields(limit_price="1", level="2", expiry=""), ASSETS)
    assert error == "" and order == RouteOrder("buy", "SOL", 500.0)
    assert math.isnan(order.limit_price) and order.expires_in_s == math.inf
    order, _ = p.parse_ticket(fields(side="sell", quantity=" 1,250.5 ", expiry="60"), ASSETS)
    assert (order.side, order.quantity, order.expires_in_s) == ("sell", 1250.5, 60.0)


@pytest.mark.parametrize("changes, message", [
    (dict(quantity="abc"), "quantity: 'abc' is not a number"),
    (dict(quantity=""), "quantity: enter a number"),
    (dict(quantity="-5"), "quantity must be above 0, got -5"),
    (dict(quantity="inf"), "quantity: 'inf' is not a finite number"),
    (dict(asset="DOGE"), "asset: the router trades BTC, ETH, SOL"),
    (dict(order_type="limit", limit_price=""), "limit price: enter a number"),
    (dict(order_type="limit", limit_price="0"), "limit price must be above 0, got 0"),
    (dict(order_type="sniper", condition="price_above", level="x"), "price above level: 'x' is not a number"),
    (dict(order_type="sniper", condition="liquidity", level="150", condition_quantity=""),
     "liquidity quantity: enter a number"),
    (dict(expiry="0"), "expiry (seconds) must be above 0, got 0"),
])
def test_an_invalid_ticket_gives_one_line_and_no_order(changes, message):
    assert p.parse_ticket(fields(**changes), ASSETS) == (None, message)


def test_limit_and_sniper_tickets_carry_their_limit_rest_and_condition():
    order, _ = p.parse_ticket(fields(order_type="limit", limit_price="1.0", rest="cancel", quantity="5"), ASSETS)
    assert order == RouteOrder("buy", "SOL", 5.0, "limit", 1.0, "cancel")
    order, _ = p.parse_ticket(fields(order_type="sniper", condition="liquidity", level="151", condition_quantity="200",
                                     limit_price=""), ASSETS)
    assert (order.order_type, order.condition, order.level, order.condition_quantity) == ("sniper", "liquidity",
                                                                                          151.0, 200.0)
    assert math.isnan(order.limit_price)  # optional for a sniper
    order, _ = p.parse_ticket(fields(order_type="sniper", condition="spread", level="-3"), ASSETS)
    assert (order.condition, order.level) == ("spread", -3.0)  # a spread level may be any number of bps
    assert p.enabled_fields("market", "price_above") == dict(limit_price=False, rest=False, condition=False,
                                                             level=False, condition_quantity=False)
    assert p.enabled_fields("sniper", "liquidity")["condition_quantity"]
    assert not p.enabled_fields("sniper", "spread")["condition_quantity"]


def test_an_order_above_the_maximum_at_the_reference_price_is_refused_before_it_is_sent():
    order, error = p.parse_ticket(fields(quantity="2000"), ASSETS, reference_price=150.0, max_order_usdt=250_000)
    assert order is None and error == "2,000 SOL is 300,000 USDT at 150, above router.max_order_usdt 250,000"
    assert p.parse_ticket(fields(quantity="1000"), ASSETS, 150.0, 250_000)[0] is not None


def test_the_preview_is_asked_for_only_while_the_ticket_parses():
    request = p.preview_request(fields(), ASSETS)
    assert isinstance(request, PreviewRoute)
    assert (request.side, request.asset, request.quantity) == ("buy", "SOL", 500.0)
    request = p.preview_request(fields(order_type="limit", limit_price="150.2"), ASSETS)
    assert (request.side, request.asset, request.quantity, request.limit_price) == ("buy", "SOL", 500.0, 150.2)
    assert math.isnan(p.preview_request(fields(limit_price="150.2"), ASSETS).limit_price)  # a market order
    assert p.preview_request(fields(quantity="abc"), ASSETS) is None
    assert p.preview_request(fields(order_type="limit"), ASSETS) is None


def test_the_line_under_the_ticket_hints_fixes_or_says_what_route_sends():
    assert p.ticket_hint(fields(quantity=" "), ASSETS) == ("enter a quantity to preview its route", theme.TEXT_MUTED)
    assert p.ticket_hint(fields(quantity="abc"), ASSETS) == ("quantity: 'abc' is not a number", theme.RED)
    assert p.ticket_hint(fields(), ASSETS) == ("Route sends: buy 500 SOL market", theme.TEXT_MUTED)
    order, _ = p.parse_ticket(fields(order_type="sniper", condition="price_below", level="140", limit_price="141",
                                     expiry="30", rest="cancel"), ASSETS)
    assert p.describe_order(order) == ("buy 500 SOL sniper at 141 when the price is at or below 140 (the rest is "
                                       "cancelled), expires in 30 s")


def test_the_engine_answer_is_the_newest_route_line_since_the_order_was_sent():
    decisions = (DecisionView(12.0, "", "", "", True, "route #3 child r3-1 on okx: filled"),
                 DecisionView(11.0, "", "", "", True, "route #3 accepted: buy 5 SOL market"),
                 DecisionView(9.0, "", "", "", False, "route refused: trading is halted"))
    assert p.engine_answer(decisions, 10.5) == ("route #3 accepted: buy 5 SOL market", theme.GREEN)
    assert p.engine_answer(decisions, 8.0) == ("route #3 accepted: buy 5 SOL market", theme.GREEN)
    assert p.engine_answer(decisions[2:], 8.0) == ("route refused: trading is halted", theme.RED)
    assert p.engine_answer(decisions, 13.0) is None
    cancelled = (DecisionView(20.0, "", "", "", True, "route #2 cancelled"),)
    assert p.engine_answer(cancelled, 19.0) == ("route #2 cancelled", theme.GREEN)


def test_the_reference_price_names_its_source_and_marks_a_fallback_in_amber_with_its_age():
    assert p.reference_text(view(), "SOL") == ("150.18 USDT", "from books (8 of 8)", theme.TEXT)
    assert p.reference_text(view(), "BTC") == ("60000.00 USDT", "fallback: last known (the account's mark), 12 s old",
                                               theme.AMBER)
    assert p.reference_text(view(), "ETH") == ("—", "no reference price for ETH yet", theme.RED)
    assert p.reference_text(None, "SOL")[2] == theme.RED
    # The live preview's reference is the newest: it wins when it is of the asset.
    live = plan(reference_price=151.0, reference_source="books (7 of 8)")
    assert p.reference_text(view(), "SOL", live) == ("151.00 USDT", "from books (7 of 8)", theme.TEXT)
    assert p.reference_text(view(), "SOL", plan(fallback=True, reference_source="last known"))[1:] == \
        ("fallback: last known", theme.AMBER)
    assert p.reference_text(view(), "BTC", live)[2] == theme.AMBER  # another asset's preview: not used


# --- the preview ------------------------------------------------------------------------------------------------
def test_only_the_tickets_own_preview_is_shown():
    shown = view(preview=plan())
    assert p.preview_for(shown, PreviewRoute("buy", "SOL", 500.0)) is shown.preview
    assert p.preview_for(shown, PreviewRoute("buy", "SOL", 50.0)) is None
    assert p.preview_for(shown, PreviewRoute("sell", "SOL", 500.0)) is None
    assert p.preview_for(shown, None) is None and p.preview_for(view(), PreviewRoute("buy", "SOL", 500.0)) is None


def test_the_preview_text_gives_the_total_average_parts_savings_and_compute_time():
    text = p.preview_text(plan(exchanges_only_total=75_200.0, best_single="meteora_sol_usdc",
                               best_single_total=75_250.0, saving=91.0))
    assert text.headline == ("buy 500 SOL: pays 75,159.00 USDT · average 150.3180", theme.TEXT)
    assert text.parts[0] == ("beyond the mid: impact 1.50 · fees 70.00 · network 0.00 · delay risk 5.20 · transfer "
                             "0.00 = 76.70 USDT")
    assert text.versus_single == ("vs meteora_sol_usdc alone (75,250.00 USDT): saves +91.00 (+12.1 bps)", theme.GREEN)
    assert text.versus_exchanges == ("vs the exchanges only (75,200.00 USDT): saves +41.00", theme.GREEN)
    assert text.meta == ("reference 150.00 (books (8 of 8)) · 2 of 3 sources · computed in 8.1 ms", theme.TEXT_MUTED)
    assert text.reason == ("", theme.TEXT_MUTED)


def test_the_preview_says_when_no_single_source_or_the_exchanges_cannot_fill_and_why_it_falls_short():
    text = p.preview_text(plan(filled=420.0, reason="every source is at its capacity", fallback=True,
                               reference_source="last known"))
    assert text.headline[0] == "buy 420.000 of 500 SOL: pays 75,159.00 USDT · average 178.9500"
    assert text.versus_single[0] == "no single source can fill 420 SOL alone: the split is the only way"
    assert text.versus_exchanges[0] == "the exchanges alone cannot fill it (their depth or the funds on them)"
    assert text.reason == ("fills 420 of 500 SOL: every source is at its capacity", theme.AMBER)
    assert text.meta[1] == theme.AMBER and text.meta[0].startswith("fallback reference 150.00 (last known)")
    sell = p.preview_text(plan(side="sell", total=-74_900.0))
    assert sell.headline[0] == "sell 500 SOL: receives 74,900.00 USDT · average 149.8000"
    none = p.preview_text(plan(filled=0.0, children=(), reason="no source can take any of it at or better than 1"))
    assert none.headline == ("buy 500 SOL: no route", theme.RED)
    assert none.reason == ("fills 0 of 500 SOL: no source can take any of it at or better than 1", theme.RED)
    assert p.preview_text(None, "computing the route…").headline == ("computing the route…", theme.TEXT_MUTED)
    single = p.preview_text(plan(chosen="single"))
    assert single.versus_single[0] == "all on meteora_sol_usdc: splitting would not pay"


def test_alternatives_list_the_used_sources_first_in_their_colours():
    shown = plan()
    colours = p.source_colours(shown)
    assert colours == {"okx": p.SOURCE_PALETTE[0], "htx": p.SOURCE_PALETTE[1], "meteora_sol_usdc": p.SOURCE_PALETTE[2]}
    rows = p.option_rows(shown, colours)
    assert [r.key for r in rows] == ["meteora_sol_usdc", "okx", "htx"]
    assert rows[1].values == ("okx", "book", "200.000", "240.0", "150.300", "can't fill", "funds: 36,000 USDT on okx")
    assert rows[2].values[2] == ""  # not used
    assert [p.SOURCE_TAGS[r.tag] for r in rows] == [colours["meteora_sol_usdc"], colours["okx"], colours["htx"]]
    assert p.option_tip(shown, "okx") == ("okx (book): takes 200 at 150.3300 all-in; impact 0.50, fees 30.00, "
                                          "network 0.0000, delay risk 0.20 over 0.07 s\nfunds: 36,000 USDT on okx")
    assert p.option_tip(shown, "htx") == "htx (book)\nfunds: 7,600 USDT on htx"
    assert p.option_tip(shown, "nowhere") == "" and p.option_tip(None, "okx") == ""
    assert p.preview_title(shown) == "ROUTE PREVIEW · buy 500 SOL · split"
    assert p.preview_title(None) == "ROUTE PREVIEW"
    alone = plan(options=(SourceOptionView("okx", "book", 900.0, 150.3, 75_300.5, ""),))
    assert p.option_rows(alone, p.source_colours(alone))[0].values[5] == "75,300.50"


def test_the_split_bar_has_a_segment_per_child_largest_first_and_ignores_invisible_changes():
    colours = p.source_colours(plan())
    model = p.split_model(plan(), colours)
    assert [(s.source, s.quantity, s.colour) for s in model.segments] == [
        ("meteora_sol_usdc", 300.0, colours["meteora_sol_usdc"]), ("okx", 200.0, colours["okx"])]
    assert model.unfilled == 0.0
    nudged = plan(children=(PlannedChildView("okx", "book", 200.0000000001, 150.33, 1.0, CostPartsView(), 0.0),
                            PlannedChildView("meteora_sol_usdc", "dlmm", 300.0, 150.3, 1.0, CostPartsView(), 0.8)))
    assert p.split_model(nudged, colours) == model  # the same picture: not redrawn
    short = p.split_model(plan(filled=420.0, children=plan().children[:1] + (
        PlannedChildView("okx", "book", 120.0, 150.33, 1.0, CostPartsView(), 0.0),)), colours)
    assert short.unfilled == pytest.approx(80.0)
    assert p.split_model(None, colours) is None
    assert p.split_label(model.segments[1]) == ("okx 200.0", "okx", "200.0")


def test_the_cost_ladder_marks_where_the_split_stops_on_each_used_source_and_frames_its_level():
    model = p.ladder_model(plan(), p.source_colours(plan()))
    assert [line.source for line in model.lines] == ["okx", "htx", "meteora_sol_usdc"]
    okx, htx, meteora = model.lines
    assert okx.quantities == (0.0, 100.0, 200.0, 240.0) and okx.prices == (150.30, 150.32, 150.35, 150.40)
    assert (okx.planned, okx.planned_price) == (200.0, 150.35)
    assert meteora.planned_price == pytest.approx(150.35)
    assert htx.planned == 0.0 and math.isnan(htx.planned_price)
    assert model.level == pytest.approx(150.35)
    low, high = model.price_range
    assert low <= 150.30 < 150.35 < high  # the best touch and the level, with room above it
    assert high < 150.60  # the htx ladder far beyond the level runs off the top
    assert p.marginal_at((0.0, 10.0), (1.0, 2.0), 5.0) == 1.5
    assert math.isnan(p.marginal_at((0.0, 10.0), (1.0, 2.0), 11.0))
    sell = p.ladder_model(plan(side="sell", children=(
        PlannedChildView("okx", "book", 100.0, 149.9, 1.0, CostPartsView(), 0.0),), options=(
        SourceOptionView("okx", "book", 200.0, 150.0, NAN, "", ((0.0, 150.0), (100.0, 149.9), (200.0, 149.5))),)),
        {"okx": "#ffffff"})
    assert sell.level == pytest.approx(149.9) and sell.price_range[0] < 149.9 < 150.0 <= sell.price_range[1]


def test_the_bin_histogram_highlights_the_active_bin_at_the_pools_mid():
    model = p.bins_model(dlmm())
    assert model.prices == (149.86, 150.01, 150.16, 150.31, 150.46)
    assert model.liquidity == (40_000.0, 45_000.0, 20_000.0, 30_000.0, 25_000.0)
    assert model.active == 2
    assert model.colours() == (p.BIN_BID_COLOUR, p.BIN_BID_COLOUR, p.BIN_ACTIVE_COLOUR, p.BIN_ASK_COLOUR,
                               p.BIN_ASK_COLOUR)
    assert p.bins_model(dlmm(mid=150.30)).active == 3
    assert p.bins_model(view().pools[1]) is None and p.bins_model(None) is None
    widths = p.bin_widths((100.0, 101.0, 102.0, 104.0))
    assert widths == pytest.approx((0.9, 0.9, 0.9, 1.8))
    assert p.dlmm_pool(view(), None, "SOL").name == "meteora_sol_usdc"
    assert p.dlmm_pool(view(), "raydium_sol_usdc", "SOL").name == "meteora_sol_usdc"  # not a DLMM pool


# --- execution ----------------------------------------------------------------------------------------------
def test_order_rows_show_state_filled_average_and_saving_open_first():
    rows = p.order_rows(view())
    assert [r.key for r in rows] == [2, 1]
    assert rows[0].values == ("#2", "buy 500 SOL", "limit 1", "pending", "0/500", "—", "—")
    assert rows[1].values == ("#1", "buy 500 SOL", "market", "filled", "500/500", "150.3179", "—")
    assert rows[0].tag == "warn" and rows[1].tag == "good"
    saved = p.order_rows(view(orders=(order(saving=12.345),)))[0]
    assert saved.values[-1] == "+12.35"


def test_order_detail_shows_the_total_the_saving_and_why_it_waits():
    filled = order(saving=12.5, best_single="meteora_sol_usdc")
    total = filled.filled * filled.average_price
    assert p.order_total(filled) == total
    detail = p.order_detail(filled, 20.0)
    assert detail.splitlines() == ["#1 buy 500 SOL market: filled",
                                   f"filled 500 at 150.3179 average: paid {total:,.2f} USDT",
                                   "saved +12.50 USDT against meteora_sol_usdc alone"]
    waiting = order(2, "pending", order_type="sniper", condition="price at or below 140", expires_at=80.0,
                    reason="waiting: price 150.2 is above 140", children=())
    assert p.order_detail(waiting, 20.0).splitlines() == [
        "#2 buy 500 SOL sniper: pending", "when price at or below 140", "expires in 1:00",
        "waiting: price 150.2 is above 140"]
    assert p.order_total(waiting) == 0.0
    assert p.order_detail(None, 0.0) == "no route yet: send one with the ticket"


def test_children_rows_show_state_source_quantity_expected_average_fee_and_note():
    rows = p.child_rows(order())
    assert rows[0].values == ("r1-1", "filled", "okx", "44.511", "150.350", "150.200", "0.044511 SOL",
                              "market order; expected 150.35, worst 150.951")
    assert rows[0].tag == "good" and rows[1].tag == "bad" and rows[1].values[6] == ""
    partial = p.child_rows(order(children=(child(state="partial", filled=20.0, average_price=150.1),)))[0]
    assert partial.values[3] == "20/44.511" and partial.tag == "warn"
    assert p.short_fee("0.00002500 SOL") == "0.000025 SOL" and p.short_fee("") == ""
    assert p.child_note(order(), "r1-1") == ("r1-1 on okx (book), round 1: filled (average −10.0 bps from expected); "
                                             "market order; expected 150.35, worst 150.951")
    assert p.child_rows(None) == []


def test_titles_and_the_history_saving():
    assert p.execution_title(view()) == "EXECUTION · 1 filled, 1 pending"
    assert p.execution_title(None) == "EXECUTION · no route yet"
    assert p.saved_text(view()) == ("saved +12.50 USDT against the best single source, over every routed order",
                                    theme.GREEN)
    assert p.saved_text(view(saved_total=0.0))[1] == theme.TEXT_MUTED


# --- pools ------------------------------------------------------------------------------------------------------
def test_pool_rows_flag_a_gap_wider_than_the_fee():
    rows = p.pool_rows(view())
    assert rows[0].values == ("meteora_sol_usdc", "dlmm", "150.160", "+0.0", "10.0", "12.9k / 2.02M")
    assert rows[1].values == ("raydium_sol_usdc", "amm_v4", "149.870", "−19.5", "25.0", "40.0k / 6.00M")
    assert rows[0].tag == rows[1].tag == "neutral"  # within their fees
    wide = p.pool_rows(view(pools=(dlmm(gap_bps=-12.0),)))[0]
    assert wide.tag == "warn"  # an arbitrageur would act
    detail = p.pool_detail(dlmm())
    assert detail == ("meteora_sol_usdc · dlmm SOL/USDC · mid 150.1600 vs the exchanges' 150.1600 (+0.0 bps) · fee "
                      "10.00 bps\nreserves 12,899.750 SOL + 2,024,971.70 USDC · active bin -1897 · bin step 10 bps "
                      "· 5 bins shown")
    assert p.pool_detail(None) == ""


def test_otc_wallet_and_the_quote_endpoint():
    assert [r.values for r in p.otc_rows(view())] == [
        ("otc_swift", "SOL", "33,333.3", "166.7→13,333.3", "9.1", "3 s")]
    assert p.otc_rows(view(otc=(OtcView("otc_block", "BTC", 0.0, 1.0, 10.0, 13.7, 15.0),)))[0].tag == "dim"
    assert p.wallet_text(view()) == "10.000 SOL\n50,000.00 USDC"
    assert p.wallet_text(view(wallet=MappingProxyType({}))) == "the Solana wallet is empty"
    assert p.endpoint_text(view()) == ("quote endpoint: off (router.quote_endpoint = false)", theme.TEXT_MUTED)
    assert p.endpoint_text(view(quote_endpoint="http://127.0.0.1:8787/quote")) == (
        "quote endpoint: http://127.0.0.1:8787/quote", theme.TEXT)
    assert [p.compact(v) for v in (5.0, 12.34, 999.0, 1_234.0, 12_899.75, 2_024_971.7, -3_500.0)] == [
        "5.00", "12.3", "999", "1.23k", "12.9k", "2.02M", "−3.50k"]
