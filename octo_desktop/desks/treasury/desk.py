"""The treasury desk: transfers between venues and the central wallet, on the engine clock.

A transfer request (from the window, the command line, or the desk's own rebalancing) is checked at once:
both ends known, not the same, neither excluded by risk, trading not halted, a network both ends support
and have open for that amount (the cheapest by fee plus the carry of the time in flight, unless one is
named), and the amount plus its fee available at the source. Then:

1. its row (state *requested*, with its schedule: broadcast time and every confirmation's time, drawn
   once from the chain's block time) is committed to the database and synced: the write-ahead record;
2. the source pays ``amount + fee`` (*withdrawn*) and that is recorded;
3. four times per engine second the desk advances every open transfer to the engine time (*broadcast*,
   *confirming*, *credited*: the destination gets ``amount``, *unlocked*) and records its progress.

Balances are rebuilt at start from the initial funding, every fill and every transfer row (``Portfolio``),
so a transfer interrupted by kill -9 at any point resumes from its row: what was withdrawn is not withdrawn
again, what was credited is not credited again, and the rest follows the stored schedule.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from dataclasses import replace
from decimal import Decimal
from typing import Any, Iterable, Mapping

import numpy as np

from octo_desktop.config import QUOTE_ASSET, WALLET
from octo_desktop.desks.treasury.rebalancer import Rebalancer
from octo_desktop.domain.commands import Command, RequestTransfer
from octo_desktop.domain.ledger import InsufficientBalance
from octo_desktop.domain.snapshot import TransferView, TreasuryView, frozen_mapping
from octo_desktop.storage import StorageError
from octo_desktop.treasury.networks import Network, RouteQuote, TransferRefused, choose_route, wallet_networks
from octo_desktop.treasury.transfers import Transfer, TransferState, advance, draw_schedule, in_flight

RECENT_TRANSFERS = 50
WALLET_PROCESSING_S = 0.0  # self-custody: the wallet broadcasts at once


class TreasuryDesk:
    """Transfers and their lifecycle; the ledger effects go through the shared ``Portfolio``."""

    name = "treasury"

    def __init__(self, services, state, *, transfer_listener=None) -> None:
        """``transfer_listener(transfer)``: called on every change of a transfer's state, once its write-ahead
        record is committed (requested) or queued (the others): the command line's ``--stream``."""
        self._services = services
        self._listener = transfer_listener
        config = services.rules.config
        self.transfers: dict[int, Transfer] = {t.transfer_id: t for t in getattr(state, "transfers", ())}
        self.next_id = max(self.transfers, default=0) + 1
        # One stream for the schedules, seeded from the market's seed: the same requests at the same
        # times give the same confirmations, in a replay too.
        self._rng = random.Random(config.seed * 1_000_003 + 4)
        self._accepting = True
        self._starting: set[int] = set()  # accepted, its write-ahead record not yet durable
        self._version = 0  # bumped on every change of a transfer
        self._view: tuple[tuple, TreasuryView, Any] | None = None  # the snapshot's view, what it was built from
        self.assets = tuple(sorted({a for v in config.venues.values() for a in v.networks}))
        collected = sum((t.amount for t in self.transfers.values()
                         if t.purpose == "collect" and t.withdrawn_at is not None), Decimal(0))
        self.rebalancer = Rebalancer(lambda: services.rules.config, services.portfolio, self.request, self.quote,
                                     self.incoming, collected)
        self.skipped = 0  # rebalancing moves considered and not made
        self._costs_at = math.nan  # the rebalancer sample the transfer cost board was last priced from

    # --- the desk protocol ------------------------------------------------------------------------
    def start(self) -> None:
        """Resume the transfers a crash or a stop left open: each from its stored state and schedule."""
        now = self._services.clock.now()
        for transfer in sorted(self.transfers.values(), key=lambda t: t.transfer_id):
            if transfer.state == TransferState.REQUESTED and transfer.transfer_id not in self._starting:
                self._withdraw(transfer, now, resumed=True)
        self._advance_all(now)

    def on_books(self, symbols: Iterable[str], now: float) -> None:
        """Books do not move funds."""

    def on_clock(self, now: float) -> None:
        """Advance every open transfer to ``now``; rebalance when due."""
        self._advance_all(now)
        services = self._services
        if not self._accepting:
            return
        for record in self.rebalancer.on_clock(now, self.assets, services.risk.is_halted):
            if not record.made:
                self.skipped += 1
            verb = "moved" if record.made else "not moved"
            services.activity.note(now, f"rebalance {record.asset} {record.from_venue} -> {record.to_venue} "
                                        f"{record.amount:f}: {verb} ({record.reason})", record.made,
                                   buy_venue=record.to_venue, sell_venue=record.from_venue)
        if self.rebalancer.sampled_at != self._costs_at:
            # Each sample brings new targets and flow: price what keeping each pair funded costs.
            self._costs_at = self.rebalancer.sampled_at
            matrices, basis = self.rebalancer.transfer_costs(services.rules.config)
            services.transfer_costs.update(matrices, now, basis)

    def handle(self, command: Command) -> bool:
        if not isinstance(command, RequestTransfer):
            return False
        services = self._services
        now = services.clock.now()
        try:
            transfer = self.request(command.from_venue, command.to_venue, command.asset, Decimal(command.amount),
                                    command.network, command.purpose, now)
            result = f"transfer #{transfer.transfer_id} accepted: {describe(transfer)}"
            ok = True
        except TransferRefused as exc:
            result, ok = f"transfer refused: {exc}", False
        services.activity.note(now, result, ok, buy_venue=command.to_venue, sell_venue=command.from_venue)
        if command.control_id is not None:
            services.store.mark_control(command.control_id, now, result)
        services.publish(True)
        return True

    def on_halt(self, now: float) -> None:
        """The kill switch: no new transfer; those on the chain cannot be called back and carry on."""

    def on_resume(self, now: float) -> None:
        """Nothing waits on a resume: transfers never stopped."""

    def stop(self) -> None:
        self._accepting = False

    def close(self) -> None:
        """Nothing to release."""

    @property
    def open_work(self) -> int:
        """Transfers not yet credited (the risk panel counts them beside the trades)."""
        return sum(1 for t in self.transfers.values()
                   if t.state in (TransferState.REQUESTED, TransferState.WITHDRAWN, TransferState.BROADCAST,
                                  TransferState.CONFIRMING))

    def incoming(self, venue: str, asset: str) -> Decimal:
        """What the transfers not yet credited are bringing to ``venue`` in ``asset``."""
        return sum((t.amount for t in self.transfers.values() if t.to_venue == venue and t.asset == asset
                    and t.state in (TransferState.REQUESTED, TransferState.WITHDRAWN, TransferState.BROADCAST,
                                    TransferState.CONFIRMING)), Decimal(0))

    # --- quoting and requesting -------------------------------------------------------------------
    def networks(self, venue: str, asset: str) -> Mapping[str, Network]:
        """Return ``venue``'s withdrawal networks for ``asset`` (the wallet's: every chain a venue offers,
        at the lowest fee any venue charges on it, with no minimum: it pays the chain, not a venue)."""
        config = self._services.rules.config
        if venue != WALLET:
            spec = config.venues.get(venue)
            return spec.networks.get(asset, {}) if spec is not None else {}
        return wallet_networks((spec.networks.get(asset, {}) for spec in config.venues.values()), WALLET)

    def quote(self, from_venue: str, to_venue: str, asset: str, amount: Decimal,
              network: str | None = None) -> tuple[RouteQuote, list[RouteQuote]]:
        """Return the route a transfer would take and every alternative, or raise TransferRefused."""
        config = self._services.rules.config
        places = (*config.venue_names, WALLET)
        for role, venue in (("source", from_venue), ("destination", to_venue)):
            if venue not in places:
                raise TransferRefused(f"unknown {role} {venue!r}; one of {', '.join(places)}")
        if from_venue == to_venue:
            raise TransferRefused(f"the source and the destination are both {from_venue}")
        if not (amount.is_finite() and amount > 0):
            raise TransferRefused(f"the amount must be a positive number, got {amount}")
        assets = sorted({a for v in config.venues.values() for a in v.networks})
        if asset not in assets:
            raise TransferRefused(f"no network moves {asset!r}; assets: {', '.join(assets)}")
        price = 1.0 if asset == QUOTE_ASSET else self._services.portfolio.marks.get(asset, math.nan)
        processing = WALLET_PROCESSING_S if from_venue == WALLET else config.venues[from_venue].withdrawal_processing_s
        return choose_route(asset, amount, self.networks(from_venue, asset), self.networks(to_venue, asset),
                            price, config.treasury.carry_bps_per_hour, processing, network)

    def request(self, from_venue: str, to_venue: str, asset: str, amount: Decimal, network: str | None,
                purpose: str, now: float) -> Transfer:
        """Check and accept a transfer; its write-ahead record is then committed and the source debited.
        Raise TransferRefused with one clear reason."""
        services = self._services
        if not self._accepting:
            raise TransferRefused("the engine is stopping")
        if services.risk.is_halted:
            raise TransferRefused(f"trading is halted ({services.risk.reason or services.risk.state}): "
                                  "no new transfer until it resumes")
        for venue in (from_venue, to_venue):
            if venue in services.risk.excluded_venues:
                raise TransferRefused(f"{venue} is excluded: {services.risk.excluded_venues[venue]}")
        chosen, quotes = self.quote(from_venue, to_venue, asset, amount, network)
        transfer_id = self.next_id
        key = ("transfer", transfer_id)
        try:
            services.portfolio.ledger.reserve(key, from_venue, asset, amount + chosen.fee)
        except InsufficientBalance:
            available = services.portfolio.ledger.available(from_venue, asset)
            raise TransferRefused(f"{from_venue} has {available:f} {asset} available; the transfer needs "
                                  f"{amount + chosen.fee:f} ({amount:f} and a {chosen.fee:f} fee)") from None
        self.next_id += 1
        config = services.rules.config
        chain = config.treasury.chains[chosen.chain]
        processing = WALLET_PROCESSING_S if from_venue == WALLET else config.venues[from_venue].withdrawal_processing_s
        transfer = Transfer(transfer_id, asset, from_venue, to_venue, chosen.chain, amount, chosen.fee, now,
                            draw_schedule(chain, now, processing, self._rng), purpose=purpose,
                            note=route_note(chosen, quotes, asset,
                                            self.networks(from_venue, asset)[chosen.chain].source))
        self.transfers[transfer_id] = transfer
        self._version += 1
        self._starting.add(transfer_id)
        services.spawn(self._start(transfer), f"transfer {transfer_id}")
        return transfer

    async def _start(self, transfer: Transfer) -> None:
        services = self._services
        try:
            await services.durable(services.store.submit_transfer(transfer), f"transfer {transfer.transfer_id}")
        except StorageError as exc:
            # Not durable: nothing was debited; the row lands when the disk recovers and the next start
            # resumes it from there. Until then it waits, and trading halts (the journal failed).
            services.journal_failed(f"transfer {transfer.transfer_id} not recorded: {exc}", "storage")
            return
        finally:
            self._starting.discard(transfer.transfer_id)
        if self._listener is not None:
            self._listener(transfer)
        self._withdraw(transfer, services.clock.now())

    def _withdraw(self, transfer: Transfer, now: float, resumed: bool = False) -> None:
        services = self._services
        services.portfolio.ledger.release(("transfer", transfer.transfer_id))
        if resumed:
            # Accepted before a stop and never debited: still possible? The balance may have been traded.
            available = services.portfolio.ledger.available(transfer.from_venue, transfer.asset)
            if available < transfer.debit:
                cancelled = replace(transfer, state=TransferState.CANCELLED,
                                    note=f"{transfer.note}; cancelled at restart: {transfer.from_venue} had "
                                         f"{available:f} {transfer.asset}, it needed {transfer.debit:f}")
                self._record(cancelled, durable=True)
                return
        self._apply(advance(transfer, max(now, transfer.requested_at)), now)

    def _advance_all(self, now: float) -> None:
        for transfer_id, transfer in list(self.transfers.items()):
            if transfer_id in self._starting or transfer.state == TransferState.REQUESTED:
                continue
            if transfer.is_open and transfer.next_time() <= now:
                self._apply(advance(transfer, now), now)

    def _apply(self, steps, now: float) -> None:
        if not steps:
            return
        services = self._services
        portfolio = services.portfolio
        credited = False
        for step in steps:
            t = step.transfer
            if step.debit:
                portfolio.withdraw(t.from_venue, t.asset, t.amount, t.fee)
            if step.credit:
                portfolio.credit(t.to_venue, t.asset, step.credit)
                credited = True
        final = steps[-1].transfer
        if self._listener is not None:
            previous = None
            for step in steps:
                if step.state != previous:
                    previous = step.state
                    self._record(step.transfer, durable=bool(step.debit or step.credit))
                    self._listener(step.transfer)
        # The debit and the credit are recorded durably (a restart must not repeat them); confirmations
        # in between are progress, recorded as they come.
        self._record(final, durable=any(s.debit or s.credit for s in steps))
        if steps[0].debit:
            services.activity.note(now, f"transfer #{final.transfer_id} withdrawn: {describe(final)}", True,
                                   buy_venue=final.to_venue, sell_venue=final.from_venue)
        if credited:
            services.activity.note(now, f"transfer #{final.transfer_id} credited on {final.to_venue}: "
                                        f"{final.amount:f} {final.asset}", True, buy_venue=final.to_venue,
                                   sell_venue=final.from_venue)
            services.store.record_balances(now, portfolio.ledger.balances())
        services.publish(credited or bool(steps[0].debit))

    def _record(self, transfer: Transfer, durable: bool) -> None:
        self.transfers[transfer.transfer_id] = transfer
        self._version += 1  # the wallet's balance moves only with a transfer, so this covers it too
        store = self._services.store
        if durable:
            store.submit_transfer(transfer)  # synced with its batch; its effects are already in memory
        else:
            store.record_transfer(transfer)

    # --- views ------------------------------------------------------------------------------------
    def counts(self) -> dict[str, int]:
        return dict(sorted(Counter(str(t.state) for t in self.transfers.values()).items()))

    def snapshot_fields(self, now: float) -> dict[str, Any]:
        # Built again only when a transfer or the rebalancer changed: the window asks 20 times a second.
        config = self._services.rules.config
        # The config is replaced (never changed) when a venue reports its rules or networks: its identity
        # says whether the routes changed; the cached view holds it, so the id is not reused meanwhile.
        key = (self._version, self.rebalancer.version, config.treasury.rebalance, id(config))
        if self._view is None or self._view[0] != key:
            self._view = (key, self._build_view(config), config)
        return {"treasury": self._view[1]}

    def _build_view(self, config) -> TreasuryView:
        ordered = sorted(self.transfers.values(), key=lambda t: (not t.is_open, -t.transfer_id))
        views = tuple(transfer_view(t, config.treasury.chains) for t in ordered[:RECENT_TRANSFERS])
        flying = in_flight(self.transfers.values())
        wallet = self._services.portfolio.ledger.balances().get(WALLET, {})
        rebalancer = self.rebalancer
        log = tuple(list(rebalancer.log)[:RECENT_TRANSFERS])
        return TreasuryView(views, frozen_mapping({v: frozen_mapping(a) for v, a in flying.items()}),
                            frozen_mapping(self.counts()), frozen_mapping(dict(wallet)),
                            frozen_mapping(dict(rebalancer.targets)), tuple(rebalancer.forecast_rows), log,
                            config.treasury.rebalance,
                            frozen_mapping({venue: spec.networks for venue, spec in config.venues.items()}))

    def summary(self) -> dict[str, Any]:
        flying = in_flight(self.transfers.values())
        wallet = self._services.portfolio.ledger.balances().get(WALLET, {})
        return {"transfers": self.counts(),
                "in_flight": {v: {a: format(x, "f") for a, x in assets.items()} for v, assets in flying.items()},
                "wallet": {a: format(x, "f") for a, x in sorted(wallet.items())},
                "rebalance": {"made": self.rebalancer.made, "not_made": self.skipped,
                              "transfer_fees_usdt": str(self.fees_usdt())},
                "transfer_cost_bps": self.transfer_cost_summary()}

    def transfer_cost_summary(self) -> dict[str, Any]:
        """Each symbol's transfer cost term over its pairs (median, lowest, highest bps) and what it assumes."""
        board = self._services.transfer_costs
        if not board.version:
            return {}
        symbols = {}
        for symbol in self._services.rules.config.symbols:
            matrix = board.matrix(symbol)
            values = matrix[np.isfinite(matrix)] if matrix is not None else np.empty(0)
            if values.size:
                symbols[symbol] = {"median": round(float(np.median(values)), 3),
                                   "min": round(float(values.min()), 3), "max": round(float(values.max()), 3)}
        return {"as_of": board.as_of, "basis": board.basis, "symbols": symbols}

    def fees_usdt(self) -> Decimal:
        """What the transfers withdrawn so far paid in fees, valued at the current marks."""
        marks = self._services.portfolio.marks
        total = Decimal(0)
        for t in self.transfers.values():
            if t.withdrawn_at is not None:
                price = 1.0 if t.asset == QUOTE_ASSET else marks.get(t.asset, 0.0)
                total += t.fee * Decimal(repr(price))
        return total.quantize(Decimal("0.01"))


def describe(transfer: Transfer) -> str:
    """One line: amount, route, network and fee."""
    return (f"{transfer.amount:f} {transfer.asset} {transfer.from_venue} -> {transfer.to_venue} on "
            f"{transfer.chain}, fee {transfer.fee:f} {transfer.fee_asset}")


def route_note(chosen: RouteQuote, quotes: list[RouteQuote], asset: str, source: str = "") -> str:
    """Why this network: its cost against every alternative's, or why an alternative could not be used; and
    where the chosen network's fee came from (``source``: built-in, config, or a venue via ccxt)."""
    def cost(q: RouteQuote) -> str:
        return (f"{q.chain} fee {q.fee:f} {asset} + carry {q.carry_quote:.4f} = {q.cost_quote:.4f} {QUOTE_ASSET}, "
                f"~{_duration(q.seconds_to_credit)}")

    others = [cost(q) if q.usable else f"{q.chain}: {q.refused}" for q in quotes if q.chain != chosen.chain]
    origin = f" (fee: {source})" if source else ""
    return f"chose {cost(chosen)}{origin}" + (f"; over {'; '.join(others)}" if others else "")


def transfer_view(transfer: Transfer, chains) -> TransferView:
    chain = chains.get(transfer.chain)
    unlock = chain.unlock_confirmations if chain is not None else len(transfer.schedule.blocks)
    return TransferView(transfer.transfer_id, transfer.asset, transfer.from_venue, transfer.to_venue, transfer.chain,
                        transfer.amount, transfer.fee, str(transfer.state), transfer.purpose, transfer.requested_at,
                        transfer.confirmations, transfer.schedule.credit_confirmations, unlock,
                        transfer.schedule.credited_at, transfer.credited_at, transfer.note)


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
