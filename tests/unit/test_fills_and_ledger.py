from decimal import Decimal

import pytest

from octo_desktop.config import SymbolSpec
from octo_desktop.domain.fills import IOC_LIMIT, MARKET, OrderRequest, fill_taker_order, floor_to_lot
from octo_desktop.domain.ledger import InsufficientBalance, Ledger, asset_changes
from octo_desktop.domain.model import BUY, SELL, Trade

SPEC = SymbolSpec("BTC/USDT", tick_size=Decimal("0.01"), lot_size=Decimal("0.001"), min_notional=Decimal("5"))
RATE = Decimal("0.001")
ASKS = [(100.0, 0.5), (100.5, 0.3004), (101.0, 5.0)]
BIDS = [(99.9, 0.2), (99.8, 1.0)]


def order(side, quantity, order_type=IOC_LIMIT, limit=None, trade_id=1, venue="okx"):
    return OrderRequest(trade_id, venue, "BTC/USDT", side, Decimal(quantity), order_type, limit)


def test_ioc_buy_walks_levels_up_to_its_limit_and_leaves_a_partial_fill():
    result = fill_taker_order(ASKS, order(BUY, "1.000", limit=100.6), SPEC, RATE, time=5.0)
    assert [(f.price, f.quantity) for f in result.fills] == [(Decimal("100.00"), Decimal("0.500")),
                                                            (Decimal("100.50"), Decimal("0.300"))]
    assert result.filled_quantity == Decimal("0.800") and not result.is_complete
    assert result.taken == ((100.0, 0.5), (100.5, 0.3))
    assert all(f.time == 5.0 and f.liquidity == "taker" and f.order_type == IOC_LIMIT for f in result.fills)


def test_level_sizes_are_floored_to_the_lot_size():
    result = fill_taker_order(ASKS, order(BUY, "0.900", MARKET), SPEC, RATE, time=0.0)
    # 0.3004 at 100.5 is only 0.300 in lots; the rest comes from 101.0.
    assert [f.quantity for f in result.fills] == [Decimal("0.500"), Decimal("0.300"), Decimal("0.100")]


def test_buy_fee_is_charged_in_base_and_sell_fee_in_quote_rounded_up():
    buy = fill_taker_order(ASKS, order(BUY, "0.500", MARKET), SPEC, RATE, time=0.0).fills[0]
    assert (buy.fee, buy.fee_asset) == (Decimal("0.00050000"), "BTC")
    sell = fill_taker_order(BIDS, order(SELL, "0.123", MARKET), SPEC, RATE, time=0.0).fills[0]
    assert sell.fee_asset == "USDT"
    assert sell.fee == Decimal("0.01228770")  # 0.123 * 99.90 * 0.001 = 0.0122877


def test_order_below_min_notional_or_off_lot_is_refused_whole():
    small = fill_taker_order(ASKS, order(BUY, "0.040", MARKET), SPEC, RATE, time=0.0)
    assert small.fills == () and "minimum" in small.rejected_reason
    off_lot = fill_taker_order(ASKS, order(BUY, "0.0405", MARKET), SPEC, RATE, time=0.0)
    assert off_lot.fills == () and "lot size" in off_lot.rejected_reason


def test_floor_to_lot_is_exact():
    assert floor_to_lot(0.30049999, Decimal("0.001")) == Decimal("0.300")
    assert floor_to_lot(Decimal("1.2345"), Decimal("0.01")) == Decimal("1.23")


def test_ledger_change_across_venues_equals_fills_minus_fees_exactly():
    start = {"okx": {"USDT": Decimal("10000"), "BTC": Decimal("1")},
             "htx": {"USDT": Decimal("10000"), "BTC": Decimal("1")}}
    ledger = Ledger(start)
    buy = fill_taker_order(ASKS, order(BUY, "0.800", MARKET, venue="okx"), SPEC, RATE, 1.0).fills
    sell = fill_taker_order(BIDS, order(SELL, "0.800", MARKET, venue="htx"), SPEC, RATE, 1.0).fills
    fills = buy + sell
    before = ledger.totals()
    ledger.apply_all(fills)
    after = ledger.totals()
    changes = asset_changes(fills)
    for asset in ("USDT", "BTC"):
        assert after[asset] - before[asset] == changes[asset]
    bought = sum(f.quantity for f in buy)
    assert ledger.balance("okx", "BTC") == Decimal("1") + bought - sum(f.fee for f in buy)
    assert ledger.balance("htx", "USDT") == Decimal("10000") + sum(f.notional - f.fee for f in sell)


def test_trade_realized_pnl_is_cash_flow_minus_fees_in_quote():
    buy = fill_taker_order(ASKS, order(BUY, "0.500", MARKET), SPEC, RATE, 1.0).fills
    sell = fill_taker_order([(101.0, 1.0)], order(SELL, "0.500", MARKET, venue="htx"), SPEC, RATE, 1.0).fills
    trade = Trade(1, 1, "BTC/USDT", "okx", "htx", Decimal("0.5"), 0.0, 10.0).with_fills(buy + sell)
    # Sold 0.5 @ 101 = 50.5, bought 0.5 @ 100 = 50; fees 0.0005 BTC @ 100 = 0.05 and 0.0505 USDT.
    assert trade.realized_pnl == Decimal("50.5") - Decimal("50") - Decimal("0.05") - Decimal("0.0505")
    assert trade.matched_quantity == Decimal("0.500")


def test_reservation_cannot_overdraw_and_release_frees_it():
    ledger = Ledger({"okx": {"USDT": Decimal("100")}})
    ledger.reserve("t1", "okx", "USDT", Decimal("60"))
    with pytest.raises(InsufficientBalance, match="insufficient USDT on okx"):
        ledger.reserve("t2", "okx", "USDT", Decimal("50"))
    ledger.release("t1")
    assert ledger.available("okx", "USDT") == Decimal("100")


def test_a_market_float_enters_the_ledger_as_the_decimal_a_trader_reads():
    from octo_desktop.domain.money import cents, exact, notional

    assert exact(0.1) == Decimal("0.1") and Decimal(0.1) != Decimal("0.1")
    assert exact(Decimal("2.50")) == Decimal("2.50")
    assert notional(Decimal("0.03333"), 60012.5) == Decimal("2000.216625")
    assert cents(Decimal("2000.215")) == Decimal("2000.22") and cents(Decimal("2000.225")) == Decimal("2000.22")
    assert exact(float("nan")).is_nan()


def _trade_with(*fills):
    from octo_desktop.domain.model import Fill

    made = tuple(Fill(1, venue, "ETH/USDT", side, Decimal(price), Decimal(quantity), Decimal(fee), "USDT", "taker",
                      MARKET, 1.0, purpose) for venue, side, price, quantity, fee, purpose in fills)
    return Trade(trade_id=1, opportunity_id=1, symbol="ETH/USDT", buy_venue="gate", sell_venue="mexc",
                 planned_quantity=Decimal("1"), opened_at=0.0, expected_bps=10.0, fills=made)


def test_a_position_left_open_is_inventory_not_profit():
    # The sell leg filled, the buy leg found nothing and the unwind never answered: 3026 USDT received
    # for 1 ETH still owed is not a gain of 3026.
    short = _trade_with(("mexc", SELL, "3026", "1", "1.5", "entry"))
    assert short.net_quantity == -1 and short.realized_pnl == Decimal("-1.5")
    # Bought 1 at 100, unwound 0.6 at 99: the 0.4 still held is worth what it cost; 0.6 lost 1 each.
    long = _trade_with(("gate", BUY, "100", "1", "0.1", "entry"), ("gate", SELL, "99", "0.6", "0.06", "unwind"))
    assert long.net_quantity == Decimal("0.4") and long.realized_pnl == Decimal("-0.6") - Decimal("0.16")
    # Flat: every unit bought was sold, and the P&L is the cash.
    flat = _trade_with(("gate", BUY, "100", "1", "0.1", "entry"), ("mexc", SELL, "101", "1", "0.1", "entry"))
    assert flat.net_quantity == 0 and flat.realized_pnl == Decimal("1") - Decimal("0.2")
