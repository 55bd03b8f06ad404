"""Withdrawal networks from what a venue's ccxt client exposes in live mode, and laying them over the config.

ccxt describes each currency's withdrawal routes in its unified currency structure: ``currencies[CODE]
['networks'][NET]`` holds ``fee`` (fixed, in the currency), ``limits.withdraw.min``, ``withdraw`` and
``deposit`` (open or not), ``active``, and the network's unified code (the key; ``network`` or ``code`` in
the entry). ``networks_from_currencies`` maps that onto Octo's chains (the keys of ``treasury.chains``) for
the assets Octo uses, with an explicit table of ccxt's network codes (``CCXT_NETWORK_CODES``). A route
whose fee is missing or not a finite number is skipped with one problem line: a fee is never guessed, the
figure in effect stays. ccxt's network structure has a fixed fee only, so ``fee_share`` is reported as 0
(as every built-in route has it).

Which venues serve this without API keys (ccxt 4.5.90): kucoin (``/api/v3/currencies``), bitget
(``/api/v2/spot/public/coins``) and htx (``/v2/reference/currencies``), all during ``load_markets``. gate
loads its currencies publicly too, but its public reply has no fees (ccxt leaves ``fee`` None): only with
the fee skipped per route. binance, okx, bybit and mexc serve currencies only with API keys.

``apply_network_rules`` lays a ``NetworkRules`` event over a config: a live figure replaces a built-in
one, but a route the user set in the config file (source "config") stays as the user wrote it, and a
chain the venue did not report keeps its built-in or configured route.

Pure: no asyncio or ccxt import (``translate_error`` imports ccxt only when a fetch failed).
``fetch_network_rules`` is the one coroutine: it is given the already-built ccxt client and only awaits it.
"""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import Any, Iterable, Mapping

from octo_desktop.domain.model import NetworkRoute, NetworkRules
from octo_desktop.feeds.ccxt_venue import one_line, translate_error
from octo_desktop.treasury.networks import Network

# ccxt's unified network codes -> Octo's chain, in order of preference when a venue reports two codes for
# the same chain (kucoin and gate use "ARBITRUM", bitget's "ArbitrumOne" becomes "ARBITRUM" too, older ccxt
# versions and other venues say "ARB" or "ARBONE"). ccxt writes "ETH" for Ethereum itself and "TRX" for Tron
# when the currency is the chain's own coin; "BSC" is BNB Smart Chain (BEP20). Codes not listed here map
# only to a chain of exactly that name in ``treasury.chains`` (a chain the user added). Deliberately not
# mapped: "BEP2" / "BNB" (BNB Beacon Chain, another chain), "ARBNOVA" (Arbitrum Nova), "BTCNATIVESEGWIT"
# and "BRC20" (kucoin's other Bitcoin address formats, listed beside "BTC" with their own fees).
CCXT_NETWORK_CODES: dict[str, tuple[str, ...]] = {
    "BTC": ("BTC", "BITCOIN"),
    "ERC20": ("ERC20", "ETH", "ETHEREUM"),
    "TRC20": ("TRC20", "TRX", "TRON"),
    "BEP20": ("BEP20", "BSC"),
    "SOL": ("SOL", "SOLANA", "SPL"),
    "ARBITRUM": ("ARBITRUM", "ARB", "ARBONE", "ARBITRUMONE", "ARBEVM"),
}
_CHAIN_OF_CODE = {code: (chain, rank) for chain, codes in CCXT_NETWORK_CODES.items()
                  for rank, code in enumerate(codes)}


def chain_of(code: str, chains: Iterable[str]) -> tuple[str, int] | None:
    """Return (Octo chain, preference rank) for ccxt's network ``code``, or None if Octo has no such chain."""
    upper = code.strip().upper()
    known = _CHAIN_OF_CODE.get(upper)
    chains = tuple(chains)
    if known is not None and known[0] in chains:
        return known
    if upper in chains:  # a chain the user added under [treasury.chains], named as ccxt names it
        return upper, 0
    return None


def source_text(venue: str, method: str, received_time: float) -> str:
    """Where live figures came from, for ``Network.source``: "kucoin via ccxt fetch_currencies, 2026-12-05 00:14 UTC"."""
    when = datetime.fromtimestamp(received_time, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return f"{venue} via ccxt {method}, {when}"


def _number(value: Any) -> Decimal | None:
    """A finite, non-negative amount from a ccxt field (float, int or numeric string), else None."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    try:
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() and number >= 0 else None


def _text(number: Decimal) -> str:
    return format(number.normalize(), "f")


def _flag(entry: Mapping, currency: Mapping, key: str) -> bool:
    """Whether withdrawals (``key`` "withdraw") or deposits are open on one network.

    ccxt reports None where a venue did not say: the network's ``active``, then the currency's own flag,
    answer then; a route nothing says anything about counts as open (it is listed). ``active`` False
    closes both ways, as ccxt's own ``safe_currency_structure`` reads it.
    """
    if entry.get("active") is False:
        return False
    for value in (entry.get(key), entry.get("active"), currency.get(key)):
        if isinstance(value, bool):
            return value
    return True


class Unavailable(str):
    """A problem line that says the venue does not serve its networks to this client (no API keys, ccxt
    cannot fetch them): the expected state of most venues, so it is logged but is not a venue error."""


def networks_from_currencies(venue: str, currencies: Any, chains: Iterable[str], assets: Iterable[str],
                             source: str, received_time: float) -> tuple[NetworkRules | None, list[str]]:
    """Map ccxt's unified currency structures onto Octo's withdrawal routes for ``assets`` on ``chains``.

    Return the event (None when nothing usable was reported) and the problems, one line each: an asset
    ccxt does not list or lists without networks, a route whose fee is missing or not a finite number,
    a minimum that is not a number. Networks on chains Octo does not know are left out without comment.
    """
    chains = tuple(chains)
    if not isinstance(currencies, Mapping) or not currencies:
        return None, [f"{venue}: ccxt reported no currencies; withdrawal figures kept as they were"]
    problems: list[str] = []
    routes: list[NetworkRoute] = []
    for asset in dict.fromkeys(assets):
        currency = currencies.get(asset)
        if not isinstance(currency, Mapping):
            problems.append(f"{venue}: ccxt does not list {asset}; its withdrawal figures kept as they were")
            continue
        networks = currency.get("networks")
        if not isinstance(networks, Mapping) or not networks:
            problems.append(f"{venue}: ccxt reports no withdrawal networks for {asset}; its figures kept as they were")
            continue
        chosen: dict[str, tuple[int, str, Mapping]] = {}
        for key, entry in networks.items():
            if not isinstance(entry, Mapping):
                continue
            code = key if isinstance(key, str) else entry.get("network") or entry.get("code")
            found = chain_of(code, chains) if isinstance(code, str) else None
            if found is None:
                continue
            chain, rank = found
            if chain not in chosen or rank < chosen[chain][0]:
                chosen[chain] = (rank, code, entry)
        for chain in sorted(chosen):
            _, code, entry = chosen[chain]
            where = f"{venue}: {asset} on {chain} (ccxt {code})"
            raw_fee = entry.get("fee")
            fee = _number(raw_fee)
            if fee is None:
                problems.append(f"{where}: no usable withdrawal fee ({raw_fee!r}); the {chain} figures kept "
                                f"as they were")
                continue
            limits = entry.get("limits")
            withdraw_limits = limits.get("withdraw") if isinstance(limits, Mapping) else None
            raw_min = withdraw_limits.get("min") if isinstance(withdraw_limits, Mapping) else None
            minimum = _number(raw_min)
            if raw_min is not None and minimum is None:
                problems.append(f"{where}: the withdrawal minimum {raw_min!r} is not a number; the {chain} "
                                f"figures kept as they were")
                continue
            routes.append((asset, chain, _text(fee), "0", None if minimum is None else _text(minimum),
                           _flag(entry, currency, "withdraw"), _flag(entry, currency, "deposit")))
    if not routes:
        if not problems:
            problems.append(f"{venue}: ccxt reports no withdrawal network on Octo's chains "
                            f"({', '.join(chains)}); withdrawal figures kept as they were")
        return None, problems
    return NetworkRules(venue, tuple(routes), source, received_time), problems


def _has_networks(currencies: Any, assets: Iterable[str]) -> bool:
    if not isinstance(currencies, Mapping):
        return False
    return any(isinstance(currencies.get(asset), Mapping) and currencies[asset].get("networks")
               for asset in assets)


def octo_assets(config, venue: str) -> tuple[str, ...]:
    """The assets Octo moves on ``venue``: the quote asset, the symbols' bases, and those it has routes for."""
    spec = config.venues.get(venue)
    return tuple(dict.fromkeys([*config.assets, *(spec.networks if spec is not None else ())]))


async def fetch_network_rules(exchange, venue: str, config, now: float,
                              secrets: tuple[str, ...] = ()) -> tuple[NetworkRules | None, list[str]]:
    """Return ``venue``'s withdrawal routes from its ccxt client (markets already loaded), and the problems.

    The currencies ccxt loaded in ``load_markets`` are used when they carry networks (kucoin, gate, bitget
    and htx load them publicly); otherwise ``fetch_currencies()`` is called if the client has it. Never
    raises for a venue's failure: no API keys, not supported, a network error each give one line and no
    event, and the figures in effect stay. The first two lines are ``Unavailable``: expected, not errors.
    """
    assets = octo_assets(config, venue)
    chains = tuple(config.treasury.chains)
    currencies = getattr(exchange, "currencies", None)
    if not _has_networks(currencies, assets):
        has = getattr(exchange, "has", None) or {}
        if not has.get("fetchCurrencies"):
            return None, [Unavailable(f"{venue}: ccxt cannot fetch its currencies (fetchCurrencies not supported); "
                                      f"withdrawal figures kept as they were")]
        try:
            currencies = await exchange.fetch_currencies()
        except Exception as exc:  # noqa: BLE001 - any venue failure is one line; CancelledError is not an Exception
            return None, [f"{venue}: cannot fetch withdrawal networks: {translate_error(exc, secrets)}; "
                          f"figures kept as they were"]
        if not _has_networks(currencies, assets):
            if not _has_credentials(exchange):
                return None, [Unavailable(f"{venue}: ccxt serves its currencies only with API keys (none "
                                          f"configured); withdrawal figures kept as they were")]
            if not currencies:
                return None, [f"{venue}: ccxt fetch_currencies returned nothing; withdrawal figures kept "
                              f"as they were"]
    try:
        return networks_from_currencies(venue, currencies, chains, assets,
                                        source_text(venue, "fetch_currencies", now), now)
    except Exception as exc:  # noqa: BLE001 - a structure no check foresaw must not stop the feed
        return None, [one_line(f"{venue}: cannot read ccxt's currencies ({type(exc).__name__}: {exc}); "
                               f"withdrawal figures kept as they were", secrets)]


def failed_in_currencies(exc: BaseException) -> bool:
    """Whether ``exc`` is ccxt's parser crashing on the venue's currencies (inside ``fetch_currencies``).

    ccxt 4.5.90 parses the currencies inside ``load_markets``, and some replies crash its parser (kucoin:
    a "NaN" fee beside a numeric one raises ValueError in ``safe_currency_structure``), which would keep
    the venue's markets from ever loading. The session then loads the markets without currencies. ccxt's
    own errors (a timeout, a 5xx) are not crashes: they are retried like any other.
    """
    import ccxt

    if isinstance(exc, ccxt.BaseError):
        return False
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_name == "fetch_currencies":
            return True
        tb = tb.tb_next
    return False


def _has_credentials(exchange) -> bool:
    check = getattr(exchange, "check_required_credentials", None)
    if check is None:
        return False
    try:
        return bool(check(False))
    except Exception:  # noqa: BLE001 - ccxt raises AuthenticationError when asked to (not here)
        return False


def apply_network_rules(config, event: NetworkRules):
    """Return ``config`` with ``event``'s routes laid over ``event.venue``'s networks, and how many changed.

    A reported route replaces the built-in one (or adds a chain the built-in table lacked), keeping the
    config's ``Chain`` for it; its ``source`` becomes the event's. A route the user set in the config file
    (source "config") stays: what the user wrote wins over what the venue says. A minimum the venue did not
    report keeps the figure in effect, and the source says so. Chains the venue did not report keep their
    built-in or configured routes. ``withdrawal_fees`` follows the new fees. Unknown venues and chains are
    ignored (the config is returned unchanged).
    """
    venue = config.venues.get(event.venue)
    chains = config.treasury.chains
    if venue is None:
        return config, 0
    networks = {asset: dict(routes) for asset, routes in venue.networks.items()}
    changed = 0
    for asset, chain_name, fee, fee_share, minimum, withdraw, deposit in event.networks:
        current = networks.get(asset, {}).get(chain_name)
        chain = current.chain if current is not None else chains.get(chain_name)
        if chain is None or (current is not None and current.source == "config"):
            continue
        source = event.source
        if minimum is None:
            if current is None:
                low = Decimal(0)
                source = f"{event.source} (no minimum reported)"
            else:
                low = current.minimum
                source = f"{event.source} (minimum: {current.source})"
        else:
            low = Decimal(minimum)
        networks.setdefault(asset, {})[chain_name] = Network(event.venue, asset, chain, Decimal(fee),
                                                             Decimal(fee_share), low, withdraw, deposit, source)
        changed += 1
    if not changed:
        return config, 0
    frozen = {asset: MappingProxyType(routes) for asset, routes in networks.items()}
    fees = {asset: MappingProxyType({name: route.fee for name, route in routes.items()})
            for asset, routes in networks.items()}
    venues = dict(config.venues)
    venues[event.venue] = replace(venue, networks=MappingProxyType(frozen), withdrawal_fees=MappingProxyType(fees))
    return replace(config, venues=MappingProxyType(venues)), changed
