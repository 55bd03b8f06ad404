"""Typed configuration: built-in defaults, overridden by a TOML file, validated once at load.

The user's file lives at ``default_config_path()`` (``octo_desktop config path`` prints it). Any key
may be overridden there or on the command line with ``--set section.key=value``. A bad value or an
unknown key raises ``ConfigError`` naming the key, e.g. ``strategy.threshold_bps: must be >= 0``.
"""

from __future__ import annotations

import copy
import math
import os
import tomllib
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

APP_NAME = "octo"
VENUE_IDS = ("binance", "okx", "bybit", "kucoin", "gate", "mexc", "bitget", "htx")
MARKET_KINDS = ("simulated", "live")
QUOTE_ASSET = "USDT"


class ConfigError(ValueError):
    """A configuration value is missing, unknown or out of range; the message names the key."""


SEED_MAX = 2**63 - 1
# Engine time is unix seconds from 2000-01-01 to 2100-01-01 UTC: every calendar and float-precision
# assumption (UTC days for the loss limit, sub-microsecond timers) holds there.
ENGINE_TIME_MIN = 946_684_800.0
ENGINE_TIME_MAX = 4_102_444_800.0


def check_engine_start(seconds: float, what: str = "start time") -> None:
    """Raise ConfigError unless ``seconds`` is a unix time from 2000-01-01 to 2100-01-01 UTC."""
    if not (math.isfinite(seconds) and ENGINE_TIME_MIN <= seconds < ENGINE_TIME_MAX):
        raise ConfigError(f"invalid {what} {seconds!r}: unix seconds from {ENGINE_TIME_MIN:.0f} (2000-01-01) "
                          f"to {ENGINE_TIME_MAX:.0f} (2100-01-01 UTC)")


# ---------------------------------------------------------------------------------------------------
# Defaults. Fees are the venues' published base-tier spot fees; latency is the round trip of an order
# (median and 95th percentile, lognormal); update_hz is how often the venue publishes book updates;
# quote_lag_ms is how far behind the fundamental price the venue's quotes trail (leaders ~0, laggards
# several hundred ms); basis_bias_bps is the venue's long-run premium around the fundamental.
# ---------------------------------------------------------------------------------------------------
_VENUE_TABLE = {
    #          taker   maker   lat p50 p95  hz  lag  bias
    "binance": (0.0010, 0.0010, 20, 60, 50, 0, 0.3),
    "okx": (0.0010, 0.0008, 25, 70, 40, 60, -0.2),
    "bybit": (0.0010, 0.0010, 30, 80, 40, 90, 0.1),
    "kucoin": (0.0010, 0.0010, 60, 180, 20, 250, 0.5),
    "gate": (0.0010, 0.0010, 70, 200, 15, 300, -0.5),
    "mexc": (0.0005, 0.0000, 80, 250, 25, 200, 0.8),
    "bitget": (0.0010, 0.0010, 45, 120, 20, 150, -0.3),
    "htx": (0.0020, 0.0020, 110, 350, 10, 500, 0.4),
}

_SYMBOL_DEFAULTS = {
    "BTC/USDT": {"initial_price": 60000.0, "volatility_annual": 0.50, "tick_size": 0.01,
                 "lot_size": 0.00001, "min_notional": 5.0, "level_spacing_bps": 0.5,
                 "touch_size_usdt": 15000.0, "trade_notional_usdt": 2000.0},
    "ETH/USDT": {"initial_price": 3000.0, "volatility_annual": 0.65, "tick_size": 0.01,
                 "lot_size": 0.0001, "min_notional": 5.0, "level_spacing_bps": 0.7,
                 "touch_size_usdt": 10000.0, "trade_notional_usdt": 2000.0},
    "SOL/USDT": {"initial_price": 150.0, "volatility_annual": 0.85, "tick_size": 0.01,
                 "lot_size": 0.001, "min_notional": 5.0, "level_spacing_bps": 1.0,
                 "touch_size_usdt": 6000.0, "trade_notional_usdt": 2000.0},
}

# Venue-specific trading rules that differ from the symbol defaults.
_VENUE_SYMBOL_OVERRIDES = {
    ("okx", "BTC/USDT"): {"lot_size": 0.00000001, "min_notional": 1.0},
    ("bybit", "BTC/USDT"): {"lot_size": 0.000001, "min_notional": 1.0},
    ("kucoin", "BTC/USDT"): {"tick_size": 0.1, "min_notional": 0.1},
    ("gate", "BTC/USDT"): {"min_notional": 3.0},
    ("mexc", "SOL/USDT"): {"tick_size": 0.001},
    ("bitget", "BTC/USDT"): {"lot_size": 0.000001, "min_notional": 1.0},
    ("htx", "BTC/USDT"): {"lot_size": 0.000001, "min_notional": 10.0},
    ("htx", "ETH/USDT"): {"min_notional": 10.0},
    ("htx", "SOL/USDT"): {"min_notional": 10.0},
}

_WITHDRAWAL_FEES = {
    "USDT": {"TRC20": 1.0, "ERC20": 4.0, "SOL": 1.0},
    "BTC": {"BTC": 0.0002},
    "ETH": {"ERC20": 0.0012, "ARBITRUM": 0.0001},
    "SOL": {"SOL": 0.008},
}
_WITHDRAWAL_OVERRIDES = {
    "binance": {"USDT": {"TRC20": 1.5}},
    "htx": {"USDT": {"TRC20": 1.2}, "BTC": {"BTC": 0.0004}},
    "mexc": {"BTC": {"BTC": 0.0003}},
}


# US dollars per million tokens (input, output), from OpenAI's published price list; "default" prices a
# model missing from the table (conservatively, as gpt-4o). A local model server costs nothing: give its
# model a zero price in the config.
_ADVISOR_PRICES = {
    "default": {"input_per_mtok": 2.50, "output_per_mtok": 10.00},
    "gpt-4o": {"input_per_mtok": 2.50, "output_per_mtok": 10.00},
    "gpt-4o-mini": {"input_per_mtok": 0.15, "output_per_mtok": 0.60},
    "gpt-4.1": {"input_per_mtok": 2.00, "output_per_mtok": 8.00},
    "gpt-4.1-mini": {"input_per_mtok": 0.40, "output_per_mtok": 1.60},
    "gpt-4.1-nano": {"input_per_mtok": 0.10, "output_per_mtok": 0.40},
}
ADVISOR_KINDS = ("rule", "openai")
ADVISOR_FAILURE_POLICIES = ("rules", "skip")


def _default_tree() -> dict:
    venues = {}
    for name, (taker, maker, p50, p95, hz, lag, bias) in _VENUE_TABLE.items():
        overrides = {
            symbol: dict(values)
            for (venue, symbol), values in _VENUE_SYMBOL_OVERRIDES.items()
            if venue == name
        }
        fees = copy.deepcopy(_WITHDRAWAL_FEES)
        for asset, networks in _WITHDRAWAL_OVERRIDES.get(name, {}).items():
            fees.setdefault(asset, {}).update(networks)
        venues[name] = {
            "enabled": True,
            "taker_fee": taker,
            "maker_fee": maker,
            "latency_ms_median": float(p50),
            "latency_ms_p95": float(p95),
            "update_hz": float(hz),
            "quote_lag_ms": float(lag),
            "basis_bias_bps": bias,
            "symbols": overrides,
            "withdrawal_fees": fees,
            "ccxt": {},
        }
    return {
        "market": {"kind": "simulated", "seed": 7},
        "symbols": {"list": list(_SYMBOL_DEFAULTS), "specs": copy.deepcopy(_SYMBOL_DEFAULTS)},
        "venues": venues,
        "live": {
            "rest_poll_interval_s": 1.0,
            "reconnect_initial_s": 0.5,
            "reconnect_max_s": 30.0,
            "watch_trades": True,
            "request_timeout_s": 10.0,
        },
        "simulation": {
            "correlation": 0.8,
            "basis_stdev_bps": 1.0,
            "basis_halflife_s": 30.0,
            "half_spread_bps": 0.4,
            "levels": 25,
            "size_growth": 0.35,
            "dislocations_per_minute": 0.6,
            "dislocation_min_bps": 20.0,
            "dislocation_max_bps": 100.0,
            "dislocation_min_s": 2.0,
            "dislocation_max_s": 8.0,
            "trades_per_second": 4.0,
            "outages_per_hour": 2.0,
            "outage_min_s": 3.0,
            "outage_max_s": 8.0,
            "sequence_gap_probability": 0.0005,
            "feed_latency_ms": 15.0,
            "liquidity_refill_s": 3.0,
            "spoofs_per_minute": 2.0,
            "spoof_size_multiple": 12.0,
            "spoof_min_depth": 2,
            "spoof_max_depth": 6,
            "spoof_min_s": 2.0,
            "spoof_max_s": 15.0,
        },
        "strategy": {
            "threshold_bps": 5.0,
            "min_score": 0.45,
            "stale_after_s": 2.0,
            "slippage_protection_bps": 15.0,
            "spread_scale_bps": 40.0,
            "slippage_scale_bps": 10.0,
            "liquidity_band_bps": 10.0,
            "latency_scale_ms": 500.0,
            "flow_window_s": 10.0,
            "imbalance_levels": 5,
            "drift_scale_bps": 5.0,
            "vol_multiplier": 1.0,
            "vol_window_s": 300.0,
            "vol_sample_s": 1.0,
            "threshold_max_bps": 100.0,
            "weights": {"spread": 0.30, "liquidity": 0.15, "slippage": 0.10,
                        "freshness": 0.10, "order_flow": 0.15, "execution_quality": 0.20},
        },
        "risk": {
            "max_open_trades": 3,
            "max_notional_per_trade": 5000.0,
            "max_notional_per_venue": 12000.0,
            "daily_loss_limit_pct": 2.0,
            "pair_cooldown_s": 30.0,
            "breaker_losing_trades": 5,
            "breaker_failed_legs": 6,
            "breaker_window_s": 300.0,
            "breaker_cooldown_s": 120.0,
            "max_exposure_usdt": 4000.0,
            "exposure_resume_fraction": 0.5,
            "venue_max_latency_ms": 1500.0,
            "venue_min_fill_ratio": 0.3,
        },
        "execution": {
            "market_min_urgency": 6.0,
            "market_max_latency_ms": 80.0,
            "post_only_max_urgency": 2.0,
            "post_only_min_latency_ms": 300.0,
            "post_only_min_spread_bps": 0.5,
            "retry_widen_bps": 10.0,
            "reroute_max_bps": 25.0,
            "reroute_venues": 2,
            "timeout_factor": 2.0,
            "timeout_min_s": 3.0,
            "timeout_max_s": 15.0,
            "latency_window": 200,
            "learn_latency_min_samples": 20,
        },
        "spoofing": {
            "large_level_multiple": 5.0,
            "watch_levels": 10,
            "approach_bps": 5.0,
            "traded_fraction": 0.1,
            "memory_s": 300.0,
            "min_events": 1,
            "discount": 1.0,
        },
        "advisor": {
            "kind": "rule",
            "model": "gpt-4o",
            "base_url": "",
            "api_key": "",
            "budget_ms": 1500.0,
            "daily_spend_cap_usd": 1.0,
            "max_concurrent": 2,
            "on_failure": "rules",
            "wait_s": 2.0,
            "recent_outcomes": 10,
            "temperature": 0.0,
            "max_output_tokens": 200,
            "prices": copy.deepcopy(_ADVISOR_PRICES),
        },
        "account": {"quote_per_venue": 10000.0, "base_per_venue": {}},
    }


# ---------------------------------------------------------------------------------------------------
# Typed, validated configuration.
# ---------------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class SymbolSpec:
    """One symbol's trading rules on one venue."""

    symbol: str
    tick_size: Decimal
    lot_size: Decimal
    min_notional: Decimal

    @property
    def base(self) -> str:
        return self.symbol.split("/")[0]

    @property
    def quote(self) -> str:
        return self.symbol.split("/")[1]


@dataclass(frozen=True, slots=True)
class VenueConfig:
    """One venue: fees, latency, market-data behaviour and per-symbol trading rules."""

    name: str
    taker_fee: Decimal
    maker_fee: Decimal
    latency_ms_median: float
    latency_ms_p95: float
    update_hz: float
    quote_lag_ms: float
    basis_bias_bps: float
    symbols: Mapping[str, SymbolSpec]
    withdrawal_fees: Mapping[str, Mapping[str, Decimal]]
    ccxt: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))  # deep-merged into the ccxt constructor's config


@dataclass(frozen=True, slots=True)
class LiveConfig:
    """How live feeds connect, fall back to REST and reconnect."""

    rest_poll_interval_s: float
    reconnect_initial_s: float
    reconnect_max_s: float
    watch_trades: bool
    request_timeout_s: float


@dataclass(frozen=True, slots=True)
class SymbolMarket:
    """Simulation and sizing parameters of one symbol (shared by all venues)."""

    symbol: str
    initial_price: float
    volatility_annual: float
    level_spacing_bps: float
    touch_size_usdt: float
    trade_notional_usdt: float


@dataclass(frozen=True, slots=True)
class SimulationConfig:
    """Parameters of the simulated market."""

    correlation: float
    basis_stdev_bps: float
    basis_halflife_s: float
    half_spread_bps: float
    levels: int
    size_growth: float
    dislocations_per_minute: float
    dislocation_min_bps: float
    dislocation_max_bps: float
    dislocation_min_s: float
    dislocation_max_s: float
    trades_per_second: float
    outages_per_hour: float
    outage_min_s: float
    outage_max_s: float
    sequence_gap_probability: float
    feed_latency_ms: float
    liquidity_refill_s: float  # how long a level our orders emptied stays empty
    spoofs_per_minute: float = 2.0  # large orders placed near the touch and pulled before they trade
    spoof_size_multiple: float = 12.0  # a spoof's size, in multiples of the level size where it sits
    spoof_min_depth: int = 2  # levels from the touch where a spoof is placed
    spoof_max_depth: int = 6
    spoof_min_s: float = 2.0  # a spoof stays at most this long (uniform in [min, max]) unless approached
    spoof_max_s: float = 15.0


@dataclass(frozen=True, slots=True)
class StrategyConfig:
    """Detector and signal settings."""

    threshold_bps: float
    min_score: float
    stale_after_s: float
    slippage_protection_bps: float
    spread_scale_bps: float
    slippage_scale_bps: float
    liquidity_band_bps: float
    latency_scale_ms: float
    flow_window_s: float
    weights: Mapping[str, float]
    imbalance_levels: int = 5  # top-N levels per side in the book imbalance
    drift_scale_bps: float = 5.0  # a VWAP drift of this many bps reads as full directional pressure
    vol_multiplier: float = 1.0  # threshold = threshold_bps + vol_multiplier * realised vol (bps per sample)
    vol_window_s: float = 300.0
    vol_sample_s: float = 1.0
    threshold_max_bps: float = 100.0


@dataclass(frozen=True, slots=True)
class SpoofingConfig:
    """Large-order tracking and the fake-liquidity filter (see ``domain.spoofing``)."""

    large_level_multiple: float = 5.0  # a level this many times the median near-touch size is "large"
    watch_levels: int = 10  # levels per side, from the touch, where large levels are tracked
    approach_bps: float = 5.0  # a large level pulled this close to the touch was being approached
    traded_fraction: float = 0.1  # pulled with less than this share of it traded: a spoof
    memory_s: float = 300.0  # spoof events this recent make a venue's large levels suspect
    min_events: int = 1
    discount: float = 1.0  # share of a suspect level's excess over the typical size that is ignored


@dataclass(frozen=True, slots=True)
class AdvisorConfig:
    """Which advisor decides, its time budget, spend cap and prices (see ``octo_desktop.advisor``)."""

    kind: str = "rule"
    model: str = "gpt-4o"
    base_url: str = ""  # empty: OPENAI_BASE_URL, else the OpenAI API
    api_key: str = ""  # empty: OPENAI_API_KEY
    budget_ms: float = 1500.0  # real milliseconds an answer may take before the rule advisor decides
    daily_spend_cap_usd: Decimal = Decimal("1.0")
    max_concurrent: int = 2  # calls in flight at once; an opportunity beyond them waits for a free one
    on_failure: str = "rules"  # when a call fails (error, timeout, malformed answer, spend cap): "rules" or "skip"
    wait_s: float = 2.0  # after WAIT, ask again this many engine seconds later if the spread holds
    recent_outcomes: int = 10  # advised trades summarised in each prompt
    temperature: float = 0.0
    max_output_tokens: int = 200
    prices: Mapping[str, tuple[Decimal, Decimal]] = field(default_factory=dict)  # model -> USD per 1M tokens in, out

    def price(self, model: str) -> tuple[Decimal, Decimal]:
        """Return (input, output) USD per million tokens for ``model`` (the "default" row if unlisted)."""
        return self.prices.get(model) or self.prices.get("default") or (Decimal(0), Decimal(0))


@dataclass(frozen=True, slots=True)
class RiskConfig:
    """Risk limits: trade size and count, daily loss, circuit breaker, exposure, venue health."""

    max_open_trades: int
    max_notional_per_trade: Decimal
    daily_loss_limit_pct: Decimal  # percent of the day's starting equity
    max_notional_per_venue: Decimal = Decimal("12000")  # open notional touching one venue, new trade included
    pair_cooldown_s: float = 30.0  # no new trade on a route (symbol, buy venue, sell venue) this long after one closes
    breaker_losing_trades: int = 5  # this many consecutive losing trades trip the circuit breaker
    breaker_failed_legs: int = 6  # this many failed legs within breaker_window_s trip it
    breaker_window_s: float = 300.0
    breaker_cooldown_s: float = 120.0  # how long the circuit breaker keeps trading halted
    max_exposure_usdt: Decimal = Decimal("4000")  # limit on any one asset's absolute net inventory, at the mark
    exposure_resume_fraction: Decimal = Decimal("0.5")  # reducing ends when every asset is within this fraction
    venue_max_latency_ms: float = 1500.0  # a venue whose p95 order latency exceeds this is excluded
    venue_min_fill_ratio: float = 0.3  # a venue whose recent fill ratio is below this is excluded


@dataclass(frozen=True, slots=True)
class ExecutionConfig:
    """How legs are sent (order type policy), rolled back, and timed out."""

    market_min_urgency: float = 6.0
    market_max_latency_ms: float = 80.0
    post_only_max_urgency: float = 2.0
    post_only_min_latency_ms: float = 300.0
    post_only_min_spread_bps: float = 0.5
    retry_widen_bps: float = 10.0
    reroute_max_bps: float = 25.0
    reroute_venues: int = 2
    timeout_factor: float = 2.0
    timeout_min_s: float = 3.0
    timeout_max_s: float = 15.0
    latency_window: int = 200
    learn_latency_min_samples: int = 20


@dataclass(frozen=True, slots=True)
class AccountConfig:
    """How each venue's paper account is funded when a database is created."""

    quote_per_venue: Decimal
    base_per_venue: Mapping[str, Decimal]  # asset -> amount; missing assets match quote_per_venue


@dataclass(frozen=True, slots=True)
class Config:
    """The whole validated configuration."""

    market: str
    seed: int
    symbols: tuple[str, ...]
    markets: Mapping[str, SymbolMarket]
    venues: Mapping[str, VenueConfig]
    simulation: SimulationConfig
    strategy: StrategyConfig
    risk: RiskConfig
    account: AccountConfig
    source: str  # the file it was read from, or "built-in defaults"
    live: LiveConfig = LiveConfig(1.0, 0.5, 30.0, True, 10.0)
    execution: ExecutionConfig = ExecutionConfig()
    spoofing: SpoofingConfig = SpoofingConfig()
    advisor: AdvisorConfig = field(default_factory=AdvisorConfig)

    @property
    def venue_names(self) -> tuple[str, ...]:
        return tuple(self.venues)

    @property
    def assets(self) -> tuple[str, ...]:
        bases = [s.split("/")[0] for s in self.symbols]
        return (QUOTE_ASSET, *dict.fromkeys(bases))

    def spec(self, venue: str, symbol: str) -> SymbolSpec:
        return self.venues[venue].symbols[symbol]

    def initial_balances(self) -> dict[str, dict[str, Decimal]]:
        """Return venue -> asset -> amount for a freshly funded account."""
        result = {}
        for venue in self.venues:
            balances = {QUOTE_ASSET: self.account.quote_per_venue}
            for symbol in self.symbols:
                base = symbol.split("/")[0]
                amount = self.account.base_per_venue.get(base)
                if amount is None:
                    lot = self.spec(venue, symbol).lot_size
                    raw = self.account.quote_per_venue / Decimal(repr(self.markets[symbol].initial_price))
                    amount = (raw / lot).to_integral_value(rounding="ROUND_FLOOR") * lot
                balances[base] = amount
            result[venue] = balances
        return result


# ---------------------------------------------------------------------------------------------------
# Loading.
# ---------------------------------------------------------------------------------------------------
def default_config_path() -> Path:
    """Return where the user's config file lives (it need not exist)."""
    env = os.environ.get("OCTO_CONFIG")
    if env:
        return Path(env)
    from platformdirs import user_config_dir

    return Path(user_config_dir(APP_NAME, appauthor=False)) / "config.toml"


def default_data_dir() -> Path:
    """Return the per-user data directory (database, logs)."""
    env = os.environ.get("OCTO_DATA_DIR")
    if env:
        return Path(env)
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP_NAME, appauthor=False))


def load_config(path: str | Path | None = None, overrides: list[str] | None = None) -> Config:
    """Load defaults, merge the TOML file (the user's file if ``path`` is None) and ``--set`` overrides."""
    tree, source = config_as_tree(path, overrides)
    return _build(tree, source)


def config_as_tree(path: str | Path | None = None, overrides: list[str] | None = None) -> tuple[dict, str]:
    """Return the merged, not yet validated tree (defaults + file + overrides) and where it came from."""
    tree = _default_tree()
    source = "built-in defaults"
    file_path = Path(path) if path is not None else default_config_path()
    if path is not None and not file_path.exists():
        raise ConfigError(f"config file not found: {file_path}")
    if file_path.exists():
        try:
            # utf-8-sig: Windows Notepad starts a UTF-8 file with a byte-order mark, which TOML does not allow.
            user = tomllib.loads(file_path.read_bytes().decode("utf-8-sig"))
        except UnicodeDecodeError as exc:
            line = exc.object[:exc.start].count(b"\n") + 1
            raise ConfigError(f"{file_path}: not a UTF-8 text file (line {line} has the byte "
                              f"0x{exc.object[exc.start]:02x}); save it as UTF-8") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{file_path}: not valid TOML: {exc}") from exc
        except OSError as exc:
            raise ConfigError(f"{file_path}: cannot read: {exc.strerror or exc}") from exc
        _merge(tree, user, "")
        source = str(file_path)
    for item in overrides or []:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--set {item!r}: expected KEY=VALUE")
        _merge(tree, _dotted(key.strip(), _parse_value(raw.strip())), "")
    return tree, source


def _parse_value(raw: str) -> Any:
    try:
        return tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        return raw


def _dotted(key: str, value: Any) -> dict:
    parts = [p.strip().strip('"') for p in _split_key(key)]
    tree: dict = {parts[-1]: value}
    for part in reversed(parts[:-1]):
        tree = {part: tree}
    return tree


def _split_key(key: str) -> list[str]:
    # Split on dots outside double quotes, so symbols.specs."BTC/USDT".tick_size works.
    parts, current, quoted = [], "", False
    for char in key:
        if char == '"':
            quoted = not quoted
        if char == "." and not quoted:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return parts


# Tables whose keys are user-chosen (symbols, assets, networks), so new keys are allowed there.
_OPEN_TABLES = {"advisor.prices", "symbols.specs", "venues.*.symbols", "venues.*.withdrawal_fees",
                "venues.*.withdrawal_fees.*", "account.base_per_venue"}


def _is_open(prefix: str) -> bool:
    parts = prefix.split(".") if prefix else []
    if len(parts) >= 3 and parts[0] == "venues" and parts[2] == "ccxt":
        return True  # ccxt's own constructor options: any key, any depth
    for pattern in _OPEN_TABLES:
        pattern_parts = pattern.split(".")
        if len(pattern_parts) == len(parts) and all(
            p == "*" or p == q for p, q in zip(pattern_parts, parts)
        ):
            return True
    return False


_VENUE_SYMBOL_KEYS = {"tick_size", "lot_size", "min_notional"}


def _merge(base: dict, user: dict, prefix: str) -> None:
    parts = prefix.split(".")
    is_venue_symbol = len(parts) == 4 and parts[0] == "venues" and parts[2] == "symbols"
    for key, value in user.items():
        path = f"{prefix}.{key}" if prefix else key
        if key not in base:
            if not (_is_open(prefix) or (is_venue_symbol and key in _VENUE_SYMBOL_KEYS)):
                raise ConfigError(f"{path}: unknown key")
            base[key] = copy.deepcopy(value)
            continue
        if isinstance(base[key], dict):
            if not isinstance(value, dict):
                raise ConfigError(f"{path}: must be a table")
            _merge(base[key], value, path)
        else:
            base[key] = value


def _number(tree: dict, key: str, path: str, low: float | None = None, high: float | None = None,
            integer: bool = False) -> float:
    value = tree.get(key)
    full = f"{path}.{key}"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"{full}: must be a number, got {value!r}")
    if integer and not float(value).is_integer():
        raise ConfigError(f"{full}: must be a whole number, got {value!r}")
    if not math.isfinite(value):
        raise ConfigError(f"{full}: must be finite, got {value!r}")
    if low is not None and value < low:
        raise ConfigError(f"{full}: must be >= {low}, got {value!r}")
    if high is not None and value > high:
        raise ConfigError(f"{full}: must be <= {high}, got {value!r}")
    return int(value) if integer else float(value)


def _decimal(tree: dict, key: str, path: str, low: float = 0.0, high: float | None = None,
             positive: bool = False) -> Decimal:
    number = _number(tree, key, path, low, high)
    if positive and number <= 0:
        raise ConfigError(f"{path}.{key}: must be > 0, got {number!r}")
    try:
        return Decimal(repr(number))
    except InvalidOperation as exc:  # repr of a finite float always parses; kept for clarity
        raise ConfigError(f"{path}.{key}: not a decimal number") from exc


def _build(tree: dict, source: str) -> Config:
    market = tree["market"]
    if market.get("kind") not in MARKET_KINDS:
        raise ConfigError(f"market.kind: must be one of {', '.join(MARKET_KINDS)}, got {market.get('kind')!r}")
    seed = _number(market, "seed", "market", 0, SEED_MAX, integer=True)

    symbol_list = tree["symbols"]["list"]
    if not isinstance(symbol_list, list) or not symbol_list:
        raise ConfigError("symbols.list: must be a non-empty list of symbols like 'BTC/USDT'")
    specs_tree = tree["symbols"]["specs"]
    markets = {}
    for symbol in symbol_list:
        if not isinstance(symbol, str) or symbol.count("/") != 1 or not symbol.endswith("/" + QUOTE_ASSET):
            raise ConfigError(f"symbols.list: {symbol!r} is not a {QUOTE_ASSET}-quoted symbol like 'BTC/USDT'")
        if symbol not in specs_tree:
            raise ConfigError(f'symbols.specs."{symbol}": no parameters for this symbol; add a table '
                              f'[symbols.specs."{symbol}"] with initial_price, volatility_annual, '
                              f"tick_size, lot_size, min_notional, level_spacing_bps, "
                              f"touch_size_usdt, trade_notional_usdt")
        spec = specs_tree[symbol]
        path = f'symbols.specs."{symbol}"'
        markets[symbol] = SymbolMarket(
            symbol=symbol,
            initial_price=_number(spec, "initial_price", path, 1e-9),
            volatility_annual=_number(spec, "volatility_annual", path, 0.0, 10.0),
            level_spacing_bps=_number(spec, "level_spacing_bps", path, 0.01, 100.0),
            touch_size_usdt=_number(spec, "touch_size_usdt", path, 1.0),
            trade_notional_usdt=_number(spec, "trade_notional_usdt", path, 1.0),
        )

    venues = {}
    for name, venue in tree["venues"].items():
        path = f"venues.{name}"
        if name not in VENUE_IDS:
            raise ConfigError(f"{path}: unknown venue; known venues: {', '.join(VENUE_IDS)}")
        if not isinstance(venue.get("enabled"), bool):
            raise ConfigError(f"{path}.enabled: must be true or false")
        if not venue["enabled"]:
            continue
        symbols = {}
        for symbol in symbol_list:
            merged = dict(specs_tree[symbol])
            merged.update(venue["symbols"].get(symbol, {}))
            spath = f'{path}.symbols."{symbol}"'
            symbols[symbol] = SymbolSpec(
                symbol=symbol,
                tick_size=_decimal(merged, "tick_size", spath, positive=True),
                lot_size=_decimal(merged, "lot_size", spath, positive=True),
                min_notional=_decimal(merged, "min_notional", spath),
            )
        fees = {}
        for asset, networks in venue["withdrawal_fees"].items():
            if not isinstance(networks, dict):
                raise ConfigError(f"{path}.withdrawal_fees.{asset}: must be a table of network = fee")
            fees[asset] = MappingProxyType({
                net: _decimal(networks, net, f"{path}.withdrawal_fees.{asset}") for net in networks
            })
        median = _number(venue, "latency_ms_median", path, 0.1, 60000)
        p95 = _number(venue, "latency_ms_p95", path, 0.1, 60000)
        if p95 < median:
            raise ConfigError(f"{path}.latency_ms_p95: must be >= latency_ms_median ({median})")
        venues[name] = VenueConfig(
            name=name,
            taker_fee=_decimal(venue, "taker_fee", path, 0.0, 0.05),
            maker_fee=_decimal(venue, "maker_fee", path, -0.01, 0.05),
            latency_ms_median=median,
            latency_ms_p95=p95,
            update_hz=_number(venue, "update_hz", path, 0.1, 1000),
            quote_lag_ms=_number(venue, "quote_lag_ms", path, 0.0, 10000),
            basis_bias_bps=_number(venue, "basis_bias_bps", path, -100, 100),
            symbols=MappingProxyType(symbols),
            withdrawal_fees=MappingProxyType(fees),
            ccxt=_ccxt_options(venue.get("ccxt", {}), f"{path}.ccxt"),
        )
    if not venues:
        raise ConfigError("venues: enable at least one venue (two or more to find spreads)")

    sim = tree["simulation"]
    simulation = SimulationConfig(
        correlation=_number(sim, "correlation", "simulation", -0.99, 0.99),
        basis_stdev_bps=_number(sim, "basis_stdev_bps", "simulation", 0.0, 100),
        basis_halflife_s=_number(sim, "basis_halflife_s", "simulation", 0.01),
        half_spread_bps=_number(sim, "half_spread_bps", "simulation", 0.0, 100),
        levels=_number(sim, "levels", "simulation", 5, 1000, integer=True),
        size_growth=_number(sim, "size_growth", "simulation", 0.0, 10),
        dislocations_per_minute=_number(sim, "dislocations_per_minute", "simulation", 0.0, 60),
        dislocation_min_bps=_number(sim, "dislocation_min_bps", "simulation", 0.0, 5000),
        dislocation_max_bps=_number(sim, "dislocation_max_bps", "simulation", 0.0, 5000),
        dislocation_min_s=_number(sim, "dislocation_min_s", "simulation", 0.1, 3600),
        dislocation_max_s=_number(sim, "dislocation_max_s", "simulation", 0.1, 3600),
        trades_per_second=_number(sim, "trades_per_second", "simulation", 0.0, 1000),
        outages_per_hour=_number(sim, "outages_per_hour", "simulation", 0.0, 3600),
        outage_min_s=_number(sim, "outage_min_s", "simulation", 0.1, 3600),
        outage_max_s=_number(sim, "outage_max_s", "simulation", 0.1, 3600),
        sequence_gap_probability=_number(sim, "sequence_gap_probability", "simulation", 0.0, 0.5),
        feed_latency_ms=_number(sim, "feed_latency_ms", "simulation", 0.0, 10000),
        liquidity_refill_s=_number(sim, "liquidity_refill_s", "simulation", 0.0, 3600),
        spoofs_per_minute=_number(sim, "spoofs_per_minute", "simulation", 0.0, 600),
        spoof_size_multiple=_number(sim, "spoof_size_multiple", "simulation", 1.0, 1000),
        spoof_min_depth=_number(sim, "spoof_min_depth", "simulation", 1, 1000, integer=True),
        spoof_max_depth=_number(sim, "spoof_max_depth", "simulation", 1, 1000, integer=True),
        spoof_min_s=_number(sim, "spoof_min_s", "simulation", 0.1, 3600),
        spoof_max_s=_number(sim, "spoof_max_s", "simulation", 0.1, 3600),
    )
    if simulation.spoof_max_depth < simulation.spoof_min_depth:
        raise ConfigError("simulation.spoof_max_depth: must be >= spoof_min_depth")
    if simulation.spoof_max_depth >= simulation.levels:
        raise ConfigError("simulation.spoof_max_depth: must be < simulation.levels")
    if simulation.spoof_max_s < simulation.spoof_min_s:
        raise ConfigError("simulation.spoof_max_s: must be >= spoof_min_s")
    if simulation.dislocation_max_bps < simulation.dislocation_min_bps:
        raise ConfigError("simulation.dislocation_max_bps: must be >= dislocation_min_bps")
    if simulation.dislocation_max_s < simulation.dislocation_min_s:
        raise ConfigError("simulation.dislocation_max_s: must be >= dislocation_min_s")
    if simulation.outage_max_s < simulation.outage_min_s:
        raise ConfigError("simulation.outage_max_s: must be >= outage_min_s")

    st = tree["strategy"]
    weights_tree = st["weights"]
    weights = {name: _number(weights_tree, name, "strategy.weights", 0.0, 1.0) for name in weights_tree}
    total = sum(weights.values())
    if abs(total - 1.0) > 1e-9:
        raise ConfigError(f"strategy.weights: must add up to 1.0, they add up to {total:g}")
    strategy = StrategyConfig(
        threshold_bps=_number(st, "threshold_bps", "strategy", -1000, 10000),
        min_score=_number(st, "min_score", "strategy", 0.0, 1.0),
        stale_after_s=_number(st, "stale_after_s", "strategy", 0.05, 3600),
        slippage_protection_bps=_number(st, "slippage_protection_bps", "strategy", 0.0, 10000),
        spread_scale_bps=_number(st, "spread_scale_bps", "strategy", 0.01),
        slippage_scale_bps=_number(st, "slippage_scale_bps", "strategy", 0.01),
        liquidity_band_bps=_number(st, "liquidity_band_bps", "strategy", 0.01),
        latency_scale_ms=_number(st, "latency_scale_ms", "strategy", 1.0),
        flow_window_s=_number(st, "flow_window_s", "strategy", 0.1, 3600),
        weights=MappingProxyType(weights),
        imbalance_levels=_number(st, "imbalance_levels", "strategy", 1, 1000, integer=True),
        drift_scale_bps=_number(st, "drift_scale_bps", "strategy", 0.01, 10000),
        vol_multiplier=_number(st, "vol_multiplier", "strategy", 0.0, 1000),
        vol_window_s=_number(st, "vol_window_s", "strategy", 1.0, 86400),
        vol_sample_s=_number(st, "vol_sample_s", "strategy", 0.01, 3600),
        threshold_max_bps=_number(st, "threshold_max_bps", "strategy", -1000, 10000),
    )
    if strategy.vol_window_s < 3 * strategy.vol_sample_s:
        raise ConfigError("strategy.vol_window_s: must hold at least 3 samples of vol_sample_s")
    if strategy.threshold_max_bps < strategy.threshold_bps:
        raise ConfigError("strategy.threshold_max_bps: must be >= threshold_bps")

    rk = tree["risk"]
    risk = RiskConfig(
        max_open_trades=_number(rk, "max_open_trades", "risk", 0, 1000, integer=True),
        max_notional_per_trade=_decimal(rk, "max_notional_per_trade", "risk", positive=True),
        daily_loss_limit_pct=_decimal(rk, "daily_loss_limit_pct", "risk", 0.0, 100.0),
        max_notional_per_venue=_decimal(rk, "max_notional_per_venue", "risk", positive=True),
        pair_cooldown_s=_number(rk, "pair_cooldown_s", "risk", 0.0, 86400),
        breaker_losing_trades=_number(rk, "breaker_losing_trades", "risk", 1, 1000, integer=True),
        breaker_failed_legs=_number(rk, "breaker_failed_legs", "risk", 1, 1000, integer=True),
        breaker_window_s=_number(rk, "breaker_window_s", "risk", 1.0, 86400),
        breaker_cooldown_s=_number(rk, "breaker_cooldown_s", "risk", 1.0, 86400),
        max_exposure_usdt=_decimal(rk, "max_exposure_usdt", "risk", positive=True),
        exposure_resume_fraction=_decimal(rk, "exposure_resume_fraction", "risk", 0.0, 1.0, positive=True),
        venue_max_latency_ms=_number(rk, "venue_max_latency_ms", "risk", 1.0, 600000),
        venue_min_fill_ratio=_number(rk, "venue_min_fill_ratio", "risk", 0.0, 1.0),
    )
    if risk.exposure_resume_fraction >= 1:
        raise ConfigError(f"risk.exposure_resume_fraction: must be < 1, got {rk['exposure_resume_fraction']!r}")

    acc = tree["account"]
    base_tree = acc["base_per_venue"]
    account = AccountConfig(
        quote_per_venue=_decimal(acc, "quote_per_venue", "account"),
        base_per_venue=MappingProxyType({
            asset: _decimal(base_tree, asset, "account.base_per_venue") for asset in base_tree
        }),
    )
    lv = tree["live"]
    if not isinstance(lv.get("watch_trades"), bool):
        raise ConfigError("live.watch_trades: must be true or false")
    live = LiveConfig(
        rest_poll_interval_s=_number(lv, "rest_poll_interval_s", "live", 0.05, 3600),
        reconnect_initial_s=_number(lv, "reconnect_initial_s", "live", 0.01, 3600),
        reconnect_max_s=_number(lv, "reconnect_max_s", "live", 0.01, 86400),
        watch_trades=lv["watch_trades"],
        request_timeout_s=_number(lv, "request_timeout_s", "live", 0.1, 600),
    )
    if live.reconnect_max_s < live.reconnect_initial_s:
        raise ConfigError("live.reconnect_max_s: must be >= reconnect_initial_s")
    ex = tree["execution"]
    execution = ExecutionConfig(
        market_min_urgency=_number(ex, "market_min_urgency", "execution", 0.0, 1e6),
        market_max_latency_ms=_number(ex, "market_max_latency_ms", "execution", 0.0, 600000),
        post_only_max_urgency=_number(ex, "post_only_max_urgency", "execution", 0.0, 1e6),
        post_only_min_latency_ms=_number(ex, "post_only_min_latency_ms", "execution", 0.0, 600000),
        post_only_min_spread_bps=_number(ex, "post_only_min_spread_bps", "execution", 0.0, 10000),
        retry_widen_bps=_number(ex, "retry_widen_bps", "execution", 0.0, 10000),
        reroute_max_bps=_number(ex, "reroute_max_bps", "execution", 0.0, 10000),
        reroute_venues=_number(ex, "reroute_venues", "execution", 0, 16, integer=True),
        timeout_factor=_number(ex, "timeout_factor", "execution", 0.1, 100),
        timeout_min_s=_number(ex, "timeout_min_s", "execution", 0.01, 3600),
        timeout_max_s=_number(ex, "timeout_max_s", "execution", 0.01, 3600),
        latency_window=_number(ex, "latency_window", "execution", 5, 100000, integer=True),
        learn_latency_min_samples=_number(ex, "learn_latency_min_samples", "execution", 1, 100000, integer=True),
    )
    if execution.timeout_max_s < execution.timeout_min_s:
        raise ConfigError("execution.timeout_max_s: must be >= timeout_min_s")
    sp = tree["spoofing"]
    spoofing = SpoofingConfig(
        large_level_multiple=_number(sp, "large_level_multiple", "spoofing", 1.0, 10000),
        watch_levels=_number(sp, "watch_levels", "spoofing", 1, 1000, integer=True),
        approach_bps=_number(sp, "approach_bps", "spoofing", 0.0, 10000),
        traded_fraction=_number(sp, "traded_fraction", "spoofing", 0.0, 1.0),
        memory_s=_number(sp, "memory_s", "spoofing", 0.0, 86400 * 7),
        min_events=_number(sp, "min_events", "spoofing", 1, 100000, integer=True),
        discount=_number(sp, "discount", "spoofing", 0.0, 1.0),
    )
    advisor = _advisor_config(tree["advisor"])
    return Config(
        market=market["kind"],
        seed=seed,
        symbols=tuple(symbol_list),
        markets=MappingProxyType(markets),
        venues=MappingProxyType(venues),
        simulation=simulation,
        strategy=strategy,
        risk=risk,
        account=account,
        source=source,
        live=live,
        execution=execution,
        spoofing=spoofing,
        advisor=advisor,
    )


def _advisor_config(ad: dict) -> AdvisorConfig:
    if ad.get("kind") not in ADVISOR_KINDS:
        raise ConfigError(f"advisor.kind: must be one of {', '.join(ADVISOR_KINDS)}, got {ad.get('kind')!r}")
    if ad.get("on_failure") not in ADVISOR_FAILURE_POLICIES:
        raise ConfigError(f"advisor.on_failure: must be one of {', '.join(ADVISOR_FAILURE_POLICIES)}, "
                          f"got {ad.get('on_failure')!r}")
    for key in ("model", "base_url", "api_key"):
        if not isinstance(ad.get(key), str):
            raise ConfigError(f"advisor.{key}: must be a string, got {ad.get(key)!r}")
    if not ad["model"].strip():
        raise ConfigError("advisor.model: must not be empty")
    base_url = ad["base_url"].strip()
    if base_url and not base_url.startswith(("http://", "https://")):
        raise ConfigError(f"advisor.base_url: must start with http:// or https://, got {base_url!r}")
    prices = {}
    if not isinstance(ad.get("prices"), dict):
        raise ConfigError("advisor.prices: must be a table of models")
    for model, row in ad["prices"].items():
        path = f"advisor.prices.{model}"
        if not isinstance(row, dict) or set(row) != {"input_per_mtok", "output_per_mtok"}:
            raise ConfigError(f"{path}: must have exactly input_per_mtok and output_per_mtok")
        prices[model] = (_decimal(row, "input_per_mtok", path, 0.0, 10000),
                         _decimal(row, "output_per_mtok", path, 0.0, 10000))
    return AdvisorConfig(
        kind=ad["kind"],
        model=ad["model"].strip(),
        base_url=base_url,
        api_key=ad["api_key"].strip(),
        budget_ms=_number(ad, "budget_ms", "advisor", 10.0, 60000),
        daily_spend_cap_usd=_decimal(ad, "daily_spend_cap_usd", "advisor", 0.0, 1e6),
        max_concurrent=_number(ad, "max_concurrent", "advisor", 1, 64, integer=True),
        on_failure=ad["on_failure"],
        wait_s=_number(ad, "wait_s", "advisor", 0.0, 3600),
        recent_outcomes=_number(ad, "recent_outcomes", "advisor", 0, 100, integer=True),
        temperature=_number(ad, "temperature", "advisor", 0.0, 2.0),
        max_output_tokens=_number(ad, "max_output_tokens", "advisor", 16, 100000, integer=True),
        prices=MappingProxyType(prices),
    )


def _ccxt_options(value: Any, path: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise ConfigError(f"{path}: must be a table of ccxt constructor options")
    return MappingProxyType(copy.deepcopy(value))


def venue_defaults(name: str) -> VenueConfig:
    """Return the built-in configuration of venue ``name`` (for venues a recording names)."""
    if name not in VENUE_IDS:
        raise ConfigError(f"unknown venue {name!r}; known venues: {', '.join(VENUE_IDS)}")
    return _build(_default_tree(), "built-in defaults").venues[name]


def default_config_text() -> str:
    """Return a commented TOML file with the most-used settings, for ``octo_desktop config init``."""
    return """# Octo configuration. Every key is optional: missing keys keep their built-in defaults.
# Run `python -m octo_desktop config show` to see every key with its current value.

[market]
kind = "simulated"
seed = 7

[symbols]
list = ["BTC/USDT", "ETH/USDT", "SOL/USDT"]

[strategy]
threshold_bps = 5.0      # minimum net spread after both taker fees
min_score = 0.45         # minimum composite signal score to trade
stale_after_s = 2.0      # a venue with no update for this long is excluded
vol_multiplier = 1.0     # the minimum net spread rises by this many bps per bp of realised volatility
vol_window_s = 300.0     # realised volatility over this window, from mids sampled every vol_sample_s

[risk]
max_open_trades = 3
max_notional_per_trade = 5000.0
max_notional_per_venue = 12000.0   # open notional touching one venue, the new trade included
daily_loss_limit_pct = 2.0         # of the day's starting equity; halts until 00:00 UTC
pair_cooldown_s = 30.0             # no new trade on a route for this long after one closes
breaker_losing_trades = 5          # this many losing trades in a row halt trading
breaker_failed_legs = 6            # this many failed legs within breaker_window_s halt trading
breaker_window_s = 300.0
breaker_cooldown_s = 120.0         # how long the circuit breaker halts trading
max_exposure_usdt = 4000.0         # net inventory per asset above which only reductions are allowed
exposure_resume_fraction = 0.5     # new trades resume once every asset is within this fraction of it
venue_max_latency_ms = 1500.0      # exclude a venue whose p95 order latency is above this
venue_min_fill_ratio = 0.3         # exclude a venue whose recent fill ratio is below this

[spoofing]
large_level_multiple = 5.0   # a level this many times the median near-touch size is watched
discount = 1.0               # on a book with recent spoofing, count large levels as typical ones

[advisor]
kind = "rule"                # "rule" (offline, default) or "openai"
model = "gpt-4o"
base_url = ""                # e.g. "http://127.0.0.1:11434/v1" for a local OpenAI-compatible server
budget_ms = 1500.0           # an answer later than this is not waited for: it counts as a failure
daily_spend_cap_usd = 1.0    # no more calls on a UTC day once this much was spent (a failure too)
max_concurrent = 2           # calls at once; an opportunity beyond them waits for a free one
on_failure = "rules"         # a failed call: "rules" (the rule advisor decides) or "skip" (no trade)
# The key is read from OPENAI_API_KEY; advisor.api_key works too but is stored in plain text.
# Prices in USD per million tokens, for the cost shown in the AI log:
# [advisor.prices.my-local-model]
# input_per_mtok = 0.0
# output_per_mtok = 0.0

[account]
quote_per_venue = 10000.0

# Per-venue settings, for example:
# [venues.htx]
# taker_fee = 0.002
# latency_ms_median = 110
# [venues.okx.symbols."BTC/USDT"]
# lot_size = 0.00000001
"""
