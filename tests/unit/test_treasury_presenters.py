"""The treasury page's presenters: the balance heatmap and the exact balances against targets, transfer rows,
the ticket's preview."""

from decimal import Decimal
from types import MappingProxyType

import pytest

from octo_desktop.config import WALLET, builtin_config
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


def test_a_deviation_is_measured_in_band_units_short_below_zero_long_above():
    assert p.band_units(1.0, 0.5, 0.2) == 0.0
    assert p.band_units(0.9, 0.5, 0.2) == pytest.approx(-0.5)  # half way to the inner band
    assert p.band_units(0.8, 0.5, 0.2) == pytest.approx(-1.0)  # at the inner band
    assert p.band_units(0.65, 0.5, 0.2) == pytest.approx(-1.5)  # half way between the bands
    assert p.band_units(0.5, 0.5, 0.2) == pytest.approx(-2.0)  # at the upper band
    assert p.band_units(0.0, 0.5, 0.2) == pytest.approx(-3.0)  # empty
    assert p.band_units(1.35, 0.5, 0.2) == pytest.approx(1.5)
    assert p.band_units(2.0, 0.5, 0.2) == pytest.approx(3.0)
    assert p.band_units(3.2, 0.5, 0.2) == pytest.approx(5.4)  # not clipped: only the colour saturates


def test_band_colours_diverge_red_short_blue_long_and_stay_neutral_inside_the_inner_band():
    neutral = p.band_colour(0.0)
    assert p.band_colour(-0.99) == p.band_colour(0.99) == p.band_colour(-1.0) == p.band_colour(1.0) == neutral
    red, amber, blue, dim_blue = p.band_colour(-2.5), p.band_colour(-1.5), p.band_colour(2.5), p.band_colour(1.5)
    assert len({neutral, red, amber, blue, dim_blue, p.NO_TARGET_COLOUR}) == 6

    def rgb(colour):
        return tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))

    assert rgb(red)[0] > rgb(red)[2] + 60 and rgb(blue)[2] > rgb(blue)[0] + 60  # red short, blue long
    assert rgb(amber)[0] > rgb(amber)[2] and rgb(dim_blue)[2] > rgb(dim_blue)[0]
    assert p.band_colour(-2.0001) != p.band_colour(-2.0)  # a step at the upper band's edge
    assert sum(rgb(p.band_colour(-3.0))) > sum(rgb(p.band_colour(-2.0001)))  # the further off, the stronger
    assert p.band_colour(9.0) == p.band_colour(3.0) and p.band_colour(-9.0) == p.band_colour(-3.0)
    assert p.band_colour(None) == p.band_colour(float("nan")) == p.NO_TARGET_COLOUR
    assert p.band_ticks(0.5, 0.2) == ((-3.0, "0%"), (-2.0, "50%"), (-1.0, "80%"), (1.0, "120%"), (2.0, "150%"),
                                      (3.0, "200%+"))


def test_the_balance_heatmap_has_a_row_per_venue_then_the_wallet_and_a_column_per_asset():
    targets = MappingProxyType({("okx", "USDT"): Decimal("1000"), ("okx", "BTC"): Decimal("0.1"),
                                ("gate", "USDT"): Decimal("1000"), ("gate", "BTC"): Decimal("0.1")})
    balances = {"okx": {"USDT": Decimal("400"), "BTC": Decimal("0.16")}, "gate": {"USDT": Decimal("1100")},
                WALLET: {"USDT": Decimal("20000"), "BTC": Decimal("0.1")}}
    model = p.balance_heatmap(view(targets=targets), balances, ("okx", "gate"), ("BTC", "USDT"), 0.5, 0.2)
    assert model.places == ("okx", "gate", WALLET) and model.assets == ("BTC", "USDT")
    assert model.deviations[0] == (pytest.approx(2.2), pytest.approx(-2.2))  # 160 %, 40 %
    assert model.deviations[1] == (pytest.approx(-3.0), pytest.approx(0.5))  # none held, 110 %
    assert model.deviations[2] == (None, None)  # the wallet has no target
    assert model.cell("okx", "USDT") == ("400.00", "40%", p.band_colour(-2.2))
    assert model.cell("okx", "BTC") == ("0.16000", "160%", p.band_colour(2.2))
    assert model.cell("gate", "BTC") == ("0.00000", "0%", p.band_colour(-3.0))
    assert model.cell("gate", "USDT")[1:] == ("110%", p.band_colour(0.0))
    assert model.cell(WALLET, "USDT") == ("20,000.00", p.NO_TARGET_TEXT, p.NO_TARGET_COLOUR)
    # Without a treasury view yet nothing has a target.
    assert p.balance_heatmap(None, balances, ("okx",), ("USDT",), 0.5, 0.2).cell("okx", "USDT")[1:] == (
        p.NO_TARGET_TEXT, p.NO_TARGET_COLOUR)


def test_the_balance_heatmap_is_the_same_picture_until_a_shown_value_changes():
    targets = MappingProxyType({("okx", "USDT"): Decimal("1000")})

    def model(amount):
        return p.balance_heatmap(view(targets=targets), {"okx": {"USDT": Decimal(amount)}}, ("okx",), ("USDT",),
                                 0.5, 0.2)

    assert model("400").same_as(model("400")) and model("400.001").same_as(model("400"))  # shown at 2 decimals
    assert not model("401").same_as(model("400")) and not model("400").same_as(None)
    assert not model("400").same_as(p.balance_heatmap(view(targets=targets), {"okx": {"USDT": Decimal(400)}},
                                                      ("okx",), ("USDT",), 0.6, 0.2))  # other bands


def test_the_exact_balances_under_the_heatmap_are_coloured_by_the_same_bands():
    targets = MappingProxyType({("okx", "USDT"): Decimal("1000"), ("okx", "BTC"): Decimal("1"),
                                ("okx", "ETH"): Decimal("1"), ("okx", "SOL"): Decimal("1")})
    balances = {"okx": {"USDT": Decimal("400"), "BTC": Decimal("0.7"), "ETH": Decimal("1.1"), "SOL": Decimal("1.6")},
                WALLET: {"USDT": Decimal("700")}}
    rows = p.funds_rows(p.balance_heatmap(view(targets=targets), balances, ("okx",), ("USDT", "BTC", "ETH", "SOL"),
                                          0.5, 0.2))
    assert rows[0] == ("okx", [("400.00", theme.RED), ("0.70000", theme.AMBER), ("1.1000", theme.TEXT),
                               ("1.600", theme.PNL_MARKED)])
    assert rows[1] == (WALLET, [("700.00", theme.TEXT), ("0.00000", theme.TEXT), ("0.0000", theme.TEXT),
                                ("0.000", theme.TEXT)])


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
    assert "binance pays 1000.80000000 USDT; fee from built-in, 2026-12" in text and "TRC20: cost" in text
    # The routes in effect in the engine (a venue's live figures) win over the config's.
    from dataclasses import replace

    live = {venue: dict(spec.networks) for venue, spec in config.venues.items()}
    live["binance"]["USDT"] = dict(live["binance"]["USDT"])
    live["binance"]["USDT"]["BEP20"] = replace(live["binance"]["USDT"]["BEP20"], fee=Decimal("0.05"),
                                               source="binance via ccxt fetch_currencies, 2026-12-06 00:30 UTC")
    text, ok = p.ticket_preview(config, marks, "binance", "okx", "USDT", "1000", p.AUTO, live)
    assert ok and text.startswith("BEP20: fee 0.05000000 USDT") and "fee from binance via ccxt" in text
    text, ok = p.ticket_preview(config, marks, "wallet", "okx", "BTC", "0.01", "BTC")
    assert ok and "fee 0.00020000 BTC (12.00 USDT)" in text
    assert p.ticket_preview(config, marks, "binance", "okx", "USDT", "5", "ERC20") == (
        "5 USDT is below binance's ERC20 minimum of 20", False)
    assert p.ticket_preview(config, marks, "okx", "okx", "USDT", "5", p.AUTO)[1] is False
    assert p.ticket_preview(config, marks, "okx", "gate", "USDT", "-3", p.AUTO) == ("the amount must be positive",
                                                                                    False)
