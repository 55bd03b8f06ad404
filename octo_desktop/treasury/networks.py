"""Withdrawal networks: what moving an asset from one venue to another costs, and how long it takes. Pure.

A *chain* is what every venue shares (its block time, and how many confirmations venues wait before a
deposit is credited for trading and before it can be withdrawn again: two thresholds, as exchanges
report them, OKX's ``minDepArrivalConfirm`` / ``minWdUnlockConfirm`` for instance). A *network* is one
venue's withdrawal route for one asset on one chain: its fee (fixed, plus a share of the amount), its
minimum, whether withdrawals and deposits are open, and where those figures came from.

A transfer can use a chain when the source venue withdraws the asset on it and the destination accepts
deposits of it there. Among those, Octo picks the one with the lowest cost: the fee, valued in the quote
asset, plus the carry of the amount while it is in flight (what the funds would earn trading, per hour),
as in ``fee + carry * confirmations * block time``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from decimal import ROUND_UP, Decimal
from typing import Iterable, Mapping

AMOUNT_QUANTUM = Decimal("0.00000001")  # fees are rounded up to this, in the asset withdrawn
HOUR = 3600.0


@dataclass(frozen=True, slots=True)
class Chain:
    """A blockchain as venues see it: block time and the confirmations they wait for."""

    name: str  # "BTC", "ERC20", "TRC20", "BEP20", "SOL", "ARBITRUM"
    block_time_s: float
    credit_confirmations: int  # until a deposit is credited for trading
    unlock_confirmations: int  # until it can be withdrawn again (>= credit)
    random_blocks: bool = False  # proof of work: blocks arrive as a Poisson process, not on a beat

    def __post_init__(self) -> None:
        if not (math.isfinite(self.block_time_s) and self.block_time_s > 0):
            raise ValueError(f"{self.name}: the block time must be positive, got {self.block_time_s}")
        if not 1 <= self.credit_confirmations <= self.unlock_confirmations:
            raise ValueError(f"{self.name}: needs 1 <= credit confirmations <= unlock confirmations, got "
                             f"{self.credit_confirmations} and {self.unlock_confirmations}")

    def seconds_to(self, confirmations: int) -> float:
        """Expected seconds from broadcast to ``confirmations`` blocks."""
        return confirmations * self.block_time_s


@dataclass(frozen=True, slots=True)
class Network:
    """One venue's route for one asset on one chain."""

    venue: str
    asset: str
    chain: Chain
    fee: Decimal  # fixed, in the asset
    fee_share: Decimal  # of the amount (0.001 = 0.1 %)
    minimum: Decimal  # smallest withdrawal, in the asset
    withdraw_enabled: bool
    deposit_enabled: bool
    source: str  # where the fee and limits came from: "built-in, 2026-12", "config", "ccxt ..."

    def fee_for(self, amount: Decimal) -> Decimal:
        """The withdrawal fee for ``amount``, rounded up to ``AMOUNT_QUANTUM``."""
        fee = self.fee + self.fee_share * amount
        return fee.quantize(AMOUNT_QUANTUM, rounding=ROUND_UP)


@dataclass(frozen=True, slots=True)
class RouteQuote:
    """One chain a transfer could use, what it costs and why it cannot be used (``refused``)."""

    chain: str
    fee: Decimal  # in the asset, taken from the source on top of the amount
    fee_quote: Decimal  # the fee valued in the quote asset
    carry_quote: Decimal  # the carry of the amount while it is in flight, in the quote asset
    seconds_to_credit: float  # expected: the source's processing time, then the credit confirmations
    seconds_to_unlock: float
    refused: str = ""  # empty when usable

    @property
    def cost_quote(self) -> Decimal:
        """What choosing it costs: the fee and the carry, in the quote asset."""
        return self.fee_quote + self.carry_quote

    @property
    def usable(self) -> bool:
        return not self.refused


class TransferRefused(ValueError):
    """A transfer that cannot be made; the message is one clear line saying why."""


def quote_routes(asset: str, amount: Decimal, source: Mapping[str, Network], destination: Mapping[str, Network],
                 price: float, carry_bps_per_hour: float, processing_s: float) -> list[RouteQuote]:
    """Quote every chain the source withdraws ``asset`` on: usable ones by cost, then the refused ones.

    ``source`` and ``destination`` map a chain name to that venue's network for ``asset``; ``price`` is
    the asset in the quote asset; ``processing_s`` the source's expected time before it broadcasts.
    """
    if not amount > 0:
        raise TransferRefused(f"the amount must be positive, got {amount}")
    if not (math.isfinite(price) and price > 0):
        raise TransferRefused(f"no price for {asset}: cannot value the transfer's fee and carry")
    price_exact = Decimal(repr(price))
    quotes = []
    for name in sorted(source):
        network = source[name]
        chain = network.chain
        fee = network.fee_for(amount)
        fee_quote = fee * price_exact
        seconds = processing_s + chain.seconds_to(chain.credit_confirmations)
        unlock = processing_s + chain.seconds_to(chain.unlock_confirmations)
        carry = amount * price_exact * Decimal(repr(carry_bps_per_hour)) / Decimal(10_000) \
            * Decimal(repr(seconds / HOUR))
        quotes.append(RouteQuote(name, fee, fee_quote, carry, seconds, unlock,
                                 _refusal(network, destination.get(name), amount)))
    quotes.sort(key=lambda q: (not q.usable, q.cost_quote, q.seconds_to_credit, q.chain))
    return quotes


def _refusal(network: Network, arrival: Network | None, amount: Decimal) -> str:
    where = f"{network.asset} on {network.chain.name}"
    if not network.withdraw_enabled:
        return f"{network.venue} has withdrawals of {where} disabled"
    if arrival is None:
        return f"{network.venue}'s {where} cannot be deposited: the destination has no {network.chain.name} route"
    if not arrival.deposit_enabled:
        return f"{arrival.venue} has deposits of {where} disabled"
    if amount < network.minimum:
        return f"{amount:f} {network.asset} is below {network.venue}'s {network.chain.name} minimum of " \
               f"{plain(network.minimum)}"
    if network.fee_for(amount) >= amount:
        return f"the {network.chain.name} fee of {network.fee_for(amount):f} {network.asset} is not less than " \
               f"the amount"
    return ""


def wallet_networks(venue_networks: Iterable[Mapping[str, Network]], wallet: str) -> dict[str, Network]:
    """The central wallet's routes for one asset: every chain some venue offers, at the lowest fee any venue
    charges on it (a self-custody wallet pays the chain, not a venue's margin), with no minimum, always open."""
    chains: dict[str, Network] = {}
    for networks in venue_networks:
        for name, network in networks.items():
            best = chains.get(name)
            if best is None or network.fee < best.fee:
                chains[name] = replace(network, venue=wallet, minimum=Decimal(0), fee_share=Decimal(0),
                                       withdraw_enabled=True, deposit_enabled=True,
                                       source=f"the lowest venue fee on {name}")
    return chains


def plain(amount: Decimal) -> str:
    """An amount as the trader writes it: ``10``, ``0.002`` (no exponent, no trailing zeros)."""
    text = format(amount.normalize(), "f")
    return text


def choose_route(asset: str, amount: Decimal, source: Mapping[str, Network], destination: Mapping[str, Network],
                 price: float, carry_bps_per_hour: float, processing_s: float,
                 chain: str | None = None) -> tuple[RouteQuote, list[RouteQuote]]:
    """Return the cheapest usable route (or the named ``chain``) and every quote, or raise TransferRefused."""
    if not source:
        raise TransferRefused(f"the source venue has no withdrawal network for {asset}")
    quotes = quote_routes(asset, amount, source, destination, price, carry_bps_per_hour, processing_s)
    if chain is not None:
        named = [q for q in quotes if q.chain == chain]
        if not named:
            raise TransferRefused(f"no {chain} network for {asset} on the source venue "
                                  f"(it has {', '.join(sorted(source))})")
        if named[0].refused:
            raise TransferRefused(named[0].refused)
        return named[0], quotes
    if not quotes[0].usable:
        reasons = "; ".join(q.refused for q in quotes)
        raise TransferRefused(f"no network can carry {amount:f} {asset}: {reasons}")
    return quotes[0], quotes
