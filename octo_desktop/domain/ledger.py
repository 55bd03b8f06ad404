"""Per-venue balances in exact arithmetic, with reservations for orders in flight."""

from __future__ import annotations

from decimal import Decimal
from typing import Iterable, Mapping

from octo_desktop.domain.model import BUY, Fill

ZERO = Decimal(0)


class InsufficientBalance(ValueError):
    """A reservation asked for more than the venue's available balance."""


class Ledger:
    """Balances per venue and asset; every change comes from a fill or a transfer."""

    def __init__(self, balances: Mapping[str, Mapping[str, Decimal]]) -> None:
        self._balances: dict[str, dict[str, Decimal]] = {
            venue: {asset: Decimal(amount) for asset, amount in assets.items()}
            for venue, assets in balances.items()
        }
        self._reservations: dict[object, list[tuple[str, str, Decimal]]] = {}

    def balance(self, venue: str, asset: str) -> Decimal:
        """Return the venue's balance of ``asset``."""
        return self._balances.get(venue, {}).get(asset, ZERO)

    def reserved(self, venue: str, asset: str) -> Decimal:
        """Return how much of ``asset`` on ``venue`` is held for orders in flight."""
        return sum((amount for entries in self._reservations.values()
                    for v, a, amount in entries if v == venue and a == asset), ZERO)

    def available(self, venue: str, asset: str) -> Decimal:
        """Return the balance not held for orders in flight."""
        return self.balance(venue, asset) - self.reserved(venue, asset)

    def reserve(self, key: object, venue: str, asset: str, amount: Decimal) -> None:
        """Hold ``amount`` of ``asset`` on ``venue`` under ``key``, or raise InsufficientBalance."""
        available = self.available(venue, asset)
        if amount > available:
            raise InsufficientBalance(f"insufficient {asset} on {venue}: need {amount:f}, "
                                      f"available {available:f}")
        self._reservations.setdefault(key, []).append((venue, asset, amount))

    def release(self, key: object) -> None:
        """Drop every hold made under ``key``."""
        self._reservations.pop(key, None)

    def apply(self, fill: Fill) -> None:
        """Move the assets of one fill: base and quote in opposite directions, then the fee."""
        assets = self._balances.setdefault(fill.venue, {})
        base, quote = fill.base, fill.quote
        notional = fill.price * fill.quantity
        if fill.side == BUY:
            assets[quote] = assets.get(quote, ZERO) - notional
            assets[base] = assets.get(base, ZERO) + fill.quantity
        else:
            assets[base] = assets.get(base, ZERO) - fill.quantity
            assets[quote] = assets.get(quote, ZERO) + notional
        assets[fill.fee_asset] = assets.get(fill.fee_asset, ZERO) - fill.fee

    def move_out(self, venue: str, asset: str, amount: Decimal) -> None:
        """Take ``amount`` of ``asset`` off ``venue``: a withdrawal's amount and fee (treasury)."""
        assets = self._balances.setdefault(venue, {})
        assets[asset] = assets.get(asset, ZERO) - amount

    def move_in(self, venue: str, asset: str, amount: Decimal) -> None:
        """Add ``amount`` of ``asset`` to ``venue``: a deposit credited (treasury)."""
        assets = self._balances.setdefault(venue, {})
        assets[asset] = assets.get(asset, ZERO) + amount

    def apply_all(self, fills: Iterable[Fill]) -> None:
        """Apply fills in order."""
        for fill in fills:
            self.apply(fill)

    def balances(self) -> dict[str, dict[str, Decimal]]:
        """Return a copy of venue -> asset -> amount."""
        return {venue: dict(assets) for venue, assets in self._balances.items()}

    def totals(self) -> dict[str, Decimal]:
        """Return asset -> amount summed over venues."""
        totals: dict[str, Decimal] = {}
        for assets in self._balances.values():
            for asset, amount in assets.items():
                totals[asset] = totals.get(asset, ZERO) + amount
        return totals


def asset_changes(fills: Iterable[Fill]) -> dict[str, Decimal]:
    """Return asset -> net change that ``fills`` cause across all venues, fees included."""
    changes: dict[str, Decimal] = {}
    for fill in fills:
        sign = 1 if fill.side == BUY else -1
        changes[fill.base] = changes.get(fill.base, ZERO) + sign * fill.quantity
        changes[fill.quote] = changes.get(fill.quote, ZERO) - sign * fill.price * fill.quantity
        changes[fill.fee_asset] = changes.get(fill.fee_asset, ZERO) - fill.fee
    return changes
