"""Jupiter as the router's Solana source: the desk's REAL ``JupiterClient`` asks a loopback Jupiter (a quote API
on 127.0.0.1 pricing with the exact Raydium and Meteora math) for a ladder of quotes, routes a parent order
over the books and Jupiter, re-quotes the child when it lands, and shows an error reply as such."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading

import pytest

from octo_desktop.app import build_runtime
from octo_desktop.config import builtin_config
from octo_desktop.desks.router.jupiter_http import QuoteServer
from octo_desktop.desks.router.quoting import PoolQuoter
from octo_desktop.desks.router.sources import PoolMarket
from octo_desktop.router.jupiter import NO_ROUTES_FOUND, QuoteError
from octo_desktop.storage import post_control

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(300)]
START = 1_767_225_600.0


class LoopbackJupiter:
    """A quote API on its own thread and loop, answering from pools built at the market's starting prices;
    ``failing`` makes it answer NO_ROUTES_FOUND."""

    def __init__(self) -> None:
        config = builtin_config(["market.seed=7"])
        prices = {s.split("/")[0]: config.markets[s].initial_price for s in config.symbols}
        self.pools = PoolMarket(config.router, prices, 7, START)
        self.quoter = PoolQuoter(self.pools, lambda: START)
        self.failing = False
        self.requests = 0
        self.loop = asyncio.new_event_loop()
        self.server = QuoteServer(self.answer)
        self.thread = threading.Thread(target=self.loop.run_forever, name="test-jupiter", daemon=True)

    def answer(self, request):
        self.requests += 1
        if self.failing:
            raise QuoteError(NO_ROUTES_FOUND, "No routes found")
        return self.quoter.quote(request)

    def __enter__(self) -> "LoopbackJupiter":
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self.server.start(), self.loop).result(10)
        return self

    def __exit__(self, *exc) -> None:
        asyncio.run_coroutine_threadsafe(self.server.stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


def rows(db, sql):
    with sqlite3.connect(db) as connection:
        connection.row_factory = sqlite3.Row
        return [dict(row) for row in connection.execute(sql)]


def run(db, seconds, start, url):
    # Real time (speed 1): the quotes come over real HTTP while the engine's clock runs.
    runtime = build_runtime(builtin_config(["market.seed=7", f"router.jupiter_url={json.dumps(url)}"]), db_path=db,
                            speed=20.0, start_time=start, run_seconds=seconds)
    runtime.start()
    runtime.wait(timeout=240)
    assert not runtime.is_running and runtime.failure is None
    return runtime.summary


def test_a_parent_order_routes_part_through_jupiter_and_an_error_reply_is_shown(tmp_path):
    db = tmp_path / "octo.db"
    with LoopbackJupiter() as jupiter:
        run(db, 2.0, START, jupiter.server.url)
        post_control(db, "route", json.dumps({"side": "buy", "asset": "SOL", "quantity": 700}), 0.0)
        run(db, 40.0, START + 5, jupiter.server.url)
        assert jupiter.requests > 10  # the ladders, and the children's fresh quotes
        (order,) = rows(db, "SELECT * FROM routes")
        plan = json.loads(order["plan"])
        jupiter_children = [c for c in rows(db, "SELECT * FROM route_children") if c["kind"] == "jupiter"]
        assert order["state"] == "filled", order
        assert jupiter_children and all(c["state"] == "filled" for c in jupiter_children)
        assert all("Jupiter route:" in c["note"] for c in jupiter_children)
        assert not any(a["kind"] in ("amm", "dlmm") for a in plan["alternatives"])  # Jupiter stands for the pools
        fills = rows(db, "SELECT * FROM fills WHERE venue = 'solana'")
        assert {f["order_id"] for f in fills} == {c["child_id"] for c in jupiter_children}
        assert all(f["symbol"] == "SOL/USDC" for f in fills)
        # Jupiter refuses: the source is left out with its error, and a sell routes over the books alone (the buy spent the exchanges' USDT).
        jupiter.failing = True
        post_control(db, "route_quote", json.dumps({"side": "sell", "asset": "SOL", "quantity": 50}), 0.0)
        run(db, 60.0, START + 60, jupiter.server.url)
        answer = json.loads(rows(db, "SELECT result FROM control ORDER BY id DESC LIMIT 1")[0]["result"])
        (option,) = [a for a in answer["alternatives"] if a["source"] == "jupiter"]
        assert "NO_ROUTES_FOUND" in option["note"] and option["capacity"] == 0
        assert answer["planned"] == pytest.approx(50, abs=1e-6)
