"""The router desk's records: a parent order's row read back, the snapshot's views of plans and children, and
the JSON the command line and the ``routes`` table carry (a route decision with every alternative; the pools)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from octo_desktop.desks.router.sources import PoolMarket
from octo_desktop.domain.snapshot import CostPartsView, PlannedChildView, RouteChildView, RoutePlanView
from octo_desktop.router import amm, dlmm
from octo_desktop.router.orders import Condition, OrderType, ParentOrder, ParentState
from octo_desktop.router.pools import fee_fraction, mid_price
from octo_desktop.router.reference import Reference
from octo_desktop.router.split import Plan


@dataclass
class Meta:
    """What the desk keeps about a parent beside its ``ParentOrder``."""

    rounds: int = 0
    short_rounds: int = 0  # consecutive rounds that filled less than planned
    first_plan: RoutePlanView | None = None
    plan_json: str = ""
    best_single: str = ""
    best_single_total: float = math.nan
    saving: float = math.nan
    exchanges_only_total: float = math.nan
    children: list[str] = field(default_factory=list)
    next_try: float = -math.inf  # a resting limit order whose rounds fell short waits until then



def plan_view(plan: Plan, asset: str, reference: Reference, options, exchanges_only: float, now: float,
               ms: float) -> RoutePlanView:
    children = tuple(PlannedChildView(c.source, c.kind, c.quantity, c.average_price, c.total, c.parts,
                                      c.delay_s) for c in plan.children)
    return RoutePlanView(plan.side, asset, plan.quantity, plan.filled, plan.reference_price, reference.source,
                         reference.fallback, children, plan.total, plan.parts, plan.best_single or "",
                         plan.best_single_total, plan.saving, exchanges_only, plan.chosen, plan.reason,
                         tuple(options), now, ms)


def child_view(child: dict[str, Any]) -> RouteChildView:
    filled = float(child["filled"])
    average = float(child["cost"]) / filled if filled > 0 else math.nan
    fee = f"{child['fee']:f} {child['fee_asset']}" if child.get("fee_asset") else ""
    return RouteChildView(child["child_id"], child["round"], child["source"], child["kind"], child["side"],
                          float(child["quantity"]), nan_if_none(child.get("expected_price")), child["state"], filled, average,
                          fee, child["sent_at"], nan_if_none(child.get("done_at")), child.get("note", ""))


def nan_if_none(value) -> float:
    return math.nan if value is None else float(value)


def json_default(value):
    if isinstance(value, Decimal):
        return format(value, "f")
    raise TypeError(f"not JSON: {value!r}")


def finite_or_none(value: float):
    return value if isinstance(value, (int, float)) and math.isfinite(value) else None


def plan_json(view: RoutePlanView, pools: PoolMarket | None = None, now: float = 0.0) -> dict[str, Any]:
    """A route decision as JSON: the plan, each child's source, quantity, expected price and cost parts, every
    alternative with what it alone would cost, and the state of each pool it used."""
    def parts(p: CostPartsView) -> dict[str, float]:
        return {"impact": round(p.impact, 6), "fees": round(p.fees, 6), "network": round(p.network, 6),
                "delay_risk": round(p.delay_risk, 6), "transfer": round(p.transfer, 6), "total": round(p.total, 6)}

    used = {c.source for c in view.children}
    pool_states = []
    if pools is not None:
        for name, pool in sorted(pools.pools.items()):
            if name not in used:
                continue
            spec = pools.specs[name]
            state: dict[str, Any] = {"pool": name, "kind": spec.kind, "pair": spec.pair,
                                     "mid": finite_or_none(mid_price(pool, now))}
            if isinstance(pool, dlmm.DlmmPair):
                state.update(active_bin=pool.active_id, bin_step=pool.bin_step, bins=len(pool.bins),
                             base=amm.human_amount(pool.amount_x, pool.decimals_x),
                             quote=amm.human_amount(pool.amount_y, pool.decimals_y),
                             volatility_accumulator=pool.volatility.accumulator
                             if hasattr(pool.volatility, "accumulator") else None)
            else:
                state.update(base=amm.human_amount(pool.reserve_x, pool.decimals_x),
                             quote=amm.human_amount(pool.reserve_y, pool.decimals_y))
            state["fee_bps"] = round(fee_fraction(pool, now) * 10_000.0, 4)
            pool_states.append(state)
    return {
        "side": view.side, "asset": view.asset, "quantity": view.quantity, "planned": view.filled,
        "reference_price": finite_or_none(view.reference_price), "reference_source": view.reference_source,
        "reference_fallback": view.fallback, "chosen": view.chosen, "reason": view.reason,
        "total": round(view.total, 6), "average_price": finite_or_none(view.average_price), "parts": parts(view.parts),
        "children": [{"source": c.source, "kind": c.kind, "quantity": c.quantity,
                      "expected_price": finite_or_none(c.average_price), "total": round(c.total, 6),
                      "delay_s": c.delay_s, "parts": parts(c.parts)} for c in view.children],
        "best_single": view.best_single or None, "best_single_total": finite_or_none(view.best_single_total),
        "saving_vs_best_single": finite_or_none(view.saving) if view.best_single else None,
        "exchanges_only_total": finite_or_none(view.exchanges_only_total),
        "saving_vs_exchanges": finite_or_none(view.saving_vs_exchanges),
        "alternatives": [{"source": o.source, "kind": o.kind, "capacity": o.capacity, "touch": finite_or_none(o.touch),
                          "alone_total": finite_or_none(o.alone_total), "note": o.note} for o in view.options],
        "pools": pool_states, "compute_ms": round(view.compute_ms, 3),
    }


def order_from_row(row: dict[str, Any]) -> tuple[ParentOrder, Meta]:
    condition = None
    if row.get("condition"):
        data = json.loads(row["condition"])
        condition = Condition(data["kind"], float(data["level"]), float(data.get("quantity", 0.0)))
    order = ParentOrder(int(row["order_id"]), row["side"], row["asset"], float(row["quantity"]),
                        OrderType(row["order_type"]), float(row["created_at"]),
                        limit_price=nan_if_none(row.get("limit_price")), condition=condition,
                        expires_at=math.inf if row.get("expires_at") is None else float(row["expires_at"]),
                        rest=row["rest"], state=ParentState(row["state"]), filled=float(row["filled"]),
                        cost=float(row["cost"]), triggered_at=nan_if_none(row.get("triggered_at")),
                        closed_at=nan_if_none(row.get("closed_at")), reason=row.get("reason", ""))
    meta = Meta(rounds=int(row.get("rounds") or 0), plan_json=row.get("plan", ""),
                 best_single=row.get("best_single", ""), best_single_total=nan_if_none(row.get("best_single_total")),
                 saving=nan_if_none(row.get("saving")), exchanges_only_total=nan_if_none(row.get("exchanges_only_total")))
    return order, meta


def pools_json(pools: PoolMarket, mids, now: float, sigma) -> dict[str, Any]:
    """Every pool's state (reserves or bins, fee, mid against the exchanges) and every OTC counterparty's terms."""
    out = []
    for view in pools.pool_views(now, mids):
        item = {"pool": view.name, "kind": view.kind, "pair": f"{view.base}/{view.quote}",
                "mid": finite_or_none(view.mid), "exchange_mid": finite_or_none(view.exchange_mid),
                "gap_bps": finite_or_none(view.gap_bps), "fee_bps": finite_or_none(view.fee_bps),
                "reserve_base": view.reserve_base, "reserve_quote": view.reserve_quote}
        if view.kind == "dlmm":
            item.update(active_bin=view.active_bin, bin_step=view.bin_step,
                        bins=[{"price": p, "liquidity_quote": q} for p, q in view.bins])
        out.append(item)
    otc = [{"counterparty": v.name, "asset": v.asset, "available": v.available, "min": v.min_quantity,
            "max": v.max_quantity, "spread_bps_min_block": finite_or_none(v.spread_bps), "delay_s": v.delay_s}
           for v in pools.otc_views(now, sigma)]
    return {"time": now, "pools": out, "otc": otc}
