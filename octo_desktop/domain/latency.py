"""Order latency per venue: the distribution orders are delayed by, and the adaptive timeout.

In the simulated market and in replays a venue's order latency is lognormal, fitted to the configured
median and 95th percentile. In live mode it is learned: each order's delay is drawn from the venue's
own recently measured latencies (bootstrap), falling back to the configured distribution until
enough have been measured. The adaptive timeout of a venue is ``factor x p95`` of its recent order
latencies, clamped to ``[minimum, maximum]`` seconds.
"""

from __future__ import annotations

import math
import random
from collections import deque
from dataclasses import dataclass

Z95 = 1.6448536269514722  # the standard normal's 95th percentile


@dataclass(frozen=True, slots=True)
class TimeoutPolicy:
    """How a venue's timeout follows its latency: factor x p95, clamped to [minimum_s, maximum_s]."""

    factor: float = 2.0
    minimum_s: float = 3.0
    maximum_s: float = 15.0


def adaptive_timeout_s(p95_ms: float, policy: TimeoutPolicy = TimeoutPolicy()) -> float:
    """Return the timeout for a venue whose recent p95 latency is ``p95_ms`` (NaN: the maximum)."""
    if not math.isfinite(p95_ms):
        return policy.maximum_s
    return min(policy.maximum_s, max(policy.minimum_s, policy.factor * p95_ms / 1000.0))


def percentile(values, q: float) -> float:
    """Return the ``q``-th percentile (0..100) of ``values`` by linear interpolation; NaN if empty."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    position = (len(ordered) - 1) * q / 100.0
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


class LatencyWindow:
    """The last ``size`` latencies measured for one venue, in milliseconds."""

    __slots__ = ("samples",)

    def __init__(self, size: int = 200) -> None:
        self.samples: deque[float] = deque(maxlen=size)

    def add(self, latency_ms: float) -> None:
        """Record one measured latency (non-finite or negative values are ignored)."""
        if math.isfinite(latency_ms) and latency_ms >= 0:
            self.samples.append(latency_ms)

    def __len__(self) -> int:
        return len(self.samples)

    def p95_ms(self) -> float:
        return percentile(self.samples, 95.0)

    def median_ms(self) -> float:
        return percentile(self.samples, 50.0)


class LatencyModel:
    """Draw order latencies for one venue: configured lognormal, or learned from measurements."""

    def __init__(self, median_ms: float, p95_ms: float, *, learned: bool = False, min_samples: int = 20,
                 window: LatencyWindow | None = None) -> None:
        if not (0 < median_ms <= p95_ms):
            raise ValueError(f"need 0 < median ({median_ms}) <= p95 ({p95_ms})")
        self.median_ms = median_ms
        self.p95_ms = p95_ms
        self._mu = math.log(median_ms / 1000.0)
        self._sigma = math.log(p95_ms / median_ms) / Z95
        self.learned = learned
        self.min_samples = min_samples
        self.window = window if window is not None else LatencyWindow()

    @property
    def is_learned(self) -> bool:
        """Whether draws come from measured latencies (live mode with enough measurements)."""
        return self.learned and len(self.window) >= self.min_samples

    def sample_s(self, rng: random.Random) -> float:
        """Return one order latency in seconds."""
        if self.is_learned:
            return self.window.samples[rng.randrange(len(self.window.samples))] / 1000.0
        return rng.lognormvariate(self._mu, self._sigma)

    def expected_p95_ms(self) -> float:
        """Return the p95 the model currently draws from."""
        return self.window.p95_ms() if self.is_learned else self.p95_ms
