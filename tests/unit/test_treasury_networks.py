"""Withdrawal networks: the fee, the refusals and the choice of chain by fee plus the carry of time in flight."""

from decimal import Decimal

import pytest

from octo_desktop.config import builtin_config
from octo_desktop.treasury.networks import Chain, Network, TransferRefused, choose_route, quote_routes

TRC20 = Chain("TRC20", 3.0, 20, 20)
ERC20 = Chain("ERC20", 12.0, 12, 64)
BTC = Chain("BTC", 600.0, 2, 3, random_blocks=True)


def net(venue, chain, fee, minimum="0", share="0", withdraw=True, deposit=True, asset="USDT"):
    return Network(venue, asset, chain, Decimal(fee), Decimal(share), Decimal(minimum), withdraw, deposit, "test")


def routes(venue, *networks):
    return {n.chain.name: n for n in networks if n.venue == venue}


def test_the_fee_is_fixed_plus_a_share_rounded_up_to_the_satoshi():
    assert net("a", TRC20, "1", share="0.001").fee_for(Decimal("1000")) == Decimal("2.00000000")
    assert net("a", TRC20, "0", share="0.000000001").fee_for(Decimal("1")) == Decimal("0.00000001")


def test_the_cheapest_chain_wins_and_the_time_in_flight_is_a_cost():
    source = routes("a", net("a", TRC20, "1"), net("a", ERC20, "4"))
    destination = routes("b", net("b", TRC20, "1"), net("b", ERC20, "4"))
    chosen, quotes = choose_route("USDT", Decimal("1000"), source, destination, 1.0, 2.0, 60.0)
    assert chosen.chain == "TRC20" and [q.chain for q in quotes] == ["TRC20", "ERC20"]
    # 60 s processing + 20 blocks of 3 s, at 2 bps an hour on 1000 USDT
    assert chosen.seconds_to_credit == 120.0 and chosen.fee_quote == Decimal("1")
    assert chosen.carry_quote == pytest.approx(Decimal("1000") * Decimal("0.0002") * Decimal(120) / 3600)
    assert chosen.cost_quote == chosen.fee_quote + chosen.carry_quote
    # A large amount on a slow chain: the carry outweighs a lower fee.
    slow = Chain("SLOW", 600.0, 6, 6)
    source = routes("a", net("a", slow, "0.5"), net("a", TRC20, "1"))
    destination = routes("b", net("b", slow, "0.5"), net("b", TRC20, "1"))
    small, _ = choose_route("USDT", Decimal("100"), source, destination, 1.0, 2.0, 60.0)
    large, _ = choose_route("USDT", Decimal("1000000"), source, destination, 1.0, 2.0, 60.0)
    assert (small.chain, large.chain) == ("SLOW", "TRC20")


@pytest.mark.parametrize("source, destination, amount, reason", [
    ([net("a", TRC20, "1", withdraw=False)], [net("b", TRC20, "1")], "100", "a has withdrawals of USDT on TRC20 disabled"),
    ([net("a", TRC20, "1")], [net("b", TRC20, "1", deposit=False)], "100", "b has deposits of USDT on TRC20 disabled"),
    ([net("a", TRC20, "1")], [net("b", ERC20, "4")], "100", "the destination has no TRC20 route"),
    ([net("a", TRC20, "1", minimum="10")], [net("b", TRC20, "1")], "5", "5 USDT is below a's TRC20 minimum of 10"),
    ([net("a", TRC20, "1")], [net("b", TRC20, "1")], "1", "fee of 1.00000000 USDT is not less than the amount"),
])
def test_a_transfer_that_no_chain_can_carry_is_refused_with_why(source, destination, amount, reason):
    with pytest.raises(TransferRefused) as caught:
        choose_route("USDT", Decimal(amount), routes("a", *source), routes("b", *destination), 1.0, 2.0, 60.0)
    assert reason in str(caught.value) and "\n" not in str(caught.value)


def test_a_named_chain_is_used_or_refused_and_the_others_are_still_quoted():
    source = routes("a", net("a", TRC20, "1"), net("a", ERC20, "4"))
    destination = routes("b", net("b", TRC20, "1"), net("b", ERC20, "4", deposit=False))
    chosen, quotes = choose_route("USDT", Decimal("500"), source, destination, 1.0, 2.0, 60.0, chain="TRC20")
    assert chosen.chain == "TRC20" and quotes[-1].refused == "b has deposits of USDT on ERC20 disabled"
    with pytest.raises(TransferRefused, match="deposits of USDT on ERC20 disabled"):
        choose_route("USDT", Decimal("500"), source, destination, 1.0, 2.0, 60.0, chain="ERC20")
    with pytest.raises(TransferRefused, match=r"no BEP20 network for USDT on the source venue \(it has ERC20, TRC20\)"):
        choose_route("USDT", Decimal("500"), source, destination, 1.0, 2.0, 60.0, chain="BEP20")


def test_bad_amounts_and_prices_are_refused():
    source, destination = routes("a", net("a", TRC20, "1")), routes("b", net("b", TRC20, "1"))
    for amount in ("0", "-5"):
        with pytest.raises(TransferRefused, match="must be positive"):
            quote_routes("USDT", Decimal(amount), source, destination, 1.0, 2.0, 60.0)
    with pytest.raises(TransferRefused, match="no price for USDT"):
        quote_routes("USDT", Decimal("5"), source, destination, float("nan"), 2.0, 60.0)
    with pytest.raises(TransferRefused, match="no withdrawal network for SOL"):
        choose_route("SOL", Decimal("5"), {}, destination, 150.0, 2.0, 60.0)


def test_a_chain_needs_a_positive_block_time_and_ordered_thresholds():
    with pytest.raises(ValueError, match="block time"):
        Chain("X", 0.0, 1, 1)
    with pytest.raises(ValueError, match="credit confirmations <= unlock"):
        Chain("X", 1.0, 5, 2)


def test_the_built_in_networks_move_every_asset_between_every_pair_of_venues():
    config = builtin_config()
    venues = config.venue_names
    for asset in ("USDT", "BTC", "ETH", "SOL"):
        for a in venues:
            for b in venues:
                if a == b:
                    continue
                price = 1.0 if asset == "USDT" else config.markets[f"{asset}/USDT"].initial_price
                amount = Decimal("1000") / Decimal(repr(price))
                chosen, _ = choose_route(asset, amount, config.venues[a].networks[asset],
                                         config.venues[b].networks[asset], price, config.treasury.carry_bps_per_hour,
                                         config.venues[a].withdrawal_processing_s)
                assert chosen.usable and chosen.fee < amount
    usdt = config.venues["binance"].networks["USDT"]
    assert usdt["TRC20"].fee == Decimal("1.5") and usdt["TRC20"].source == "built-in, 2026-12"
