"""The rule advisor: deterministic, offline, instant; the default, and the fallback for the others.

Rules, first match wins (``brief`` is the ``OpportunityBrief``):

1. Learning from results: if the route's last ``LOSING_STREAK`` traded outcomes in the brief all lost
   money, SKIP ("the route lost on its last 3 advised trades").
2. Adverse flow: if the order-flow part of the score is at most ``ADVERSE_FLOW``, WAIT (flow runs
   against both legs; the spread may close before the legs land).
3. Fake liquidity: if either leg's book had suspect (spoof-like) depth discounted, or the venue shows
   ``SPOOF_EVENTS`` or more recent spoofing events, EXECUTE at half the notional.
4. A recent record of losses on any route (mean realized bps of the last traded outcomes below zero,
   with at least ``MIN_HISTORY`` of them): EXECUTE at half the notional.
5. Otherwise EXECUTE at full size.

Confidence is the composite score for EXECUTE and a fixed value for the cautious verdicts. The rule
advisor never raises: it is what the engine falls back to.
"""

from __future__ import annotations

import time

from octo_desktop.advisor.base import Consultation
from octo_desktop.domain.advice import EXECUTE, SKIP, WAIT, Advice, OpportunityBrief

LOSING_STREAK = 3
ADVERSE_FLOW = 0.2
SPOOF_EVENTS = 3
MIN_HISTORY = 5


class RuleAdvisor:
    """Decide from the brief alone, with fixed rules (see the module docstring)."""

    name = "rule"
    model = "rules"
    is_remote = False

    def advise(self, brief: OpportunityBrief) -> Consultation:
        """Return the rules' advice for ``brief``."""
        started = time.perf_counter()
        advice = decide(brief)
        return Consultation(advice, self.name, self.model, (time.perf_counter() - started) * 1000.0)

    def close(self) -> None:
        """Nothing to release."""


def decide(brief: OpportunityBrief) -> Advice:
    """Apply the rules to ``brief``."""
    route = [o for o in brief.recent if (o.symbol, o.buy_venue, o.sell_venue) == brief.route
             and o.realized_bps is not None]
    streak = route[:LOSING_STREAK]
    if len(streak) == LOSING_STREAK and all(o.realized_bps < 0 for o in streak):
        mean = sum(o.realized_bps for o in streak) / LOSING_STREAK
        return Advice(SKIP, 0.7, f"route lost on its last {LOSING_STREAK} advised trades "
                                 f"(mean {mean:+.1f} bps)")
    flow = dict(brief.parts).get("order_flow", 0.5)
    if flow <= ADVERSE_FLOW:
        return Advice(WAIT, 0.6, f"order flow runs against both legs (factor {flow:.2f})")
    half = brief.notional_usdt / 2.0
    for leg in (brief.buy, brief.sell):
        if leg.discounted_depth or leg.spoof_events >= SPOOF_EVENTS:
            return Advice(EXECUTE, round(brief.score, 3),
                          f"spoofing on {leg.venue} ({leg.spoof_events} recent): half size", half)
    traded = [o.realized_bps for o in brief.recent if o.realized_bps is not None]
    if len(traded) >= MIN_HISTORY and sum(traded) / len(traded) < 0:
        return Advice(EXECUTE, round(brief.score, 3),
                      f"recent advised trades lost {sum(traded) / len(traded):+.1f} bps on average: half size",
                      half)
    return Advice(EXECUTE, round(brief.score, 3),
                  f"net {brief.net_bps:.1f} bps over a {brief.threshold_bps:.1f} bps threshold, "
                  f"score {brief.score:.2f}")
