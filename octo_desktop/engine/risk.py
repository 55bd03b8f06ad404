"""The one risk engine of the terminal, as a service on the runtime loop: every desk asks it, one kill switch.

``domain.risk.RiskEngine`` holds the rules and the state table (pure). ``RiskService`` wires it to the
engine: it persists the holds and every transition, writes them to the activity log, feeds it the
clock, the account's equity and exposure and each venue's health, and halts trading when the database
cannot be written.
"""

from __future__ import annotations

import logging
from collections import deque
from decimal import Decimal
from typing import Mapping

from octo_desktop.domain.model import USABLE_STATES
from octo_desktop.domain.risk import HALTED, RiskEngine, RiskTransition, TradeProposal
from octo_desktop.domain.snapshot import RiskEventView, RiskView, VenueHealthView, frozen_mapping
from octo_desktop.engine.activity import ActivityLog
from octo_desktop.domain.money import cents

log = logging.getLogger(__name__)

RISK_EVENTS = 200


class RiskService:
    """Check every proposed trade, apply the risk rules on the engine clock, and keep their history."""

    def __init__(self, limits, *, day_start_equity: Decimal, realized_total: Decimal, now: float, store,
                 activity: ActivityLog, history=(), settings: Mapping | None = None) -> None:
        self.limits = limits
        self.engine = RiskEngine(limits, day_start_equity=day_start_equity, realized_total=realized_total, now=now)
        self._store = store
        self._activity = activity
        self.events: deque[RiskEventView] = deque((RiskEventView(*event) for event in history), maxlen=RISK_EVENTS)
        self._saved_holds: dict | None = None
        settings = settings or {}
        holds = settings.get("risk_holds")
        if isinstance(holds, dict):
            self.changed(self.engine.restore_holds(holds, now), persist=False)
        elif settings.get("halted"):  # written by versions before the risk engine's holds
            self.changed([self.engine.kill(str(settings.get("halt_reason") or "kill switch"), now)])

    # --- state --------------------------------------------------------------------------------------
    @property
    def state(self) -> str:
        return self.engine.state

    @property
    def reason(self) -> str:
        return self.engine.reason

    @property
    def is_halted(self) -> bool:
        return self.engine.state == HALTED

    @property
    def excluded_venues(self) -> Mapping[str, str]:
        return self.engine.excluded_venues

    def check(self, proposal: TradeProposal, now: float):
        """Return why risk refuses ``proposal`` (a ``Rejection``), or None."""
        return self.engine.check(proposal, now)

    def route_check(self, symbol: str, buy_venue: str, sell_venue: str, now: float):
        """Return why risk refuses any trade on this route whatever its size (a ``Rejection``), or None."""
        return self.engine.route_check(symbol, buy_venue, sell_venue, now)

    # --- transitions --------------------------------------------------------------------------------
    def changed(self, transitions, persist: bool = True) -> None:
        """Log, show and persist risk transitions (and the holds behind them)."""
        transitions = [t for t in transitions if t is not None]
        for t in transitions:
            self._record(t)
        holds = self.engine.export_holds()
        if persist and holds != self._saved_holds:  # some holds change without a visible transition
            self._store.save_setting("risk_holds", holds)
        self._saved_holds = holds

    def _record(self, t: RiskTransition) -> None:
        self.events.appendleft(RiskEventView(t.time, t.from_state, t.to_state, t.trigger, t.reason))
        self._store.record_risk_event(t.time, t.from_state, t.to_state, t.trigger, t.reason)
        self._activity.note(t.time, f"risk {t.from_state} -> {t.to_state} ({t.trigger}): {t.reason}")
        log.info("risk %s -> %s (%s): %s", t.from_state, t.to_state, t.trigger, t.reason)

    def note(self, message: str | None, now: float) -> None:
        """Log a venue-health change that is not a state transition."""
        if message:
            state = self.engine.state
            self.events.appendleft(RiskEventView(now, state, state, "venue health", message))
            self._store.record_risk_event(now, state, state, "venue health", message)
            self._activity.note(now, message)

    def kill(self, reason: str, now: float) -> None:
        """Engage the kill switch: HALTED until resumed."""
        self.changed([self.engine.kill(reason, now)])

    def resume(self, now: float) -> None:
        """Lift the kill switch, reduce-only and the breaker; raise IllegalTransition if none holds."""
        self.changed([self.engine.resume(now)])

    def halt_for_storage(self, problem: str, now: float) -> None:
        """Halt for a database that cannot be written (once: not again while already halted for it)."""
        # Whatever failed to be written (a trade's journal or the decisions behind it), the account can
        # no longer be trusted to survive a crash: trading stops until the trader resumes it.
        if self.engine.state != HALTED or not self.engine.reason.startswith("storage"):
            self.kill(f"storage: {problem}", now)

    def on_trade_closed(self, now: float, **closed) -> None:
        """Apply the loss, breaker and cooldown rules to a closed trade."""
        self.changed(self.engine.on_trade_closed(now, **closed))

    def update(self, now: float, *, realized_total: Decimal, equity: Decimal, exposure: Mapping[str, Decimal],
               health: Mapping[str, VenueHealthView], quality) -> None:
        """Apply the clock (the day roll, the breaker), the daily loss, exposure and each venue's health."""
        engine = self.engine
        self.changed(engine.on_clock(now, realized_total, cents(equity)))
        self.changed(engine.on_exposure(now, exposure))
        for venue, venue_health in health.items():
            state = venue_health.state
            self.note(engine.set_venue_health(
                venue, usable=state in USABLE_STATES, latency_p95_ms=quality.latency_p95_ms(venue),
                fill_ratio=quality.fill_ratio(venue), detail=f"feed {state}" if state not in USABLE_STATES else ""),
                now)

    # --- view ---------------------------------------------------------------------------------------
    def view(self, now: float, *, open_trades: int, exposure: Mapping[str, Decimal], attribution,
             resting_orders: int) -> RiskView:
        """Return the risk state for column 4."""
        engine, limits = self.engine, self.limits
        return RiskView(
            state=engine.state, reason=engine.reason, open_trades=open_trades,
            max_open_trades=limits.max_open_trades, daily_pnl=engine.daily_pnl,
            daily_loss_limit=engine.daily_loss_limit, max_notional_per_trade=limits.max_notional_per_trade,
            events=tuple(self.events), excluded_venues=frozen_mapping(engine.excluded_venues),
            consecutive_losses=engine.consecutive_losses, breaker_losing_trades=limits.breaker_losing_trades,
            failed_legs=engine.failed_legs_in_window(now), breaker_failed_legs=limits.breaker_failed_legs,
            breaker_until=engine.breaker_until, exposure_usdt=frozen_mapping(sorted(exposure.items())),
            max_exposure_usdt=limits.max_exposure_usdt, attribution=attribution, resting_orders=resting_orders)

    def summary(self) -> dict:
        """Return the risk section of a ``--json`` summary."""
        return {"state": self.engine.state, "reason": self.engine.reason,
                "events": [{"time": e.time, "from": e.from_state, "to": e.to_state, "trigger": e.trigger,
                            "reason": e.reason} for e in reversed(self.events)],
                "excluded_venues": dict(self.engine.excluded_venues)}
