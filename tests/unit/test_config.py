import pytest

from octo_desktop.config import ConfigError, VENUE_IDS, load_config


def test_defaults_have_the_eight_venues_with_their_own_fees_and_rules(config):
    assert config.venue_names == VENUE_IDS
    assert config.symbols == ("BTC/USDT", "ETH/USDT", "SOL/USDT")
    assert len({v.taker_fee for v in config.venues.values()}) > 1
    assert config.spec("okx", "BTC/USDT").lot_size != config.spec("binance", "BTC/USDT").lot_size
    assert config.venues["binance"].withdrawal_fees["USDT"]["TRC20"] > 0
    assert config.source == "built-in defaults"


def test_initial_balances_match_the_quote_amount_in_each_base_asset(config):
    balances = config.initial_balances()
    assert set(balances) == set(VENUE_IDS)
    okx = balances["okx"]
    assert okx["USDT"] == 10000
    assert abs(okx["BTC"] * 60000 - 10000) < 1


def test_a_toml_file_overrides_defaults(tmp_path):
    path = tmp_path / "octo.toml"
    path.write_text('[strategy]\nthreshold_bps = 8.5\n[venues.htx]\ntaker_fee = 0.0015\n'
                    '[venues.okx.symbols."BTC/USDT"]\ntick_size = 0.1\n')
    config = load_config(path)
    assert config.strategy.threshold_bps == 8.5
    assert str(config.venues["htx"].taker_fee) == "0.0015"
    assert str(config.spec("okx", "BTC/USDT").tick_size) == "0.1"
    assert config.source == str(path)


@pytest.mark.parametrize("text, key", [
    ("[strategy]\ntreshold_bps = 3\n", "strategy.treshold_bps"),
    ("[risk]\nmax_open_trades = -1\n", "risk.max_open_trades"),
    ("[venues.okx]\ntaker_fee = \"cheap\"\n", "venues.okx.taker_fee"),
    ("[venues.kraken]\ntaker_fee = 0.001\n", "venues.kraken"),
    ("[strategy.weights]\nspread = 0.9\n", "strategy.weights"),
    ("[symbols]\nlist = [\"DOGE/USDT\"]\n", "DOGE/USDT"),
])
def test_bad_values_name_the_key(tmp_path, text, key):
    path = tmp_path / "octo.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=key.replace(".", r"\.").replace("[", r"\[")):
        load_config(path)


def test_corrupt_toml_is_a_clear_error(tmp_path):
    path = tmp_path / "octo.toml"
    path.write_bytes(b"[strategy\nthreshold_bps = = 3\x00")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(path)


def test_set_overrides_parse_values_and_reject_unknown_keys():
    config = load_config(overrides=["strategy.threshold_bps=7", "symbols.list=[\"BTC/USDT\"]"])
    assert config.strategy.threshold_bps == 7.0 and config.symbols == ("BTC/USDT",)
    with pytest.raises(ConfigError, match="risk.nope: unknown key"):
        load_config(overrides=["risk.nope=1"])
