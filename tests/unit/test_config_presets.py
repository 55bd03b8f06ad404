"""The simulated market's competition presets: a preset fills its keys, keys the user writes win."""

import pytest

from octo_desktop.config import ConfigError, builtin_config, load_config
from octo_desktop.config.defaults import starter_text
from octo_desktop.config.presets import PRESETS


def test_a_preset_fills_every_competitor_key_it_names():
    for name, values in PRESETS.items():
        simulation = builtin_config([f'simulation.preset="{name}"']).simulation
        assert simulation.preset == name
        assert {key: getattr(simulation, key) for key in values} == values


def test_keys_the_user_writes_win_over_the_preset_in_the_file_and_on_the_command_line(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('[simulation]\npreset = "competitive"\nfast_competitors = 1\n', encoding="utf-8")
    simulation = load_config(path, ["simulation.slow_latency_ms=250"]).simulation
    assert (simulation.preset, simulation.fast_competitors, simulation.slow_latency_ms) == ("competitive", 1, 250.0)
    assert simulation.medium_competitors == PRESETS["competitive"]["medium_competitors"]
    # --set names another preset: it applies, and the file's own keys still win
    simulation = load_config(path, ['simulation.preset="calm"']).simulation
    assert (simulation.preset, simulation.fast_competitors) == ("calm", 1)
    assert simulation.competitor_edge_bps == PRESETS["calm"]["competitor_edge_bps"]


def test_an_unknown_preset_or_a_bad_value_is_one_clear_line():
    with pytest.raises(ConfigError, match=r"simulation.preset: must be one of off, calm, normal, competitive, got 'wild'"):
        builtin_config(['simulation.preset="wild"'])
    with pytest.raises(ConfigError, match="simulation.competitor_participation: must be <= 1.0"):
        builtin_config(["simulation.competitor_participation=2"])
    with pytest.raises(ConfigError, match="simulation.fast_competitors: must be a whole number"):
        builtin_config(["simulation.fast_competitors=1.5"])


def test_the_starter_file_names_the_preset():
    assert '[simulation]\npreset = "normal"' in starter_text()


def test_scripted_shocks_are_read_in_time_order_and_shown_as_written(tmp_path):
    config = builtin_config(['simulation.shocks=["40 htx BTC/USDT 60 2", "20 okx ETH/USDT -80 5.5"]'])
    assert [str(shock) for shock in config.simulation.shocks] == ["20 okx ETH/USDT -80 5.5", "40 htx BTC/USDT 60 2"]
    first = config.simulation.shocks[0]
    assert (first.at_s, first.venue, first.symbol, first.bps, first.hold_s) == (20.0, "okx", "ETH/USDT", -80.0, 5.5)
    assert builtin_config().simulation.shocks == ()
    path = tmp_path / "octo.toml"
    path.write_text('[simulation]\nshocks = ["5 binance BTC/USDT 30 1"]\n', encoding="utf-8")
    assert [str(s) for s in load_config(path).simulation.shocks] == ["5 binance BTC/USDT 30 1"]


@pytest.mark.parametrize("value, message", [
    ('"20 okx ETH/USDT -80 5"', "must be a list"),
    ('["20 okx ETH/USDT -80"]', 'is not "AT_S VENUE SYMBOL BPS HOLD_S"'),
    ('["soon okx ETH/USDT -80 5"]', "must be numbers"),
    ('["20 okx ETH/USDT 0 5"]', "0 < |bps| < 5000"),
    ('["20 okx ETH/USDT -80 0"]', "held > 0 s"),
    ('["-1 okx ETH/USDT -80 5"]', "at >= 0 s"),
    ('["20 nowhere ETH/USDT -80 5"]', "'nowhere' is not an enabled venue"),
    ('["20 okx DOGE/USDT -80 5"]', "'DOGE/USDT' is not in symbols.list"),
])
def test_a_bad_shock_is_one_clear_line_naming_it(value, message):
    with pytest.raises(ConfigError) as caught:
        builtin_config([f"simulation.shocks={value}"])
    text = str(caught.value)
    assert text.startswith("simulation.shocks") and message in text and "\n" not in text
