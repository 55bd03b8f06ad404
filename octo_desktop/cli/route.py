"""``route`` and ``pools``: the router desk from the command line.

``route quote`` and ``pools show`` ask an engine for the router's view of the market. When an engine holds the
database they post the question to its control table and wait for the answer. When none does, the database is
left alone: it is copied (SQLite's backup API) into a temporary directory, or a fresh temporary database is used
when there is none yet, an engine runs in this process on the copy at full speed for ``--warmup`` engine seconds
(so the books and pools are live), is asked the same way, and the copy is deleted.

``route execute`` and ``route cancel`` post an order or a cancellation for the engine running on the database (a
stopped one takes it when it next starts); ``execute`` then follows the order in the ``routes`` and
``route_children`` tables (read-only) until it is final or ``--wait`` ends. ``route status`` reads the database.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shutil
import sqlite3
import sys
import tempfile
import time
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

from octo_desktop.cli.common import PROG, config_from_args
from octo_desktop.cli.options import common_options, wait_seconds

ORDER_TYPES = ("market", "limit", "sniper")
CONDITIONS = ("price_above", "price_below", "spread", "liquidity")
RESTS = ("wait", "cancel")
FINAL_STATES = ("filled", "cancelled", "expired", "failed")
POLL_S = 0.1  # wall seconds between looks at the database while waiting for an answer or an order
WARMUP_WALL_S = 120.0  # wall seconds the in-process engine gets to run its warm-up at full speed


class BadArgument(ValueError):
    """An argument the router would refuse: one line, exit code 2."""


class RouteError(RuntimeError):
    """Something went wrong that is not a bad argument: one line, exit code 1."""


# ---------------------------------------------------------------------------------------------------------
# The parsers.
# ---------------------------------------------------------------------------------------------------------
def add_parser(subparsers) -> None:
    """Declare ``route quote``, ``route execute``, ``route cancel`` and ``route status``."""
    text = ("the order router: split a buy or sell across exchange books, Solana pools and OTC pools by total "
            "cost; quote, execute, cancel, status")
    parser = subparsers.add_parser("route", help=text, description=text[0].upper() + text[1:] + ".")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    quote = actions.add_parser(
        "quote", help="what an order would cost now, split over every source, without trading",
        description="Print the router's plan for an order: each child's source, quantity, expected price and "
                    "cost parts, the total and average price, the saving against the best single source and "
                    "against the exchanges alone, every alternative, the state of each pool used and the "
                    "reference price. Asks the engine running on the database; with none running, the database "
                    "is left untouched: an engine warms up on a temporary copy of it (--warmup) and answers.")
    _order_arguments(quote)
    quote.add_argument("--warmup", type=_positive("--warmup"), default=15.0, metavar="S",
                       help="with no engine running: engine seconds the copy runs first, at full speed, so its "
                            "books and pools are live (default 15)")
    quote.add_argument("--wait", type=wait_seconds, default=30.0, metavar="S",
                       help="seconds to wait for the engine's answer (default 30)")
    quote.add_argument("--json", action="store_true", help="print the engine's plan as JSON")
    common_options(quote, sub=True)
    quote.set_defaults(func=run_quote)

    execute = actions.add_parser(
        "execute", help="send an order to the engine running on the database and follow it",
        description="Post a parent order for the engine running on the database: it checks it (the kill switch, "
                    "the asset, router.max_order_usdt), then routes it as its type says. This command then "
                    "follows it until it is final or --wait ends and prints its state, filled quantity, average "
                    "price, saving and every child. A stopped engine takes the order when it next starts. Exit "
                    "0: accepted and filled or still working; 1: refused, or it ended cancelled, expired or "
                    "failed; 3: no engine answered (queued).")
    _order_arguments(execute)
    execute.add_argument("--rest", choices=RESTS, default="wait",
                         help="a limit order's part that cannot be done at its price: wait for it (default) or "
                              "cancel it")
    execute.add_argument("--when", choices=CONDITIONS, metavar="CONDITION",
                         help="a sniper's trigger: price_above or price_below (the reference price crosses "
                              "--level), spread (a cross-source spread of at least --level bps), liquidity (at "
                              "least --min-quantity can be done at or better than the price --level)")
    execute.add_argument("--level", type=_finite("--level"), metavar="X",
                         help="the trigger's level: a price, or bps for spread")
    execute.add_argument("--min-quantity", type=_positive("--min-quantity"), metavar="Q",
                         help="for --when liquidity: the quantity that must be available")
    execute.add_argument("--expires", type=_positive("--expires"), metavar="S",
                         help="engine seconds after which what is not done expires (default: never)")
    execute.add_argument("--wait", type=wait_seconds, default=60.0, metavar="S",
                         help="seconds to wait for the engine's answer and then for the order to be final "
                              "(default 60; 0: post it and do not wait)")
    execute.add_argument("--json", action="store_true", help="print the outcome as JSON")
    common_options(execute, sub=True)
    execute.set_defaults(func=run_execute)

    cancel = actions.add_parser(
        "cancel", help="cancel a parent order (children already out land)",
        description="Ask the engine running on the database to cancel a parent order: no new child is sent; "
                    "children already out land and are booked. A stopped engine takes it when it next starts.")
    cancel.add_argument("--order", type=_order_id, required=True, metavar="N", help="the parent order's number")
    cancel.add_argument("--wait", type=wait_seconds, default=10.0, metavar="S",
                        help="seconds to wait for a running engine to answer (default 10; 0: do not wait)")
    cancel.add_argument("--json", action="store_true", help="print the outcome as JSON")
    common_options(cancel, sub=True)
    cancel.set_defaults(func=run_cancel)

    status = actions.add_parser(
        "status", help="the router's parent orders in the database, their children and savings",
        description="Print the latest parent orders from the database, newest first: state, filled quantity "
                    "and average price, saving against the best single source, and each child (source, "
                    "quantity, state, average price, fee, note); then the orders by state and the total saving.")
    status.add_argument("--limit", type=_count, default=10, metavar="N", help="latest orders to show (default 10)")
    status.add_argument("--json", action="store_true", help="print JSON")
    common_options(status, sub=True)
    status.set_defaults(func=run_status)


def add_pools_parser(subparsers) -> None:
    """Declare ``pools show``."""
    text = "the router's Solana pools and OTC counterparties as the engine sees them"
    parser = subparsers.add_parser("pools", help=text, description=text[0].upper() + text[1:] + ".")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    show = actions.add_parser(
        "show", help="each pool's mid against the exchanges', fee, reserves or bins; each OTC counterparty",
        description="Print each pool (pair, kind, mid against the exchanges' mid and the gap in bps, fee, "
                    "reserves; a DLMM pool's active bin and a summary of its bins) and each OTC counterparty "
                    "(what it can take, its block sizes, spread and delay). Asks the engine running on the "
                    "database; with none running, the database is left untouched: an engine warms up on a "
                    "temporary copy of it (--warmup) and answers.")
    show.add_argument("--warmup", type=_positive("--warmup"), default=15.0, metavar="S",
                      help="with no engine running: engine seconds the copy runs first, at full speed (default 15)")
    show.add_argument("--wait", type=wait_seconds, default=30.0, metavar="S",
                      help="seconds to wait for the engine's answer (default 30)")
    show.add_argument("--json", action="store_true", help="print the engine's answer as JSON")
    common_options(show, sub=True)
    show.set_defaults(func=run_pools)


def _order_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--side", choices=("buy", "sell"), default="buy", help="buy (default) or sell")
    parser.add_argument("--asset", default="SOL", type=str.upper,
                        help="the base asset, one the router trades (default SOL; by default SOL, ETH, BTC)")
    parser.add_argument("--quantity", type=_positive("--quantity"), required=True, metavar="Q",
                        help="how much of the asset")
    parser.add_argument("--type", dest="order_type", choices=ORDER_TYPES, default="market",
                        help="market (now, default), limit (only at or better than --limit) or sniper (when "
                             "a condition holds)")
    parser.add_argument("--limit", dest="limit_price", type=_positive("--limit"), metavar="P",
                        help="the limit price, all costs in (needed by --type limit; caps the others)")


def _positive(flag: str):
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not (math.isfinite(value) and value > 0):
            raise argparse.ArgumentTypeError(f"must be a positive number, got {text!r}")
        return value

    parse.__name__ = flag.lstrip("-")  # argparse names the type in its message
    return parse


def _finite(flag: str):
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"must be a finite number, got {text!r}")
        return value

    parse.__name__ = flag.lstrip("-")
    return parse


def _order_id(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an order number (1, 2, ...), got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be an order number (1, 2, ...), got {text!r}")
    return value


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be zero or more, got {text!r}")
    return value


# ---------------------------------------------------------------------------------------------------------
# Checking an order before it is posted.
# ---------------------------------------------------------------------------------------------------------
def router_assets(config) -> tuple[str, ...]:
    """What the router trades: the base of every symbol watched and of every pool (as the desk computes it)."""
    bases = {symbol.split("/")[0] for symbol in config.symbols}
    bases |= {spec.base for spec in config.router.pools.values()}
    return tuple(sorted(bases))


def order_payload(args, config, execute: bool) -> dict[str, Any]:
    """Check the order's arguments; return the control command's payload, or raise BadArgument."""
    side = getattr(args, "side", None)
    if side not in ("buy", "sell"):
        raise BadArgument(f"--side must be buy or sell, got {side!r}")
    assets = router_assets(config)
    if args.asset not in assets:
        raise BadArgument(f"--asset {args.asset!r} is not one the router trades: {', '.join(assets)}")
    quantity = args.quantity
    if not (isinstance(quantity, (int, float)) and math.isfinite(quantity) and quantity > 0):
        raise BadArgument(f"--quantity must be a positive number, got {quantity!r}")
    limit = args.limit_price
    if limit is not None and not (math.isfinite(limit) and limit > 0):
        raise BadArgument(f"--limit must be a positive number, got {limit!r}")
    if args.order_type == "limit" and limit is None:
        raise BadArgument("--type limit needs --limit P, the price at or better than which it may trade")
    payload: dict[str, Any] = {"side": side, "asset": args.asset, "quantity": quantity, "limit_price": limit}
    if not execute:
        return payload
    when, level, minimum = args.when, args.level, args.min_quantity
    if args.order_type == "sniper":
        if when is None:
            raise BadArgument(f"--type sniper needs --when {'|'.join(CONDITIONS)} and --level X")
        if level is None:
            raise BadArgument(f"--when {when} needs --level X (" + ("bps)" if when == "spread" else "a price)"))
        if when != "spread" and not level > 0:
            raise BadArgument(f"--level must be a positive price for --when {when}, got {level:g}")
        if when == "liquidity" and minimum is None:
            raise BadArgument("--when liquidity needs --min-quantity Q, the quantity that must be available")
        if when != "liquidity" and minimum is not None:
            raise BadArgument(f"--min-quantity applies to --when liquidity, not {when}")
    elif when is not None or level is not None or minimum is not None:
        given = "--when" if when is not None else "--level" if level is not None else "--min-quantity"
        raise BadArgument(f"{given} applies to --type sniper, not {args.order_type}")
    payload.update(order_type=args.order_type, rest=args.rest, condition=when or "", level=level,
                   condition_quantity=minimum or 0.0, expires_in_s=args.expires)
    return payload


def _refuse(action: str, message: str) -> int:
    print(f"{PROG} {action}: error: {message}", file=sys.stderr)
    return 2


def _fail(message: str) -> int:
    print(f"{PROG}: {message}", file=sys.stderr)
    return 1


def _db(args) -> Path:
    from octo_desktop.app import default_db_path

    return Path(args.db).expanduser() if getattr(args, "db", None) else default_db_path()


# ---------------------------------------------------------------------------------------------------------
# Who answers: the engine holding the database, or one warmed up on a copy of it.
# ---------------------------------------------------------------------------------------------------------
def engine_holds(db: Path) -> bool:
    """Whether an Octo engine holds ``db`` now (its lock is taken). Creates nothing: no lock file, no engine."""
    from octo_desktop.storage.lock import _try_lock, _unlock, lock_path

    path = lock_path(db)
    try:
        fd = os.open(path, os.O_RDWR)
    except OSError:
        return False  # no lock file: no engine ever held it (or it cannot be opened: none can hold it either)
    try:
        if not _try_lock(fd):
            return True
        _unlock(fd)
        return False
    finally:
        os.close(fd)


def ask(db: Path, command: str, payload: str, wait: float) -> tuple[int, str | None]:
    """Post ``command`` to ``db``'s control table; return its id and the engine's answer (None if none came
    within ``wait`` seconds). Raises StorageError."""
    from octo_desktop.storage import control_answer, post_control

    control_id = post_control(db, command, payload, time.time())
    deadline = time.monotonic() + max(0.0, wait)
    while True:
        answer = control_answer(db, control_id)
        if answer is not None:
            return control_id, answer[1]
        if time.monotonic() >= deadline:
            return control_id, None
        time.sleep(POLL_S)


def backup(source: Path, target: Path) -> None:
    """Copy the SQLite database ``source`` to ``target`` with the backup API, reading ``source`` read-only.

    Without a -wal file beside it holding commits (no engine has it open), it is read as immutable, so SQLite
    creates nothing beside it; with one (an engine was killed), through it, as its last commits are there."""
    wal = Path(f"{source}-wal")
    in_use = wal.exists() and wal.stat().st_size > 0
    uri = source.absolute().as_uri() + "?mode=ro" + ("" if in_use else "&immutable=1")
    reader = sqlite3.connect(uri, uri=True)
    try:
        writer = sqlite3.connect(target)
        try:
            reader.backup(writer)
        finally:
            writer.close()
    finally:
        reader.close()


class WarmCopy:
    """An engine in this process on a temporary copy of the database (or a fresh temporary one), warmed up for
    ``warmup`` engine seconds at full speed, then left running to be asked; stopped and deleted on exit."""

    def __init__(self, config, db: Path, warmup: float) -> None:
        self.config, self.db, self.warmup = config, db, warmup
        self.folder: str | None = None
        self.path: Path | None = None
        self.runtime = None
        self.fresh = not db.exists()

    def __enter__(self) -> "WarmCopy":
        from octo_desktop.app import MarketSource, build_runtime
        from octo_desktop.storage import StorageError

        self.folder = tempfile.mkdtemp(prefix="octo-route-")
        self.path = Path(self.folder) / "octo.db"
        try:
            if not self.fresh:
                try:
                    backup(self.db, self.path)
                except sqlite3.Error as exc:
                    raise RouteError(f"cannot copy {self.db}: {exc}") from exc
                self._set_aside_pending()
            live = self.config.market == "live"
            try:
                self.runtime = build_runtime(self.config, db_path=self.path, speed=1.0 if live else None,
                                             run_seconds=None, source=MarketSource(self.config.market))
            except StorageError as exc:
                raise RouteError(str(exc).replace(str(self.path), f"a copy of {self.db}")) from exc
            self.runtime.start()
            self._warm_up(WARMUP_WALL_S + (self.warmup if live else 0.0))
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _set_aside_pending(self) -> None:
        """Commands waiting in the copy for the next start (a queued order, a halt) are marked handled there:
        the copy answers about the database as it is, and nothing it does reaches the database."""
        try:
            with sqlite3.connect(self.path) as connection:
                connection.execute("UPDATE control SET handled_at = ?, result = ? WHERE handled_at IS NULL",
                                   (time.time(), "not applied: a temporary copy for the command line"))
            connection.close()
        except sqlite3.OperationalError:
            pass  # no control table yet: nothing waits

    def _warm_up(self, wall_limit: float) -> None:
        runtime = self.runtime
        deadline = time.monotonic() + wall_limit
        first = None
        while True:
            if runtime.failure is not None or not runtime.is_running:
                raise RouteError(f"the engine on the copy of {self.db} stopped during its warm-up: "
                                 f"{runtime.failure or runtime.stop_reason or 'no reason given'}")
            snapshot = runtime.latest_snapshot()
            if snapshot is not None:
                first = snapshot.time if first is None else first
                if snapshot.time - first >= self.warmup:
                    return
            if time.monotonic() >= deadline:
                raise RouteError(f"the engine on the copy did not run {self.warmup:g} engine seconds within "
                                 f"{wall_limit:g} s; try a shorter --warmup")
            time.sleep(0.02)

    def __exit__(self, *exc) -> None:
        runtime, self.runtime = self.runtime, None
        try:
            if runtime is not None:
                runtime.stop(timeout=30.0, reason="the command line has its answer")
        finally:
            if self.folder is not None:
                shutil.rmtree(self.folder, ignore_errors=True)
                self.folder = None


def ask_engine(args, config, command: str, payload: dict) -> tuple[str, str | None, str]:
    """Ask the engine holding the database, or one warmed up on a copy; return (who, answer, database).
    ``who`` is "engine" or "copy"; the answer is None when none came within ``--wait``."""
    db = _db(args)
    if engine_holds(db):
        _, answer = ask(db, command, json.dumps(payload), args.wait)
        return "engine", answer, str(db)
    with WarmCopy(config, db, args.warmup) as copy:
        _, answer = ask(copy.path, command, json.dumps(payload), args.wait)
    return "copy", answer, str(db)


# ---------------------------------------------------------------------------------------------------------
# The commands.
# ---------------------------------------------------------------------------------------------------------
def run_quote(args) -> int:
    """Print the plan for a would-be order, from the running engine or a warmed-up copy."""
    from octo_desktop.config import QUOTE_ASSET
    from octo_desktop.storage import StorageError

    config = config_from_args(args)
    try:
        payload = order_payload(args, config, execute=False)
    except BadArgument as exc:
        return _refuse("route quote", str(exc))
    try:
        who, answer, db = ask_engine(args, config, "route_quote", payload)
    except (StorageError, RouteError) as exc:
        return _fail(str(exc))
    if answer is None:
        return _no_answer("route quote", who, db, args.wait)
    plan = _parse_answer(answer)
    if plan is None or "error" in plan:
        return _fail(f"route quote: {plan['error'] if plan else 'the engine answered: ' + answer}")
    if args.json:
        print(json.dumps(plan))
        return 0
    if who == "copy":
        print(f"(no engine holds {db}: quoted by an engine warmed up for {args.warmup:g} engine seconds on a "
              f"temporary copy; the database is untouched)")
    for line in format_plan(plan, args.order_type, QUOTE_ASSET):
        print(line)
    return 0


def run_pools(args) -> int:
    """Print the router's pools and OTC counterparties, from the running engine or a warmed-up copy."""
    from octo_desktop.storage import StorageError

    config = config_from_args(args)
    try:
        who, answer, db = ask_engine(args, config, "route_pools", {})
    except (StorageError, RouteError) as exc:
        return _fail(str(exc))
    if answer is None:
        return _no_answer("pools show", who, db, args.wait)
    data = _parse_answer(answer)
    if data is None or "pools" not in data:
        return _fail(f"pools show: the engine answered: {answer}")
    if args.json:
        print(json.dumps(data))
        return 0
    if who == "copy":
        print(f"(no engine holds {db}: as an engine warmed up for {args.warmup:g} engine seconds on a temporary "
              f"copy sees them; the database is untouched)")
    for line in format_pools(data):
        print(line)
    return 0


def run_execute(args) -> int:
    """Post the order; print the engine's answer and, once accepted, follow the order until final."""
    from octo_desktop.config import QUOTE_ASSET
    from octo_desktop.storage import StorageError, post_control

    config = config_from_args(args)
    try:
        payload = order_payload(args, config, execute=True)
    except BadArgument as exc:
        return _refuse("route execute", str(exc))
    db = _db(args)
    started = time.monotonic()
    try:
        if not engine_holds(db):
            control_id = post_control(db, "route", json.dumps(payload), time.time())
            return _queued(args, "route", control_id, db, "route order")
        control_id, answer = ask(db, "route", json.dumps(payload), args.wait)
    except StorageError as exc:
        return _fail(str(exc))
    if answer is None:
        return _queued(args, "route", control_id, db, "route order", waited=True)
    accepted = re.match(r"route #(\d+) accepted", answer)
    if accepted is None:
        if args.json:
            print(json.dumps({"command": "route", "id": control_id, "database": str(db), "acknowledged": True,
                              "result": answer, "accepted": False, "order": None}))
        else:
            print(answer)
        return 1
    order_id = int(accepted.group(1))
    if not args.json:
        print(answer, flush=True)
    try:
        order = follow(db, order_id, started + args.wait, None if args.json else _progress_printer(order_id))
    except StorageError as exc:
        return _fail(str(exc))
    if args.json:
        print(json.dumps({"command": "route", "id": control_id, "database": str(db), "acknowledged": True,
                          "result": answer, "accepted": True, "final": bool(order and order["state"] in FINAL_STATES),
                          "order": order_json(order, with_plan=True) if order else None}))
    elif order is None:
        print(f"route #{order_id} is not in {db} yet; see `{PROG} route status`")
    else:
        for line in format_order(order, QUOTE_ASSET):
            print(line)
        if order["state"] not in FINAL_STATES:
            print(f"still {order['state']} after {args.wait:g} s; follow it with `{PROG} route status`")
    if order is None or order["state"] not in FINAL_STATES or order["state"] == "filled":
        return 0
    return 1


def run_cancel(args) -> int:
    """Post the cancellation; print the engine's answer."""
    from octo_desktop.storage import StorageError, post_control

    db = _db(args)
    payload = json.dumps({"order_id": args.order})
    try:
        if not engine_holds(db):
            control_id = post_control(db, "route_cancel", payload, time.time())
            return _queued(args, "route_cancel", control_id, db, f"cancellation of route #{args.order}")
        control_id, answer = ask(db, "route_cancel", payload, args.wait)
    except StorageError as exc:
        return _fail(str(exc))
    if answer is None:
        return _queued(args, "route_cancel", control_id, db, f"cancellation of route #{args.order}",
                       waited=True)
    if args.json:
        print(json.dumps({"command": "route_cancel", "id": control_id, "database": str(db), "acknowledged": True,
                          "result": answer}))
    else:
        print(answer)
    return 0 if answer.endswith("cancelled") and not answer.startswith("cancel refused") else 1


def run_status(args) -> int:
    """Print the latest parent orders with their children, the orders by state and the total saving."""
    from octo_desktop.config import QUOTE_ASSET
    from octo_desktop.storage import StorageError
    from octo_desktop.storage.export import read_routes

    db = _db(args)
    if not db.exists():
        return _fail(f"no database at {db}")
    try:
        orders = read_routes(db)
    except StorageError as exc:
        return _fail(str(exc))
    counts: dict[str, int] = {}
    for order in orders:
        counts[order["state"]] = counts.get(order["state"], 0) + 1
    savings = [order["saving"] for order in orders if _finite_number(order["saving"])]
    latest = list(reversed(orders))[:args.limit]
    if args.json:
        print(json.dumps({"database": str(db), "orders": [order_json(o) for o in latest],
                          "counts": dict(sorted(counts.items())), "saved_vs_best_single": sum(savings),
                          "orders_with_saving": len(savings)}))
        return 0
    if not orders:
        print(f"{db}: no route orders yet")
        return 0
    print(f"route orders in {db}: " + ", ".join(f"{n} {state}" for state, n in sorted(counts.items())))
    for order in latest:
        print()
        for line in format_order(order, QUOTE_ASSET):
            print(line)
    print()
    print(f"saved against the best single source: {_money(sum(savings))} {QUOTE_ASSET} over {len(savings)} "
          f"order{'s' if len(savings) != 1 else ''} (orders no single source could do alone are not counted)")
    return 0


def follow(db: Path, order_id: int, deadline: float, on_change=None) -> dict[str, Any] | None:
    """Read order ``order_id`` (with its children) until it is final or ``deadline`` (monotonic) passes; return
    its last state read, None if it never appeared. ``on_change(order)`` is called when its state changes."""
    from octo_desktop.storage.export import read_routes

    last = None
    seen = None
    while True:
        found = read_routes(db, order_id=order_id)
        if found:
            last = found[0]
            key = (last["state"], len(last["children"]))
            if on_change is not None and key != seen:
                on_change(last)
            seen = key
            if last["state"] in FINAL_STATES and not any(c["state"] == "sent" for c in last["children"]):
                return last
        if time.monotonic() >= deadline:
            return last
        time.sleep(POLL_S)


def _progress_printer(order_id: int):
    state = {"last": None}

    def show(order: dict[str, Any]) -> None:
        if order["state"] in FINAL_STATES or order["state"] == state["last"]:
            return
        state["last"] = order["state"]
        reason = f": {order['reason']}" if order.get("reason") else ""
        print(f"route #{order_id} {order['state']}{reason}", flush=True)

    return show


def _queued(args, command: str, control_id: int, db: Path, what: str, waited: bool = False) -> int:
    if args.json:
        print(json.dumps({"command": command, "id": control_id, "database": str(db), "acknowledged": False,
                          "result": None, "queued": True}))
    elif waited:
        print(f"{what} recorded in {db} (control #{control_id}); the engine running on it did not answer within "
              f"{args.wait:g} s: it takes it from there")
    else:
        print(f"{what} recorded in {db} (control #{control_id}); no engine is running on it, so it is taken when "
              f"the engine next starts")
    return 3


def _no_answer(action: str, who: str, db: str, wait: float) -> int:
    where = f"the engine running on {db}" if who == "engine" else f"the engine warmed up on a copy of {db}"
    print(f"{PROG} {action}: {where} did not answer within {wait:g} s", file=sys.stderr)
    return 3


def _parse_answer(answer: str) -> dict | None:
    try:
        data = json.loads(answer)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


# ---------------------------------------------------------------------------------------------------------
# Formatting (pure).
# ---------------------------------------------------------------------------------------------------------
def _finite_number(value) -> bool:
    return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool) and math.isfinite(value)


def _money(value, digits: int = 2) -> str:
    return f"{float(value):,.{digits}f}" if _finite_number(value) else "-"


def _price(value) -> str:
    return f"{float(value):,.6f}" if _finite_number(value) else "-"


def _qty(value) -> str:
    """A quantity as short exact-looking text: 500, 60.5, 0.000123 (at most 9 decimals)."""
    if not _finite_number(value):
        return "-"
    text = f"{Decimal(str(value)):.9f}" if not isinstance(value, Decimal) else f"{value:.9f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _compact(value) -> str:
    """A large amount in a few characters: 1.51M, 24.8k, 950."""
    if not _finite_number(value):
        return "-"
    value = float(value)
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            return f"{value / size:.3g}{suffix}"
    return f"{value:.3g}"


def _utc(seconds) -> str:
    if not _finite_number(seconds):
        return "-"
    return datetime.fromtimestamp(float(seconds), timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


PART_NAMES = (("impact", "impact"), ("fees", "fees"), ("network", "network"), ("delay_risk", "delay risk"),
              ("transfer", "transfer"))


def format_plan(plan: dict[str, Any], order_type: str = "market", quote: str = "USDT") -> list[str]:
    """The engine's ``route_quote`` answer (``plan_json``) as lines of text."""
    side, asset = plan.get("side", "?"), plan.get("asset", "?")
    quantity, planned = plan.get("quantity"), plan.get("planned")
    children = plan.get("children") or []
    lines = [f"route quote: {side} {_qty(quantity)} {asset} ({order_type}), {len(children)} "
             f"child{'ren' if len(children) != 1 else ''}"]
    source = plan.get("reference_source") or "?"
    reference = f"reference price {_price(plan.get('reference_price'))} {quote} from {source}"
    if plan.get("reference_fallback"):
        reference += "  [FALLBACK: not from live exchange books; the plan may be off]"
    lines.append(reference)
    if children:
        header = (f"  {'source':<24} {'kind':<5} {'quantity':>14} {'exp. price':>14}"
                  + "".join(f" {title:>10}" for _, title in PART_NAMES) + f" {'total ' + quote:>16}")
        lines.append(header)
        for child in children:
            parts = child.get("parts") or {}
            lines.append(f"  {str(child.get('source')):<24} {str(child.get('kind')):<5} "
                         f"{_qty(child.get('quantity')):>14} {_price(child.get('expected_price')):>14}"
                         + "".join(f" {_money(parts.get(key), 4):>10}" for key, _ in PART_NAMES)
                         + f" {_money(child.get('total')):>16}")
        parts = plan.get("parts") or {}
        lines.append(f"  {'all':<24} {'':<5} {_qty(planned):>14} {_price(plan.get('average_price')):>14}"
                     + "".join(f" {_money(parts.get(key), 4):>10}" for key, _ in PART_NAMES)
                     + f" {_money(plan.get('total')):>16}")
        lines.append(f"  (exp. price: per unit as the plan expects it, impact and fees in; cost parts and totals in "
                     f"{quote}; a total has every part in)")
    verb = "paid" if side == "buy" else "received"
    lines.append(f"total {verb} {_money(plan.get('total'), 6)} {quote} for {_qty(planned)} {asset}, average price "
                 f"{_price(plan.get('average_price'))} (costs {_money((plan.get('parts') or {}).get('total'), 6)} "
                 f"{quote})")
    if _finite_number(planned) and _finite_number(quantity) and planned < quantity * (1 - 1e-9):
        why = f": {plan['reason']}" if plan.get("reason") else ""
        lines.append(f"only {_qty(planned)} of {_qty(quantity)} {asset} can be done now{why}")
    elif plan.get("reason"):
        lines.append(f"note: {plan['reason']}")
    best = plan.get("best_single")
    if best:
        lines.append(f"best single source: {best} at {_money(plan.get('best_single_total'), 6)} {quote}; the split "
                     f"saves {_money(plan.get('saving_vs_best_single'), 6)} {quote}")
    else:
        lines.append(f"best single source: none can do {_qty(planned)} {asset} alone, so no saving against one")
    if _finite_number(plan.get("exchanges_only_total")):
        lines.append(f"exchanges only: {_money(plan['exchanges_only_total'], 6)} {quote}; the split saves "
                     f"{_money(plan.get('saving_vs_exchanges'), 6)} {quote}")
    else:
        lines.append("exchanges only: the exchange books alone cannot do it")
    alternatives = plan.get("alternatives") or []
    if alternatives:
        lines.append("alternatives (each source alone):")
        for option in alternatives:
            alone = (f"alone {_money(option.get('alone_total'))} {quote}" if _finite_number(option.get("alone_total"))
                     else "cannot do it all alone")
            note = f"; {option['note']}" if option.get("note") else ""
            lines.append(f"  {str(option.get('source')):<24} {str(option.get('kind')):<5} capacity "
                         f"{_qty(round(float(option.get('capacity') or 0.0), 6)):>12} {asset} from "
                         f"{_price(option.get('touch'))}, {alone}{note}")
    pools = plan.get("pools") or []
    if pools:
        lines.append("pools used:")
        for pool in pools:
            base, quote_token = (str(pool.get("pair", "?/?")).split("/") + ["?"])[:2]
            text = (f"  {str(pool.get('pool')):<24} {str(pool.get('kind')):<6} {pool.get('pair')}  mid "
                    f"{_price(pool.get('mid'))}  fee {_money(pool.get('fee_bps'))} bps  reserves "
                    f"{_money(pool.get('base'), 4)} {base} + {_money(pool.get('quote'))} {quote_token}")
            if pool.get("active_bin") is not None:
                text += (f"  active bin {pool['active_bin']} (step {pool.get('bin_step')} bps, {pool.get('bins')} "
                         f"bins, volatility accumulator {pool.get('volatility_accumulator')})")
            lines.append(text)
    return lines


def format_pools(data: dict[str, Any]) -> list[str]:
    """The engine's ``route_pools`` answer (``pools_json``) as lines of text."""
    lines = [f"pools at {_utc(data.get('time'))} (engine time)"]
    for pool in data.get("pools") or []:
        base, quote = (str(pool.get("pair", "?/?")).split("/") + ["?"])[:2]
        gap = pool.get("gap_bps")
        exchange = (f"exchanges {_price(pool.get('exchange_mid'))}, gap {float(gap):+.1f} bps"
                    if _finite_number(gap) else "no exchange mid")
        lines.append(f"  {str(pool.get('pool')):<24} {str(pool.get('kind')):<6} {pool.get('pair'):<9} mid "
                     f"{_price(pool.get('mid'))} ({exchange})  fee {_money(pool.get('fee_bps'))} bps")
        lines.append(f"      reserves {_money(pool.get('reserve_base'), 4)} {base} + "
                     f"{_money(pool.get('reserve_quote'))} {quote}")
        if pool.get("kind") == "dlmm":
            lines.append("      " + bins_summary(pool, quote))
    otc = data.get("otc") or []
    lines.append("OTC counterparties:" if otc else "OTC counterparties: none")
    for deal in otc:
        lines.append(f"  {str(deal.get('counterparty')):<24} {str(deal.get('asset')):<5} available "
                     f"{_money(deal.get('available'), 4)}, blocks {_money(deal.get('min'), 4)} to "
                     f"{_money(deal.get('max'), 4)}, spread {_money(deal.get('spread_bps_min_block'))} bps on the "
                     f"smallest block, settles after {deal.get('delay_s'):g} s")
    return lines


def bins_summary(pool: dict[str, Any], quote: str = "USDC") -> str:
    """A DLMM pool's bins in one line: active bin, step, range, and the liquidity below and above the mid."""
    bins = [b for b in pool.get("bins") or [] if _finite_number(b.get("price"))]
    text = f"active bin {pool.get('active_bin')}, step {pool.get('bin_step')} bps"
    if not bins:
        return text + ", no bins near it"
    mid = pool.get("mid")
    prices = [float(b["price"]) for b in bins]
    amounts = [float(b.get("liquidity_quote") or 0.0) for b in bins]
    below = sum(a for p, a in zip(prices, amounts) if _finite_number(mid) and p < mid)
    above = sum(a for p, a in zip(prices, amounts) if _finite_number(mid) and p >= mid)
    return (f"{text}; {len(bins)} bins from {_price(min(prices))} to {_price(max(prices))} holding "
            f"{_compact(sum(amounts))} {quote} of value: {_compact(below)} below the mid, {_compact(above)} at or "
            f"above")


def order_json(order: dict[str, Any], with_plan: bool = False) -> dict[str, Any]:
    """A parent order row (``read_routes``) as JSON: floats, None for unknown, decimals as exact text."""
    def number(value):
        return float(value) if _finite_number(value) else None

    def text(value):
        return None if value is None else format(value, "f")

    from octo_desktop.storage.export import child_average

    condition = None
    if order.get("condition"):
        try:
            condition = json.loads(order["condition"])
        except ValueError:
            condition = order["condition"]
    filled, cost = number(order.get("filled")), number(order.get("cost"))
    out = {"order_id": order["order_id"], "created_at": number(order.get("created_at")), "side": order["side"],
           "asset": order["asset"], "quantity": number(order.get("quantity")), "order_type": order["order_type"],
           "limit_price": number(order.get("limit_price")), "condition": condition,
           "expires_at": number(order.get("expires_at")), "rest": order.get("rest"), "state": order["state"],
           "filled": filled, "cost": cost, "average_price": cost / filled if filled and cost is not None else None,
           "triggered_at": number(order.get("triggered_at")), "closed_at": number(order.get("closed_at")),
           "reason": order.get("reason") or "", "rounds": order.get("rounds"),
           "best_single": order.get("best_single") or None, "best_single_total": number(order.get("best_single_total")),
           "saving_vs_best_single": number(order.get("saving")),
           "exchanges_only_total": number(order.get("exchanges_only_total")),
           "children": [{"child_id": c["child_id"], "round": c["round"], "source": c["source"], "kind": c["kind"],
                         "account": c["account"], "symbol": c["symbol"], "side": c["side"],
                         "quantity": text(c["quantity"]), "expected_price": number(c.get("expected_price")),
                         "worst_price": number(c.get("worst_price")), "state": c["state"],
                         "sent_at": number(c.get("sent_at")), "done_at": number(c.get("done_at")),
                         "filled": text(c["filled"]), "cost": text(c["cost"]), "average_price": text(child_average(c)),
                         "fee": text(c["fee"]), "fee_asset": c.get("fee_asset") or None, "note": c.get("note") or ""}
                        for c in order.get("children", [])]}
    if with_plan:
        out["plan"] = _parse_answer(order.get("plan") or "")
    return out


def format_order(order: dict[str, Any], quote: str = "USDT") -> list[str]:
    """A parent order row with its children (``read_routes``) as lines of text."""
    from octo_desktop.storage.export import child_average

    asset = order["asset"]
    filled, cost = order.get("filled"), order.get("cost")
    head = f"route #{order['order_id']} {order['side']} {_qty(order.get('quantity'))} {asset} {order['order_type']}"
    if _finite_number(order.get("limit_price")):
        head += f" at {_price(order['limit_price'])}"
    if order.get("condition"):
        try:
            condition = json.loads(order["condition"])
            head += f" when {condition.get('kind')} {condition.get('level'):g}"
            if condition.get("kind") == "liquidity":
                head += f" (at least {_qty(condition.get('quantity'))})"
        except (ValueError, TypeError, AttributeError):
            pass
    head += f": {order['state']}"
    lines = [head]
    if _finite_number(filled) and filled > 0 and _finite_number(cost):
        verb = "paid" if order["side"] == "buy" else "received"
        lines.append(f"  filled {_qty(filled)} of {_qty(order.get('quantity'))} {asset} at an average "
                     f"{_price(cost / filled)} {quote} (everything included), {verb} {_money(cost)} {quote}")
    else:
        lines.append(f"  filled 0 of {_qty(order.get('quantity'))} {asset}")
    timing = f"  created {_utc(order.get('created_at'))}"
    if _finite_number(order.get("closed_at")):
        timing += f", closed {_utc(order['closed_at'])}"
    rounds = order.get("rounds") or 0
    timing += f", {rounds} round{'s' if rounds != 1 else ''}"
    if order.get("reason"):
        timing += f"; {order['reason']}"
    lines.append(timing)
    if order.get("best_single") and _finite_number(order.get("saving")):
        lines.append(f"  saving against the best single source ({order['best_single']}, "
                     f"{_money(order.get('best_single_total'))} {quote}): {_money(order['saving'])} {quote}")
    elif rounds:
        lines.append("  saving against the best single source: none, no single source could do it alone")
    if _finite_number(order.get("exchanges_only_total")):
        lines.append(f"  the exchanges alone would have cost {_money(order['exchanges_only_total'])} {quote} at the "
                     f"first routing")
    children = order.get("children") or []
    if children:
        lines.append(f"  {'child':<8} {'source':<24} {'kind':<5} {'quantity':>14} {'state':<8} {'filled':>14} "
                     f"{'fill price':>14} {'fee':>20}  note")
        for child in children:
            fee = f"{_qty(child['fee'])} {child['fee_asset']}" if child.get("fee_asset") else "-"
            average = child_average(child)
            lines.append(f"  {child['child_id']:<8} {child['source']:<24} {child['kind']:<5} "
                         f"{_qty(child['quantity']):>14} {child['state']:<8} {_qty(child['filled']):>14} "
                         f"{_price(average) if average is not None else '-':>14} {fee:>20}  {child.get('note') or ''}")
    return lines
