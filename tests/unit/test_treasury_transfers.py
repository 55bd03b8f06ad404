"""A transfer's life on the engine clock and the balance identity with funds in flight."""

import math
import random
import statistics
from decimal import Decimal

import pytest

from octo_desktop.treasury.networks import Chain
from octo_desktop.treasury.transfers import (
    Schedule, Transfer, TransferState, advance, balance_identity, draw_schedule, in_flight,
)

TRC20 = Chain("TRC20", 3.0, 20, 20)
ERC20 = Chain("ERC20", 12.0, 12, 64)
BTC = Chain("BTC", 600.0, 2, 3, random_blocks=True)


def transfer(schedule, amount="1000", fee="1"):
    return Transfer(1, "USDT", "binance", "okx", "ERC20", Decimal(amount), Decimal(fee), 100.0, schedule)


def test_the_schedule_follows_the_block_time_with_variation_and_is_seeded():
    a = draw_schedule(ERC20, 100.0, 60.0, random.Random(3))
    b = draw_schedule(ERC20, 100.0, 60.0, random.Random(3))
    assert a == b and len(a.blocks) == 64 and a.broadcast_at > 100.0
    gaps = [later - earlier for earlier, later in zip((a.broadcast_at, *a.blocks), a.blocks)]
    assert all(9.6 <= gap <= 14.4 for gap in gaps)  # a beat of 12 s, +-20 %
    assert a.credited_at == a.blocks[11] and a.unlocked_at == a.blocks[63]
    # Proof of work: exponential gaps, 600 s on average.
    rng = random.Random(5)
    btc_gaps = [g for _ in range(400) for s in [draw_schedule(BTC, 0.0, 0.0, rng)]
                for g in (s.blocks[0] - s.broadcast_at,)]
    assert statistics.mean(btc_gaps) == pytest.approx(600.0, rel=0.15) and max(btc_gaps) > 1200.0
    # Processing: lognormal around the venue's median.
    waits = [draw_schedule(TRC20, 0.0, 120.0, rng).broadcast_at for _ in range(400)]
    assert statistics.median(waits) == pytest.approx(120.0, rel=0.15)


def test_the_lifecycle_debits_at_once_credits_at_the_credit_threshold_and_unlocks_later():
    schedule = Schedule(160.0, tuple(160.0 + 12.0 * k for k in range(1, 65)), 12)
    t = transfer(schedule)
    assert t.state == TransferState.REQUESTED and t.next_time() == 100.0
    (step,) = advance(t, 100.0)
    assert (step.state, step.debit, step.credit, step.at) == (TransferState.WITHDRAWN, Decimal("1001"), 0, 100.0)
    t = step.transfer
    assert t.in_flight and t.withdrawn_at == 100.0 and t.next_time() == 160.0
    assert advance(t, 159.9) == []
    (step,) = advance(t, 160.0)
    t = step.transfer
    assert t.state == TransferState.BROADCAST and t.next_time() == 172.0
    steps = advance(t, 160.0 + 12 * 5)
    t = steps[-1].transfer
    assert [s.state for s in steps] == [TransferState.CONFIRMING] * 5 and t.confirmations == 5
    assert all(s.credit == 0 and s.debit == 0 for s in steps)
    steps = advance(t, 160.0 + 12 * 12)
    t = steps[-1].transfer
    assert steps[-1].state == TransferState.CREDITED and steps[-1].credit == Decimal("1000")
    assert t.credited_at == 160.0 + 144.0 and not t.in_flight and t.is_open
    steps = advance(t, 10_000.0)
    t = steps[-1].transfer
    assert t.state == TransferState.UNLOCKED and t.unlocked_at == schedule.unlocked_at and t.confirmations == 64
    assert sum(s.credit for s in steps) == 0 and not t.is_open and math.isinf(t.next_time())
    assert advance(t, 20_000.0) == []


def test_advancing_late_books_the_scheduled_times_and_credits_exactly_once():
    schedule = draw_schedule(TRC20, 100.0, 60.0, random.Random(11))
    in_steps = []
    t = transfer(schedule)
    for now in (100.0, 130.0, 170.0, 200.0, 1_000.0):  # on time, in small steps
        steps = advance(t, now)
        in_steps += steps
        t = steps[-1].transfer if steps else t
    late = advance(transfer(schedule), 1_000.0)  # after a restart: all at once
    assert [(s.state, s.at, s.debit, s.credit) for s in late] == [(s.state, s.at, s.debit, s.credit) for s in in_steps]
    assert sum(s.credit for s in late) == Decimal("1000") and sum(s.debit for s in late) == Decimal("1001")
    assert late[-1].transfer == t


def test_the_identity_holds_with_transfers_in_flight_and_in_flight_is_counted_once():
    initial = {"binance": {"USDT": Decimal("10000")}, "okx": {"USDT": Decimal("10000")}}
    fills = {"binance": {"USDT": Decimal("-250.5")}, "okx": {"USDT": Decimal("249.25")}}
    schedule = Schedule(160.0, tuple(160.0 + 3.0 * k for k in range(1, 21)), 20)
    done = advance(transfer(schedule, "1000", "1"), 10_000.0)[-1].transfer
    flying = advance(Transfer(2, "USDT", "okx", "binance", "TRC20", Decimal("500"), Decimal("1.2"), 300.0,
                              Schedule(400.0, tuple(400.0 + 3.0 * k for k in range(1, 21)), 20)), 300.0)[-1].transfer
    balances = balance_identity(initial, fills, [done, flying])
    assert balances == {"binance": {"USDT": Decimal("10000") - Decimal("250.5") - Decimal("1001")},
                        "okx": {"USDT": Decimal("10000") + Decimal("249.25") + Decimal("1000") - Decimal("501.2")}}
    assert in_flight([done, flying]) == {"okx": {"USDT": Decimal("500")}}
    total = sum(a["USDT"] for a in balances.values()) + Decimal("500")
    # Nothing lost or counted twice: only the fees left the account.
    assert total == Decimal("20000") - Decimal("250.5") + Decimal("249.25") - Decimal("1") - Decimal("1.2")


def test_a_schedule_needs_a_credit_threshold_within_its_blocks():
    with pytest.raises(ValueError):
        Schedule(0.0, (1.0, 2.0), 3)
    with pytest.raises(ValueError):
        Schedule(0.0, (1.0,), 0)


def test_equal_thresholds_credit_then_unlock_on_the_same_block_even_when_resumed_between_them():
    schedule = Schedule(110.0, (113.0, 116.0), 2)  # credited and unlocked at the second block
    withdrawn = advance(transfer(schedule), 100.0)[-1].transfer
    steps = advance(withdrawn, 116.0)
    assert [(s.state, s.at, s.credit) for s in steps] == [
        (TransferState.BROADCAST, 110.0, 0), (TransferState.CONFIRMING, 113.0, 0),
        (TransferState.CREDITED, 116.0, Decimal("1000")), (TransferState.UNLOCKED, 116.0, 0)]
    credited = steps[2].transfer  # stored as credited, then the process died before the unlock
    (unlock,) = advance(credited, 116.0)
    assert unlock.state == TransferState.UNLOCKED and unlock.credit == 0 and unlock.transfer.unlocked_at == 116.0
