"""The built-in defaults as a tree (what a TOML file is merged into), and the starter file ``config init`` writes.

Both are made from the typed sections in ``schema`` (their field defaults) and from the tables below,
which hold what differs per venue and per symbol. Fees are the venues' published base-tier spot fees;
latency is the round trip of an order (median and 95th percentile, lognormal); update_hz is how often
the venue publishes book updates; quote_lag_ms is how far behind the fundamental price the venue's quotes
trail (leaders ~0, laggards several hundred ms); basis_bias_bps is the venue's long-run premium around the
fundamental.
"""

from __future__ import annotations

import copy
import json
from dataclasses import MISSING, fields
from decimal import Decimal
from typing import Any

from octo_desktop.config.schema import SECTIONS

VENUES = {
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

SYMBOLS = {
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
VENUE_SYMBOL_OVERRIDES = {
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

# Chains as venues see them, as of 2026-12: the block time, and the confirmations venues wait for before a
# deposit is credited for trading and before it can be withdrawn again. Confirmation counts are within the
# ranges the venues' and payment processors' help pages give (CEX.IO, CryptoPay, WhiteBIT: BTC 1-3, ERC20 12,
# BEP20 15, TRC20 1-20, SOL 1); unlock thresholds follow what OKX (minWdUnlockConfirm) and Bitget
# (withdrawConfirm) report beside their credit thresholds. Block times are the chains' targets.
CHAINS = {
    "BTC": {"block_time_s": 600.0, "credit_confirmations": 2, "unlock_confirmations": 3, "random_blocks": True},
    "ERC20": {"block_time_s": 12.0, "credit_confirmations": 12, "unlock_confirmations": 64, "random_blocks": False},
    "TRC20": {"block_time_s": 3.0, "credit_confirmations": 20, "unlock_confirmations": 20, "random_blocks": False},
    "BEP20": {"block_time_s": 3.0, "credit_confirmations": 15, "unlock_confirmations": 15, "random_blocks": False},
    "SOL": {"block_time_s": 0.4, "credit_confirmations": 1, "unlock_confirmations": 32, "random_blocks": False},
    "ARBITRUM": {"block_time_s": 0.25, "credit_confirmations": 20, "unlock_confirmations": 64,
                 "random_blocks": False},
}

# Withdrawal fees per asset and chain (fixed, in the asset), as the base tiers of the venues' fee pages
# showed them in 2026-12; a venue's own figures below. ``withdrawal_fees`` in a venue's table overrides
# the fee alone; ``networks`` sets any part of a route (fee, fee_share, minimum, withdraw, deposit).
WITHDRAWAL_FEES = {
    "USDT": {"TRC20": 1.0, "ERC20": 4.0, "SOL": 1.0, "BEP20": 0.8},
    "BTC": {"BTC": 0.0002},
    "ETH": {"ERC20": 0.0012, "ARBITRUM": 0.0001},
    "SOL": {"SOL": 0.008},
}
WITHDRAWAL_OVERRIDES = {
    "binance": {"USDT": {"TRC20": 1.5}},
    "htx": {"USDT": {"TRC20": 1.2}, "BTC": {"BTC": 0.0004}},
    "mexc": {"BTC": {"BTC": 0.0003}},
}
# The smallest withdrawal per asset and chain, in the asset.
WITHDRAWAL_MINIMUMS = {
    "USDT": {"TRC20": 10.0, "ERC20": 20.0, "SOL": 5.0, "BEP20": 10.0},
    "BTC": {"BTC": 0.001},
    "ETH": {"ERC20": 0.01, "ARBITRUM": 0.002},
    "SOL": {"SOL": 0.1},
}
# Median seconds from a withdrawal request to its broadcast (review and batching), by venue.
WITHDRAWAL_PROCESSING_S = {"binance": 60.0, "okx": 90.0, "bybit": 120.0, "kucoin": 180.0, "gate": 240.0,
                           "mexc": 300.0, "bitget": 150.0, "htx": 300.0}
# The central wallet (self-custody) and what it holds when a database is created.
WALLET = {"USDT": 20000.0, "BTC": 0.1}

# The Solana wallet the router swaps from, when a database is created: stablecoins for the pools, SOL for fees.
SOLANA_WALLET = {"USDC": 50000.0, "USDT": 10000.0, "SOL": 10.0}

# The router's Solana pools: realistic kinds, depths and fees for SOL, ETH (Wormhole WETH) and BTC (cbBTC)
# against USDC and USDT, as the larger Raydium and Meteora pools looked in 2026-12 (not any pool's live
# figures). ``tvl`` in the quote; ``fee_rate`` out of 1,000,000 (CPMM); DLMM's base fee is base_factor x
# bin_step x 1e-8; ``lag_s``: how fast arbitrageurs close a gap to the exchanges.
ROUTER_POOLS = {
    "raydium_sol_usdc": {"kind": "amm_v4", "base": "SOL", "quote": "USDC", "tvl": 12_000_000.0, "lag_s": 10.0},
    "raydium_sol_usdc_cpmm": {"kind": "cpmm", "base": "SOL", "quote": "USDC", "tvl": 5_000_000.0,
                              "fee_rate": 2500, "lag_s": 15.0},
    "raydium_sol_usdt_cpmm": {"kind": "cpmm", "base": "SOL", "quote": "USDT", "tvl": 1_500_000.0,
                              "fee_rate": 2500, "lag_s": 30.0},
    "meteora_sol_usdc": {"kind": "dlmm", "base": "SOL", "quote": "USDC", "tvl": 4_000_000.0, "bin_step": 10,
                         "base_factor": 10_000, "bins_each_side": 40, "lag_s": 8.0},
    "meteora_eth_usdc": {"kind": "dlmm", "base": "ETH", "quote": "USDC", "tvl": 2_000_000.0, "bin_step": 10,
                         "base_factor": 10_000, "bins_each_side": 40, "lag_s": 20.0},
    "meteora_btc_usdc": {"kind": "dlmm", "base": "BTC", "quote": "USDC", "tvl": 3_000_000.0, "bin_step": 5,
                         "base_factor": 10_000, "bins_each_side": 60, "lag_s": 20.0},
}
# Simulated OTC counterparties (sizes in USDT), settled with the central wallet: a request-for-quote desk for
# mid-size blocks (from 5,000), and a wider, deeper, slower block desk (from 100,000).
ROUTER_OTC = {
    "otc_swift": {"base_spread_bps": 6.0, "size_slope_bps": 5.0, "reference_size_usdt": 250_000.0,
                  "min_usdt": 5_000.0, "max_usdt": 2_000_000.0, "capacity_usdt": 5_000_000.0,
                  "refill_usdt_per_s": 500.0, "delay_s": 3.0, "tolerance_bps": 10.0},
    "otc_block": {"base_spread_bps": 10.0, "size_slope_bps": 3.0, "reference_size_usdt": 1_000_000.0,
                  "min_usdt": 100_000.0, "max_usdt": 10_000_000.0, "capacity_usdt": 20_000_000.0,
                  "refill_usdt_per_s": 2_000.0, "delay_s": 15.0, "tolerance_bps": 25.0},
}

# US dollars per million tokens (input, output), from OpenAI's published price list; "default" prices a
# model missing from the table (conservatively, as gpt-4o). A local model server costs nothing: give its
# model a zero price in the config.
ADVISOR_PRICES = {
    "default": {"input_per_mtok": 2.50, "output_per_mtok": 10.00},
    "gpt-4o": {"input_per_mtok": 2.50, "output_per_mtok": 10.00},
    "gpt-4o-mini": {"input_per_mtok": 0.15, "output_per_mtok": 0.60},
    "gpt-4.1": {"input_per_mtok": 2.00, "output_per_mtok": 8.00},
    "gpt-4.1-mini": {"input_per_mtok": 0.40, "output_per_mtok": 1.60},
    "gpt-4.1-nano": {"input_per_mtok": 0.10, "output_per_mtok": 0.40},
}

MARKET_DEFAULTS = {"kind": "simulated", "seed": 7}


def _plain(value: Any) -> Any:
    # TOML has no Decimal: the tree holds floats, which the loader turns back into exact decimals.
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict) or hasattr(value, "items"):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, tuple):  # TOML's array; a scripted shock is written as its text
        return [item if isinstance(item, (str, int, float, bool)) else str(item) for item in value]
    return value


def section_defaults(name: str) -> dict[str, Any]:
    """Return one section's keys and default values, from its typed class."""
    result = {}
    for f in fields(SECTIONS[name]):
        default = f.default if f.default is not MISSING else f.default_factory()  # type: ignore[misc]
        result[f.name] = _plain(default)
    return result


def default_tree() -> dict:
    """Return the whole default configuration as a tree of plain values (TOML's shape)."""
    venues = {}
    for name, (taker, maker, p50, p95, hz, lag, bias) in VENUES.items():
        overrides = {symbol: dict(values) for (venue, symbol), values in VENUE_SYMBOL_OVERRIDES.items()
                     if venue == name}
        fees = copy.deepcopy(WITHDRAWAL_FEES)
        for asset, networks in WITHDRAWAL_OVERRIDES.get(name, {}).items():
            fees.setdefault(asset, {}).update(networks)
        networks = {asset: {chain: {"fee": fee, "fee_share": 0.0, "minimum": WITHDRAWAL_MINIMUMS[asset][chain],
                                    "withdraw": True, "deposit": True} for chain, fee in chains.items()}
                    for asset, chains in fees.items()}
        venues[name] = {"enabled": True, "taker_fee": taker, "maker_fee": maker, "latency_ms_median": float(p50),
                        "latency_ms_p95": float(p95), "update_hz": float(hz), "quote_lag_ms": float(lag),
                        "basis_bias_bps": bias, "withdrawal_processing_s": WITHDRAWAL_PROCESSING_S[name],
                        "symbols": overrides, "withdrawal_fees": {}, "networks": networks, "ccxt": {}}
    tree: dict[str, Any] = {
        "market": dict(MARKET_DEFAULTS),
        "symbols": {"list": list(SYMBOLS), "specs": copy.deepcopy(SYMBOLS)},
        "venues": venues,
    }
    for name in SECTIONS:
        tree[name] = section_defaults(name)
    tree["advisor"]["prices"] = copy.deepcopy(ADVISOR_PRICES)
    tree["treasury"]["chains"] = copy.deepcopy(CHAINS)
    tree["treasury"]["wallet"] = dict(WALLET)
    tree["router"]["pools"] = copy.deepcopy(ROUTER_POOLS)
    tree["router"]["otc"] = copy.deepcopy(ROUTER_OTC)
    tree["router"]["wallet"] = dict(SOLANA_WALLET)
    return tree


# The starter file: the most-used keys, each with its default value and a comment.
STARTER = {
    "market": [("kind", ""), ("seed", "")],
    "symbols": [("list", "")],
    "simulation": [("preset", 'other arbitrageurs: "off", "calm", "normal" or "competitive"; keys set here win')],
    "strategy": [("threshold_bps", "minimum net spread after both taker fees"),
                 ("min_score", "minimum composite signal score to trade"),
                 ("stale_after_s", "a venue with no update for this long is excluded"),
                 ("vol_multiplier", "the minimum net spread rises by this many bps per bp of realised volatility"),
                 ("vol_window_s", "realised volatility over this window, from mids sampled every vol_sample_s"),
                 ("transfer_cost_in_decision", "also subtract each pair's transfer cost (moving the funds back, "
                                               "per unit traded) before the threshold")],
    "router": [("slippage_bps", "a Solana swap's tolerance, checked when it lands"),
               ("jupiter_url", "empty: Octo's own pools, no network; or Jupiter's quote API"),
               ("quote_endpoint", "serve Jupiter's /quote for other tools on 127.0.0.1:quote_port")],
    "risk": [("max_open_trades", ""), ("max_notional_per_trade", ""),
             ("max_notional_per_venue", "open notional touching one venue, the new trade included"),
             ("daily_loss_limit_pct", "of the day's starting equity; halts until 00:00 UTC"),
             ("pair_cooldown_s", "no new trade on a route for this long after one closes"),
             ("breaker_losing_trades", "this many losing trades in a row halt trading"),
             ("breaker_failed_legs", "this many failed legs within breaker_window_s halt trading"),
             ("breaker_window_s", ""), ("breaker_cooldown_s", "how long the circuit breaker halts trading"),
             ("max_exposure_usdt", "net inventory per asset above which only reductions are allowed"),
             ("exposure_resume_fraction", "new trades resume once every asset is within this fraction of it"),
             ("venue_max_latency_ms", "exclude a venue whose p95 order latency is above this"),
             ("venue_min_fill_ratio", "exclude a venue whose recent fill ratio is below this")],
    "spoofing": [("large_level_multiple", "a level this many times the median near-touch size is watched"),
                 ("discount", "on a book with recent spoofing, count large levels as typical ones")],
    "advisor": [("kind", '"rule" (offline, default) or "openai"'), ("model", ""),
                ("base_url", 'e.g. "http://127.0.0.1:11434/v1" for a local OpenAI-compatible server'),
                ("budget_ms", "an answer later than this is not waited for: it counts as a failure"),
                ("daily_spend_cap_usd", "no more calls on a UTC day once this much was spent (a failure too)"),
                ("max_concurrent", "calls at once; an opportunity beyond them waits for a free one"),
                ("on_failure", 'a failed call: "rules" (the rule advisor decides) or "skip" (no trade)')],
    "account": [("quote_per_venue", "")],
    "live": [("refresh_networks", "live market: withdrawal fees, minimums and open/closed from ccxt where a venue "
                                  "serves them (kucoin, bitget, htx without keys); routes set in this file win")],
}

_STARTER_NOTES = {
    "advisor": """# The key is read from OPENAI_API_KEY; advisor.api_key works too but is stored in plain text.
# Prices in USD per million tokens, for the cost shown in the AI log:
# [advisor.prices.my-local-model]
# input_per_mtok = 0.0
# output_per_mtok = 0.0
""",
}

_STARTER_END = """
# Per-venue settings, for example:
# [venues.htx]
# taker_fee = 0.002
# latency_ms_median = 110
# [venues.okx.symbols."BTC/USDT"]
# lot_size = 0.00000001
"""


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return json.dumps(value)


def starter_text() -> str:
    """Return a commented TOML file with the most-used settings at their defaults (``config init``)."""
    tree = default_tree()
    lines = ["# Octo configuration. Every key is optional: missing keys keep their built-in defaults.",
             "# Run `python -m octo_desktop config show` to see every key with its current value."]
    for section, keys in STARTER.items():
        lines += ["", f"[{section}]"]
        rows = [(f"{key} = {_toml_value(tree[section][key])}", comment) for key, comment in keys]
        width = max(len(text) for text, comment in rows if comment) + 2 if any(c for _, c in rows) else 0
        for text, comment in rows:
            lines.append(f"{text.ljust(width)}# {comment}" if comment else text)
        note = _STARTER_NOTES.get(section)
        if note:
            lines.append(note.rstrip("\n"))
    return "\n".join(lines) + "\n" + _STARTER_END
