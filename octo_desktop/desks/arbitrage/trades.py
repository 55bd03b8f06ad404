"""The arbitrage desk's trades: opening them, the write-ahead journal of their orders, closing, recovery.

``TradeBook`` is the ``TradeHooks`` that ``trader.TradeRun`` calls: every order is journaled (committed)
before it is sent and every result with its fills before anything acts on it, so a crash at any point
leaves a journal from which ``recover`` finishes the trade by the same rules. A trade's close books its
P&L into the portfolio and tells risk; the desk hears of it through ``on_closed``.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections import Counter, deque
from dataclasses import replace
from decimal import Decimal
from typing import Callable

from octo_desktop.config import QUOTE_ASSET
from octo_desktop.desks.arbitrage.trader import ArbitragePlan, JournalError, LegPlan, RollbackPolicy, TradeRun
from octo_desktop.desks.arbitrage.views import trade_view
from octo_desktop.domain.attribution import attribute
from octo_desktop.domain.fills import CANCELLED, IOC_LIMIT, MARKET, PARTIALLY_FILLED, OrderRequest, OrderResult
from octo_desktop.domain.model import BUY, SELL, RollbackStep, Trade, TradeState
from octo_desktop.domain.snapshot import LIVE, TradeView
from octo_desktop.storage import StorageError
from octo_desktop.domain.money import exact, notional

log = logging.getLogger(__name__)

RECENT_TRADES = 100
RECOVERY_WAIT_S = 30.0  # engine seconds a recovered trade waits for its venues' books
RECOVERY_POLL_S = 0.25


# Why an opportunity was gone when an entry order arrived.
VANISHED = {"taken": "taken first", "moved": "price moved"}

class TradeBook:
    """Open trades (and the books they are working on), recent closed trades, and their journal."""

    def __init__(self, services, state, *, on_closed: Callable[[Trade, object], None],
                 on_journal_failed: Callable[[Trade, Exception], None],
                 on_open_failed: Callable[[Trade, object], None],
                 fill_listener: Callable[[OrderResult], None] | None = None,
                 trade_listener: Callable[[Trade], None] | None = None) -> None:
        self._services = services
        self._store = services.store
        self._policy = RollbackPolicy.from_config(services.rules.config.execution)
        self._on_closed = on_closed
        self._on_journal_failed = on_journal_failed
        self._on_open_failed = on_open_failed
        self.open: dict[int, Trade] = {}
        self.busy: set[tuple[str, str]] = set()  # (symbol, venue) with a leg in flight
        self.recent: deque[TradeView] = deque(map(trade_view, state.recent_trades), maxlen=RECENT_TRADES)
        self.count = state.trade_count
        self.states: Counter[str] = Counter(state.trade_states)  # closed trades by final state
        # Opportunities gone before an entry order arrived, by why (``VANISHED``), in this run; and the
        # reason of each trade that met one, until it closes.
        self.vanished: Counter[str] = Counter()
        self.vanished_reasons: dict[int, str] = {}
        # The entry legs of open trades the book refused (the price was gone when the order arrived): a
        # lost race, not a failed leg for the circuit breaker; what it costs counts as a loss.
        self._refused_by_book: dict[int, set[str]] = {}
        self.next_id = state.next_trade_id
        self.recovered: list[dict] = []  # what recovery did, for the summary and the window
        self._stalled: set[int] = set()  # trades stopped by a journal failure, finished on resume
        # Trades found open at start (a crash, or a stop mid-trade): finished by ``start_recovery``.
        self._to_recover = [(trade, state.journal.get(trade.trade_id, ())) for trade in state.open_trades]
        for trade, _journal in self._to_recover:
            self._take_books(trade)
        # Optional observers (the CLI's --stream): called after a fill is journaled / a trade closed.
        self.fill_listener = fill_listener
        self.trade_listener = trade_listener

    def _take_books(self, trade: Trade) -> None:
        self.open[trade.trade_id] = trade
        self.busy.update({(trade.symbol, trade.buy_venue), (trade.symbol, trade.sell_venue)})

    def _drop_books(self, trade: Trade) -> None:
        self.open.pop(trade.trade_id, None)
        self.busy.discard((trade.symbol, trade.buy_venue))
        self.busy.discard((trade.symbol, trade.sell_venue))

    def open_notional_by_venue(self) -> dict[str, Decimal]:
        """Return each venue's notional in open trades (the per-venue risk limit)."""
        totals: dict[str, Decimal] = {}
        for trade in self.open.values():
            price = exact(trade.decision_buy_vwap) if math.isfinite(trade.decision_buy_vwap) else Decimal(0)
            notional = trade.planned_quantity * price
            for venue in (trade.buy_venue, trade.sell_venue):
                totals[venue] = totals.get(venue, Decimal(0)) + notional
        return totals

    def views(self) -> tuple[TradeView, ...]:
        """Return the blotter: open trades, then the recent closed ones, newest first."""
        return (*map(trade_view, self.open.values()), *self.recent)

    # --- opening -----------------------------------------------------------------------------------
    def start(self, trade: Trade, plan_buy: LegPlan, plan_sell: LegPlan, *, buy_limit: float, sell_limit: float,
              deadline: float, context: object) -> None:
        """Journal ``trade`` as opened, then send its legs (in a task of its own).

        ``context`` is handed back to ``on_closed`` when the trade closes (the desk's opportunity); if the
        journal cannot be written, nothing is sent and ``on_open_failed(trade, context)`` is called.
        """
        services = self._services
        self.next_id = trade.trade_id + 1
        self.count += 1
        self._take_books(trade)  # the books are the trade's from now: no second trade races its journal entry
        plan = ArbitragePlan(trade, trade.planned_quantity, plan_buy, plan_sell, deadline)
        run = TradeRun(trade, services.execution, self, services.rules.config, self._policy, deadline=deadline,
                       buy_limit=buy_limit, sell_limit=sell_limit)
        services.spawn(self._open_and_run(run, plan, context), f"trade-{trade.trade_id}")

    async def _open_and_run(self, run: TradeRun, plan: ArbitragePlan, context) -> None:
        trade = plan.trade
        payload = {"quantity": format(trade.planned_quantity, "f"), "deadline": plan.deadline,
                   "buy_limit": run.limit(BUY), "sell_limit": run.limit(SELL),
                   "legs": [{"venue": leg.venue, "side": leg.side, "order_type": leg.order_type,
                             "limit": leg.limit_price, "why": leg.why} for leg in (plan.buy, plan.sell)]}
        try:
            await self._journal(trade.opened_at, trade.trade_id, "opened", payload, trade=trade)
        except StorageError as exc:
            # Nothing was sent: the trade fails as it stands, and risk halts until storage is back.
            self._services.portfolio.ledger.release(("trade", trade.trade_id))
            self._drop_books(trade)
            self._on_open_failed(trade, context)
            self._journal_failed(trade, exc)
            return
        await self._run(run, run.run(plan), context)

    async def _journal(self, time: float, trade_id: int, kind: str, payload: dict, **carried) -> None:
        """Write one journal entry and wait until it is durable (``StorageError`` if it is not, in time)."""
        future = self._store.submit_journal(time, trade_id, kind, payload, **carried)
        await self._services.durable(future, f"journal entry {kind} of trade {trade_id}")

    async def _run(self, run: TradeRun, work, context) -> None:
        try:
            closed = await work
        except JournalError as exc:
            # Stopped before acting on an intent that could not be written: the trade stays open
            # (its fills so far are in the ledger), trading halts, and resuming finishes it.
            self._stalled.add(run.trade.trade_id)
            self._on_closed(None, context)
            self._journal_failed(run.trade, exc)
            return
        except asyncio.CancelledError:
            # Stopped mid-trade (shutdown): it stays open in the journal and is recovered at next start.
            raise
        await self._close(closed, context)

    def _journal_failed(self, trade: Trade, exc: Exception) -> None:
        self._on_journal_failed(trade, exc)

    # --- TradeHooks, called by TradeRun on the runtime loop ------------------------------------------
    def now(self) -> float:
        return self._services.clock.now()

    def is_halted(self) -> bool:
        return self._services.risk.is_halted

    def timeout_s(self, venue: str) -> float:
        return self._services.quality.timeout_s(venue)

    async def before_send(self, trade: Trade, requests: list[OrderRequest]) -> None:
        """Journal each order (durable) before it is sent."""
        now = self.now()
        for request in requests:
            payload = {"venue": request.venue, "side": request.side, "quantity": format(request.quantity, "f"),
                       "order_type": request.order_type, "limit": request.limit_price, "purpose": request.purpose,
                       "expires_at": request.expires_at if math.isfinite(request.expires_at) else None}
            try:
                await self._journal(now, trade.trade_id, "sent", payload, order_id=request.order_id)
            except StorageError as exc:
                raise JournalError(str(exc)) from exc

    async def after_result(self, trade: Trade, result: OrderResult) -> Trade:
        """Apply an order's fills and journal the result with them (durable); return the trade as it stands."""
        services = self._services
        request = result.request
        current = self.open.get(trade.trade_id, trade)
        if result.fills:
            current = current.with_fills(result.fills)
        if request.purpose == "entry" and math.isfinite(result.arrival_vwap):
            field = "arrival_buy_vwap" if request.side == BUY else "arrival_sell_vwap"
            current = replace(current, **{field: result.arrival_vwap})
        self.open[trade.trade_id] = current
        if request.purpose == "entry" and result.status in (PARTIALLY_FILLED, CANCELLED) \
                and request.order_type in (IOC_LIMIT, MARKET):
            self._refused_by_book.setdefault(trade.trade_id, set()).add(request.side)
            if trade.trade_id not in self.vanished_reasons:
                self._vanished(current, result)
        services.portfolio.ledger.apply_all(result.fills)
        services.quality.record(result)
        payload = {"status": result.status, "filled": format(result.filled_quantity, "f"),
                   "latency_ms": round(result.latency_ms, 3), "reason": result.rejected_reason,
                   "arrival_vwap": result.arrival_vwap if math.isfinite(result.arrival_vwap) else None,
                   "queue_ahead": result.queue_ahead if math.isfinite(result.queue_ahead) else None}
        try:
            await self._journal(self.now(), trade.trade_id, "done", payload, order_id=request.order_id,
                                fills=result.fills, trade=current)
        except StorageError as exc:
            raise JournalError(str(exc)) from exc
        if self.fill_listener is not None and result.fills:
            self.fill_listener(result)
        services.publish(False)
        # The other leg's result may have landed meanwhile: the trade as it stands now has both.
        return self.open.get(trade.trade_id, current)

    def _vanished(self, trade: Trade, result: OrderResult) -> None:
        # The book at arrival no longer had the decision's price. The tape says whether others took it
        # (aggressor trades on our side at our limit or better since the decision) or the quote moved away.
        request = result.request
        flow = self._services.market.flows.get((request.venue, trade.symbol))
        limit = request.limit_price if request.limit_price is not None else (
            trade.decision_buy_vwap if request.side == BUY else trade.decision_sell_vwap)
        taken = flow is not None and flow.traded(request.side, trade.opened_at, self.now(), limit) > 0
        kind = "taken" if taken else "moved"
        self.vanished[kind] += 1
        self.vanished_reasons[trade.trade_id] = f"{VANISHED[kind]} on {request.venue}"

    async def after_step(self, trade: Trade, step: RollbackStep) -> Trade:
        """Journal a rollback step (durable) and show it."""
        current = self.open.get(trade.trade_id, trade).with_step(step)
        self.open[trade.trade_id] = current
        payload = {"kind": step.kind, "venue": step.venue, "side": step.side, "quantity": format(step.quantity, "f"),
                   "filled": format(step.filled, "f"), "detail": step.detail}
        try:
            await self._journal(step.time, trade.trade_id, "step", payload, trade=current)
        except StorageError as exc:
            raise JournalError(str(exc)) from exc
        return self.open.get(trade.trade_id, current)

    def alternatives(self, trade: Trade, side: str, quantity: Decimal,
                     exclude: frozenset[str]) -> list[tuple[str, float]]:
        """Return venues that could take the short side now, best price first, with their limits."""
        services = self._services
        original = trade.decision_buy_vwap if side == BUY else trade.decision_sell_vwap
        if not math.isfinite(original):
            return []
        bound = original * (1 + self._policy.reroute_max_bps / 10_000.0) if side == BUY \
            else original * (1 - self._policy.reroute_max_bps / 10_000.0)
        protection = services.rules.config.strategy.slippage_protection_bps / 10_000.0
        base = trade.symbol.split("/")[0]
        now = self.now()
        market, ledger = services.market, services.portfolio.ledger
        options = []
        for venue in market.venues:
            if venue in exclude or venue in services.risk.excluded_venues:
                continue
            book = market.books[(venue, trade.symbol)]
            if market.status(book, now) != LIVE:
                continue
            vwap, got = book.vwap(side, float(quantity))
            if got < float(quantity) * 0.999999 or not math.isfinite(vwap):
                continue
            if (side == BUY and vwap > bound) or (side == SELL and vwap < bound):
                continue
            limit = min(vwap * (1 + protection), bound) if side == BUY else max(vwap * (1 - protection), bound)
            need = notional(quantity, limit) if side == BUY else quantity
            have = ledger.available(venue, QUOTE_ASSET if side == BUY else base)
            if need > have:
                continue
            options.append((vwap if side == BUY else -vwap, venue, limit))
        options.sort()
        return [(venue, limit) for _, venue, limit in options]

    # --- closing -----------------------------------------------------------------------------------
    async def _close(self, trade: Trade, context) -> None:
        services = self._services
        now = self.now()
        try:
            await self._journal(now, trade.trade_id, "closed", {"state": str(trade.state)}, trade=trade)
        except StorageError as exc:
            self._store.record_trade(trade)  # queued: lands when the disk recovers
            self._journal_failed(trade, exc)
        now = self.now()
        self._stalled.discard(trade.trade_id)
        services.portfolio.ledger.release(("trade", trade.trade_id))
        self._drop_books(trade)
        pnl = trade.realized_pnl
        services.portfolio.book_closed(pnl, trade.fees_in_quote, attribute(trade))
        refused = self._refused_by_book.pop(trade.trade_id, set())
        failed_legs = sum(1 for side in (BUY, SELL)
                          if trade.quantity(side) < trade.planned_quantity and side not in refused)
        services.risk.on_trade_closed(now, symbol=trade.symbol, buy_venue=trade.buy_venue,
                                      sell_venue=trade.sell_venue, pnl=pnl,
                                      realized_total=services.portfolio.realized_pnl, failed_legs=failed_legs)
        self.recent.appendleft(trade_view(trade))
        self.states[str(trade.state)] += 1
        self._on_closed(trade, context)
        self._store.record_balances(now, services.portfolio.ledger.balances())
        text = f"trade #{trade.trade_id} {trade.state}: {pnl:+.4f} {QUOTE_ASSET}"
        if trade.note:
            text += f" ({trade.note})"
        services.activity.note(now, text, trade.state == TradeState.COMPLETE, trade.symbol, trade.buy_venue,
                               trade.sell_venue)
        if self.trade_listener is not None:
            self.trade_listener(trade)
        services.publish(True)

    # --- recovery ----------------------------------------------------------------------------------
    def start_recovery(self) -> None:
        """Finish, by the rollback rules, every trade found open at start (on the runtime loop)."""
        to_recover, self._to_recover = self._to_recover, []
        for trade, journal in to_recover:
            self._services.spawn(self._recover(trade, journal), f"recover-{trade.trade_id}")

    def resume_stalled(self) -> None:
        """Finish the trades a journal failure stopped, now that trading resumes (and storage is back)."""
        for trade_id in sorted(self._stalled):
            trade = self.open.get(trade_id)
            if trade is not None and self._store.healthy:
                self._stalled.discard(trade_id)
                self._to_recover.append((trade, ()))
        if self._to_recover:
            self.start_recovery()

    async def _recover(self, trade: Trade, journal) -> None:
        services = self._services
        market, clock = services.market, services.clock
        waited = 0.0
        while not all(market.status(market.books[(v, trade.symbol)], clock.now()) == LIVE
                      for v in (trade.buy_venue, trade.sell_venue)) and waited < RECOVERY_WAIT_S:
            await clock.sleep(RECOVERY_POLL_S)
            waited += RECOVERY_POLL_S
        opened = next((e for e in journal if e.kind == "opened"), None)
        sent = {e.order_id: e for e in journal if e.kind == "sent"}
        done = {e.order_id for e in journal if e.kind == "done"}
        pending = []
        for order_id, entry in sent.items():
            if order_id in done:
                continue
            p = entry.payload
            pending.append(OrderRequest(trade.trade_id, p["venue"], trade.symbol, p["side"], Decimal(p["quantity"]),
                                        p["order_type"], p.get("limit"), p.get("purpose", "entry"), order_id))
        numbers = [int(order_id.rsplit("-", 1)[1]) for order_id in sent if order_id.rsplit("-", 1)[-1].isdigit()]
        limits = (opened.payload.get("buy_limit"), opened.payload.get("sell_limit")) if opened else (None, None)
        buy_limit = float(limits[0]) if limits[0] is not None else trade.decision_buy_vwap
        sell_limit = float(limits[1]) if limits[1] is not None else trade.decision_sell_vwap
        now = clock.now()
        deadline = now + max(self.timeout_s(trade.buy_venue), self.timeout_s(trade.sell_venue))
        run = TradeRun(trade, services.execution, self, services.rules.config, self._policy, deadline=deadline,
                       buy_limit=buy_limit, sell_limit=sell_limit, next_order=max(numbers, default=0) + 1)
        before = (trade.quantity(BUY), trade.quantity(SELL))
        unwinding = any(entry.payload.get("purpose") == "unwind" for entry in sent.values())
        await self._run(run, run.recover(pending, unwinding=unwinding), None)
        closed = self.recent[0] if self.recent and self.recent[0].trade_id == trade.trade_id else None
        route = trade.route
        report = {"trade_id": trade.trade_id, "symbol": route.symbol, "route": f"{route.buy_venue}->{route.sell_venue}",
                  "bought_before": format(before[0], "f"), "sold_before": format(before[1], "f"),
                  "orders_unanswered": len(pending),
                  "state": closed.state if closed is not None else "open",
                  "realized_pnl": format(closed.realized_pnl, "f") if closed is not None else None}
        self.recovered.append(report)
        services.activity.note(
            clock.now(), f"recovered trade #{trade.trade_id} ({route}): "
                         f"bought {before[0]}, sold {before[1]} before the restart, {len(pending)} unanswered "
                         f"order(s); now {report['state']}")
