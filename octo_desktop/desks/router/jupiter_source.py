"""Jupiter as one of the router's sources, when ``router.jupiter_url`` is set (instead of Octo's own pools).

Jupiter routes across the Solana pools itself; the router asks its quote API for a ladder of sizes per asset
and side (ExactIn to sell the base for USDC, ExactOut to buy it), at most every ``REFRESH_S`` engine seconds,
in a task on the runtime loop (the engine never waits for it). The ladder is the source's cost curve
(piecewise linear between the quoted sizes, so the splitter sees Jupiter's price impact); a ladder older than
``MAX_AGE_S`` is not used, and an error reply (``NO_ROUTES_FOUND``, an unreachable server) is shown as such in
the source's note. A child routed to Jupiter is quoted again for its exact size when it lands, after the
Solana latency, and fills at that quote if it is within the swap's tolerance; nothing is sent to a chain.
"""

from __future__ import annotations

import logging
import math
from bisect import bisect_left
from typing import Callable

from octo_desktop.desks.router.jupiter_http import JupiterClient
from octo_desktop.router import amm
from octo_desktop.router.jupiter import EXACT_IN, EXACT_OUT, JupiterError, Quote, QuoteRequest
from octo_desktop.router.ladder import BUY
from octo_desktop.router.pools import DECIMALS, MINTS

log = logging.getLogger(__name__)

QUOTE_TOKEN = "USDC"
SIZES_USD = (250.0, 2_500.0, 25_000.0, 100_000.0, 400_000.0)
REFRESH_S = 5.0
MAX_AGE_S = 30.0


class JupiterSource:
    """Quote ladders from a Jupiter quote API, and a fresh quote for each child."""

    def __init__(self, url: str, spawn: Callable, timeout_s: float = 5.0) -> None:
        self.url = url
        self.client = JupiterClient(url, timeout_s=timeout_s)
        self._spawn = spawn
        self.ladders: dict[tuple[str, str], tuple[float, tuple[tuple[float, float], ...]]] = {}
        self.errors: dict[tuple[str, str], str] = {}
        self._last = -math.inf
        self._busy = False
        self._closed = False

    async def close(self) -> None:
        """No more quotes: close the HTTP session (a refresh under way stops at its next request)."""
        self._closed = True
        await self.client.close()

    def waiting(self, asset: str, side: str) -> bool:
        """Whether the first ladder of ``asset`` on ``side`` is still to come (no quote and no error yet)."""
        key = (asset, side)
        return asset in MINTS and key not in self.ladders and key not in self.errors

    def on_clock(self, now: float, prices: dict[str, float]) -> None:
        """Refresh the ladders when due (one task at a time)."""
        if self._busy or now - self._last < REFRESH_S:
            return
        self._busy = True
        self._last = now
        self._spawn(self._refresh(dict(prices), now), "router jupiter quotes")

    async def _refresh(self, prices: dict[str, float], now: float) -> None:
        try:
            for asset, price in sorted(prices.items()):
                if asset not in MINTS or asset == QUOTE_TOKEN or not (math.isfinite(price) and price > 0):
                    continue
                for side in ("buy", "sell"):
                    points = []
                    try:
                        for usd in SIZES_USD:
                            if self._closed:
                                return
                            quantity = usd / price
                            quote = await self.quote(asset, side, quantity)
                            points.append((self._base(quote, asset, side), self._quote_amount(quote, side)))
                    except JupiterError as exc:
                        self.errors[(asset, side)] = f"Jupiter: {exc}"
                        if not points:
                            self.ladders.pop((asset, side), None)
                            continue
                    else:
                        self.errors.pop((asset, side), None)
                    self.ladders[(asset, side)] = (now, tuple(points))
        finally:
            self._busy = False

    async def quote(self, asset: str, side: str, quantity: float, slippage_bps: int = 50) -> Quote:
        """Jupiter's quote for ``quantity`` of ``asset``: ExactOut to buy it with USDC, ExactIn to sell it."""
        if self._closed:
            raise JupiterError("the engine is stopping")
        raw = amm.raw_amount(quantity, DECIMALS[asset], round_up=False)
        if side == BUY:
            request = QuoteRequest(MINTS[QUOTE_TOKEN], MINTS[asset], raw, slippage_bps=slippage_bps,
                                   swap_mode=EXACT_OUT)
        else:
            request = QuoteRequest(MINTS[asset], MINTS[QUOTE_TOKEN], raw, slippage_bps=slippage_bps,
                                   swap_mode=EXACT_IN)
        return await self.client.quote(request)

    @staticmethod
    def _base(quote: Quote, asset: str, side: str) -> float:
        raw = quote.out_amount if side == BUY else quote.in_amount
        return amm.human_amount(raw, DECIMALS[asset])

    @staticmethod
    def _quote_amount(quote: Quote, side: str) -> float:
        raw = quote.in_amount if side == BUY else quote.out_amount
        return amm.human_amount(raw, DECIMALS[QUOTE_TOKEN])

    def amounts(self, quote: Quote, asset: str, side: str) -> tuple[int, int]:
        """(base raw, quote raw) a quote trades."""
        if side == BUY:
            return quote.out_amount, quote.in_amount
        return quote.in_amount, quote.out_amount

    def curve(self, asset: str, side: str, now: float) -> tuple[Callable[[float], float] | None, float, str]:
        """The quote amount for ``q`` (interpolated on the ladder), the largest quoted size, and a note."""
        found = self.ladders.get((asset, side))
        error = self.errors.get((asset, side), "")
        if found is None:
            return None, 0.0, error or "Jupiter: no quote yet"
        as_of, points = found
        if now - as_of > MAX_AGE_S:
            return None, 0.0, f"Jupiter: quotes {now - as_of:.0f} s old" + (f" ({error})" if error else "")
        sizes = [0.0] + [q for q, _ in points]
        amounts = [0.0] + [a for _, a in points]

        def amount(quantity: float) -> float:
            if quantity <= 0:
                return 0.0
            if quantity > sizes[-1]:
                return math.nan
            i = max(1, bisect_left(sizes, quantity))
            q0, q1, a0, a1 = sizes[i - 1], sizes[i], amounts[i - 1], amounts[i]
            return a0 + (a1 - a0) * (quantity - q0) / (q1 - q0)

        note = f"Jupiter quotes {now - as_of:.0f} s old" + (f"; {error}" if error else "")
        return amount, sizes[-1], note
