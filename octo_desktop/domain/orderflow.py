"""Order flow per venue and symbol, and the short-horizon direction it points to.

Readings, over a rolling window of ``flow_window_s`` engine seconds:

- book imbalance: ``(bid size - ask size) / (bid size + ask size)`` over the top N levels of each side,
  in [-1, 1]; positive when more size waits to buy than to sell.
- cumulative volume delta (CVD): aggressive buy volume minus aggressive sell volume (base units) in the
  window; ``trade_flow`` is CVD over total volume, in [-1, 1].
- VWAP drift: the window's trade VWAP minus the current mid, in bps; positive when trades have been
  printing above the mid (buyers paying up).
- direction: ``0.3 * imbalance + 0.4 * trade_flow + 0.3 * clip(drift / drift_scale_bps, -1, 1)``, in
  [-1, 1]: the venue's estimate of where its price goes next. Trades weigh most because they are paid
  for; the resting book can be spoofed, so it weighs least together with drift.

Across venues, the aggregate direction is the mean of the venues' directions weighted by
``1 + window volume / mean window volume`` (busier venues count more, a quiet venue still counts).

The arbitrage score's order-flow factor (see ``signals``) takes the two legs' directions and the
aggregate: selling pressure where we buy and buying pressure where we sell help; a market running
hard one way (|aggregate| near 1) decays the edge while the legs are in flight.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from typing import Iterable

BUY = "buy"

W_IMBALANCE = 0.3
W_FLOW = 0.4
W_DRIFT = 0.3


@dataclass(frozen=True, slots=True)
class FlowReading:
    """One venue's order flow for one symbol at one instant."""

    book_imbalance: float
    cvd: float  # base units, window
    trade_flow: float
    volume: float  # base units traded in the window
    vwap_drift_bps: float  # NaN without trades in the window
    direction: float


def book_imbalance(bid_size: float, ask_size: float) -> float:
    """Return (bid - ask) / (bid + ask) in [-1, 1]; 0 when both are empty."""
    total = bid_size + ask_size
    return (bid_size - ask_size) / total if total > 0 else 0.0


def clip(value: float, low: float = -1.0, high: float = 1.0) -> float:
    """Clamp ``value`` to [low, high]; NaN becomes 0."""
    if value != value:
        return 0.0
    return low if value < low else high if value > high else value


def direction(imbalance: float, trade_flow: float, drift_bps: float, drift_scale_bps: float) -> float:
    """Combine the three readings into one direction estimate in [-1, 1]."""
    drift = clip(drift_bps / drift_scale_bps) if math.isfinite(drift_bps) else 0.0
    return clip(W_IMBALANCE * clip(imbalance) + W_FLOW * clip(trade_flow) + W_DRIFT * drift)


def aggregate_direction(readings: Iterable[FlowReading]) -> float:
    """Return the volume-weighted mean direction of several venues' readings (0 without readings)."""
    readings = list(readings)
    if not readings:
        return 0.0
    mean_volume = sum(r.volume for r in readings) / len(readings)
    total = weighted = 0.0
    for r in readings:
        weight = 1.0 + (r.volume / mean_volume if mean_volume > 0 else 0.0)
        total += weight
        weighted += weight * r.direction
    return clip(weighted / total)


class TradeFlow:
    """Aggressor trades of one venue and symbol over a rolling window, with running sums."""

    __slots__ = ("window_s", "_trades", "_buy", "_sell", "_notional", "session_cvd")

    def __init__(self, window_s: float) -> None:
        self.window_s = window_s
        self._trades: deque[tuple[float, float, float]] = deque()  # (time, signed quantity, notional)
        self._buy = 0.0
        self._sell = 0.0
        self._notional = 0.0
        self.session_cvd = 0.0  # since the engine started, for display

    def add(self, time: float, side: str, price: float, quantity: float) -> None:
        """Record one aggressor trade (``side`` "buy" lifts asks, "sell" hits bids)."""
        if not (quantity > 0 and price > 0 and math.isfinite(price) and math.isfinite(quantity)):
            return
        signed = quantity if side == BUY else -quantity
        self._trades.append((time, signed, price * quantity))
        if signed > 0:
            self._buy += quantity
        else:
            self._sell += quantity
        self._notional += price * quantity
        self.session_cvd += signed

    def traded(self, side: str, since: float, until: float, limit: float) -> float:
        """Return the quantity aggressors of ``side`` took in (``since``, ``until``] at prices no worse for a
        taker of ``side`` than ``limit`` (a buyer: at or under it), each trade's price its notional / size."""
        total = 0.0
        for time, signed, notional in reversed(self._trades):
            if time <= since:
                break
            if time > until or (signed > 0) != (side == BUY):
                continue
            quantity = abs(signed)
            price = notional / quantity
            if (price <= limit) if side == BUY else (price >= limit):
                total += quantity
        return total

    def expire(self, now: float) -> None:
        """Drop trades older than the window."""
        horizon = now - self.window_s
        trades = self._trades
        while trades and trades[0][0] < horizon:
            _, signed, notional = trades.popleft()
            if signed > 0:
                self._buy -= signed
            else:
                self._sell += signed
            self._notional -= notional
        if not trades:  # re-zero, so float residue never accumulates
            self._buy = self._sell = self._notional = 0.0

    @property
    def buy_volume(self) -> float:
        return self._buy

    @property
    def sell_volume(self) -> float:
        return self._sell

    def reading(self, now: float, bid_size: float, ask_size: float, mid: float,
                drift_scale_bps: float) -> FlowReading:
        """Return the reading at ``now`` given the top-N book sizes and the mid."""
        self.expire(now)
        volume = self._buy + self._sell
        cvd = self._buy - self._sell
        flow = cvd / volume if volume > 0 else 0.0
        drift = math.nan
        if volume > 0 and mid > 0:
            drift = (self._notional / volume - mid) / mid * 10_000.0
        imbalance = book_imbalance(bid_size, ask_size)
        return FlowReading(imbalance, cvd, flow, volume, drift,
                           direction(imbalance, flow, drift, drift_scale_bps))
