"""CSV exports of fills, trades, transfers and the router's children, read through a connection of their own
(any thread); ``read_routes`` gives the router's parent orders with their children to the command line.

Exports show what is committed: call ``Store.flush()`` first to include what is still queued.
Money is written as exact decimal text (``0.00000001``, never ``1E-8``); times as engine-clock unix
seconds. Rows end with ``\\n``; open a file with ``newline=""``.
"""

from __future__ import annotations

import csv
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterator, TextIO

from sqlalchemy import Connection, select
from sqlalchemy.exc import DBAPIError

from octo_desktop.storage.database import _describe, _open_reader
from octo_desktop.storage.errors import StorageError
from octo_desktop.storage.tables import FillRow, RouteChildRow, RouteRow, TradeRow, TransferRow
from octo_desktop.storage.writer import Store

FILL_COLUMNS = ("time", "trade_id", "venue", "symbol", "side", "price", "quantity", "fee", "fee_asset",
                "liquidity", "order_type", "purpose", "order_id")
TRADE_COLUMNS = ("trade_id", "opened_at", "closed_at", "symbol", "buy_venue", "sell_venue",
                 "planned_quantity", "matched_quantity", "state", "expected_bps", "realized_pnl", "fees",
                 "note", "buy_order_type", "sell_order_type", "expected_edge", "latency_decay", "slippage",
                 "rollback_loss")
TRANSFER_COLUMNS = ("time", "transfer_id", "asset", "from_venue", "to_venue", "network", "amount", "fee",
                    "fee_asset", "state", "credited_at")
AVERAGE_QUANTUM = Decimal("1e-12")  # a child's average price: its cost over its quantity, both exact, to 12 decimals
ROUTE_COLUMNS = ("time", "order_id", "child_id", "side", "asset", "order_type", "source", "kind", "account",
                 "quantity", "filled", "average_price", "fee", "fee_asset", "state", "parent_state",
                 "saving_vs_best_single")


def write_fills_csv(store_or_path: Store | str | Path, stream: TextIO) -> int:
    """Write every fill, in insertion order, as CSV with a header row; return the number of fills."""
    table = FillRow.__table__
    with _reading(store_or_path) as conn:
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(FILL_COLUMNS)
        count = 0
        for row in conn.execute(select(table).order_by(FillRow.id)):
            writer.writerow((repr(row.time), row.trade_id, row.venue, row.symbol, row.side,
                             _text(row.price), _text(row.quantity), _text(row.fee), row.fee_asset,
                             row.liquidity, row.order_type, row.purpose, row.order_id))
            count += 1
    return count


def write_trades_csv(store_or_path: Store | str | Path, stream: TextIO) -> int:
    """Write every trade, by trade id, as CSV with a header row; return the number of trades."""
    table = TradeRow.__table__
    with _reading(store_or_path) as conn:
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(TRADE_COLUMNS)
        count = 0
        for row in conn.execute(select(table).order_by(TradeRow.trade_id)):
            writer.writerow((row.trade_id, repr(row.opened_at),
                             "" if row.closed_at is None else repr(row.closed_at), row.symbol,
                             row.buy_venue, row.sell_venue, _text(row.planned_quantity),
                             _text(row.matched_quantity), row.state,
                             "" if row.expected_bps is None else repr(row.expected_bps),
                             _text(row.realized_pnl), _text(row.fees_in_quote), row.note,
                             row.buy_order_type or "", row.sell_order_type or "", _text(row.expected_edge),
                             _text(row.latency_decay), _text(row.slippage), _text(row.rollback_loss)))
            count += 1
    return count


def write_transfers_csv(store_or_path: Store | str | Path, stream: TextIO) -> int:
    """Write every transfer, by transfer id, as CSV with a header row; return the number of transfers.

    ``time`` is when it was requested; ``credited_at`` is empty while it is in flight (or was cancelled)."""
    with _reading(store_or_path) as conn:
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(TRANSFER_COLUMNS)
        tables = set(conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'table'").scalars())
        if "transfers" not in tables:  # a database from before transfers: none to write
            return 0
        count = 0
        for row in conn.execute(select(TransferRow.__table__).order_by(TransferRow.transfer_id)):
            writer.writerow((repr(row.requested_at), row.transfer_id, row.asset, row.from_venue, row.to_venue,
                             row.network, _text(row.amount), _text(row.fee), row.fee_asset, row.state,
                             "" if row.credited_at is None else repr(row.credited_at)))
            count += 1
    return count


def write_routes_csv(store_or_path: Store | str | Path, stream: TextIO) -> int:
    """Write every child of every router parent order, by order then as sent, as CSV with a header row; return
    the number of children.

    ``time`` is when the child was sent; ``average_price`` is what it got per unit before fees (its cost over
    its filled quantity, to 12 decimals, empty until it filled); ``saving_vs_best_single`` is the parent's saving
    against the best single source at its first routing, in the quote asset (empty when no single source could
    do it alone)."""
    with _reading(store_or_path) as conn:
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(ROUTE_COLUMNS)
        count = 0
        for order in _routes(conn):
            for child in order["children"]:
                writer.writerow((repr(child["sent_at"]), order["order_id"], child["child_id"], child["side"],
                                 order["asset"], order["order_type"], child["source"], child["kind"],
                                 child["account"], _text(child["quantity"]), _text(child["filled"]),
                                 _text(child_average(child)), _text(child["fee"]), child["fee_asset"] or "",
                                 child["state"], order["state"], _float_text(order["saving"])))
                count += 1
    return count


def read_routes(store_or_path: Store | str | Path, order_id: int | None = None,
                latest: int | None = None) -> list[dict[str, Any]]:
    """Return the router's parent orders (every one, order ``order_id`` alone, or the ``latest`` newest), oldest
    first, as column -> value dicts, each with its children (``children``, as sent) as column -> value dicts.

    Quantities of children are exact decimals; a parent's figures are floats (NaN is stored as NULL: None)."""
    with _reading(store_or_path) as conn:
        return _routes(conn, order_id, latest)


def child_average(child: dict[str, Any]) -> Decimal | None:
    """What a child got per unit before fees (its cost over its filled quantity, to 12 decimals), None until it
    filled."""
    filled, cost = child.get("filled"), child.get("cost")
    if filled is None or cost is None or not filled > 0:
        return None
    return (Decimal(cost) / Decimal(filled)).quantize(AVERAGE_QUANTUM)


def _routes(conn: Connection, order_id: int | None = None, latest: int | None = None) -> list[dict[str, Any]]:
    tables = set(conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'table'").scalars())
    if "routes" not in tables:  # a database from before the router: no order to read
        return []
    statement = select(RouteRow.__table__)
    if order_id is not None:
        statement = statement.where(RouteRow.order_id == order_id)
    if latest is not None:
        statement = statement.order_by(RouteRow.order_id.desc()).limit(max(0, latest))
    orders = sorted((dict(row._mapping) for row in conn.execute(statement)), key=lambda o: o["order_id"])
    if not orders:
        return []
    by_id = {order["order_id"]: {**order, "children": []} for order in orders}
    children = select(RouteChildRow.__table__)
    if len(by_id) < 500:
        children = children.where(RouteChildRow.order_id.in_(list(by_id)))
    rows = [dict(row._mapping) for row in conn.execute(children)]
    rows.sort(key=lambda c: (c["order_id"], c["sent_at"], _child_number(c["child_id"]), c["child_id"]))
    for child in rows:
        parent = by_id.get(child["order_id"])
        if parent is not None:
            parent["children"].append(child)
    return list(by_id.values())


def _child_number(child_id: str) -> int:
    """The n of child id ``r<order>-<n>``: r1-10 comes after r1-9."""
    tail = child_id.rsplit("-", 1)[-1]
    return int(tail) if tail.isdigit() else 0


def _float_text(value: float | None) -> str:
    return "" if value is None or value != value else repr(float(value))


def _text(value: Decimal | None) -> str:
    return "" if value is None else format(value, "f")


@contextmanager
def _reading(store_or_path: Store | str | Path) -> Iterator[Connection]:
    if isinstance(store_or_path, Store):
        path, engine, owned = store_or_path.path, None, False
        connect = store_or_path._read_connection
    else:
        path = Path(store_or_path)
        engine, owned = _open_reader(path), True
        connect = engine.connect
    try:
        with connect() as conn:
            yield conn
    except DBAPIError as exc:
        raise StorageError(_describe(exc, path, "read")) from exc
    finally:
        if owned:
            engine.dispose()
