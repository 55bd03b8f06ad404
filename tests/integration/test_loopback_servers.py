"""The loopback OKX and Binance servers drive the REAL ccxt.pro client to the independently rebuilt books.

Each test runs its servers in a ``ServerThread`` and the ccxt client in ``asyncio.run`` on the test thread,
as Octo's live feed will (its own asyncio thread, the servers in another).
"""

from __future__ import annotations

import asyncio
import json
import socket
from typing import Awaitable, Callable

import aiohttp
import ccxt
import ccxt.pro
import pytest
from websockets.asyncio.client import connect

from tests.fakes.waiting import eventually_async
from tests.fakes.exchanges import BinanceServer, OkxServer, ReplayServer, ServerThread
from tests.fakes.realdata import FloatBook, binance_diffs, binance_snapshot, okx_float_checksum

pytestmark = pytest.mark.integration
TIMEOUT = 5.0
OKX_SYMBOL = "BTC/USDT"
BINANCE_SYMBOL = "NKN/USDT"


def make_exchange(server: ReplayServer) -> ccxt.pro.Exchange:
    """The real ccxt.pro client of the server's dialect, pointed at it (no client-side throttling in tests)."""
    return getattr(ccxt.pro, server.ccxt_id)({**server.ccxt_overrides(), "enableRateLimit": False})


def as_floats(book: dict) -> FloatBook:
    """A ccxt book as ``{price: size}`` dicts, checking that ccxt keeps each side sorted best first."""
    bids, asks = [price for price, _ in book["bids"]], [price for price, _ in book["asks"]]
    assert bids == sorted(bids, reverse=True) and asks == sorted(asks)
    return FloatBook({price: size for price, size in book["bids"]}, {price: size for price, size in book["asks"]})


async def until(predicate: Callable[[], object], timeout: float = TIMEOUT) -> None:
    """Let the loop run (ccxt handles frames meanwhile) until ``predicate()`` is true."""
    await eventually_async(predicate, timeout, "condition not met")


async def next_book(exchange: ccxt.pro.Exchange, symbol: str, before: Callable[[], None] = lambda: None) -> dict:
    """Start watching, call ``before`` (e.g. release a frame), and return the book ccxt resolves next."""
    watch = asyncio.ensure_future(exchange.watch_order_book(symbol))
    await asyncio.sleep(0)  # the watch registers its future before any frame can arrive
    before()
    return await asyncio.wait_for(watch, TIMEOUT)


def run(test: Callable[[ccxt.pro.Exchange], Awaitable[None]], server: ReplayServer) -> None:
    """Run ``test`` against a fresh ccxt client of the server's dialect, always closing the client."""
    async def main() -> None:
        exchange = make_exchange(server)
        try:
            await exchange.load_markets()
            await test(exchange)
        finally:
            await exchange.close()
    asyncio.run(main())


@pytest.fixture
def okx():
    with ServerThread(OkxServer(step_mode=True)) as thread:
        yield thread.servers[0]


@pytest.fixture
def binance():
    with ServerThread(BinanceServer(step_mode=True)) as thread:
        yield thread.servers[0]


def test_okx_load_markets_answers_every_instrument_list(okx):
    async def test(exchange):
        assert exchange.markets[OKX_SYMBOL]["id"] == "BTC-USDT"
        assert exchange.markets["BTC/USD:BTC-220527"]["id"] == "BTC-USD-220527"
        assert {path for _, path, _ in okx.rest_log} == {
            "/api/v5/public/instruments?instType=SPOT", "/api/v5/public/instruments?instType=SWAP",
            "/api/v5/public/instruments?instType=FUTURES", "/api/v5/public/instruments?instType=OPTION&uly=BTC-USD",
            "/api/v5/public/instruments?instType=OPTION&uly=ETH-USD"}
        assert all(status == 200 for _, _, status in okx.rest_log)
    run(test, okx)


def test_okx_every_released_frame_and_a_reconnect_give_the_rebuilt_book(okx):
    async def test(exchange):
        middle = 50
        for k in range(1, middle + 1):
            book = await next_book(exchange, OKX_SYMBOL, okx.release)
            assert as_floats(book) == okx.expected_book(k)
        assert okx.subscriptions == ["books:BTC-USDT"] and okx.book_frames_sent == middle
        watch = asyncio.ensure_future(exchange.watch_order_book(OKX_SYMBOL))
        await asyncio.sleep(0)
        okx.close_connections()
        with pytest.raises(ccxt.NetworkError, match="closed by remote server"):
            await asyncio.wait_for(watch, TIMEOUT)
        book = await next_book(exchange, OKX_SYMBOL)  # reconnects; the server sends a fresh snapshot
        assert okx.ws_connections == 2 and as_floats(book) == okx.expected_book(middle)
        for k in range(middle + 1, okx.book_frames_total + 1):
            book = await next_book(exchange, OKX_SYMBOL, okx.release)
            assert as_floats(book) == okx.expected_book(k)
        await until(lambda: okx.finished)  # the frames after the last BTC-USDT book frame are passed over
    run(test, okx)


def test_binance_every_released_frame_and_a_reconnect_give_the_rebuilt_book(binance):
    last_update_id = binance_snapshot("NKNUSDT").last_update_id
    applied = [record.data["data"]["u"] > last_update_id for _, record in binance_diffs("NKNUSDT")]

    async def release_and_compare(exchange, k):
        if applied[k - 1]:
            book = await next_book(exchange, BINANCE_SYMBOL, binance.release)
        else:  # already in the REST snapshot: ccxt drops it without resolving
            binance.release()
            await until(lambda: binance.book_frames_sent == k)
            book = exchange.orderbooks[BINANCE_SYMBOL]
        assert as_floats(book) == binance.expected_book(k)

    async def test(exchange):
        book = await next_book(exchange, BINANCE_SYMBOL)
        assert as_floats(book) == binance.expected_book(0)
        assert binance.subscriptions == ["nknusdt@depth@100ms"]
        assert binance.rest_log[-1][1:] == ("/api/v3/depth?symbol=NKNUSDT&limit=1000", 200)
        middle = 75
        for k in range(1, middle + 1):
            await release_and_compare(exchange, k)
        watch = asyncio.ensure_future(exchange.watch_order_book(BINANCE_SYMBOL))
        await asyncio.sleep(0)
        binance.close_connections()
        with pytest.raises(ccxt.NetworkError, match="closed by remote server"):
            await asyncio.wait_for(watch, TIMEOUT)
        book = await next_book(exchange, BINANCE_SYMBOL)  # reconnects; ccxt fetches a synthesized snapshot
        assert binance.ws_connections == 2 and as_floats(book) == binance.expected_book(middle)
        assert book["nonce"] == binance_diffs("NKNUSDT")[middle - 1][1].data["data"]["u"]
        for k in range(middle + 1, binance.book_frames_total + 1):
            await release_and_compare(exchange, k)
    run(test, binance)


@pytest.mark.parametrize("server_class, symbol", [(OkxServer, OKX_SYMBOL), (BinanceServer, BINANCE_SYMBOL)])
def test_fetch_order_book_answers_from_the_current_replay_position(server_class, symbol):
    server = server_class(step_mode=True)
    frames = 7

    async def test(exchange):
        await next_book(exchange, symbol, server.release)  # starts the replay
        server.release(frames - 1)
        await until(lambda: server.book_frames_sent == frames)
        book = await exchange.fetch_order_book(symbol, 50)
        expected = server.expected_book(frames)
        assert [tuple(level[:2]) for level in book["bids"]] == sorted(expected.bids.items(), reverse=True)[:50]
        assert [tuple(level[:2]) for level in book["asks"]] == sorted(expected.asks.items())[:50]

    with ServerThread(server):
        run(test, server)


@pytest.mark.parametrize("server_class, symbol, on_429, on_500", [
    (OkxServer, OKX_SYMBOL, ccxt.RateLimitExceeded, ccxt.ExchangeNotAvailable),
    (BinanceServer, BINANCE_SYMBOL, ccxt.DDoSProtection, ccxt.OperationFailed)])
def test_rest_faults_raise_ccxt_errors_then_recover(server_class, symbol, on_429, on_500):
    server = server_class()

    async def test(exchange):
        server.rest_responses([429, 500])
        for expected in (on_429, on_500):
            with pytest.raises(ccxt.BaseError) as raised:
                await exchange.fetch_order_book(symbol)
            assert type(raised.value) is expected
        assert (await exchange.fetch_order_book(symbol))["bids"]
        assert [status for _, _, status in server.rest_log[-3:]] == [429, 500, 200]

    with ServerThread(server):
        run(test, server)


def test_okx_crafted_frame_carries_the_checksum_of_the_resulting_float_book(okx):
    async def test(exchange):
        await next_book(exchange, OKX_SYMBOL, okx.release)
        best_bid = max(okx.expected_book(1).bids)
        frame = okx.book_frame([(best_bid, 0.5), ("30000.5", "0.25")], [])
        book = await next_book(exchange, OKX_SYMBOL, lambda: okx.inject_raw(frame))
        bids, asks = as_floats(book)
        assert bids[best_bid] == 0.5 and bids[30000.5] == 0.25
        assert okx_float_checksum(bids, asks) == json.loads(frame)["data"][0]["checksum"]
        assert okx.book_frames_sent == 1  # injected frames are not recorded book frames
    run(test, okx)


def test_binance_gap_makes_ccxt_resync_and_the_chain_continues(binance):
    async def test(exchange):
        await next_book(exchange, BINANCE_SYMBOL)
        binance.release(2)
        await until(lambda: exchange.orderbooks[BINANCE_SYMBOL]["nonce"] == 499869754)
        watch = asyncio.ensure_future(exchange.watch_order_book(BINANCE_SYMBOL))
        await asyncio.sleep(0)
        binance.inject_raw(binance.book_frame([("0.35000000", "1.00000000")], [], gap=True))
        with pytest.raises(ccxt.ChecksumError):
            await asyncio.wait_for(watch, TIMEOUT)
        book = await next_book(exchange, BINANCE_SYMBOL)  # resubscribes and fetches a new REST snapshot
        assert as_floats(book) == binance.expected_book(2) and book["nonce"] == 499869754 + 2
        for k in (3, 4):
            book = await next_book(exchange, BINANCE_SYMBOL, binance.release)
            assert as_floats(book) == binance.expected_book(k)
        assert binance.ws_connections == 1
    run(test, binance)


@pytest.mark.parametrize("server_class, pacing, symbol", [(OkxServer, {"time_scale": 0.01}, OKX_SYMBOL),
                                                           (BinanceServer, {"delay": 0.001}, BINANCE_SYMBOL)],
                         ids=["okx-recorded-spacing", "binance-fixed-delay"])
def test_free_running_replay_ends_on_the_last_rebuilt_book(server_class, pacing, symbol):
    server = server_class(**pacing)
    final = server.expected_book(server.book_frames_total)

    async def test(exchange):
        await exchange.watch_order_book(symbol)
        await until(lambda: server.finished and as_floats(exchange.orderbooks[symbol]) == final)

    with ServerThread(server):
        run(test, server)


def test_silent_server_still_acks_and_answers_pings_then_resumes(okx):
    async def test():
        okx.set_silent(True)
        okx.release(2)
        async with connect(f"ws://127.0.0.1:{okx.ws_port}/ws/v5/public") as ws:
            await ws.send(json.dumps({"op": "subscribe", "args": [{"channel": "books", "instId": "BTC-USDT"}]}))
            assert json.loads(await ws.recv()) == {"event": "subscribe",
                                                   "arg": {"channel": "books", "instId": "BTC-USDT"}}
            await ws.send("ping")
            assert await ws.recv() == "pong"
            assert okx.book_frames_sent == 0
            okx.set_silent(False)
            actions = [json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))["action"] for _ in range(2)]
            assert actions == ["snapshot", "update"] and okx.book_frames_sent == 2
    asyncio.run(test())


def test_unknown_paths_get_404(okx):
    async def test():
        async with aiohttp.ClientSession() as session:
            async with session.get(f"http://127.0.0.1:{okx.http_port}/api/v5/nothing") as response:
                assert response.status == 404 and "code" in await response.json()
        with pytest.raises(Exception, match="404"):
            async with connect(f"ws://127.0.0.1:{okx.ws_port}/ws/v5/private"):
                pass
    asyncio.run(test())


def test_server_thread_leaves_no_thread_or_socket_behind():
    server = BinanceServer()
    with ServerThread(server) as thread:
        ports = (server.http_port, server.ws_port)
        assert thread.thread.is_alive()
    assert not thread.thread.is_alive()
    for port in ports:
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=1)
