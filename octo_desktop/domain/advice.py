"""What an advisor is asked about an opportunity, what it answers, and how the answer is applied.

Pure values. The brief carries everything a prompt needs (the opportunity, its score parts, the two
venues' health, volatility, order flow, spoofing and the outcomes of recent advised trades); the
answer is one of three verdicts. ``apply_advice`` is the one place an answer changes a trade, and it
can only make it smaller or stop it: an advisor is never able to trade more than risk allows.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from decimal import Decimal

from octo_desktop.domain.model import OnRoute, Route
from octo_desktop.domain.money import exact

EXECUTE = "EXECUTE"
SKIP = "SKIP"
WAIT = "WAIT"
VERDICTS = (EXECUTE, SKIP, WAIT)
REASON_MAX_CHARS = 200


class InvalidAdvice(ValueError):
    """An answer is not a valid advice (unknown verdict, confidence outside [0, 1], bad size cap)."""


@dataclass(frozen=True, slots=True)
class Advice:
    """An advisor's answer: a verdict, its confidence in [0, 1], a short reason, an optional size cap."""

    verdict: str
    confidence: float
    reason: str
    size_cap_usdt: float | None = None  # the most notional to trade, if the advisor wants less

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise InvalidAdvice(f"verdict must be one of {', '.join(VERDICTS)}, got {self.verdict!r}")
        if not (isinstance(self.confidence, (int, float)) and 0.0 <= self.confidence <= 1.0):
            raise InvalidAdvice(f"confidence must be in [0, 1], got {self.confidence!r}")
        if not isinstance(self.reason, str) or not self.reason.strip():
            raise InvalidAdvice("reason must be a non-empty string")
        if len(self.reason) > REASON_MAX_CHARS:
            object.__setattr__(self, "reason", self.reason[:REASON_MAX_CHARS - 1] + "…")
        cap = self.size_cap_usdt
        if cap is not None and not (isinstance(cap, (int, float)) and math.isfinite(cap) and cap >= 0):
            raise InvalidAdvice(f"size_cap_usdt must be a finite number >= 0 or null, got {cap!r}")


@dataclass(frozen=True, slots=True)
class VenueBrief:
    """One leg's venue as the advisor sees it."""

    venue: str
    state: str  # feed state: live, stale, reconnecting...
    latency_p95_ms: float
    fill_ratio: float
    book_imbalance: float  # top-N bid/ask imbalance in [-1, 1] (+: more bids)
    trade_flow: float  # CVD over the flow window, normalised to [-1, 1] (+: buyers lift)
    vwap_drift_bps: float  # recent trade VWAP minus mid, bps
    direction: float  # the venue's short-horizon direction estimate in [-1, 1]
    spoof_events: int  # spoofing events seen on this venue and symbol within the spoofing memory
    discounted_depth: bool  # its book had suspect levels discounted for this opportunity


@dataclass(frozen=True, slots=True)
class OutcomeBrief:
    """A recent advised decision and how it ended (for the post-trade learning loop)."""

    symbol: str
    buy_venue: str
    sell_venue: str
    verdict: str
    expected_bps: float
    state: str  # complete, partial, rolled back, failed; "not traded" for SKIP/WAIT
    realized_bps: float | None  # realized P&L over notional, bps; None when not traded


@dataclass(frozen=True, slots=True)
class CandidateBrief:
    """Another pair of the same symbol above the threshold at the same moment: the same dislocation."""

    buy_venue: str
    sell_venue: str
    net_bps: float


@dataclass(frozen=True, slots=True)
class OpportunityBrief:
    """Everything an advisor is told about one opportunity (the best pair of a dislocation).

    ``alternatives``: the dislocation's other pairs, best first. A remote advisor is asked once per
    dislocation: its answer is for this pair, and the others are not asked about separately.
    """

    opportunity_id: int
    time: float
    symbol: str
    buy_venue: str
    sell_venue: str
    net_bps: float
    threshold_bps: float
    quantity: float
    notional_usdt: float
    score: float
    parts: tuple[tuple[str, float], ...]
    buy: VenueBrief
    sell: VenueBrief
    volatility_bps: float  # realised volatility of the symbol, bps per sample
    market_direction: float  # aggregate short-horizon direction across venues, [-1, 1]
    recent: tuple[OutcomeBrief, ...] = field(default=())
    alternatives: tuple[CandidateBrief, ...] = field(default=())

    @property
    def route(self) -> tuple[str, str, str]:
        return (self.symbol, self.buy_venue, self.sell_venue)

    def as_prompt_dict(self) -> dict:
        """Return a compact JSON-able dict: numbers rounded, the recent outcomes summarised."""
        def rounded(value, digits=2):
            if value is None or not isinstance(value, float):
                return value
            return round(value, digits) if math.isfinite(value) else None

        def venue(v: VenueBrief) -> dict:
            return {k: rounded(val, 3) for k, val in asdict(v).items()}

        traded = [o for o in self.recent if o.realized_bps is not None]
        wins = sum(1 for o in traded if o.realized_bps > 0)
        return {
            "opportunity": {
                "symbol": self.symbol, "buy_venue": self.buy_venue, "sell_venue": self.sell_venue,
                "net_spread_bps": rounded(self.net_bps), "threshold_bps": rounded(self.threshold_bps),
                "quantity": rounded(self.quantity, 8), "notional_usdt": rounded(self.notional_usdt),
            },
            "alternatives": [{"buy_venue": c.buy_venue, "sell_venue": c.sell_venue,
                              "net_spread_bps": rounded(c.net_bps)} for c in self.alternatives],
            "score": {"value": rounded(self.score, 3), "parts": {k: rounded(v, 3) for k, v in self.parts}},
            "venues": {"buy": venue(self.buy), "sell": venue(self.sell)},
            "market": {"volatility_bps": rounded(self.volatility_bps, 3),
                       "direction": rounded(self.market_direction, 3)},
            "recent_advised_trades": {
                "count": len(self.recent), "traded": len(traded), "winners": wins,
                "mean_realized_bps": rounded(sum(o.realized_bps for o in traded) / len(traded)) if traded else None,
                "last": [{"route": f"{o.symbol} {o.buy_venue}->{o.sell_venue}", "verdict": o.verdict,
                          "expected_bps": rounded(o.expected_bps), "state": o.state,
                          "realized_bps": rounded(o.realized_bps)} for o in self.recent],
            },
        }


@dataclass(frozen=True, slots=True)
class Applied:
    """The effect of an advice on a proposed trade."""

    proceed: bool
    quantity: Decimal
    reason: str  # "" when it proceeds unchanged; a rejection code or a sizing note otherwise


def apply_advice(advice: Advice, quantity: Decimal, price: float) -> Applied:
    """Apply ``advice`` to a proposed ``quantity`` at ``price``: stop it, or cap it; never enlarge it."""
    if advice.verdict == SKIP:
        return Applied(False, quantity, "advisor:skip")
    if advice.verdict == WAIT:
        return Applied(False, quantity, "advisor:wait")
    cap = advice.size_cap_usdt
    if cap is None or not price > 0:
        return Applied(True, quantity, "")
    if cap <= 0:  # "execute, with nothing" is a skip
        return Applied(False, quantity, "advisor:skip")
    capped = exact(cap / price)
    if capped >= quantity:
        return Applied(True, quantity, "")
    return Applied(True, max(capped, Decimal(0)), f"size capped at {cap:.0f} USDT by the advisor")


@dataclass(frozen=True, slots=True)
class AdviceRecord(OnRoute):
    """One line of the AI log: who decided what about which opportunity, what it cost, how it ended."""

    advice_id: int
    time: float
    opportunity_id: int
    route: Route
    net_bps: float
    advisor: str  # who answered: "rule" or "openai"
    model: str
    verdict: str
    confidence: float
    reason: str
    size_cap_usdt: float | None
    latency_ms: float
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: Decimal = Decimal(0)
    fallback: str = ""  # why the rule advisor answered instead of the configured one ("" if it did not)
    trade_id: int | None = None
    outcome: str = ""  # "" while pending; a trade state, "not traded", or why the advice went unused
    realized_pnl: Decimal | None = None
    realized_bps: float | None = None

    @property
    def day(self) -> str:
        """The UTC date of ``time`` (the spend cap's day)."""
        return utc_day(self.time)

    def outcome_brief(self) -> OutcomeBrief:
        """Summarise this record for the next prompts (the post-trade learning loop)."""
        return OutcomeBrief(self.symbol, self.buy_venue, self.sell_venue, self.verdict, self.net_bps,
                            self.outcome or "pending", self.realized_bps)


def utc_day(time: float) -> str:
    """Return the UTC date (YYYY-MM-DD) of unix time ``time``."""
    return datetime.fromtimestamp(time, timezone.utc).strftime("%Y-%m-%d")
