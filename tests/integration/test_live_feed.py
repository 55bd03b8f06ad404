"""Octo's live feed, with the REAL ccxt.pro client, against recorded OKX and Binance traffic on loopback.

The feed runs as it does in the app (a VenueSession on an asyncio loop, real clock); the servers run
in their own thread. Its events go into the same ``OrderBook``s the engine keeps, which must equal the
books rebuilt independently from the raw frames after every single update.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from pathlib import Path

import ccxt.async_support
import pytest

from octo_desktop.config import VENUE_IDS, load_config
from octo_desktop.domain.book import OrderBook
from octo_desktop.domain.model import USABLE_STATES, BookUpdate, FeedStatus, MarketRules, MarketTrade
from octo_desktop.engine.clock import Clock
from octo_desktop.feeds.live import REST_DEPTHS, VenueSession, rest_depth
from octo_desktop.feeds.normalize import okx_checksum
from tests.fakes.waiting import eventually_async
from tests.fakes.exchanges import BinanceServer, BookEndpoint, OkxServer, ServerThread, point_rest_at
from tests.fakes.realdata import okx_books

pytestmark = pytest.mark.integration
TIMEOUT = 8.0


def toml_value(value) -> str:
    return json.dumps(value)


def write_config(path: Path, venue: str, symbol: str | tuple[str, ...], ccxt_options: dict, **live) -> Path:
    """A user config file pointing ``venue`` at a loopback server through ``[venues.<id>.ccxt]``."""
    symbols = (symbol,) if isinstance(symbol, str) else symbol
    lines = ['[market]', 'kind = "live"', '[symbols]', f'list = {toml_value(list(symbols))}']
    for name in symbols:
        lines += [f'[symbols.specs.{toml_value(name)}]', 'initial_price = 1.0', 'volatility_annual = 0.5',
                  'tick_size = 0.00001', 'lot_size = 0.01', 'min_notional = 1.0', 'level_spacing_bps = 1.0',
                  'touch_size_usdt = 1000.0', 'trade_notional_usdt = 100.0']
    lines += ['[strategy]', f'stale_after_s = {live.pop("stale_after_s", 30.0)}', '[live]']
    settings = {"rest_poll_interval_s": 0.1, "reconnect_initial_s": 0.05, "reconnect_max_s": 0.4,
                "watch_trades": False, **live}
    lines += [f"{key} = {toml_value(value)}" for key, value in settings.items()]
    for other in ("binance", "okx", "bybit", "kucoin", "gate", "mexc", "bitget", "htx"):
        lines += [f"[venues.{other}]", f"enabled = {'true' if other == venue else 'false'}"]

    def table(prefix: str, options: dict) -> None:
        scalars = {k: v for k, v in options.items() if not isinstance(v, dict)}
        lines.append(f"[{prefix}]")
        lines.extend(f"{key} = {toml_value(value)}" for key, value in scalars.items())
        for key, value in options.items():
            if isinstance(value, dict):
                table(f"{prefix}.{key}", value)

    table(f"venues.{venue}.ccxt", {**ccxt_options, "enableRateLimit": False})
    path.write_text("\n".join(lines) + "\n")
    return path


class EngineBooks:
    """The sink: applies book events to OrderBooks exactly as the engine does, and keeps the rest.

    ``book``, ``updates`` and ``snapshots`` are the first symbol's; ``books`` holds every symbol's.
    """

    def __init__(self, venue: str, *symbols: str) -> None:
        self.books = {symbol: OrderBook(venue, symbol) for symbol in symbols}
        self.book = self.books[symbols[0]]
        self.updates = 0
        self.snapshots = 0
        self.events: list[BookUpdate | FeedStatus] = []  # books and statuses, in the order they came
        self.statuses: list[FeedStatus] = []
        self.rules: list[MarketRules] = []
        self.trades: list[MarketTrade] = []
        self.book_errors: list[str] = []

    def __call__(self, event) -> None:
        if isinstance(event, BookUpdate):
            self.events.append(event)
            book = self.books[event.symbol]
            try:
                if event.is_snapshot:
                    book.apply_snapshot(event.bids, event.asks, event.sequence)
                else:
                    book.apply_delta(event.bids, event.asks, event.sequence)
            except ValueError as exc:  # the feed must never send a book the engine would refuse
                self.book_errors.append(str(exc))
            if book is self.book:
                self.updates += 1
                self.snapshots += event.is_snapshot
        elif isinstance(event, FeedStatus):
            self.events.append(event)
            self.statuses.append(event)
            if event.state not in USABLE_STATES:  # as Kernel._on_feed_status does
                for symbol, book in self.books.items():
                    if event.symbol in (None, symbol):
                        book.invalidate()
        elif isinstance(event, MarketRules):
            self.rules.append(event)
        elif isinstance(event, MarketTrade):
            self.trades.append(event)

    def levels(self, symbol: str | None = None) -> tuple[dict, dict]:
        book = self.book if symbol is None else self.books[symbol]
        return dict(book.iter_bids()), dict(book.iter_asks())

    def states(self) -> list[str]:
        return [s.state for s in self.statuses if s.symbol is None]


async def until(predicate, timeout: float = TIMEOUT, what: str = "condition") -> None:
    await eventually_async(predicate, timeout, f"{what} not met")


async def release_to(server, sink, k: int) -> None:
    """Release book frames until ``k`` went out and Octo's book equals the rebuild after frame ``k``."""
    while server.book_frames_sent < k:
        before = sink.updates
        server.release()
        await until(lambda: sink.updates > before, what=f"update after frame {server.book_frames_sent}")
    expected = server.expected_book(k)
    await until(lambda: sink.levels() == (expected.bids, expected.asks), what=f"book after frame {k}")


class RecordingClock(Clock):
    """The real clock, recording every wait: the session's supervisor waits once per freshness check."""

    def __init__(self, loop: asyncio.AbstractEventLoop, origin: float) -> None:
        super().__init__(loop, origin)
        self.sleeps: list[float] = []

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        await super().sleep(seconds)


def run_session(config_path: Path, venue: str, symbol: str | tuple[str, ...], scenario,
                clock_factory=Clock) -> EngineBooks:
    """Run a live VenueSession with the real ccxt client while ``scenario(session, sink)`` drives the server."""
    config = load_config(config_path)
    sink = EngineBooks(venue, *((symbol,) if isinstance(symbol, str) else symbol))

    async def main() -> None:
        loop = asyncio.get_running_loop()
        session = VenueSession(venue, config, clock_factory(loop, time.time()), sink)
        task = loop.create_task(session.run())
        try:
            await scenario(session, sink)
            assert not task.done(), task.exception() if task.done() else ""
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        assert sink.book_errors == []

    asyncio.run(main())
    return sink


@pytest.fixture
def okx(tmp_path):
    with ServerThread(OkxServer(step_mode=True)) as thread:
        server = thread.servers[0]
        yield server, write_config(tmp_path / "okx.toml", "okx", "BTC/USDT", server.ccxt_overrides())


@pytest.fixture
def binance(tmp_path):
    with ServerThread(BinanceServer(step_mode=True)) as thread:
        server = thread.servers[0]
        yield server, write_config(tmp_path / "binance.toml", "binance", "NKN/USDT", server.ccxt_overrides())


def test_okx_book_equals_the_independent_rebuild_after_every_update_and_every_checksum_verifies(okx):
    server, path = okx
    recorded = okx_books("BTC-USDT")

    async def scenario(session, sink):
        for k in range(1, server.book_frames_total + 1):
            before = sink.updates
            server.release()
            await until(lambda: sink.updates > before, what=f"update {k}")
            expected = server.expected_book(k)
            assert sink.levels() == (expected.bids, expected.asks), f"book differs after frame {k}"
            assert sink.book.is_valid
            # The checksum OKX sent with frame k, against the book Octo holds (top 25, as OKX defines it).
            assert okx_checksum(sink.book.top("bid", 25), sink.book.top("ask", 25)) == recorded[k - 1].checksum
        assert session.errors["checksum"] == 0 and session.state == "live-ws"

    sink = run_session(path, "okx", "BTC/USDT", scenario)
    assert sink.snapshots == 1 and sink.updates == 98
    (rules,) = sink.rules  # tick and lot from ccxt's markets, fees where ccxt knows them
    assert rules.specs[0][0] == "BTC/USDT" and rules.specs[0][1] == "0.1" and rules.specs[0][2] == "0.00000001"


def test_binance_rest_snapshot_plus_diffs_equal_the_independent_rebuild_at_every_update(binance):
    server, path = binance

    async def scenario(session, sink):
        await until(lambda: sink.snapshots == 1, what="REST snapshot")
        expected = server.expected_book(0)
        assert sink.levels() == (expected.bids, expected.asks)
        for k in range(1, server.book_frames_total + 1):
            server.release()
            await until(lambda: server.book_frames_sent == k)
            expected = server.expected_book(k)
            # A diff already inside the REST snapshot changes nothing; the others arrive as deltas.
            await until(lambda: sink.levels() == (expected.bids, expected.asks), what=f"book after diff {k}")
        assert session.errors["gap"] == 0 and sink.snapshots == 1

    run_session(path, "binance", "NKN/USDT", scenario)


def test_socket_closed_mid_stream_excludes_the_venue_then_resyncs_from_a_fresh_snapshot(okx):
    server, path = okx

    async def scenario(session, sink):
        await release_to(server, sink, 20)
        await until(lambda: session.state == "live-ws")
        server.close_connections()
        await until(lambda: "reconnecting" in sink.states(), what="reconnecting")
        assert not sink.book.is_valid  # excluded at once
        await until(lambda: sink.snapshots == 2 and session.state == "live-ws", what="resync")
        expected = server.expected_book(20)
        assert sink.levels() == (expected.bids, expected.asks)
        assert session.reconnects == 1 and server.ws_connections == 2
        await release_to(server, sink, 25)

    run_session(path, "okx", "BTC/USDT", scenario)


def test_silent_server_goes_stale_then_rest_then_back_to_websocket(okx, tmp_path):
    server, _ = okx
    path = write_config(tmp_path / "quick.toml", "okx", "BTC/USDT", server.ccxt_overrides(), stale_after_s=1.0)

    async def scenario(session, sink):
        await release_to(server, sink, 3)
        await until(lambda: session.state == "live-ws")
        server.set_silent(True)
        await until(lambda: session.state == "live-rest", what="REST fallback")
        states = sink.states()
        assert states.index("live-rest") > states.index("live-ws")
        assert any(s in states for s in ("stale", "reconnecting"))  # excluded before REST took over
        rest_polls = [entry for entry in server.rest_log if "/market/books" in entry[1]]
        assert rest_polls and all(status == 200 for _, _, status in rest_polls)
        assert sink.book.is_valid and not math.isnan(session.rest_rtt_ms)
        assert session.errors["silent"] >= 1
        server.set_silent(False)
        server.release(2)
        await until(lambda: session.state == "live-ws", what="back to WebSocket")
        expected = server.expected_book(5)
        await until(lambda: sink.levels() == (expected.bids, expected.asks))

    run_session(path, "okx", "BTC/USDT", scenario)


@pytest.mark.parametrize("kind, level", [
    ("invalid", lambda bids, asks: (sorted(bids)[-2], -1.0)),  # a negative size near the touch
    ("invalid", lambda bids, asks: (sorted(bids)[-2], "NaN")),  # NaN
    ("crossed", lambda bids, asks: (min(asks) + 1.0, 1.0)),  # a bid above the best ask
])
def test_bad_levels_are_counted_never_applied_and_the_book_resyncs(okx, kind, level):
    server, path = okx

    async def scenario(session, sink):
        await release_to(server, sink, 10)
        await until(lambda: session.state == "live-ws")
        before = sink.levels()
        snapshots = sink.snapshots
        server.inject_raw(server.book_frame([level(*before)], []))
        await until(lambda: session.errors[kind] == 1, what=f"{kind} counted")
        # Never applied: the engine's book is what it was, and it is excluded until the resync.
        assert all(size > 0 and math.isfinite(size) for size in sink.levels()[0].values())
        assert sink.levels() == before and not sink.book.is_valid
        assert any(s.state == "resyncing" and s.symbol == "BTC/USDT" for s in sink.statuses)
        await until(lambda: sink.snapshots == snapshots + 1 and sink.book.is_valid, what="fresh snapshot")
        expected = server.expected_book(10)
        assert sink.levels() == (expected.bids, expected.asks)
        assert "not applied" in session.last_error

    run_session(path, "okx", "BTC/USDT", scenario)


def test_malformed_json_is_counted_and_dropped_and_the_stream_goes_on(okx):
    server, path = okx

    async def scenario(session, sink):
        await release_to(server, sink, 5)
        updates = sink.updates
        server.inject_raw('{"arg": {"channel": "books", "instId": "BTC-USDT"}, "data": [')
        server.release(1)
        await until(lambda: sink.updates > updates, what="next update after the bad frame")
        expected = server.expected_book(6)
        assert sink.levels() == (expected.bids, expected.asks)
        assert session.health().errors["malformed"] == 1 and "malformed" in session.health().last_error
        assert session.reconnects == 0  # the connection carried on

    run_session(path, "okx", "BTC/USDT", scenario)


def test_okx_checksum_mismatch_is_detected_and_resynced(okx):
    server, path = okx

    async def scenario(session, sink):
        await release_to(server, sink, 4)
        snapshots = sink.snapshots
        server.inject_raw(server.book_frame([], [], checksum=12345))
        await until(lambda: session.errors["checksum"] == 1)
        await until(lambda: sink.snapshots == snapshots + 1 and sink.book.is_valid)
        expected = server.expected_book(4)
        assert sink.levels() == (expected.bids, expected.asks)

    run_session(path, "okx", "BTC/USDT", scenario)


def test_binance_sequence_gap_is_counted_not_applied_and_rebuilt_from_a_fresh_rest_snapshot(binance):
    server, path = binance

    async def scenario(session, sink):
        await until(lambda: sink.snapshots == 1)
        server.release(30)
        expected = server.expected_book(30)
        await until(lambda: sink.levels() == (expected.bids, expected.asks))
        depth_requests = sum("/depth" in p for _, p, _ in server.rest_log)
        server.inject_raw(server.book_frame([(0.5, 123.0)], [], gap=True))
        await until(lambda: session.errors["gap"] == 1, what="gap counted")
        await until(lambda: sink.snapshots == 2, what="fresh snapshot")
        assert 0.5 not in sink.levels()[0]  # the diff after the gap was never applied
        assert sum("/depth" in p for _, p, _ in server.rest_log) == depth_requests + 1
        expected = server.expected_book(30)
        assert sink.levels() == (expected.bids, expected.asks)

    run_session(path, "binance", "NKN/USDT", scenario)


def test_rest_429_and_500_back_off(okx, tmp_path):
    server, _ = okx
    path = write_config(tmp_path / "slow.toml", "okx", "BTC/USDT", server.ccxt_overrides(), stale_after_s=1.0)

    async def scenario(session, sink):
        await release_to(server, sink, 2)
        await until(lambda: session.state == "live-ws")
        server.rest_responses([429, 500, 429])
        server.set_silent(True)
        await until(lambda: session.state == "live-rest", timeout=15, what="REST after errors")
        polls = [(t, status) for t, p, status in server.rest_log if "/market/books" in p]
        statuses = [status for _, status in polls]
        assert statuses[:4] == [429, 500, 429, 200]
        gaps = [b[0] - a[0] for a, b in zip(polls, polls[1:4])]
        assert gaps[0] >= 0.18 and gaps[1] > gaps[0] * 1.5  # doubling from the 0.1 s poll interval
        assert session.errors["rest"] == 3

    run_session(path, "okx", "BTC/USDT", scenario)


SECOND = "UNI/USDT"  # served from the recorded UNI-USD-SWAP book (see OkxServer's aliases)


@pytest.fixture
def okx_two_symbols(tmp_path):
    with ServerThread(OkxServer(step_mode=True, aliases={"UNI-USDT": "UNI-USD-SWAP"})) as thread:
        server = thread.servers[0]
        yield server, write_config(tmp_path / "okx2.toml", "okx", ("BTC/USDT", SECOND), server.ccxt_overrides())


def test_a_venue_with_two_symbols_goes_connecting_then_live_ws_without_losing_an_update(okx_two_symbols):
    server, path = okx_two_symbols
    clocks: list[RecordingClock] = []

    def clock(loop, origin):
        clocks.append(RecordingClock(loop, origin))
        return clocks[-1]

    async def scenario(session, sink):
        # UNI/USDT's snapshot goes out at once; BTC/USDT's is held over several freshness checks.
        await until(lambda: any(e.symbol == SECOND for e in sink.events if isinstance(e, BookUpdate)),
                    what=f"{SECOND} snapshot")
        checks = len(clocks[0].sleeps)
        await until(lambda: len(clocks[0].sleeps) >= checks + 3, what="three freshness checks")
        assert session.state == "connecting" and sink.books[SECOND].is_valid
        assert not sink.books["BTC/USDT"].is_valid  # no data yet: simply not valid
        for k in range(1, 16):
            await release_to(server, sink, k)
            expected = server.expected_book_of("UNI-USDT", k)
            await until(lambda: sink.levels(SECOND) == (expected.bids, expected.asks), what=f"{SECOND} after {k}")
        assert session.state == "live-ws" and all(book.is_valid for book in sink.books.values())
        assert sum(session.errors.values()) == 0, session.errors

    sink = run_session(path, "okx", ("BTC/USDT", SECOND), scenario, clock)
    assert sink.states() == ["connecting", "live-ws"]  # never stale (nor anything else) in between
    assert sink.book_errors == []  # no delta refused
    assert not [p for _, p, _ in server.rest_log if "/market/books" in p]  # the WebSocket had its chance
    second = [e for e in sink.events if isinstance(e, BookUpdate) and e.symbol == SECOND]
    assert second[0].is_snapshot and not any(e.is_snapshot for e in second[1:])  # one snapshot, then deltas


def test_a_book_the_websocket_never_sends_is_polled_over_rest_once_the_attempt_outlasts_the_limit(okx, tmp_path):
    server, _ = okx
    path = write_config(tmp_path / "quick.toml", "okx", "BTC/USDT", server.ccxt_overrides(), stale_after_s=1.0)

    async def scenario(session, sink):
        await until(lambda: session.state == "live-rest", what="REST fallback")  # nothing released

    sink = run_session(path, "okx", "BTC/USDT", scenario)
    connecting = next(s for s in sink.statuses if s.state == "connecting")
    first_book = next(e for e in sink.events if isinstance(e, BookUpdate))
    assert first_book.received_time - connecting.received_time >= 1.0  # not before the staleness limit
    assert [p for _, p, _ in server.rest_log if "/market/books" in p][0].endswith("sz=100")


def test_a_stale_venue_sends_its_books_as_snapshots_next_never_a_delta_the_engine_would_refuse(okx, tmp_path):
    server, _ = okx
    # ETH/USDT is listed, but the recording has no ETH book: its subscription is acknowledged and never
    # answered, and its REST book is refused. After the staleness limit the venue is stale.
    path = write_config(tmp_path / "eth.toml", "okx", ("BTC/USDT", "ETH/USDT"), server.ccxt_overrides(),
                        stale_after_s=1.0)
    clocks: list[RecordingClock] = []

    def clock(loop, origin):
        clocks.append(RecordingClock(loop, origin))
        return clocks[-1]

    async def scenario(session, sink):
        k = 0
        while session.state != "stale":  # one BTC/USDT update per freshness check keeps its socket fresh
            k += 1
            assert k < server.book_frames_total, "the venue never went stale"
            await release_to(server, sink, k)
            checks = len(clocks[0].sleeps)
            await until(lambda: len(clocks[0].sleeps) > checks, what="a freshness check")
        assert not sink.book.is_valid  # the engine dropped the book that had arrived
        snapshots = sink.snapshots
        await release_to(server, sink, k + 1)
        assert sink.snapshots == snapshots + 1 and sink.book.is_valid  # resent whole, not as a delta
        await release_to(server, sink, k + 2)
        assert sink.snapshots == snapshots + 1 and session.errors["invalid"] == 0

    sink = run_session(path, "okx", ("BTC/USDT", "ETH/USDT"), scenario, clock)
    assert sink.states() == ["connecting", "stale"] and sink.book_errors == []


BTC_USDT_IDS = {"binance": "BTCUSDT", "okx": "BTC-USDT", "bybit": "BTCUSDT", "kucoin": "BTC-USDT",
                "gate": "BTC_USDT", "mexc": "BTCUSDT", "bitget": "BTCUSDT", "htx": "btcusdt"}


@pytest.mark.parametrize("venue", VENUE_IDS)
def test_the_rest_fallback_asks_each_venue_for_a_depth_its_ccxt_client_accepts(venue):
    async def main() -> list[str]:
        async with BookEndpoint(venue) as endpoint:
            exchange = getattr(ccxt.async_support, venue)({"enableRateLimit": False})
            exchange.urls["api"] = point_rest_at(exchange.urls["api"], endpoint.url)
            exchange.set_markets([{"id": BTC_USDT_IDS[venue], "symbol": "BTC/USDT", "base": "BTC", "quote": "USDT",
                                   "baseId": "BTC", "quoteId": "USDT", "type": "spot", "spot": True,
                                   "margin": False, "swap": False, "future": False, "option": False,
                                   "contract": False, "linear": None, "inverse": None, "active": True}])
            try:
                book = await exchange.fetch_order_book("BTC/USDT", rest_depth(venue))
            finally:
                await exchange.close()
            assert book["bids"][0][:2] == [1.0, 1.0] and book["asks"][0][:2] == [2.0, 1.0]
            return endpoint.requests

    (request,) = asyncio.run(main())  # ccxt took the depth and asked the venue once
    assert venue in REST_DEPTHS and rest_depth(venue) >= 50
    if venue == "htx":
        assert "depth=" not in request  # 150 is HTX's own default: ccxt sends no depth for it
    else:
        assert str(rest_depth(venue)) in request, request
