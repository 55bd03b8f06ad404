"""The REAL ``JupiterClient`` against a loopback Jupiter, and Octo's ``QuoteServer`` against a real HTTP client.

Everything runs over real HTTP on 127.0.0.1 inside ``asyncio.run`` on the test thread: ``FakeJupiter``
(tests/fakes/jupiter_server.py) scripts Jupiter's answers, and a plain ``aiohttp.ClientSession`` reads what
``QuoteServer`` sends, byte for byte.
"""

from __future__ import annotations

import asyncio
import socket
from typing import Any, Awaitable, Callable

import aiohttp
import pytest

from octo_desktop.desks.router.jupiter_http import JupiterClient, QuoteServer
from octo_desktop.router.jupiter import (
    EXACT_OUT,
    NO_ROUTES_FOUND,
    TOKEN_NOT_TRADABLE,
    JupiterUnavailable,
    MalformedQuote,
    Quote,
    QuoteError,
    QuoteRequest,
    quote_response,
    route_step,
)
from tests.fakes.jupiter_server import FakeJupiter, error, malformed, no_routes, not_tradable, route, status
from tests.fakes.waiting import eventually_async

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

SOL = "So11111111111111111111111111111111111111112"
USDC = "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v"
TIMEOUT_S = 20.0


def run(test: Callable[[], Awaitable[Any]]) -> Any:
    """Run an async test body on a fresh loop, failing it rather than hanging past ``TIMEOUT_S``."""
    async def bounded() -> Any:
        return await asyncio.wait_for(test(), TIMEOUT_S)
    return asyncio.run(bounded())


async def quote_error(client: JupiterClient, request: QuoteRequest, kind: type[Exception]) -> str:
    """The one-line message of the ``kind`` error that asking for ``request`` raises."""
    with pytest.raises(kind) as caught:
        await client.quote(request)
    message = str(caught.value)
    assert message and "\n" not in message
    return message


REQUEST = QuoteRequest(SOL, USDC, 1_000_000_000, slippage_bps=50)


# --- the client against a fake Jupiter ----------------------------------------------------------------------


def test_the_client_sends_exactly_jupiters_query_and_parses_the_route():
    async def test():
        async with FakeJupiter() as jupiter, JupiterClient(jupiter.base_url) as client:
            quote = await client.quote(REQUEST)
            return jupiter.requests, quote

    requests, quote = run(test)

    [sent] = requests
    assert (sent.method, sent.path) == ("GET", "/swap/v1/quote")
    assert sent.query_string == (f"inputMint={SOL}&outputMint={USDC}&amount=1000000000&slippageBps=50"
                                 "&swapMode=ExactIn&onlyDirectRoutes=false&restrictIntermediateTokens=true")
    assert (quote.in_amount, quote.out_amount) == (1_000_000_000, 150_000_000)
    assert quote.other_amount_threshold == 149_250_000
    assert quote.labels == ("Raydium", "Meteora DLMM")
    assert [step.percent for step in quote.route_plan] == [60, 40]


def test_dexes_reach_the_server_as_one_comma_separated_parameter():
    request = QuoteRequest(SOL, USDC, 5_000, dexes=("Raydium", "Orca V2", "Meteora DLMM"), max_accounts=30)

    async def test():
        async with FakeJupiter() as jupiter, JupiterClient(jupiter.base_url) as client:
            await client.quote(request)
            return jupiter.requests[0]

    sent = run(test)

    assert "&dexes=Raydium,Orca+V2,Meteora+DLMM&" in sent.query_string
    assert ("dexes", "Raydium,Orca V2,Meteora DLMM") in sent.query
    assert QuoteRequest.from_query(sent.query) == request


def test_the_old_v6_base_url_works_as_only_the_base_differs():
    async def test():
        async with FakeJupiter(base_path="/v6") as jupiter, JupiterClient(jupiter.base_url + "/") as client:
            quote = await client.quote(QuoteRequest(SOL, USDC, 42_000, swap_mode=EXACT_OUT))
            return jupiter.requests[0].path, quote

    path, quote = run(test)

    assert path == "/v6/quote"
    assert (quote.out_amount, quote.swap_mode) == (42_000, EXACT_OUT)
    assert quote.other_amount_threshold == quote.in_amount + quote.in_amount * 50 // 10_000


def test_a_reply_with_the_removed_fee_fields_still_parses():
    async def test():
        async with FakeJupiter(default=route(legacy_fee_fields=True)) as jupiter, \
                JupiterClient(jupiter.base_url) as client:
            return await client.quote(REQUEST)

    quote = run(test)

    assert quote.out_amount == 150_000_000


@pytest.mark.parametrize("reply, code, line", [
    (no_routes(), NO_ROUTES_FOUND, "NO_ROUTES_FOUND: No routes found"),
    (not_tradable(), TOKEN_NOT_TRADABLE, "TOKEN_NOT_TRADABLE: The token is not tradable"),
    (error("INVALID_REQUEST", "Cannot set dexes and exclude dexes at the same time"), "INVALID_REQUEST",
     "INVALID_REQUEST: Cannot set dexes and exclude dexes at the same time"),
])
def test_a_jupiter_error_becomes_a_quote_error_with_its_code(reply, code, line):
    async def test():
        async with FakeJupiter() as jupiter, JupiterClient(jupiter.base_url) as client:
            jupiter.queue(reply)
            with pytest.raises(QuoteError) as caught:
                await client.quote(REQUEST)
            return caught.value

    raised = run(test)

    assert (raised.code, raised.status, str(raised)) == (code, 400, line)


@pytest.mark.parametrize("reply, kind, fragment", [
    (status(500, "upstream\nexploded"), JupiterUnavailable, "HTTP 500 from http://127.0.0.1:"),
    (status(503), JupiterUnavailable, "HTTP 503"),
    (status(429), JupiterUnavailable, "rate limited"),
    (status(401), JupiterUnavailable, "API key"),
    (malformed("<html>maintenance</html>"), JupiterUnavailable, "is not JSON: <html>maintenance</html>"),
    (malformed({"inputMint": SOL}), MalformedQuote, "malformed Jupiter quote: inAmount is missing"),
    (malformed([]), MalformedQuote, "the body is a list, not an object"),
])
def test_each_bad_reply_gives_one_clear_line(reply, kind, fragment):
    async def test():
        async with FakeJupiter() as jupiter, JupiterClient(jupiter.base_url) as client:
            jupiter.queue(reply)
            return await quote_error(client, REQUEST, kind)

    message = run(test)

    assert fragment in message
    if "500" in fragment:
        assert message.endswith("upstream exploded")


def test_a_reply_for_another_pair_is_malformed():
    async def test():
        async with FakeJupiter() as jupiter, JupiterClient(jupiter.base_url) as client:
            body = route().priced(QuoteRequest(USDC, SOL, 1_000_000_000))
            jupiter.queue(malformed(body))
            return await quote_error(client, REQUEST, MalformedQuote)

    assert f"inputMint {USDC} does not match the requested {SOL}" in run(test)


def test_a_slow_reply_times_out_in_one_line():
    async def test():
        async with FakeJupiter() as jupiter, JupiterClient(jupiter.base_url, timeout_s=0.2) as client:
            jupiter.delay(30.0)  # far beyond the timeout; stopping the fake cuts it short
            message = await quote_error(client, REQUEST, JupiterUnavailable)
            await eventually_async(lambda: jupiter.requests, message="the fake never saw the request")
            return message

    message = run(test)

    assert message.startswith("no answer from http://127.0.0.1:")
    assert message.endswith("/swap/v1 within 200 ms")


def test_a_refused_connection_gives_one_line():
    with socket.socket() as sock:  # a port nothing listens on: bound, never listening, then closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]

    async def test():
        async with JupiterClient(f"http://127.0.0.1:{port}/swap/v1") as client:
            return await quote_error(client, REQUEST, JupiterUnavailable)

    assert run(test).startswith(f"cannot reach http://127.0.0.1:{port}/swap/v1: ")


def test_the_session_factory_makes_the_one_session_and_the_client_closes_it():
    sessions: list[aiohttp.ClientSession] = []

    def make_session() -> aiohttp.ClientSession:
        sessions.append(aiohttp.ClientSession(headers={"User-Agent": "octo-test"}))
        return sessions[-1]

    async def test():
        async with FakeJupiter() as jupiter:
            client = JupiterClient(jupiter.base_url, session_factory=make_session, api_key="k-123")
            await client.quote(REQUEST)
            await client.quote(REQUEST)
            await client.close()
            return jupiter.requests

    requests = run(test)

    assert len(requests) == 2
    assert len(sessions) == 1 and sessions[0].closed
    assert all(sent.headers["user-agent"] == "octo-test" for sent in requests)
    assert all(sent.headers["x-api-key"] == "k-123" for sent in requests)


# --- Octo's quote server against a real HTTP client ----------------------------------------------------------


def price_at_150(request: QuoteRequest) -> dict:
    """A pricing function: one Raydium pool at 150 output units per 1000 input units, ExactIn only."""
    if request.swap_mode == EXACT_OUT:
        raise QuoteError(NO_ROUTES_FOUND, "this desk quotes ExactIn only")
    out_amount = request.amount * 150 // 1000
    step = route_step("OctoPool111", "Raydium", request.input_mint, request.output_mint, request.amount, out_amount)
    return quote_response(request, request.amount, out_amount, [step], "0.0004", context_slot=7)


async def get(url: str, method: str = "GET") -> tuple[int, Any]:
    """Status and decoded JSON body of one plain HTTP request."""
    async with aiohttp.ClientSession() as session:
        async with session.request(method, url) as response:
            return response.status, await response.json(content_type=None)


def serve(price_fn, requests: Callable[[str], Awaitable[Any]]) -> Any:
    """Start a ``QuoteServer`` on ``price_fn``, run ``requests(server.url)``, stop the server."""
    async def test():
        async with QuoteServer(price_fn) as server:
            assert server.url.startswith("http://127.0.0.1:") and server.port > 0
            return await requests(server.url)
    return run(test)


def test_the_quote_server_answers_a_schema_valid_body_that_quote_parses_back():
    query = REQUEST.query_string()

    code, body = serve(price_at_150, lambda url: get(f"{url}/quote?{query}"))

    assert code == 200
    quote = Quote.from_response(body, REQUEST)
    assert (quote.out_amount, quote.other_amount_threshold) == (150_000_000, 149_250_000)
    assert body["outAmount"] == "150000000" and body["routePlan"][0]["percent"] == 100


def test_the_real_client_prices_through_octos_quote_server():
    async def requests(url):
        async with JupiterClient(url) as client:
            return await client.quote(QuoteRequest(SOL, USDC, 2_000, slippage_bps=100,
                                                   dexes=("Raydium", "Orca V2")))

    quote = serve(price_at_150, requests)

    assert (quote.out_amount, quote.other_amount_threshold, quote.labels) == (300, 297, ("Raydium",))


def test_a_price_function_error_is_a_400_with_its_error_code():
    query = QuoteRequest(SOL, USDC, 5, swap_mode=EXACT_OUT).query_string()

    code, body = serve(price_at_150, lambda url: get(f"{url}/quote?{query}"))

    assert (code, body) == (400, {"error": "this desk quotes ExactIn only", "errorCode": NO_ROUTES_FOUND})


def test_the_client_reads_the_servers_error_code_back():
    async def requests(url):
        async with JupiterClient(url) as client:
            with pytest.raises(QuoteError) as caught:
                await client.quote(QuoteRequest(SOL, USDC, 5, swap_mode=EXACT_OUT))
            return caught.value

    assert serve(price_at_150, requests).code == NO_ROUTES_FOUND


@pytest.mark.parametrize("amount", ["1.5", "abc", "-2", "0", str(2**64)])
def test_a_bad_amount_is_a_400_naming_amount(amount):
    code, body = serve(price_at_150, lambda url: get(f"{url}/quote?inputMint={SOL}&outputMint={USDC}&amount={amount}"))

    assert code == 400
    assert body["errorCode"] == "INVALID_REQUEST"
    assert body["error"].startswith("amount must be")


def test_a_missing_parameter_is_a_400_naming_it():
    code, body = serve(price_at_150, lambda url: get(f"{url}/quote?outputMint={USDC}&amount=5"))

    assert (code, body["error"]) == (400, "missing query parameter inputMint")


def test_another_path_is_a_404_and_another_method_a_405():
    async def requests(url):
        return (await get(f"{url}/swap"), await get(f"{url}/quote/extra"),
                await get(f"{url}/quote?{REQUEST.query_string()}", method="POST"))

    (not_found, _), (also_not_found, _), (not_allowed, _) = serve(price_at_150, requests)

    assert (not_found, also_not_found, not_allowed) == (404, 404, 405)


def test_a_price_function_that_returns_a_bad_body_gives_a_500_not_a_bad_quote():
    def broken(request: QuoteRequest) -> dict:
        body = price_at_150(request)
        body["routePlan"][0]["percent"] = 90
        return body

    code, body = serve(broken, lambda url: get(f"{url}/quote?{REQUEST.query_string()}"))

    assert code == 500
    assert "take 90 %, not 100 %" in body["error"]


def test_a_price_function_that_crashes_gives_a_500_with_the_reason():
    def crashing(request: QuoteRequest) -> dict:
        raise ZeroDivisionError("empty pool")

    code, body = serve(crashing, lambda url: get(f"{url}/quote?{REQUEST.query_string()}"))

    assert (code, body["error"]) == (500, "pricing failed: ZeroDivisionError: empty pool")


def test_an_async_price_function_is_awaited():
    async def priced_later(request: QuoteRequest) -> Quote:
        await asyncio.sleep(0)  # yield once, as a real async router would
        return Quote.from_response(price_at_150(request))

    code, body = serve(priced_later, lambda url: get(f"{url}/quote?{REQUEST.query_string()}"))

    assert (code, body["outAmount"]) == (200, "150000000")


def test_a_stopped_server_no_longer_answers():
    async def test():
        server = QuoteServer(price_at_150)
        await server.start()
        url = server.url
        await server.stop()
        async with JupiterClient(url) as client:
            return await quote_error(client, REQUEST, JupiterUnavailable)

    assert run(test).startswith("cannot reach http://127.0.0.1:")
