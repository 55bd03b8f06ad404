"""Execution quality per venue, measured from the orders every desk sends: latency, fill ratio, timeout.

Desks report each order result (``record``); the risk rules (venue health), the adaptive timeouts
and the arbitrage score read the measurements back. Until a venue has a few measured orders, the
configured latency (or what the execution client expects) stands in.
"""

from __future__ import annotations

from collections import deque

from octo_desktop.domain import signals
from octo_desktop.domain.fills import OrderResult
from octo_desktop.domain.latency import LatencyWindow, TimeoutPolicy, adaptive_timeout_s
from octo_desktop.domain.model import HEDGE_PURPOSES

VENUE_STATS_WINDOW = 50
PRIOR_LEGS = 5


class VenueStats:
    """Observed execution quality of one venue: fill ratio and latency of recent legs."""

    def __init__(self, prior_latency_ms: float, prior_p95_ms: float, window: int) -> None:
        self.fill_ratios: deque[float] = deque(maxlen=VENUE_STATS_WINDOW)
        self.latencies = LatencyWindow(window)  # measured order latencies: the adaptive timeout's input
        self.prior_latency_ms = prior_latency_ms
        self.prior_p95_ms = prior_p95_ms

    @property
    def latencies_ms(self) -> deque[float]:
        return self.latencies.samples

    @property
    def p95_ms(self) -> float:
        """The p95 of recent order latencies, or the configured p95 until a few legs were measured."""
        if len(self.latencies) < PRIOR_LEGS:
            return self.prior_p95_ms
        return self.latencies.p95_ms()

    @property
    def fill_ratio(self) -> float:
        return (sum(self.fill_ratios) + PRIOR_LEGS) / (len(self.fill_ratios) + PRIOR_LEGS)

    @property
    def median_latency_ms(self) -> float:
        if len(self.latencies) < PRIOR_LEGS:
            return self.prior_latency_ms
        return self.latencies.median_ms()


class ExecutionQuality:
    """Every venue's measured order latency and fill ratio, and the timeouts and quality scores they give."""

    def __init__(self, config, execution) -> None:
        ex = config.execution
        self.stats = {v: VenueStats(config.venues[v].latency_ms_median, config.venues[v].latency_ms_p95,
                                    ex.latency_window) for v in config.venue_names}
        self._timeout_policy = TimeoutPolicy(ex.timeout_factor, ex.timeout_min_s, ex.timeout_max_s)
        self._latency_scale_ms = config.strategy.latency_scale_ms
        self._execution = execution

    def record(self, result: OrderResult) -> None:
        """Learn from one order result (hedging legs only: an unwind at market says little of a venue)."""
        request = result.request
        if request.purpose in HEDGE_PURPOSES and result.status not in ("lost",):
            stats = self.stats[request.venue]
            if result.latency_ms > 0:
                stats.latencies.add(result.latency_ms)
            stats.fill_ratios.append(float(result.filled_quantity / request.quantity))

    def latency_p95_ms(self, venue: str) -> float:
        """Return the venue's p95 order latency: measured legs, else what the executor expects."""
        stats = self.stats[venue]
        if len(stats.latencies) >= PRIOR_LEGS or self._execution is None:
            return stats.p95_ms
        return self._execution.latency_p95_ms(venue)

    def timeout_s(self, venue: str) -> float:
        """Return the venue's adaptive timeout: 2 x p95 latency, clamped (see ``domain.latency``)."""
        return adaptive_timeout_s(self.latency_p95_ms(venue), self._timeout_policy)

    def fill_ratio(self, venue: str) -> float:
        return self.stats[venue].fill_ratio

    def quality(self, venue: str) -> float:
        """Return the venue's execution quality in [0, 1] from its fill ratio and median latency."""
        stats = self.stats[venue]
        return signals.venue_quality(stats.fill_ratio, stats.median_latency_ms, self._latency_scale_ms)
