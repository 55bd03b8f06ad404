"""The execution interface: what any venue connection (paper or live) offers the engine."""

from __future__ import annotations

from typing import Protocol

from octo_desktop.domain.fills import OrderRequest, OrderResult


class ExecutionClient(Protocol):
    """Send orders to venues, cancel resting ones, and say what became of an order after a crash."""

    async def place_order(self, request: OrderRequest) -> OrderResult:
        """Send ``request``; return when it is done: its fills (possibly partial) or the venue's refusal.

        A post-only order returns when it has filled, expired (``request.expires_at``) or been cancelled.
        """

    async def recover_order(self, request: OrderRequest) -> OrderResult:
        """Return what became of an order sent before a crash whose result was never recorded."""

    def cancel_all(self, reason: str) -> int:
        """Cancel every resting order (their partial fills stand); return how many were cancelled."""

    def on_market_event(self, event) -> None:
        """Observe a market event the engine has applied (public trades fill resting paper orders)."""

    def observe_latency(self, venue: str, latency_ms: float) -> None:
        """Record a round-trip latency measured on the venue's market-data connection."""

    def latency_p95_ms(self, venue: str) -> float:
        """Return the p95 order latency the venue is expected to have (ms)."""

    def set_config(self, config) -> None:
        """Adopt new trading rules (tick, lot, minimum notional, fees) a venue reported."""

    @property
    def resting_count(self) -> int:
        """Return how many orders rest on the venues (post-only orders waiting for a fill)."""
