"""The treasury page's presenters: funds against targets, transfer rows, the ticket's preview."""

from decimal import Decimal
from types import MappingProxyType

from octo_desktop.config import builtin_config
from octo_desktop.domain.snapshot import RebalanceView, TransferView, TreasuryView
from octo_desktop.gui import theme
from octo_desktop.gui.presenters import treasury as p


def view(**extra):
    transfer = TransferView(3, "USDT", "binance", "okx", "TRC20", Decimal("500"), Decimal("1.5"), "confirming",
                            "rebalance", 100.0, 7, 20, 20, 220.0, None, "chose TRC20 fee 1.5 USDT")
    done = TransferView(2, "BTC", "wallet", "mexc", "BTC", Decimal("0.05"), Decimal("0.0002"), "unlocked",
                        "manual", 50.0, 3, 2, 3, 900.0, 1300.0, "")
    fields = dict(transfers=(transfer, done), in_flight=MappingProxyType({"binance": {"USDT": Decimal("500")}}),
                  counts=MappingProxyType({"confirming": 1, "unlocked": 1}), wallet=MappingProxyType({}),
                  targets=MappingProxyType({("okx", "USDT"): Decimal("1000")}),
                  forecast=(("okx", "USDT", 300.0, "okx USDT: 5 min at the last hour's rate"),
                            ("mexc", "SOL", None, "mexc SOL: not being used up")),
                  rebalance_log=(RebalanceView(500.0, "USDT", "binance", "okx", Decimal("500"), True, "fee ok"),))
    fields.update(extra)
    return TreasuryView(**fields)


def test_a_balance_is_coloured_by_the_bands_around_its_target():
    target = Decimal("1000")
    assert p.funds_cell(Decimal("400"), target, "USDT", 0.5, 0.2)[2] == "#5a1e1e"  # under 50 %: red
    assert p.funds_cell(Decimal("700"), target, "USDT", 0.5, 0.2)[2] == "#4d3b12"  # under 80 %: amber
    assert p.funds_cell(Decimal("1100"), target, "USDT", 0.5, 0.2)[2] == theme.PANEL_BG  # within the bands
    assert p.funds_cell(Decimal("1600"), target, "USDT", 0.5, 0.2)[2] == "#1c3550"  # over 150 %: blue
    text, _, bg = p.funds_cell(Decimal("700"), None, "USDT", 0.5, 0.2)
    assert text == "700.00" and bg == theme.PANEL_BG  # the wallet: no target
    assert p.funds_cell(Decimal("400"), target, "USDT", 0.5, 0.2)[0] == "400.00  40%"


def test_transfers_show_their_confirmations_and_when_they_are_or_will_be_credited():
    rows = p.transfer_rows(view(), now=160.0)
    assert rows[0].values == ("#3", "confirming", "500.00 USDT", "binance→okx", "TRC20", "7/20", "in 1:00")
    assert rows[0].tag == "warn"
    assert rows[1].values[5] == "3/2 (3)" and rows[1].tag == "dim" and rows[1].values[6] != "—"
    assert p.transfer_note(view(), 3) == "#3 (rebalance), fee 1.5 USDT: chose TRC20 fee 1.5 USDT"
    assert p.in_flight_text(view()) == "in flight: 500 USDT from binance"
    assert p.in_flight_text(view(in_flight=MappingProxyType({}))) == "nothing in flight"
    assert [r.tag for r in p.forecast_rows(view())] == ["bad", "dim"]
    assert p.rebalance_rows(view())[0].values[3] == "moved"
    assert p.rebalance_title(view()) == "REBALANCING · on · 1 of the last 1 moved"


def test_the_ticket_preview_prices_the_route_or_says_why_not():
    config = builtin_config()
    marks = {"BTC": 60000.0, "ETH": 3000.0, "SOL": 150.0}
    text, ok = p.ticket_preview(config, marks, "binance", "okx", "USDT", "1000", p.AUTO)
    assert ok and text.startswith("BEP20: fee 0.80000000 USDT (0.80 USDT), credited in about")
    assert "binance pays 1000.80000000 USDT" in text and "TRC20: cost" in text
    text, ok = p.ticket_preview(config, marks, "wallet", "okx", "BTC", "0.01", "BTC")
    assert ok and "fee 0.00020000 BTC (12.00 USDT)" in text
    assert p.ticket_preview(config, marks, "binance", "okx", "USDT", "5", "ERC20") == (
        "5 USDT is below binance's ERC20 minimum of 20", False)
    assert p.ticket_preview(config, marks, "okx", "okx", "USDT", "5", p.AUTO)[1] is False
    assert p.ticket_preview(config, marks, "okx", "gate", "USDT", "-3", p.AUTO) == ("the amount must be positive",
                                                                                    False)
