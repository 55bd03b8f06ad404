"""The treasury's configuration: chains, each venue's networks (and the older withdrawal_fees), the wallet."""

from decimal import Decimal

import pytest

from octo_desktop.config import ConfigError, builtin_config, load_config


def test_the_built_in_chains_wallet_and_networks_are_dated_and_complete():
    config = builtin_config()
    chains = config.treasury.chains
    assert set(chains) == {"BTC", "ERC20", "TRC20", "BEP20", "SOL", "ARBITRUM"}
    assert chains["BTC"].random_blocks and not chains["ERC20"].random_blocks
    assert all(c.credit_confirmations <= c.unlock_confirmations for c in chains.values())
    assert dict(config.treasury.wallet) == {"USDT": Decimal("20000.0"), "BTC": Decimal("0.1")}
    for venue in config.venues.values():
        assert set(venue.networks) == {"USDT", "BTC", "ETH", "SOL"} and venue.withdrawal_processing_s > 0
        assert all(n.source == "built-in, 2026-12" for routes in venue.networks.values() for n in routes.values())
        # withdrawal_fees is the fee part of the networks, kept for configs that set it
        assert {a: dict(f) for a, f in venue.withdrawal_fees.items()} == {
            a: {c: n.fee for c, n in routes.items()} for a, routes in venue.networks.items()}


def test_the_config_file_changes_a_route_and_the_older_fee_table_still_sets_fees(tmp_path):
    path = tmp_path / "octo.toml"
    path.write_text("""
[treasury]
carry_bps_per_hour = 5.0
[treasury.chains.TON]
block_time_s = 5.0
credit_confirmations = 1
unlock_confirmations = 1
[treasury.wallet]
USDT = 5000
[venues.okx.networks.USDT.ERC20]
withdraw = false
[venues.okx.networks.USDT.TON]
fee = 0.3
minimum = 1
[venues.binance.withdrawal_fees.USDT]
TRC20 = 2.5
""", encoding="utf-8")
    config = load_config(path)
    okx = config.venues["okx"].networks["USDT"]
    assert not okx["ERC20"].withdraw_enabled and okx["ERC20"].source == "config"
    assert okx["TON"].fee == Decimal("0.3") and okx["TON"].chain.block_time_s == 5.0 and okx["TON"].deposit_enabled
    assert okx["TRC20"].source == "built-in, 2026-12"
    assert config.venues["binance"].networks["USDT"]["TRC20"].fee == Decimal("2.5")
    assert config.treasury.carry_bps_per_hour == 5.0 and dict(config.treasury.wallet) == {"USDT": Decimal("5000"), "BTC": Decimal("0.1")}  # merged


@pytest.mark.parametrize("setting, message", [
    ("venues.okx.networks.USDT.XRP.fee=0.1", "venues.okx.networks.USDT.XRP: unknown chain"),
    ("venues.okx.networks.USDT.TRC20.speed=1", "venues.okx.networks.USDT.TRC20.speed: unknown key"),
    ("venues.okx.networks.USDT.TRC20.fee=-1", "venues.okx.networks.USDT.TRC20.fee: must be >= 0"),
    ('venues.okx.networks.USDT.TRC20.withdraw="no"', "withdraw: must be true or false"),
    ("treasury.chains.BTC.unlock_confirmations=1", "treasury.chains.BTC.unlock_confirmations: must be >="),
    ("treasury.chains.BTC.block_time_s=0", "treasury.chains.BTC.block_time_s: must be >="),
    ("treasury.inner_band=0.6", "treasury.inner_band: must be < upper_band"),
    ("treasury.wallet.USDT=-5", "treasury.wallet.USDT: must be >= 0"),
])
def test_a_bad_treasury_setting_is_one_clear_line(setting, message):
    with pytest.raises(ConfigError) as caught:
        builtin_config([setting])
    assert message in str(caught.value) and "\n" not in str(caught.value)
