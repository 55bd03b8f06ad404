"""Balances reproduced from what the command line exports: the initial funding, ``export fills`` and
``export transfers``, summed exactly (the identity the ledger keeps)."""

from __future__ import annotations

import csv
import io
import sqlite3
from decimal import Decimal
from pathlib import Path

ZERO = Decimal(0)


def initial_balances(db: Path) -> dict[str, dict[str, Decimal]]:
    with sqlite3.connect(db) as connection:
        rows = connection.execute("SELECT venue, asset, amount FROM initial_balances").fetchall()
    result: dict[str, dict[str, Decimal]] = {}
    for venue, asset, amount in rows:
        result.setdefault(venue, {})[asset] = Decimal(amount)
    return result


def reproduce(initial: dict[str, dict[str, Decimal]], fills_csv: str, transfers_csv: str) -> dict:
    """initial + fills - fees - (amount + fee of transfers withdrawn) + (amount of transfers credited)."""
    balances = {venue: dict(assets) for venue, assets in initial.items()}

    def add(venue: str, asset: str, change: Decimal) -> None:
        assets = balances.setdefault(venue, {})
        assets[asset] = assets.get(asset, ZERO) + change

    for row in csv.DictReader(io.StringIO(fills_csv)):
        base, quote = row["symbol"].split("/")
        quantity, price = Decimal(row["quantity"]), Decimal(row["price"])
        sign = 1 if row["side"] == "buy" else -1
        add(row["venue"], base, sign * quantity)
        add(row["venue"], quote, -sign * price * quantity)
        add(row["venue"], row["fee_asset"], -Decimal(row["fee"]))
    for row in csv.DictReader(io.StringIO(transfers_csv)):
        if row["state"] not in ("requested", "cancelled"):
            add(row["from_venue"], row["asset"], -(Decimal(row["amount"]) + Decimal(row["fee"])))
        if row["credited_at"]:
            add(row["to_venue"], row["asset"], Decimal(row["amount"]))
    return balances


def as_text(balances: dict) -> dict[str, dict[str, str]]:
    """Balances as exact values, comparable with a ``--json`` summary's (which prints decimal text)."""
    return {venue: {asset: Decimal(amount).normalize() for asset, amount in assets.items()}
            for venue, assets in balances.items()}
