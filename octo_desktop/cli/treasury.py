"""``treasury``: funds across venues: status, networks, and a transfer for the engine running on the database."""

from __future__ import annotations

import argparse
import json
import sys
from decimal import Decimal, InvalidOperation
from pathlib import Path

from octo_desktop.cli.common import PROG, config_from_args
from octo_desktop.cli.options import common_options, wait_seconds


def add_parser(subparsers) -> None:
    """Declare ``treasury status``, ``treasury networks`` and ``treasury transfer``."""
    text = "funds across venues and the central wallet: balances, transfers in flight, networks, transfers"
    parser = subparsers.add_parser("treasury", help=text, description=text[0].upper() + text[1:] + ".")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    status = actions.add_parser("status", help="balances per venue and asset, transfers in flight and recent ones",
                                description="Print the balances the database holds (rebuilt from the initial "
                                            "funding, every fill and every transfer), what is in flight, the "
                                            "central wallet and the latest transfers.")
    status.add_argument("--limit", type=int, default=10, metavar="N", help="latest transfers to show (default 10)")
    status.add_argument("--json", action="store_true", help="print JSON")
    common_options(status, sub=True)
    status.set_defaults(func=run_status)

    networks = actions.add_parser("networks", help="each venue's withdrawal networks and where the figures came from",
                                  description="Print every venue's withdrawal networks per asset: fee, minimum, "
                                              "whether withdrawals and deposits are open, the chain's confirmations "
                                              "and block time, and where the figures came from (\"built-in, "
                                              "2026-12\", \"config\", or with --live the venue via ccxt and when).")
    networks.add_argument("--asset", help="only this asset (USDT, BTC, ETH, SOL)")
    networks.add_argument("--live", action="store_true",
                          help="first ask each venue's ccxt client for its current figures, as a live market does "
                               "(needs the network; kucoin, bitget and htx serve them without keys)")
    networks.add_argument("--json", action="store_true", help="print JSON")
    common_options(networks, sub=True)
    networks.set_defaults(func=run_networks)

    transfer = actions.add_parser(
        "transfer", help="move funds between venues (or the central wallet, 'wallet')",
        description="Ask the engine running on the database to move funds: it checks the request, picks the "
                    "cheapest network both ends support (fee plus the carry of the time in flight) unless "
                    "--network names one, debits the source and credits the destination after the network's "
                    "confirmations, on the engine clock. A stopped engine takes the request when it next starts.")
    transfer.add_argument("--from", dest="source", required=True, metavar="VENUE", help="the source venue, or wallet")
    transfer.add_argument("--to", dest="destination", required=True, metavar="VENUE",
                          help="the destination venue, or wallet")
    transfer.add_argument("--asset", required=True, help="USDT, BTC, ETH or SOL")
    transfer.add_argument("--amount", required=True, type=_amount, help="how much arrives (the fee comes on top)")
    transfer.add_argument("--network", help="the chain to use (TRC20, ERC20, BEP20, SOL, BTC, ARBITRUM); "
                                            "default: the cheapest")
    transfer.add_argument("--wait", type=wait_seconds, default=10.0, metavar="S",
                          help="seconds to wait for a running engine to answer (default 10; 0: do not wait)")
    transfer.add_argument("--json", action="store_true", help="print the outcome as JSON")
    common_options(transfer, sub=True)
    transfer.set_defaults(func=run_transfer)


def _amount(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value.is_finite() or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text!r}")
    return value


def _db(args) -> Path:
    from octo_desktop.app import default_db_path

    return Path(args.db) if getattr(args, "db", None) else default_db_path()


def run_transfer(args) -> int:
    """Check the request against the config, post it to the database, wait for the engine's answer."""
    from octo_desktop.cli.control import _post
    from octo_desktop.config import WALLET

    config = config_from_args(args)
    places = (*config.venue_names, WALLET)
    for flag, venue in (("--from", args.source), ("--to", args.destination)):
        if venue not in places:
            print(f"{PROG} treasury transfer: error: {flag} {venue!r} is not one of {', '.join(places)}",
                  file=sys.stderr)
            return 2
    if args.source == args.destination:
        print(f"{PROG} treasury transfer: error: --from and --to are both {args.source}", file=sys.stderr)
        return 2
    assets = sorted({a for v in config.venues.values() for a in v.networks})
    if args.asset not in assets:
        print(f"{PROG} treasury transfer: error: --asset {args.asset!r} is not one of {', '.join(assets)}",
              file=sys.stderr)
        return 2
    chains = config.treasury.chains
    if args.network is not None and args.network not in chains:
        print(f"{PROG} treasury transfer: error: --network {args.network!r} is not one of {', '.join(chains)}",
              file=sys.stderr)
        return 2
    payload = {"from": args.source, "to": args.destination, "asset": args.asset, "amount": format(args.amount, "f"),
               "network": args.network}
    args.db = str(_db(args))
    return _post(args, "transfer", json.dumps(payload))


def run_status(args) -> int:
    """Print balances, in flight, the wallet and the latest transfers from the database."""
    from octo_desktop.config import WALLET
    from octo_desktop.storage import StorageError, read_treasury

    db = _db(args)
    if not db.exists():
        print(f"{PROG}: no database at {db}", file=sys.stderr)
        return 1
    try:
        record = read_treasury(db)
    except StorageError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 1
    latest = list(reversed(record.transfers))[:max(0, args.limit)]
    counts: dict[str, int] = {}
    for transfer in record.transfers:
        counts[str(transfer.state)] = counts.get(str(transfer.state), 0) + 1
    if args.json:
        print(json.dumps({
            "database": str(db),
            "balances": {v: {a: format(x, "f") for a, x in sorted(assets.items())}
                         for v, assets in sorted(record.balances.items())},
            "in_flight": {v: {a: format(x, "f") for a, x in assets.items()} for v, assets in record.in_flight.items()},
            "wallet": {a: format(x, "f") for a, x in sorted(record.balances.get(WALLET, {}).items())},
            "transfers": dict(sorted(counts.items())),
            "latest": [_transfer_json(t) for t in latest]}))
        return 0
    if not record.initialized:
        print(f"{db}: no account yet (the engine funds it on its first start)")
        return 0
    assets = sorted({a for balances in record.balances.values() for a in balances})
    print(f"balances in {db}")
    print(f"  {'':<9}" + "".join(f"{a:>18}" for a in assets))
    for venue, balances in sorted(record.balances.items(), key=lambda item: (item[0] == WALLET, item[0])):
        print(f"  {venue:<9}" + "".join(f"{format(balances.get(a, Decimal(0)), 'f'):>18}" for a in assets))
    if record.in_flight:
        for venue, flying in record.in_flight.items():
            print("  in flight from " + venue + ": " + ", ".join(f"{x:f} {a}" for a, x in flying.items()))
    else:
        print("  nothing in flight")
    print("transfers: " + (", ".join(f"{n} {state}" for state, n in sorted(counts.items())) or "none"))
    for t in latest:
        credited = f", credited {t.credited_at:.0f}" if t.credited_at is not None else ""
        print(f"  #{t.transfer_id} {t.state}: {t.amount:f} {t.asset} {t.from_venue} -> {t.to_venue} on {t.chain}, "
              f"fee {t.fee:f} {t.asset}, {t.confirmations}/{len(t.schedule.blocks)} confirmations{credited}")
    return 0


async def _live_networks(config):
    """Return ``config`` with every venue's withdrawal routes as its ccxt client reports them (the live
    market's path: ``load_markets``, then ``feeds.networks_live``), and the problems, one line each."""
    import asyncio
    import time

    from octo_desktop.feeds.ccxt_venue import FeedError, create_exchange, one_line, secrets_of, translate_error
    from octo_desktop.feeds.networks_live import apply_network_rules, failed_in_currencies, fetch_network_rules

    async def one(venue: str):
        options = dict(config.venues[venue].ccxt)
        secrets = secrets_of(options)
        try:
            exchange = create_exchange(venue, options, config.live.request_timeout_s)
        except FeedError as exc:
            return None, [f"{venue}: {exc}"]
        except Exception as exc:  # noqa: BLE001 - a bad ccxt option stops this venue only
            return None, [one_line(f"{venue}: cannot create the ccxt client: {exc}", secrets)]
        try:
            await exchange.load_markets()
            return await fetch_network_rules(exchange, venue, config, time.time(), secrets)
        except Exception as exc:  # noqa: BLE001 - one line per venue; the others carry on
            if failed_in_currencies(exc):
                return None, [one_line(f"{venue}: ccxt cannot read the venue's currencies reply "
                                       f"({type(exc).__name__}: {exc}); figures kept as they were", secrets)]
            return None, [f"{venue}: cannot load markets: {translate_error(exc, secrets)}; figures kept as they were"]
        finally:
            try:
                await exchange.close()
            except Exception:  # noqa: BLE001 - closing after a failure may fail again
                pass

    problems: list[str] = []
    for event, lines in await asyncio.gather(*(one(venue) for venue in config.venue_names)):
        problems.extend(lines)
        if event is not None:
            config, _ = apply_network_rules(config, event)
    return config, problems


def _transfer_json(t) -> dict:
    return {"transfer_id": t.transfer_id, "asset": t.asset, "from_venue": t.from_venue, "to_venue": t.to_venue,
            "network": t.chain, "amount": format(t.amount, "f"), "fee": format(t.fee, "f"), "state": str(t.state),
            "purpose": t.purpose, "requested_at": t.requested_at, "confirmations": t.confirmations,
            "credit_confirmations": t.schedule.credit_confirmations, "unlock_confirmations": len(t.schedule.blocks),
            "credited_at": t.credited_at, "note": t.note}


def run_networks(args) -> int:
    """Print the withdrawal networks of the config in effect (with ``--live``, refreshed from ccxt first)."""
    config = config_from_args(args)
    if args.live:
        import asyncio

        config, problems = asyncio.run(_live_networks(config))
        for problem in problems:
            print(f"{PROG} treasury networks: {problem}", file=sys.stderr)
    rows = []
    for venue, spec in config.venues.items():
        for asset, networks in sorted(spec.networks.items()):
            if args.asset and asset != args.asset:
                continue
            for name, n in sorted(networks.items()):
                rows.append({"venue": venue, "asset": asset, "network": name, "fee": format(n.fee, "f"),
                             "fee_share": format(n.fee_share, "f"), "minimum": format(n.minimum, "f"),
                             "withdraw": n.withdraw_enabled, "deposit": n.deposit_enabled,
                             "credit_confirmations": n.chain.credit_confirmations,
                             "unlock_confirmations": n.chain.unlock_confirmations,
                             "block_time_s": n.chain.block_time_s, "processing_s": spec.withdrawal_processing_s,
                             "source": n.source})
    if args.asset and not rows:
        print(f"{PROG} treasury networks: error: no venue has networks for {args.asset!r}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(rows))
        return 0
    print(f"{'venue':<8} {'asset':<5} {'network':<9} {'fee':>10} {'min':>8} {'w/d':>4} {'credit':>6} {'unlock':>6} "
          f"{'block':>7}  source")
    for r in rows:
        flags = ("w" if r["withdraw"] else "-") + ("d" if r["deposit"] else "-")
        print(f"{r['venue']:<8} {r['asset']:<5} {r['network']:<9} {r['fee']:>10} {r['minimum']:>8} {flags:>4} "
              f"{r['credit_confirmations']:>6} {r['unlock_confirmations']:>6} {r['block_time_s']:>6g}s  {r['source']}")
    return 0
