"""Answer Jupiter's ``GET /quote`` from Octo's own pools: the read-only quote endpoint (``router.quote_endpoint``).

A request names two mints and an amount in raw units. The pools that pair those tokens are split by the router's
splitter (their exact cost curves, no fixed costs: a Jupiter quote leaves network fees out), and each pool's part
is then priced by its own exact integer swap, so every ``routePlan`` step's amounts are what that pool would
really do, and the fixed side adds up to the requested amount exactly. Nothing is executed.
"""

from __future__ import annotations

import math
from typing import Any, Callable

from octo_desktop.router import amm, dlmm
from octo_desktop.router.jupiter import EXACT_IN, NO_ROUTES_FOUND, TOKEN_NOT_TRADABLE, QuoteError, QuoteRequest, \
    quote_response, route_step
from octo_desktop.router.ladder import BUY, SELL, function_curve
from octo_desktop.router.pools import DECIMALS, MINTS, mid_price
from octo_desktop.router.split import split

TOKENS = {mint: token for token, mint in MINTS.items()}
LABELS = {"cpmm": "Raydium CP", "amm_v4": "Raydium", "dlmm": "Meteora DLMM"}


class PoolQuoter:
    """Quote swaps over ``pools`` (a ``sources.PoolMarket``) at the engine time ``now()``."""

    def __init__(self, pools, now: Callable[[], float]) -> None:
        self._pools = pools
        self._now = now

    def quote(self, request: QuoteRequest) -> dict[str, Any]:
        now = self._now()
        source, target = TOKENS.get(request.input_mint), TOKENS.get(request.output_mint)
        for mint, token in ((request.input_mint, source), (request.output_mint, target)):
            if token is None:
                raise QuoteError(TOKEN_NOT_TRADABLE, f"The token {mint} is not tradable on Octo's pools")
        pools = [(name, pool) for name, pool in sorted(self._pools.pools.items())
                 if {self._pools.specs[name].base, self._pools.specs[name].quote} == {source, target}]
        allowed = set(request.dexes)
        excluded = set(request.exclude_dexes)
        pools = [(n, p) for n, p in pools
                 if (not allowed or LABELS[self._pools.specs[n].kind] in allowed)
                 and LABELS[self._pools.specs[n].kind] not in excluded]
        if not pools:
            raise QuoteError(NO_ROUTES_FOUND, f"No routes found for {source} -> {target}")
        base = self._pools.specs[pools[0][0]].base
        selling_base = source == base  # paying the base (X) for the quote (Y)
        exact_in = request.swap_mode == EXACT_IN
        dx, dy = DECIMALS[base], DECIMALS[target if selling_base else source]
        shares = self._shares(pools, selling_base, exact_in, request.amount, dx, dy, now)
        if not shares:
            raise QuoteError(NO_ROUTES_FOUND, f"No routes found: the pools cannot fill {request.amount}")
        steps, total_in, total_out = [], 0, 0
        allocations = _allocate(request.amount, shares)
        x_for_y = selling_base
        for (name, pool), raw in zip(pools, allocations):
            if raw <= 0:
                continue
            try:
                if exact_in:
                    swap = _swap(pool, raw, x_for_y, now, exact_out=False)
                else:
                    swap = _swap(pool, raw, x_for_y, now, exact_out=True)
            except ValueError:
                raise QuoteError(NO_ROUTES_FOUND, f"No routes found: {name} cannot take its part") from None
            total_in += swap.amount_in
            total_out += swap.amount_out
            steps.append((name, swap))
        spent = total_in if exact_in else None
        plan = []
        basis = total_in
        used = 0
        for i, (name, swap) in enumerate(steps):
            bps = 10_000 - used if i == len(steps) - 1 else round(swap.amount_in * 10_000 / basis)
            used += bps
            plan.append(route_step(name, LABELS[self._pools.specs[name].kind], request.input_mint,
                                   request.output_mint, swap.amount_in, swap.amount_out, percent=None, bps=bps))
        del spent
        mid = mid_price(pools[0][1], now)
        if selling_base:
            price = amm.human_amount(total_out, dy) / amm.human_amount(total_in, dx)
            impact = max(0.0, 1.0 - price / mid)
        else:
            price = amm.human_amount(total_in, dy) / amm.human_amount(total_out, dx)
            impact = max(0.0, price / mid - 1.0)
        return quote_response(request, total_in, total_out, plan, round(impact, 10))

    def _shares(self, pools, selling_base: bool, exact_in: bool, amount: int, dx: int, dy: int, now: float):
        """Each pool's share of the fixed side, from the float splitter over the pools' exact curves."""
        side = SELL if selling_base else BUY
        curves = []
        for name, pool in pools:
            module = dlmm if isinstance(pool, dlmm.DlmmPair) else amm
            extra = (int(now),) if module is dlmm else ()
            if side == BUY:
                curve, limit = module.buy_cost_curve(pool, True, *extra), module.max_buy_quantity(pool, True)
            else:
                curve, limit = module.sell_proceeds_curve(pool, True, *extra), module.max_sell_quantity(pool, True,
                                                                                                        *extra)
            curves.append(function_curve(name, "dlmm" if module is dlmm else "amm", side, curve, limit))
        fixed_is_base = exact_in == selling_base  # ExactIn of the base, or ExactOut of the base
        if fixed_is_base:
            quantity = amm.human_amount(amount, dx)
        else:
            # The fixed side is the quote: find the base quantity whose plan moves that much quote.
            target = amm.human_amount(amount, dy)
            low, high = 0.0, sum(c.max_quantity for c in curves)
            if not math.isfinite(high) or high <= 0:
                return []
            for _ in range(40):
                middle = (low + high) / 2
                plan = split(curves, middle, side)
                if plan.filled >= middle * (1 - 1e-9) and abs(plan.total) <= target:
                    low = middle
                else:
                    high = middle
            quantity = low
        if quantity <= 0:
            return []
        plan = split(curves, quantity, side)
        if plan.filled < quantity * (1 - 1e-6):
            return []
        by_name = {c.source: c for c in plan.children}
        weights = []
        for name, _pool in pools:
            child = by_name.get(name)
            if child is None:
                weights.append(0.0)
            else:
                weights.append(child.quantity if fixed_is_base else abs(child.cost))
        total = sum(weights)
        return [w / total for w in weights] if total > 0 else []


def _allocate(amount: int, shares: list[float]) -> list[int]:
    """Split ``amount`` raw units by ``shares``, exactly: the largest share takes what rounding left."""
    parts = [int(amount * s) for s in shares]
    largest = max(range(len(shares)), key=lambda i: shares[i])
    parts[largest] += amount - sum(parts)
    return parts


def _swap(pool, raw: int, x_for_y: bool, now: float, exact_out: bool):
    if isinstance(pool, dlmm.DlmmPair):
        return (dlmm.swap_exact_out if exact_out else dlmm.swap_exact_in)(pool, raw, x_for_y, int(now))
    return (amm.swap_exact_out if exact_out else amm.swap_exact_in)(pool, raw, x_for_y)
