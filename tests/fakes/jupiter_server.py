"""A loopback Jupiter quote API, for driving the real ``JupiterClient`` in tests.

``FakeJupiter`` listens on 127.0.0.1, port 0, on the test's own event loop (aiohttp.web) and answers
``GET {base_path}/quote`` as Jupiter does. Point the client at ``jupiter.base_url``
(``http://127.0.0.1:PORT/swap/v1`` by default; ``base_path="/v6"`` mimics the old quote-api.jup.ag/v6)::

    async with FakeJupiter() as jupiter:
        jupiter.queue(no_routes())
        ...  # the first request gets NO_ROUTES_FOUND, later ones the default (a fixed split route)

Scripting: each request to the quote path consumes the next queued ``Reply``; with none queued the server
answers ``jupiter.default`` (``route()`` unless the constructor was given another). The builders:

- ``route(rate=..., legacy_fee_fields=False)``: a fixed route priced from the request: 60 % through
  "Raydium" and 40 % through "Meteora DLMM", ``rate`` output units per input unit, the threshold from the
  request's slippage. ``legacy_fee_fields=True`` adds the ``swapInfo.feeAmount``/``feeMint`` that servers
  sent before jup-ag/jupiter-quote-api-node d3c9fb4.
- ``no_routes()``, ``not_tradable()``, ``error(code, message, status=400)``: Jupiter's ``{"error", "errorCode"}``.
- ``status(code, text)``: an HTTP error with a plain-text body (e.g. a 500 from a proxy).
- ``malformed(body)``: HTTP 200 with ``body`` verbatim (a dict is sent as JSON, a string as is).
- ``jupiter.delay(seconds, then=None)``: answer ``then`` (the default if None) after ``seconds``; stopping
  the server cuts the wait short.

Every request, on any path, is recorded before it is answered in ``jupiter.requests`` as a
``RecordedRequest`` (method, path, the raw query string as sent, the decoded query pairs, the headers). Other paths get
404, other methods 405.
"""

from __future__ import annotations

import asyncio
import json
import math
import socket
from collections import deque
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any

from aiohttp import web

from octo_desktop.router.jupiter import (
    EXACT_IN,
    NO_ROUTES_FOUND,
    TOKEN_NOT_TRADABLE,
    QuoteRequest,
    quote_response,
    route_step,
)

HOST = "127.0.0.1"
DEFAULT_RATE = Fraction(150, 1000)  # output raw units per input raw unit (e.g. SOL 9 dp -> USDC 6 dp at 150)
CONTEXT_SLOT = 269110546
TIME_TAKEN_S = 0.0123
SPLIT_PERCENTS = (60, 40)
SPLIT_AMMS = (("FakeRaydiumPoo1111111111111111111111111111", "Raydium"),
              ("FakeMeteoraDLMM111111111111111111111111111", "Meteora DLMM"))


@dataclass(frozen=True)
class Reply:
    """One scripted answer: a route priced from the request, or a fixed status and body; maybe delayed."""

    status_code: int = 200
    body: bytes | None = None  # None: a route priced from the request
    content_type: str = "application/json"
    rate: Fraction = DEFAULT_RATE
    legacy_fee_fields: bool = False
    delay_s: float = 0.0

    def render(self, request: QuoteRequest | None) -> tuple[int, str, bytes]:
        """Return the status, content type and body of this reply to ``request``."""
        if self.body is not None:
            return self.status_code, self.content_type, self.body
        if request is None:
            body = {"error": "the fake cannot price an invalid request", "errorCode": "INVALID_REQUEST"}
            return 400, "application/json", json.dumps(body).encode()
        return 200, "application/json", json.dumps(self.priced(request)).encode()

    def priced(self, request: QuoteRequest) -> dict[str, Any]:
        """Return the route body for ``request``: a 60/40 split at ``rate``, output rounded down, input up."""
        steps = []
        if request.swap_mode == EXACT_IN:
            ins = _split(request.amount)
            outs = [int(amount * self.rate) for amount in ins]  # Fraction -> int rounds toward zero
        else:
            outs = _split(request.amount)
            ins = [math.ceil(amount / self.rate) for amount in outs]  # the input must cover the output
        for (amm_key, label), percent, in_amount, out_amount in zip(SPLIT_AMMS, SPLIT_PERCENTS, ins, outs):
            steps.append(route_step(amm_key, label, request.input_mint, request.output_mint, in_amount,
                                    out_amount, percent))
        body = quote_response(request, sum(ins), sum(outs), steps, "0.0012", context_slot=CONTEXT_SLOT,
                              time_taken_s=TIME_TAKEN_S)
        if self.legacy_fee_fields:
            for step in body["routePlan"]:
                info = step["swapInfo"]
                info["feeAmount"] = str(int(info["inAmount"]) * 25 // 10_000)
                info["feeMint"] = info["inputMint"]
        return body


def _split(amount: int) -> list[int]:
    first = amount * SPLIT_PERCENTS[0] // 100
    return [first, amount - first]


def route(rate: Fraction = DEFAULT_RATE, legacy_fee_fields: bool = False) -> Reply:
    """Build a fixed-route answer priced from each request."""
    return Reply(rate=rate, legacy_fee_fields=legacy_fee_fields)


def error(code: str, message: str, status: int = 400) -> Reply:
    """Build a Jupiter error: ``{"error": message, "errorCode": code}``."""
    return Reply(status_code=status, body=json.dumps({"error": message, "errorCode": code}).encode())


def no_routes() -> Reply:
    """Build Jupiter's NO_ROUTES_FOUND answer."""
    return error(NO_ROUTES_FOUND, "No routes found")


def not_tradable() -> Reply:
    """Build Jupiter's TOKEN_NOT_TRADABLE answer."""
    return error(TOKEN_NOT_TRADABLE, "The token is not tradable")


def status(code: int, text: str = "") -> Reply:
    """Build an HTTP error with a plain-text body."""
    return Reply(status_code=code, body=(text or f"fake Jupiter answered HTTP {code}").encode(),
                 content_type="text/plain")


def malformed(body: dict | list | str) -> Reply:
    """Build an HTTP 200 whose body is ``body`` verbatim (JSON for a dict or list)."""
    if isinstance(body, str):
        return Reply(body=body.encode(), content_type="text/html")
    return Reply(body=json.dumps(body).encode())


@dataclass(frozen=True)
class RecordedRequest:
    """A request as the server received it."""

    method: str
    path: str
    query_string: str  # raw, as sent
    query: tuple[tuple[str, str], ...]  # decoded pairs, repeats kept
    headers: dict[str, str]  # lower-case names


class FakeJupiter:
    """Serve scripted Jupiter quotes on 127.0.0.1; see the module docstring."""

    def __init__(self, default: Reply | None = None, base_path: str = "/swap/v1") -> None:
        self.default = default or route()
        self.base_path = base_path.rstrip("/")
        self.requests: list[RecordedRequest] = []
        self.port = 0
        self._replies: deque[Reply] = deque()
        self._runner: web.AppRunner | None = None
        self._closing: asyncio.Event | None = None

    @property
    def base_url(self) -> str:
        """Return the base URL to give ``JupiterClient`` (the quote path is ``base_url + "/quote"``)."""
        return f"http://{HOST}:{self.port}{self.base_path}"

    async def __aenter__(self) -> FakeJupiter:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def start(self) -> None:
        """Listen on 127.0.0.1 (the port is known when this returns)."""
        self._closing = asyncio.Event()
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._answer)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        sock = socket.socket()
        sock.bind((HOST, 0))
        self.port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()

    async def stop(self) -> None:
        """Cut delayed replies short, stop listening and close connections."""
        if self._closing is not None:
            self._closing.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def queue(self, reply: Reply) -> None:
        """Queue ``reply`` for the next quote request not answered by an earlier queued reply."""
        self._replies.append(reply)

    def delay(self, seconds: float, then: Reply | None = None) -> None:
        """Queue ``then`` (the default reply if None), sent ``seconds`` after the request arrives."""
        self.queue(replace(then or self.default, delay_s=seconds))

    async def _answer(self, request: web.Request) -> web.Response:
        self.requests.append(RecordedRequest(request.method, request.path, request.rel_url.raw_query_string,
                                             tuple(request.query.items()),
                                             {name.lower(): value for name, value in request.headers.items()}))
        if request.path != f"{self.base_path}/quote":
            return web.json_response({"error": f"no route {request.path}"}, status=404)
        if request.method != "GET":
            return web.json_response({"error": "use GET"}, status=405, headers={"Allow": "GET"})
        reply = self._replies.popleft() if self._replies else self.default
        if reply.delay_s:
            try:
                await asyncio.wait_for(self._closing.wait(), reply.delay_s)
                return web.Response(status=503, text="fake Jupiter is stopping")
            except asyncio.TimeoutError:
                pass  # the delay ran out: answer now
        try:
            quote_request = QuoteRequest.from_query(request.query.items())
        except ValueError:
            quote_request = None
        code, content_type, body = reply.render(quote_request)
        return web.Response(status=code, body=body, content_type=content_type)
