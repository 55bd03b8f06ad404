"""The typed configuration: every section's keys with their defaults (the one place they are written).

Each section is a frozen dataclass whose field defaults are the built-in defaults; ``RULES`` says how
each key is checked (its range, whole number or exact decimal). The default tree, the loader's checks and
the starter file ``config init`` writes are all made from these (``defaults.py``, ``loader.py``). The
risk limits and spoofing settings are domain values (``domain.risk.RiskLimits``,
``domain.spoofing.SpoofingSettings``): the config builds them, the domain never imports the config.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Mapping, NamedTuple

from octo_desktop.domain.model import SymbolSpec
from octo_desktop.domain.risk import RiskLimits
from octo_desktop.domain.spoofing import SpoofingSettings
from octo_desktop.domain.money import exact
from octo_desktop.router.pools import OtcSpec, PoolSpec
from octo_desktop.treasury.networks import Chain, Network

VENUE_IDS = ("binance", "okx", "bybit", "kucoin", "gate", "mexc", "bitget", "htx")
MARKET_KINDS = ("simulated", "live")
QUOTE_ASSET = "USDT"
ADVISOR_KINDS = ("rule", "openai")
ADVISOR_FAILURE_POLICIES = ("rules", "skip")
SEED_MAX = 2**63 - 1
# Engine time is unix seconds from 2000-01-01 to 2100-01-01 UTC: every calendar and float-precision
# assumption (UTC days for the loss limit, sub-microsecond timers) holds there.
ENGINE_TIME_MIN = 946_684_800.0
ENGINE_TIME_MAX = 4_102_444_800.0


class ConfigError(ValueError):
    """A configuration value is missing, unknown or out of range; the message names the key."""


def check_engine_start(seconds: float, what: str = "start time") -> None:
    """Raise ConfigError unless ``seconds`` is a unix time from 2000-01-01 to 2100-01-01 UTC."""
    if not (math.isfinite(seconds) and ENGINE_TIME_MIN <= seconds < ENGINE_TIME_MAX):
        raise ConfigError(f"invalid {what} {seconds!r}: unix seconds from {ENGINE_TIME_MIN:.0f} (2000-01-01) "
                          f"to {ENGINE_TIME_MAX:.0f} (2100-01-01 UTC)")


class Rule(NamedTuple):
    """How one numeric key is checked: its range, and whether it is a whole number or an exact decimal."""

    low: float | None = None
    high: float | None = None
    kind: str = "float"  # "float", "int" or "decimal"
    positive: bool = False  # a decimal that must be > 0


def _i(low, high) -> Rule:
    return Rule(low, high, "int")


def _d(low=0.0, high=None, positive=False) -> Rule:
    return Rule(low, high, "decimal", positive)


# ---------------------------------------------------------------------------------------------------
# Sections.
# ---------------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class VenueConfig:
    """One venue: fees, latency, market-data behaviour and per-symbol trading rules (see defaults.VENUES)."""

    name: str
    taker_fee: Decimal
    maker_fee: Decimal
    latency_ms_median: float
    latency_ms_p95: float
    update_hz: float
    quote_lag_ms: float
    basis_bias_bps: float
    symbols: Mapping[str, SymbolSpec]
    withdrawal_fees: Mapping[str, Mapping[str, Decimal]]  # asset -> chain -> fixed fee (also in ``networks``)
    ccxt: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))  # deep-merged into ccxt's config
    # asset -> chain -> the venue's withdrawal route (fees, minimum, open or not, where the figures came from)
    networks: Mapping[str, Mapping[str, Network]] = field(default_factory=lambda: MappingProxyType({}))
    withdrawal_processing_s: float = 120.0  # median time from a withdrawal request to its broadcast


@dataclass(frozen=True, slots=True)
class LiveConfig:
    """How live feeds connect, fall back to REST and reconnect."""

    rest_poll_interval_s: float = 1.0
    reconnect_initial_s: float = 0.5
    reconnect_max_s: float = 30.0
    watch_trades: bool = True
    request_timeout_s: float = 10.0
    # After loading a venue's markets, take its withdrawal fees, minimums and open/closed flags from what
    # ccxt exposes (``feeds.networks_live``); routes set in the config file keep the file's figures.
    refresh_networks: bool = True


@dataclass(frozen=True, slots=True)
class SymbolMarket:
    """Simulation and sizing parameters of one symbol (shared by all venues; see defaults.SYMBOLS)."""

    symbol: str
    initial_price: float
    volatility_annual: float
    level_spacing_bps: float
    touch_size_usdt: float
    trade_notional_usdt: float


@dataclass(frozen=True, slots=True)
class Shock:
    """A scripted dislocation of the simulated market, written ``"AT_S VENUE SYMBOL BPS HOLD_S"``: ``at_s``
    engine seconds after the start, ``venue``'s ``symbol`` is swept by ``bps`` (negative: down) and held
    ``hold_s`` before it reverts, unless other arbitrageurs close it first."""

    at_s: float
    venue: str
    symbol: str
    bps: float
    hold_s: float

    def __str__(self) -> str:
        return f"{self.at_s:g} {self.venue} {self.symbol} {self.bps:g} {self.hold_s:g}"


@dataclass(frozen=True, slots=True)
class SimulationConfig:
    """Parameters of the simulated market."""

    correlation: float = 0.8
    basis_stdev_bps: float = 1.0
    basis_halflife_s: float = 30.0
    half_spread_bps: float = 0.4
    levels: int = 25
    size_growth: float = 0.35
    dislocations_per_minute: float = 0.6
    dislocation_min_bps: float = 20.0
    dislocation_max_bps: float = 100.0
    dislocation_min_s: float = 2.0
    dislocation_max_s: float = 8.0
    trades_per_second: float = 4.0
    outages_per_hour: float = 2.0
    outage_min_s: float = 3.0
    outage_max_s: float = 8.0
    sequence_gap_probability: float = 0.0005
    feed_latency_ms: float = 15.0
    liquidity_refill_s: float = 3.0  # how long a level our orders emptied stays empty
    spoofs_per_minute: float = 2.0  # large orders placed near the touch and pulled before they trade
    spoof_size_multiple: float = 12.0  # a spoof's size, in multiples of the level size where it sits
    spoof_min_depth: int = 2  # levels from the touch where a spoof is placed
    spoof_max_depth: int = 6
    spoof_min_s: float = 2.0  # a spoof stays at most this long (uniform in [min, max]) unless approached
    spoof_max_s: float = 15.0
    # Other arbitrageurs (see config/presets.py: a preset sets these, keys the user writes win; these
    # defaults are the "normal" preset). Three classes by speed; each competitor gets its own latency
    # to each venue around its class's median.
    preset: str = "normal"  # "off" (nobody else trades), "calm", "normal", "competitive"
    fast_competitors: int = 1  # co-located professionals
    fast_latency_ms: float = 3.0  # median time from a venue's publication to their order at a venue
    medium_competitors: int = 2  # cloud-hosted bots in the venue's region
    medium_latency_ms: float = 20.0
    slow_competitors: int = 3  # retail-grade bots
    slow_latency_ms: float = 120.0
    competitor_latency_sigma: float = 0.35  # lognormal spread of one competitor's latency, per venue and per race
    competitor_fee_bps: float = 2.0  # their taker fee per leg (VIP tiers, rebates)
    competitor_edge_bps: float = 3.0  # the net edge after both fees below which they do not race
    competitor_participation: float = 0.5  # the share of routes (symbol, buy venue, sell venue) each one trades
    competitor_max_notional_usdt: float = 30_000.0  # what one competitor takes in one race
    competitor_impact: float = 0.4  # share of a sweep one full competitor fill closes (the venue requotes)
    competitor_cooldown_s: float = 0.1  # after a race, a competitor leaves that symbol alone this long (inventory, risk)
    # Informed moves: one venue moves first for good, the others follow after their own lag.
    informed_moves_per_minute: float = 0.4  # across all symbols
    informed_min_bps: float = 15.0
    informed_max_bps: float = 60.0
    follower_lag_min_ms: float = 30.0
    follower_lag_max_ms: float = 1000.0
    # Stale quotes: a slow venue's quote stops following the market for a while, and thins out.
    stale_quotes_per_minute: float = 0.5  # across all venues and symbols, slow venues likelier
    stale_min_s: float = 1.0
    stale_max_s: float = 5.0
    stale_thin_factor: float = 0.2  # its levels keep this share of their size
    # Scripted dislocations ("AT_S VENUE SYMBOL BPS HOLD_S"), besides the random ones: drills and tests.
    shocks: tuple[Shock, ...] = ()


@dataclass(frozen=True, slots=True)
class StrategyConfig:
    """Detector and signal settings."""

    threshold_bps: float = 5.0  # minimum net spread after both taker fees
    min_score: float = 0.45  # minimum composite signal score to trade
    stale_after_s: float = 2.0  # a venue with no update for this long is excluded
    slippage_protection_bps: float = 15.0
    spread_scale_bps: float = 40.0
    slippage_scale_bps: float = 10.0
    liquidity_band_bps: float = 10.0
    latency_scale_ms: float = 500.0
    flow_window_s: float = 10.0
    weights: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({
        "spread": 0.30, "liquidity": 0.15, "slippage": 0.10, "freshness": 0.10, "order_flow": 0.15,
        "execution_quality": 0.20}))
    imbalance_levels: int = 5  # top-N levels per side in the book imbalance
    drift_scale_bps: float = 5.0  # a VWAP drift of this many bps reads as full directional pressure
    vol_multiplier: float = 1.0  # the minimum net spread rises by this many bps per bp of realised volatility
    vol_window_s: float = 300.0  # realised volatility over this window, from mids sampled every vol_sample_s
    vol_sample_s: float = 1.0
    threshold_max_bps: float = 100.0
    # Subtract each pair's transfer cost (what moving the funds back will cost per unit traded, as the
    # treasury prices it) from its net spread before the threshold. Off: it is shown, not acted on.
    transfer_cost_in_decision: bool = False


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
class AdvisorConfig:
    """Which advisor decides, its time budget, spend cap and prices (see ``octo_desktop.advisor``)."""

    kind: str = "rule"  # "rule" (offline, default) or "openai"
    model: str = "gpt-4o"
    base_url: str = ""  # e.g. "http://127.0.0.1:11434/v1" for a local OpenAI-compatible server
    api_key: str = ""  # empty: OPENAI_API_KEY
    budget_ms: float = 1500.0  # an answer later than this is not waited for: it counts as a failure
    daily_spend_cap_usd: Decimal = Decimal("1.0")  # no more calls on a UTC day once this much was spent
    max_concurrent: int = 2  # calls at once; an opportunity beyond them waits for a free one
    on_failure: str = "rules"  # a failed call: "rules" (the rule advisor decides) or "skip" (no trade)
    wait_s: float = 2.0  # after WAIT, ask again this many engine seconds later if the spread holds
    recent_outcomes: int = 10  # advised trades summarised in each prompt
    temperature: float = 0.0
    max_output_tokens: int = 200
    prices: Mapping[str, tuple[Decimal, Decimal]] = field(default_factory=dict)  # model -> USD per 1M tokens in, out

    def price(self, model: str) -> tuple[Decimal, Decimal]:
        """Return (input, output) USD per million tokens for ``model`` (the "default" row if unlisted)."""
        return self.prices.get(model) or self.prices.get("default") or (Decimal(0), Decimal(0))


@dataclass(frozen=True, slots=True)
class AccountConfig:
    """How each venue's paper account is funded when a database is created."""

    quote_per_venue: Decimal = Decimal("10000")
    base_per_venue: Mapping[str, Decimal] = field(default_factory=dict)  # asset -> amount; missing: worth quote


WALLET = "wallet"  # the central wallet's name in the ledger, beside the venues
SOLANA = "solana"  # the Solana wallet the router swaps from, beside the venues
STABLECOINS = frozenset({QUOTE_ASSET, "USDC"})  # valued at 1 quote unit (the pools' USDC against USDT)


@dataclass(frozen=True, slots=True)
class TreasuryConfig:
    """Funds across venues: transfers, the central wallet, rebalancing (``[treasury]``)."""

    carry_bps_per_hour: float = 2.0  # what capital earns trading, per hour: the cost of funds in flight
    rebalance: bool = True  # move funds automatically toward the targets
    rebalance_interval_s: float = 300.0
    upper_band: float = 0.5  # act when a balance is off its target by more than this share of it ...
    inner_band: float = 0.2  # ... and refill only to within this share (never ping-pong)
    max_fee_share: float = 0.01  # a transfer's fee may be at most this share of its amount
    horizon_s: float = 3600.0  # the edge a transfer restores is counted over this horizon
    flow_window_s: float = 3600.0  # targets and forecasts from the opportunity flow over this window
    floor_share: float = 0.5  # every venue's target is at least this share of an even split
    min_transfer_usdt: float = 1000.0  # smaller moves are not worth a transfer
    collect_profit: bool = True  # move realized profit to the central wallet, from venues over their targets
    chains: Mapping[str, Chain] = field(default_factory=lambda: MappingProxyType({}))
    wallet: Mapping[str, Decimal] = field(default_factory=lambda: MappingProxyType({}))  # initial wallet funds


@dataclass(frozen=True, slots=True)
class RouterConfig:
    """The router desk: Solana costs, the pools and OTC counterparties it sees, Jupiter (``[router]``)."""

    slippage_bps: float = 50.0  # a DEX child's tolerance, checked against the pool when it lands
    dex_latency_ms: float = 800.0  # from sending a swap to its slot being confirmed
    sol_base_fee_lamports: float = 5000.0  # per signature
    priority_fee_lamports: float = 20000.0  # per swap (compute units x price)
    token_account_rent_sol: float = 0.00203928  # opening an associated token account that is missing
    delay_risk_aversion: float = 1.0  # k in the delay risk price x volatility x sqrt(delay) x k
    jupiter_url: str = ""  # empty: Octo's own pools (no network); else e.g. https://api.jup.ag/swap/v1
    price_url: str = ""  # a reference price when the books cannot give one: Jupiter's Price API v3, e.g.
    #                      https://lite-api.jup.ag/price/v3 (empty: none, no network)
    quote_endpoint: bool = False  # serve Jupiter's /quote on 127.0.0.1 for other tools
    quote_port: int = 8787
    max_order_usdt: float = 250_000.0  # a parent order's notional at the reference price may not exceed this
    reroute_rounds: int = 3  # how many times the part a child missed is routed again
    pools: Mapping[str, PoolSpec] = field(default_factory=lambda: MappingProxyType({}))
    otc: Mapping[str, OtcSpec] = field(default_factory=lambda: MappingProxyType({}))
    wallet: Mapping[str, Decimal] = field(default_factory=lambda: MappingProxyType({}))  # the Solana wallet's funds


# How each numeric key is checked. A key missing here is not a number (bool, string, table).
RULES: dict[str, dict[str, Rule]] = {
    "market": {"seed": _i(0, SEED_MAX)},
    "symbol": {"initial_price": Rule(1e-9), "volatility_annual": Rule(0.0, 10.0),
               "level_spacing_bps": Rule(0.01, 100.0), "touch_size_usdt": Rule(1.0), "trade_notional_usdt": Rule(1.0)},
    "venue": {"taker_fee": _d(0.0, 0.05), "maker_fee": _d(-0.01, 0.05), "latency_ms_median": Rule(0.1, 60000),
              "latency_ms_p95": Rule(0.1, 60000), "update_hz": Rule(0.1, 1000), "quote_lag_ms": Rule(0.0, 10000),
              "basis_bias_bps": Rule(-100, 100), "withdrawal_processing_s": Rule(0.0, 86400)},
    "live": {"rest_poll_interval_s": Rule(0.05, 3600), "reconnect_initial_s": Rule(0.01, 3600),
             "reconnect_max_s": Rule(0.01, 86400), "request_timeout_s": Rule(0.1, 600)},
    "simulation": {
        "correlation": Rule(-0.99, 0.99), "basis_stdev_bps": Rule(0.0, 100), "basis_halflife_s": Rule(0.01),
        "half_spread_bps": Rule(0.0, 100), "levels": _i(5, 1000), "size_growth": Rule(0.0, 10),
        "dislocations_per_minute": Rule(0.0, 60), "dislocation_min_bps": Rule(0.0, 5000),
        "dislocation_max_bps": Rule(0.0, 5000), "dislocation_min_s": Rule(0.1, 3600),
        "dislocation_max_s": Rule(0.1, 3600), "trades_per_second": Rule(0.0, 1000),
        "outages_per_hour": Rule(0.0, 3600), "outage_min_s": Rule(0.1, 3600), "outage_max_s": Rule(0.1, 3600),
        "sequence_gap_probability": Rule(0.0, 0.5), "feed_latency_ms": Rule(0.0, 10000),
        "liquidity_refill_s": Rule(0.0, 3600), "spoofs_per_minute": Rule(0.0, 600),
        "spoof_size_multiple": Rule(1.0, 1000), "spoof_min_depth": _i(1, 1000), "spoof_max_depth": _i(1, 1000),
        "spoof_min_s": Rule(0.1, 3600), "spoof_max_s": Rule(0.1, 3600),
        "fast_competitors": _i(0, 100), "fast_latency_ms": Rule(0.01, 60000),
        "medium_competitors": _i(0, 100), "medium_latency_ms": Rule(0.01, 60000),
        "slow_competitors": _i(0, 100), "slow_latency_ms": Rule(0.01, 60000),
        "competitor_latency_sigma": Rule(0.0, 3.0), "competitor_fee_bps": Rule(0.0, 100),
        "competitor_edge_bps": Rule(0.0, 1000), "competitor_participation": Rule(0.0, 1.0),
        "competitor_max_notional_usdt": Rule(1.0, 1e9), "competitor_impact": Rule(0.0, 1.0),
        "competitor_cooldown_s": Rule(0.0, 3600),
        "informed_moves_per_minute": Rule(0.0, 600), "informed_min_bps": Rule(0.0, 5000),
        "informed_max_bps": Rule(0.0, 5000), "follower_lag_min_ms": Rule(0.0, 60000),
        "follower_lag_max_ms": Rule(0.0, 60000), "stale_quotes_per_minute": Rule(0.0, 600),
        "stale_min_s": Rule(0.01, 3600), "stale_max_s": Rule(0.01, 3600), "stale_thin_factor": Rule(0.0, 1.0)},
    "strategy": {
        "threshold_bps": Rule(-1000, 10000), "min_score": Rule(0.0, 1.0), "stale_after_s": Rule(0.05, 3600),
        "slippage_protection_bps": Rule(0.0, 10000), "spread_scale_bps": Rule(0.01),
        "slippage_scale_bps": Rule(0.01), "liquidity_band_bps": Rule(0.01), "latency_scale_ms": Rule(1.0),
        "flow_window_s": Rule(0.1, 3600), "imbalance_levels": _i(1, 1000), "drift_scale_bps": Rule(0.01, 10000),
        "vol_multiplier": Rule(0.0, 1000), "vol_window_s": Rule(1.0, 86400), "vol_sample_s": Rule(0.01, 3600),
        "threshold_max_bps": Rule(-1000, 10000)},
    "risk": {
        "max_open_trades": _i(0, 1000), "max_notional_per_trade": _d(positive=True),
        "daily_loss_limit_pct": _d(0.0, 100.0), "max_notional_per_venue": _d(positive=True),
        "pair_cooldown_s": Rule(0.0, 86400), "breaker_losing_trades": _i(1, 1000),
        "breaker_failed_legs": _i(1, 1000), "breaker_window_s": Rule(1.0, 86400),
        "breaker_cooldown_s": Rule(1.0, 86400), "max_exposure_usdt": _d(positive=True),
        "exposure_resume_fraction": _d(0.0, 1.0, positive=True), "venue_max_latency_ms": Rule(1.0, 600000),
        "venue_min_fill_ratio": Rule(0.0, 1.0)},
    "execution": {
        "market_min_urgency": Rule(0.0, 1e6), "market_max_latency_ms": Rule(0.0, 600000),
        "post_only_max_urgency": Rule(0.0, 1e6), "post_only_min_latency_ms": Rule(0.0, 600000),
        "post_only_min_spread_bps": Rule(0.0, 10000), "retry_widen_bps": Rule(0.0, 10000),
        "reroute_max_bps": Rule(0.0, 10000), "reroute_venues": _i(0, 16), "timeout_factor": Rule(0.1, 100),
        "timeout_min_s": Rule(0.01, 3600), "timeout_max_s": Rule(0.01, 3600), "latency_window": _i(5, 100000),
        "learn_latency_min_samples": _i(1, 100000)},
    "spoofing": {
        "large_level_multiple": Rule(1.0, 10000), "watch_levels": _i(1, 1000), "approach_bps": Rule(0.0, 10000),
        "traded_fraction": Rule(0.0, 1.0), "memory_s": Rule(0.0, 86400 * 7), "min_events": _i(1, 100000),
        "discount": Rule(0.0, 1.0)},
    "advisor": {
        "budget_ms": Rule(10.0, 60000), "daily_spend_cap_usd": _d(0.0, 1e6), "max_concurrent": _i(1, 64),
        "wait_s": Rule(0.0, 3600), "recent_outcomes": _i(0, 100), "temperature": Rule(0.0, 2.0),
        "max_output_tokens": _i(16, 100000)},
    "account": {"quote_per_venue": _d()},
    "treasury": {"carry_bps_per_hour": Rule(0.0, 10000), "rebalance_interval_s": Rule(1.0, 86400 * 7),
                 "upper_band": Rule(0.0, 10.0), "inner_band": Rule(0.0, 10.0), "max_fee_share": Rule(0.0, 1.0),
                 "horizon_s": Rule(1.0, 86400 * 365), "flow_window_s": Rule(1.0, 86400 * 30),
                 "floor_share": Rule(0.0, 1.0), "min_transfer_usdt": Rule(0.0, 1e9)},
    "router": {"slippage_bps": Rule(0.0, 10000), "dex_latency_ms": Rule(0.0, 60000),
               "sol_base_fee_lamports": Rule(0.0, 1e9), "priority_fee_lamports": Rule(0.0, 1e10),
               "token_account_rent_sol": Rule(0.0, 1.0), "delay_risk_aversion": Rule(0.0, 100),
               "quote_port": _i(1024, 65535), "max_order_usdt": Rule(1.0), "reroute_rounds": _i(0, 20)},
    "pool": {"tvl": Rule(1.0), "fee_rate": _i(0, 999_999), "bin_step": _i(1, 400), "base_factor": _i(1, 10**7),
             "bins_each_side": _i(0, 500), "lag_s": Rule(0.01, 86400)},
    "otc": {"base_spread_bps": Rule(0.0, 1000), "size_slope_bps": Rule(0.0, 1000), "size_exponent": Rule(0.1, 5),
            "reference_size_usdt": Rule(1.0), "volatility_multiplier": Rule(0.0, 100), "min_usdt": Rule(0.0),
            "max_usdt": Rule(1.0), "capacity_usdt": Rule(1.0), "refill_usdt_per_s": Rule(0.0),
            "delay_s": Rule(0.0, 3600), "tolerance_bps": Rule(0.0, 1000)},
    "chain": {"block_time_s": Rule(0.01, 86400), "credit_confirmations": _i(1, 100000),
              "unlock_confirmations": _i(1, 100000)},
    "network": {"fee": _d(0.0, 1e9), "fee_share": _d(0.0, 0.5), "minimum": _d(0.0, 1e12)},
}

# The sections a plain table of keys builds (name in the file -> class); the others have tables of
# their own (symbols, venues, strategy.weights, advisor.prices, account.base_per_venue).
SECTIONS = {"live": LiveConfig, "simulation": SimulationConfig, "strategy": StrategyConfig, "risk": RiskLimits,
            "execution": ExecutionConfig, "spoofing": SpoofingSettings, "advisor": AdvisorConfig,
            "account": AccountConfig, "treasury": TreasuryConfig, "router": RouterConfig}


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
    risk: RiskLimits
    account: AccountConfig
    source: str  # the file it was read from, or "built-in defaults"
    live: LiveConfig = LiveConfig()
    execution: ExecutionConfig = ExecutionConfig()
    spoofing: SpoofingSettings = SpoofingSettings()
    advisor: AdvisorConfig = field(default_factory=AdvisorConfig)
    treasury: TreasuryConfig = field(default_factory=TreasuryConfig)
    router: RouterConfig = field(default_factory=RouterConfig)

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
                    raw = self.account.quote_per_venue / exact(self.markets[symbol].initial_price)
                    amount = (raw / lot).to_integral_value(rounding="ROUND_FLOOR") * lot
                balances[base] = amount
            result[venue] = balances
        if self.treasury.wallet:  # the central wallet (self-custody): reserves, and where profit is collected
            result[WALLET] = dict(self.treasury.wallet)
        if self.router.wallet:  # the Solana wallet the router swaps on the pools from
            result[SOLANA] = dict(self.router.wallet)
        return result
