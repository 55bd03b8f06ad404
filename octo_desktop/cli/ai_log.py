"""``ai-log``: the advisor's decisions from the database, newest first, with the spend per day."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

from octo_desktop.cli.common import PROG
from octo_desktop.cli.options import common_options
from octo_desktop.config import ADVISOR_KINDS


def add_parser(subparsers) -> None:
    """Declare the ``ai-log`` command."""
    parser = subparsers.add_parser("ai-log", help="show the AI log: every advisor decision, its cost and outcome",
                                   description="Print the advisor's decisions (newest first) with latency, verdict, "
                                               "reason, tokens, cost and the outcome of the trade, and the "
                                               "advisor's spend per day.")
    parser.add_argument("--verdict", choices=["EXECUTE", "SKIP", "WAIT"], type=str.upper, help="only this verdict")
    parser.add_argument("--advisor", choices=ADVISOR_KINDS, help="only decisions this advisor made")
    parser.add_argument("--symbol", metavar="X/USDT", help="only this symbol")
    parser.add_argument("--limit", type=int, default=50, metavar="N", help="at most N decisions (default 50)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    common_options(parser, sub=True)
    parser.set_defaults(func=run)


def run(args) -> int:
    """Print the AI log (as text, or JSON with ``--json``); return the exit code."""
    from octo_desktop.app import default_db_path
    from octo_desktop.storage import StorageError, read_advice

    db = Path(args.db) if args.db else default_db_path()
    try:
        records, days = read_advice(db, verdict=args.verdict, advisor=args.advisor, symbol=args.symbol,
                                    limit=max(1, args.limit))
    except StorageError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 1
    if args.json:
        def number(value):
            return value if isinstance(value, (int, float)) and math.isfinite(value) else None

        print(json.dumps({
            "decisions": [{
                "id": r.advice_id, "time": r.time, "opportunity_id": r.opportunity_id, "symbol": r.symbol,
                "buy_venue": r.buy_venue, "sell_venue": r.sell_venue, "net_bps": number(r.net_bps),
                "advisor": r.advisor, "model": r.model, "verdict": r.verdict, "confidence": number(r.confidence),
                "reason": r.reason, "size_cap_usdt": number(r.size_cap_usdt), "latency_ms": number(r.latency_ms),
                "tokens_in": r.tokens_in, "tokens_out": r.tokens_out, "cost_usd": str(r.cost_usd),
                "fallback": r.fallback, "trade_id": r.trade_id, "outcome": r.outcome,
                "realized_pnl": None if r.realized_pnl is None else str(r.realized_pnl),
                "realized_bps": number(r.realized_bps)} for r in records],
            "days": {day: {"calls": c, "tokens_in": i, "tokens_out": o, "cost_usd": str(cost)}
                     for day, (c, i, o, cost) in days.items()}}))
        return 0
    from datetime import datetime, timezone

    for r in records:
        when = datetime.fromtimestamp(r.time, timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
        outcome = r.outcome or ("open" if r.trade_id is not None else "pending")
        if r.realized_pnl is not None:
            outcome += f" {r.realized_pnl:+.4f} USDT"
        who = r.advisor + ("*" if r.fallback else "")
        print(f"{when}  #{r.opportunity_id:<6} {r.symbol:<9} {r.buy_venue}->{r.sell_venue:<8} {who:<7} "
              f"{r.verdict:<7} {r.confidence:4.2f} {r.latency_ms:7.1f} ms  ${r.cost_usd:.5f}  {r.reason}"
              f"  => {outcome}" + (f"  [fallback: {r.fallback}]" if r.fallback else ""))
    if not records:
        print("no advisor decisions recorded" + (" matching the filters" if args.verdict or args.advisor
                                                  or args.symbol else ""))
    for day, (calls, tokens_in, tokens_out, cost) in days.items():
        print(f"{day}: {calls} remote calls, {tokens_in} tokens in, {tokens_out} out, {cost:.4f} USD")
    return 0
