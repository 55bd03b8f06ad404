"""Loading the configuration: the default tree, the user's TOML file, ``--set`` overrides, then the checks.

Every key of a section is checked by its ``schema.RULES`` entry (range, whole number, exact decimal);
an unknown key, a wrong type or a value out of range is a ``ConfigError`` naming the key.
"""

from __future__ import annotations

import copy
import functools
import math
import tomllib
from dataclasses import fields
from decimal import Decimal, InvalidOperation
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

from octo_desktop.config.defaults import default_tree
from octo_desktop.config.paths import default_config_path
from octo_desktop.config.presets import PRESETS
from octo_desktop.config.schema import (
    ADVISOR_FAILURE_POLICIES, ADVISOR_KINDS, MARKET_KINDS, QUOTE_ASSET, RULES, SECTIONS, VENUE_IDS, Config,
    ConfigError, Shock, SymbolMarket, VenueConfig,
)
from octo_desktop.domain.model import SymbolSpec
from octo_desktop.domain.money import exact
from octo_desktop.router.pools import OtcSpec, PoolSpec
from octo_desktop.treasury.networks import Chain, Network


def load_config(path: str | Path | None = None, overrides: list[str] | None = None) -> Config:
    """Load defaults, merge the TOML file (the user's file if ``path`` is None) and ``--set`` overrides."""
    tree, source = config_as_tree(path, overrides)
    return build(tree, source)


def config_as_tree(path: str | Path | None = None, overrides: list[str] | None = None) -> tuple[dict, str]:
    """Return the merged, not yet validated tree (defaults + file + overrides) and where it came from."""
    tree = default_tree()
    source = "built-in defaults"
    user: dict = {}
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
        source = str(file_path)
    layers = [user, *_override_trees(overrides)]
    _apply_preset(tree, layers)
    for layer in layers:
        _merge(tree, layer, "")
    return tree, source


def builtin_config(overrides: list[str] | None = None) -> Config:
    """Return the built-in defaults with ``--set``-style ``overrides``, never reading the user's file."""
    tree = default_tree()
    layers = _override_trees(overrides)
    _apply_preset(tree, layers)
    for layer in layers:
        _merge(tree, layer, "")
    return build(tree, "built-in defaults")


def _apply_preset(tree: dict, layers: list[dict]) -> None:
    """Fill the simulation's competitor keys from the preset the layers name (the last one wins), under
    whatever the layers themselves set."""
    preset = tree["simulation"]["preset"]
    for layer in layers:
        simulation = layer.get("simulation")
        if isinstance(simulation, dict) and "preset" in simulation:
            preset = simulation["preset"]
    if not isinstance(preset, str) or preset not in PRESETS:
        raise ConfigError(f"simulation.preset: must be one of {', '.join(PRESETS)}, got {preset!r}")
    tree["simulation"].update(PRESETS[preset])


def venue_defaults(name: str) -> VenueConfig:
    """Return the built-in configuration of venue ``name`` (for venues a recording names)."""
    if name not in VENUE_IDS:
        raise ConfigError(f"unknown venue {name!r}; known venues: {', '.join(VENUE_IDS)}")
    return build(default_tree(), "built-in defaults").venues[name]


# ---------------------------------------------------------------------------------------------------
# Merging.
# ---------------------------------------------------------------------------------------------------
def _override_trees(overrides: list[str] | None) -> list[dict]:
    trees = []
    for item in overrides or []:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--set {item!r}: expected KEY=VALUE")
        trees.append(_dotted(key.strip(), _parse_value(raw.strip())))
    return trees


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
                "venues.*.withdrawal_fees.*", "account.base_per_venue", "venues.*.networks", "venues.*.networks.*",
                "treasury.chains", "treasury.wallet", "router.pools", "router.otc",
                "router.wallet"}
_ROUTE_KEYS = ("fee", "fee_share", "minimum", "withdraw", "deposit")
_CHAIN_KEYS = ("block_time_s", "credit_confirmations", "unlock_confirmations", "random_blocks")
_VENUE_SYMBOL_KEYS = {"tick_size", "lot_size", "min_notional"}


def _is_open(prefix: str) -> bool:
    parts = prefix.split(".") if prefix else []
    if len(parts) >= 3 and parts[0] == "venues" and parts[2] == "ccxt":
        return True  # ccxt's own constructor options: any key, any depth
    for pattern in _OPEN_TABLES:
        pattern_parts = pattern.split(".")
        if len(pattern_parts) == len(parts) and all(p == "*" or p == q for p, q in zip(pattern_parts, parts)):
            return True
    return False


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


# ---------------------------------------------------------------------------------------------------
# Checking and building.
# ---------------------------------------------------------------------------------------------------
def _number(tree: Mapping, key: str, path: str, low: float | None = None, high: float | None = None,
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


def _decimal(tree: Mapping, key: str, path: str, low: float = 0.0, high: float | None = None,
             positive: bool = False) -> Decimal:
    number = _number(tree, key, path, low, high)
    if positive and number <= 0:
        raise ConfigError(f"{path}.{key}: must be > 0, got {number!r}")
    try:
        return exact(number)
    except InvalidOperation as exc:  # repr of a finite float always parses; kept for clarity
        raise ConfigError(f"{path}.{key}: not a decimal number") from exc


def _checked(rules: str, tree: Mapping, key: str, path: str) -> Any:
    """Return ``tree[key]`` checked by its rule in ``RULES[rules]``."""
    rule = RULES[rules][key]
    if rule.kind == "decimal":
        return _decimal(tree, key, path, rule.low if rule.low is not None else 0.0, rule.high, rule.positive)
    return _number(tree, key, path, rule.low, rule.high, integer=rule.kind == "int")


def _section(name: str, tree: Mapping, **tables) -> Any:
    """Build section ``name`` from its keys: numbers by their rule, booleans as such, tables given."""
    cls = SECTIONS[name]
    values = {}
    for f in fields(cls):
        if f.name in tables:
            values[f.name] = tables[f.name]
        elif f.name in RULES.get(name, {}):
            values[f.name] = _checked(name, tree, f.name, name)
        elif isinstance(f.default, bool):
            if not isinstance(tree.get(f.name), bool):
                raise ConfigError(f"{name}.{f.name}: must be true or false")
            values[f.name] = tree[f.name]
        else:
            values[f.name] = tree[f.name]
    return cls(**values)


def _at_least(section, later: str, earlier: str, name: str) -> None:
    if getattr(section, later) < getattr(section, earlier):
        raise ConfigError(f"{name}.{later}: must be >= {earlier}")


def build(tree: dict, source: str) -> Config:
    """Check the merged tree and build the typed ``Config``; raise ConfigError naming the first bad key."""
    market = tree["market"]
    if market.get("kind") not in MARKET_KINDS:
        raise ConfigError(f"market.kind: must be one of {', '.join(MARKET_KINDS)}, got {market.get('kind')!r}")
    seed = _checked("market", market, "seed", "market")
    symbol_list, markets = _markets(tree["symbols"])
    chains = _chains(tree["treasury"].get("chains", {}))
    venues = _venues(tree["venues"], symbol_list, tree["symbols"]["specs"], chains)

    simulation = _section("simulation", tree["simulation"],
                          shocks=_shocks(tree["simulation"].get("shocks", []), venues, symbol_list))
    _at_least(simulation, "spoof_max_depth", "spoof_min_depth", "simulation")
    if simulation.spoof_max_depth >= simulation.levels:
        raise ConfigError("simulation.spoof_max_depth: must be < simulation.levels")
    for later, earlier in (("spoof_max_s", "spoof_min_s"),
                           ("dislocation_max_bps", "dislocation_min_bps"), ("dislocation_max_s", "dislocation_min_s"),
                           ("outage_max_s", "outage_min_s"), ("informed_max_bps", "informed_min_bps"),
                           ("follower_lag_max_ms", "follower_lag_min_ms"), ("stale_max_s", "stale_min_s")):
        _at_least(simulation, later, earlier, "simulation")

    st = tree["strategy"]
    weights = {name: _number(st["weights"], name, "strategy.weights", 0.0, 1.0) for name in st["weights"]}
    total = sum(weights.values())
    if abs(total - 1.0) > 1e-9:
        raise ConfigError(f"strategy.weights: must add up to 1.0, they add up to {total:g}")
    strategy = _section("strategy", st, weights=MappingProxyType(weights))
    if strategy.vol_window_s < 3 * strategy.vol_sample_s:
        raise ConfigError("strategy.vol_window_s: must hold at least 3 samples of vol_sample_s")
    _at_least(strategy, "threshold_max_bps", "threshold_bps", "strategy")

    risk = _section("risk", tree["risk"])
    if risk.exposure_resume_fraction >= 1:
        raise ConfigError(f"risk.exposure_resume_fraction: must be < 1, got "
                          f"{tree['risk']['exposure_resume_fraction']!r}")
    account_tree = tree["account"]
    account = _section("account", account_tree, base_per_venue=MappingProxyType({
        asset: _decimal(account_tree["base_per_venue"], asset, "account.base_per_venue")
        for asset in account_tree["base_per_venue"]}))
    live = _section("live", tree["live"])
    _at_least(live, "reconnect_max_s", "reconnect_initial_s", "live")
    execution = _section("execution", tree["execution"])
    _at_least(execution, "timeout_max_s", "timeout_min_s", "execution")
    spoofing = _section("spoofing", tree["spoofing"])
    advisor = _advisor(tree["advisor"])
    treasury_tree = tree["treasury"]
    wallet_tree = treasury_tree.get("wallet", {})
    if not isinstance(wallet_tree, dict):
        raise ConfigError("treasury.wallet: must be a table of asset = amount")
    treasury = _section("treasury", treasury_tree, chains=MappingProxyType(chains), wallet=MappingProxyType(
        {asset: _decimal(wallet_tree, asset, "treasury.wallet") for asset in wallet_tree}))
    if treasury.inner_band >= treasury.upper_band:
        raise ConfigError(f"treasury.inner_band: must be < upper_band ({treasury.upper_band:g}), "
                          f"got {treasury.inner_band:g}")
    router = _router(tree["router"])
    return Config(market=market["kind"], seed=seed, symbols=tuple(symbol_list), markets=MappingProxyType(markets),
                  venues=MappingProxyType(venues), simulation=simulation, strategy=strategy, risk=risk,
                  account=account, source=source, live=live, execution=execution, spoofing=spoofing,
                  advisor=advisor, treasury=treasury, router=router)


def _router(tree: Mapping):
    """``[router]``: its keys, then each pool and OTC counterparty, missing keys at their defaults."""
    for key in ("jupiter_url", "price_url"):
        value = tree.get(key, "")
        if not isinstance(value, str) or (value.strip() and not value.strip().startswith(("http://", "https://"))):
            raise ConfigError(f"router.{key}: must be empty or start with http:// or https://, got {value!r}")
    url = tree.get("jupiter_url")
    tables = {}
    for what, cls, rules in (("pools", PoolSpec, "pool"), ("otc", OtcSpec, "otc")):
        table = tree.get(what, {})
        if not isinstance(table, dict):
            raise ConfigError(f"router.{what}: must be a table of name = {{...}}")
        specs = {}
        for name, values in table.items():
            path = f"router.{what}.{name}"
            if not isinstance(values, dict):
                raise ConfigError(f"{path}: must be a table")
            known = {f.name for f in fields(cls)} - {"name"}
            unknown = sorted(set(values) - known)
            if unknown:
                raise ConfigError(f"{path}.{unknown[0]}: unknown key (one of {', '.join(sorted(known))})")
            kwargs = {key: values[key] for key in values if key not in RULES[rules]}
            for key in RULES[rules]:
                if key in values:
                    kwargs[key] = _checked(rules, values, key, path)
            for key in ("kind", "base", "quote"):
                if key in kwargs and not isinstance(kwargs[key], str):
                    raise ConfigError(f"{path}.{key}: must be a string")
            try:
                specs[name] = cls(name, **kwargs)
            except (TypeError, ValueError) as exc:
                raise ConfigError(f"{path}: {exc}") from None
        tables[what] = MappingProxyType(specs)
    wallet_tree = tree.get("wallet", {})
    if not isinstance(wallet_tree, dict):
        raise ConfigError("router.wallet: must be a table of asset = amount")
    wallet = MappingProxyType({asset: _decimal(wallet_tree, asset, "router.wallet") for asset in wallet_tree})
    return _section("router", dict(tree, jupiter_url=url.strip(), price_url=tree.get("price_url", "").strip()),
                    **tables, wallet=wallet)


def _markets(symbols_tree: Mapping) -> tuple[list[str], dict[str, SymbolMarket]]:
    symbol_list = symbols_tree["list"]
    if not isinstance(symbol_list, list) or not symbol_list:
        raise ConfigError("symbols.list: must be a non-empty list of symbols like 'BTC/USDT'")
    specs_tree = symbols_tree["specs"]
    markets = {}
    for symbol in symbol_list:
        if not isinstance(symbol, str) or symbol.count("/") != 1 or not symbol.endswith("/" + QUOTE_ASSET):
            raise ConfigError(f"symbols.list: {symbol!r} is not a {QUOTE_ASSET}-quoted symbol like 'BTC/USDT'")
        if symbol not in specs_tree:
            raise ConfigError(f'symbols.specs."{symbol}": no parameters for this symbol; add a table '
                              f'[symbols.specs."{symbol}"] with initial_price, volatility_annual, '
                              f"tick_size, lot_size, min_notional, level_spacing_bps, "
                              f"touch_size_usdt, trade_notional_usdt")
        spec, path = specs_tree[symbol], f'symbols.specs."{symbol}"'
        markets[symbol] = SymbolMarket(symbol=symbol, **{
            key: _number(spec, key, path, rule.low, rule.high) for key, rule in RULES["symbol"].items()})
    return symbol_list, markets


def _shocks(entries: Any, venues: Mapping, symbol_list: list[str]) -> tuple[Shock, ...]:
    """Return the scripted dislocations, each written ``"AT_S VENUE SYMBOL BPS HOLD_S"``."""
    if not isinstance(entries, (list, tuple)):
        raise ConfigError('simulation.shocks: must be a list like ["30 okx ETH/USDT -80 5"] '
                          "(at seconds, venue, symbol, bps, held seconds)")
    shocks = []
    for index, entry in enumerate(entries):
        where = f"simulation.shocks[{index}]"
        parts = entry.split() if isinstance(entry, str) else []
        if len(parts) != 5:
            raise ConfigError(f'{where}: {entry!r} is not "AT_S VENUE SYMBOL BPS HOLD_S", e.g. "30 okx ETH/USDT -80 5"')
        at_text, venue, symbol, bps_text, hold_text = parts
        try:
            at_s, bps, hold_s = float(at_text), float(bps_text), float(hold_text)
        except ValueError:
            raise ConfigError(f"{where}: {entry!r}: seconds, bps and held seconds must be numbers") from None
        if not all(math.isfinite(x) for x in (at_s, bps, hold_s)) or at_s < 0 or hold_s <= 0 or not 0 < abs(bps) < 5000:
            raise ConfigError(f"{where}: {entry!r}: needs at >= 0 s, held > 0 s and 0 < |bps| < 5000")
        if venue not in venues:
            raise ConfigError(f"{where}: {entry!r}: {venue!r} is not an enabled venue")
        if symbol not in symbol_list:
            raise ConfigError(f"{where}: {entry!r}: {symbol!r} is not in symbols.list")
        shocks.append(Shock(at_s, venue, symbol, bps, hold_s))
    return tuple(sorted(shocks, key=lambda shock: shock.at_s))


@functools.cache
def _builtin_networks() -> dict:
    # Read only: tells a built-in route (its figures dated in defaults.py) from one the config changed.
    return {name: venue["networks"] for name, venue in default_tree()["venues"].items()}


def _chains(tree: Any) -> dict[str, Chain]:
    """Return the chains of ``[treasury.chains]``: block time and the two confirmation thresholds."""
    if not isinstance(tree, dict):
        raise ConfigError("treasury.chains: must be a table of chain = {block_time_s, credit_confirmations, ...}")
    chains = {}
    for name, values in tree.items():
        path = f"treasury.chains.{name}"
        if not isinstance(values, dict):
            raise ConfigError(f"{path}: must be a table with {', '.join(_CHAIN_KEYS)}")
        unknown = sorted(set(values) - set(_CHAIN_KEYS))
        if unknown:
            raise ConfigError(f"{path}.{unknown[0]}: unknown key (a chain has {', '.join(_CHAIN_KEYS)})")
        numbers = {key: _checked("chain", values, key, path) for key in RULES["chain"]}
        random_blocks = values.get("random_blocks", False)
        if not isinstance(random_blocks, bool):
            raise ConfigError(f"{path}.random_blocks: must be true or false")
        if numbers["unlock_confirmations"] < numbers["credit_confirmations"]:
            raise ConfigError(f"{path}.unlock_confirmations: must be >= credit_confirmations")
        chains[name] = Chain(name, random_blocks=random_blocks, **numbers)
    return chains


def _networks(venue_name: str, venue: Mapping, path: str, chains: Mapping[str, Chain]) -> dict:
    """Return asset -> chain -> ``Network`` for one venue: its ``networks`` table, with the fees of its
    ``withdrawal_fees`` table (the older, fee-only form) laid over them."""
    builtin = _builtin_networks().get(venue_name, {})
    tree = copy.deepcopy(venue.get("networks", {}))
    fees = venue.get("withdrawal_fees", {})
    for where, table in (("networks", tree), ("withdrawal_fees", fees)):
        if not isinstance(table, dict) or not all(isinstance(routes, dict) for routes in table.values()):
            raise ConfigError(f"{path}.{where}: must be a table of asset = {{chain = ...}}")
    for asset, routes in fees.items():
        for chain in routes:
            tree.setdefault(asset, {}).setdefault(chain, {})["fee"] = routes[chain]
    result: dict[str, Any] = {}
    for asset, routes in tree.items():
        networks = {}
        for chain, route in routes.items():
            where = f"{path}.networks.{asset}.{chain}"
            if chain not in chains:
                raise ConfigError(f"{where}: unknown chain; known chains: {', '.join(chains)} "
                                  f"(add one under [treasury.chains.{chain}])")
            if not isinstance(route, dict):
                raise ConfigError(f"{where}: must be a table with {', '.join(_ROUTE_KEYS)}")
            unknown = sorted(set(route) - set(_ROUTE_KEYS))
            if unknown:
                raise ConfigError(f"{where}.{unknown[0]}: unknown key (a network has {', '.join(_ROUTE_KEYS)})")
            values = {"fee": 0.0, "fee_share": 0.0, "minimum": 0.0, "withdraw": True, "deposit": True, **route}
            for flag in ("withdraw", "deposit"):
                if not isinstance(values[flag], bool):
                    raise ConfigError(f"{where}.{flag}: must be true or false")
            numbers = {key: _checked("network", values, key, where) for key in RULES["network"]}
            source = "built-in, 2026-12" if builtin.get(asset, {}).get(chain) == values else "config"
            networks[chain] = Network(venue_name, asset, chains[chain], numbers["fee"], numbers["fee_share"],
                                      numbers["minimum"], values["withdraw"], values["deposit"], source)
        result[asset] = MappingProxyType(networks)
    return result


def _venues(venues_tree: Mapping, symbol_list: list[str], specs_tree: Mapping,
            chains: Mapping[str, Chain]) -> dict[str, VenueConfig]:
    venues = {}
    for name, venue in venues_tree.items():
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
            symbols[symbol] = SymbolSpec(symbol=symbol, tick_size=_decimal(merged, "tick_size", spath, positive=True),
                                         lot_size=_decimal(merged, "lot_size", spath, positive=True),
                                         min_notional=_decimal(merged, "min_notional", spath))
        networks = _networks(name, venue, path, chains)
        fees = {asset: MappingProxyType({chain: route.fee for chain, route in routes.items()})
                for asset, routes in networks.items()}
        checked = {key: _checked("venue", venue, key, path) for key in RULES["venue"]}
        if checked["latency_ms_p95"] < checked["latency_ms_median"]:
            raise ConfigError(f"{path}.latency_ms_p95: must be >= latency_ms_median ({checked['latency_ms_median']})")
        ccxt = venue.get("ccxt", {})
        if not isinstance(ccxt, dict):
            raise ConfigError(f"{path}.ccxt: must be a table of ccxt constructor options")
        venues[name] = VenueConfig(name=name, symbols=MappingProxyType(symbols), withdrawal_fees=MappingProxyType(fees),
                                   ccxt=MappingProxyType(copy.deepcopy(ccxt)), networks=MappingProxyType(networks),
                                   **checked)
    if not venues:
        raise ConfigError("venues: enable at least one venue (two or more to find spreads)")
    return venues


def _advisor(ad: Mapping):
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
    if not isinstance(ad.get("prices"), dict):
        raise ConfigError("advisor.prices: must be a table of models")
    prices = {}
    for model, row in ad["prices"].items():
        path = f"advisor.prices.{model}"
        if not isinstance(row, dict) or set(row) != {"input_per_mtok", "output_per_mtok"}:
            raise ConfigError(f"{path}: must have exactly input_per_mtok and output_per_mtok")
        prices[model] = (_decimal(row, "input_per_mtok", path, 0.0, 10000),
                         _decimal(row, "output_per_mtok", path, 0.0, 10000))
    cleaned = dict(ad, model=ad["model"].strip(), base_url=base_url, api_key=ad["api_key"].strip())
    return _section("advisor", cleaned, prices=MappingProxyType(prices))
