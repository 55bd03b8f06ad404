"""Split one parent order across sources so that its total cost is lowest. Pure.

The problem, for sources ``v`` with cost curves ``C_v`` (see ``ladder``), delay risk ``r_v`` per unit and
activation cost ``F_v`` (fixed and transfer costs, paid once if used)::

    minimise   sum_v C_v(q_v) + r_v q_v + F_v [q_v > 0]
    subject to sum_v q_v = Q,   q_v = 0  or  min_v <= q_v <= max_v

Without fixed costs and minimum sizes, and with convex curves, this is water-filling: at the optimum every
source in use has the same marginal price ``lambda`` and every source not in use starts above it. Here every
source becomes a *ladder* of segments ``(marginal price, size)``: an exchange book's levels exactly, any other
curve by its values on a grid, half even and half geometric from a thousandth of the order up (so a small
pool's first marginal prices are seen), taking the lower convex hull of the samples so the ladder's marginal
prices rise. Merging the ladders by marginal price and taking segments until ``Q`` is reached is
water-filling exactly on the ladder; it is done once per candidate set of sources with numpy (a cumulative
sum and a search), which is what makes trying many sets cheap. Sampled curves are then refined where they
are used: sampled again finely between the vertices two either side of their allocation, a few times, so the
allocation converges without sampling the whole curve finely. The plan is priced on the true curves.

Fixed costs and minimum sizes make it a mixed-integer problem (Angeris et al.). The *activation gate*
decides which gated sources (with a fixed cost or a minimum size) are open: starting from the sources the
relaxed problem uses (no fixed costs, no minimums) and from none, it flips one gated source at a time, open or
closed, keeping the flip that lowers the total most, until none does. A source with a minimum size, once open,
takes at least that much (the part of its ladder below the minimum is forced). Finally every single source on
its own is priced, and the plan is never worse than the best of them: if a single source is cheaper, the plan
is that source alone, and says so.

A child's lot size is applied last: lot-bound children are rounded down to whole lots and the rest re-split
over the other open sources, or given back lot by lot to the cheapest lot-bound child.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from octo_desktop.router.ladder import BUY, SELL, CostParts, SourceCurve

SAMPLES = 32  # grid intervals per sampled curve, and per refinement
REFINEMENTS = 3
_EPS = 1e-9  # quantities below EPS * Q count as nothing


@dataclass(frozen=True, slots=True)
class Child:
    """One source's part of a plan.

    ``cost`` is ``SourceCurve.cost(quantity)``: quote paid for a buy, minus quote received for a sell, fees
    included. ``average_price`` is ``|cost| / quantity``: what one unit costs (buy) or brings (sell), fees
    included, fixed costs and delay risk not. ``total`` adds those: the child's part of the plan's objective.
    """

    source: str
    kind: str
    quantity: float
    average_price: float
    cost: float
    parts: CostParts
    delay_s: float

    @property
    def total(self) -> float:
        return self.cost + self.parts.network + self.parts.delay_risk + self.parts.transfer


@dataclass(frozen=True, slots=True)
class Plan:
    """A split of ``quantity`` on ``side`` into children, with what it costs and what it beat.

    ``total`` is the objective (signed like ``SourceCurve.cost``: quote spent on a buy, minus quote received
    on a sell, plus fixed costs, transfers and delay risk); ``parts`` breaks it down against
    ``reference_price``. ``best_single`` names the cheapest source able to fill as much on its own (None if
    there is none) and ``best_single_total`` its total; ``saving`` is how much the plan saves against it
    (0.0 when the plan is that source alone). ``chosen`` is ``"split"`` or ``"single"``. ``reason`` is empty
    when ``filled == quantity``, else says why only ``filled`` could be planned.
    """

    side: str
    quantity: float
    filled: float
    reference_price: float
    children: tuple[Child, ...]
    total: float
    parts: CostParts
    best_single: str | None
    best_single_total: float
    saving: float
    chosen: str
    reason: str = ""

    @property
    def is_complete(self) -> bool:
        return not self.reason

    @property
    def average_price(self) -> float:
        """Quote per unit of base over the whole plan, everything included (paid on a buy, kept on a sell)."""
        return abs(self.total) / self.filled if self.filled > 0 else math.nan

    def quantities(self) -> dict[str, float]:
        return {child.source: child.quantity for child in self.children}


def split(curves: Sequence[SourceCurve], quantity: float, side: str, *, reference_price: float | None = None,
          samples: int = SAMPLES, refinements: int = REFINEMENTS) -> Plan:
    """Split ``quantity`` of base on ``side`` over ``curves`` at the lowest total cost (see the module docstring).

    ``reference_price`` is the mid the cost parts are measured against; without it, the best marginal price
    at zero size among the sources (the touch, fees included) stands in. When the sources together cannot do
    ``quantity``, the plan fills what they can and ``reason`` says so. ``samples`` and ``refinements`` set how
    finely curves without an exact ladder are sampled.
    """
    if side not in (BUY, SELL):
        raise ValueError(f"side must be 'buy' or 'sell', got {side!r}")
    if not (math.isfinite(quantity) and quantity > 0):
        raise ValueError(f"quantity must be positive and finite, got {quantity}")
    if samples < 2 or refinements < 0:
        raise ValueError(f"samples must be at least 2 and refinements non-negative, got {samples}, {refinements}")
    names = [curve.name for curve in curves]
    if len(set(names)) != len(names):
        raise ValueError(f"source names must be unique, got {names}")
    for curve in curves:
        if curve.side != side:
            raise ValueError(f"source {curve.name} is a {curve.side} curve, the order is a {side}")
    ladders = _Ladders(curves, quantity, samples)
    reference = reference_price if reference_price is not None else ladders.touch(side)
    if not ladders.count:
        return _empty(side, quantity, reference, "no source can take any of it")

    active = ladders.choose()
    for _ in range(refinements):
        if not ladders.refine(ladders.fill(active)[0]):
            break
        active = ladders.descend(active)[0]  # a finer curve moves the costs a little: search on from there
    allocation = ladders.fill(active)[0]
    allocation, lot_reason = ladders.apply_lots(active, allocation)
    plan_key, children = _evaluate(ladders, allocation, reference)

    single_key, single_name, single_children = _best_single(ladders, reference)
    chosen = "split"
    if single_name is not None and single_key <= plan_key:
        plan_key, children, chosen = single_key, single_children, "single"
    filled = -plan_key[0]
    reason = ""
    if filled < quantity * (1 - 1e-9):
        depth = sum(ladders.single_quantity(v) for v in range(ladders.count))
        why = (f"the sources together can take {depth:g}" if depth < quantity * (1 - 1e-9)
               else lot_reason or "the rest does not fit the sources' minimum and lot sizes")
        reason = f"only {filled:g} of {quantity:g} can be planned: {why}"
    single_total = single_key[1] if single_name is not None and single_key[0] == plan_key[0] else math.nan
    if single_name is not None and single_key[0] != plan_key[0]:
        single_name = None  # no single source fills as much: nothing to compare against
    parts = sum((child.parts for child in children), CostParts())
    return Plan(side, quantity, filled, reference, tuple(children), plan_key[1], parts, single_name,
                single_total, 0.0 if chosen == "single" or math.isnan(single_total) else single_total - plan_key[1],
                chosen, reason)


def _empty(side: str, quantity: float, reference: float, reason: str) -> Plan:
    return Plan(side, quantity, 0.0, reference, (), 0.0, CostParts(), None, math.nan, 0.0, "split",
                f"only 0 of {quantity:g} can be planned: {reason}")


def _evaluate(ladders: _Ladders, allocation: np.ndarray, reference: float) -> tuple[tuple[float, float], list[Child]]:
    # The true curves, not the ladders, price the plan: the ladders only decide it.
    children = []
    total = 0.0
    filled = 0.0
    for v, q in enumerate(allocation.tolist()):
        if q <= ladders.quantity * _EPS:
            continue
        curve = ladders.curves[v]
        cost = curve.cost(q)
        children.append(Child(curve.name, curve.kind, q, abs(cost) / q, cost, curve.parts(q, reference),
                              curve.delay_s))
        total += curve.total(q)
        filled += q
    return (-_round_quantity(filled, ladders.quantity), total), children


def _round_quantity(filled: float, quantity: float) -> float:
    # Float sums of the children land a hair off Q: compare fills at a relative 1e-9.
    return quantity if abs(filled - quantity) <= quantity * 1e-9 else filled


def _best_single(ladders: _Ladders, reference: float) -> tuple[tuple[float, float], str | None, list[Child]]:
    best: tuple[tuple[float, float], str | None, list[Child]] = ((0.0, math.inf), None, [])
    for v in range(ladders.count):
        q = ladders.single_quantity(v)
        lot = ladders.curves[v].lot_size
        if lot > 0:
            q = math.floor(q / lot * (1 + 1e-12)) * lot
        if q <= 0 or q < ladders.curves[v].min_quantity:
            continue
        allocation = np.zeros(ladders.count)
        allocation[v] = q
        key, children = _evaluate(ladders, allocation, reference)
        if math.isfinite(key[1]) and key < best[0]:
            best = (key, ladders.curves[v].name, children)
    return best


class _Ladders:
    """Every usable source's ladder, merged and sorted by marginal price, and water-filling over any subset.

    Per source ``v``: ``low[v]`` its minimum size, forced when it is open (the part of its ladder below it is
    kept apart, priced in ``forced_cost[v]``); ``activation[v]`` its fixed and transfer costs; ``capacity[v]``
    what its ladder reaches (its maximum, or where its curve turned infinite, and never beyond Q).
    """

    def __init__(self, curves: Sequence[SourceCurve], quantity: float, samples: int) -> None:
        self.quantity = quantity
        self.samples = samples
        self.curves: list[SourceCurve] = []
        self.points: list[tuple[np.ndarray, np.ndarray]] = []  # per source: the (q, cost) vertices of its ladder
        self.sampled: list[bool] = []  # False for exact ladders (books), which are never refined
        for curve in curves:
            cap = min(curve.max_quantity, quantity)
            if cap <= 0 or curve.min_quantity > cap:
                continue
            if curve.steps is not None:
                qs, cs = _step_points(curve.steps, cap)
            else:
                qs, cs = _sample_points(curve, _first_grid(cap, curve.min_quantity, samples))
            if qs[-1] <= 0 or curve.min_quantity > qs[-1]:
                continue
            self.curves.append(curve)
            self.points.append((qs, cs))
            self.sampled.append(curve.steps is None)
        self.count = len(self.curves)
        self.low = np.array([c.min_quantity for c in self.curves])
        self.activation = np.array([c.activation_cost for c in self.curves])
        self.risk = np.array([c.risk_per_unit for c in self.curves])
        self.gated = np.array([c.is_gated for c in self.curves], dtype=bool)
        self._merge()

    def touch(self, side: str) -> float:
        """Return the best marginal price at zero size among the sources, unsigned (NaN without sources)."""
        firsts = [(cs[1] - cs[0]) / (qs[1] - qs[0]) for qs, cs in self.points if len(qs) > 1]
        return abs(min(firsts)) if firsts else math.nan

    def single_quantity(self, v: int) -> float:
        return float(self.points[v][0][-1])

    # --- water-filling ------------------------------------------------------------------------------
    def _merge(self) -> None:
        # Each source's segments, split at its minimum size: the forced part apart, the rest merged and sorted.
        slopes, sizes, owners, forced_cost = [], [], [], np.zeros(self.count)
        for v, (qs, cs) in enumerate(self.points):
            low = self.low[v]
            if low > 0:
                cut = float(np.interp(low, qs, cs))
                forced_cost[v] = cut + self.risk[v] * low
                keep = qs > low
                qs = np.concatenate(([low], qs[keep]))
                cs = np.concatenate(([cut], cs[keep]))
            widths = np.diff(qs)
            costs = np.diff(cs)
            keep = widths > 0  # a minimum size on a sample point leaves a segment of no width: nothing to take
            widths, costs = widths[keep], costs[keep]
            if not len(widths):
                continue
            slopes.append(costs / widths + self.risk[v])
            sizes.append(widths)
            owners.append(np.full(len(widths), v))
        self.forced_cost = forced_cost
        if slopes:
            slope, size, owner = np.concatenate(slopes), np.concatenate(sizes), np.concatenate(owners)
        else:
            slope = size = np.zeros(0)
            owner = np.zeros(0, dtype=int)
        order = np.argsort(slope, kind="stable")
        self.slope, self.size, self.owner = slope[order], size[order], owner[order]

    def fill(self, active: np.ndarray) -> tuple[np.ndarray, tuple[float, float]]:
        """Water-fill Q over the ``active`` sources on their ladders; return the allocation and its key.

        The key is ``(-filled, objective)`` so that comparing keys prefers filling more, then costing less; a
        set whose minimum sizes add up to more than Q is ``(inf, inf)``.
        """
        low = self.low * active
        forced = float(low.sum())
        if forced > self.quantity * (1 + 1e-12):
            return np.zeros(self.count), (math.inf, math.inf)
        rest = self.quantity - forced
        taken = self.size * active[self.owner]
        cumulative = np.cumsum(taken)
        if len(cumulative) and cumulative[-1] > rest:
            k = int(np.searchsorted(cumulative, rest, side="left"))
            taken = taken[:k + 1]
            taken[k] -= cumulative[k] - rest
            owner, slope = self.owner[:k + 1], self.slope[:k + 1]
        else:
            owner, slope = self.owner, self.slope
        allocation = np.bincount(owner, weights=taken, minlength=self.count) + low
        used = allocation > self.quantity * _EPS
        objective = float(slope @ taken + self.forced_cost @ active + self.activation @ used)
        filled = _round_quantity(float(allocation.sum()), self.quantity)
        return allocation, (-filled, objective)

    # --- the activation gate ------------------------------------------------------------------------
    def choose(self) -> np.ndarray:
        """Return the set of sources to open: the better of a local search by single flips of gated sources
        started from the sources the relaxed problem uses, and one started from no gated source."""
        free = ~self.gated
        starts = []
        relaxed = self._relaxed()
        starts.append(free | (self.gated & (relaxed > self.quantity * _EPS)))
        starts.append(free.copy())
        best_key, best = (math.inf, math.inf), starts[-1]
        seen: set[bytes] = set()
        for active in starts:
            if active.tobytes() in seen:
                continue
            seen.add(active.tobytes())
            active, key = self.descend(active)
            if key < best_key:
                best_key, best = key, active
        return best

    def _relaxed(self) -> np.ndarray:
        # No minimum sizes, no activation costs: all sources open, the forced parts priced like any segment.
        saved = self.low, self.activation, self.forced_cost, self.slope, self.size, self.owner
        self.low = np.zeros(self.count)
        self.activation = np.zeros(self.count)
        self._merge()
        allocation = self.fill(np.ones(self.count, dtype=bool))[0]
        self.low, self.activation, self.forced_cost, self.slope, self.size, self.owner = saved
        return allocation

    def descend(self, active: np.ndarray) -> tuple[np.ndarray, tuple[float, float]]:
        """Flip gated sources open or closed one at a time, the best flip first, while that lowers the key."""
        active = active.copy()
        key = self.fill(active)[1]
        gated = np.flatnonzero(self.gated)
        for _ in range(2 * len(gated) + 2):
            best_key, best_v = key, -1
            for v in gated:
                active[v] = not active[v]
                trial = self.fill(active)[1]
                active[v] = not active[v]
                if trial < best_key and (trial[0] < key[0] or trial[1] < key[1] - 1e-12 * (1 + abs(key[1]))):
                    best_key, best_v = trial, v
            if best_v < 0:
                break
            active[best_v] = not active[best_v]
            key = best_key
        return active, key

    # --- refinement ---------------------------------------------------------------------------------
    def refine(self, allocation: np.ndarray) -> bool:
        """Sample each sampled source in use again, finely between the vertices two either side of its
        allocation, keeping its other vertices; return False if there was nothing left to refine."""
        changed = False
        for v, curve in enumerate(self.curves):
            q = float(allocation[v])
            if not self.sampled[v] or q <= self.quantity * _EPS:
                continue
            qs, cs = self.points[v]
            i = int(np.searchsorted(qs, q))
            low, high = float(qs[max(i - 2, 0)]), float(qs[min(i + 2, len(qs) - 1)])
            if high - low <= self.quantity * 1e-7:
                continue
            new_q, new_c = _sample_points(curve, np.linspace(low, high, self.samples // 2 + 1)[1:-1], hull=False)
            merged_q = np.concatenate((qs, new_q[1:]))
            merged_c = np.concatenate((cs, new_c[1:]))
            order = np.argsort(merged_q, kind="stable")
            self.points[v] = _hull(merged_q[order], merged_c[order])
            changed = True
        if changed:
            self._merge()
        return changed

    # --- lot sizes ----------------------------------------------------------------------------------
    def apply_lots(self, active: np.ndarray, allocation: np.ndarray) -> tuple[np.ndarray, str]:
        """Round lot-bound children down to whole lots and re-split the rest; return it and why any is left."""
        lots = np.array([c.lot_size for c in self.curves])
        bound = (lots > 0) & (allocation > self.quantity * _EPS)
        if not bound.any():
            return allocation, ""
        rounded = allocation.copy()
        rounded[bound] = np.floor(allocation[bound] / lots[bound] * (1 + 1e-12)) * lots[bound]
        rounded[bound & (rounded < self.low)] = 0.0  # below the minimum after rounding: closed
        rest = self.quantity - float(rounded[bound].sum())
        others = active & ~(lots > 0)
        result = rounded.copy()
        result[~bound] = 0.0
        if others.any() and rest > 0:
            saved = self.quantity
            self.quantity = rest
            sub = self.fill(others)[0]
            self.quantity = saved
            if np.isfinite(sub).all():
                result += sub
        left = self.quantity - float(result.sum())
        # What the free sources could not take goes back lot by lot, each to the lot-bound child it costs least.
        while left > self.quantity * 1e-9:
            best_v, best_step = -1, math.inf
            for v in np.flatnonzero((lots > 0) & (lots <= left * (1 + 1e-9))):
                curve, q = self.curves[v], float(result[v])
                step = curve.total(q + lots[v]) - curve.total(q)
                if q + lots[v] < curve.min_quantity or not math.isfinite(step):
                    continue
                if step < best_step:
                    best_v, best_step = v, step
            if best_v < 0:
                break
            result[best_v] += lots[best_v]
            left -= lots[best_v]
        if left > self.quantity * 1e-9:
            # Still a remainder below every lot: a source without lots that was not open takes it, the cheapest
            # one (its fixed costs included), when its minimum allows.
            best_v, best_total = -1, math.inf
            for v in np.flatnonzero(~(lots > 0) & (result <= 0)):
                curve = self.curves[v]
                if not curve.min_quantity <= left <= curve.max_quantity:
                    continue
                total = curve.total(left)
                if math.isfinite(total) and total < best_total:
                    best_v, best_total = v, total
            if best_v >= 0:
                result[best_v] = left
                left = 0.0
        short = self.quantity - float(allocation.sum())  # what was short before any rounding
        reason = (f"{left - max(short, 0.0):g} is left below the sources' lot sizes"
                  if left - max(short, 0.0) > self.quantity * 1e-9 else "")
        return result, reason


def _step_points(steps: tuple[tuple[float, float], ...], cap: float) -> tuple[np.ndarray, np.ndarray]:
    # An exact ladder's vertices up to ``cap``: cumulative sizes and costs.
    prices = np.array([p for p, _ in steps], dtype=float)
    sizes = np.array([s for _, s in steps], dtype=float)
    qs = np.concatenate(([0.0], np.cumsum(sizes)))
    cs = np.concatenate(([0.0], np.cumsum(prices * sizes)))
    if qs[-1] > cap:
        end = int(np.searchsorted(qs, cap, side="left"))
        cs = np.concatenate((cs[:end], [cs[end - 1] + (cap - qs[end - 1]) * prices[end - 1]]))
        qs = np.concatenate((qs[:end], [cap]))
    return qs, cs


def _first_grid(cap: float, low: float, samples: int) -> np.ndarray:
    # Half the points evenly spread, half geometric from cap / 1000: a small source's first marginal prices
    # must be seen, or a pool that deserves 1 % of the order would start with a segment a tenth of it wide.
    even = np.linspace(0.0, cap, samples // 2 + 1)
    geometric = np.geomspace(cap * 1e-3, cap, samples - samples // 2)
    return np.unique(np.concatenate((even, geometric, [low] if 0 < low < cap else [])))


def _sample_points(curve: SourceCurve, grid: np.ndarray, hull: bool = True) -> tuple[np.ndarray, np.ndarray]:
    # The curve at 0 and on ``grid`` (ascending), cut where it turns infinite, then (by default) its lower convex
    # hull: water-filling needs rising marginal prices, and a convex curve's samples are their own hull.
    qs, cs = [0.0], [0.0]
    for q in grid.tolist():
        if q <= 0:
            continue
        c = curve.cost(q)
        if not math.isfinite(c):
            # Where the curve ends lies between the last finite sample and this one: find it to a 1e-6 share.
            finite, infinite, last = qs[-1], q, cs[-1]
            for _ in range(20):
                middle = (finite + infinite) / 2
                value = curve.cost(middle)
                if math.isfinite(value):
                    finite, last = middle, value
                else:
                    infinite = middle
            if finite > qs[-1]:
                qs.append(finite)
                cs.append(last)
            break
        qs.append(q)
        cs.append(c)
    if not hull:
        return np.array(qs), np.array(cs)
    return _hull(np.array(qs), np.array(cs))


def _hull(qs: np.ndarray, cs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    # The lower convex hull of points sorted by quantity (a monotone chain).
    hull_q, hull_c = [float(qs[0])], [float(cs[0])]
    for q, c in zip(qs[1:].tolist(), cs[1:].tolist()):
        if q <= hull_q[-1]:
            continue
        while len(hull_q) >= 2 and ((hull_c[-1] - hull_c[-2]) * (q - hull_q[-1])
                                    >= (c - hull_c[-1]) * (hull_q[-1] - hull_q[-2])):
            hull_q.pop()
            hull_c.pop()
        hull_q.append(q)
        hull_c.append(c)
    return np.array(hull_q), np.array(hull_c)
