"""Pure risk engine: pre-trade checks, the trading state and what holds it, breaker, exposure, venues.

Trading is in one of three states. ACTIVE: new trades may open. REDUCING: no new trades; unwinds and
exposure reduction continue. HALTED: no new trades. The state follows from the active *holds*:

    hold         severity   set by                                   lifted by
    kill         HALTED     kill()                                   resume()
    daily_loss   HALTED     the day's realized loss reaching limit   the next 00:00 UTC (on_clock)
    breaker      HALTED     a losing streak, or failed legs          breaker_cooldown_s later, or resume()
    exposure     REDUCING   an asset's |exposure| above the limit    every asset within the resume fraction
    reduce       REDUCING   reduce_only()                            resume()

The state is the most severe hold (HALTED > REDUCING > ACTIVE). The primary hold, whose reason is
shown, is the first one held in the order kill, daily_loss, breaker, exposure, reduce. Every change
of state or of the primary reason passes through one function, which checks (from, to, trigger)
against ``TRANSITIONS`` and raises ``IllegalTransition`` for anything not listed:

    from       to         triggers
    ACTIVE     REDUCING   EXPOSURE, REDUCE
    ACTIVE     HALTED     KILL, DAILY_LOSS, BREAKER
    REDUCING   REDUCING   EXPOSURE, REDUCE, EXPOSURE_CLEARED, RESUME   (a REDUCING hold remains)
    REDUCING   ACTIVE     EXPOSURE_CLEARED, RESUME
    REDUCING   HALTED     KILL, DAILY_LOSS, BREAKER
    HALTED     HALTED     KILL, DAILY_LOSS, BREAKER, RESUME, DAY_ROLL  (a HALTED hold remains)
    HALTED     REDUCING   RESUME, DAY_ROLL, BREAKER_COOLDOWN
    HALTED     ACTIVE     RESUME, DAY_ROLL, BREAKER_COOLDOWN

Why it is minimal: nothing moves ACTIVE to ACTIVE; DAY_ROLL and BREAKER_COOLDOWN lift HALTED holds,
so they start from HALTED only; BREAKER_COOLDOWN never ends in HALTED, because the breaker is the
last HALTED hold in priority, so when it was primary no other HALTED hold remains (and when it was
not, lifting it changes nothing); EXPOSURE, EXPOSURE_CLEARED and REDUCE cannot change a HALTED state
or its reason, so they have no edge from HALTED.

Explicit user actions (``kill``, ``resume``) always record a transition; internal rule updates record
one only when the state or the primary reason changes, and never raise. ``resume`` clears the kill,
reduce and breaker holds, never the daily-loss hold (it lifts at 00:00 UTC) nor the exposure hold (it
clears when exposure falls); with nothing to clear it raises ``IllegalTransition``.

The daily loss is the realized trading P&L since 00:00 UTC (fees and unwind losses included), not the
mark-to-market swing of the inventory; its limit is a percentage of the equity at the start of the day.
Times are the engine clock's unix seconds, always passed in; money is ``Decimal``.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Mapping, NamedTuple


@dataclass(frozen=True, slots=True)
class RiskLimits:
    """The risk limits (``[risk]`` in the config): trade size and count, daily loss, breaker, exposure, venues."""

    max_open_trades: int = 3
    max_notional_per_trade: Decimal = Decimal("5000")
    daily_loss_limit_pct: Decimal = Decimal("2")  # percent of the day's starting equity
    max_notional_per_venue: Decimal = Decimal("12000")  # open notional touching one venue, new trade included
    pair_cooldown_s: float = 30.0  # no new trade on a route (symbol, buy venue, sell venue) this long after one closes
    breaker_losing_trades: int = 5  # this many consecutive losing trades trip the circuit breaker
    breaker_failed_legs: int = 6  # this many failed legs within breaker_window_s trip it
    breaker_window_s: float = 300.0
    breaker_cooldown_s: float = 120.0  # how long the circuit breaker keeps trading halted
    max_exposure_usdt: Decimal = Decimal("4000")  # limit on any one asset's absolute net inventory, at the mark
    exposure_resume_fraction: Decimal = Decimal("0.5")  # reducing ends when every asset is within this fraction
    venue_max_latency_ms: float = 1500.0  # a venue whose p95 order latency exceeds this is excluded
    venue_min_fill_ratio: float = 0.3  # a venue whose recent fill ratio is below this is excluded


SECONDS_PER_DAY = 86_400
TRANSITION_HISTORY = 200
ZERO = Decimal(0)
CENT = Decimal("0.01")

# States.
ACTIVE = "ACTIVE"
REDUCING = "REDUCING"
HALTED = "HALTED"
STATES = (ACTIVE, REDUCING, HALTED)

# Triggers of state changes.
KILL = "kill switch"
RESUME = "resume"
DAILY_LOSS = "daily loss"
DAY_ROLL = "day roll"
BREAKER = "circuit breaker"
BREAKER_COOLDOWN = "breaker cooldown over"
EXPOSURE = "exposure breach"
EXPOSURE_CLEARED = "exposure cleared"
REDUCE = "reduce only"
TRIGGERS = (KILL, RESUME, DAILY_LOSS, DAY_ROLL, BREAKER, BREAKER_COOLDOWN, EXPOSURE, EXPOSURE_CLEARED, REDUCE)

# Holds, in priority order (the first one held is the primary hold).
HOLD_KILL = "kill"
HOLD_DAILY_LOSS = "daily_loss"
HOLD_BREAKER = "breaker"
HOLD_EXPOSURE = "exposure"
HOLD_REDUCE = "reduce"
HOLD_ORDER = (HOLD_KILL, HOLD_DAILY_LOSS, HOLD_BREAKER, HOLD_EXPOSURE, HOLD_REDUCE)
HOLD_SEVERITY: Mapping[str, str] = MappingProxyType({
    HOLD_KILL: HALTED, HOLD_DAILY_LOSS: HALTED, HOLD_BREAKER: HALTED,
    HOLD_EXPOSURE: REDUCING, HOLD_REDUCE: REDUCING,
})

# Rejection reason codes of check().
REJECT_KILL_SWITCH = "risk:kill_switch"
REJECT_DAILY_LOSS = "risk:daily_loss"
REJECT_CIRCUIT_BREAKER = "risk:circuit_breaker"
REJECT_REDUCING = "risk:reducing"
REJECT_VENUE_EXCLUDED = "risk:venue_excluded"
REJECT_COOLDOWN = "risk:cooldown"
REJECT_MAX_OPEN_TRADES = "risk:max_open_trades"
REJECT_MAX_NOTIONAL = "risk:max_notional"
REJECT_MAX_VENUE_NOTIONAL = "risk:max_venue_notional"
_HOLD_REJECTION = {
    HOLD_KILL: REJECT_KILL_SWITCH, HOLD_DAILY_LOSS: REJECT_DAILY_LOSS, HOLD_BREAKER: REJECT_CIRCUIT_BREAKER,
    HOLD_EXPOSURE: REJECT_REDUCING, HOLD_REDUCE: REJECT_REDUCING,
}

TRANSITIONS: Mapping[tuple[str, str], frozenset[str]] = MappingProxyType({
    (ACTIVE, REDUCING): frozenset({EXPOSURE, REDUCE}),
    (ACTIVE, HALTED): frozenset({KILL, DAILY_LOSS, BREAKER}),
    (REDUCING, REDUCING): frozenset({EXPOSURE, REDUCE, EXPOSURE_CLEARED, RESUME}),
    (REDUCING, ACTIVE): frozenset({EXPOSURE_CLEARED, RESUME}),
    (REDUCING, HALTED): frozenset({KILL, DAILY_LOSS, BREAKER}),
    (HALTED, HALTED): frozenset({KILL, DAILY_LOSS, BREAKER, RESUME, DAY_ROLL}),
    (HALTED, REDUCING): frozenset({RESUME, DAY_ROLL, BREAKER_COOLDOWN}),
    (HALTED, ACTIVE): frozenset({RESUME, DAY_ROLL, BREAKER_COOLDOWN}),
})


class IllegalTransition(ValueError):
    """A trigger asked for a change of trading state that the transition table does not allow."""


@dataclass(frozen=True, slots=True)
class RiskTransition:
    """One applied change of trading state or of its primary reason."""

    time: float
    from_state: str
    to_state: str
    trigger: str
    reason: str  # the primary hold's reason after the change, or what lifted the last hold


@dataclass(frozen=True, slots=True)
class TradeProposal:
    """A trade the engine wants to open, with the open trades it would join."""

    symbol: str
    buy_venue: str
    sell_venue: str
    notional: Decimal
    open_trades: int
    open_notional_by_venue: Mapping[str, Decimal]  # notional of the open trades touching each venue


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why a trade may not open: a reason code and one human line with the numbers."""

    rule: str
    detail: str


class Hold(NamedTuple):
    """One active cause that keeps trading out of ACTIVE."""

    cause: str
    severity: str
    reason: str


def validate_transition(from_state: str, to_state: str, trigger: str) -> None:
    """Raise ``IllegalTransition`` unless ``trigger`` may move trading from ``from_state`` to ``to_state``."""
    if trigger in TRANSITIONS.get((from_state, to_state), frozenset()):
        return
    if trigger == RESUME and from_state == ACTIVE:
        raise IllegalTransition("cannot resume: trading is ACTIVE, not halted")
    raise IllegalTransition(f"illegal risk transition: {trigger!r} cannot move trading "
                            f"from {from_state} to {to_state}")


def day_of(now: float) -> int:
    """Return the UTC day number of unix time ``now``."""
    return int(now // SECONDS_PER_DAY)


def _state_of(holds: Mapping[str, str]) -> str:
    severities = {HOLD_SEVERITY[cause] for cause in holds}
    if HALTED in severities:
        return HALTED
    return REDUCING if REDUCING in severities else ACTIVE


def _primary_of(holds: Mapping[str, str]) -> str | None:
    return next((cause for cause in HOLD_ORDER if cause in holds), None)


def _clock_text(when: float) -> str:
    return datetime.fromtimestamp(when, timezone.utc).strftime("%H:%M:%S")


def _signed(amount: Decimal) -> str:
    return f"{amount:+.2f}"


class RiskEngine:
    """Decide whether a new trade may open, and keep the trading state and the holds behind it."""

    def __init__(self, limits: RiskLimits, *, day_start_equity: Decimal, realized_total: Decimal,
                 now: float) -> None:
        self.limits = limits
        self._day = day_of(now)
        self._day_start_equity = Decimal(day_start_equity)
        self._day_start_realized = Decimal(realized_total)
        self._daily_pnl = ZERO
        self._holds: dict[str, str] = {}  # cause -> reason
        self._breaker_until: float | None = None
        self._daily_loss_day: int | None = None
        self._exposure_assets: frozenset[str] = frozenset()  # assets beyond the limit when last described
        self._consecutive_losses = 0
        self._failed_legs: deque[float] = deque()  # times of failed legs, oldest first
        self._route_until: dict[tuple[str, str, str], float] = {}  # route -> end of its cooldown
        self._excluded: dict[str, str] = {}  # venue -> why
        self._transitions: deque[RiskTransition] = deque(maxlen=TRANSITION_HISTORY)

    # --- state ----------------------------------------------------------------------------------
    @property
    def state(self) -> str:
        """Return ACTIVE, REDUCING or HALTED."""
        return _state_of(self._holds)

    @property
    def reason(self) -> str:
        """Return the primary hold's reason, or "" when ACTIVE."""
        primary = _primary_of(self._holds)
        return self._holds[primary] if primary is not None else ""

    @property
    def is_halted(self) -> bool:
        """Return whether trading is HALTED."""
        return self.state == HALTED

    @property
    def allows_new_trades(self) -> bool:
        """Return whether trading is ACTIVE, so new trades may open."""
        return not self._holds

    @property
    def holds(self) -> tuple[Hold, ...]:
        """Return the active holds, primary first."""
        return tuple(Hold(cause, HOLD_SEVERITY[cause], self._holds[cause])
                     for cause in HOLD_ORDER if cause in self._holds)

    @property
    def transitions(self) -> tuple[RiskTransition, ...]:
        """Return the recorded transitions, newest first (at most 200)."""
        return tuple(self._transitions)

    @property
    def day_start_equity(self) -> Decimal:
        """Return the equity at the start of the current UTC day."""
        return self._day_start_equity

    @property
    def daily_pnl(self) -> Decimal:
        """Return the realized P&L since 00:00 UTC."""
        return self._daily_pnl

    @property
    def daily_loss_limit(self) -> Decimal:
        """Return the day's loss limit in USDT (a positive amount)."""
        return (self.limits.daily_loss_limit_pct * self._day_start_equity / 100).quantize(CENT)

    @property
    def consecutive_losses(self) -> int:
        """Return the current streak of losing trades."""
        return self._consecutive_losses

    @property
    def breaker_until(self) -> float | None:
        """Return when the circuit breaker lifts, or None when it is not tripped."""
        return self._breaker_until

    @property
    def excluded_venues(self) -> Mapping[str, str]:
        """Return venue -> why it is excluded from new trades."""
        return MappingProxyType(dict(self._excluded))

    def failed_legs_in_window(self, now: float) -> int:
        """Return how many failed legs fall within the breaker window ending at ``now``."""
        start = now - self.limits.breaker_window_s
        return sum(1 for when in self._failed_legs if when > start)

    def cooldown_remaining_s(self, symbol: str, buy_venue: str, sell_venue: str, now: float) -> float:
        """Return the seconds left before a new trade may open on this route (0 when none)."""
        until = self._route_until.get((symbol, buy_venue, sell_venue))
        return max(0.0, until - now) if until is not None else 0.0

    # --- the check ------------------------------------------------------------------------------
    def check(self, proposal: TradeProposal, now: float) -> Rejection | None:
        """Return None if the proposed trade may open, else the first rule it breaks."""
        rejection = self.route_check(proposal.symbol, proposal.buy_venue, proposal.sell_venue, now)
        if rejection is not None:
            return rejection
        if proposal.open_trades >= self.limits.max_open_trades:
            return Rejection(REJECT_MAX_OPEN_TRADES, (f"{proposal.open_trades} trades open, limit "
                                                      f"{self.limits.max_open_trades}"))
        if proposal.notional > self.limits.max_notional_per_trade:
            return Rejection(REJECT_MAX_NOTIONAL, (f"notional {proposal.notional:.2f} above the per-trade "
                                                   f"limit {self.limits.max_notional_per_trade:.2f}"))
        for venue in dict.fromkeys((proposal.buy_venue, proposal.sell_venue)):
            open_notional = Decimal(proposal.open_notional_by_venue.get(venue, ZERO))
            total = open_notional + proposal.notional
            if total > self.limits.max_notional_per_venue:
                return Rejection(REJECT_MAX_VENUE_NOTIONAL, (
                    f"{venue}: {open_notional:.2f} open + {proposal.notional:.2f} new = {total:.2f} "
                    f"above the per-venue limit {self.limits.max_notional_per_venue:.2f}"))
        return None

    def route_check(self, symbol: str, buy_venue: str, sell_venue: str, now: float) -> Rejection | None:
        """Return the first of ``check``'s rules that refuse any trade on this route whatever its size
        (a hold, an excluded venue, the route's cooldown), else None: ``check`` applies them first."""
        primary = _primary_of(self._holds)
        if primary is not None:
            if HOLD_SEVERITY[primary] == HALTED:
                return Rejection(_HOLD_REJECTION[primary], f"halted: {self._holds[primary]}")
            return Rejection(REJECT_REDUCING, f"reducing only: {self._holds[primary]}")
        for venue in (buy_venue, sell_venue):
            if venue in self._excluded:
                return Rejection(REJECT_VENUE_EXCLUDED, f"{venue} excluded: {self._excluded[venue]}")
        left = self.cooldown_remaining_s(symbol, buy_venue, sell_venue, now)
        if left > 0:
            return Rejection(REJECT_COOLDOWN, (f"{symbol} {buy_venue}->{sell_venue} "
                                               f"cooling down: {left:.1f} s left of "
                                               f"{self.limits.pair_cooldown_s:g} s"))
        return None

    # --- user actions ---------------------------------------------------------------------------
    def kill(self, reason: str, now: float) -> RiskTransition:
        """Engage the kill switch: HALTED until resumed (when already HALTED, the reason changes)."""
        record = self._change(KILL, now, {**self._holds, HOLD_KILL: reason or KILL}, always=True)
        assert record is not None  # always=True records
        return record

    def resume(self, now: float) -> RiskTransition:
        """Clear the kill, reduce-only and breaker holds; raise IllegalTransition if none is held."""
        cleared = [cause for cause in (HOLD_KILL, HOLD_REDUCE, HOLD_BREAKER) if cause in self._holds]
        if not cleared:
            raise IllegalTransition(self._why_not_resumable())
        holds = {cause: why for cause, why in self._holds.items() if cause not in cleared}
        record = self._change(RESUME, now, holds, note="trading resumed", always=True)
        assert record is not None  # always=True records
        if HOLD_BREAKER in cleared:
            self._breaker_until = None
        return record

    def reduce_only(self, reason: str, now: float) -> RiskTransition | None:
        """Allow only unwinds and exposure reduction until resumed; return the transition, if any."""
        return self._change(REDUCE, now, {**self._holds, HOLD_REDUCE: reason or REDUCE})

    # --- rule updates ---------------------------------------------------------------------------
    def on_clock(self, now: float, realized_total: Decimal, equity: Decimal) -> list[RiskTransition]:
        """Roll the day at 00:00 UTC, lift an expired breaker and update the daily P&L."""
        changes: list[RiskTransition | None] = []
        day = day_of(now)
        if day > self._day:
            self._day = day
            self._day_start_equity = Decimal(equity)
            self._day_start_realized = Decimal(realized_total)
            if HOLD_DAILY_LOSS in self._holds:
                changes.append(self._change(DAY_ROLL, now, self._without(HOLD_DAILY_LOSS),
                                            note="new UTC day: daily loss limit reset"))
                self._daily_loss_day = None
        self._daily_pnl = Decimal(realized_total) - self._day_start_realized
        if self._breaker_until is not None and now >= self._breaker_until:
            changes.append(self._change(BREAKER_COOLDOWN, now, self._without(HOLD_BREAKER),
                                        note="circuit breaker cooldown over"))
            self._breaker_until = None
        changes.extend(self._check_daily_loss(now))
        return [change for change in changes if change is not None]

    def on_trade_closed(self, now: float, *, symbol: str, buy_venue: str, sell_venue: str, pnl: Decimal,
                        realized_total: Decimal, failed_legs: int) -> list[RiskTransition]:
        """Start the route's cooldown, count losses and failed legs, and trip breaker or daily loss."""
        route = (symbol, buy_venue, sell_venue)
        self._route_until = {key: until for key, until in self._route_until.items() if until > now}
        self._route_until[route] = max(self._route_until.get(route, now), now + self.limits.pair_cooldown_s)
        if pnl < 0:
            self._consecutive_losses += 1
        elif pnl > 0:
            self._consecutive_losses = 0
        self._failed_legs.extend([now] * max(0, int(failed_legs)))
        start = now - self.limits.breaker_window_s
        while self._failed_legs and self._failed_legs[0] <= start:
            self._failed_legs.popleft()
        self._daily_pnl = Decimal(realized_total) - self._day_start_realized

        changes: list[RiskTransition | None] = []
        cause = ""
        if self._consecutive_losses >= self.limits.breaker_losing_trades:
            cause = f"{self._consecutive_losses} losing trades in a row"
        elif len(self._failed_legs) >= self.limits.breaker_failed_legs:
            cause = f"{len(self._failed_legs)} failed legs in {self.limits.breaker_window_s:g} s"
        if cause:
            until = now + self.limits.breaker_cooldown_s
            if self._breaker_until is not None:
                until = max(until, self._breaker_until)
            reason = f"circuit breaker: {cause}; halted until {_clock_text(until)} UTC"
            changes.append(self._change(BREAKER, now, {**self._holds, HOLD_BREAKER: reason}))
            self._breaker_until = until
            self._consecutive_losses = 0
            self._failed_legs.clear()
        changes.extend(self._check_daily_loss(now))
        return [change for change in changes if change is not None]

    def on_exposure(self, now: float, exposure_usdt: Mapping[str, Decimal]) -> list[RiskTransition]:
        """Hold REDUCING while an asset's net exposure exceeds the limit; clear with hysteresis."""
        limit = self.limits.max_exposure_usdt
        resume_level = limit * self.limits.exposure_resume_fraction
        exposure = {asset: Decimal(amount) for asset, amount in exposure_usdt.items()}
        over = {asset: amount for asset, amount in sorted(exposure.items()) if abs(amount) > limit}
        if HOLD_EXPOSURE in self._holds:
            if all(abs(amount) <= resume_level for amount in exposure.values()):
                change = self._change(EXPOSURE_CLEARED, now, self._without(HOLD_EXPOSURE),
                                      note=f"exposure back within {resume_level:.2f} USDT per asset")
                self._exposure_assets = frozenset()
                return [change] if change is not None else []
            if not over or frozenset(over) == self._exposure_assets:
                return []
        elif not over:
            return []
        assets = ", ".join(f"{asset} {_signed(amount)}" for asset, amount in over.items())
        reason = (f"exposure beyond {limit:.2f} USDT: {assets} USDT; reducing until every asset is "
                  f"within {resume_level:.2f} USDT")
        change = self._change(EXPOSURE, now, {**self._holds, HOLD_EXPOSURE: reason})
        self._exposure_assets = frozenset(over)
        return [change] if change is not None else []

    def set_venue_health(self, venue: str, *, usable: bool, latency_p95_ms: float, fill_ratio: float,
                         detail: str = "") -> str | None:
        """Exclude or readmit a venue; return a one-line message only when its exclusion changes."""
        why = ""
        if not usable:
            why = detail or "not usable"
        elif latency_p95_ms > self.limits.venue_max_latency_ms:  # NaN (unknown) compares False: usable
            why = f"p95 latency {latency_p95_ms:.0f} ms > {self.limits.venue_max_latency_ms:.0f} ms"
        elif fill_ratio < self.limits.venue_min_fill_ratio:
            why = f"fill ratio {fill_ratio:.2f} < {self.limits.venue_min_fill_ratio:.2f}"
        was_excluded = venue in self._excluded
        if why:
            self._excluded[venue] = why
            return None if was_excluded else f"{venue} excluded: {why}"
        if was_excluded:
            del self._excluded[venue]
            return f"{venue} readmitted"
        return None

    # --- persistence ----------------------------------------------------------------------------
    def export_holds(self) -> dict[str, Any]:
        """Return the holds that must survive a restart, as JSON-serializable data."""
        return {
            "kill_reason": self._holds.get(HOLD_KILL),
            "reduce_reason": self._holds.get(HOLD_REDUCE),
            "breaker_until": self._breaker_until,
            "breaker_reason": self._holds.get(HOLD_BREAKER),
            "daily_loss_day": self._daily_loss_day,
            "daily_loss_reason": self._holds.get(HOLD_DAILY_LOSS),
        }

    def restore_holds(self, data: Any, now: float) -> list[RiskTransition]:
        """Re-apply persisted holds that still apply at ``now``; ignore missing or malformed entries."""
        if not isinstance(data, Mapping):
            return []
        changes: list[RiskTransition | None] = []
        reduce_reason = _text(data.get("reduce_reason"))
        if reduce_reason:
            changes.append(self.reduce_only(reduce_reason, now))
        until = data.get("breaker_until")
        if _finite(until) and until > now:
            until = float(until)
            reason = (_text(data.get("breaker_reason"))
                      or f"circuit breaker; halted until {_clock_text(until)} UTC")
            changes.append(self._change(BREAKER, now, {**self._holds, HOLD_BREAKER: reason}))
            self._breaker_until = max(until, self._breaker_until or until)
        day = data.get("daily_loss_day")
        if isinstance(day, int) and not isinstance(day, bool) and day == self._day:
            reason = _text(data.get("daily_loss_reason"))
            if "00:00 UTC" not in reason:
                reason = "daily loss limit reached; halted until 00:00 UTC"
            changes.append(self._change(DAILY_LOSS, now, {**self._holds, HOLD_DAILY_LOSS: reason}))
            self._daily_loss_day = day
        kill_reason = _text(data.get("kill_reason"))
        if kill_reason:
            changes.append(self._change(KILL, now, {**self._holds, HOLD_KILL: kill_reason}))
        return [change for change in changes if change is not None]

    # --- internals ------------------------------------------------------------------------------
    def _change(self, trigger: str, now: float, holds: dict[str, str], *, note: str = "",
                always: bool = False) -> RiskTransition | None:
        """Apply new holds; validate and record the transition if the state or primary reason changes."""
        before_state, before_reason = self.state, self.reason
        after_state = _state_of(holds)
        primary = _primary_of(holds)
        after_reason = holds[primary] if primary is not None else ""
        if not always and (before_state, before_reason) == (after_state, after_reason):
            self._holds = holds
            return None
        validate_transition(before_state, after_state, trigger)
        self._holds = holds
        record = RiskTransition(now, before_state, after_state, trigger, after_reason or note)
        self._transitions.appendleft(record)
        return record

    def _without(self, cause: str) -> dict[str, str]:
        return {key: why for key, why in self._holds.items() if key != cause}

    def _check_daily_loss(self, now: float) -> list[RiskTransition | None]:
        limit = self.daily_loss_limit
        if HOLD_DAILY_LOSS in self._holds or self._daily_pnl >= 0 or self._daily_pnl > -limit:
            return []
        reason = (f"daily loss {self._daily_pnl:.2f} USDT reached the limit of -{limit:.2f} USDT "
                  f"({self.limits.daily_loss_limit_pct:f}% of {self._day_start_equity:.2f}); "
                  f"halted until 00:00 UTC")
        change = self._change(DAILY_LOSS, now, {**self._holds, HOLD_DAILY_LOSS: reason})
        self._daily_loss_day = self._day
        return [change]

    def _why_not_resumable(self) -> str:
        if HOLD_DAILY_LOSS in self._holds:
            return "cannot resume: the daily loss limit halts trading until 00:00 UTC"
        if HOLD_EXPOSURE in self._holds:
            return f"cannot resume: reducing until exposure falls ({self._holds[HOLD_EXPOSURE]})"
        return f"cannot resume: trading is {self.state}, not halted"


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
