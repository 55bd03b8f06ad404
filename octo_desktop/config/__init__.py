"""Octo's configuration: typed sections with their defaults, a TOML file over them, ``--set`` over that.

- ``schema``: the sections (their field defaults are the built-in defaults, written once) and how each
  key is checked;
- ``defaults``: the per-venue and per-symbol tables, the default tree and the ``config init`` starter file;
- ``loader``: reading the file and the overrides, checking, building the typed ``Config``;
- ``paths``: where the user's file and data live.
"""

from octo_desktop.config.defaults import default_tree, starter_text as default_config_text
from octo_desktop.config.loader import build, builtin_config, config_as_tree, load_config, venue_defaults
from octo_desktop.config.paths import APP_NAME, default_config_path, default_data_dir
from octo_desktop.config.schema import (
    ADVISOR_FAILURE_POLICIES, ADVISOR_KINDS, ENGINE_TIME_MAX, ENGINE_TIME_MIN, MARKET_KINDS, QUOTE_ASSET, SEED_MAX,
    VENUE_IDS, AccountConfig, AdvisorConfig, Config, ConfigError, ExecutionConfig, LiveConfig, SimulationConfig,
    StrategyConfig, SymbolMarket, TreasuryConfig, VenueConfig, WALLET, SOLANA, STABLECOINS, check_engine_start,
)
from octo_desktop.domain.model import SymbolSpec
from octo_desktop.domain.risk import RiskLimits
from octo_desktop.domain.spoofing import SpoofingSettings

__all__ = [
    "ADVISOR_FAILURE_POLICIES", "ADVISOR_KINDS", "APP_NAME", "ENGINE_TIME_MAX", "ENGINE_TIME_MIN", "MARKET_KINDS",
    "QUOTE_ASSET", "SEED_MAX", "VENUE_IDS", "AccountConfig", "AdvisorConfig", "Config", "ConfigError",
    "ExecutionConfig", "LiveConfig", "RiskLimits", "SimulationConfig", "SpoofingSettings", "StrategyConfig",
    "SymbolMarket", "SymbolSpec", "TreasuryConfig", "VenueConfig", "WALLET", "SOLANA", "STABLECOINS", "build", "builtin_config", "check_engine_start", "config_as_tree",
    "default_config_path", "default_config_text", "default_data_dir", "default_tree", "load_config",
    "venue_defaults",
]
