"""The router's read-only /quote endpoint on the real runtime: the REAL ``JupiterClient`` asks the running engine
for quotes over HTTP on 127.0.0.1, and every amount is what Octo's own pools would really do."""

from __future__ import annotations

import asyncio
import socket

import pytest

from octo_desktop.app import build_runtime
from octo_desktop.config import builtin_config
from octo_desktop.desks.router.jupiter_http import JupiterClient
from octo_desktop.router.jupiter import EXACT_OUT, NO_ROUTES_FOUND, TOKEN_NOT_TRADABLE, QuoteError, QuoteRequest
from octo_desktop.router.pools import MINTS
from tests.fakes.waiting import eventually

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_quote_endpoint_answers_jupiters_schema_from_the_pools(tmp_path):
    port = free_port()
    config = builtin_config(["market.seed=7", "router.quote_endpoint=true", f"router.quote_port={port}"])
    runtime = build_runtime(config, db_path=tmp_path / "octo.db", speed=1.0, start_time=1_767_225_600.0,
                            run_seconds=None)
    runtime.start()
    try:
        def served():
            snapshot = runtime.latest_snapshot()
            return snapshot is not None and snapshot.router is not None and snapshot.router.quote_endpoint
        url = eventually(served, timeout=60, message="the endpoint is served")
        assert url == f"http://127.0.0.1:{port}/quote"

        async def ask():
            async with JupiterClient(f"http://127.0.0.1:{port}") as client:
                sell = await client.quote(QuoteRequest(MINTS["SOL"], MINTS["USDC"], 10_000_000_000, slippage_bps=50))
                buy = await client.quote(QuoteRequest(MINTS["USDC"], MINTS["SOL"], 2_000_000_000, swap_mode=EXACT_OUT))
                with pytest.raises(QuoteError) as unknown:
                    await client.quote(QuoteRequest(MINTS["SOL"], "Unknown1111111111111111111111111111111111", 1))
                with pytest.raises(QuoteError) as none:
                    await client.quote(QuoteRequest(MINTS["ETH"], MINTS["USDT"], 100_000_000))
                return sell, buy, unknown.value, none.value

        sell, buy, unknown, none = asyncio.run(ask())
        # 10 SOL in (ExactIn): the steps' inputs add up to it exactly, each step is its pool's own swap.
        assert sell.in_amount == 10_000_000_000
        assert sum(s.swap_info.in_amount for s in sell.route_plan) == sell.in_amount
        assert sum(s.swap_info.out_amount for s in sell.route_plan) == sell.out_amount
        assert sum(s.share_bps for s in sell.route_plan) == 10_000
        assert sell.other_amount_threshold == sell.out_amount - sell.out_amount * 50 // 10_000
        assert {s.swap_info.label for s in sell.route_plan} <= {"Raydium", "Raydium CP", "Meteora DLMM"}
        assert 149.0 * 10 * 1e6 * 0.98 < sell.out_amount < 151.0 * 10 * 1e6  # USDC, about the market
        pools = {p.name: p for p in runtime.latest_snapshot().router.pools}
        for step in sell.route_plan:
            pool = pools[step.swap_info.amm_key]  # a SOL/USDC pool of the engine's, at about its own price
            assert (pool.base, pool.quote) == ("SOL", "USDC")
            price = (step.swap_info.out_amount / 1e6) / (step.swap_info.in_amount / 1e9)
            assert pool.mid * 0.99 < price < pool.mid
        # 2 SOL out (ExactOut), paid in USDC.
        assert buy.out_amount == 2_000_000_000 and buy.in_amount > 2 * 140 * 1e6
        assert unknown.code == TOKEN_NOT_TRADABLE and none.code == NO_ROUTES_FOUND
    finally:
        runtime.stop(timeout=10)
        runtime.wait(timeout=60)
    assert runtime.failure is None
