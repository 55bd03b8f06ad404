"""Presets of the simulated market's competition: who else trades the dislocations, and how fast.

A preset fills in the ``[simulation]`` competitor keys; any of those keys written in the config file or
with ``--set`` wins over the preset. ``off`` is the market without competitors: every dislocation lives
its natural life and an order 20-110 ms late always finds it, so arbitrage looks like free money there;
it is kept for comparison and to reproduce runs from before competitors existed.

A swept venue's market makers requote once they are picked off: a competitor leg that fills its whole
size against the sweep closes ``competitor_impact`` of what is left of it (a partial fill, that share
of it), or as much as it walked the book if that is more. After a race a competitor leaves that symbol
alone for ``competitor_cooldown_s`` (it books its fills, rebalances and rechecks its risk), so a sweep
closes in steps: the fastest class takes the first bite, the next class the next. How much is left when
an order lands therefore falls with its latency, which is what makes speed earn.

What the others assume (latencies are from a venue's publication to the competitor's order at a
venue, one way, medians; each competitor draws its own per venue around them):

- ``calm``: no co-located firm on these pairs; one bot in the venue's cloud region (20 ms) and two
  retail-grade bots (120 ms). Octo at its configured 20-110 ms wins the races the regional bot does
  not run.
- ``normal``: one co-located professional (3 ms, paying 2 bps a leg and racing for 3 bps net),
  two regional bots and three retail-grade ones; each trades half of the routes, a fill closes 40 % of
  a sweep and each races a symbol at most once per 0.1 s. Octo at its default 20-110 ms finds about
  half to a third of a sweep left: the fat ones still pay, the thin ones do not. Calibrated with
  ``python -m benchmarks.competition`` so that realized P&L falls as Octo's latency rises.
- ``competitive``: five professionals at 1 ms paying 1 bp and racing for 1.5 bps net, five regional
  bots at 10 ms, five retail-grade at 60 ms, all racing for 90 %: what a liquid major pair looks like.
"""

from __future__ import annotations

from typing import Any

from octo_desktop.config.schema import SimulationConfig

# The keys a preset sets; "normal" is the typed defaults themselves (config/schema.py).
KEYS = ("fast_competitors", "fast_latency_ms", "medium_competitors", "medium_latency_ms", "slow_competitors",
        "slow_latency_ms", "competitor_fee_bps", "competitor_edge_bps", "competitor_participation",
        "competitor_max_notional_usdt", "competitor_impact", "competitor_cooldown_s",
        "informed_moves_per_minute", "stale_quotes_per_minute")
_NORMAL = SimulationConfig()

PRESETS: dict[str, dict[str, Any]] = {
    "off": {"fast_competitors": 0, "medium_competitors": 0, "slow_competitors": 0,
            "informed_moves_per_minute": 0.0, "stale_quotes_per_minute": 0.0},
    "calm": {"fast_competitors": 0, "medium_competitors": 1, "slow_competitors": 2,
             "fast_latency_ms": 3.0, "medium_latency_ms": 20.0, "slow_latency_ms": 120.0,
             "competitor_fee_bps": 5.0, "competitor_edge_bps": 5.0, "competitor_participation": 0.5,
             "competitor_max_notional_usdt": 10_000.0, "competitor_impact": 0.3, "competitor_cooldown_s": 0.5,
             "informed_moves_per_minute": 0.2, "stale_quotes_per_minute": 0.3},
    "normal": {key: getattr(_NORMAL, key) for key in KEYS},
    "competitive": {"fast_competitors": 5, "medium_competitors": 5, "slow_competitors": 5,
                    "fast_latency_ms": 1.0, "medium_latency_ms": 10.0, "slow_latency_ms": 60.0,
                    "competitor_fee_bps": 1.0, "competitor_edge_bps": 1.5, "competitor_participation": 0.9,
                    "competitor_max_notional_usdt": 100_000.0, "competitor_impact": 0.6, "competitor_cooldown_s": 0.02,
                    "informed_moves_per_minute": 0.8, "stale_quotes_per_minute": 0.8},
}
