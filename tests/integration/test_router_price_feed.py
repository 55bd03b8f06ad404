"""The router's HTTP reference price (``router.price_url``, Jupiter's Price API v3) on the real runtime: with
one exchange book the books cannot give a reference, so the price API's answer is used, flagged as a fallback;
a failing API is one line, and the last known price carries on."""

from __future__ import annotations

import asyncio
import threading

import pytest
from aiohttp import web

from octo_desktop.app import build_runtime
from octo_desktop.config import VENUE_IDS, builtin_config
from octo_desktop.router.pools import MINTS
from tests.fakes.waiting import eventually

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]


class PriceApi:
    """A loopback price API on its own thread: ``GET /price/v3?ids=...``."""

    def __init__(self) -> None:
        self.price = 151.25
        self.failing = False
        self.requests: list[str] = []
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="test-price-api", daemon=True)
        self.runner = None
        self.port = 0

    async def answer(self, request: web.Request) -> web.Response:
        self.requests.append(request.query.get("ids", ""))
        if self.failing:
            return web.Response(status=503, text="maintenance")
        ids = request.query.get("ids", "").split(",")
        body = {mint: {"usdPrice": self.price, "blockId": 1, "decimals": 9, "priceChange24h": 0.1}
                for mint in ids if mint == MINTS["SOL"]}
        return web.json_response(body)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/price/v3", self.answer)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]

    def __enter__(self) -> "PriceApi":
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self.start(), self.loop).result(10)
        return self

    def __exit__(self, *exc) -> None:
        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


def test_with_one_book_the_reference_is_the_price_apis_then_the_last_known(tmp_path):
    with PriceApi() as api:
        only_binance = [f"venues.{v}.enabled={'true' if v == 'binance' else 'false'}" for v in VENUE_IDS]
        config = builtin_config(["market.seed=7", *only_binance,
                                 f'router.price_url="http://127.0.0.1:{api.port}/price/v3"'])
        runtime = build_runtime(config, db_path=tmp_path / "octo.db", speed=5.0, start_time=1_767_225_600.0)
        runtime.start()
        try:
            def reference():
                snapshot = runtime.latest_snapshot()
                found = snapshot and snapshot.router and snapshot.router.references.get("SOL")
                return found if found and found.source.startswith("http price api") else None

            found = eventually(reference, timeout=60, message="the price API's reference")
            assert found.price == 151.25 and found.fallback
            assert MINTS["SOL"] in api.requests[0].split(",")
            api.failing = True
            api.price = 999.0

            def failed():
                snapshot = runtime.latest_snapshot()
                found = snapshot.router.references.get("SOL")
                return found if "HTTP 503" in found.source else None

            found = eventually(failed, timeout=60, message="the failure shown")
            assert found.price == 151.25  # the API's last answer stands, with its age, until a fresher source
            assert found.fallback
        finally:
            runtime.stop(timeout=10)
            runtime.wait(timeout=60)
        assert runtime.failure is None
