"""Jupiter's quote API over HTTP: ``JupiterClient`` asks a Jupiter (or anything speaking its dialect) for a
quote; ``QuoteServer`` answers Jupiter's ``GET /quote`` on 127.0.0.1 from any pricing function, so other tools
can ask Octo's router for a price. The schema both speak is the pure ``octo_desktop.router.jupiter``; aiohttp
is imported only when a client or server is used.
"""

from __future__ import annotations

import asyncio
import inspect
import ipaddress
import json
import logging
import socket
from typing import Any, Awaitable, Callable, Mapping, Union

from octo_desktop.router.jupiter import (
    INVALID_REQUEST, JUPITER_BASE_URL, QUOTE_PATH, InvalidQuoteRequest, JupiterUnavailable, MalformedQuote, Quote,
    QuoteError, QuoteRequest, one_line, snippet,
)

_log = logging.getLogger(__name__)

# --- the client ---------------------------------------------------------------------------------------------


class JupiterClient:
    """Ask a Jupiter quote API for quotes over aiohttp; use on one event loop, ``await close()`` when done.

    ``session_factory`` (called once, on first use) makes the ``aiohttp.ClientSession``; the client owns
    the session and closes it. ``api_key`` is sent as ``x-api-key`` (api.jup.ag asks for one)."""

    def __init__(self, base_url: str = JUPITER_BASE_URL, session_factory: Callable[[], Any] | None = None,
                 timeout_s: float = 5.0, *, api_key: str | None = None) -> None:
        if not timeout_s > 0:
            raise ValueError(f"timeout_s must be positive, got {timeout_s!r}")
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s
        self._session_factory = session_factory
        self._headers = {"Accept": "application/json"}
        if api_key:
            self._headers["x-api-key"] = api_key
        self._session: Any = None

    async def __aenter__(self) -> JupiterClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the HTTP session, if one was opened."""
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    async def quote(self, request: QuoteRequest) -> Quote:
        """Return Jupiter's quote for ``request``; raise QuoteError, JupiterUnavailable or MalformedQuote."""
        import aiohttp
        import yarl

        # encoded=True keeps the query byte for byte as query_string() wrote it (commas, '+' for spaces).
        url = yarl.URL(f"{self.base_url}{QUOTE_PATH}?{request.query_string()}", encoded=True)
        try:
            async with self._get_session().get(url, headers=self._headers,
                                               timeout=aiohttp.ClientTimeout(total=self.timeout_s)) as response:
                status = response.status
                raw = await response.read()
        except asyncio.TimeoutError as error:  # also aiohttp's ServerTimeoutError
            raise JupiterUnavailable(
                f"no answer from {self.base_url} within {self.timeout_s * 1000:.0f} ms") from error
        except aiohttp.ClientConnectorError as error:
            reason = error.os_error.strerror if error.os_error is not None and error.os_error.strerror else error
            raise JupiterUnavailable(f"cannot reach {self.base_url}: {one_line(str(reason))}") from error
        except aiohttp.ClientError as error:
            raise JupiterUnavailable(
                f"request to {self.base_url} failed: {type(error).__name__}: {one_line(str(error))}") from error
        return self._read_reply(request, status, raw)

    def _get_session(self) -> Any:
        if self._session is None:
            if self._session_factory is not None:
                self._session = self._session_factory()
            else:
                import aiohttp
                self._session = aiohttp.ClientSession()
        return self._session

    def _read_reply(self, request: QuoteRequest, status: int, raw: bytes) -> Quote:
        text = raw.decode("utf-8", errors="replace")
        try:
            body = json.loads(text)
        except ValueError:
            body = None
            is_json = False
        else:
            is_json = True
        if status == 200:
            if not is_json:
                raise JupiterUnavailable(f"answer from {self.base_url} is not JSON: {snippet(text)}")
            return Quote.from_response(body, request)
        if isinstance(body, dict) and isinstance(body.get("errorCode"), str) and body["errorCode"]:
            message = body.get("error") or body.get("message") or "no message"
            raise QuoteError(body["errorCode"], str(message), status)
        if status in (401, 403):
            raise JupiterUnavailable(f"HTTP {status} from {self.base_url}: the API key was refused")
        if status == 404:
            raise JupiterUnavailable(f"HTTP 404 from {self.base_url}: no {QUOTE_PATH} there (check the base URL)")
        if status == 429:
            raise JupiterUnavailable(f"HTTP 429 from {self.base_url}: rate limited")
        if 400 <= status < 500:
            message = body.get("error") if isinstance(body, dict) and body.get("error") else snippet(text)
            raise QuoteError(f"HTTP_{status}", str(message), status)
        raise JupiterUnavailable(f"HTTP {status} from {self.base_url}: {snippet(text)}")


# --- the loopback server ------------------------------------------------------------------------------------

PriceResult = Union[Mapping[str, Any], Quote]
PriceFunction = Callable[[QuoteRequest], Union[PriceResult, Awaitable[PriceResult]]]


class QuoteServer:
    """Serve Jupiter's ``GET /quote`` on a loopback address from ``price_fn``; read-only.

    ``price_fn(QuoteRequest)`` returns the reply body (a dict, e.g. from ``quote_response``, or a ``Quote``;
    it may be a coroutine function) or raises ``QuoteError`` (-> HTTP 400 with its ``errorCode``). Bad
    parameters -> 400 ``INVALID_REQUEST``; a body that fails validation or a price_fn crash -> 500; other
    paths -> 404; other methods -> 405. A synchronous ``price_fn`` runs on the server's loop, so it must be
    quick. Point a ``JupiterClient`` at ``url``."""

    def __init__(self, price_fn: PriceFunction, host: str = "127.0.0.1", port: int = 0) -> None:
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            raise ValueError(f"the quote server binds a loopback address only, got {host!r}")
        self.price_fn = price_fn
        self.host = host
        self.port = port
        self._runner: Any = None

    @property
    def url(self) -> str:
        """Return the base URL (``http://127.0.0.1:PORT``): a ``JupiterClient`` base_url."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    async def __aenter__(self) -> QuoteServer:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def start(self) -> None:
        """Listen (the port is known when this returns)."""
        from aiohttp import web

        if self._runner is not None:
            raise RuntimeError("the quote server is already started")
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._serve)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.bind((self.host, self.port))
            await web.SockSite(runner, sock).start()
        except BaseException:
            sock.close()
            await runner.cleanup()
            raise
        self.port = sock.getsockname()[1]
        self._runner = runner

    async def stop(self) -> None:
        """Stop listening and close open connections."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def _serve(self, request: Any) -> Any:
        from aiohttp import web

        if request.path != QUOTE_PATH:
            return web.json_response({"error": f"no route {request.path}", "errorCode": "NOT_FOUND"}, status=404)
        if request.method != "GET":
            return web.json_response({"error": f"{request.method} is not allowed on {QUOTE_PATH}; use GET",
                                      "errorCode": "METHOD_NOT_ALLOWED"}, status=405, headers={"Allow": "GET"})
        try:
            quote_request = QuoteRequest.from_query(request.query.items())
        except InvalidQuoteRequest as error:
            return web.json_response({"error": str(error), "errorCode": INVALID_REQUEST}, status=400)
        try:
            result = self.price_fn(quote_request)
            if inspect.isawaitable(result):
                result = await result
        except QuoteError as error:
            return web.json_response({"error": error.message, "errorCode": error.code}, status=error.status)
        except Exception as error:  # a pricing bug must answer 500, not kill the connection
            _log.exception("quote server: the price function failed on %s", quote_request)
            message = f"pricing failed: {type(error).__name__}: {one_line(str(error))}"
            return web.json_response({"error": message}, status=500)
        body = result.to_response() if isinstance(result, Quote) else result
        try:
            Quote.from_response(body, quote_request)
        except MalformedQuote as error:
            _log.error("quote server: the price function returned a bad body: %s", error)
            return web.json_response({"error": f"the price function returned {error}"}, status=500)
        return web.json_response(dict(body))


# --- private helpers ----------------------------------------------------------------------------------------
