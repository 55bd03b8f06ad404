"""Withdrawal networks from ccxt's unified currency structures: the code-to-chain table, the mapping, what is
skipped (never guessed), laying the routes over the config, the config key, and the recording line.

The currency fixtures are written as ccxt 4.5.90 produces them: ``KUCOIN`` is what ``kucoin.parse_currency``
makes of KuCoin's documented ``/api/v3/currencies`` reply (network entries keyed by the unified code, with
``code``, ``active`` None and amounts as floats); ``HTX`` is what ``htx.parse_currency`` makes of HTX's
documented ``/v2/reference/currencies`` reply (entries with ``network``, ``active`` set from the chain's
``withdrawStatus``/``depositStatus``).
"""

from __future__ import annotations

import asyncio
import math
import tomllib
from decimal import Decimal

import ccxt
import pytest

from octo_desktop.config import ConfigError, builtin_config, load_config
from octo_desktop.config.defaults import starter_text
from octo_desktop.domain.model import NetworkRules
from octo_desktop.feeds.networks_live import (
    CCXT_NETWORK_CODES, Unavailable, apply_network_rules, chain_of, failed_in_currencies, fetch_network_rules,
    networks_from_currencies, source_text,
)
from octo_desktop.feeds.recording import RecordingError, event_from_json, event_to_json

CHAINS = ("BTC", "ERC20", "TRC20", "BEP20", "SOL", "ARBITRUM")
ASSETS = ("USDT", "BTC", "ETH", "SOL")
NOW = 1764893640.0  # 2025-12-05 00:14 UTC
SOURCE = "kucoin via ccxt fetch_currencies, 2025-12-05 00:14 UTC"


def kucoin_network(code: str, chain_id: str, fee, minimum, withdraw=True, deposit=True) -> dict:
    return {"info": {"chainId": chain_id, "chainName": code}, "id": chain_id, "name": code, "code": code,
            "active": None, "fee": fee, "deposit": deposit, "withdraw": withdraw, "precision": 1e-08,
            "limits": {"withdraw": {"min": minimum, "max": None}, "deposit": {"min": None, "max": None}}}


def kucoin_currency(code: str, networks: list[dict]) -> dict:
    return {"id": code, "code": code, "name": code, "type": "crypto", "precision": 1e-08, "info": {},
            "active": None, "deposit": None, "withdraw": None, "fee": None, "margin": None,
            "limits": {"amount": {"min": None, "max": None}, "withdraw": {"min": None, "max": None}},
            "networks": {n["code"]: n for n in networks}}


KUCOIN = {
    "USDT": kucoin_currency("USDT", [
        kucoin_network("ERC20", "eth", 3.2, 12.0), kucoin_network("TRC20", "trx", 1.5, 10.0),
        kucoin_network("BEP20", "bsc", 0.45, 10.0, withdraw=False), kucoin_network("SOL", "sol", 1.1, 6.0),
        kucoin_network("ARBITRUM", "arbitrum", 0.6, 5.0), kucoin_network("KCC", "kcc", 0.05, 1.0)]),
    "BTC": kucoin_currency("BTC", [kucoin_network("BTC", "btc", 0.00025, 0.0008),
                                   kucoin_network("BTCNATIVESEGWIT", "bech32", 0.00012, 0.0008)]),
    "ETH": kucoin_currency("ETH", [kucoin_network("ERC20", "eth", 0.0011, 0.01),
                                   kucoin_network("ARBITRUM", "arbitrum", 9e-05, 0.002)]),
    "SOL": kucoin_currency("SOL", [kucoin_network("SOL", "sol", 0.006, 0.12, deposit=False)]),
    "TRX": kucoin_currency("TRX", [kucoin_network("TRC20", "trx", 1.0, 10.0)]),  # not an asset Octo uses
}


def htx_network(code: str, chain: str, fee, minimum, withdraw_status="allowed", deposit_status="allowed") -> dict:
    withdraw, deposit = withdraw_status == "allowed", deposit_status == "allowed"
    return {"info": {"chain": chain, "withdrawStatus": withdraw_status, "depositStatus": deposit_status},
            "id": chain, "network": code, "limits": {"deposit": {"min": 1.0, "max": None},
                                                    "withdraw": {"min": minimum, "max": 1000000.0}},
            "active": withdraw and deposit, "deposit": deposit, "withdraw": withdraw, "fee": fee,
            "precision": 1e-06}


HTX = {"USDT": {"id": "usdt", "code": "USDT", "name": None, "active": None, "deposit": None, "withdraw": None,
                "fee": None, "precision": None, "info": {}, "type": "crypto",
                "networks": {"TRC20": htx_network("TRC20", "trc20usdt", 1.2, 10.0),
                             "ERC20": htx_network("ERC20", "usdterc20", 4.5, 20.0, withdraw_status="prohibited"),
                             "ARB": htx_network("ARB", "arb1usdt", 0.4, 3.0)}}}


def rows(event: NetworkRules) -> dict:
    return {(a, c): (fee, share, minimum, w, d) for a, c, fee, share, minimum, w, d in event.networks}


# --- the code-to-chain table --------------------------------------------------------------------------------
def test_the_ccxt_code_table_is_explicit():
    assert CCXT_NETWORK_CODES == {
        "BTC": ("BTC", "BITCOIN"), "ERC20": ("ERC20", "ETH", "ETHEREUM"), "TRC20": ("TRC20", "TRX", "TRON"),
        "BEP20": ("BEP20", "BSC"), "SOL": ("SOL", "SOLANA", "SPL"),
        "ARBITRUM": ("ARBITRUM", "ARB", "ARBONE", "ARBITRUMONE", "ARBEVM")}


@pytest.mark.parametrize("code, chain", [
    ("TRC20", "TRC20"), ("TRX", "TRC20"), ("ERC20", "ERC20"), ("ETH", "ERC20"), ("BEP20", "BEP20"),
    ("BSC", "BEP20"), ("SOL", "SOL"), ("BTC", "BTC"), ("ARB", "ARBITRUM"), ("ARBONE", "ARBITRUM"),
    ("ARBITRUM", "ARBITRUM"), ("arbitrum", "ARBITRUM"),
])
def test_ccxt_network_codes_map_onto_octo_chains(code, chain):
    assert chain_of(code, CHAINS)[0] == chain


@pytest.mark.parametrize("code", ["BEP2", "BNB", "ARBNOVA", "BTCNATIVESEGWIT", "BRC20", "KCC", "MATIC", "TON"])
def test_other_chains_and_look_alikes_are_not_mapped(code):
    assert chain_of(code, CHAINS) is None


def test_a_chain_the_user_added_maps_by_its_own_name_and_a_chain_octo_lacks_does_not():
    assert chain_of("TON", (*CHAINS, "TON")) == ("TON", 0)
    assert chain_of("ARB", ("BTC", "ERC20")) is None  # no ARBITRUM chain configured


# --- mapping ------------------------------------------------------------------------------------------------
def test_kucoin_currencies_map_to_octo_routes_for_the_assets_octo_uses():
    event, problems = networks_from_currencies("kucoin", KUCOIN, CHAINS, ASSETS, SOURCE, NOW)
    assert problems == []
    assert (event.venue, event.source, event.received_time) == ("kucoin", SOURCE, NOW)
    assert rows(event) == {
        ("USDT", "ARBITRUM"): ("0.6", "0", "5", True, True),
        ("USDT", "BEP20"): ("0.45", "0", "10", False, True),
        ("USDT", "ERC20"): ("3.2", "0", "12", True, True),
        ("USDT", "SOL"): ("1.1", "0", "6", True, True),
        ("USDT", "TRC20"): ("1.5", "0", "10", True, True),
        ("BTC", "BTC"): ("0.00025", "0", "0.0008", True, True),  # not the segwit listing's 0.00012
        ("ETH", "ARBITRUM"): ("0.00009", "0", "0.002", True, True),  # 9e-05 written out
        ("ETH", "ERC20"): ("0.0011", "0", "0.01", True, True),
        ("SOL", "SOL"): ("0.006", "0", "0.12", True, False),
    }
    assert [r[0] for r in event.networks] == ["USDT"] * 5 + ["BTC", "ETH", "ETH", "SOL"]  # assets in order


def test_htx_currencies_with_network_keys_and_active_flags_map_too():
    event, problems = networks_from_currencies("htx", HTX, CHAINS, ("USDT",), "htx via ccxt", NOW)
    assert rows(event) == {("USDT", "TRC20"): ("1.2", "0", "10", True, True),
                           ("USDT", "ERC20"): ("4.5", "0", "20", False, False),  # active False closes both
                           ("USDT", "ARBITRUM"): ("0.4", "0", "3", True, True)}
    assert problems == []


def test_two_codes_for_one_chain_take_the_preferred_one_whatever_the_order():
    arb_first = {"USDT": kucoin_currency("USDT", [kucoin_network("ARB", "arb", 0.9, 1.0),
                                                  kucoin_network("ARBITRUM", "arbitrum", 0.3, 2.0)])}
    event, problems = networks_from_currencies("gate", arb_first, CHAINS, ("USDT",), "s", NOW)
    assert rows(event) == {("USDT", "ARBITRUM"): ("0.3", "0", "2", True, True)} and problems == []


@pytest.mark.parametrize("fee", [None, math.nan, math.inf, "NaN", "abc", -1.0, True, {"fee": 1}])
def test_a_missing_or_unusable_fee_skips_that_route_with_one_line_and_keeps_the_others(fee):
    currencies = {"USDT": kucoin_currency("USDT", [kucoin_network("TRC20", "trx", fee, 10.0),
                                                   kucoin_network("ERC20", "eth", 3.0, 10.0)])}
    event, problems = networks_from_currencies("gate", currencies, CHAINS, ("USDT",), "s", NOW)
    assert rows(event) == {("USDT", "ERC20"): ("3", "0", "10", True, True)}
    assert problems == [f"gate: USDT on TRC20 (ccxt TRC20): no usable withdrawal fee ({fee!r}); the TRC20 "
                        f"figures kept as they were"]


def test_a_minimum_that_is_not_a_number_skips_the_route_and_a_missing_one_is_left_to_the_config():
    currencies = {"USDT": kucoin_currency("USDT", [kucoin_network("TRC20", "trx", 1.0, "lots"),
                                                   kucoin_network("ERC20", "eth", 3.0, None)])}
    event, problems = networks_from_currencies("bitget", currencies, CHAINS, ("USDT",), "s", NOW)
    assert rows(event) == {("USDT", "ERC20"): ("3", "0", None, True, True)}
    assert problems == ["bitget: USDT on TRC20 (ccxt TRC20): the withdrawal minimum 'lots' is not a number; "
                        "the TRC20 figures kept as they were"]


def test_missing_networks_and_missing_assets_are_one_line_each_and_no_event_when_nothing_is_left():
    currencies = {"USDT": kucoin_currency("USDT", []), "BTC": {**kucoin_currency("BTC", []), "networks": None}}
    event, problems = networks_from_currencies("gate", currencies, CHAINS, ("USDT", "BTC", "SOL"), "s", NOW)
    assert event is None
    assert problems == ["gate: ccxt reports no withdrawal networks for USDT; its figures kept as they were",
                        "gate: ccxt reports no withdrawal networks for BTC; its figures kept as they were",
                        "gate: ccxt does not list SOL; its withdrawal figures kept as they were"]


def test_no_currencies_at_all_is_one_line():
    for nothing in (None, {}, []):
        assert networks_from_currencies("okx", nothing, CHAINS, ASSETS, "s", NOW) == (
            None, ["okx: ccxt reported no currencies; withdrawal figures kept as they were"])


def test_networks_only_on_chains_octo_lacks_say_so():
    currencies = {"USDT": kucoin_currency("USDT", [kucoin_network("KCC", "kcc", 0.1, 1.0)])}
    event, problems = networks_from_currencies("kucoin", currencies, CHAINS, ("USDT",), "s", NOW)
    assert event is None and problems == [
        "kucoin: ccxt reports no withdrawal network on Octo's chains (BTC, ERC20, TRC20, BEP20, SOL, ARBITRUM); "
        "withdrawal figures kept as they were"]


def test_unknown_flags_fall_back_to_the_currency_then_count_as_open():
    network = {**kucoin_network("TRC20", "trx", 1.0, 10.0), "withdraw": None, "deposit": None}
    closed = {**kucoin_currency("USDT", [network]), "withdraw": False}
    event, _ = networks_from_currencies("v", {"USDT": closed}, CHAINS, ("USDT",), "s", NOW)
    assert rows(event)[("USDT", "TRC20")][3:] == (False, True)


def test_the_source_names_the_venue_the_call_and_the_utc_minute():
    assert source_text("kucoin", "fetch_currencies", NOW) == SOURCE


# --- laying the routes over the config --------------------------------------------------------------------
def test_live_routes_replace_built_in_ones_and_keep_the_config_chain(tmp_path):
    config = builtin_config()
    event, _ = networks_from_currencies("kucoin", KUCOIN, CHAINS, ASSETS, SOURCE, NOW)
    updated, changed = apply_network_rules(config, event)
    assert changed == 9
    routes = updated.venues["kucoin"].networks
    trc20 = routes["USDT"]["TRC20"]
    assert (trc20.fee, trc20.minimum, trc20.withdraw_enabled, trc20.source) == (Decimal("1.5"), Decimal("10"), True,
                                                                                SOURCE)
    assert trc20.chain is config.treasury.chains["TRC20"]
    assert routes["USDT"]["BEP20"].withdraw_enabled is False and routes["SOL"]["SOL"].deposit_enabled is False
    assert routes["USDT"]["ARBITRUM"].chain is config.treasury.chains["ARBITRUM"]  # a chain the built-ins lacked
    assert updated.venues["kucoin"].withdrawal_fees["USDT"]["TRC20"] == Decimal("1.5")
    assert updated.venues["okx"] is config.venues["okx"]  # other venues untouched
    assert config.venues["kucoin"].networks["USDT"]["TRC20"].source == "built-in, 2026-12"  # the input unchanged


def test_a_route_set_in_the_config_file_wins_and_unreported_chains_keep_their_figures(tmp_path):
    path = tmp_path / "octo.toml"
    path.write_text("[venues.kucoin.networks.USDT.TRC20]\nfee = 0.7\nminimum = 3\n")
    config = load_config(path)
    event = NetworkRules("kucoin", (("USDT", "TRC20", "1.5", "0", "10", True, True),
                                    ("USDT", "ERC20", "3.2", "0", None, False, True)), SOURCE, NOW)
    updated, changed = apply_network_rules(config, event)
    routes = updated.venues["kucoin"].networks["USDT"]
    assert changed == 1
    assert (routes["TRC20"].fee, routes["TRC20"].source) == (Decimal("0.7"), "config")
    erc20 = routes["ERC20"]
    assert (erc20.fee, erc20.minimum, erc20.withdraw_enabled) == (Decimal("3.2"), Decimal("20.0"), False)
    assert erc20.source == f"{SOURCE} (minimum: built-in, 2026-12)"
    assert routes["SOL"].source == "built-in, 2026-12"  # not reported


def test_an_event_for_an_unknown_venue_or_chain_changes_nothing():
    config = builtin_config()
    assert apply_network_rules(config, NetworkRules("nowhere", (("USDT", "TRC20", "1", "0", "1", True, True),),
                                                    "s", NOW)) == (config, 0)
    assert apply_network_rules(config, NetworkRules("kucoin", (("USDT", "TON", "1", "0", "1", True, True),),
                                                    "s", NOW)) == (config, 0)


# --- fetching from a ccxt client (fakes standing for one) ---------------------------------------------------
class Client:
    """What ``fetch_network_rules`` reads of a ccxt client: currencies, has, fetch_currencies, credentials."""

    def __init__(self, currencies=None, has=True, fetched=None, error=None, keys=False):
        self.currencies, self.has, self._fetched, self._error, self._keys = currencies, {"fetchCurrencies": has}, \
            fetched, error, keys
        self.calls = 0

    async def fetch_currencies(self):
        self.calls += 1
        if self._error is not None:
            raise self._error
        return self._fetched

    def check_required_credentials(self, error=True):
        return self._keys


def fetch(client, venue="kucoin"):
    return asyncio.run(fetch_network_rules(client, venue, builtin_config(), NOW))


def test_currencies_loaded_with_the_markets_are_used_without_another_request():
    client = Client(currencies=KUCOIN)
    event, problems = fetch(client)
    assert client.calls == 0 and problems == [] and len(event.networks) == 9 and event.source == SOURCE


def test_currencies_are_fetched_when_the_markets_did_not_bring_them():
    client = Client(currencies={"USDT": {"code": "USDT"}}, fetched=KUCOIN, keys=True)
    event, problems = fetch(client)
    assert client.calls == 1 and len(event.networks) == 9


def test_no_keys_not_supported_and_network_errors_are_one_clear_line_each():
    assert fetch(Client(currencies={}, fetched=None), "binance") == (None, [
        "binance: ccxt serves its currencies only with API keys (none configured); withdrawal figures kept as they "
        "were"])
    assert fetch(Client(currencies={}, has=False), "mexc") == (None, [
        "mexc: ccxt cannot fetch its currencies (fetchCurrencies not supported); withdrawal figures kept as they were"])
    event, problems = fetch(Client(currencies={}, error=ccxt.NetworkError("kucoin GET /api/v3/currencies timed out")))
    assert event is None and problems == ["kucoin: cannot fetch withdrawal networks: NetworkError: kucoin GET "
                                          "/api/v3/currencies timed out; figures kept as they were"]
    assert not isinstance(problems[0], Unavailable)  # a failure: the venue's error
    assert all(isinstance(fetch(client, "okx")[1][0], Unavailable)  # how most venues are: only logged
               for client in (Client(currencies={}, fetched=None), Client(currencies={}, has=False)))


def test_only_a_parser_crash_inside_fetch_currencies_counts_as_a_broken_currencies_reply():
    def fetch_currencies(error):
        raise error

    def caught(error):
        try:
            fetch_currencies(error)
        except Exception as exc:  # noqa: BLE001 - the exception is what is tested
            return exc

    assert failed_in_currencies(caught(ValueError("invalid literal for int() with base 10: 'nan'")))
    assert not failed_in_currencies(caught(ccxt.RequestTimeout("kucoin GET /api/v3/currencies")))  # retried
    assert not failed_in_currencies(ValueError("raised elsewhere"))


# --- the config key -----------------------------------------------------------------------------------------
def test_refresh_networks_is_on_by_default_in_the_starter_and_checked(tmp_path):
    assert builtin_config().live.refresh_networks is True
    assert tomllib.loads(starter_text())["live"]["refresh_networks"] is True
    assert "refresh_networks = true  # live market: withdrawal fees" in starter_text()
    path = tmp_path / "octo.toml"
    path.write_text("[live]\nrefresh_networks = false\n")
    assert load_config(path).live.refresh_networks is False
    path.write_text('[live]\nrefresh_networks = "yes"\n')
    with pytest.raises(ConfigError, match="live.refresh_networks: must be true or false"):
        load_config(path)


# --- the recording line -------------------------------------------------------------------------------------
def test_a_networks_event_round_trips_through_its_recording_line():
    event = NetworkRules("kucoin", (("USDT", "TRC20", "1.5", "0", "10", True, True),
                                    ("USDT", "ERC20", "3.2", "0", None, False, True)), SOURCE, NOW)
    line = event_to_json(event)
    assert line == {"ts": NOW, "venue": "kucoin", "type": "networks", "source": SOURCE,
                    "networks": [["USDT", "TRC20", "1.5", "0", "10", True, True],
                                 ["USDT", "ERC20", "3.2", "0", None, False, True]]}
    assert event_from_json(line, "f:3") == (event, False)


@pytest.mark.parametrize("routes", [
    [["USDT", "TRC20", "NaN", "0", "10", True, True]],
    [["USDT", "TRC20", "-1", "0", "10", True, True]],
    [["USDT", "TRC20", "1", "0", "10", "yes", True]],
    [["USDT", "TRC20", "1", "0", "10", True]],
    [["", "TRC20", "1", "0", "10", True, True]],
    "USDT",
])
def test_a_bad_networks_line_is_refused_naming_the_line(routes):
    line = {"ts": NOW, "venue": "kucoin", "type": "networks", "source": SOURCE, "networks": routes}
    with pytest.raises(RecordingError, match=r"f:4: 'networks' must be a list"):
        event_from_json(line, "f:4")
