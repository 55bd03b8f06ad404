"""Live market data from the venues themselves, through ccxt's WebSocket clients, with REST fallback.

One ``VenueSession`` per venue, all on the runtime loop:

* markets are loaded once (retrying with backoff); each symbol's tick, lot, minimum notional and
  fees are reported to the engine as ``MarketRules``; then, with ``live.refresh_networks``, the
  venue's withdrawal routes as ccxt exposes them, as ``NetworkRules`` (``feeds.networks_live``);
* per symbol, one task watches the book over the WebSocket and one watches trades;
* ccxt hands back its whole book after each update; the session checks it (finite, positive,
  not crossed, OKX checksum) and sends the engine only what changed, as a delta with Octo's own
  gap-free sequence. The first book after a (re)connect is a snapshot. A book that fails a check
  is never forwarded: the venue's sockets are dropped so that every book is rebuilt from a fresh
  snapshot, never patched across the problem;
* a supervisor checks freshness four times per staleness limit: a socket that failed or went
  silent is reconnected with capped exponential backoff and jitter, and meanwhile each stale
  book is polled over REST (``fetch_order_book``, at a depth the venue's ccxt client accepts)
  at ``live.rest_poll_interval_s``, backing off on 429/5xx. A book is polled only once the
  WebSocket had its chance: it went stale after WebSocket data, the socket failed, or the
  connection attempt lasted longer than the staleness limit;
* every state change (connecting, live-ws, live-rest, reconnecting, stale, down) goes to the
  engine as a ``FeedStatus``; an unusable venue leaves the spread matrix at once. Whenever the
  session reports a state that makes the engine invalidate books, it also forgets its own copy
  of them, so the next book it sends is a snapshot and the two never disagree.

Paper fills do not change a live venue's books, so ``on_own_fill`` does nothing here.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
from collections import Counter
from typing import Any, Mapping

from octo_desktop.config import Config
from octo_desktop.domain.model import (
    CONNECTING, DOWN, LIVE_REST, LIVE_WS, RECONNECTING, STALE_STATE, USABLE_STATES, BookUpdate, FeedStatus,
    MarketRules, MarketTrade,
)
from octo_desktop.feeds.base import ConnectionHealth, EventSink
from octo_desktop.feeds.ccxt_venue import (
    FATAL, GAP, FeedError, create_exchange, drop_connections, market_fees, market_rules, one_line, secrets_of,
    translate_error,
)
from octo_desktop.feeds.networks_live import Unavailable, failed_in_currencies, fetch_network_rules
from octo_desktop.feeds.normalize import BadBookData, Backoff, check_not_crossed, diff_side, okx_checksum, side_to_dict

log = logging.getLogger(__name__)

# Depth of a REST fallback book per ccxt id: the smallest limit >= 100 that the venue accepts for spot
# markets, else the largest below. Read in ccxt 4.5.90's ``fetch_order_book`` of each venue:
#   binance  limit passed through to /api/v3/depth ("default 100, max 5000")
#   okx      sz passed through to /market/books (max 400; a larger limit switches to books-full)
#   bybit    limit passed through to /v5/market/orderbook; ccxt's comment for spot says "limit: [1, 50]"
#            (Bybit's later documentation allows more): 50 is valid under both readings
#   kucoin   spot: 20 or 100 only, anything else raises ExchangeError
#   gate     capped by ccxt at min(limit, 1000) for spot; gate.eu returns an empty book above 100
#   mexc     limit passed through to /api/v3/depth (MEXC: default 100, max 5000)
#   bitget   limit passed through to /api/v2/spot/market/orderbook (Bitget: max 150)
#   htx      spot: None, 5, 10, 20 or 150 only, anything else raises BadRequest (150 is HTX's default
#            and ccxt sends no depth parameter for it)
REST_DEPTHS = {"binance": 100, "okx": 100, "bybit": 50, "kucoin": 100, "gate": 100, "mexc": 100,
               "bitget": 100, "htx": 150}
DEFAULT_REST_DEPTH = 100  # a venue missing from the table: the limit most of them accept
CHECKSUM_DEPTH = 25


def rest_depth(venue: str) -> int:
    """Return how many levels per side to ask ``venue`` for when a book is polled over REST."""
    return REST_DEPTHS.get(venue, DEFAULT_REST_DEPTH)


class _Book:
    """What the session last sent the engine for one symbol."""

    __slots__ = ("bids", "asks", "sequence", "last_ws", "last_rest", "last_update", "next_rest", "rest_delay",
                 "rest_busy", "fatal")

    def __init__(self) -> None:
        self.bids: dict[float, float] | None = None  # None: the next book goes out as a snapshot
        self.asks: dict[float, float] = {}
        self.sequence = 0
        self.last_ws = -math.inf  # engine time of the last book over the current WebSocket connection
        self.last_rest = -math.inf  # ... over REST
        self.last_update = -math.inf  # ... over either path, ever
        self.next_rest = -math.inf
        self.rest_delay = 0.0
        self.rest_busy = False
        self.fatal = ""


class VenueSession:
    """One venue's connection: markets, book and trade watchers, REST fallback, health."""

    def __init__(self, venue: str, config: Config, clock, sink: EventSink, exchange_factory=create_exchange,
                 rng: random.Random | None = None) -> None:
        self.venue = venue
        self.config = config
        self.live = config.live
        self.stale_after = config.strategy.stale_after_s
        self._clock = clock
        self._sink = sink
        self._factory = exchange_factory
        self._options = dict(config.venues[venue].ccxt)
        self._secrets = secrets_of(self._options)
        rng = rng or random.Random()
        self._backoff = Backoff(self.live.reconnect_initial_s, self.live.reconnect_max_s, rng)
        self._load_backoff = Backoff(self.live.reconnect_initial_s, self.live.reconnect_max_s, rng)
        self.books = {symbol: _Book() for symbol in config.symbols}
        self.rest_depth = rest_depth(venue)
        self.exchange = None
        self.markets_loaded = False
        self.fatal = ""  # the venue failed for good (auth, no such exchange): why
        self.last_error = ""
        self.errors: Counter[str] = Counter()
        self.reconnects = 0
        self.rest_rtt_ms = math.nan
        self.state = DOWN
        self._retry_at = -math.inf  # no watch starts before this (backoff after a failure)
        self._watching_since = math.inf  # when the current connection attempt began
        self._reconnecting = False  # from a failure until the new connection delivers a book
        self._malformed_seen = 0
        self._currencies_error = ""  # ccxt could not parse the venue's currencies: markets loaded without them
        self._tasks: list[asyncio.Task] = []

    # --- lifecycle ----------------------------------------------------------------------------------
    async def run(self) -> None:
        """Connect and stream until cancelled; never raises for a venue's own failures."""
        try:
            self.exchange = self._factory(self.venue, self._options, self.live.request_timeout_s)
        except FeedError as exc:
            self._fail_venue(str(exc))
            return
        except Exception as exc:  # noqa: BLE001 - a bad ccxt option must stop this venue only
            self._fail_venue(one_line(f"cannot create the ccxt client: {exc}", self._secrets))
            return
        try:
            if not await self._load_markets():
                return
            self._watching_since = self._clock.now()
            self._refresh_state()  # connecting
            loop = asyncio.get_running_loop()
            if self.live.refresh_networks:  # beside the watchers: a slow currencies request delays no book
                self._tasks.append(loop.create_task(self._refresh_networks(), name=f"networks-{self.venue}"))
            for symbol, book in self.books.items():
                if book.fatal:
                    continue
                self._tasks.append(loop.create_task(self._watch_book(symbol), name=f"ws-book-{self.venue}-{symbol}"))
                if self.live.watch_trades:
                    self._tasks.append(loop.create_task(self._watch_trades(symbol),
                                                        name=f"ws-trades-{self.venue}-{symbol}"))
            await self._supervise()
        finally:
            for task in self._tasks:
                task.cancel()
            if self._tasks:
                await asyncio.gather(*self._tasks, return_exceptions=True)
            if self.exchange is not None:
                try:
                    await self.exchange.close()
                except Exception:  # noqa: BLE001 - closing after a failure may fail again
                    pass

    async def _load_markets(self) -> bool:
        while True:
            try:
                await self.exchange.load_markets()
                break
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - translated below
                if self._currencies_error == "" and failed_in_currencies(exc):
                    # The markets do not need the currencies: load them without; the networks refresh reports
                    # why it has nothing (the flag set here is this client's own copy).
                    self._currencies_error = one_line(
                        f"{self.venue}: ccxt cannot read the venue's currencies reply ({type(exc).__name__}: {exc}); "
                        f"withdrawal figures kept as they were", self._secrets)
                    self.exchange.has = {**self.exchange.has, "fetchCurrencies": False}
                    continue
                error = translate_error(exc, self._secrets)
                self.errors["connect"] += 1
                if error.kind == FATAL:
                    self._fail_venue(f"cannot load markets: {error}")
                    return False
                self.last_error = f"cannot load markets: {error}"
                self._set_state(DOWN, self.last_error)
                await self._clock.sleep(self._load_backoff.next_delay())
        self.markets_loaded = True
        specs = []
        for symbol, book in self.books.items():
            if symbol not in self.exchange.markets:
                book.fatal = f"{symbol} is not listed on {self.venue}"
                self.errors["symbol"] += 1
                self.last_error = book.fatal
                continue
            rules = market_rules(self.exchange, symbol)
            if rules is not None:
                specs.append((symbol, *rules))
        if all(book.fatal for book in self.books.values()):
            self._fail_venue(self.last_error or "no symbol to watch")
            return False
        taker, maker = None, None
        for symbol, book in self.books.items():
            if not book.fatal:
                taker, maker = market_fees(self.exchange, symbol)
                break
        self._sink(MarketRules(self.venue, tuple(specs), taker, maker, self._clock.now()))
        return True

    async def _refresh_networks(self) -> None:
        """Report the venue's withdrawal routes as ccxt exposes them (``NetworkRules``).

        Never fatal, and the figures in effect stay: a failed request or a bad reply is logged and kept as
        the venue's last error (counted as "networks"); a venue that serves no currencies without keys is
        only logged (that is how most venues are).
        """
        try:
            if self._currencies_error:
                event, problems = None, [self._currencies_error]
            else:
                event, problems = await fetch_network_rules(self.exchange, self.venue, self.config,
                                                            self._clock.now(), self._secrets)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - a surprise here must not disturb the books
            event, problems = None, [f"{self.venue}: cannot read withdrawal networks ({type(exc).__name__}: {exc})"]
        for problem in problems:
            log.info("%s", one_line(problem, self._secrets))
        errors = [p for p in problems if not isinstance(p, Unavailable)]  # no keys: expected, only logged
        if errors:
            self.errors["networks"] += 1
            more = f" (+{len(errors) - 1} more withdrawal-network problems in the log)" if len(errors) > 1 else ""
            self.last_error = one_line(errors[0], self._secrets, limit=240 - len(more)) + more
        if event is not None:
            log.info("%s: %d withdrawal routes from ccxt", self.venue, len(event.networks))
            self._sink(event)

    def _fail_venue(self, reason: str) -> None:
        self.fatal = reason
        self.last_error = reason
        log.warning("%s: %s", self.venue, reason)
        self._set_state(DOWN, reason)

    # --- WebSocket watchers ---------------------------------------------------------------------------
    async def _wait_for_retry(self) -> None:
        delay = self._retry_at - self._clock.now()
        if delay > 0:
            await self._clock.sleep(delay)

    async def _watch_book(self, symbol: str) -> None:
        book = self.books[symbol]
        while True:
            await self._wait_for_retry()
            try:
                ccxt_book = await self.exchange.watch_order_book(symbol)
            except asyncio.CancelledError:
                if asyncio.current_task().cancelling():
                    raise
                continue  # ccxt cancelled its own future: we dropped the connection on purpose
            except Exception as exc:  # noqa: BLE001 - translated below
                error = translate_error(exc, self._secrets)
                if error.kind == GAP:
                    self._count(symbol, "gap", f"{symbol}: {error}")
                    book.bids = None  # ccxt resubscribes and starts from a fresh snapshot
                    continue
                if error.kind == FATAL:
                    book.fatal = f"{symbol}: {error}"
                    self._count(symbol, "symbol", book.fatal)
                    return
                self._connection_failed(str(error))
                continue
            self._check_malformed()
            self._on_ws_book(symbol, ccxt_book)

    def _on_ws_book(self, symbol: str, ccxt_book) -> None:
        if self._publish(symbol, ccxt_book, websocket=True):
            self._backoff.reset()

    async def _watch_trades(self, symbol: str) -> None:
        seen = 0
        while True:
            await self._wait_for_retry()
            try:
                trades = await self.exchange.watch_trades(symbol)
            except asyncio.CancelledError:
                if asyncio.current_task().cancelling():
                    raise
                continue
            except Exception as exc:  # noqa: BLE001 - translated below
                error = translate_error(exc, self._secrets)
                if error.kind == FATAL:
                    return  # trades are optional: the books still work without them
                await self._clock.sleep(max(self.live.reconnect_initial_s, self._retry_at - self._clock.now()))
                continue
            now = self._clock.now()
            for trade in trades:
                price, amount, side = trade.get("price"), trade.get("amount"), trade.get("side")
                if not (isinstance(price, float | int) and isinstance(amount, float | int)
                        and 0 < price < math.inf and 0 < amount < math.inf and side in ("buy", "sell")):
                    self.errors["invalid"] += 1
                    continue
                stamp = trade.get("timestamp")
                self._sink(MarketTrade(self.venue, symbol, side, float(price), float(amount),
                                       stamp / 1000.0 if stamp else math.nan, now))
                seen += 1

    # --- forwarding books -----------------------------------------------------------------------------
    def _publish(self, symbol: str, ccxt_book, *, websocket: bool) -> bool:
        """Check a full venue book and send the engine what changed; return False if it was refused."""
        book = self.books[symbol]
        try:
            bids = side_to_dict(ccxt_book["bids"], "bid")
            asks = side_to_dict(ccxt_book["asks"], "ask")
            check_not_crossed(bids, asks)
            checksums = getattr(self.exchange, "octo_checksums", None) if websocket else None
            expected = checksums.pop(symbol, None) if checksums else None
            if expected is not None:
                actual = okx_checksum(ccxt_book["bids"][:CHECKSUM_DEPTH], ccxt_book["asks"][:CHECKSUM_DEPTH])
                if actual != expected:
                    raise BadBookData("checksum", f"checksum mismatch (venue {expected}, book {actual})")
        except BadBookData as exc:
            self._bad_book(symbol, exc)
            return False
        now = self._clock.now()
        stamp = ccxt_book.get("timestamp")
        exchange_time = stamp / 1000.0 if stamp else math.nan
        book.sequence += 1
        if book.bids is None or not websocket:
            event = BookUpdate(self.venue, symbol, book.sequence, tuple(sorted(bids.items(), reverse=True)),
                               tuple(sorted(asks.items())), True, exchange_time, now)
        else:
            event = BookUpdate(self.venue, symbol, book.sequence, tuple(diff_side(book.bids, bids)),
                               tuple(diff_side(book.asks, asks)), False, exchange_time, now)
        book.bids, book.asks = bids, asks
        book.last_update = now
        if websocket:
            book.last_ws = now
            self._reconnecting = False
        else:
            book.last_rest = now
        self._sink(event)
        self._refresh_state()
        return True

    def _bad_book(self, symbol: str, exc: BadBookData) -> None:
        """Never forward it; rebuild every book of the venue from fresh snapshots."""
        self._count(symbol, exc.kind, f"{symbol}: {exc} (not applied; resyncing)")
        self._report("resyncing", str(exc), symbol)
        self._reconnect(f"resync after {exc.kind}", count_failure=False)

    def _count(self, symbol: str, kind: str, message: str) -> None:
        self.errors[kind] += 1
        self.last_error = one_line(message, self._secrets)
        log.info("%s %s", self.venue, self.last_error)

    def _check_malformed(self) -> None:
        count = getattr(self.exchange, "octo_malformed", 0)
        if count > self._malformed_seen:
            self.errors["malformed"] += count - self._malformed_seen
            self._malformed_seen = count
            self.last_error = self.exchange.octo_last_malformed

    # --- failures and reconnects ----------------------------------------------------------------------
    def _connection_failed(self, message: str) -> None:
        """A socket failed: wait (backoff) before the next attempt; the books are excluded meanwhile."""
        now = self._clock.now()
        self.last_error = message
        if now >= self._retry_at:  # the first watcher to notice counts it; the others share the wait
            self.errors["connection"] += 1
            self.reconnects += 1
            self._retry_at = now + self._backoff.next_delay()
            self._watching_since = self._retry_at
            self._forget_connection()
            self._refresh_state()

    def _reconnect(self, reason: str, *, count_failure: bool) -> None:
        """Drop the venue's sockets so every watcher reconnects and resubscribes."""
        now = self._clock.now()
        self._forget_connection()
        if count_failure:
            self.reconnects += 1
            self._retry_at = now + self._backoff.next_delay()
        else:
            self._retry_at = max(self._retry_at, now)
        self._watching_since = max(now, self._retry_at)
        self.last_error = reason if count_failure else self.last_error
        self._refresh_state()
        if self.exchange is not None:
            asyncio.get_running_loop().create_task(drop_connections(self.exchange),
                                                   name=f"drop-{self.venue}")

    def _forget_connection(self) -> None:
        """Books from a connection that is gone no longer count as live; the next one starts afresh."""
        self._reconnecting = True
        for book in self.books.values():
            book.bids = None
            book.last_ws = -math.inf

    # --- supervision: freshness, REST fallback, state -------------------------------------------------
    async def _supervise(self) -> None:
        period = max(0.05, min(0.25, self.stale_after / 4.0))
        while True:
            await self._clock.sleep(period)
            now = self._clock.now()
            self._check_malformed()
            active = [(s, b) for s, b in self.books.items() if not b.fatal]
            ws_fresh = any(now - b.last_ws <= self.stale_after for _, b in active)
            if not ws_fresh and now >= self._retry_at and now - self._watching_since > self.stale_after:
                self.errors["silent"] += 1
                self._reconnect(f"no WebSocket data for {self.stale_after:g} s", count_failure=True)
            for symbol, book in active:
                if self._rest_due(book, now) and now >= book.next_rest and not book.rest_busy:
                    book.rest_busy = True
                    asyncio.get_running_loop().create_task(self._poll_rest(symbol, book),
                                                           name=f"rest-{self.venue}-{symbol}")
            self._refresh_state()

    def _rest_due(self, book: _Book, now: float) -> bool:
        # REST only once the WebSocket had its chance: at start every book is "stale" (no data yet),
        # and polling it then would race the first WebSocket snapshot for nothing.
        if now - book.last_ws <= self.stale_after:
            return False
        if book.last_ws > -math.inf:  # it went stale after WebSocket data on this connection
            return True
        if self._reconnecting or now < self._retry_at:  # the socket failed or was dropped
            return True
        return now - self._watching_since > self.stale_after  # the attempt has had its time

    async def _poll_rest(self, symbol: str, book: _Book) -> None:
        interval = self.live.rest_poll_interval_s
        started = self._clock.monotonic()
        try:
            ccxt_book = await self.exchange.fetch_order_book(symbol, self.rest_depth)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - translated below
            error = translate_error(exc, self._secrets)
            book.rest_delay = min(self.live.reconnect_max_s, max(interval, book.rest_delay * 2 or interval * 2))
            book.next_rest = self._clock.now() + book.rest_delay
            self._count(symbol, "rest", f"REST {symbol}: {error}")
            return
        finally:
            book.rest_busy = False
        self.rest_rtt_ms = (self._clock.monotonic() - started) * 1000.0
        book.rest_delay = interval
        book.next_rest = self._clock.now() + interval
        if self._clock.now() - book.last_ws > self.stale_after:  # the socket may have come back meanwhile
            self._publish(symbol, ccxt_book, websocket=False)

    def _refresh_state(self) -> None:
        if self.fatal or not self.markets_loaded:
            return
        now = self._clock.now()
        stale = self.stale_after
        active = [b for b in self.books.values() if not b.fatal]
        if all(now - b.last_ws <= stale for b in active):
            state = LIVE_WS
        elif all(now - max(b.last_ws, b.last_rest) <= stale for b in active):
            state = LIVE_REST
        elif self._reconnecting or now < self._retry_at:
            state = RECONNECTING
        elif now - self._watching_since <= stale and all(
                b.last_ws == -math.inf or now - max(b.last_ws, b.last_rest) <= stale for b in active):
            # Still connecting: the books that arrived are fresh, the others have not come yet on
            # this connection. Not STALE, which would invalidate the books that did arrive.
            state = CONNECTING
        else:
            state = STALE_STATE
        self._set_state(state, "" if state in USABLE_STATES else self.last_error)

    def _set_state(self, state: str, detail: str) -> None:
        if state != self.state:
            self.state = state
            self._report(state, detail)

    def _report(self, state: str, detail: str, symbol: str | None = None) -> None:
        """Tell the engine a state; for an unusable one, forget the books it invalidates there."""
        if state not in USABLE_STATES:
            # The engine drops these books until their next snapshot: send it one, never a delta
            # against a baseline the engine no longer has.
            for name, book in self.books.items():
                if symbol is None or name == symbol:
                    book.bids = None
        self._sink(FeedStatus(self.venue, state, detail, self._clock.now(), symbol))

    def health(self) -> ConnectionHealth:
        self._check_malformed()
        return ConnectionHealth(self.state, self.reconnects, self.rest_rtt_ms, self.last_error,
                                dict(self.errors))


class LiveFeed:
    """A MarketFeed over the real venues (or anything speaking their dialects), one session each."""

    name = "live"

    def __init__(self, config: Config, clock, sink: EventSink, exchange_factory=create_exchange) -> None:
        rng = random.Random()
        self.sessions = {venue: VenueSession(venue, config, clock, sink, exchange_factory, rng)
                         for venue in config.venue_names}

    async def run(self) -> None:
        """Run every venue's session until cancelled; one venue failing never stops the others."""
        tasks = [asyncio.create_task(s.run(), name=f"live-{v}") for v, s in self.sessions.items()]
        try:
            await asyncio.gather(*tasks)
            await asyncio.Future()  # every venue failed for good: stay up, showing why
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    def request_resync(self, venue: str, symbol: str) -> None:
        """The engine found a problem with a book: send the venue's whole book next time."""
        session = self.sessions.get(venue)
        if session is not None and symbol in session.books:
            session.books[symbol].bids = None

    def on_own_fill(self, venue: str, symbol: str, side: str, taken) -> None:
        """Paper fills do not move a live venue's books."""

    def summary(self) -> Mapping[str, Any]:
        """Nothing beyond the engine's own summary."""
        return {}

    def connection_health(self) -> dict[str, ConnectionHealth]:
        return {venue: session.health() for venue, session in self.sessions.items()}
