"""``[router]``: Solana costs, Jupiter, and the pools and OTC counterparties, each checked with one clear line."""

import pytest

from octo_desktop.config import ConfigError, builtin_config
from octo_desktop.router.pools import build_otc, build_pool, mid_price


def test_the_defaults_have_six_pools_two_otc_counterparties_and_no_network():
    config = builtin_config()
    router = config.router
    assert router.jupiter_url == "" and router.quote_endpoint is False and router.slippage_bps == 50.0
    assert len(router.pools) == 6 and set(router.otc) == {"otc_swift", "otc_block"}
    assert {spec.base for spec in router.pools.values()} == {"SOL", "ETH", "BTC"}
    assert {spec.kind for spec in router.pools.values()} == {"cpmm", "amm_v4", "dlmm"}
    prices = {symbol.split("/")[0]: market.initial_price for symbol, market in config.markets.items()}
    for spec in router.pools.values():  # each builds at the market's price, with its own math
        assert mid_price(build_pool(spec, prices[spec.base])) == pytest.approx(prices[spec.base], rel=3e-3)
    swift = build_otc(router.otc["otc_swift"], "SOL", prices["SOL"], 0.0)
    assert swift.min_quantity == pytest.approx(5_000 / prices["SOL"])  # a request-for-quote desk


def test_a_pool_of_ones_own_and_changed_keys_load():
    config = builtin_config(['router.pools.mine = {kind = "cpmm", base = "SOL", quote = "USDT", tvl = 250000.0, '
                             'fee_rate = 1000}', "router.pools.meteora_sol_usdc.lag_s = 3.0",
                             'router.jupiter_url = "http://127.0.0.1:9/swap/v1"', "router.quote_endpoint = true"])
    mine = config.router.pools["mine"]
    assert (mine.kind, mine.tvl, mine.fee_rate, mine.lag_s) == ("cpmm", 250_000.0, 1000, 20.0)
    assert config.router.pools["meteora_sol_usdc"].lag_s == 3.0 and len(config.router.pools) == 7
    assert config.router.jupiter_url == "http://127.0.0.1:9/swap/v1" and config.router.quote_endpoint


@pytest.mark.parametrize("setting, message", [
    ('router.pools.p = {kind = "orca", base = "SOL", quote = "USDC", tvl = 1.0}', "router.pools.p: p: kind must be"),
    ('router.pools.p = {kind = "cpmm", base = "SOL", quote = "USDC", tvl = -1.0}', "router.pools.p.tvl"),
    ('router.pools.p = {kind = "cpmm", base = "SOL", quote = "USDC", tvl = 1.0, depth = 3}',
     "router.pools.p.depth: unknown key"),
    ("router.otc.otc_swift.min_usdt = 3000000.0", "router.otc.otc_swift: otc_swift: min_usdt must be within"),
    ("router.otc.otc_swift.delay_s = -1.0", "router.otc.otc_swift.delay_s"),
    ('router.jupiter_url = "ftp://x"', "router.jupiter_url: must be empty or start with http"),
    ("router.slippage_bps = 20000.0", "router.slippage_bps"),
    ("router.quote_port = 80", "router.quote_port"),
])
def test_a_bad_router_setting_is_one_clear_line(setting, message):
    with pytest.raises(ConfigError, match=message.replace(".", r"\.")):
        builtin_config([setting])
