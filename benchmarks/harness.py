"""A small benchmark harness: warm-up, repetitions, medians and spreads, pairs run interleaved.

Every figure the suite reports is a median over repetitions, with its spread (min, max and the
interquartile range), so one slow repetition on a shared machine does not decide it. Competing
implementations run interleaved (A B A B ...), so a drift of the machine (another process, a CPU
frequency change) hits every contender alike and cancels out of their ratios.
"""

from __future__ import annotations

import gc
import statistics
import time
from dataclasses import dataclass, field
from typing import Callable


@dataclass(frozen=True, slots=True)
class Summary:
    """The median and spread of one measurement's repetitions."""

    median: float
    low: float
    high: float
    q1: float
    q3: float
    samples: tuple[float, ...] = field(repr=False)

    def as_dict(self, digits: int = 6) -> dict:
        return {"median": round(self.median, digits), "min": round(self.low, digits),
                "max": round(self.high, digits), "q1": round(self.q1, digits), "q3": round(self.q3, digits),
                "n": len(self.samples)}


def summarise(samples) -> Summary:
    """Return the median, min, max and quartiles of ``samples`` (at least one)."""
    values = sorted(float(v) for v in samples)
    if not values:
        raise ValueError("no samples")
    if len(values) >= 2:
        q1, _, q3 = statistics.quantiles(values, n=4, method="inclusive")
    else:
        q1 = q3 = values[0]
    return Summary(statistics.median(values), values[0], values[-1], q1, q3, tuple(values))


def percentiles(values, points=(50, 99, 99.9)) -> dict[str, float]:
    """Return the given percentiles of ``values`` (nearest-rank on the sorted values)."""
    ordered = sorted(values)
    if not ordered:
        return {f"p{p:g}": float("nan") for p in points}
    result = {}
    for p in points:
        rank = min(len(ordered) - 1, max(0, int(round(p / 100.0 * len(ordered))) - 1))
        result[f"p{p:g}"] = ordered[rank]
    return result


def timed(function: Callable[[], object]) -> float:
    """Return the wall-clock seconds one call of ``function`` takes, with the garbage collector paused."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        started = time.perf_counter()
        function()
        return time.perf_counter() - started
    finally:
        if enabled:
            gc.enable()


def interleaved(contenders: dict[str, Callable[[], object]], repeats: int, warmup: int = 1) -> dict[str, Summary]:
    """Run every contender ``warmup`` times, then in turn ``repeats`` times; return each one's seconds."""
    for _ in range(warmup):
        for function in contenders.values():
            function()
    samples: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(repeats):
        for name, function in contenders.items():
            samples[name].append(timed(function))
    return {name: summarise(values) for name, values in samples.items()}


def repeat(function: Callable[[], object], repeats: int, warmup: int = 1) -> Summary:
    """Run ``function`` ``warmup`` times, then ``repeats`` times; return the seconds per call."""
    return interleaved({"only": function}, repeats, warmup)["only"]
