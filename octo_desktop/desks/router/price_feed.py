"""HTTP reference prices for the router (``router.price_url``: Jupiter's Price API v3 or anything speaking it).

When the books cannot give a reference price (fewer than two fresh books), the router falls back on the freshest
HTTP price, then on the last known one (``router.reference``). This polls the API every ``POLL_S`` engine seconds
in a task on the runtime loop (the engine never waits for it); a failure is kept as one line and shown with the
reference. Nothing polls when ``router.price_url`` is empty (the default: no network).
"""

from __future__ import annotations

import asyncio
import json
import math
from typing import Callable

from octo_desktop.router.jupiter import one_line, snippet
from octo_desktop.router.pools import MINTS
from octo_desktop.router.reference import price_api_prices

POLL_S = 5.0


class PriceFeed:
    """The latest HTTP price of each asset: ``http(asset)`` gives ``reference_price``'s (name, price, time)."""

    def __init__(self, url: str, spawn: Callable, now: Callable[[], float], timeout_s: float = 5.0) -> None:
        self.url = url.rstrip("?")
        self.name = "price api " + (url.split("//", 1)[-1].split("/", 1)[0])
        self._spawn = spawn
        self._now = now
        self.timeout_s = timeout_s
        self.prices: dict[str, tuple[float, float]] = {}  # asset -> (price, engine time received)
        self.error = ""
        self._last = -math.inf
        self._busy = False
        self._session = None
        self._closed = False

    def http(self, asset: str) -> list[tuple[str, float, float]]:
        found = self.prices.get(asset)
        return [(self.name, found[0], found[1])] if found is not None else []

    def on_clock(self, now: float, assets) -> None:
        if self._busy or self._closed or now - self._last < POLL_S:
            return
        self._busy = True
        self._last = now
        self._spawn(self._poll(tuple(a for a in assets if a in MINTS)), "router price feed")

    async def _poll(self, assets: tuple[str, ...]) -> None:
        import aiohttp

        try:
            if self._session is None:
                self._session = aiohttp.ClientSession()
            mints = {asset: MINTS[asset] for asset in assets}
            url = f"{self.url}?ids={','.join(mints.values())}"
            try:
                async with self._session.get(url, timeout=aiohttp.ClientTimeout(total=self.timeout_s)) as response:
                    text = await response.text()
                    status = response.status
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                self.error = f"{self.name}: {one_line(str(exc)) or type(exc).__name__}"
                return
            if status != 200:
                self.error = f"{self.name}: HTTP {status}: {snippet(text)}"
                return
            try:
                body = json.loads(text)
            except ValueError:
                self.error = f"{self.name}: not JSON: {snippet(text)}"
                return
            prices, problem = price_api_prices(body, mints)
            received = self._now()
            for asset, price in prices.items():
                self.prices[asset] = (price, received)
            self.error = f"{self.name}: {problem}" if problem else ""
        finally:
            self._busy = False

    async def close(self) -> None:
        self._closed = True
        session, self._session = self._session, None
        if session is not None:
            await session.close()
