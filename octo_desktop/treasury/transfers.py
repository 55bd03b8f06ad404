"""A transfer's life on the engine clock, and what each step does to the balances. Pure and seeded.

    requested -> withdrawn -> broadcast -> confirming (1..n blocks) -> credited -> unlocked
    requested -> cancelled (only at a restart that finds the source's balance gone: nothing moved)

- *withdrawn*: the source venue takes ``amount + fee`` at once (the request is accepted);
- *broadcast*: after the venue's processing time (withdrawals are batched and reviewed), the
  transaction is on the chain;
- *confirming*: each block adds a confirmation; blocks follow the chain's block time with realistic
  variation (a Poisson process for proof of work, a beat with jitter otherwise);
- *credited*: at the chain's credit confirmations the destination has ``amount`` to trade;
- *unlocked*: at its unlock confirmations it can be withdrawn again.

Between *withdrawn* and *credited* the amount is in flight: it belongs to no venue's balance and is
counted once, as in flight (in equity too). The fee is gone for good. So, per venue and asset:

    initial + fills - fees - (amount + fee of transfers out) + (amount of transfers credited in) = balance

``Schedule`` is drawn once, when the transfer is accepted, and stored with it: a transfer resumed after a
crash follows the times it was given, so nothing is credited twice or drawn again differently.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, replace
from decimal import Decimal
from enum import Enum
from typing import Iterable, Mapping

from octo_desktop.treasury.networks import Chain

ZERO = Decimal(0)


class TransferState(str, Enum):
    """Where a transfer is in its life."""

    REQUESTED = "requested"  # accepted, not yet debited (only for an instant, or if the journal lagged)
    WITHDRAWN = "withdrawn"  # the source was debited amount + fee
    BROADCAST = "broadcast"  # on the chain, no confirmation yet
    CONFIRMING = "confirming"  # some confirmations, fewer than the credit threshold
    CREDITED = "credited"  # the destination has the amount to trade
    UNLOCKED = "unlocked"  # it can be withdrawn again: done
    CANCELLED = "cancelled"  # accepted but never withdrawn (the balance was gone at a restart): nothing moved

    def __str__(self) -> str:
        return self.value


IN_FLIGHT = (TransferState.WITHDRAWN, TransferState.BROADCAST, TransferState.CONFIRMING)
OPEN = (TransferState.REQUESTED, *IN_FLIGHT, TransferState.CREDITED)


@dataclass(frozen=True, slots=True)
class Schedule:
    """When a transfer is broadcast and when each confirmation lands (engine seconds)."""

    broadcast_at: float
    blocks: tuple[float, ...]  # the time of confirmation 1, 2, ... up to the unlock threshold
    credit_confirmations: int

    def __post_init__(self) -> None:
        if not 1 <= self.credit_confirmations <= len(self.blocks):
            raise ValueError(f"a schedule needs 1 to {len(self.blocks)} credit confirmations, "
                             f"got {self.credit_confirmations}")

    @property
    def credited_at(self) -> float:
        return self.blocks[self.credit_confirmations - 1]

    @property
    def unlocked_at(self) -> float:
        return self.blocks[-1]

    def confirmations_at(self, now: float) -> int:
        """How many confirmations the transaction has at ``now``."""
        return sum(1 for when in self.blocks if when <= now)


def draw_schedule(chain: Chain, requested_at: float, processing_median_s: float, rng: random.Random,
                  processing_sigma: float = 0.5) -> Schedule:
    """Draw when a transfer requested at ``requested_at`` is broadcast and confirmed.

    The venue's processing time is lognormal around ``processing_median_s``; blocks then arrive every
    ``block_time_s`` on average: exponentially distributed gaps for proof of work (``random_blocks``), a
    beat with +-20 % jitter otherwise. The first confirmation is the block that includes the transaction.
    """
    processing = processing_median_s * rng.lognormvariate(0.0, processing_sigma) if processing_median_s > 0 else 0.0
    broadcast = requested_at + processing
    blocks = []
    when = broadcast
    for _ in range(max(chain.unlock_confirmations, chain.credit_confirmations)):
        gap = rng.expovariate(1.0 / chain.block_time_s) if chain.random_blocks \
            else chain.block_time_s * rng.uniform(0.8, 1.2)
        when += gap
        blocks.append(when)
    return Schedule(broadcast, tuple(blocks), chain.credit_confirmations)


@dataclass(frozen=True, slots=True)
class Transfer:
    """One movement of an asset between venues (or the central wallet), as it stands."""

    transfer_id: int
    asset: str
    from_venue: str
    to_venue: str
    chain: str
    amount: Decimal  # what arrives
    fee: Decimal  # charged by the source on top of the amount, in ``asset``
    requested_at: float
    schedule: Schedule
    purpose: str = "manual"  # "manual", "rebalance" or "collect"
    state: TransferState = TransferState.REQUESTED
    confirmations: int = 0
    withdrawn_at: float | None = None
    credited_at: float | None = None
    unlocked_at: float | None = None
    note: str = ""  # why it was made: the route chosen and the alternatives, the rebalance rule

    @property
    def fee_asset(self) -> str:
        return self.asset

    @property
    def debit(self) -> Decimal:
        """What the source loses: the amount and the fee."""
        return self.amount + self.fee

    @property
    def in_flight(self) -> bool:
        return self.state in IN_FLIGHT

    @property
    def is_open(self) -> bool:
        return self.state in OPEN

    def next_time(self) -> float:
        """When its state next changes (inf: it is done)."""
        if self.state == TransferState.REQUESTED:
            return self.requested_at
        if self.state in (TransferState.UNLOCKED, TransferState.CANCELLED):
            return math.inf
        if self.state == TransferState.WITHDRAWN:
            return self.schedule.broadcast_at
        upcoming = [when for when in self.schedule.blocks if when > self._last_seen()]
        return upcoming[0] if upcoming else self.schedule.unlocked_at

    def _last_seen(self) -> float:
        blocks = self.schedule.blocks
        return blocks[self.confirmations - 1] if self.confirmations else self.schedule.broadcast_at


@dataclass(frozen=True, slots=True)
class Step:
    """A change of state and what it does to the balances (``debit`` from the source, ``credit`` to
    the destination, each in the transfer's asset; zero when it moves nothing)."""

    transfer: Transfer  # as it stands after the step
    state: TransferState
    at: float
    debit: Decimal = ZERO
    credit: Decimal = ZERO


def advance(transfer: Transfer, now: float) -> list[Step]:
    """Return the steps ``transfer`` takes up to ``now``, in order (empty when none is due).

    Each state is passed through once, at the time its schedule gives (not ``now``): a transfer
    advanced late, after a restart, books the same times as one advanced on time.
    """
    steps: list[Step] = []
    current = transfer
    schedule = transfer.schedule
    if current.state == TransferState.REQUESTED and now >= current.requested_at:
        current = replace(current, state=TransferState.WITHDRAWN, withdrawn_at=current.requested_at)
        steps.append(Step(current, TransferState.WITHDRAWN, current.requested_at, debit=current.debit))
    if current.state == TransferState.WITHDRAWN and now >= schedule.broadcast_at:
        current = replace(current, state=TransferState.BROADCAST)
        steps.append(Step(current, TransferState.BROADCAST, schedule.broadcast_at))
    if current.state in (TransferState.BROADCAST, TransferState.CONFIRMING, TransferState.CREDITED):
        reached = schedule.confirmations_at(now)
        while current.confirmations < reached:
            count = current.confirmations + 1
            at = schedule.blocks[count - 1]
            state = current.state
            credit = ZERO
            if state in (TransferState.BROADCAST, TransferState.CONFIRMING):
                if count >= schedule.credit_confirmations:
                    state, credit = TransferState.CREDITED, current.amount
                else:
                    state = TransferState.CONFIRMING
            current = replace(current, confirmations=count, state=state,
                              credited_at=at if credit else current.credited_at)
            steps.append(Step(current, current.state, at, credit=credit))
        if current.state == TransferState.CREDITED and current.confirmations == len(schedule.blocks):
            # At the unlock threshold; the same block as the credit when the two thresholds are equal.
            at = schedule.unlocked_at
            current = replace(current, state=TransferState.UNLOCKED, unlocked_at=at)
            steps.append(Step(current, TransferState.UNLOCKED, at))
    return steps


def in_flight(transfers: Iterable[Transfer]) -> dict[str, dict[str, Decimal]]:
    """Return venue -> asset -> amount leaving it and not yet credited anywhere."""
    result: dict[str, dict[str, Decimal]] = {}
    for transfer in transfers:
        if transfer.in_flight:
            assets = result.setdefault(transfer.from_venue, {})
            assets[transfer.asset] = assets.get(transfer.asset, ZERO) + transfer.amount
    return result


def balance_identity(initial: Mapping[str, Mapping[str, Decimal]], fill_changes: Mapping[str, Mapping[str, Decimal]],
                     transfers: Iterable[Transfer]) -> dict[str, dict[str, Decimal]]:
    """Return the balances the identity gives: initial + fills (fees included) - (amount + fee of transfers
    withdrawn out) + (amount of transfers credited in), per venue and asset."""
    balances = {venue: dict(assets) for venue, assets in initial.items()}
    for venue, assets in fill_changes.items():
        mine = balances.setdefault(venue, {})
        for asset, change in assets.items():
            mine[asset] = mine.get(asset, ZERO) + change
    for transfer in transfers:
        if transfer.withdrawn_at is not None:
            source = balances.setdefault(transfer.from_venue, {})
            source[transfer.asset] = source.get(transfer.asset, ZERO) - transfer.debit
        if transfer.credited_at is not None:
            target = balances.setdefault(transfer.to_venue, {})
            target[transfer.asset] = target.get(transfer.asset, ZERO) + transfer.amount
    return balances
