"""Loopback OKX and Binance servers that replay recorded exchange traffic to the real ``ccxt.pro`` client.

Each server listens on 127.0.0.1 (HTTP with ``aiohttp.web``, WebSocket with ``websockets``, both on port 0)
and speaks just enough of its exchange's dialect for ccxt's ``load_markets``, ``fetch_order_book`` and
``watch_order_book``: ``ccxt_overrides()`` is the dict to deep-merge into the ccxt constructor config.
The recordings are in ``tests/data`` (see its README); ``tests/fakes/realdata.py`` rebuilds the same books
independently, which is what ``expected_book(k)`` answers with.

The replay model:

- One replay cursor per server walks the recorded server frames in order, starting with the first
  subscription any client makes. A frame goes to every connection subscribed to its channel; frames nobody
  subscribed to are passed over at once. The server's own book of each instrument (for snapshots and REST
  answers) follows the cursor whether or not anyone is subscribed, like a real market during a reconnect.
- ``step_mode=True`` holds each book frame of the selected ``symbol`` until ``release()`` grants it; other
  frames are not delayed. Otherwise frames go out with ``delay`` seconds between them, or, when ``delay`` is
  None, with the recorded spacing multiplied by ``time_scale``.
- The replay does not loop. After the last recorded frame ``finished`` is True, connections stay open,
  subscriptions are still acknowledged, pings answered and injected frames delivered, but no more recorded
  data is sent (restarting a 30 s recording would break the books' update-id chains).
- Every control method is thread-safe: the servers usually run in a ``ServerThread`` while the test and the
  client under test run their own event loops in other threads.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, Callable, Sequence

from aiohttp import web
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from tests.fakes.realdata import (
    BINANCE_DEPTH_REST,
    BINANCE_REST,
    BINANCE_WS,
    OKX_REST,
    OKX_WS,
    FloatBook,
    Side,
    apply_levels,
    best_levels,
    binance_books,
    binance_depth_stream,
    binance_diffs,
    binance_snapshot,
    float_side,
    okx_book_checksum,
    okx_book_frames,
    okx_books,
    okx_number,
    read_rest,
    read_ws,
    rest_bodies,
)

HOST = "127.0.0.1"
Number = str | float
RestAnswer = tuple[int, str]


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def _json_object(text: str) -> dict:
    """A client frame parsed as a JSON object, or {} if it is not one (the dialect then answers with an error)."""
    with contextlib.suppress(ValueError):
        value = json.loads(text)
        if isinstance(value, dict):
            return value
    return {}


@dataclass(frozen=True)
class _Frame:
    """A recorded server frame: its time, raw text, parsed JSON, channel key, and whose book it changes."""

    ts: float
    text: str
    data: dict
    key: str  # what a client subscribes to: OKX "books:BTC-USDT", Binance "nknusdt@depth@100ms"
    book_of: str | None  # instrument id whose book the frame changes, None for other channels


@dataclass(eq=False)
class _Connection:
    """One accepted WebSocket and the channel keys it subscribed to."""

    ws: ServerConnection
    keys: set[str] = field(default_factory=set)
    snapshots_due: list[str] = field(default_factory=list)  # just subscribed: owed a snapshot if the dialect sends one


class ReplayServer(abc.ABC):
    """The dialect-independent part: sockets, the replay cursor, pacing, faults, and observation."""

    ccxt_id = ""

    def __init__(self, symbol: str, frames: list[_Frame], *, step_mode: bool = False,
                 delay: float | None = None, time_scale: float = 1.0) -> None:
        self.symbol = symbol
        self.step_mode = step_mode
        self.delay = delay
        self.time_scale = time_scale
        self._frames = frames
        self._book_indexes = [i for i, frame in enumerate(frames) if frame.book_of == symbol]
        if not self._book_indexes:
            raise ValueError(f"the recording has no book frames for {symbol}")
        self._lock = threading.Lock()  # guards the fields the test thread reads or writes
        self._credits = 0
        self._silent = False
        self._injections: list[str] = []
        self._forced_statuses: list[int] = []
        self._rest_log: list[tuple[float, str, int]] = []
        self._subscriptions: list[str] = []
        self._ws_connections = 0
        self._book_frames_sent = 0
        self._cursor = 0  # replay state below: touched only on the server's loop
        self._started = False
        self._last_sent_ts = frames[0].ts
        self._last_sent_at = 0.0
        self._connections: set[_Connection] = set()
        self._closing: set[asyncio.Task] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._replay_task: asyncio.Task | None = None
        self._ws_server: Server | None = None
        self._runner: web.AppRunner | None = None
        self.http_port = 0
        self.ws_port = 0

    # --- lifecycle (call on the loop that will run the server) --------------------------------------------

    async def start(self) -> None:
        """Open the HTTP and WebSocket listeners and start the replay task."""
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._serve_rest)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        sock = socket.socket()
        sock.bind((HOST, 0))
        self.http_port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()
        self._ws_server = await serve(self._serve_ws, HOST, 0, process_request=self._check_path, close_timeout=1)
        self.ws_port = next(iter(self._ws_server.sockets)).getsockname()[1]
        self._replay_task = asyncio.create_task(self._replay())

    async def stop(self) -> None:
        """Stop replaying, close every connection and both listeners (whatever of them a failed start opened)."""
        if self._replay_task is not None:
            self._replay_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._replay_task
        if self._ws_server is not None:
            self._ws_server.close()
            await self._ws_server.wait_closed()
        await asyncio.gather(*self._closing, return_exceptions=True)
        if self._runner is not None:
            await self._runner.cleanup()

    # --- control and observation (thread-safe) ------------------------------------------------------------

    def release(self, n: int = 1) -> None:
        """Step mode: let ``n`` more book frames of the selected symbol go out."""
        with self._lock:
            self._credits += n
        self._poke()

    def set_silent(self, silent: bool) -> None:
        """Stop (True) or resume (False) all data frames; the replay pauses. Acks and pongs still go out."""
        with self._lock:
            self._silent = silent
        self._poke()

    def inject_raw(self, text: str) -> None:
        """Send ``text`` as the next frame on every open connection (held while silent or nobody is connected)."""
        with self._lock:
            self._injections.append(text)
        self._poke()

    def close_connections(self) -> None:
        """Close every WebSocket from the server side (code 1001), mid-stream. Returns at once."""
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._close_all)

    def rest_responses(self, statuses: Sequence[int]) -> None:
        """Answer the next REST book requests with these HTTP statuses (and the dialect's error body), then normally."""
        with self._lock:
            self._forced_statuses.extend(statuses)

    @property
    def rest_log(self) -> list[tuple[float, str, int]]:
        """(time.monotonic(), path with query, HTTP status) of every REST request, in order."""
        with self._lock:
            return list(self._rest_log)

    @property
    def ws_connections(self) -> int:
        """How many WebSocket connections were accepted so far."""
        with self._lock:
            return self._ws_connections

    @property
    def subscriptions(self) -> list[str]:
        """Every subscription received, in order, as channel keys (OKX "books:BTC-USDT", Binance stream names)."""
        with self._lock:
            return list(self._subscriptions)

    @property
    def book_frames_sent(self) -> int:
        """How many recorded book frames of the selected symbol the replay has passed (sent to any subscribers)."""
        with self._lock:
            return self._book_frames_sent

    @property
    def book_frames_total(self) -> int:
        """How many book frames of the selected symbol the recording has."""
        return len(self._book_indexes)

    @property
    def finished(self) -> bool:
        """True once the last recorded frame has gone out."""
        return self._cursor >= len(self._frames)

    @abc.abstractmethod
    def ccxt_overrides(self) -> dict:
        """The dict to deep-merge into the ccxt constructor config so ccxt talks to this server."""

    @abc.abstractmethod
    def expected_book(self, k: int) -> FloatBook:
        """The independent rebuild after ``k`` recorded book frames of the selected symbol, as float dicts."""

    # --- dialect hooks -------------------------------------------------------------------------------------

    @abc.abstractmethod
    def _accepts_path(self, path: str) -> bool:
        """Whether a WebSocket handshake for ``path`` is accepted (others get HTTP 404)."""

    @abc.abstractmethod
    async def _on_client_text(self, conn: _Connection, text: str) -> None:
        """Answer one text frame from the client (subscribe, unsubscribe, ping)."""

    @abc.abstractmethod
    def _routes(self) -> dict[str, Callable[[dict[str, str]], RestAnswer]]:
        """REST path -> handler of the query parameters."""

    def _advance(self, frame: _Frame) -> None:
        """Move the server's own books past ``frame`` (called as the cursor passes it)."""

    def _outgoing(self, frame: _Frame) -> str:
        """The text to send for a recorded frame."""
        return frame.text

    def _snapshot_frame(self, key: str) -> str | None:
        """A fresh snapshot frame for a new subscription to ``key``, if the dialect sends one."""
        return None

    def _on_injected(self, text: str) -> None:
        """Bookkeeping when an injected frame goes out."""

    @abc.abstractmethod
    def _error_body(self, status: int) -> str:
        """The dialect's JSON error body for a forced HTTP status."""

    # --- helpers for the dialects --------------------------------------------------------------------------

    def _subscribe(self, conn: _Connection, key: str) -> None:
        """Start sending ``key``'s frames to ``conn`` (call after the ack went out)."""
        conn.keys.add(key)
        conn.snapshots_due.append(key)
        with self._lock:
            self._subscriptions.append(key)
        if not self._started:
            self._started = True
            self._last_sent_at = time.monotonic()
        self._poke()

    def _take_forced_status(self) -> int | None:
        with self._lock:
            return self._forced_statuses.pop(0) if self._forced_statuses else None

    # --- internals -----------------------------------------------------------------------------------------

    def _poke(self) -> None:
        if self._loop is not None and self._wake is not None:
            self._loop.call_soon_threadsafe(self._wake.set)

    def _close_all(self) -> None:
        for conn in list(self._connections):
            task = asyncio.ensure_future(conn.ws.close(1001, "closed by test"))
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)

    def _check_path(self, connection: ServerConnection, request: Request) -> Response | None:
        if self._accepts_path(request.path):
            return None
        return connection.respond(HTTPStatus.NOT_FOUND, "no such WebSocket path\n")

    async def _serve_ws(self, ws: ServerConnection) -> None:
        conn = _Connection(ws)
        self._connections.add(conn)
        with self._lock:
            self._ws_connections += 1
        try:
            async for message in ws:
                await self._on_client_text(conn, message if isinstance(message, str) else message.decode())
        except ConnectionClosed:
            pass
        finally:
            self._connections.discard(conn)

    async def _serve_rest(self, request: web.Request) -> web.Response:
        handler = self._routes().get(request.path)
        if handler is None:
            status, body = 404, _dumps({"code": "404", "msg": f"no such path {request.path}"})
        else:
            status, body = handler(dict(request.query))
        with self._lock:
            self._rest_log.append((time.monotonic(), request.path_qs, status))
        return web.Response(status=status, text=body, content_type="application/json")

    async def _send(self, conn: _Connection, text: str) -> None:
        with contextlib.suppress(ConnectionClosed):
            await conn.ws.send(text)

    async def _replay(self) -> None:
        while True:
            self._wake.clear()  # before reading state, so a poke during the step is not lost
            wait = await self._step()
            if wait == 0:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), wait)

    async def _step(self) -> float | None:
        """Deliver what is due. Returns 0 after progress, else how long to wait (None: until poked)."""
        injections: list[str] = []
        with self._lock:
            if self._silent:
                return None
            if self._connections:
                injections, self._injections = self._injections, []
        for conn in list(self._connections):
            while conn.snapshots_due:
                snapshot = self._snapshot_frame(conn.snapshots_due.pop(0))
                if snapshot is not None:
                    await self._send(conn, snapshot)
        for text in injections:
            self._on_injected(text)
            for conn in list(self._connections):
                await self._send(conn, text)
        if not self._started or self.finished:
            return None
        frame = self._frames[self._cursor]
        targets = [conn for conn in self._connections if frame.key in conn.keys]
        selected = frame.book_of == self.symbol
        if self.step_mode and selected:
            with self._lock:
                if self._credits == 0:
                    return None
                self._credits -= 1
        elif targets and not self.step_mode:
            gap = self.delay if self.delay is not None else (frame.ts - self._last_sent_ts) * self.time_scale
            remaining = self._last_sent_at + gap - time.monotonic()
            if remaining > 0:
                return remaining
        self._cursor += 1
        self._advance(frame)
        if selected:
            with self._lock:
                self._book_frames_sent += 1
        text = self._outgoing(frame)
        for conn in targets:
            await self._send(conn, text)
        if targets:
            self._last_sent_ts, self._last_sent_at = frame.ts, time.monotonic()
        return 0


# --- OKX ---------------------------------------------------------------------------------------------------


def _rest_key(path: str, query: dict[str, str]) -> tuple[str, frozenset]:
    return path, frozenset(query.items())


class OkxServer(ReplayServer):
    """OKX v5: REST instruments and books, WebSocket ``/ws/v5/public`` replaying ``OKX.ws.1.0``.

    A subscription to ``books`` of an instrument whose book has started gets a fresh snapshot of the current
    book (with a correct checksum) before the stream continues, as OKX does on every subscribe.

    ``aliases`` maps an instrument id to a recorded one whose frames it is served with, e.g.
    ``{"UNI-USDT": "UNI-USD-SWAP"}``: the recording has one USDT spot book (BTC-USDT), and a second one is
    the recorded UNI swap book renamed (its levels and checksums unchanged; UNI-USDT is a listed spot
    instrument in the recorded ``instruments`` answer, so ccxt loads it). The recorded id is then not served.
    """

    ccxt_id = "okx"
    WS_PATH = "/ws/v5/public"

    def __init__(self, symbol: str = "BTC-USDT", aliases: dict[str, str] | None = None, **pacing: Any) -> None:
        self._aliases = dict(aliases or {})  # served id -> recorded id
        renamed = {recorded: served for served, recorded in self._aliases.items()}
        frames = []
        for record in read_ws(OKX_WS).received:
            if "data" in record.data:  # skip the recording's own subscribe acks
                arg, text, data = record.data["arg"], record.text, record.data
                if arg["instId"] in renamed:
                    arg = dict(arg, instId=renamed[arg["instId"]])
                    data = dict(data, arg=arg)
                    text = _dumps(data)
                frames.append(_Frame(record.ts, text, data, f"{arg['channel']}:{arg['instId']}",
                                     arg["instId"] if arg["channel"] == "books" else None))
        super().__init__(symbol, frames, **pacing)
        self._instruments = {_rest_key(*self._split(path)): body for path, body in rest_bodies(OKX_REST).items()}
        self._books: dict[str, tuple[Side, Side, str]] = {}  # instId -> bids, asks, OKX ts, at the cursor

    @staticmethod
    def _split(path_qs: str) -> tuple[str, dict[str, str]]:
        path, _, query = path_qs.partition("?")
        return path, dict(part.split("=", 1) for part in query.split("&") if part)

    def ccxt_overrides(self) -> dict:
        return {"urls": {"api": {"rest": f"http://{HOST}:{self.http_port}",
                                 "ws": f"ws://{HOST}:{self.ws_port}/ws/v5"}}}

    def expected_book(self, k: int) -> FloatBook:
        if k == 0:
            return FloatBook({}, {})
        book = okx_books(self.symbol)[k - 1]
        return FloatBook(float_side(book.bids), float_side(book.asks))

    def expected_book_of(self, inst_id: str, k: int) -> FloatBook:
        """The independent rebuild of another instrument (or alias) once ``k`` book frames of the selected
        symbol went out and step mode holds the next one (every frame before it has gone out)."""
        selected = okx_book_frames(self.symbol)
        held_at = selected[k][0] if k < len(selected) else len(read_ws(OKX_WS).received)
        passed = [book for book in okx_books(self._aliases.get(inst_id, inst_id)) if book.frame_index < held_at]
        if not passed:
            return FloatBook({}, {})
        return FloatBook(float_side(passed[-1].bids), float_side(passed[-1].asks))

    def book_frame(self, bids: Sequence[tuple[Number, Number]], asks: Sequence[tuple[Number, Number]], *,
                   checksum: int | None = None) -> str:
        """An OKX ``books`` update for the selected symbol; floats are written with ``okx_number``.

        ``checksum`` defaults to the correct one for the server's current book with these levels applied.
        Injecting the frame does not change the server's book, so later recorded frames keep the recorded
        checksums (a client that applied a changed top-25 level will see them mismatch).
        """
        def levels(pairs: Sequence[tuple[Number, Number]]) -> list[list[str]]:
            return [[self._text(price), self._text(size), "0", "1"] for price, size in pairs]
        with self._lock:  # the server's loop may be moving the book right now
            book_bids, book_asks, ts = self._current_book(self.symbol)
            new_bids, new_asks = dict(book_bids), dict(book_asks)
        apply_levels(new_bids, levels(bids))
        apply_levels(new_asks, levels(asks))
        if checksum is None:
            checksum = okx_book_checksum(new_bids, new_asks)
        update = {"asks": levels(asks), "bids": levels(bids), "ts": ts, "checksum": checksum}
        return _dumps({"arg": {"channel": "books", "instId": self.symbol}, "action": "update", "data": [update]})

    @staticmethod
    def _text(value: Number) -> str:
        return value if isinstance(value, str) else okx_number(value)

    def _current_book(self, inst_id: str) -> tuple[Side, Side, str]:
        """The book at the cursor; before the first frame, the recorded snapshot stands in for it."""
        if inst_id in self._books:
            return self._books[inst_id]
        recorded = self._aliases.get(inst_id, inst_id)
        first = okx_books(recorded)[0]
        return first.bids, first.asks, okx_book_frames(recorded)[0][1].data["data"][0]["ts"]

    def _accepts_path(self, path: str) -> bool:
        return path == self.WS_PATH

    async def _on_client_text(self, conn: _Connection, text: str) -> None:
        if text == "ping":
            await self._send(conn, "pong")
            return
        request = _json_object(text)
        op = request.get("op")
        if op not in ("subscribe", "unsubscribe"):
            await self._send(conn, _dumps({"event": "error", "code": "60012", "msg": f"Illegal request: {text}"}))
            return
        for arg in request.get("args", []):
            await self._send(conn, _dumps({"event": op, "arg": arg}))
            key = f"{arg.get('channel')}:{arg.get('instId')}"
            if op == "subscribe":
                self._subscribe(conn, key)
            else:
                conn.keys.discard(key)

    def _advance(self, frame: _Frame) -> None:
        if frame.book_of is None:
            return
        with self._lock:  # book_frame() copies the book from the test's thread
            if frame.data["action"] == "snapshot" or frame.book_of not in self._books:
                self._books[frame.book_of] = ({}, {}, "")
            bids, asks, _ = self._books[frame.book_of]
            for update in frame.data["data"]:
                apply_levels(bids, update["bids"])
                apply_levels(asks, update["asks"])
                self._books[frame.book_of] = (bids, asks, update["ts"])

    def _snapshot_frame(self, key: str) -> str | None:
        channel, _, inst_id = key.partition(":")
        if channel != "books" or inst_id not in self._books:
            return None  # no book yet: the recorded snapshot will come with the stream
        bids, asks, ts = self._books[inst_id]
        data = {"asks": best_levels(asks, bids=False), "bids": best_levels(bids, bids=True), "ts": ts,
                "checksum": okx_book_checksum(bids, asks)}
        return _dumps({"arg": {"channel": "books", "instId": inst_id}, "action": "snapshot", "data": [data]})

    def _routes(self) -> dict[str, Callable[[dict[str, str]], RestAnswer]]:
        return {"/api/v5/public/instruments": self._rest_instruments,
                "/api/v5/market/books": lambda query: self._rest_books(query, 400),
                "/api/v5/market/books-full": lambda query: self._rest_books(query, 5000)}

    def _rest_instruments(self, query: dict[str, str]) -> RestAnswer:
        body = self._instruments.get(_rest_key("/api/v5/public/instruments", query))
        if body is None:
            return 400, _dumps({"code": "51000", "msg": "Parameter instType error", "data": []})
        return 200, body

    def _rest_books(self, query: dict[str, str], max_size: int) -> RestAnswer:
        """OKX's REST order book, synthesized from the server's book at the current point of the replay."""
        status = self._take_forced_status()
        if status is not None:
            return status, self._error_body(status)
        inst_id = query.get("instId", "")
        if not okx_book_frames(self._aliases.get(inst_id, inst_id)):
            return 400, _dumps({"code": "51001", "msg": "Instrument ID does not exist", "data": []})
        depth = min(int(query.get("sz", "1")), max_size)
        bids, asks, ts = self._current_book(inst_id)
        data = {"asks": best_levels(asks, bids=False, depth=depth), "bids": best_levels(bids, bids=True, depth=depth),
                "ts": ts}
        return 200, _dumps({"code": "0", "msg": "", "data": [data]})

    def _error_body(self, status: int) -> str:
        if status == 429:
            return _dumps({"code": "50011", "msg": "Too Many Requests", "data": []})
        return _dumps({"code": "50013", "msg": "Systems are busy. Please try again later.", "data": []})


# --- Binance -----------------------------------------------------------------------------------------------


class BinanceServer(ReplayServer):
    """Binance spot: REST exchangeInfo and depth, a combined-stream WebSocket replaying ``BINANCE.ws.1.0``.

    The WebSocket accepts any path under ``/stream`` or ``/ws`` (ccxt appends ``/<n>`` to the override URL).
    When an injected ``book_frame`` takes update ids, later recorded diffs of that symbol are renumbered
    (``U``/``u`` shifted) so the chain stays unbroken after it; their content is unchanged.
    """

    ccxt_id = "binance"

    def __init__(self, symbol: str = "NKNUSDT", **pacing: Any) -> None:
        frames = []
        for record in read_ws(BINANCE_WS).received:
            stream, data = record.data["stream"], record.data["data"]
            is_depth = data.get("e") == "depthUpdate"
            frames.append(_Frame(record.ts, record.text, record.data, stream, data["s"] if is_depth else None))
        super().__init__(symbol, frames, **pacing)
        self._exchange_info = read_rest(BINANCE_REST)[0].text
        self._recorded_depth = {record.url.split("symbol=")[1].split("&")[0]: record.text
                                for record in read_rest(BINANCE_DEPTH_REST)}
        snapshots = {name: binance_snapshot(name) for name in self._recorded_depth}
        self._snapshot_ids = {name: book.last_update_id for name, book in snapshots.items()}
        self._books = {name: (dict(book.bids), dict(book.asks)) for name, book in snapshots.items()}
        self._pristine = set(snapshots)  # symbols whose book still equals the recorded REST snapshot
        self._last_u = dict(self._snapshot_ids)  # last update id sent, per symbol
        self._last_event_ms = {name: int(book.ts * 1000) for name, book in snapshots.items()}
        self._shift = {name: 0 for name in snapshots}  # added to recorded U/u after injected diffs
        self._crafted: dict[str, tuple[str, int]] = {}  # crafted frame text -> (symbol, its u)

    def ccxt_overrides(self) -> dict:
        return {"urls": {"api": {"public": f"http://{HOST}:{self.http_port}/api/v3",
                                 "ws": {"spot": f"ws://{HOST}:{self.ws_port}/stream/ws"}}},
                "options": {"fetchMarkets": {"types": ["spot"]}}}

    def expected_book(self, k: int) -> FloatBook:
        book = binance_snapshot(self.symbol)
        if k > 0:
            last_index = binance_diffs(self.symbol)[k - 1][0]
            for state in binance_books(self.symbol):
                if state.frame_index <= last_index:
                    book = state
        return FloatBook(float_side(book.bids), float_side(book.asks))

    def book_frame(self, bids: Sequence[tuple[Number, Number]], asks: Sequence[tuple[Number, Number]], *,
                   gap: bool = False) -> str:
        """A ``depthUpdate`` for the selected symbol whose ``U`` follows the last ``u`` sent (skips one id if ``gap``).

        Inject it before the next recorded diff goes out (step mode makes that deterministic). It does not
        change the server's book; later recorded diffs are renumbered to follow it. Floats are written
        with 8 decimals, as Binance spot does.
        """
        with self._lock:
            first = self._last_u[self.symbol] + (2 if gap else 1)
            data = {"e": "depthUpdate", "E": self._last_event_ms[self.symbol], "s": self.symbol, "U": first,
                    "u": first, "b": self._levels(bids), "a": self._levels(asks)}
            text = _dumps({"stream": binance_depth_stream(self.symbol), "data": data})
            self._crafted[text] = (self.symbol, first)
        return text

    @staticmethod
    def _levels(pairs: Sequence[tuple[Number, Number]]) -> list[list[str]]:
        return [[value if isinstance(value, str) else f"{value:.8f}" for value in pair] for pair in pairs]

    def _accepts_path(self, path: str) -> bool:
        return path.startswith(("/stream", "/ws"))

    async def _on_client_text(self, conn: _Connection, text: str) -> None:
        request = _json_object(text)
        method, request_id = request.get("method"), request.get("id")
        if method not in ("SUBSCRIBE", "UNSUBSCRIBE"):
            await self._send(conn, _dumps({"error": {"code": 2, "msg": f"Invalid request: {method}"},
                                           "id": request_id}))
            return
        await self._send(conn, _dumps({"result": None, "id": request_id}))
        for stream in request.get("params", []):
            if method == "SUBSCRIBE":
                self._subscribe(conn, stream)
            else:
                conn.keys.discard(stream)

    def _advance(self, frame: _Frame) -> None:
        name = frame.book_of
        if name is None:
            return
        diff = frame.data["data"]
        if diff["u"] > self._snapshot_ids[name]:  # older diffs are already in the REST snapshot
            bids, asks = self._books[name]
            apply_levels(bids, diff["b"])
            apply_levels(asks, diff["a"])
            self._pristine.discard(name)
        with self._lock:
            self._last_u[name] = diff["u"] + self._shift[name]
            self._last_event_ms[name] = diff["E"]

    def _outgoing(self, frame: _Frame) -> str:
        shift = self._shift.get(frame.book_of, 0) if frame.book_of else 0
        if shift == 0:
            return frame.text
        diff = dict(frame.data["data"], U=frame.data["data"]["U"] + shift, u=frame.data["data"]["u"] + shift)
        return _dumps({"stream": frame.key, "data": diff})

    def _on_injected(self, text: str) -> None:
        with self._lock:
            crafted = self._crafted.pop(text, None)
            if crafted is not None:
                name, u = crafted
                self._shift[name] += u - self._last_u[name]
                self._last_u[name] = u

    def _routes(self) -> dict[str, Callable[[dict[str, str]], RestAnswer]]:
        return {"/api/v3/exchangeInfo": lambda query: (200, self._exchange_info),
                "/api/v3/depth": self._rest_depth}

    def _rest_depth(self, query: dict[str, str]) -> RestAnswer:
        """The recorded snapshot while the book has not moved past it, else one synthesized from the replay's
        current book with ``lastUpdateId`` = the last ``u`` sent."""
        status = self._take_forced_status()
        if status is not None:
            return status, self._error_body(status)
        name = query.get("symbol", "")
        if name not in self._books:
            return 400, _dumps({"code": -1121, "msg": "Invalid symbol."})
        depth = min(int(query.get("limit", "100")), 5000)
        bids, asks = self._books[name]
        if name in self._pristine and depth >= max(len(bids), len(asks)):
            return 200, self._recorded_depth[name]
        with self._lock:
            last_u = self._last_u[name]
        return 200, _dumps({"lastUpdateId": last_u, "bids": best_levels(bids, bids=True, depth=depth),
                            "asks": best_levels(asks, bids=False, depth=depth)})

    def _error_body(self, status: int) -> str:
        if status == 429:
            return _dumps({"code": -1003, "msg": "Too many requests; current limit is 6000 request weight per "
                                                 "1 MINUTE."})
        return _dumps({"code": -1001, "msg": "Internal error; unable to process your request. Please try again."})


# --- a REST order-book endpoint in each venue's dialect ------------------------------------------------------

# One spot book (bid 1, ask 2) as each venue's order-book endpoint answers it, enough for ccxt 4.5's parser.
BOOK_BODIES = {
    "binance": {"lastUpdateId": 1, "bids": [["1", "1"]], "asks": [["2", "1"]]},
    "okx": {"code": "0", "msg": "", "data": [{"bids": [["1", "1", "0", "1"]], "asks": [["2", "1", "0", "1"]],
                                              "ts": "1"}]},
    "bybit": {"retCode": 0, "retMsg": "OK", "result": {"s": "BTCUSDT", "b": [["1", "1"]], "a": [["2", "1"]],
                                                       "ts": 1, "u": 1}, "time": 1},
    "kucoin": {"code": "200000", "data": {"sequence": "1", "time": 1, "bids": [["1", "1"]], "asks": [["2", "1"]]}},
    "gate": {"id": 1, "current": 1, "update": 1, "bids": [["1", "1"]], "asks": [["2", "1"]]},
    "mexc": {"lastUpdateId": 1, "bids": [["1", "1"]], "asks": [["2", "1"]]},
    "bitget": {"code": "00000", "msg": "success", "data": {"bids": [["1", "1"]], "asks": [["2", "1"]], "ts": "1"}},
    "htx": {"status": "ok", "ch": "market.btcusdt.depth.step0", "ts": 1,
            "tick": {"bids": [[1, 1]], "asks": [[2, 1]], "ts": 1, "version": 1}},
}


class BookEndpoint:
    """Answer every HTTP request on 127.0.0.1 with one venue's order-book body; record the paths asked.

    Run it on the client's own loop (``async with BookEndpoint("htx") as endpoint``) and point every
    REST URL of a ccxt client at ``endpoint.url`` with ``point_rest_at``.
    """

    def __init__(self, venue: str) -> None:
        self.body = BOOK_BODIES[venue]
        self.requests: list[str] = []  # path with query, in order
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def __aenter__(self) -> BookEndpoint:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._answer)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        sock = socket.socket()
        sock.bind((HOST, 0))
        self.url = f"http://{HOST}:{sock.getsockname()[1]}"
        await web.SockSite(self._runner, sock).start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self._runner.cleanup()

    async def _answer(self, request: web.Request) -> web.Response:
        self.requests.append(request.path_qs)
        return web.json_response(self.body)


def point_rest_at(urls: Any, base: str) -> Any:
    """Return a ccxt ``urls['api']`` tree with every HTTP(S) URL in it replaced by ``base``."""
    if isinstance(urls, dict):
        return {key: point_rest_at(value, base) for key, value in urls.items()}
    if isinstance(urls, str) and urls.startswith("http"):
        return base
    return urls


# --- running servers in a background thread ----------------------------------------------------------------


class ServerThread:
    """Run servers on their own event loop in a daemon thread: ``with ServerThread(okx, binance) as thread:``.

    Entering starts them (ports are known when it returns); leaving stops them, closes their sockets, ends
    the thread and closes its loop.
    """

    def __init__(self, *servers: ReplayServer, timeout: float = 10.0) -> None:
        self.servers = servers
        self.timeout = timeout
        self._loop: asyncio.AbstractEventLoop | None = None
        self.thread: threading.Thread | None = None

    def __enter__(self) -> ServerThread:
        self._loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._loop.run_forever, name="loopback-exchanges", daemon=True)
        self.thread.start()
        try:
            self.run(self._start_all())
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        try:
            self.run(self._stop_all())
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self.thread.join(self.timeout)
            self._loop.close()

    def run(self, coroutine: Any) -> Any:
        """Run a coroutine on the servers' loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(self.timeout)

    async def _start_all(self) -> None:
        for server in self.servers:
            await server.start()

    async def _stop_all(self) -> None:
        for server in self.servers:
            await server.stop()
        current = asyncio.current_task()
        leftovers = [task for task in asyncio.all_tasks() if task is not current]
        for task in leftovers:
            task.cancel()
        await asyncio.gather(*leftovers, return_exceptions=True)
