"""Pure rebalancing of one asset across venues: targets, a hysteresis plan, a cost gate, a runway forecast.

Each venue ``i`` has a target ``t_i = w_i * Total``, the weights following where recent opportunities needed
the asset. Rebalancing uses two bands around the target (``inner_band < upper_band``, fractions of ``t_i``):

    short        b_i < t_i * (1 - upper_band)     triggers a plan
    long         b_i > t_i * (1 + upper_band)     triggers a plan
    floor        t_i * (1 - inner_band)           a receiver is refilled up to here, never further
    ceiling      t_i * (1 + inner_band)           a donor gives only what lies above here

A plan moves funds only when some venue is beyond the upper band; it then refills every venue below its floor
from the venues above their ceiling, largest surplus first. Because receivers stop at their floor and donors at
their ceiling, a balance that drifts back and forth inside the bands triggers nothing, and applying a plan and
planning again yields no moves: the plan is a fixed point, so funds never ping-pong between venues.

Money is ``Decimal``; weights, bands and forecasts are float. Times are unix seconds, always passed in.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Iterable, Mapping

ZERO = Decimal(0)
WEIGHT_QUANTUM = Decimal("1e-12")


@dataclass(frozen=True, slots=True)
class Move:
    """A transfer of ``amount`` of one asset from ``from_venue`` to ``to_venue``."""

    from_venue: str
    to_venue: str
    amount: Decimal


def targets_from_flow(flow: Mapping[str, float], total: Decimal, floor_share: float) -> dict[str, Decimal]:
    """Split ``total`` across venues in proportion to ``flow``, each venue keeping ``floor_share`` of an even split.

    ``flow`` is venue -> how much of the asset recent opportunities needed there (any non-negative rate). The
    floor keeps an idle venue funded, so an opportunity appearing there is not missed for want of balance. Venues
    whose proportional weight falls below the floor are pinned to it and the rest is shared among the others in
    proportion to their flow. With no flow at all the split is even. The targets sum to ``total`` exactly.
    """
    if not flow:
        raise ValueError("flow must name at least one venue")
    if any(not math.isfinite(value) or value < 0 for value in flow.values()):
        raise ValueError(f"flow values must be finite and non-negative, got {dict(flow)}")
    if not 0.0 <= floor_share <= 1.0:
        raise ValueError(f"floor_share must be within [0, 1], got {floor_share}")
    if total < 0:
        raise ValueError(f"total must be non-negative, got {total}")
    venues = sorted(flow)
    floor_weight = floor_share / len(venues)
    weights = {venue: 1.0 / len(venues) for venue in venues}
    pinned: set[str] = set()
    while sum(flow.values()) > 0:
        free = [venue for venue in venues if venue not in pinned]
        free_flow = sum(flow[venue] for venue in free)
        remaining = 1.0 - floor_weight * len(pinned)
        proposed = {venue: remaining * flow[venue] / free_flow for venue in free}
        below = {venue for venue, weight in proposed.items() if weight < floor_weight}
        if not below or below == set(free):  # all pinned only through float error: the split is even anyway
            weights = {venue: floor_weight for venue in pinned} | proposed
            break
        pinned |= below
    # Weights come from float rates: 12 decimals is far beyond what a flow forecast means, and it keeps float
    # noise (0.3 / 3 = 0.09999999999999999) out of the targets.
    targets = {venue: total * Decimal(weights[venue]).quantize(WEIGHT_QUANTUM) for venue in venues}
    # The rounding residue goes to the largest target, where it matters least; the targets then sum exactly.
    largest = min(venues, key=lambda venue: (-weights[venue], venue))
    targets[largest] = total - sum((targets[venue] for venue in venues if venue != largest), ZERO)
    return targets


def plan_rebalance(balances: Mapping[str, Decimal], targets: Mapping[str, Decimal], upper_band: float,
                   inner_band: float, min_amount: Decimal) -> list[Move]:
    """Plan the transfers that bring venues back inside their inner band, if any venue left its upper band.

    A venue missing from either mapping counts as zero there (a balance with no target is all surplus). Moves
    smaller than ``min_amount`` are dropped; the planner then re-plans on the balances its kept moves leave, so
    the dropped remainders of several pairs are combined where they add up to enough, and the returned plan is
    a fixed point: applying it and planning again yields no moves. Moves between the same two venues are merged;
    the order is largest donor first, then largest need, ties by venue name.
    """
    if not (math.isfinite(upper_band) and math.isfinite(inner_band) and 0.0 <= inner_band < upper_band):
        raise ValueError(f"bands must satisfy 0 <= inner_band < upper_band, got inner_band={inner_band}, "
                         f"upper_band={upper_band}")
    if min_amount < 0:
        raise ValueError(f"min_amount must be non-negative, got {min_amount}")
    if any(target < 0 for target in targets.values()):
        raise ValueError(f"targets must be non-negative, got {dict(targets)}")
    current = {venue: balances.get(venue, ZERO) for venue in sorted(set(balances) | set(targets))}
    target = {venue: targets.get(venue, ZERO) for venue in current}
    merged: dict[tuple[str, str], Decimal] = {}
    # Each round's kept moves shrink the total need by at least min_amount and the leftovers are bounded by the
    # dropped pairs, so a few rounds suffice; the bound only guards against pathological rounding.
    for _ in range(2 * len(current) + 2):
        kept = [move for move in _one_round(current, target, Decimal(str(upper_band)), Decimal(str(inner_band)))
                if move.amount >= min_amount and move.amount > 0]
        if not kept:
            break
        for move in kept:
            current[move.from_venue] -= move.amount
            current[move.to_venue] += move.amount
            key = (move.from_venue, move.to_venue)
            merged[key] = merged.get(key, ZERO) + move.amount
    return [Move(source, destination, amount) for (source, destination), amount in merged.items()]


def refill_from_reserve(balances: Mapping[str, Decimal], targets: Mapping[str, Decimal], upper_band: float,
                        inner_band: float, reserve: Decimal, min_amount: Decimal, reserve_name: str) -> list[Move]:
    """Refill from a reserve (the central wallet) the venues a plan between venues could not: those still
    beyond the upper band under their target, each up to its floor, largest need first, while the reserve lasts.

    ``balances`` are the venues' balances after the plan between venues. The same bands as ``plan_rebalance``:
    only a venue beyond the upper band triggers a refill, and it is refilled to the inner band, never further,
    so a reserve refill is a fixed point too. Moves smaller than ``min_amount`` are not made.
    """
    if not (math.isfinite(upper_band) and math.isfinite(inner_band) and 0.0 <= inner_band < upper_band):
        raise ValueError(f"bands must satisfy 0 <= inner_band < upper_band, got inner_band={inner_band}, "
                         f"upper_band={upper_band}")
    upper, inner = Decimal(str(upper_band)), Decimal(str(inner_band))
    needs = sorted(((targets[v] * (1 - inner) - balances.get(v, ZERO), v) for v in targets
                    if balances.get(v, ZERO) < targets[v] * (1 - upper)), key=lambda item: (-item[0], item[1]))
    moves = []
    left = max(reserve, ZERO)
    for need, venue in needs:
        amount = min(need, left)
        if amount < min_amount or amount <= 0:
            continue
        moves.append(Move(reserve_name, venue, amount))
        left -= amount
    return moves


def _one_round(balances: Mapping[str, Decimal], targets: Mapping[str, Decimal], upper: Decimal,
               inner: Decimal) -> list[Move]:
    # Greedy pairing, both sides largest first: it needs the fewest transfers for the common case of one or two
    # venues out of balance, and it is deterministic.
    triggered = any(balances[venue] < targets[venue] * (1 - upper) or balances[venue] > targets[venue] * (1 + upper)
                    for venue in balances)
    if not triggered:
        return []
    needs = [[targets[v] * (1 - inner) - balances[v], v] for v in balances if balances[v] < targets[v] * (1 - inner)]
    spares = [[balances[v] - targets[v] * (1 + inner), v] for v in balances if balances[v] > targets[v] * (1 + inner)]
    needs.sort(key=lambda item: (-item[0], item[1]))
    spares.sort(key=lambda item: (-item[0], item[1]))
    moves: list[Move] = []
    i = j = 0
    while i < len(spares) and j < len(needs):
        amount = min(spares[i][0], needs[j][0])
        moves.append(Move(spares[i][1], needs[j][1], amount))
        spares[i][0] -= amount
        needs[j][0] -= amount
        if spares[i][0] <= 0:
            i += 1
        if needs[j][0] <= 0:
            j += 1
    return moves


def worth_moving(amount: Decimal, fee: Decimal, max_fee_share: float, edge_restored: Decimal,
                 *, asset: str = "") -> tuple[bool, str]:
    """Decide whether a transfer pays: its fee within ``max_fee_share`` of the amount and below the edge it restores.

    ``edge_restored`` is the arbitrage profit the transfer makes possible over the planning horizon, in the
    fee's units. Returns the decision and one sentence saying why, naming ``asset`` when given.
    """
    if amount <= 0:
        raise ValueError(f"amount must be positive, got {amount}")
    if fee < 0:
        raise ValueError(f"fee must be non-negative, got {fee}")
    if not 0.0 <= max_fee_share <= 1.0:
        raise ValueError(f"max_fee_share must be within [0, 1], got {max_fee_share}")
    unit = f" {asset}" if asset else ""
    share, limit = _percents(float(fee / amount), max_fee_share)
    if fee > Decimal(str(max_fee_share)) * amount:
        return False, f"fee {fee:f}{unit} is {share} % of {amount:f}{unit}, above the {limit} % limit"
    if edge_restored <= fee:
        return False, f"fee {fee:f}{unit} is not covered by the {edge_restored:f}{unit} edge the move restores"
    return True, (f"fee {fee:f}{unit} is {share} % of {amount:f}{unit} and below the {edge_restored:f}{unit} "
                  f"edge the move restores")


def _percents(share: float, limit: float) -> tuple[str, str]:
    # One decimal reads best, but never print a share above the limit as equal to it.
    for digits in range(1, 6):
        text_share, text_limit = f"{share * 100:.{digits}f}", f"{limit * 100:.{digits}f}"
        if text_share != text_limit or share == limit:
            break
    return text_share, text_limit


def consumption_rate(samples: Iterable[tuple[float, Decimal | float]], window_s: float, now: float) -> float | None:
    """Return the units per second being used up within ``[now - window_s, now]``, by least-squares slope.

    A rising or flat balance gives 0.0; fewer than two samples in the window (or all at one time) give None.
    """
    if not window_s > 0:
        raise ValueError(f"window_s must be positive, got {window_s}")
    points = [(float(time), float(balance)) for time, balance in samples if now - window_s <= time <= now]
    if len(points) < 2:
        return None
    mean_time = sum(time for time, _ in points) / len(points)
    mean_balance = sum(balance for _, balance in points) / len(points)
    spread = sum((time - mean_time) ** 2 for time, _ in points)
    if spread == 0:
        return None
    slope = sum((time - mean_time) * (balance - mean_balance) for time, balance in points) / spread
    return max(0.0, -slope)


def seconds_to_dry(samples: Iterable[tuple[float, Decimal | float]], window_s: float, now: float,
                   floor: Decimal | float = 0) -> float | None:
    """Return the seconds from ``now`` until the balance reaches ``floor`` at the window's consumption rate.

    The latest sample in the window is the starting balance, carried forward to ``now`` at that rate. None when
    the balance is not being used up or the window holds fewer than two samples; 0.0 when already at the floor.
    """
    in_window = sorted((float(time), float(balance)) for time, balance in samples if now - window_s <= time <= now)
    rate = consumption_rate(in_window, window_s, now)
    if rate is None:
        return None
    last_time, last_balance = in_window[-1]
    if last_balance <= float(floor):
        return 0.0
    if rate == 0:
        return None
    return max(0.0, (last_balance - float(floor)) / rate - (now - last_time))


def runway_text(venue: str, asset: str, seconds: float | None, window_s: float) -> str:
    """Say how long a venue's balance lasts, e.g. ``binance USDT: 40 min at the last hour's rate``."""
    if seconds is None:
        return f"{venue} {asset}: not being used up"
    if seconds <= 0:
        return f"{venue} {asset}: dry now"
    window = {60.0: "minute", 3600.0: "hour", 86400.0: "day"}.get(float(window_s), _duration(window_s))
    return f"{venue} {asset}: {_duration(seconds)} at the last {window}'s rate"


def _duration(seconds: float) -> str:
    # Whole units only: a runway is an estimate, and "39.7 min" claims a precision the slope does not have.
    if seconds < 59.5:
        return f"{max(1, round(seconds))} s"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(round(seconds / 3600), 24)
    return f"{days} d {hours} h" if hours else f"{days} d"
