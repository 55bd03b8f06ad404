"""Realised volatility per symbol, and the adaptive minimum net spread it sets.

The symbol's mid (the median of its usable venues' mids) is sampled every ``vol_sample_s`` engine
seconds; realised volatility is the standard deviation of the log returns between samples over the
last ``vol_window_s``, in bps per sample. The minimum net spread an opportunity must clear is then

    threshold = min(threshold_max_bps, threshold_bps + vol_multiplier * volatility_bps)

so a volatile market, where prices move further while legs are in flight, needs a larger edge.
Until three samples exist the volatility reads 0 and the threshold is the base.
"""

from __future__ import annotations

import math
from collections import deque


class RealisedVolatility:
    """Sampled mids of one symbol over a rolling window, and their realised volatility."""

    __slots__ = ("sample_s", "_returns", "_last_price", "_last_time", "_sum", "_sum_sq", "_since_exact")

    def __init__(self, window_s: float, sample_s: float) -> None:
        self.sample_s = sample_s
        self._returns: deque[float] = deque(maxlen=max(2, int(round(window_s / sample_s))))
        self._last_price = math.nan
        self._last_time = -math.inf
        self._sum = 0.0
        self._sum_sq = 0.0
        self._since_exact = 0  # running sums drift by rounding: recomputed once per window

    def is_due(self, now: float) -> bool:
        """Return True when a new sample should be taken."""
        return now - self._last_time >= self.sample_s

    def sample(self, now: float, price: float) -> None:
        """Record the mid at ``now``; NaN or non-positive prices are skipped (no return across a gap)."""
        if not (price > 0 and math.isfinite(price)):
            self._last_price = math.nan
            self._last_time = now
            return
        if self._last_price > 0:
            # A sample after a long gap (an outage) spans more than one interval: scale it to one.
            intervals = max(1.0, (now - self._last_time) / self.sample_s)
            value = math.log(price / self._last_price) / math.sqrt(intervals)
            if len(self._returns) == self._returns.maxlen:
                old = self._returns[0]
                self._sum -= old
                self._sum_sq -= old * old
            self._returns.append(value)
            self._sum += value
            self._sum_sq += value * value
            self._since_exact += 1
            if self._since_exact >= self._returns.maxlen:
                self._since_exact = 0
                self._sum = math.fsum(self._returns)
                self._sum_sq = math.fsum(r * r for r in self._returns)
        self._last_price = price
        self._last_time = now

    @property
    def samples(self) -> int:
        return len(self._returns)

    def volatility_bps(self) -> float:
        """Return the standard deviation of the sampled returns, in bps per sample (0 before 3)."""
        n = len(self._returns)
        if n < 3:
            return 0.0
        mean = self._sum / n
        variance = max(0.0, (self._sum_sq - n * mean * mean) / (n - 1))
        return math.sqrt(variance) * 10_000.0


def adaptive_threshold_bps(base_bps: float, multiplier: float, volatility_bps: float, max_bps: float) -> float:
    """Return the minimum net spread for a symbol: the base plus multiplier x volatility, capped."""
    vol = volatility_bps if math.isfinite(volatility_bps) and volatility_bps > 0 else 0.0
    return min(max_bps, base_bps + multiplier * vol) if max_bps >= base_bps else base_bps
