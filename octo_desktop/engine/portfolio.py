"""The account every desk trades: balances per venue (the exact ledger), marks, equity, exposure, P&L.

One ``Portfolio`` per engine, on the runtime loop. Balances are the initial funding plus every stored
fill, exactly (``domain.ledger``); marks are each base asset's median mid over its live books; the
P&L curve is sampled once per engine second and stored every ``EQUITY_STORE_INTERVAL_S``.
"""

from __future__ import annotations

import math
from collections import deque
from decimal import Decimal
from typing import Mapping

from octo_desktop.config import QUOTE_ASSET, STABLECOINS
from octo_desktop.domain.attribution import Attribution
from octo_desktop.domain.ledger import Ledger, asset_changes
from octo_desktop.domain.snapshot import frozen_array, frozen_mapping
from octo_desktop.domain.money import cents, exact, notional

HISTORY_POINTS = 2000
ROUTE_PURPOSE = "route"  # the purpose of the router's fills
PNL_INTERVAL_S = 1.0
EQUITY_STORE_INTERVAL_S = 10.0


class Portfolio:
    """Balances, marks, equity, exposure and realized P&L of the one paper account."""

    def __init__(self, initial_balances: Mapping[str, Mapping[str, Decimal]], state, initial_prices: Mapping[str, float],
                 store) -> None:
        self.initial_balances = initial_balances
        self.ledger = Ledger(initial_balances)
        self.ledger.apply_all(state.fills)
        # Transfers (the treasury desk's): a withdrawal took amount + fee from its source, a credit gave the
        # destination the amount; what is withdrawn and not yet credited is in flight, in no venue's balance.
        self.in_flight: dict[str, Decimal] = {}  # asset -> amount
        for transfer in getattr(state, "transfers", ()):
            if transfer.withdrawn_at is not None:
                self.ledger.move_out(transfer.from_venue, transfer.asset, transfer.debit)
                if transfer.credited_at is None:
                    self.in_flight[transfer.asset] = self.in_flight.get(transfer.asset, Decimal(0)) + transfer.amount
            if transfer.credited_at is not None:
                self.ledger.move_in(transfer.to_venue, transfer.asset, transfer.amount)
        # The router's fills are positions the trader chose (buy 500 SOL), not inventory arbitrage left behind:
        # the exposure limit measures against them. Asset -> net change the routes made.
        self.routed: dict[str, Decimal] = {}
        self.book_routed(fill for fill in state.fills if fill.purpose == ROUTE_PURPOSE)
        self.marks: dict[str, float] = dict(initial_prices)  # base asset -> price in the quote asset
        self.realized_pnl: Decimal = state.realized_pnl  # closed trades only
        self.fees: Decimal = state.fees_in_quote
        self.attribution: Attribution = state.attribution
        self._store = store
        self._history: deque[tuple[float, float, float]] = deque(
            ((t, realized, marked) for t, _equity, realized, marked in state.equity_history), maxlen=HISTORY_POINTS)
        self._last_point = -math.inf
        self._last_store = -math.inf

    # --- changes ------------------------------------------------------------------------------------
    def update_marks(self, medians: Mapping[str, float]) -> None:
        """Mark each base asset at its symbol's median mid (``MarketData.medians``)."""
        for symbol, mid in medians.items():
            self.marks[symbol.split("/")[0]] = mid

    def book_closed(self, pnl: Decimal, fees: Decimal, attribution: Attribution) -> None:
        """Add a closed trade's realized P&L, fees and P&L attribution to the totals."""
        self.realized_pnl += pnl
        self.fees += fees
        self.attribution = self.attribution + attribution

    def book_routed(self, fills) -> None:
        """Count the router's fills (already applied to the ledger) as chosen positions."""
        for asset, change in asset_changes(fills).items():
            if asset not in STABLECOINS:
                self.routed[asset] = self.routed.get(asset, Decimal(0)) + change

    def price(self, asset: str) -> float:
        """The mark of ``asset`` in the quote asset (a stablecoin is worth 1; an asset never marked 0)."""
        return 1.0 if asset in STABLECOINS else self.marks.get(asset, 0.0)

    def withdraw(self, venue: str, asset: str, amount: Decimal, fee: Decimal) -> None:
        """A transfer left ``venue``: it pays ``amount + fee``; ``amount`` is in flight until credited."""
        self.ledger.move_out(venue, asset, amount + fee)
        self.in_flight[asset] = self.in_flight.get(asset, Decimal(0)) + amount

    def credit(self, venue: str, asset: str, amount: Decimal) -> None:
        """A transfer in flight arrived: ``venue`` has ``amount`` more, and it is no longer in flight."""
        self.in_flight[asset] = self.in_flight.get(asset, Decimal(0)) - amount
        if not self.in_flight[asset]:
            del self.in_flight[asset]
        self.ledger.move_in(venue, asset, amount)

    def sample(self, now: float) -> None:
        """Add a P&L curve point once per engine second; store one (and the clock) every 10 s."""
        if now - self._last_point < PNL_INTERVAL_S:
            return
        self._last_point = now
        equity, initial = self.equity(), self.initial_equity_at(self.marks)
        self._history.append((now, float(self.realized_pnl), equity - float(initial)))
        if now - self._last_store >= EQUITY_STORE_INTERVAL_S:
            self._last_store = now
            self._store.record_equity(now, equity, self.realized_pnl, equity - float(initial))
            self._store.record_clock(now)

    # --- readings -----------------------------------------------------------------------------------
    def equity(self) -> float:
        """Return every balance and what is in flight valued at the marks, in the quote asset, as a float (the
        curve, the window)."""
        total = 0.0
        for assets in (*self.ledger.balances().values(), self.in_flight):
            for asset, amount in assets.items():
                total += float(amount) * self.price(asset)
        return total

    def equity_exact(self) -> Decimal:
        """Return every balance valued at the marks, exactly (money: the daily loss rule reads it)."""
        total = Decimal(0)
        prices: dict[str, Decimal] = {}  # each mark converted once, not once per venue
        for assets in (*self.ledger.balances().values(), self.in_flight):
            for asset, amount in assets.items():
                if asset == QUOTE_ASSET:
                    total += amount
                    continue
                price = prices.get(asset)
                if price is None:
                    price = prices[asset] = exact(self.price(asset))
                total += amount * price
        return total

    def initial_equity_at(self, marks: Mapping[str, float]) -> Decimal:
        """Return the initial balances valued at ``marks``."""
        total = Decimal(0)
        for assets in self.initial_balances.values():
            for asset, amount in assets.items():
                price = Decimal(1) if asset in STABLECOINS else exact(marks.get(asset, 0.0))
                total += amount * price
        return total

    def exposure_usdt(self) -> dict[str, Decimal]:
        """Return each base asset's net inventory against the initial balances, valued at its mark."""
        totals = self.ledger.totals()
        for asset, amount in self.in_flight.items():  # moving funds is no change of inventory
            totals[asset] = totals.get(asset, Decimal(0)) + amount
        initial: dict[str, Decimal] = {}
        for assets in self.initial_balances.values():
            for asset, amount in assets.items():
                initial[asset] = initial.get(asset, Decimal(0)) + amount
        exposure = {}
        for asset in set(totals) | set(initial):
            if asset in STABLECOINS:
                continue
            mark = self.marks.get(asset)
            if mark is None or not math.isfinite(mark):
                continue
            net = totals.get(asset, Decimal(0)) - initial.get(asset, Decimal(0)) - self.routed.get(asset, Decimal(0))
            exposure[asset] = cents(notional(net, mark))
        return exposure

    def balances_view(self) -> Mapping:
        """Return venue -> asset -> balance, read-only."""
        return frozen_mapping({venue: frozen_mapping(assets) for venue, assets in self.ledger.balances().items()})

    def history_arrays(self):
        """Return the P&L curve as read-only (times, realized, marked) arrays."""
        history = self._history
        return (frozen_array([p[0] for p in history]), frozen_array([p[1] for p in history]),
                frozen_array([p[2] for p in history]))
