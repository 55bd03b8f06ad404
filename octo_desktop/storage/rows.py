"""Row mapping both ways: domain values to table rows (checked on the caller's thread) and back."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from octo_desktop.domain.advice import AdviceRecord
from octo_desktop.domain.attribution import attribute
from octo_desktop.domain.model import Decision, Fill, RollbackStep, Route, Trade, TradeState
from octo_desktop.domain.money import exact
from octo_desktop.treasury.transfers import Schedule, Transfer, TransferState


# ---------------------------------------------------------------------------------------------------
# To rows, on the caller's thread: a bad value raises at the call site, not in the writer.
# ---------------------------------------------------------------------------------------------------
def _exact(value: object, what: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (Decimal, int)):
        raise TypeError(f"{what} must be a Decimal, got {type(value).__name__} {value!r}")
    number = Decimal(value)
    if not number.is_finite():
        raise ValueError(f"{what} must be finite, got {number}")
    return number


def _text(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a string, got {type(value).__name__} {value!r}")
    return value


def _finite(value: object, what: str) -> float:
    number = float(value)  # type: ignore[arg-type]
    if not math.isfinite(number):
        raise ValueError(f"{what} must be finite, got {number}")
    return number


def _nullable_float(value: object) -> float | None:
    if value is None:
        return None
    number = float(value)  # type: ignore[arg-type]
    return number if math.isfinite(number) else None


def _float_or_nan(value: float | None) -> float:
    return math.nan if value is None else value


def _fill_row(fill: Fill, seq: int | None = None) -> dict[str, Any]:
    return {
        "order_id": _text(fill.order_id, "fill order id"), "fill_seq": seq,
        "trade_id": int(fill.trade_id), "venue": _text(fill.venue, "fill venue"),
        "symbol": _text(fill.symbol, "fill symbol"), "side": _text(fill.side, "fill side"),
        "price": _exact(fill.price, "fill price"), "quantity": _exact(fill.quantity, "fill quantity"),
        "fee": _exact(fill.fee, "fill fee"), "fee_asset": _text(fill.fee_asset, "fill fee asset"),
        "liquidity": _text(fill.liquidity, "fill liquidity"),
        "order_type": _text(fill.order_type, "fill order type"), "time": _finite(fill.time, "fill time"),
        "purpose": _text(fill.purpose, "fill purpose"),
    }


def _trade_row(trade: Trade) -> dict[str, Any]:
    return {
        "trade_id": int(trade.trade_id), "opportunity_id": int(trade.opportunity_id),
        "symbol": _text(trade.symbol, "trade symbol"), "buy_venue": _text(trade.buy_venue, "buy venue"),
        "sell_venue": _text(trade.sell_venue, "sell venue"),
        "planned_quantity": _exact(trade.planned_quantity, "planned quantity"),
        "matched_quantity": _exact(trade.matched_quantity, "matched quantity"),
        "opened_at": _finite(trade.opened_at, "trade opened_at"),
        "closed_at": None if trade.closed_at is None else _finite(trade.closed_at, "trade closed_at"),
        "expected_bps": _nullable_float(trade.expected_bps), "state": TradeState(trade.state).value,
        "realized_pnl": _exact(trade.realized_pnl, "realized pnl"),
        "fees_in_quote": _exact(trade.fees_in_quote, "fees"), "note": _text(trade.note, "trade note"),
        "buy_order_type": trade.buy_order_type or None, "sell_order_type": trade.sell_order_type or None,
        "decision_buy_vwap": _nullable_float(trade.decision_buy_vwap),
        "decision_sell_vwap": _nullable_float(trade.decision_sell_vwap),
        "arrival_buy_vwap": _nullable_float(trade.arrival_buy_vwap),
        "arrival_sell_vwap": _nullable_float(trade.arrival_sell_vwap),
        "steps": json.dumps([_step_json(step) for step in trade.steps]),
        **_attribution_columns(trade),
    }


def _step_json(step: RollbackStep) -> dict[str, Any]:
    return {"time": step.time, "kind": step.kind, "venue": step.venue, "side": step.side,
            "quantity": format(step.quantity, "f"), "filled": format(step.filled, "f"),
            "order_type": step.order_type, "detail": step.detail}


def _attribution_columns(trade: Trade) -> dict[str, Any]:
    if trade.state == TradeState.OPEN:
        return {"expected_edge": None, "latency_decay": None, "slippage": None, "rollback_loss": None}
    parts = attribute(trade)
    return {"expected_edge": parts.expected, "latency_decay": parts.latency_decay,
            "slippage": parts.slippage, "rollback_loss": parts.rollback}


def _decision_row(decision: Decision) -> dict[str, Any]:
    return {
        "opportunity_id": int(decision.opportunity_id), "time": _finite(decision.time, "decision time"),
        "symbol": _text(decision.symbol, "decision symbol"),
        "buy_venue": _text(decision.buy_venue, "buy venue"),
        "sell_venue": _text(decision.sell_venue, "sell venue"),
        "net_bps": _nullable_float(decision.net_bps), "quantity": _nullable_float(decision.quantity),
        "buy_vwap": _nullable_float(decision.buy_vwap), "sell_vwap": _nullable_float(decision.sell_vwap),
        "score": _nullable_float(decision.score),
        "parts": json.dumps([[str(name), float(value)] for name, value in decision.parts]),
        "accepted": bool(decision.accepted), "reason": _text(decision.reason, "decision reason"),
        "detail": _text(decision.detail, "decision detail"),
        "transfer_bps": _nullable_float(decision.transfer_bps),
    }


def _balance_rows(balances: Mapping[str, Mapping[str, Decimal]], time: float | None,
                  what: str) -> list[dict[str, Any]]:
    rows = []
    for venue, assets in balances.items():
        for asset, amount in assets.items():
            row = {"venue": _text(venue, f"{what} venue"), "asset": _text(asset, f"{what} asset"),
                   "amount": _exact(amount, f"{what} {venue} {asset}")}
            if time is not None:
                row["time"] = time
            rows.append(row)
    return rows


def _pnl_decimal(value: object) -> Decimal | None:
    number = exact(value)  # type: ignore[arg-type]
    return number if number.is_finite() else None


def _advice_row(record: AdviceRecord) -> dict[str, Any]:
    return {
        "advice_id": int(record.advice_id), "time": _finite(record.time, "advice time"), "day": record.day,
        "opportunity_id": int(record.opportunity_id), "symbol": record.symbol, "buy_venue": record.buy_venue,
        "sell_venue": record.sell_venue, "net_bps": _nullable_float(record.net_bps),
        "advisor": record.advisor, "model": record.model, "verdict": record.verdict,
        "confidence": _nullable_float(record.confidence), "reason": _text(record.reason, "advice reason"),
        "size_cap_usdt": _nullable_float(record.size_cap_usdt), "latency_ms": _nullable_float(record.latency_ms),
        "tokens_in": int(record.tokens_in), "tokens_out": int(record.tokens_out),
        "cost_usd": _exact(record.cost_usd, "advice cost"), "fallback": _text(record.fallback, "fallback"),
        "trade_id": record.trade_id, "outcome": _text(record.outcome, "outcome"),
        "realized_pnl": None if record.realized_pnl is None else _exact(record.realized_pnl, "advice P&L"),
        "realized_bps": _nullable_float(record.realized_bps),
    }


# ---------------------------------------------------------------------------------------------------
# From rows, when loading.
# ---------------------------------------------------------------------------------------------------
def _step_from_json(data: dict[str, Any]) -> RollbackStep:
    return RollbackStep(float(data["time"]), str(data["kind"]), str(data["venue"]), str(data["side"]),
                        Decimal(data["quantity"]), Decimal(data["filled"]), str(data["order_type"]),
                        str(data["detail"]))


def _trade_from_row(row: Any, fills: tuple[Fill, ...]) -> Trade:
    steps = tuple(_step_from_json(step) for step in json.loads(row.steps)) if row.steps else ()
    return Trade(trade_id=row.trade_id, opportunity_id=row.opportunity_id, symbol=row.symbol,
                 buy_venue=row.buy_venue, sell_venue=row.sell_venue,
                 planned_quantity=row.planned_quantity, opened_at=row.opened_at,
                 expected_bps=_float_or_nan(row.expected_bps), state=TradeState(row.state),
                 closed_at=row.closed_at, fills=fills, note=row.note,
                 buy_order_type=row.buy_order_type or "", sell_order_type=row.sell_order_type or "",
                 decision_buy_vwap=_float_or_nan(row.decision_buy_vwap),
                 decision_sell_vwap=_float_or_nan(row.decision_sell_vwap),
                 arrival_buy_vwap=_float_or_nan(row.arrival_buy_vwap),
                 arrival_sell_vwap=_float_or_nan(row.arrival_sell_vwap), steps=steps)


def _decision_from_row(row: Any) -> Decision:
    return Decision(opportunity_id=row.opportunity_id, time=row.time,
                    route=Route(row.symbol, row.buy_venue, row.sell_venue),
                    net_bps=_float_or_nan(row.net_bps), quantity=_float_or_nan(row.quantity),
                    buy_vwap=_float_or_nan(row.buy_vwap), sell_vwap=_float_or_nan(row.sell_vwap),
                    score=_float_or_nan(row.score),
                    parts=tuple((name, float(value)) for name, value in json.loads(row.parts)),
                    accepted=bool(row.accepted), reason=row.reason, detail=row.detail)


def _advice_from_row(row: Any) -> AdviceRecord:
    return AdviceRecord(
        advice_id=row.advice_id, time=row.time, opportunity_id=row.opportunity_id,
        route=Route(row.symbol, row.buy_venue, row.sell_venue), net_bps=_float_or_nan(row.net_bps),
        advisor=row.advisor, model=row.model, verdict=row.verdict, confidence=_float_or_nan(row.confidence),
        reason=row.reason, size_cap_usdt=row.size_cap_usdt, latency_ms=_float_or_nan(row.latency_ms),
        tokens_in=row.tokens_in, tokens_out=row.tokens_out, cost_usd=row.cost_usd, fallback=row.fallback,
        trade_id=row.trade_id, outcome=row.outcome, realized_pnl=row.realized_pnl,
        realized_bps=row.realized_bps)


# ---------------------------------------------------------------------------------------------------
# Transfers.
# ---------------------------------------------------------------------------------------------------
def _optional_time(value: float | None, what: str) -> float | None:
    return None if value is None else _finite(value, what)


def _transfer_row(transfer: Transfer) -> dict[str, Any]:
    schedule = transfer.schedule
    return {
        "transfer_id": int(transfer.transfer_id), "asset": _text(transfer.asset, "transfer asset"),
        "from_venue": _text(transfer.from_venue, "transfer source"), "to_venue": _text(transfer.to_venue,
                                                                                       "transfer destination"),
        "network": _text(transfer.chain, "transfer network"), "amount": _exact(transfer.amount, "transfer amount"),
        "fee": _exact(transfer.fee, "transfer fee"), "fee_asset": _text(transfer.fee_asset, "transfer fee asset"),
        "purpose": _text(transfer.purpose, "transfer purpose"), "state": str(transfer.state),
        "requested_at": _finite(transfer.requested_at, "transfer time"),
        "broadcast_at": _finite(schedule.broadcast_at, "transfer broadcast time"),
        "blocks": json.dumps([_finite(when, "confirmation time") for when in schedule.blocks]),
        "credit_confirmations": int(schedule.credit_confirmations), "confirmations": int(transfer.confirmations),
        "withdrawn_at": _optional_time(transfer.withdrawn_at, "withdrawal time"),
        "credited_at": _optional_time(transfer.credited_at, "credit time"),
        "unlocked_at": _optional_time(transfer.unlocked_at, "unlock time"), "note": _text(transfer.note, "note"),
    }


def _transfer_from_row(row: Any) -> Transfer:
    schedule = Schedule(row.broadcast_at, tuple(json.loads(row.blocks)), row.credit_confirmations)
    return Transfer(row.transfer_id, row.asset, row.from_venue, row.to_venue, row.network, row.amount, row.fee,
                    row.requested_at, schedule, purpose=row.purpose, state=TransferState(row.state),
                    confirmations=row.confirmations, withdrawn_at=row.withdrawn_at, credited_at=row.credited_at,
                    unlocked_at=row.unlocked_at, note=row.note)


# ---------------------------------------------------------------------------------------------------
# The router's parent orders and children: column -> value dicts, checked here.
# ---------------------------------------------------------------------------------------------------
_ROUTE_FLOATS = ("created_at", "quantity", "filled", "cost")
_ROUTE_NULLABLE = ("limit_price", "expires_at", "triggered_at", "closed_at", "best_single_total", "saving",
                   "exchanges_only_total")
_ROUTE_TEXTS = ("side", "asset", "order_type", "condition", "rest", "state", "reason", "best_single", "plan")


def _route_row(route: Mapping[str, Any]) -> dict[str, Any]:
    row: dict[str, Any] = {"order_id": int(route["order_id"]), "rounds": int(route.get("rounds", 0))}
    for name in _ROUTE_FLOATS:
        row[name] = _finite(float(route[name]), f"route {name}")
    for name in _ROUTE_NULLABLE:
        value = route.get(name)
        row[name] = None if value is None or not math.isfinite(float(value)) else float(value)
    for name in _ROUTE_TEXTS:
        row[name] = _text(str(route.get(name, "")), f"route {name}")
    return row


_CHILD_TEXTS = ("child_id", "source", "kind", "account", "symbol", "side", "parts", "state", "fee_asset", "note")


def _child_row(child: Mapping[str, Any]) -> dict[str, Any]:
    row: dict[str, Any] = {"order_id": int(child["order_id"]), "round": int(child["round"]),
                           "sent_at": _finite(float(child["sent_at"]), "child sent time")}
    for name in _CHILD_TEXTS:
        row[name] = _text(str(child.get(name, "")), f"child {name}")
    for name in ("quantity", "filled", "cost", "fee"):
        row[name] = _exact(child.get(name, Decimal(0)), f"child {name}")
    for name in ("expected_price", "worst_price", "done_at"):
        value = child.get(name)
        row[name] = None if value is None or not math.isfinite(float(value)) else float(value)
    return row
