"""The execution interface: what any venue connection (paper or live) offers the engine."""

from __future__ import annotations

from typing import Protocol

from octo_desktop.domain.fills import OrderRequest, OrderResult


class ExecutionClient(Protocol):
    """Send one order to one venue and return what the venue did with it."""

    async def place_order(self, request: OrderRequest) -> OrderResult:
        """Send ``request``; return its fills (possibly partial) or the venue's refusal."""

    def set_config(self, config) -> None:
        """Adopt new trading rules (tick, lot, minimum notional, fees) a venue reported."""
