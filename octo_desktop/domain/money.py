"""The one place a market float becomes ledger money: exact decimals from floats, and cent rounding.

Market data (prices, sizes, VWAPs, marks) are float64; balances, fees and P&L are ``Decimal``. A float
enters the ledger through ``exact``: the decimal of its shortest representation (``repr``), which is the
number a trader reads, not the binary float's expansion (``Decimal(0.1)`` is 0.1000000000000000055...).
"""

from __future__ import annotations

from decimal import Decimal

CENT = Decimal("0.01")


def exact(value: float | Decimal) -> Decimal:
    """Return ``value`` as an exact Decimal (a float through its shortest representation; NaN stays NaN)."""
    return value if isinstance(value, Decimal) else Decimal(repr(float(value)))


def cents(value: Decimal) -> Decimal:
    """Return ``value`` rounded to the cent (half to even), for amounts shown or compared in the quote asset."""
    return value.quantize(CENT)


def notional(quantity: Decimal, price: float) -> Decimal:
    """Return ``quantity`` times the market price ``price``, exactly (price through ``exact``)."""
    return quantity * exact(price)
