"""The router desk: parent orders split across exchange books, Solana pools and OTC pools by total cost.

A parent order (``RouteOrder``: market, limit or sniper; from the window or the command line) is checked at
once (the kill switch, the asset, a reference price, ``router.max_order_usdt``), and its row is committed to
``routes``. Four times per engine second every open parent is looked at (``router.orders.due``): it expires,
waits (a sniper's condition, a limit price not there) or routes.

To route, the desk builds every source's cost curve as it stands now (``sources.Sources``: the books, the pools,
the OTC pools, each capped at what its account can fund and what the limit allows), splits the part still to do
by total cost (``router.split``), and records the decision with every alternative. Each child's row is committed
(synced) *before* it goes out; then every child runs concurrently:

- a book child is an IOC limit order through the paper executor (its latency, the book at arrival, its fills);
- a pool child waits the Solana latency, then swaps on the pool as it is at arrival, if the price is within the
  swap's tolerance (``router.slippage_bps``); it pays the network fee (and a token account's rent) in SOL;
- an OTC child is a firm quote that settles after the dealer's delay, unless the market moved beyond the dealer's
  tolerance meanwhile (the quote is withdrawn).

A child's result is committed with its fills in one transaction, then booked in the ledger. What a round did not
fill is routed again (up to ``router.reroute_rounds`` rounds that fall short), within the parent's limit.
The kill switch cancels every open parent (children already out land and are booked). After kill -9, children
whose row went out without a result are resolved as not executed (the paper venues and pools keep no state
outside the database) and their parents carry on from what was recorded: nothing is lost or booked twice.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import time
from collections import Counter
from dataclasses import replace
from decimal import Decimal
from typing import Any, Iterable

from octo_desktop.config import QUOTE_ASSET, SOLANA, WALLET
from octo_desktop.desks.router.records import (
    Meta, child_view, json_default, order_from_row, plan_json, plan_view, pools_json,
)
from octo_desktop.desks.router.sources import PoolMarket, Source, Sources
from octo_desktop.domain.commands import CancelRoute, Command, PreviewRoute, QuoteRoute, RouteOrder, ShowPools
from octo_desktop.domain.fills import IOC_LIMIT, FEE_QUANTUM, OrderRequest, floor_to_lot
from octo_desktop.domain.ledger import InsufficientBalance
from octo_desktop.domain.model import Fill
from octo_desktop.domain.money import exact
from octo_desktop.domain.snapshot import ParentOrderView, ReferenceView, RoutePlanView, RouterView, frozen_mapping
from octo_desktop.engine.portfolio import ROUTE_PURPOSE
from octo_desktop.router import amm
from octo_desktop.router.ladder import BUY, SELL, CostParts, capped
from octo_desktop.router.orders import (
    REST_CANCEL, REST_WAIT, Condition, Observation, OrderType, ParentOrder, ParentState, due,
)
from octo_desktop.router.pools import DECIMALS, fee_fraction, mid_price
from octo_desktop.router.reference import Reference, reference_price
from octo_desktop.router.split import Plan, split
from octo_desktop.storage import StorageError

log = logging.getLogger(__name__)

RECENT_ORDERS = 50
BOOK_TIMEOUT_S = 10.0  # a book child not answered within this is treated as not executed
TINY = 1e-9
SHORT_ROUND_PAUSE_S = 5.0  # engine seconds a resting limit order waits per round that fell short
PREVIEW_WALL_S = 0.2  # real seconds between two live previews
BOOKS_GRACE_S = 10.0  # an order waits this long for the exchange books before routing on a fallback reference


class RouteRefused(ValueError):
    """A parent order the router will not take, with one clear reason."""


class RouterDesk:
    """Parent orders, their children and the pools; the ledger effects go through the shared ``Portfolio``."""

    name = "router"

    def __init__(self, services, state) -> None:
        self._services = services
        config = services.rules.config
        now = services.clock.now()
        self.pools = PoolMarket(config.router, dict(services.portfolio.marks), config.seed, now)
        self.jupiter = None
        if config.router.jupiter_url:
            from octo_desktop.desks.router.jupiter_source import JupiterSource

            self.jupiter = JupiterSource(config.router.jupiter_url, services.spawn)
        self.sources = Sources(services, self.pools, self.jupiter)
        self.prices = None
        if config.router.price_url:
            from octo_desktop.desks.router.price_feed import PriceFeed

            self.prices = PriceFeed(config.router.price_url, services.spawn, services.clock.now)
        self.orders: dict[int, ParentOrder] = {}
        self.meta: dict[int, Meta] = {}
        self.children: dict[str, dict[str, Any]] = {}
        for row in getattr(state, "routes", ()):
            order, meta = order_from_row(row)
            self.orders[order.order_id] = order
            self.meta[order.order_id] = meta
        for row in getattr(state, "route_children", ()):
            child = dict(row)
            self.children[child["child_id"]] = child
            meta = self.meta.get(child["order_id"])
            if meta is not None:
                meta.children.append(child["child_id"])
        self.next_id = max(self.orders, default=0) + 1
        self._accepting = True
        self._busy: set[int] = set()  # parents with a round under way (recorded, children out)
        # The last known price of each asset, until the books give one: the account's mark.
        self._references: dict[str, Reference] = {
            asset: Reference(price, "last known (the account's mark)", now, True)
            for asset, price in services.portfolio.marks.items() if math.isfinite(price) and price > 0}
        self._preview_request: PreviewRoute | None = None
        self._preview: RoutePlanView | None = None
        self._preview_wall = -math.inf
        self._version = 0
        self._view: tuple[tuple, RouterView] | None = None
        self._otc_quotes: dict[str, Any] = {}
        self._quotes: list[tuple[QuoteRoute, float]] = []  # asked before the books were in: answered when they are
        self.server = None  # the /quote endpoint, when served
        self.server_error = ""

    # --- the desk protocol ------------------------------------------------------------------------------
    def start(self) -> None:
        """Resolve the children a crash left without a result, then carry on with their parents."""
        services = self._services
        lost = [c for c in self.children.values() if c["state"] == "sent"]
        for order_id in {c["order_id"] for c in lost}:
            self._busy.add(order_id)
        for order_id, order in self.orders.items():
            if order.state == ParentState.ROUTING and order_id not in self._busy:
                self.orders[order_id] = order.moved_to(ParentState.PENDING, services.clock.now(),
                                                       "resumed after a restart")
        if lost:
            services.spawn(self._recover(lost), "router recovery")
        if services.rules.config.router.quote_endpoint:
            services.spawn(self._serve_quotes(), "router /quote endpoint")

    async def _recover(self, lost: list[dict[str, Any]]) -> None:
        services = self._services
        for child in lost:
            note = "sent before a restart with no recorded result: "
            if child["kind"] == "book":
                result = await services.execution.recover_order(self._request(child))
                note += result.rejected_reason or "not executed"
            else:
                note += "no confirmation was recorded, so the swap or settlement did not happen"
            child.update(state="lost", done_at=services.clock.now(), note=note)
            try:
                await services.durable(services.store.submit_route(children=[child]), f"route child {child['child_id']}")
            except StorageError as exc:
                services.journal_failed(f"route child {child['child_id']} not recorded: {exc}", "storage")
        for order_id in {c["order_id"] for c in lost}:
            self._busy.discard(order_id)
            order = self.orders.get(order_id)
            if order is not None and order.state == ParentState.ROUTING:
                self.orders[order_id] = order.moved_to(ParentState.PENDING, services.clock.now(),
                                                       "resumed after a restart")
            self._record(order_id)
        self._version += 1
        services.publish(True)

    def on_books(self, symbols: Iterable[str], now: float) -> None:
        """Books are read when an order is looked at (four times per engine second)."""

    def on_clock(self, now: float) -> None:
        mids = self._exchange_mids(now)
        self.pools.step(now, mids)
        if self.jupiter is not None and self._accepting:
            self.jupiter.on_clock(now, mids)
        if self.prices is not None and self._accepting:
            self.prices.on_clock(now, self.sources.assets())
        if self._accepting and not self._services.risk.is_halted:
            for order_id, order in list(self.orders.items()):
                if not order.is_final and order_id not in self._busy:
                    self._evaluate(order_id, now)
        # The live preview: four times per engine second, and at most PREVIEW_WALL_S apart in real time (a run
        # faster than real time would otherwise spend itself on previews nobody can read that fast).
        wall = time.monotonic()
        if self._preview_request is not None and wall - self._preview_wall >= PREVIEW_WALL_S:
            self._preview_wall = wall
            self._preview = self._plan_preview(self._preview_request, now)
            self._version += 1
        if self._quotes:
            self._answer_quotes(now)

    def _answer_quotes(self, now: float) -> None:
        """Answer ``route quote`` requests: once the books give the reference (or after the grace period)."""
        waiting = []
        for command, asked in self._quotes:
            reference = self.reference(command.asset, now)
            known = command.asset in self.sources.assets()
            jupiter_pending = self.jupiter is not None and self.jupiter.waiting(command.asset, command.side)
            if known and now - asked < BOOKS_GRACE_S and (jupiter_pending or (
                    reference.fallback and f"{command.asset}/{QUOTE_ASSET}" in self._services.rules.config.symbols)):
                waiting.append((command, asked))
                continue
            preview = self._plan_preview(PreviewRoute(command.side, command.asset, command.quantity,
                                                      command.limit_price), now) if known else None
            if preview is not None:
                answer = plan_json(preview, self.pools, now)
            else:
                answer = {"error": f"cannot quote {command.asset}: " + (
                    reference.source if known else f"the router trades {', '.join(self.sources.assets())}")}
            if command.control_id is not None:
                self._services.store.mark_control(command.control_id, now,
                                                  json.dumps(answer, allow_nan=False, default=json_default))
        self._quotes = waiting

    def handle(self, command: Command) -> bool:
        services = self._services
        now = services.clock.now()
        if isinstance(command, PreviewRoute):
            self._preview_request = command if command.quantity > 0 else None
            self._preview = self._plan_preview(command, now) if command.quantity > 0 else None
            self._version += 1
            return True
        if isinstance(command, ShowPools):
            if command.control_id is not None:
                services.store.mark_control(command.control_id, now, json.dumps(
                    pools_json(self.pools, self._exchange_mids(now), now, self.sources.sigma), allow_nan=False,
                    default=json_default))
            return True
        if isinstance(command, QuoteRoute):
            self._quotes.append((command, now))
            self._answer_quotes(now)
            return True
        if isinstance(command, CancelRoute):
            order = self.orders.get(command.order_id)
            if order is None:
                result = f"cancel refused: no route #{command.order_id}"
            elif order.is_final:
                result = f"cancel refused: route #{command.order_id} is already {order.state}"
            else:
                self._close(command.order_id, ParentState.CANCELLED, now, "cancelled by the trader")
                result = f"route #{command.order_id} cancelled"
            services.activity.note(now, result, result.startswith("route"))
            if command.control_id is not None:
                services.store.mark_control(command.control_id, now, result)
            services.publish(True)
            return True
        if not isinstance(command, RouteOrder):
            return False
        try:
            order = self._accept(command, now)
            result, ok = f"route #{order.order_id} accepted: {describe(order)}", True
        except (RouteRefused, ValueError) as exc:
            result, ok = f"route refused: {exc}", False
        services.activity.note(now, result, ok)
        if command.control_id is not None:
            services.store.mark_control(command.control_id, now, result)
        services.publish(True)
        return True

    def on_halt(self, now: float) -> None:
        """The kill switch: every open parent is cancelled; children already out land and are booked."""
        for order_id, order in list(self.orders.items()):
            if not order.is_final:
                self._close(order_id, ParentState.CANCELLED, now, "the kill switch")

    def on_resume(self, now: float) -> None:
        """Nothing resumes by itself: cancelled parents stay cancelled."""

    def stop(self) -> None:
        self._accepting = False
        if self.jupiter is not None:
            self._services.spawn(self.jupiter.close(), "router jupiter client close")
        if self.prices is not None:
            self._services.spawn(self.prices.close(), "router price feed close")
        if self.server is not None:
            server, self.server = self.server, None
            self._services.spawn(server.stop(), "router /quote endpoint stop")

    def close(self) -> None:
        """Nothing else to release."""

    @property
    def open_work(self) -> int:
        """Parent orders with a round under way."""
        return len(self._busy)

    # --- accepting --------------------------------------------------------------------------------------
    def _accept(self, command: RouteOrder, now: float) -> ParentOrder:
        services = self._services
        router = services.rules.config.router
        if not self._accepting:
            raise RouteRefused("the engine is stopping")
        if services.risk.is_halted:
            raise RouteRefused(f"trading is halted ({services.risk.reason or services.risk.state}): no new route "
                               f"until it resumes")
        assets = self.sources.assets()
        if command.asset not in assets:
            raise RouteRefused(f"the router does not trade {command.asset!r}; one of {', '.join(assets)}")
        if command.side not in (BUY, SELL):
            raise RouteRefused(f"side must be buy or sell, got {command.side!r}")
        reference = self.reference(command.asset, now)
        if math.isfinite(reference.price):  # else checked when it routes (the books are not in yet)
            self._check_size(command.asset, command.quantity, reference.price, router)
        try:
            order_type = OrderType(command.order_type)
        except ValueError:
            raise RouteRefused(f"order type must be market, limit or sniper, got {command.order_type!r}") from None
        condition = None
        if order_type == OrderType.SNIPER:
            condition = Condition(command.condition, command.level, command.condition_quantity)
        if command.rest not in (REST_WAIT, REST_CANCEL):
            raise RouteRefused(f"rest must be wait or cancel, got {command.rest!r}")
        if not command.expires_in_s > 0:
            raise RouteRefused(f"the expiry must be positive, got {command.expires_in_s:g} s")
        order = ParentOrder(self.next_id, command.side, command.asset, command.quantity, order_type, now,
                            limit_price=command.limit_price, condition=condition,
                            expires_at=now + command.expires_in_s, rest=command.rest)
        self.next_id += 1
        self.orders[order.order_id] = order
        self.meta[order.order_id] = Meta()
        self._busy.add(order.order_id)  # until its row is durable
        self._version += 1
        self._services.spawn(self._open(order.order_id), f"route {order.order_id}")
        return order

    @staticmethod
    def _check_size(asset: str, quantity: float, price: float, router) -> None:
        notional = quantity * price
        if not notional <= router.max_order_usdt:
            raise RouteRefused(f"{quantity:g} {asset} is {notional:,.0f} {QUOTE_ASSET} at {price:g}, above "
                               f"router.max_order_usdt {router.max_order_usdt:,.0f}")

    async def _open(self, order_id: int) -> None:
        services = self._services
        try:
            await services.durable(services.store.submit_route(self._row(order_id)), f"route {order_id}")
        except StorageError as exc:
            services.journal_failed(f"route {order_id} not recorded: {exc}", "storage")
            self._busy.discard(order_id)
            self._close(order_id, ParentState.FAILED, services.clock.now(), f"not recorded: {exc}")
            return
        self._busy.discard(order_id)
        if self._accepting and not services.risk.is_halted:
            self._evaluate(order_id, services.clock.now())

    # --- looking at a parent ----------------------------------------------------------------------------
    def _evaluate(self, order_id: int, now: float) -> None:
        order = self.orders[order_id]
        if now < self.meta[order_id].next_try and now < order.expires_at:
            return
        reference = self.reference(order.asset, now)
        has_books = f"{order.asset}/{QUOTE_ASSET}" in self._services.rules.config.symbols
        if (has_books and reference.fallback and now - order.created_at < BOOKS_GRACE_S
                and now < order.expires_at):
            why = f"waiting for the exchange books ({reference.describe(now)})"
            if order.reason != why:
                self.orders[order_id] = order.moved_to(order.state, now, why)
                self._record(order_id)
            return
        jupiter = self.jupiter
        if (jupiter is not None and jupiter.waiting(order.asset, order.side) and now - order.created_at < BOOKS_GRACE_S
                and now < order.expires_at):
            why = "waiting for Jupiter's first quotes"
            if order.reason != why:
                self.orders[order_id] = order.moved_to(order.state, now, why)
                self._record(order_id)
            return
        if math.isfinite(reference.price) and order.filled <= 0 and not order.is_final:
            try:
                self._check_size(order.asset, order.quantity, reference.price, self._services.rules.config.router)
            except RouteRefused as exc:
                self._close(order_id, ParentState.FAILED, now, str(exc))
                return
        action, why = due(order, self._observe(order, now), now)
        if action == "expire":
            self._close(order_id, ParentState.EXPIRED, now, why)
        elif action == "wait":
            if order.reason != why:
                self.orders[order_id] = order.moved_to(order.state, now, why)
                self._record(order_id)
        else:
            self._route(order_id, now, why)

    def _observe(self, order: ParentOrder, now: float) -> Observation:
        reference = self.reference(order.asset, now)
        if order.order_type == OrderType.MARKET:
            return Observation(reference.price)
        bids, asks = [], []
        symbol = f"{order.asset}/{QUOTE_ASSET}"
        market = self._services.market
        for venue in self._services.rules.config.venue_names:
            book = market.books.get((venue, symbol))
            if book is not None and book.is_valid and market.status(book, now) == "live":
                bids.append((venue, book.best_bid))
                asks.append((venue, book.best_ask))
        for name, pool in self.pools.pools.items():
            if self.pools.specs[name].base == order.asset:
                mid = mid_price(pool, now)
                f = fee_fraction(pool, now)
                bids.append((name, mid * (1 - f)))
                asks.append((name, mid * (1 + f)))
        available = ()
        condition = order.condition
        if condition is not None and condition.kind == "liquidity":
            curves, _, _ = self.sources.curves(order.asset, order.side, now, reference.price,
                                               limit_price=condition.level)
            available = ((condition.level, sum(c.max_quantity for c in curves)),)
        return Observation(reference.price, tuple(bids), tuple(asks), available)

    def reference(self, asset: str, now: float) -> Reference:
        """The reference price of ``asset``: the books' median mid, else the last known price (a fallback)."""
        market = self._services.market
        symbol = f"{asset}/{QUOTE_ASSET}"
        mids = []
        for venue in self._services.rules.config.venue_names:
            book = market.books.get((venue, symbol))
            if book is not None:
                mids.append((venue, book.mid, book.received_time, book.is_valid and market.status(book, now) == "live"))
        http = self.prices.http(asset) if self.prices is not None else []
        if not mids and not http:  # an asset only the pools trade: their mids stand in for a price source
            http = [(name, mid_price(pool, now), now) for name, pool in self.pools.pools.items()
                    if self.pools.specs[name].base == asset]
        found = reference_price(mids, http, self._references.get(asset), now,
                                max_age_s=max(30.0, self._services.rules.config.strategy.stale_after_s))
        if math.isfinite(found.price):
            self._references[asset] = found
        return found

    def _exchange_mids(self, now: float) -> dict[str, float]:
        return {symbol.split("/")[0]: mid for symbol, mid in self._services.market.medians(now).items()}

    # --- routing ----------------------------------------------------------------------------------------
    def plan(self, side: str, asset: str, quantity: float, now: float, limit_price: float = math.nan,
             with_ladders: bool = False) -> tuple[Plan | None, dict[str, Source], RoutePlanView | None]:
        """Split ``quantity`` now; return the plan, its sources and its view (None without a reference)."""
        started = time.perf_counter()
        reference = self.reference(asset, now)
        if not math.isfinite(reference.price) or not quantity > 0:
            return None, {}, None
        curves, sources, options = self.sources.curves(asset, side, now, reference.price, limit_price,
                                                       reserved=None, with_ladders=with_ladders,
                                                       ladder_upto=quantity)
        capacity = sum(c.max_quantity for c in curves)
        target = min(quantity, capacity) if math.isfinite(limit_price) else quantity
        if not curves or target <= quantity * TINY:
            plan = Plan(side, quantity, 0.0, reference.price, (), 0.0, CostParts(), None, math.nan, 0.0, "split",
                        "no source can take any of it" + (f" at or better than {limit_price:g}"
                                                          if math.isfinite(limit_price) else ""))
        else:
            plan = split(curves, target, side, reference_price=reference.price)
            plan, curves = self._within_budgets(plan, curves, sources, side, target, reference.price)
        books = [c for c in curves if c.kind == "book"]
        exchanges = math.nan
        if books and plan.filled > 0:
            only = split(books, plan.filled, side, reference_price=reference.price)
            if only.filled >= plan.filled * (1 - 1e-9):
                exchanges = only.total
                if only.total < plan.total:
                    # The splitter's choice of which gated sources to open is a local search: the books alone
                    # are a split it could have made, so the plan is never worse than them.
                    plan = replace(only, best_single=plan.best_single, best_single_total=plan.best_single_total,
                                   saving=(plan.best_single_total - only.total) if plan.best_single else 0.0)
        view = plan_view(plan, asset, reference, options, exchanges, now, (time.perf_counter() - started) * 1000.0)
        return plan, sources, view

    def _within_budgets(self, plan: Plan, curves, sources: dict[str, Source], side: str, target: float,
                        reference: float):
        """Split again while sources that share an account (the Solana wallet's pools, the OTC desks on the
        central wallet) together need more than it holds: each source is capped at its share of what is there."""
        ledger = self._services.portfolio.ledger
        for _ in range(3):
            needs: dict[tuple[str, str], float] = {}
            for child in plan.children:
                source = sources[child.source]
                token = (source.quote if side == BUY else source.symbol.split("/")[0])
                need = abs(child.cost) if side == BUY else child.quantity
                if side == SELL and source.account == SOLANA and token == "SOL":  # each swap's fees, in SOL too
                    need += self.sources.network_fee_sol() + self._services.rules.config.router.token_account_rent_sol
                needs[(source.account, token)] = needs.get((source.account, token), 0.0) + need
            over = {key: (need, float(ledger.available(*key))) for key, need in needs.items()
                    if need > float(ledger.available(*key)) * (1 + 1e-9)}
            if not over:
                return plan, curves
            caps = {}
            for child in plan.children:
                source = sources[child.source]
                key = (source.account, source.quote if side == BUY else source.symbol.split("/")[0])
                if key in over:
                    need, available = over[key]
                    caps[child.source] = child.quantity * max(available, 0.0) / need
            curves = [capped(c, caps[c.name]) if c.name in caps else c for c in curves]
            plan = split(curves, target, side, reference_price=reference)
        return plan, curves

    def _plan_preview(self, request: PreviewRoute, now: float) -> RoutePlanView | None:
        try:
            return self.plan(request.side, request.asset, request.quantity, now, request.limit_price,
                             with_ladders=True)[2]
        except ValueError as exc:
            log.debug("no preview: %s", exc)
            return None

    def _route(self, order_id: int, now: float, why: str) -> None:
        services = self._services
        order = self.orders[order_id]
        meta = self.meta[order_id]
        plan, sources, view = self.plan(order.side, order.asset, order.remaining, now, order.limit_price)
        if plan is None or plan.filled <= order.remaining * 1e-6:
            reason = (plan.reason if plan is not None else "no reference price") or "nothing to route"
            if order.order_type == OrderType.MARKET or (order.filled > 0 and order.rest == REST_CANCEL):
                self._close(order_id, ParentState.FAILED if order.filled <= 0 else ParentState.CANCELLED, now,
                            reason)
            elif order.reason != reason:
                self.orders[order_id] = order.moved_to(order.state, now, f"waiting: {reason}")
                self._record(order_id)
            return
        if order.order_type == OrderType.SNIPER and math.isnan(order.triggered_at):
            order = replace(order, triggered_at=now)
        state = ParentState.ROUTING if order.state != ParentState.PARTIAL else ParentState.PARTIAL
        order = order.moved_to(state, now, why) if state != order.state else replace(order, reason=why)
        self.orders[order_id] = order
        meta.rounds += 1
        if meta.first_plan is None:
            meta.first_plan = view
            meta.best_single = plan.best_single or ""
            meta.best_single_total = plan.best_single_total
            meta.saving = plan.saving if plan.best_single else math.nan  # no single source could do it
            meta.exchanges_only_total = view.exchanges_only_total
        meta.plan_json = json.dumps(plan_json(view, self.pools, now), allow_nan=False, default=json_default)
        rows = []
        router = services.rules.config.router
        slip = router.slippage_bps / 10_000.0
        sign = 1.0 if order.side == BUY else -1.0
        for child in plan.children:
            source = sources[child.source]
            quantity = self._child_quantity(source, child.quantity, order.asset)
            if quantity <= 0:
                continue
            child_id = f"r{order_id}-{len(meta.children) + 1}"
            average = abs(child.cost) / child.quantity
            if source.kind == "book":
                curve_price = child.average_price
                worst = self._book_limit(source, order.side, child.quantity, order.limit_price, slip)
                expected = curve_price
            elif source.kind == "otc":
                otc = self.pools.otc[(source.name, order.asset)]
                try:
                    quote = otc.quote(order.side, float(quantity), plan.reference_price, now,
                                      self.sources.sigma(order.asset))
                except ValueError:
                    continue
                self._otc_quotes[child_id] = quote
                expected = worst = quote.price
            else:
                expected = average
                worst = average * (1 + sign * slip)
                if math.isfinite(order.limit_price):
                    worst = min(worst, order.limit_price) if order.side == BUY else max(worst, order.limit_price)
            pay_token = source.quote if order.side == BUY else order.asset
            hold = (quantity * exact(worst) * Decimal("1.01")) if order.side == BUY else quantity
            ledger = services.portfolio.ledger
            if order.side == BUY:
                hold = min(hold, max(ledger.available(source.account, pay_token), Decimal(0)))
            try:
                ledger.reserve(("route", child_id), source.account, pay_token, hold)
            except InsufficientBalance:  # a sibling child took the account's funds: this one would fail on arrival
                self._otc_quotes.pop(child_id, None)
                continue
            parts = child.parts
            rows.append({"child_id": child_id, "order_id": order_id, "round": meta.rounds, "source": source.name,
                         "kind": source.kind, "account": source.account, "symbol": source.symbol,
                         "side": order.side, "quantity": quantity, "expected_price": expected,
                         "worst_price": worst, "state": "sent", "sent_at": now, "done_at": None,
                         "filled": Decimal(0), "cost": Decimal(0), "fee": Decimal(0), "fee_asset": "",
                         "parts": json.dumps({"impact": parts.impact, "fees": parts.fees, "network": parts.network,
                                              "delay_risk": parts.delay_risk, "transfer": parts.transfer,
                                              "delay_s": child.delay_s}, allow_nan=False, default=json_default),
                         "note": f"{why}; expected {expected:.6g}, worst {worst:.6g}"})
            meta.children.append(child_id)
            self.children[child_id] = rows[-1]
        if not rows:
            self._close(order_id, ParentState.FAILED if order.filled <= 0 else ParentState.CANCELLED, now,
                        "no child could be sized or funded")
            return
        self._busy.add(order_id)
        self._version += 1
        services.activity.note(now, f"route #{order_id}: {len(rows)} children, " + ", ".join(
            f"{r['source']} {r['quantity']:f}" for r in rows), True)
        services.spawn(self._dispatch(order_id, rows, plan), f"route {order_id} round {meta.rounds}")

    def _book_limit(self, source: Source, side: str, quantity: float, limit_price: float, slip: float) -> float:
        """The IOC limit of a book child: the last level the plan takes, widened by the swap tolerance (and never
        beyond the parent's limit, which is all-in: the venue's fee is taken out)."""
        services = self._services
        config = services.rules.config
        fee = float(config.venues[source.name].taker_fee)
        book = services.market.books[(source.name, source.symbol)]
        prices, sizes = book.top_lists("ask" if side == BUY else "bid", 50)
        done, last = 0.0, prices[0] if prices else math.nan
        for price, size in zip(prices, sizes):
            last = price
            done += size
            if done >= quantity * (1 - 1e-12):
                break
        worst = last * (1 + slip) if side == BUY else last * (1 - slip)
        if math.isfinite(limit_price):
            raw_limit = limit_price / (1 + fee) if side == BUY else limit_price / (1 - fee)
            worst = min(worst, raw_limit) if side == BUY else max(worst, raw_limit)
        return worst

    def _child_quantity(self, source: Source, quantity: float, asset: str) -> Decimal:
        if source.kind == "book":  # 43.87399999999999 is 43.874 lots' worth, not 43.873
            return floor_to_lot(quantity * (1 + 1e-12), source.lot)
        if source.kind in ("amm", "dlmm", "jupiter"):  # whole raw units of the token, from the float's shortest form
            return exact(quantity).quantize(Decimal(1).scaleb(-DECIMALS[asset]), rounding="ROUND_FLOOR")
        return exact(quantity).quantize(FEE_QUANTUM, rounding="ROUND_FLOOR")

    async def _dispatch(self, order_id: int, rows: list[dict[str, Any]], plan: Plan) -> None:
        services = self._services
        try:
            await services.durable(services.store.submit_route(self._row(order_id), rows), f"route {order_id}")
        except StorageError as exc:
            services.journal_failed(f"route {order_id} children not recorded: {exc}", "storage")
            for row in rows:
                services.portfolio.ledger.release(("route", row["child_id"]))
                row.update(state="failed", done_at=services.clock.now(), note=f"not sent: not recorded ({exc})")
            self._busy.discard(order_id)
            self._close(order_id, ParentState.FAILED, services.clock.now(), f"not recorded: {exc}")
            return
        planned = sum(float(r["quantity"]) for r in rows)
        results = await asyncio.gather(*(self._run_child(row) for row in rows), return_exceptions=True)
        for row, result in zip(rows, results):
            if isinstance(result, BaseException):
                log.error("route child %s failed", row["child_id"], exc_info=result)
        self._busy.discard(order_id)
        got = sum(float(r["filled"]) for r in rows)
        meta = self.meta[order_id]
        meta.short_rounds = meta.short_rounds + 1 if got < planned * (1 - 1e-9) else 0
        self._after_round(order_id, services.clock.now())

    def _after_round(self, order_id: int, now: float) -> None:
        order = self.orders[order_id]
        meta = self.meta[order_id]
        router = self._services.rules.config.router
        if order.is_final:
            self._record(order_id)
        elif meta.short_rounds > router.reroute_rounds and order.order_type == OrderType.LIMIT \
                and order.rest == REST_WAIT:
            # A resting limit order waits for the market instead: its next round after a pause that grows.
            meta.next_try = now + SHORT_ROUND_PAUSE_S * meta.short_rounds
            self.orders[order_id] = order.moved_to(ParentState.PENDING if order.state == ParentState.ROUTING
                                                   else order.state, now,
                                                   f"{meta.short_rounds} rounds fell short; waiting for the market")
            self._record(order_id)
        elif meta.short_rounds > router.reroute_rounds:
            self._close(order_id, ParentState.FAILED if order.filled <= 0 else ParentState.CANCELLED, now,
                        f"{meta.short_rounds} rounds fell short; the rest found no source within tolerance")
        elif order.order_type == OrderType.LIMIT and order.rest == REST_CANCEL:
            # Only what the limit allowed when it routed: the rest is cancelled, as the trader chose.
            self._close(order_id, ParentState.CANCELLED if order.filled > 0 else ParentState.FAILED, now,
                        "the rest beyond the limit price cancelled")
        else:
            if order.state == ParentState.ROUTING:
                self.orders[order_id] = order.moved_to(ParentState.PENDING, now, "routing the rest")
            self._record(order_id)
            if self._accepting and not self._services.risk.is_halted:
                self._evaluate(order_id, now)
        self._version += 1
        self._services.publish(True)

    # --- children ---------------------------------------------------------------------------------------
    def _request(self, child: dict[str, Any]) -> OrderRequest:
        return OrderRequest(-int(child["order_id"]), child["source"], child["symbol"], child["side"],
                            Decimal(child["quantity"]), IOC_LIMIT, float(child["worst_price"] or 0.0), ROUTE_PURPOSE,
                            child["child_id"], child["sent_at"] + BOOK_TIMEOUT_S)

    async def _run_child(self, child: dict[str, Any]) -> None:
        services = self._services
        try:
            if child["kind"] == "book":
                fills, state, note = await self._book_child(child)
            elif child["kind"] == "otc":
                fills, state, note = await self._otc_child(child)
            elif child["kind"] == "jupiter":
                fills, state, note = await self._jupiter_child(child)
            else:
                fills, state, note = await self._pool_child(child)
        except asyncio.CancelledError:
            services.portfolio.ledger.release(("route", child["child_id"]))
            raise
        now = services.clock.now()
        filled = sum((f.quantity for f in fills), Decimal(0))
        notional = sum((f.price * f.quantity for f in fills), Decimal(0))
        fee = sum((f.fee for f in fills), Decimal(0))
        fee_asset = fills[0].fee_asset if fills else ""
        child.update(state=state, done_at=now, filled=filled, cost=notional, fee=fee, fee_asset=fee_asset,
                     note=f"{child['note']}; {note}" if note else child["note"])
        order_id = child["order_id"]
        order = self.orders[order_id]
        if filled > 0:
            fee_quote = float(fee) * (1.0 if fee_asset in (QUOTE_ASSET, "USDC") else
                                      float(fills[0].price) if fee_asset == order.asset else
                                      services.portfolio.price(fee_asset))
            cost = float(notional) + fee_quote if order.side == BUY else float(notional) - fee_quote
            quantity = min(float(filled), order.remaining) if not order.is_final else float(filled)
            if order.is_final:  # cancelled while the child was out: its fill still counts
                order = replace(order, filled=min(order.quantity, order.filled + float(filled)),
                                cost=order.cost + cost)
            else:
                order = order.with_fill(max(quantity, 1e-18), max(cost, 0.0), now)
            self.orders[order_id] = order
        try:
            await services.durable(services.store.submit_route(self._row(order_id), [child], fills),
                                   f"route child {child['child_id']}")
        except StorageError as exc:
            services.journal_failed(f"route child {child['child_id']} not recorded: {exc}", "storage")
        ledger = services.portfolio.ledger
        ledger.release(("route", child["child_id"]))
        if fills:
            ledger.apply_all(fills)
            services.portfolio.book_routed(fills)
            services.store.record_balances(now, ledger.balances())
        self._version += 1
        text = f"route #{order_id} child {child['child_id']} on {child['source']}: {state}"
        if filled:
            text += f", {filled:f} at {notional / filled:.6f}"
        services.activity.note(now, text if not note else f"{text} ({note})", state in ("filled", "partial"))

    async def _book_child(self, child: dict[str, Any]):
        request = self._request(child)
        result = await self._services.execution.place_order(request)
        state = {"filled": "filled", "partially filled": "partial"}.get(result.status, "failed")
        note = "" if state == "filled" else f"{result.status}" + (f": {result.rejected_reason}"
                                                                    if result.rejected_reason else "")
        return list(result.fills), state, note

    async def _pool_child(self, child: dict[str, Any]):
        services = self._services
        router = services.rules.config.router
        await services.clock.sleep(router.dex_latency_ms / 1000.0)
        now = services.clock.now()
        name = child["source"]
        pool = self.pools.pools.get(name)
        spec = self.pools.specs.get(name)
        if pool is None or spec is None:
            return [], "failed", f"pool {name} is gone"
        quantity = Decimal(child["quantity"])
        dx, dy = DECIMALS[spec.base], DECIMALS[spec.quote]
        raw_base = int(quantity.scaleb(dx))
        try:
            if child["side"] == BUY:
                swap, after = self.pools.swap_out(pool, raw_base, False, now)
                raw_quote, base_got = swap.amount_in, swap.amount_out
            else:
                swap, after = self.pools.swap_in(pool, raw_base, True, now)
                raw_quote, base_got = swap.amount_out, swap.amount_in
        except ValueError as exc:
            return [], "failed", f"the pool refused the swap: {exc}"
        notional = Decimal(raw_quote).scaleb(-dy)
        base = Decimal(base_got).scaleb(-dx)
        fills, state, note = self._swap_fill(child, base, notional, spec.quote, "the pool's", now)
        if fills:
            self.pools.replace_pool(name, after)
            note = f"swap on {name}: {amm.human_amount(raw_quote, dy):.6f} {spec.quote}"
        return fills, state, note

    async def _jupiter_child(self, child: dict[str, Any]):
        from octo_desktop.router.jupiter import JupiterError

        services = self._services
        router = services.rules.config.router
        await services.clock.sleep(router.dex_latency_ms / 1000.0)
        asset, quote_token = child["symbol"].split("/")
        quantity = Decimal(child["quantity"])
        try:
            quote = await self.jupiter.quote(asset, child["side"], float(quantity), int(router.slippage_bps))
        except JupiterError as exc:
            return [], "failed", f"Jupiter: {exc}"
        now = services.clock.now()
        raw_base, raw_quote = self.jupiter.amounts(quote, asset, child["side"])
        base = Decimal(raw_base).scaleb(-DECIMALS[asset])
        notional = Decimal(raw_quote).scaleb(-DECIMALS[quote_token])
        if base <= 0:
            return [], "failed", "Jupiter quoted nothing"
        fills, state, note = self._swap_fill(child, base, notional, quote_token, "Jupiter's", now)
        if fills:
            note = "Jupiter route: " + ", ".join(f"{s.swap_info.label} {s.share_bps / 100:g} %" for s in quote.route_plan)
        return fills, state, note

    def _swap_fill(self, child: dict[str, Any], base: Decimal, notional: Decimal, quote_token: str, whose: str,
                   now: float):
        """Check a Solana swap as it lands (its price against the child's tolerance and the order's limit, the
        Solana wallet against what it pays, the fees in SOL included); return its fill, or why there is none."""
        router = self._services.rules.config.router
        side = child["side"]
        price = notional / base
        # The swap's integer rounding (one raw unit of the quote token) is no breach of a price.
        rounding = 10.0 ** -DECIMALS[quote_token] / float(base)

        def beyond(level: float) -> bool:
            return float(price) > level + rounding if side == BUY else float(price) < level - rounding

        worst = child["worst_price"]
        if worst is not None and beyond(worst):
            moved = (float(price) / child["expected_price"] - 1.0) * 10_000.0
            limit = self.orders[child["order_id"]].limit_price
            if math.isfinite(limit) and beyond(limit):
                return [], "failed", (f"limit: {whose} price at arrival was {float(price):.6f} ({moved:+.1f} bps), "
                                      f"beyond the order's limit {limit:g}")
            return [], "failed", (f"slippage: {whose} price at arrival was {float(price):.6f} ({moved:+.1f} bps), "
                                  f"beyond the {router.slippage_bps:g} bps tolerance")
        asset = child["symbol"].split("/")[0]
        ledger = self._services.portfolio.ledger
        fee = Decimal(int(router.sol_base_fee_lamports + router.priority_fee_lamports)).scaleb(-9)
        if (asset if side == BUY else quote_token) not in ledger.balances().get(SOLANA, {}):
            fee += exact(router.token_account_rent_sol)  # the token account it receives into is opened first
        pay, needed = (quote_token, notional) if side == BUY else (asset, base)
        if pay == "SOL":
            needed += fee
        if ledger.balance(SOLANA, pay) < needed:
            return [], "failed", f"the Solana wallet has {ledger.balance(SOLANA, pay):f} {pay}, the swap needs {needed:f}"
        return [Fill(-int(child["order_id"]), SOLANA, child["symbol"], side, price, base, fee, "SOL", "taker", "swap",
                     now, ROUTE_PURPOSE, child["child_id"])], "filled", ""

    async def _otc_child(self, child: dict[str, Any]):
        services = self._services
        quote = self._otc_quotes.pop(child["child_id"], None)
        if quote is None:
            return [], "failed", "no firm quote"
        await services.clock.sleep(max(0.0, quote.settles_at - services.clock.now()))
        now = services.clock.now()
        asset = child["symbol"].split("/")[0]
        key = (child["source"], asset)
        pool = self.pools.otc.get(key)
        mid = self.reference(asset, now).price
        if pool is None:
            return [], "failed", f"the OTC counterparty {child['source']} is gone"
        if not pool.still_valid(quote, mid):
            moved = (mid / quote.mid - 1.0) * 10_000.0 if math.isfinite(mid) else math.nan
            return [], "failed", f"quote withdrawn: the market moved {moved:+.1f} bps during the {pool.delay_s:g} s delay"
        quantity = Decimal(child["quantity"])
        if float(quantity) > pool.available_at(now) * (1 + 1e-12):
            return [], "failed", "the dealer's liquidity was taken meanwhile"
        price = exact(quote.price).quantize(FEE_QUANTUM)
        pay = QUOTE_ASSET if child["side"] == BUY else asset
        needed = price * quantity if child["side"] == BUY else quantity
        if services.portfolio.ledger.balance(WALLET, pay) < needed:
            return [], "failed", f"the central wallet has too little {pay}"
        self.pools.replace_otc(key, pool.after_fill(float(quantity), now))
        fill = Fill(-int(child["order_id"]), WALLET, child["symbol"], child["side"], price, quantity, Decimal(0),
                    QUOTE_ASSET, "taker", "otc", now, ROUTE_PURPOSE, child["child_id"])
        return [fill], "filled", f"settled with {child['source']} at {quote.spread_bps:.1f} bps"

    # --- closing, recording -----------------------------------------------------------------------------
    def _close(self, order_id: int, state: ParentState, now: float, reason: str) -> None:
        order = self.orders[order_id]
        if order.is_final:
            return
        done = f"{order.filled:g} of {order.quantity:g} {order.asset} done"
        self.orders[order_id] = order.moved_to(state, now, f"{reason}; {done}")
        self._record(order_id)
        self._version += 1
        self._services.activity.note(now, f"route #{order_id} {state}: {reason}; {done}", state != ParentState.FAILED)

    def _record(self, order_id: int) -> None:
        if order_id in self.orders:
            self._services.store.record_route(self._row(order_id))
            self._version += 1

    def _row(self, order_id: int) -> dict[str, Any]:
        order, meta = self.orders[order_id], self.meta[order_id]
        condition = order.condition
        return {"order_id": order.order_id, "created_at": order.created_at, "side": order.side, "asset": order.asset,
                "quantity": order.quantity, "order_type": str(order.order_type), "limit_price": order.limit_price,
                "condition": json.dumps({"kind": condition.kind, "level": condition.level,
                                         "quantity": condition.quantity}) if condition is not None else "",
                "expires_at": order.expires_at, "rest": order.rest, "state": str(order.state),
                "filled": order.filled, "cost": order.cost, "triggered_at": order.triggered_at,
                "closed_at": order.closed_at, "reason": order.reason, "rounds": meta.rounds,
                "best_single": meta.best_single, "best_single_total": meta.best_single_total,
                "saving": meta.saving, "exchanges_only_total": meta.exchanges_only_total, "plan": meta.plan_json}

    # --- the quote endpoint -----------------------------------------------------------------------------
    async def _serve_quotes(self) -> None:
        from octo_desktop.desks.router.jupiter_http import QuoteServer
        from octo_desktop.desks.router.quoting import PoolQuoter

        router = self._services.rules.config.router
        quoter = PoolQuoter(self.pools, lambda: self._services.clock.now())
        server = QuoteServer(quoter.quote, port=router.quote_port)
        try:
            await server.start()
        except OSError as exc:
            self.server_error = f"the /quote endpoint could not listen on 127.0.0.1:{router.quote_port}: {exc}"
            self._services.activity.note(self._services.clock.now(), self.server_error, False)
            return
        if not self._accepting:
            await server.stop()
            return
        self.server = server
        self._version += 1
        self._services.activity.note(self._services.clock.now(), f"router /quote endpoint on {server.url}/quote", True)

    # --- views ------------------------------------------------------------------------------------------
    def snapshot_fields(self, now: float) -> dict[str, Any]:
        key = (self._version, self.pools.version, int(now))
        if self._view is None or self._view[0] != key:
            self._view = (key, self._build_view(now))
        return {"router": self._view[1]}

    def _build_view(self, now: float) -> RouterView:
        ordered = sorted(self.orders.values(), key=lambda o: (o.is_final, -o.order_id))[:RECENT_ORDERS]
        orders = tuple(self._order_view(o) for o in ordered)
        mids = self._exchange_mids(now)
        references = {}
        for asset in self.sources.assets():
            found = self.reference(asset, now)
            if math.isfinite(found.price):
                source = found.source
                if found.fallback and self.prices is not None and self.prices.error:
                    source += f" ({self.prices.error})"
                references[asset] = ReferenceView(asset, found.price, source, found.age(now), found.fallback)
        wallet = self._services.portfolio.ledger.balances().get(SOLANA, {})
        saved = sum(m.saving for m in self.meta.values() if math.isfinite(m.saving))
        server = self.server
        return RouterView(self._preview, orders, self.pools.pool_views(now, mids),
                          self.pools.otc_views(now, self.sources.sigma), frozen_mapping(references),
                          frozen_mapping(self.counts()), saved, frozen_mapping(dict(wallet)), self.sources.assets(),
                          f"{server.url}/quote" if server is not None else "")

    def _order_view(self, order: ParentOrder) -> ParentOrderView:
        meta = self.meta[order.order_id]
        children = tuple(child_view(self.children[c]) for c in meta.children if c in self.children)
        condition = order.condition.describe() if order.condition is not None else ""
        return ParentOrderView(order.order_id, order.side, order.asset, order.quantity, str(order.order_type),
                               str(order.state), order.filled, order.average_price, order.limit_price, condition,
                               order.expires_at, order.created_at, order.closed_at, order.reason, meta.best_single,
                               meta.saving, meta.exchanges_only_total, children, meta.first_plan)

    def counts(self) -> dict[str, int]:
        return dict(sorted(Counter(str(o.state) for o in self.orders.values()).items()))

    def summary(self) -> dict[str, Any]:
        savings = [m.saving for m in self.meta.values() if math.isfinite(m.saving)]
        filled = {}
        for order in self.orders.values():
            if order.filled > 0:
                filled[order.asset] = filled.get(order.asset, 0.0) + (order.filled if order.side == BUY
                                                                      else -order.filled)
        return {"router": {"orders": self.counts(), "children": dict(sorted(Counter(
                    c["state"] for c in self.children.values()).items())),
                           "saved_vs_best_single_usdt": round(sum(savings), 4),
                           "net_filled": {a: round(q, 9) for a, q in sorted(filled.items())},
                           "quote_endpoint": f"{self.server.url}/quote" if self.server is not None else ""}}


# --- helpers -------------------------------------------------------------------------------------------------
def describe(order: ParentOrder) -> str:
    text = f"{order.side} {order.quantity:g} {order.asset} {order.order_type}"
    if math.isfinite(order.limit_price):
        text += f" at {order.limit_price:g}"
    if order.condition is not None:
        text += f" when {order.condition.describe()}"
    if math.isfinite(order.expires_at):
        text += f", expires in {order.expires_at - order.created_at:g} s"
    return text
