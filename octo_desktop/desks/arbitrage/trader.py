"""Run one arbitrage trade: both legs at once, then a graduated rollback of whatever did not match.

Write-ahead: every order is journaled (``TradeHooks.before_send``, durable) before it is sent, and
every result with its fills (``after_result``) before anything acts on it, so a crash at any point
leaves a journal from which ``TradeRun.recover`` finishes the trade by the same rules.

Graduated rollback, when the two sides filled different quantities:
1. retry: the short side again on the same venue, IOC at a limit widened by ``retry_widen_bps``,
   if time remains before the trade's deadline (the adaptive timeout);
2. reroute: the short side on the next best venue whose VWAP for the missing quantity is within
   ``reroute_max_bps`` of the original limit, if time still remains (up to ``reroute_venues`` venues);
3. unwind: the excess of the long side at market on the venue where it filled.
Steps 1 and 2 are skipped when risk has halted trading (the kill switch unwinds at once).
The trade ends complete, partial, rolled back or failed (see ``TradeState``).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from octo_desktop.config import Config
from octo_desktop.domain.fills import IOC_LIMIT, MARKET, OrderRequest, OrderResult, floor_to_lot
from octo_desktop.domain.model import BUY, SELL, RollbackStep, Trade, TradeState


@dataclass(frozen=True, slots=True)
class LegPlan:
    """How one entry leg is sent: venue, order type, price, and why that type was chosen."""

    venue: str
    side: str
    order_type: str
    limit_price: float | None  # IOC: worst price; POST_ONLY: resting price; MARKET: None
    protected_limit: float  # the decision VWAP plus slippage protection: retries widen from here
    why: str = ""


@dataclass(frozen=True, slots=True)
class RollbackPolicy:
    """Limits of the graduated rollback (``[execution]`` in the config holds their values)."""

    retry_widen_bps: float
    reroute_max_bps: float
    reroute_venues: int

    @classmethod
    def from_config(cls, execution) -> "RollbackPolicy":
        """Return the policy the ``[execution]`` settings give."""
        return cls(execution.retry_widen_bps, execution.reroute_max_bps, execution.reroute_venues)


@dataclass(frozen=True, slots=True)
class ArbitragePlan:
    """What to send: the trade, its quantity, both legs, and the deadline of steps 1-2."""

    trade: Trade
    quantity: Decimal
    buy: LegPlan
    sell: LegPlan
    deadline: float  # engine time


class JournalError(RuntimeError):
    """The write-ahead journal could not be committed: the intent must not be acted on."""


class TradeHooks(Protocol):
    """What a trade needs from the engine."""

    def now(self) -> float: ...

    async def before_send(self, trade: Trade, requests: list[OrderRequest]) -> None:
        """Journal orders about to be sent (durable before returning) or raise JournalError."""

    async def after_result(self, trade: Trade, result: OrderResult) -> Trade:
        """Apply a result's fills and journal them (durable); return the trade as it stands now."""

    async def after_step(self, trade: Trade, step: RollbackStep) -> Trade:
        """Journal a rollback step; return the trade as it stands now."""

    def is_halted(self) -> bool:
        """Whether risk has halted trading (rollback then goes straight to unwinding)."""

    def alternatives(self, trade: Trade, side: str, quantity: Decimal,
                     exclude: frozenset[str]) -> list[tuple[str, float]]:
        """Return other venues able to take ``side`` for ``quantity``, best first, as (venue, limit)."""

    def timeout_s(self, venue: str) -> float:
        """Return the venue's adaptive timeout."""


class TradeRun:
    """One trade's orders, from its entry legs through rollback to its final state."""

    def __init__(self, trade: Trade, execution, hooks: TradeHooks, config: Config, policy: RollbackPolicy,
                 *, deadline: float, buy_limit: float, sell_limit: float, next_order: int = 1) -> None:
        self.trade = trade
        self._execution = execution
        self._hooks = hooks
        self._config = config
        self._policy = policy
        self.deadline = deadline
        self._limits = {BUY: buy_limit, SELL: sell_limit}
        self._next_order = next_order
        self._unwinding = False  # recovery found an unwind under way: finish it, no retry
        self.notes: list[str] = []
        self.entry_notes: list[str] = []

    def limit(self, side: str) -> float:
        """Return the protected limit of ``side`` (the decision VWAP plus slippage protection)."""
        return self._limits[side]

    # --- orders ---------------------------------------------------------------------------------
    def _request(self, venue: str, side: str, quantity: Decimal, order_type: str, limit: float | None,
                 purpose: str, expires_at: float) -> OrderRequest:
        order_id = f"{self.trade.trade_id}-{self._next_order}"
        self._next_order += 1
        return OrderRequest(self.trade.trade_id, venue, self.trade.symbol, side, quantity, order_type, limit,
                            purpose, order_id, expires_at)

    async def _send(self, requests: list[OrderRequest]) -> list[OrderResult]:
        await self._hooks.before_send(self.trade, requests)

        async def one(request: OrderRequest) -> OrderResult:
            result = await self._execution.place_order(request)
            self.trade = await self._hooks.after_result(self.trade, result)
            return result

        return list(await asyncio.gather(*(one(r) for r in requests)))

    # --- the trade ------------------------------------------------------------------------------
    async def run(self, plan: ArbitragePlan) -> Trade:
        """Send both entry legs concurrently, then settle."""
        legs = []
        for leg in (plan.buy, plan.sell):
            legs.append(self._request(leg.venue, leg.side, plan.quantity, leg.order_type, leg.limit_price,
                                      "entry", plan.deadline))
        results = await self._send(legs)
        self.entry_notes = [leg_note(r) for r in results if not r.is_complete]
        return await self.settle()

    async def recover(self, pending: list[OrderRequest], *, unwinding: bool = False) -> Trade:
        """Finish a trade found open at start: resolve orders sent before the crash, then settle.

        ``unwinding``: an unwind order was sent before the crash. Once a trade has begun to unwind,
        recovery only finishes the unwind: a retry or reroute then would rebuild a position that was
        already being closed.
        """
        for request in pending:
            result = await self._execution.recover_order(request)
            self.trade = await self._hooks.after_result(self.trade, result)
        self.notes.append("recovered after a restart")
        self._unwinding = unwinding or any(step.kind == "unwind" for step in self.trade.steps) \
            or any(fill.purpose == "unwind" for fill in self.trade.fills)
        return await self.settle()

    def _time_left(self) -> float:
        return self.deadline - self._hooks.now()

    async def settle(self) -> Trade:
        """Run the graduated rollback on any mismatch and return the closed trade."""
        trade = self.trade
        bought, sold = trade.quantity(BUY), trade.quantity(SELL)
        if bought != sold and self._unwinding:
            self.notes.append("unwinding began before the restart: no retry")
        elif bought != sold and not self._hooks.is_halted():
            short = BUY if bought < sold else SELL
            await self._retry(short)
            await self._reroute(short)
        elif bought != sold:
            self.notes.append("halted: no retry, unwinding")
        await self._unwind()
        return self._close()

    def _gap(self, side: str) -> Decimal:
        trade = self.trade
        other = SELL if side == BUY else BUY
        return trade.quantity(other) - trade.quantity(side)

    async def _retry(self, side: str) -> None:
        venue = self.trade.buy_venue if side == BUY else self.trade.sell_venue
        gap = floor_to_lot(self._gap(side), self._config.spec(venue, self.trade.symbol).lot_size)
        if gap <= 0:
            return
        if self._time_left() <= 0:
            self.notes.append("no time left to retry")
            return
        limit = widen(self._limits[side], side, self._policy.retry_widen_bps)
        await self._step("retry", venue, side, gap, IOC_LIMIT, limit, self.deadline)

    async def _reroute(self, side: str) -> None:
        tried: set[str] = {self.trade.buy_venue, self.trade.sell_venue}
        for _ in range(self._policy.reroute_venues):
            gap = self._gap(side)
            if gap <= 0 or self._hooks.is_halted():
                return
            if self._time_left() <= 0:
                self.notes.append("no time left to reroute")
                return
            options = self._hooks.alternatives(self.trade, side, gap, frozenset(tried))
            if not options:
                self.notes.append(f"no other venue could {side} {gap} within {self._policy.reroute_max_bps:g} bps")
                return
            venue, limit = options[0]
            tried.add(venue)
            quantity = floor_to_lot(gap, self._config.spec(venue, self.trade.symbol).lot_size)
            if quantity <= 0:
                return
            await self._step("reroute", venue, side, quantity, IOC_LIMIT, limit, self.deadline)

    async def _unwind(self) -> None:
        # The excess is the trade's whole net position, unwind fills included: after a restart the
        # unwinds committed before the crash have already reduced it (counting hedge fills alone
        # would unwind the same excess again and leave the account short).
        trade = self.trade
        excess = trade.net_quantity
        if excess == 0:
            return
        venue, side = (trade.buy_venue, SELL) if excess > 0 else (trade.sell_venue, BUY)
        spec = self._config.spec(venue, trade.symbol)
        quantity = floor_to_lot(abs(excess), spec.lot_size)
        if quantity > 0:
            expires = self._hooks.now() + self._hooks.timeout_s(venue)
            result = await self._step("unwind", venue, side, quantity, MARKET, None, expires)
            left = quantity - result.filled_quantity
            if left > 0:  # kept as inventory, at its cost (``Trade.realized_pnl``); equity marks it
                base = self.trade.symbol.split("/")[0]
                self.notes.append(f"{left} {base} left {'long' if excess > 0 else 'short'} on {venue}: "
                                  f"the unwind {result.status}")
        residual = abs(excess) - quantity
        if residual:
            self.notes.append(f"{residual} left as inventory (below the lot size)")

    async def _step(self, kind: str, venue: str, side: str, quantity: Decimal, order_type: str,
                    limit: float | None, expires_at: float) -> OrderResult:
        request = self._request(venue, side, quantity, order_type, limit, kind, expires_at)
        (result,) = await self._send([request])
        filled = result.filled_quantity
        price = f" at limit {limit:.8g}" if limit is not None else " at market"
        detail = f"{kind} {side} {quantity} on {venue}{price}: {result.status}"
        if filled and filled != quantity:
            detail += f" ({filled} filled)"
        if result.rejected_reason:
            detail += f" ({result.rejected_reason})"
        step = RollbackStep(self._hooks.now(), kind, venue, side, quantity, filled, order_type, detail)
        self.trade = await self._hooks.after_step(self.trade, step)
        return result

    def _close(self) -> Trade:
        trade = self.trade
        matched = trade.matched_quantity
        if matched > 0 and matched == trade.planned_quantity:
            state = TradeState.COMPLETE
        elif matched > 0:
            state = TradeState.PARTIAL
        elif trade.fills:
            state = TradeState.ROLLED_BACK
        else:
            state = TradeState.FAILED
        notes = self.entry_notes + [step.detail for step in trade.steps] + self.notes
        return trade.closed(state, self._hooks.now(), "; ".join(notes))


def leg_note(result: OrderResult) -> str:
    """Return one line on an entry leg that did not fill in full (for the trade's note)."""
    request = result.request
    text = f"{request.side} {request.order_type} on {request.venue}: {result.status}"
    if result.rejected_reason:
        text += f" ({result.rejected_reason})"
    return text


def widen(price: float, side: str, bps: float) -> float:
    """Return ``price`` made worse for ``side`` by ``bps`` (higher for a buy, lower for a sell)."""
    factor = bps / 10_000.0
    return price * (1 + factor) if side == BUY else price * (1 - factor)
