"""Automatic rebalancing: where the opportunity flow uses each asset up, and moving funds there before it runs out.

Every 30 engine seconds the rebalancer samples each venue's balance of each asset. Every
``treasury.rebalance_interval_s`` (or at once when a venue's runway is shorter than that interval), for
each asset:

1. *flow*: the rate at which each venue's balance is used up over ``flow_window_s`` (the least-squares
   slope of its samples; a balance that grows uses nothing);
2. *targets*: the venues' total split in proportion to that flow, each venue keeping at least
   ``floor_share`` of an even split (``treasury.rebalance.targets_from_flow``);
3. *plan*: only when a venue is beyond the upper band around its target, refill the venues below the
   inner band from those above it (``plan_rebalance``): funds never ping-pong; what the venues cannot
   spare, the central wallet's reserve gives, to the venues still beyond the upper band (``refill_from_reserve``);
4. *gate*: a move is made only when its fee is at most ``max_fee_share`` of its amount and below the
   edge it restores over ``horizon_s``: the account's realized P&L per USDT of turnover, times the part
   of the destination's need over the horizon that its balance (and what is on its way) would not cover.

Each decision, made or not, goes to the rebalance log with its reason.

With each sample it also prices every pair's transfer cost term (``transfer_costs``, ``treasury.costs``):
what moving the funds back will cost per unit traded, from the fees of the networks it would use, the batch
a transfer to each venue moves, and how one-way each asset's flow was.
"""

from __future__ import annotations

import math
from collections import deque
from decimal import Decimal
from typing import Callable

import numpy as np

from octo_desktop.config import QUOTE_ASSET, WALLET
from octo_desktop.domain.snapshot import RebalanceView
from octo_desktop.treasury.costs import one_way_share, transfer_batch, transfer_cost_matrix
from octo_desktop.treasury.networks import TransferRefused
from octo_desktop.treasury.rebalance import (
    consumption_rate, plan_rebalance, refill_from_reserve, runway_text, seconds_to_dry, targets_from_flow,
    worth_moving,
)

SAMPLE_INTERVAL_S = 30.0
MIN_HISTORY_S = 600.0  # rebalance only on flows measured over at least this long
LOG_LENGTH = 200


RebalanceRecord = RebalanceView  # one decision: the move considered, whether it was made, and why


class Rebalancer:
    """Samples balances, forecasts runways, and proposes the transfers that keep every venue funded."""

    def __init__(self, config_of: Callable[[], object], portfolio, transfer: Callable, quote: Callable,
                 incoming: Callable[[str, str], Decimal], collected: Decimal = Decimal(0)) -> None:
        """``transfer(from, to, asset, amount, network, purpose, now)`` requests a transfer (raises
        TransferRefused); ``quote(from, to, asset, amount)`` prices one (the same, without requesting);
        ``incoming(venue, asset)`` is what open transfers are bringing there (counted as if arrived, so
        that a deficit is never refilled twice)."""
        self._config_of = config_of
        self._incoming = incoming
        self.collected = collected  # realized P&L already moved to the central wallet (its transfers' amounts)
        self._portfolio = portfolio
        self._transfer = transfer
        self._quote = quote
        self._samples: dict[tuple[str, str], deque[tuple[float, Decimal]]] = {}
        self._pnl: deque[tuple[float, Decimal]] = deque()
        self._last_sample = -math.inf
        self._last_run = -math.inf
        self.log: deque[RebalanceRecord] = deque(maxlen=LOG_LENGTH)
        self.made = 0
        self.version = 0  # bumped when the targets, the forecast or the log change (the window's view)
        self._declined: dict[tuple[str, str, str], float] = {}  # (asset, from, to) -> when last logged as not made
        self.targets: dict[tuple[str, str], Decimal] = {}  # (venue, asset) -> target, as of the last sample
        self.forecast_rows: list[tuple[str, str, float | None, str]] = []  # as of the last sample

    def on_clock(self, now: float, assets: tuple[str, ...], halted: bool) -> list[RebalanceRecord]:
        """Sample when due; rebalance when the interval passed or a runway is short. Return new records."""
        config = self._config_of()
        settings = config.treasury
        if now - self._last_sample >= SAMPLE_INTERVAL_S:
            self._sample(now, config, assets, settings.flow_window_s)
            self._refresh_views(now, config, assets)
        if not settings.rebalance or halted:
            return []
        if self._last_run == -math.inf:
            self._last_run = now  # the first plan waits one interval, and for enough history below
        if not self._samples or now - min(samples[0][0] for samples in self._samples.values()) < MIN_HISTORY_S:
            return []  # flows measured over less than this are noise, not where the edges are
        due = now - self._last_run >= settings.rebalance_interval_s
        if not due and now - self._last_run >= SAMPLE_INTERVAL_S:
            due = any(runway is not None and runway < settings.rebalance_interval_s
                      for runway in self.runways(now).values())
        if not due:
            return []
        self._last_run = now
        records = []
        for asset in assets:
            records += self._rebalance(asset, now, config)
        if settings.collect_profit and QUOTE_ASSET in assets:
            records.append(self._collect(now, config))
        return [record for record in records if record is not None]

    def _collect(self, now: float, config) -> RebalanceRecord | None:
        """Move realized profit not yet collected to the central wallet, from the venue with the most quote
        asset over its ceiling band, once it reaches the minimum transfer."""
        settings = config.treasury
        profit = self._portfolio.realized_pnl - self.collected
        if profit < Decimal(repr(settings.min_transfer_usdt)):
            return None
        ledger = self._portfolio.ledger
        surplus = {}
        for venue in config.venue_names:
            target = self.targets.get((venue, QUOTE_ASSET))
            if target is not None:
                surplus[venue] = ledger.available(venue, QUOTE_ASSET) - target * Decimal(repr(1 + settings.inner_band))
        if not surplus:
            return None
        venue = max(sorted(surplus), key=lambda v: surplus[v])
        amount = _round_amount(min(profit, surplus[venue]), QUOTE_ASSET)
        if amount < Decimal(repr(settings.min_transfer_usdt)):
            return self._record(now, QUOTE_ASSET, venue, WALLET, max(amount, Decimal(0)), False,
                                f"{profit:.2f} {QUOTE_ASSET} of profit to collect, but no venue has that much over "
                                f"its target band ({venue}: {surplus[venue]:.2f})")
        try:
            chosen, _ = self._quote(venue, WALLET, QUOTE_ASSET, amount)
            if chosen.fee > amount * Decimal(repr(settings.max_fee_share)):
                raise TransferRefused(f"fee {chosen.fee:f} {QUOTE_ASSET} is above "
                                      f"{settings.max_fee_share:.1%} of {amount:f}")
            self._transfer(venue, WALLET, QUOTE_ASSET, amount, None, "collect", now)
        except TransferRefused as exc:
            return self._record(now, QUOTE_ASSET, venue, WALLET, amount, False, f"profit not collected: {exc}")
        self.collected += amount
        self.made += 1
        return self._record(now, QUOTE_ASSET, venue, WALLET, amount, True,
                            f"profit collected: {self._portfolio.realized_pnl:.2f} {QUOTE_ASSET} realized, "
                            f"{self.collected:.2f} now in the wallet's keeping; {venue} had the most over its target")

    # --- forecast ---------------------------------------------------------------------------------
    def runways(self, now: float) -> dict[tuple[str, str], float | None]:
        """(venue, asset) -> seconds until it runs dry at the flow window's rate (None: not being used up)."""
        window = self._config_of().treasury.flow_window_s
        return {key: seconds_to_dry(samples, window, now) for key, samples in self._samples.items()}

    def forecast(self, now: float) -> list[tuple[str, str, float | None, str]]:
        """(venue, asset, seconds, text), soonest dry first: "binance USDT: 40 min at the last hour's rate"."""
        window = self._config_of().treasury.flow_window_s
        rows = [(venue, asset, seconds, runway_text(venue, asset, seconds, window))
                for (venue, asset), seconds in self.runways(now).items()]
        rows.sort(key=lambda row: (row[2] is None, row[2] if row[2] is not None else 0.0, row[0], row[1]))
        return rows

    def _refresh_views(self, now: float, config, assets: tuple[str, ...]) -> None:
        # What the window shows: each venue's target and runway, recomputed with each sample (not per frame).
        settings = config.treasury
        ledger = self._portfolio.ledger
        targets = {}
        for asset in assets:
            venues = config.venue_names
            total = sum((max(Decimal(0), ledger.balance(v, asset)) + self._incoming(v, asset) for v in venues),
                        Decimal(0))
            rates = {v: consumption_rate(self._samples.get((v, asset), ()), settings.flow_window_s, now) or 0.0
                     for v in venues}
            for venue, target in targets_from_flow(rates, total, settings.floor_share).items():
                targets[(venue, asset)] = target
        self.targets = targets
        self.version += 1
        self.forecast_rows = self.forecast(now)

    # --- the transfer cost of each pair -----------------------------------------------------------
    def transfer_costs(self, config) -> tuple[dict[str, np.ndarray], str]:
        """Each symbol's n x n transfer cost in bps of the traded notional (``treasury.costs``), and one line
        saying what it assumes: the batch a transfer to each venue moves (from the targets of the last
        sample) and how one-way each asset's flow was over the flow window."""
        settings = config.treasury
        venues = config.venue_names
        shares: dict[str, float] = {}
        batches: dict[str, list[float]] = {}
        fees: dict[tuple[str, int, int], float] = {}

        def share(asset: str) -> float:
            if asset not in shares:
                measured = one_way_share(
                    [float(balance) for _, balance in self._samples.get((venue, asset), ())] for venue in venues)
                shares[asset] = 1.0 if measured is None else measured
            return shares[asset]

        def batch(asset: str) -> list[float]:
            if asset not in batches:
                price = self._price(asset)
                batches[asset] = [transfer_batch(float(self.targets.get((venue, asset), Decimal(0))) * price,
                                                 settings.upper_band, settings.inner_band, settings.min_transfer_usdt)
                                  for venue in venues]
            return batches[asset]

        def fee(asset: str, source: int, destination: int) -> float:
            key = (asset, source, destination)
            if key not in fees:
                price = self._price(asset)
                amount = batch(asset)[destination] / price if price > 0 else math.nan
                try:
                    if not math.isfinite(amount):
                        raise TransferRefused("no price")
                    chosen, _ = self._quote(venues[source], venues[destination], asset,
                                            _round_amount(Decimal(repr(amount)), asset))
                    fees[key] = float(chosen.fee_quote)
                except TransferRefused:
                    fees[key] = math.nan  # no network carries it: unknown, not free
            return fees[key]

        matrices = {}
        for symbol in config.symbols:
            base, quote = symbol.split("/")
            matrices[symbol] = transfer_cost_matrix(
                len(venues), lambda i, j, b=base: fee(b, i, j), batch(base), share(base),
                lambda j, i, q=quote: fee(q, j, i), batch(quote), share(quote))
        basis = "; ".join(f"{asset}: one-way {shares[asset]:.0%}, batch ~{np.median(batches[asset]):,.0f} {QUOTE_ASSET}"
                          for asset in sorted(shares))
        return matrices, basis

    # --- internals --------------------------------------------------------------------------------
    @property
    def sampled_at(self) -> float:
        """Engine time of the last balance sample (-inf before the first)."""
        return self._last_sample

    def _sample(self, now: float, config, assets: tuple[str, ...], window: float) -> None:
        self._last_sample = now
        ledger = self._portfolio.ledger
        for venue in config.venue_names:
            for asset in assets:
                samples = self._samples.setdefault((venue, asset), deque())
                samples.append((now, ledger.balance(venue, asset)))
                while samples and samples[0][0] < now - window:
                    samples.popleft()
        self._pnl.append((now, self._portfolio.realized_pnl))
        while self._pnl and self._pnl[0][0] < now - window:
            self._pnl.popleft()

    def _price(self, asset: str) -> float:
        return 1.0 if asset == QUOTE_ASSET else self._portfolio.marks.get(asset, math.nan)

    def _rebalance(self, asset: str, now: float, config) -> list[RebalanceRecord]:
        settings = config.treasury
        price = self._price(asset)
        if not (math.isfinite(price) and price > 0):
            return []
        venues = config.venue_names
        ledger = self._portfolio.ledger
        balances = {v: max(Decimal(0), ledger.available(v, asset)) + self._incoming(v, asset) for v in venues}
        total = sum(balances.values(), Decimal(0))
        if total <= 0:
            return []
        rates = {v: consumption_rate(self._samples.get((v, asset), ()), settings.flow_window_s, now) or 0.0
                 for v in venues}
        targets = targets_from_flow(rates, total, settings.floor_share)
        minimum = Decimal(repr(settings.min_transfer_usdt / price))
        moves = plan_rebalance(balances, targets, settings.upper_band, settings.inner_band, minimum)
        # What the venues could not give each other, the central wallet's reserve gives.
        after = dict(balances)
        for move in moves:
            after[move.from_venue] -= move.amount
            after[move.to_venue] += move.amount
        moves += refill_from_reserve(after, targets, settings.upper_band, settings.inner_band,
                                     ledger.available(WALLET, asset), minimum, WALLET)
        per_usdt = self._pnl_per_turnover(config)
        records = []
        for move in moves:
            amount = _round_amount(move.amount, asset)
            if amount <= 0:
                continue
            try:
                chosen, _ = self._quote(move.from_venue, move.to_venue, asset, amount)
            except TransferRefused as exc:
                records.append(self._record(now, asset, move.from_venue, move.to_venue, amount, False, str(exc)))
                continue
            amount_usdt = amount * Decimal(repr(price))
            fee_usdt = chosen.fee_quote
            # The edge it restores: the P&L the account makes per USDT of turnover, times the part of the
            # destination's need over the horizon (its rate) that what it has and what is on its way to it
            # would not cover: only a venue that would run dry loses trades without the move.
            need = rates.get(move.to_venue, 0.0) * settings.horizon_s
            shortfall = max(0.0, need - float(balances[move.to_venue]))
            usable = min(float(amount), shortfall) * price
            edge = Decimal(repr(max(0.0, per_usdt * usable)))
            ok, why = worth_moving(amount_usdt, fee_usdt, settings.max_fee_share, edge, asset=QUOTE_ASSET)
            if ok:
                try:
                    self._transfer(move.from_venue, move.to_venue, asset, amount, None, "rebalance", now)
                except TransferRefused as exc:
                    ok, why = False, str(exc)
            if ok:
                self.made += 1
            target = targets.get(move.to_venue, Decimal(0))
            context = (f"{move.to_venue} has {balances[move.to_venue]:.4f}, target {target:.4f} "
                       f"{asset}; {why}")
            records.append(self._record(now, asset, move.from_venue, move.to_venue, amount, ok, context))
        return records

    def _pnl_per_turnover(self, config) -> float:
        """The account's realized P&L over the flow window per USDT of turnover in that window: half of
        every balance's absolute changes between samples (a unit leaving one venue arrives at another),
        valued at the marks. 0 before two samples, or when nothing turned over."""
        if len(self._pnl) < 2:
            return 0.0
        pnl = float(self._pnl[-1][1] - self._pnl[0][1])
        turnover = 0.0
        for (venue, asset), samples in self._samples.items():
            price = self._price(asset)
            if not math.isfinite(price):
                continue
            values = [float(balance) for _, balance in samples]
            turnover += sum(abs(b - a) for a, b in zip(values, values[1:])) * price / 2.0
        return pnl / turnover if turnover > 0 else 0.0

    def _record(self, now, asset, source, destination, amount, made, reason) -> RebalanceRecord | None:
        # A move not made is logged once per interval: the next plans would only repeat it.
        key = (asset, source, destination)
        if not made:
            if now - self._declined.get(key, -math.inf) < self._config_of().treasury.rebalance_interval_s:
                return None
            self._declined[key] = now
        record = RebalanceRecord(now, asset, source, destination, amount, made, reason)
        self.log.appendleft(record)
        self.version += 1
        return record


def _round_amount(amount: Decimal, asset: str) -> Decimal:
    """A transfer amount as a venue accepts it: 2 decimals for the quote asset, 6 for the others."""
    quantum = Decimal("0.01") if asset == QUOTE_ASSET else Decimal("0.000001")
    return amount.quantize(quantum, rounding="ROUND_FLOOR")
