"""A loopback KuCoin REST server for the real ccxt client's ``load_markets``: markets AND currencies.

It answers, in KuCoin's own reply schema (``{"code": "200000", "data": ...}``), the three public endpoints
ccxt 4.5.90's ``kucoin.load_markets`` calls with ``options.fetchMarkets.types = ['spot']``:

- ``GET /api/v3/currencies`` (docs-new "Get All Currencies"): per currency its ``chains``, each with
  ``chainId``, ``chainName``, ``withdrawalMinFee``, ``withdrawalMinSize``, ``isWithdrawEnabled``,
  ``isDepositEnabled`` ... (the figures below are realistic, not KuCoin's current ones);
- ``GET /api/v2/symbols`` (docs-new "Get All Symbols"): the spot symbols;
- ``GET /api/v1/market/allTickers`` (docs-new "Get All Tickers"): the base fee rates ccxt reads per symbol.

Everything else gets KuCoin's 404 body, so the WebSocket token request of a live session fails (its
books are not what these tests look at). ``currencies`` can be replaced to serve a bad reply. Runs on
the caller's loop (``async with``) or in a ``tests.fakes.exchanges.ServerThread`` (``start``/``stop``).
"""

from __future__ import annotations

import copy
import socket

from aiohttp import web

HOST = "127.0.0.1"


def kucoin_chain(chain_id: str, name: str, fee: str | None, minimum: str | None, *, withdraw: bool = True,
                 deposit: bool = True, confirms: int = 12) -> dict:
    """One entry of a currency's ``chains`` as KuCoin's ``/api/v3/currencies`` writes it (strings for amounts)."""
    return {"chainName": name, "withdrawalMinSize": minimum, "depositMinSize": None, "withdrawFeeRate": "0",
            "withdrawalMinFee": fee, "isWithdrawEnabled": withdraw, "isDepositEnabled": deposit,
            "confirms": confirms, "preConfirms": confirms, "contractAddress": "", "withdrawPrecision": 8,
            "maxWithdraw": None, "maxDeposit": None, "needTag": False, "chainId": chain_id}


def kucoin_currency(code: str, full_name: str, chains: list[dict]) -> dict:
    """One currency of KuCoin's ``/api/v3/currencies`` reply."""
    return {"currency": code, "name": code, "fullName": full_name, "precision": 8, "confirms": None,
            "contractAddress": None, "isMarginEnabled": True, "isDebitEnabled": True, "chains": chains}


# USDT on five chains Octo knows (BEP20 withdrawals closed) and one it does not (KCC); BTC on Bitcoin and on
# KuCoin's native-segwit listing (a second code for the same chain, with its own fee); ETH on Ethereum and
# Arbitrum; SOL on Solana with deposits closed.
KUCOIN_CURRENCIES = [
    kucoin_currency("USDT", "Tether", [
        kucoin_chain("eth", "ERC20", "3.2", "12"),
        kucoin_chain("trx", "TRC20", "1.5", "10"),
        kucoin_chain("bsc", "BEP20", "0.45", "10", withdraw=False),
        kucoin_chain("sol", "SOL", "1.1", "6"),
        kucoin_chain("arbitrum", "ARBITRUM", "0.6", "5"),
        kucoin_chain("kcc", "KCC", "0.05", "1"),
    ]),
    kucoin_currency("BTC", "Bitcoin", [
        kucoin_chain("btc", "BTC", "0.00025", "0.0008", confirms=2),
        kucoin_chain("bech32", "BTC-Segwit", "0.00012", "0.0008", confirms=2),
    ]),
    kucoin_currency("ETH", "Ethereum", [
        kucoin_chain("eth", "ERC20", "0.0011", "0.01", confirms=64),
        kucoin_chain("arbitrum", "ARBITRUM", "0.00009", "0.002"),
    ]),
    kucoin_currency("SOL", "Solana", [kucoin_chain("sol", "SOL", "0.006", "0.12", deposit=False)]),
]


def _symbol(base: str, price_increment: str, base_increment: str) -> dict:
    # One spot symbol of KuCoin's /api/v2/symbols reply.
    return {"symbol": f"{base}-USDT", "name": f"{base}-USDT", "baseCurrency": base, "quoteCurrency": "USDT",
            "feeCurrency": "USDT", "market": "USDS", "baseMinSize": base_increment, "quoteMinSize": "0.1",
            "baseMaxSize": "10000000000", "quoteMaxSize": "99999999", "baseIncrement": base_increment,
            "quoteIncrement": "0.000001", "priceIncrement": price_increment, "priceLimitRate": "0.1",
            "minFunds": "0.1", "isMarginEnabled": True, "enableTrading": True, "feeCategory": 1,
            "makerFeeCoefficient": "1.00", "takerFeeCoefficient": "1.00", "st": False}


def _ticker(base: str) -> dict:
    # One entry of KuCoin's /api/v1/market/allTickers reply (only the fee fields matter to load_markets).
    return {"symbol": f"{base}-USDT", "symbolName": f"{base}-USDT", "buy": "1", "sell": "1", "changeRate": "0",
            "changePrice": "0", "high": "1", "low": "1", "vol": "1", "volValue": "1", "last": "1",
            "averagePrice": "1", "takerFeeRate": "0.001", "makerFeeRate": "0.001", "takerCoefficient": "1",
            "makerCoefficient": "1"}


class KucoinRestServer:
    """KuCoin's public markets and currencies endpoints on 127.0.0.1; ``requests`` lists the paths asked."""

    ccxt_id = "kucoin"

    def __init__(self, currencies: list[dict] | None = None) -> None:
        self.currencies = copy.deepcopy(KUCOIN_CURRENCIES if currencies is None else currencies)
        self.symbols = [_symbol("BTC", "0.1", "0.00000001"), _symbol("ETH", "0.01", "0.0000001"),
                        _symbol("SOL", "0.001", "0.0001")]
        self.requests: list[str] = []
        self.url = ""
        self._runner: web.AppRunner | None = None

    def ccxt_overrides(self) -> dict:
        """Constructor options pointing every KuCoin REST URL here, spot markets only."""
        import ccxt

        from tests.fakes.exchanges import point_rest_at

        return {"urls": {"api": point_rest_at(ccxt.kucoin().urls["api"], self.url)},
                "options": {"fetchMarkets": {"types": ["spot"]}}}

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._answer)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        sock = socket.socket()
        sock.bind((HOST, 0))
        self.url = f"http://{HOST}:{sock.getsockname()[1]}"
        await web.SockSite(self._runner, sock).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> KucoinRestServer:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def _answer(self, request: web.Request) -> web.Response:
        self.requests.append(request.path)
        if request.method == "GET" and request.path == "/api/v3/currencies":
            return web.json_response({"code": "200000", "data": self.currencies})
        if request.method == "GET" and request.path == "/api/v2/symbols":
            return web.json_response({"code": "200000", "data": self.symbols})
        if request.method == "GET" and request.path == "/api/v1/market/allTickers":
            return web.json_response({"code": "200000", "data": {"time": 1764893640000,
                                                                 "ticker": [_ticker(s["baseCurrency"])
                                                                            for s in self.symbols]}})
        return web.json_response({"code": "404000", "msg": "Url Not Found"}, status=404)
