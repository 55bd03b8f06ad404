"""The rebalancer on a real ledger: it waits for enough flow history, refills where the flow uses an asset
up, counts what is in flight so a deficit is refilled once, and keeps the moves its cost gate refuses out."""

from decimal import Decimal

import numpy as np
import pytest

from octo_desktop.config import builtin_config
from octo_desktop.desks.treasury.rebalancer import MIN_HISTORY_S, SAMPLE_INTERVAL_S, Rebalancer
from octo_desktop.domain.ledger import Ledger
from octo_desktop.config import WALLET
from octo_desktop.treasury.networks import choose_route, wallet_networks

VENUES = ("binance", "okx", "bybit")


class Account:
    """The parts of ``Portfolio`` the rebalancer reads."""

    def __init__(self):
        self.ledger = Ledger({v: {"USDT": Decimal("10000")} for v in VENUES})
        self.marks = {"BTC": 60000.0, "ETH": 3000.0, "SOL": 150.0}
        self.realized_pnl = Decimal(0)


def make(overrides=()):
    config = builtin_config(["treasury.collect_profit=false", "venues.kucoin.enabled=false", "venues.gate.enabled=false", "venues.mexc.enabled=false",
                             "venues.bitget.enabled=false", "venues.htx.enabled=false", *overrides])
    account = Account()
    sent, flying = [], {}

    def networks(venue, asset):
        if venue == WALLET:
            return wallet_networks((v.networks[asset] for v in config.venues.values()), WALLET)
        return config.venues[venue].networks[asset]

    def quote(source, destination, asset, amount):
        return choose_route(asset, amount, networks(source, asset), networks(destination, asset), 1.0,
                            config.treasury.carry_bps_per_hour, 60.0)

    def transfer(source, destination, asset, amount, network, purpose, now):
        sent.append((source, destination, asset, amount, purpose))
        account.ledger.move_out(source, asset, amount)  # withdrawn at once (the fee aside), credited later
        flying[destination] = flying.get(destination, Decimal(0)) + amount

    rebalancer = Rebalancer(lambda: config, account, transfer, quote,
                            lambda venue, asset: flying.get(venue, Decimal(0)) if asset == "USDT" else Decimal(0))
    return rebalancer, account, sent, flying


def drain(account, now, rate_per_s, venue="okx", source="binance"):
    """The opportunity flow: ``venue`` spends USDT that ``source`` earns, and the account makes money."""
    step = Decimal(repr(rate_per_s * SAMPLE_INTERVAL_S))
    account.ledger.move_out(venue, "USDT", min(step, account.ledger.balance(venue, "USDT")))
    account.ledger.move_in(source, "USDT", step)
    account.realized_pnl += Decimal("0.5")


def test_it_waits_for_enough_history_then_refills_the_venue_the_flow_drains_once():
    rebalancer, account, sent, flying = make()
    start = 1_000.0
    now = start
    while now < start + MIN_HISTORY_S:
        rebalancer.on_clock(now, ("USDT",), halted=False)
        drain(account, now, 12.0)  # okx loses 360 USDT every 30 s
        now += SAMPLE_INTERVAL_S
    assert sent == []  # ten minutes of flow are not enough to act on
    while now < start + 1800 and not sent:
        rebalancer.on_clock(now, ("USDT",), halted=False)
        drain(account, now, 12.0)
        now += SAMPLE_INTERVAL_S
    assert sent and sent[0][:3] == ("binance", "okx", "USDT") and sent[0][4] == "rebalance"
    to_okx = [move for move in sent if move[1] == "okx"]
    # The same deficit is not refilled again while the transfers are in flight: they count as arrived.
    # (As the flow stops, the targets even out, and a donor may be refilled in turn: that is not okx.)
    for _ in range(30):
        rebalancer.on_clock(now, ("USDT",), halted=False)
        now += SAMPLE_INTERVAL_S
    assert [move for move in sent if move[1] == "okx"] == to_okx
    assert rebalancer.made == len(sent) and any(r.made for r in rebalancer.log)
    assert rebalancer.forecast(now)[0][3].startswith("okx USDT: ")


def test_nothing_moves_while_halted_or_when_rebalancing_is_off_or_the_edge_does_not_pay():
    for overrides, halted in (((), True), (("treasury.rebalance=false",), False)):
        rebalancer, account, sent, _ = make(overrides)
        now = 0.0
        for _ in range(100):
            rebalancer.on_clock(now, ("USDT",), halted=halted)
            drain(account, now, 12.0)
            now += SAMPLE_INTERVAL_S
        assert sent == [] and rebalancer.made == 0
    # A flow that makes no money: no move restores an edge worth its fee; the refusal is logged once per interval.
    rebalancer, account, sent, _ = make()
    now = 0.0
    for _ in range(100):
        rebalancer.on_clock(now, ("USDT",), halted=False)
        drain(account, now, 12.0)
        account.realized_pnl = Decimal(0)
        now += SAMPLE_INTERVAL_S
    assert sent == [] and rebalancer.log
    reasons = [r.reason for r in rebalancer.log]
    assert all(not r.made for r in rebalancer.log) and "is not covered by the 0.0 USDT edge" in reasons[0]
    times = sorted(r.time for r in rebalancer.log if (r.from_venue, r.to_venue) == ("binance", "okx"))
    assert all(later - earlier >= 300.0 for earlier, later in zip(times, times[1:]))


def test_realized_profit_is_collected_to_the_wallet_once_it_reaches_the_minimum_and_not_twice():
    rebalancer, account, sent, _ = make(["treasury.collect_profit=true"])
    now = 0.0
    for _ in range(30):  # 15 minutes of a flow that makes 0.5 USDT per sample
        rebalancer.on_clock(now, ("USDT",), halted=False)
        drain(account, now, 1.0)
        now += SAMPLE_INTERVAL_S
    assert not [m for m in sent if m[1] == WALLET]  # 15 USDT of profit: under the 1000 minimum
    account.realized_pnl += Decimal("1500")
    while now < 3000.0:
        rebalancer.on_clock(now, ("USDT",), halted=False)
        now += SAMPLE_INTERVAL_S
    collected = [m for m in sent if m[1] == WALLET]
    assert len(collected) == 1 and collected[0][4] == "collect"
    assert collected[0][3] <= account.realized_pnl and collected[0][3] >= Decimal("1000")
    assert rebalancer.collected == collected[0][3]
    assert collected[0][0] == "binance"  # the flow piles USDT up there: the most over its target


def test_transfer_costs_price_each_pair_from_fees_batches_and_how_one_way_the_flow_is():
    one_way, account, _, _ = make(["treasury.rebalance=false"])
    both_ways, other, _, _ = make(["treasury.rebalance=false"])
    now = 1_000.0
    for step in range(20):
        one_way.on_clock(now, ("USDT",), halted=False)
        both_ways.on_clock(now, ("USDT",), halted=False)
        drain(account, now, 12.0)  # okx pays, binance earns, always
        if step % 2:  # the same amounts, turning round every sample
            drain(other, now, 12.0)
        else:
            drain(other, now, 12.0, venue="binance", source="okx")
        now += SAMPLE_INTERVAL_S
    config = one_way._config_of()
    venues = config.venue_names
    okx, binance = venues.index("okx"), venues.index("binance")
    matrices, basis = one_way.transfer_costs(config)
    assert set(matrices) == set(config.symbols) and "USDT: one-way 100%" in basis
    # Buying BTC on okx and selling it on binance: BTC goes okx -> binance, USDT binance -> okx. BTC has
    # no measured flow (one-way share 1) and no target (a minimum batch); USDT drained one way (share 1).
    settings = config.treasury
    usdt_batch = max(settings.min_transfer_usdt,
                     (settings.upper_band - settings.inner_band) * float(one_way.targets[("okx", "USDT")]))
    btc_amount = Decimal(repr(settings.min_transfer_usdt / account.marks["BTC"])).quantize(Decimal("0.000001"),
                                                                                          rounding="ROUND_FLOOR")
    btc_fee = float(one_way._quote("okx", "binance", "BTC", btc_amount)[0].fee_quote)
    usdt_fee = float(one_way._quote("binance", "okx", "USDT", Decimal(repr(usdt_batch)).quantize(Decimal("0.01"),
                                                                                               rounding="ROUND_FLOOR"))[0].fee_quote)
    expected = 1e4 * (btc_fee / settings.min_transfer_usdt + usdt_fee / usdt_batch)
    assert matrices["BTC/USDT"][okx, binance] == pytest.approx(expected)
    # Flow that keeps turning round needs fewer transfers per unit traded: its USDT term is smaller.
    reversed_matrices, _ = both_ways.transfer_costs(config)
    assert reversed_matrices["BTC/USDT"][okx, binance] < matrices["BTC/USDT"][okx, binance]
    assert np.isnan(np.diag(matrices["ETH/USDT"])).all()


def test_the_wallet_refills_what_the_venues_cannot_spare_and_only_that():
    rebalancer, account, sent, _ = make(["treasury.floor_share=1.0"])  # even targets
    account.ledger.move_in(WALLET, "USDT", Decimal("20000"))
    now = 1_000.0
    while now < 1_000.0 + 1800:
        before = {v: account.ledger.balance(v, "USDT") for v in VENUES}
        rebalancer.on_clock(now, ("USDT",), halted=False)
        if sent:
            break
        account.ledger.move_out("okx", "USDT", min(Decimal("360"), before["okx"]))  # spent on base: no venue gains
        account.realized_pnl += Decimal("0.5")
        now += SAMPLE_INTERVAL_S
    # okx fell beyond the upper band while binance and bybit sit inside their inner bands (even targets of a
    # shrinking total): they have nothing to spare, so the wallet refills okx to its floor, and only okx.
    total = sum(before.values(), Decimal(0))
    assert before["binance"] < total / 3 * Decimal("1.2") + 1000
    assert [(s, d, a, p) for s, d, a, _, p in sent] == [(WALLET, "okx", "USDT", "rebalance")]
    assert before["okx"] + sent[0][3] == pytest.approx(total / 3 * Decimal("0.8"), abs=Decimal("0.05"))
    assert any(r.made and r.from_venue == WALLET for r in rebalancer.log)
