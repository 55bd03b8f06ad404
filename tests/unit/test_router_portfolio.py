"""The account with the router's accounts in it: stablecoins at par, and routed positions not counted as
arbitrage exposure (the fills are the trader's chosen positions)."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

from octo_desktop.domain.attribution import Attribution
from octo_desktop.domain.model import Fill
from octo_desktop.engine.portfolio import Portfolio


def state(fills=()):
    return SimpleNamespace(fills=tuple(fills), transfers=(), realized_pnl=Decimal(0), fees_in_quote=Decimal(0),
                           attribution=Attribution(), equity_history=())


def fill(purpose, venue="solana", symbol="SOL/USDC", quantity="10", price="150"):
    return Fill(-1, venue, symbol, "buy", Decimal(price), Decimal(quantity), Decimal("0.000025"), "SOL", "taker",
                "swap", 1.0, purpose, "r1-1")


INITIAL = {"solana": {"USDC": Decimal(50000), "SOL": Decimal(10)}, "okx": {"USDT": Decimal(1000), "SOL": Decimal(5)}}


def test_usdc_is_worth_one_and_a_routed_buy_is_no_exposure():
    portfolio = Portfolio(INITIAL, state([fill("route")]), {"SOL": 150.0}, store=None)
    # 50000 - 1500 USDC + 20 - 0.000025 SOL, 1000 USDT + 5 SOL
    expected = 48500 + (20 - 0.000025) * 150 + 1000 + 5 * 150
    assert abs(portfolio.equity() - expected) < 1e-6
    assert portfolio.equity_exact() == Decimal(48500) + (Decimal(20) - Decimal("0.000025")) * 150 + 1000 + 750
    assert portfolio.exposure_usdt() == {"SOL": Decimal("0.00")}  # 10 SOL bought on purpose (its fee too)


def test_the_same_fill_from_arbitrage_is_exposure():
    portfolio = Portfolio(INITIAL, state([fill("entry")]), {"SOL": 150.0}, store=None)
    assert portfolio.exposure_usdt()["SOL"] == Decimal("1500.00")  # 10 SOL less a fee of 0.000025, at 150
