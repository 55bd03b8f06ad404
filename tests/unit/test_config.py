from decimal import Decimal

import pytest

from octo_desktop.config import VENUE_IDS, ConfigError, StrategyConfig, load_config


def test_defaults_have_the_eight_venues_with_their_own_fees_and_rules(config):
    assert config.venue_names == VENUE_IDS
    assert config.symbols == ("BTC/USDT", "ETH/USDT", "SOL/USDT")
    assert len({v.taker_fee for v in config.venues.values()}) > 1
    assert config.spec("okx", "BTC/USDT").lot_size != config.spec("binance", "BTC/USDT").lot_size
    assert config.venues["binance"].withdrawal_fees["USDT"]["TRC20"] > 0
    assert config.source == "built-in defaults"


def test_initial_balances_match_the_quote_amount_in_each_base_asset(config):
    balances = config.initial_balances()
    # The venues, the central wallet's reserves and the Solana wallet the router swaps from.
    assert set(balances) == {*VENUE_IDS, "wallet", "solana"}
    assert balances["wallet"] == {"USDT": 20000, "BTC": Decimal("0.1")}
    assert balances["solana"] == {"USDC": 50000, "USDT": 10000, "SOL": 10}
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


def test_a_binary_config_file_is_a_config_error_naming_the_file(tmp_path):
    path = tmp_path / "octo.toml"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xd8")
    with pytest.raises(ConfigError, match=r"octo\.toml: not a UTF-8 text file") as caught:
        load_config(path)
    assert str(path) in str(caught.value) and "\n" not in str(caught.value)


def test_a_config_file_in_another_encoding_names_the_line_of_the_first_bad_byte(tmp_path):
    path = tmp_path / "octo.toml"
    path.write_bytes("[strategy]\n# seuil choisi à la main\nthreshold_bps = 8\n".encode("latin-1"))
    with pytest.raises(ConfigError, match=r"not a UTF-8 text file \(line 2 has the byte 0xe0\)"):
        load_config(path)


def test_a_utf8_byte_order_mark_is_accepted_and_the_file_is_parsed(tmp_path):
    path = tmp_path / "octo.toml"
    path.write_bytes("\ufeff[strategy]\nthreshold_bps = 8.5  # écrit par le Bloc-notes\n".encode("utf-8"))
    config = load_config(path)
    assert config.strategy.threshold_bps == 8.5 and config.source == str(path)


def test_set_overrides_parse_values_and_reject_unknown_keys():
    config = load_config(overrides=["strategy.threshold_bps=7", "symbols.list=[\"BTC/USDT\"]"])
    assert config.strategy.threshold_bps == 7.0 and config.symbols == ("BTC/USDT",)
    with pytest.raises(ConfigError, match="risk.nope: unknown key"):
        load_config(overrides=["risk.nope=1"])


def test_risk_defaults_include_the_engine_limits(config):
    from decimal import Decimal
    risk = config.risk
    assert (risk.max_open_trades, risk.max_notional_per_trade, risk.daily_loss_limit_pct) == (3, 5000, 2)
    assert risk.max_notional_per_venue == Decimal("12000") and risk.max_exposure_usdt == Decimal("4000")
    assert isinstance(risk.max_notional_per_venue, Decimal) and isinstance(risk.exposure_resume_fraction, Decimal)
    assert risk.exposure_resume_fraction == Decimal("0.5")
    assert (risk.pair_cooldown_s, risk.breaker_window_s, risk.breaker_cooldown_s) == (30.0, 300.0, 120.0)
    assert (risk.breaker_losing_trades, risk.breaker_failed_legs) == (5, 6)
    assert (risk.venue_max_latency_ms, risk.venue_min_fill_ratio) == (1500.0, 0.3)


def test_the_config_template_lists_every_risk_key_with_its_default(config):
    import tomllib
    from dataclasses import fields
    from octo_desktop.config import default_config_text
    section = tomllib.loads(default_config_text())["risk"]
    assert set(section) == {f.name for f in fields(config.risk)}
    assert all(section[name] == getattr(config.risk, name) for name in section)


def test_risk_overrides_are_typed():
    config = load_config(overrides=["risk.breaker_losing_trades=2", "risk.exposure_resume_fraction=0.25",
                                    "risk.pair_cooldown_s=0"])
    assert config.risk.breaker_losing_trades == 2 and isinstance(config.risk.breaker_losing_trades, int)
    assert str(config.risk.exposure_resume_fraction) == "0.25" and config.risk.pair_cooldown_s == 0.0


@pytest.mark.parametrize("override, key", [
    ("risk.max_notional_per_venue=0", "risk.max_notional_per_venue"),
    ("risk.pair_cooldown_s=-1", "risk.pair_cooldown_s"),
    ("risk.pair_cooldown_s=90000", "risk.pair_cooldown_s"),
    ("risk.breaker_losing_trades=0", "risk.breaker_losing_trades"),
    ("risk.breaker_losing_trades=2.5", "risk.breaker_losing_trades"),
    ("risk.breaker_failed_legs=1001", "risk.breaker_failed_legs"),
    ("risk.breaker_window_s=0.5", "risk.breaker_window_s"),
    ("risk.breaker_cooldown_s=86401", "risk.breaker_cooldown_s"),
    ("risk.max_exposure_usdt=-5", "risk.max_exposure_usdt"),
    ("risk.exposure_resume_fraction=0", "risk.exposure_resume_fraction"),
    ("risk.exposure_resume_fraction=1", "risk.exposure_resume_fraction"),
    ("risk.venue_max_latency_ms=0", "risk.venue_max_latency_ms"),
    ("risk.venue_min_fill_ratio=1.5", "risk.venue_min_fill_ratio"),
    ('risk.venue_min_fill_ratio="high"', "risk.venue_min_fill_ratio"),
])
def test_bad_risk_values_name_the_key(override, key):
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        load_config(overrides=[override])


@pytest.mark.parametrize("override, key", [
    ('advisor.kind="gpt"', "advisor.kind"),
    ('advisor.on_failure="maybe"', "advisor.on_failure"),
    ('advisor.base_url="localhost:1234"', "advisor.base_url"),
    ("advisor.budget_ms=0", "advisor.budget_ms"),
    ("advisor.daily_spend_cap_usd=-1", "advisor.daily_spend_cap_usd"),
    ("advisor.prices.gpt-4o.input_per_mtok=-1", "advisor.prices.gpt-4o.input_per_mtok"),
    ("advisor.prices.mine={input_per_mtok=1.0}", "advisor.prices.mine"),
    ("strategy.vol_multiplier=-1", "strategy.vol_multiplier"),
    ("strategy.threshold_max_bps=1", "strategy.threshold_max_bps"),
    ("spoofing.discount=2", "spoofing.discount"),
    ("simulation.spoof_max_depth=40", "simulation.spoof_max_depth"),
])
def test_bad_intelligence_values_name_the_key(override, key):
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        load_config(overrides=[override])


def test_advisor_prices_come_from_the_table_and_unlisted_models_pay_the_default():
    config = load_config(overrides=['advisor.prices.my-llama={input_per_mtok=0, output_per_mtok=0}'])
    assert config.advisor.price("gpt-4o-mini") == (Decimal("0.15"), Decimal("0.6"))
    assert config.advisor.price("my-llama") == (Decimal(0), Decimal(0))
    assert config.advisor.price("someone-elses-model") == config.advisor.price("gpt-4o")
    assert config.advisor.kind == "rule"  # offline by default


def test_every_section_loads_to_its_classs_own_defaults():
    # The typed classes are the one source of defaults: the default tree, the checks and the loaded
    # config all agree with them (a rule that refused its own default would fail here).
    from dataclasses import fields

    from octo_desktop.config.schema import RULES, SECTIONS

    config = load_config()
    for name, cls in SECTIONS.items():
        loaded, default = getattr(config, name), cls()
        for f in fields(cls):
            if f.name in ("weights", "prices", "base_per_venue", "chains", "wallet", "pools", "otc"):
                continue  # tables: checked below (the treasury's in test_treasury_config, the router's in
                # test_router_config)
            assert getattr(loaded, f.name) == getattr(default, f.name), f"{name}.{f.name}"
        assert set(RULES.get(name, {})) <= {f.name for f in fields(cls)}, name
    assert dict(config.strategy.weights) == dict(StrategyConfig().weights)


def test_the_starter_file_holds_the_defaults_and_parses_back_to_them():
    import tomllib

    from octo_desktop.config import default_config_text, default_tree

    starter, tree = tomllib.loads(default_config_text()), default_tree()
    assert starter and all(starter[section][key] == tree[section][key]
                           for section, keys in starter.items() for key in keys)


def test_the_builtin_config_never_reads_the_users_file(tmp_path, monkeypatch):
    from octo_desktop.config import builtin_config

    user_file = tmp_path / "config.toml"
    user_file.write_text("[risk]\nmax_open_trades = -1\n", encoding="utf-8")
    monkeypatch.setenv("OCTO_CONFIG", str(user_file))
    with pytest.raises(ConfigError, match="risk.max_open_trades"):
        load_config()
    config = builtin_config(['symbols.list=["BTC/USDT"]'])
    assert config.risk.max_open_trades == 3 and config.symbols == ("BTC/USDT",)
    assert config.source == "built-in defaults"
