import ast
import itertools
import json
import math
from decimal import Decimal
from pathlib import Path

import pytest

from octo_desktop.domain.risk import RiskLimits
from octo_desktop.domain import risk as risk_module
from octo_desktop.domain.risk import (
    ACTIVE, BREAKER, BREAKER_COOLDOWN, DAILY_LOSS, DAY_ROLL, EXPOSURE, EXPOSURE_CLEARED, HALTED, KILL,
    REDUCE, REDUCING, RESUME, STATES, TRANSITIONS, TRIGGERS, IllegalTransition, RiskEngine, RiskTransition,
    TradeProposal, validate_transition,
)

DAY = 86_400.0
T0 = 10 * DAY + 100  # 00:01:40 UTC on day 10
ROUTE = ("BTC/USDT", "okx", "binance")
LIMITS = RiskLimits(
    max_open_trades=2,
    max_notional_per_trade=Decimal("5000"),
    daily_loss_limit_pct=Decimal("2"),
    max_notional_per_venue=Decimal("8000"),
    pair_cooldown_s=30.0,
    breaker_losing_trades=3,
    breaker_failed_legs=4,
    breaker_window_s=300.0,
    breaker_cooldown_s=120.0,
    max_exposure_usdt=Decimal("4000"),
    exposure_resume_fraction=Decimal("0.5"),
    venue_max_latency_ms=1500.0,
    venue_min_fill_ratio=0.3,
)


class Desk:
    """A risk engine plus the realized P&L total the engine would pass it."""

    def __init__(self, now=T0, equity="100000", realized="0"):
        self.realized = Decimal(realized)
        self.risk = RiskEngine(LIMITS, day_start_equity=Decimal(equity), realized_total=self.realized, now=now)

    def close(self, now, pnl, failed_legs=0, route=ROUTE):
        self.realized += Decimal(pnl)
        return self.risk.on_trade_closed(now, symbol=route[0], buy_venue=route[1], sell_venue=route[2],
                                         pnl=Decimal(pnl), realized_total=self.realized,
                                         failed_legs=failed_legs)

    def clock(self, now, equity="100000"):
        return self.risk.on_clock(now, self.realized, Decimal(equity))

    def losing_streak(self, now, pnl="-1", route=ROUTE):
        changes = []
        for _ in range(LIMITS.breaker_losing_trades):
            changes = self.close(now, pnl, route=route)
        return changes

    def daily_loss(self, now):
        return self.close(now, "-2000")

    def exposure(self, now, **by_asset):
        return self.risk.on_exposure(now, {asset: Decimal(amount) for asset, amount in by_asset.items()})


def proposal(notional="1000", open_trades=0, open_by_venue=None, route=ROUTE):
    symbol, buy, sell = route
    return TradeProposal(symbol=symbol, buy_venue=buy, sell_venue=sell, notional=Decimal(notional),
                         open_trades=open_trades,
                         open_notional_by_venue={k: Decimal(v) for k, v in (open_by_venue or {}).items()})


def rule(desk, now=T0 + 1000, **kwargs):
    rejection = desk.risk.check(proposal(**kwargs), now)
    return rejection.rule if rejection is not None else None


def edge(transition):
    return transition.from_state, transition.to_state, transition.trigger


# --- the module ---------------------------------------------------------------------------------
def test_the_module_is_pure():
    tree = ast.parse(Path(risk_module.__file__).read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    assert not imported & {"asyncio", "ccxt", "tkinter", "sqlalchemy", "time"}


# --- the check ----------------------------------------------------------------------------------
def test_an_ordinary_trade_passes():
    desk = Desk()
    assert desk.risk.state == ACTIVE and desk.risk.reason == "" and desk.risk.allows_new_trades
    assert desk.risk.check(proposal(), T0) is None


def test_max_open_trades_and_max_notional_are_enforced():
    desk = Desk()
    assert rule(desk, open_trades=1) is None
    assert rule(desk, open_trades=2) == "risk:max_open_trades"
    assert rule(desk, notional="5000") is None
    rejection = desk.risk.check(proposal(notional="5000.01"), T0)
    assert rejection.rule == "risk:max_notional" and "5000.01" in rejection.detail


@pytest.mark.parametrize("venue", ["okx", "binance"])
def test_max_venue_notional_counts_open_trades_on_either_leg(venue):
    desk = Desk()
    assert rule(desk, notional="5000", open_by_venue={venue: "3000"}) is None  # exactly 8000
    rejection = desk.risk.check(proposal(notional="5000", open_by_venue={venue: "3000.01"}), T0)
    assert rejection.rule == "risk:max_venue_notional"
    assert venue in rejection.detail and "8000.01" in rejection.detail and "8000.00" in rejection.detail
    assert rule(desk, notional="5000", open_by_venue={"bybit": "7000"}) is None  # other venues don't count


def test_the_first_failing_rule_wins_in_the_documented_order():
    desk = Desk()
    args = dict(notional="6000", open_trades=2, open_by_venue={"okx": "7000"})
    desk.risk.set_venue_health("okx", usable=False, latency_p95_ms=10, fill_ratio=1, detail="feed down")
    desk.exposure(T0, BTC="4500")
    desk.losing_streak(T0, route=("ETH/USDT", "bybit", "gate"))  # breaker until T0 + 120
    desk.close(T0 + 100, "1")  # the route cools down until T0 + 130
    codes = [rule(desk, T0 + 100, **args)]
    desk.clock(T0 + 120)  # the breaker lifts; the exposure hold remains
    codes.append(rule(desk, T0 + 120, **args))
    desk.exposure(T0 + 120, BTC="0")
    codes.append(rule(desk, T0 + 120, **args))
    desk.risk.set_venue_health("okx", usable=True, latency_p95_ms=10, fill_ratio=1)
    codes.append(rule(desk, T0 + 120, **args))
    now = T0 + 130
    codes.append(rule(desk, now, **args))
    codes.append(rule(desk, now, **{**args, "open_trades": 1}))
    codes.append(rule(desk, now, **{**args, "open_trades": 1, "notional": "2000"}))
    codes.append(rule(desk, now, **{**args, "open_trades": 1, "notional": "1000"}))
    assert codes == ["risk:circuit_breaker", "risk:reducing", "risk:venue_excluded", "risk:cooldown",
                     "risk:max_open_trades", "risk:max_notional", "risk:max_venue_notional", None]


def test_halt_codes_follow_the_primary_hold_kill_then_daily_loss_then_breaker():
    desk = Desk()
    desk.losing_streak(T0)
    assert rule(desk, T0) == "risk:circuit_breaker"
    desk.daily_loss(T0)
    assert rule(desk, T0) == "risk:daily_loss"
    desk.risk.kill("operator", T0)
    assert rule(desk, T0) == "risk:kill_switch"
    assert [hold.cause for hold in desk.risk.holds] == ["kill", "daily_loss", "breaker"]
    assert all(hold.severity == HALTED for hold in desk.risk.holds)
    assert desk.risk.check(proposal(), T0).detail == "halted: operator"


# --- the transition table -----------------------------------------------------------------------
def _reduced(desk):
    desk.risk.reduce_only("manual", T0)


def _killed(desk):
    desk.risk.kill("operator", T0)


SCENARIOS = {
    (ACTIVE, REDUCING, EXPOSURE): lambda d: d.exposure(T0, BTC="4500"),
    (ACTIVE, REDUCING, REDUCE): lambda d: d.risk.reduce_only("manual", T0),
    (ACTIVE, HALTED, KILL): lambda d: d.risk.kill("operator", T0),
    (ACTIVE, HALTED, DAILY_LOSS): lambda d: d.daily_loss(T0),
    (ACTIVE, HALTED, BREAKER): lambda d: d.losing_streak(T0),
    (REDUCING, REDUCING, EXPOSURE): lambda d: (d.exposure(T0, BTC="4500"), d.exposure(T0 + 1, BTC="4500", ETH="-4100")),
    (REDUCING, REDUCING, REDUCE): lambda d: (_reduced(d), d.risk.reduce_only("manual, again", T0 + 1)),
    (REDUCING, REDUCING, EXPOSURE_CLEARED): lambda d: (_reduced(d), d.exposure(T0, BTC="4500"), d.exposure(T0 + 1, BTC="0")),
    (REDUCING, REDUCING, RESUME): lambda d: (_reduced(d), d.exposure(T0, BTC="4500"), d.risk.resume(T0 + 1)),
    (REDUCING, ACTIVE, EXPOSURE_CLEARED): lambda d: (d.exposure(T0, BTC="4500"), d.exposure(T0 + 1, BTC="100")),
    (REDUCING, ACTIVE, RESUME): lambda d: (_reduced(d), d.risk.resume(T0 + 1)),
    (REDUCING, HALTED, KILL): lambda d: (_reduced(d), d.risk.kill("operator", T0 + 1)),
    (REDUCING, HALTED, DAILY_LOSS): lambda d: (_reduced(d), d.daily_loss(T0 + 1)),
    (REDUCING, HALTED, BREAKER): lambda d: (_reduced(d), d.losing_streak(T0 + 1)),
    (HALTED, HALTED, KILL): lambda d: (_killed(d), d.risk.kill("operator, again", T0 + 1)),
    (HALTED, HALTED, DAILY_LOSS): lambda d: (d.losing_streak(T0), d.daily_loss(T0 + 1)),
    (HALTED, HALTED, BREAKER): lambda d: (d.losing_streak(T0), d.losing_streak(T0 + 10)),
    (HALTED, HALTED, RESUME): lambda d: (d.daily_loss(T0), _killed(d), d.risk.resume(T0 + 1)),
    (HALTED, HALTED, DAY_ROLL): lambda d: (d.losing_streak(11 * DAY - 10), d.daily_loss(11 * DAY - 10),
                                           d.clock(11 * DAY)),
    (HALTED, REDUCING, RESUME): lambda d: (d.exposure(T0, BTC="4500"), _killed(d), d.risk.resume(T0 + 1)),
    (HALTED, REDUCING, DAY_ROLL): lambda d: (d.exposure(T0, BTC="4500"), d.daily_loss(T0), d.clock(11 * DAY)),
    (HALTED, REDUCING, BREAKER_COOLDOWN): lambda d: (d.exposure(T0, BTC="4500"), d.losing_streak(T0),
                                                     d.clock(T0 + 120)),
    (HALTED, ACTIVE, RESUME): lambda d: (_killed(d), d.risk.resume(T0 + 1)),
    (HALTED, ACTIVE, DAY_ROLL): lambda d: (d.daily_loss(T0), d.clock(11 * DAY)),
    (HALTED, ACTIVE, BREAKER_COOLDOWN): lambda d: (d.losing_streak(T0), d.clock(T0 + 120)),
}
ALLOWED = {(src, dst, trigger) for (src, dst), triggers in TRANSITIONS.items() for trigger in triggers}
FORBIDDEN = sorted(set(itertools.product(STATES, STATES, TRIGGERS)) - ALLOWED)


def test_the_scenarios_cover_exactly_the_table():
    assert set(SCENARIOS) == ALLOWED
    assert len(ALLOWED) == 25 and len(FORBIDDEN) == 56


@pytest.mark.parametrize("expected", sorted(SCENARIOS), ids=lambda e: f"{e[0]}->{e[1]} on {e[2]}")
def test_every_allowed_edge_is_reachable_with_its_trigger(expected):
    desk = Desk(now=11 * DAY - 100) if expected == (HALTED, HALTED, DAY_ROLL) else Desk()
    SCENARIOS[expected](desk)
    newest = desk.risk.transitions[0]
    assert edge(newest) == expected
    assert desk.risk.state == expected[1] and newest.reason
    if expected[1] != ACTIVE:
        assert newest.reason == desk.risk.reason


@pytest.mark.parametrize("forbidden", FORBIDDEN, ids=lambda e: f"{e[0]}->{e[1]} on {e[2]}")
def test_every_move_outside_the_table_is_illegal(forbidden):
    with pytest.raises(IllegalTransition):
        validate_transition(*forbidden)


@pytest.mark.parametrize("allowed", sorted(ALLOWED), ids=lambda e: f"{e[0]}->{e[1]} on {e[2]}")
def test_every_move_in_the_table_validates(allowed):
    validate_transition(*allowed)


@pytest.mark.parametrize("src, dst, trigger, message", [
    (ACTIVE, ACTIVE, RESUME, "cannot resume: trading is ACTIVE, not halted"),
    (HALTED, ACTIVE, EXPOSURE_CLEARED, "'exposure cleared' cannot move trading from HALTED to ACTIVE"),
    (ACTIVE, HALTED, DAY_ROLL, "'day roll' cannot move trading from ACTIVE to HALTED"),
    (HALTED, HALTED, BREAKER_COOLDOWN, "from HALTED to HALTED"),
])
def test_illegal_moves_explain_themselves_in_one_line(src, dst, trigger, message):
    with pytest.raises(IllegalTransition, match=message) as caught:
        validate_transition(src, dst, trigger)
    assert "\n" not in str(caught.value)


def test_every_change_goes_through_the_table(monkeypatch):
    desk = Desk()
    monkeypatch.setattr(risk_module, "TRANSITIONS", {k: v for k, v in TRANSITIONS.items() if k != (ACTIVE, HALTED)})
    with pytest.raises(IllegalTransition, match="from ACTIVE to HALTED"):
        desk.risk.kill("operator", T0)
    assert desk.risk.state == ACTIVE and desk.risk.holds == () and desk.risk.transitions == ()


def test_resume_while_active_is_illegal_and_changes_nothing():
    desk = Desk()
    with pytest.raises(IllegalTransition, match="cannot resume: trading is ACTIVE, not halted"):
        desk.risk.resume(T0)
    assert desk.risk.state == ACTIVE and desk.risk.transitions == ()


def test_resume_cannot_lift_a_daily_loss_or_an_exposure_hold():
    desk = Desk()
    desk.exposure(T0, BTC="4500")
    with pytest.raises(IllegalTransition, match="cannot resume: reducing until exposure falls"):
        desk.risk.resume(T0)
    desk.daily_loss(T0)
    with pytest.raises(IllegalTransition, match="00:00 UTC"):
        desk.risk.resume(T0)
    assert desk.risk.state == HALTED and [h.cause for h in desk.risk.holds] == ["daily_loss", "exposure"]


def test_internal_updates_that_change_nothing_neither_raise_nor_log():
    desk = Desk()
    for second in range(5):
        assert desk.clock(T0 + second) == []
        assert desk.exposure(T0 + second, BTC="3999", ETH="-4000") == []
    desk.risk.kill("operator", T0)
    assert desk.daily_loss(T0 + 1) == []  # the kill stays primary: no change, no record
    assert desk.exposure(T0 + 1, BTC="9000") == []
    assert desk.exposure(T0 + 2, BTC="0") == []
    assert desk.risk.reduce_only("manual", T0 + 2) is None
    assert len(desk.risk.transitions) == 1
    assert [h.cause for h in desk.risk.holds] == ["kill", "daily_loss", "reduce"]


def test_reduce_only_twice_with_the_same_reason_records_once():
    desk = Desk()
    first = desk.risk.reduce_only("manual", T0)
    assert first == RiskTransition(T0, ACTIVE, REDUCING, REDUCE, "manual")
    assert desk.risk.reduce_only("manual", T0 + 1) is None
    assert desk.risk.transitions == (first,)
    assert rule(desk, T0 + 1) == "risk:reducing" and not desk.risk.allows_new_trades


# --- kill and resume ----------------------------------------------------------------------------
def test_kill_then_resume_records_both_and_returns_them():
    desk = Desk()
    killed = desk.risk.kill("operator pressed kill", T0)
    assert killed == RiskTransition(T0, ACTIVE, HALTED, KILL, "operator pressed kill")
    assert desk.risk.is_halted and desk.risk.reason == "operator pressed kill"
    assert rule(desk, T0) == "risk:kill_switch"
    resumed = desk.risk.resume(T0 + 5)
    assert resumed == RiskTransition(T0 + 5, HALTED, ACTIVE, RESUME, "trading resumed")
    assert desk.risk.transitions == (resumed, killed)
    assert rule(desk, T0 + 5) is None


def test_kill_without_a_reason_says_kill_switch():
    desk = Desk()
    assert desk.risk.kill("", T0).reason == "kill switch"


def test_the_kill_switch_never_lifts_by_itself():
    desk = Desk()
    desk.risk.kill("operator", T0)
    for now in (T0 + 1, T0 + 3600, 11 * DAY, 12 * DAY + 5):
        assert desk.clock(now) == []
        assert desk.risk.state == HALTED and desk.risk.reason == "operator"


def test_resume_leaves_the_daily_loss_hold_in_place():
    desk = Desk()
    desk.daily_loss(T0)
    desk.risk.kill("operator", T0 + 1)
    resumed = desk.risk.resume(T0 + 2)
    assert edge(resumed) == (HALTED, HALTED, RESUME)
    assert "00:00 UTC" in resumed.reason and rule(desk, T0 + 2) == "risk:daily_loss"


# --- daily loss ---------------------------------------------------------------------------------
def test_daily_loss_at_exactly_the_limit_halts_until_00_00_utc():
    desk = Desk()
    assert desk.risk.daily_loss_limit == Decimal("2000.00")
    assert desk.close(T0 + 10, "-1999.99") == []
    assert not desk.risk.is_halted
    [halt] = desk.close(T0 + 20, "-0.01")
    assert edge(halt) == (ACTIVE, HALTED, DAILY_LOSS) and "00:00 UTC" in halt.reason
    assert desk.risk.daily_pnl == Decimal("-2000.00")
    rejection = desk.risk.check(proposal(), T0 + 20)
    assert rejection.rule == "risk:daily_loss" and "00:00 UTC" in rejection.detail
    assert desk.clock(11 * DAY - 1) == [] and desk.risk.is_halted
    [lifted] = desk.clock(11 * DAY)
    assert edge(lifted) == (HALTED, ACTIVE, DAY_ROLL)
    assert not desk.risk.is_halted and desk.risk.daily_pnl == 0


def test_daily_pnl_counts_only_since_the_start_of_the_day():
    desk = Desk(realized="-5000")
    assert desk.close(T0, "-1999.99") == [] and desk.risk.daily_pnl == Decimal("-1999.99")
    desk.clock(11 * DAY)
    assert desk.close(11 * DAY + 1, "-1999.99") == []


def test_the_day_roll_rebases_the_limit_on_the_new_equity():
    desk = Desk()
    desk.close(T0, "500")
    desk.clock(11 * DAY, equity="50000")
    assert desk.risk.day_start_equity == Decimal("50000")
    assert desk.risk.daily_loss_limit == Decimal("1000.00") and desk.risk.daily_pnl == 0
    assert desk.close(11 * DAY + 1, "-999.99") == []
    [halt] = desk.close(11 * DAY + 2, "-0.01")
    assert halt.trigger == DAILY_LOSS and "-1000.00" in halt.reason


def test_a_loss_seen_by_the_clock_also_halts():
    desk = Desk()
    desk.realized = Decimal("-2500")  # e.g. an unwind realized outside a trade close
    [halt] = desk.clock(T0 + 1)
    assert halt.trigger == DAILY_LOSS and desk.risk.is_halted


# --- circuit breaker ----------------------------------------------------------------------------
def test_a_losing_streak_trips_the_breaker_and_wins_reset_it():
    desk = Desk()
    desk.close(T0, "-1")
    desk.close(T0, "-1")
    desk.close(T0, "1")  # a win resets the streak
    assert desk.risk.consecutive_losses == 0
    desk.close(T0, "-1")
    desk.close(T0, "0")  # break-even leaves it
    assert desk.close(T0, "-1") == [] and desk.risk.consecutive_losses == 2
    [trip] = desk.close(T0 + 5, "-1")
    assert edge(trip) == (ACTIVE, HALTED, BREAKER) and "3 losing trades in a row" in trip.reason
    assert desk.risk.breaker_until == T0 + 5 + 120
    assert desk.risk.consecutive_losses == 0  # reset so it does not re-trip at once
    assert rule(desk, T0 + 5) == "risk:circuit_breaker"


def test_failed_legs_within_the_window_trip_the_breaker():
    desk = Desk()
    assert desk.close(T0, "1", failed_legs=2) == []
    assert desk.close(T0 + 100, "1", failed_legs=1) == []
    assert desk.risk.failed_legs_in_window(T0 + 299.9) == 3
    [trip] = desk.close(T0 + 299.9, "1", failed_legs=1)
    assert trip.trigger == BREAKER and "4 failed legs in 300 s" in trip.reason
    assert desk.risk.failed_legs_in_window(T0 + 299.9) == 0


def test_failed_legs_older_than_the_window_do_not_count():
    desk = Desk()
    desk.close(T0, "1", failed_legs=3)
    assert desk.risk.failed_legs_in_window(T0 + 300) == 0
    assert desk.close(T0 + 300, "1", failed_legs=1) == []
    assert desk.risk.failed_legs_in_window(T0 + 300) == 1 and desk.risk.state == ACTIVE


def test_the_breaker_lifts_exactly_after_its_cooldown():
    desk = Desk()
    desk.losing_streak(T0)
    assert desk.clock(T0 + 119.999) == [] and desk.risk.is_halted
    [lifted] = desk.clock(T0 + 120)
    assert lifted == RiskTransition(T0 + 120, HALTED, ACTIVE, BREAKER_COOLDOWN, "circuit breaker cooldown over")
    assert desk.risk.breaker_until is None and rule(desk, T0 + 120) is None


def test_resume_lifts_the_breaker_early():
    desk = Desk()
    desk.losing_streak(T0)
    assert edge(desk.risk.resume(T0 + 1)) == (HALTED, ACTIVE, RESUME)
    assert desk.risk.breaker_until is None
    assert desk.clock(T0 + 120) == []


def test_a_breaker_tripping_again_extends_the_halt():
    desk = Desk()
    desk.losing_streak(T0)
    [again] = desk.losing_streak(T0 + 60)
    assert edge(again) == (HALTED, HALTED, BREAKER)
    assert desk.risk.breaker_until == T0 + 180
    assert desk.clock(T0 + 120) == [] and desk.risk.is_halted


# --- exposure -----------------------------------------------------------------------------------
def test_exposure_holds_reducing_with_hysteresis():
    desk = Desk()
    assert desk.exposure(T0, BTC="4000", ETH="-4000") == []
    [breach] = desk.exposure(T0 + 1, BTC="100", ETH="-4000.01")
    assert edge(breach) == (ACTIVE, REDUCING, EXPOSURE)
    assert "ETH -4000.01" in breach.reason and "4000.00" in breach.reason and "BTC" not in breach.reason
    assert desk.risk.state == REDUCING and rule(desk, T0 + 1) == "risk:reducing"
    assert desk.exposure(T0 + 2, BTC="100", ETH="-2500") == []  # below the limit, above the resume level
    assert desk.exposure(T0 + 3, BTC="2000.01", ETH="0") == []
    assert desk.risk.state == REDUCING
    [cleared] = desk.exposure(T0 + 4, BTC="2000", ETH="-2000")
    assert edge(cleared) == (REDUCING, ACTIVE, EXPOSURE_CLEARED) and "2000.00" in cleared.reason
    assert desk.risk.state == ACTIVE and rule(desk, T0 + 4) is None


def test_the_exposure_reason_changes_only_when_other_assets_breach():
    desk = Desk()
    desk.exposure(T0, BTC="4500")
    assert desk.exposure(T0 + 1, BTC="4800") == []  # same asset, new numbers: no churn
    [update] = desk.exposure(T0 + 2, BTC="4800", SOL="5000")
    assert edge(update) == (REDUCING, REDUCING, EXPOSURE)
    assert "BTC +4800.00" in update.reason and "SOL +5000.00" in update.reason


# --- route cooldown -----------------------------------------------------------------------------
def test_the_cooldown_applies_per_route_and_expires_exactly():
    desk = Desk()
    desk.close(T0, "5")
    assert desk.risk.cooldown_remaining_s(*ROUTE, T0 + 10) == 20.0
    rejection = desk.risk.check(proposal(), T0 + 10)
    assert rejection.rule == "risk:cooldown" and "20.0 s left" in rejection.detail
    assert rule(desk, T0 + 10, route=("BTC/USDT", "binance", "okx")) is None  # the other direction
    assert rule(desk, T0 + 10, route=("ETH/USDT", "okx", "binance")) is None  # another symbol
    assert rule(desk, T0 + 29.999) == "risk:cooldown"
    assert desk.risk.cooldown_remaining_s(*ROUTE, T0 + 30) == 0.0
    assert rule(desk, T0 + 30) is None


# --- venues -------------------------------------------------------------------------------------
def test_venue_exclusion_and_readmission_report_only_changes():
    desk = Desk()
    health = desk.risk.set_venue_health
    assert health("okx", usable=True, latency_p95_ms=1500.0, fill_ratio=0.3) is None  # at the limits
    assert health("okx", usable=True, latency_p95_ms=math.nan, fill_ratio=math.nan) is None  # unknown
    assert health("okx", usable=True, latency_p95_ms=2100.0, fill_ratio=1.0) == \
        "okx excluded: p95 latency 2100 ms > 1500 ms"
    assert health("okx", usable=True, latency_p95_ms=2500.0, fill_ratio=1.0) is None
    assert desk.risk.excluded_venues == {"okx": "p95 latency 2500 ms > 1500 ms"}
    rejection = desk.risk.check(proposal(), T0)
    assert rejection.rule == "risk:venue_excluded" and rejection.detail.startswith("okx excluded")
    assert rule(desk, route=("BTC/USDT", "binance", "okx")) == "risk:venue_excluded"  # the sell side too
    assert rule(desk, route=("BTC/USDT", "binance", "bybit")) is None
    assert health("okx", usable=True, latency_p95_ms=50.0, fill_ratio=0.9) == "okx readmitted"
    assert health("okx", usable=True, latency_p95_ms=50.0, fill_ratio=0.9) is None
    assert health("gate", usable=True, latency_p95_ms=50.0, fill_ratio=0.2) == "gate excluded: fill ratio 0.20 < 0.30"
    assert health("htx", usable=False, latency_p95_ms=50.0, fill_ratio=1.0, detail="feed stale") == \
        "htx excluded: feed stale"
    assert set(desk.risk.excluded_venues) == {"gate", "htx"}


# --- persistence --------------------------------------------------------------------------------
def test_holds_survive_an_export_restore_round_trip():
    desk = Desk()
    desk.risk.reduce_only("manual", T0)
    desk.losing_streak(T0)
    desk.daily_loss(T0)
    desk.risk.kill("operator", T0)
    data = json.loads(json.dumps(desk.risk.export_holds()))
    restored = Desk(now=T0 + 10)
    changes = restored.risk.restore_holds(data, T0 + 10)
    assert changes and changes[0] is restored.risk.transitions[-1]
    assert restored.risk.holds == desk.risk.holds
    assert restored.risk.state == HALTED and restored.risk.reason == "operator"
    assert restored.risk.breaker_until == desk.risk.breaker_until
    assert restored.risk.export_holds() == data
    assert restored.risk.restore_holds(data, T0 + 10) == []  # idempotent
    assert edge(restored.risk.resume(T0 + 11)) == (HALTED, HALTED, RESUME)  # the daily loss remains
    [lifted] = restored.clock(11 * DAY)
    assert edge(lifted) == (HALTED, ACTIVE, DAY_ROLL)


def test_restore_skips_holds_that_have_expired():
    desk = Desk()
    desk.losing_streak(T0)
    desk.daily_loss(T0)
    data = desk.risk.export_holds()
    later = Desk(now=11 * DAY + 5)
    assert later.risk.restore_holds(data, 11 * DAY + 5) == []
    assert later.risk.state == ACTIVE


@pytest.mark.parametrize("data", [
    None, "kill", 5, [], {},
    {"kill_reason": 5, "reduce_reason": ["x"], "breaker_until": "soon", "daily_loss_day": True},
    {"breaker_until": math.nan, "daily_loss_day": "10", "unknown": {"x": 1}},
    {"breaker_until": True, "daily_loss_day": 10.0, "kill_reason": "   "},
])
def test_restore_ignores_garbage(data):
    desk = Desk()
    assert desk.risk.restore_holds(data, T0) == []
    assert desk.risk.state == ACTIVE and desk.risk.holds == ()


# --- the transition log -------------------------------------------------------------------------
def test_transitions_are_kept_newest_first_with_reasons_and_bounded():
    desk = Desk()
    desk.risk.reduce_only("manual", T0)
    desk.risk.kill("operator", T0 + 1)
    desk.risk.resume(T0 + 2)
    assert [(t.time, t.trigger, t.reason) for t in desk.risk.transitions] == [
        (T0 + 2, RESUME, "trading resumed"), (T0 + 1, KILL, "operator"), (T0, REDUCE, "manual")]
    for index in range(250):
        desk.risk.kill(f"again {index}", T0 + 10 + index)
    log = desk.risk.transitions
    assert len(log) == 200 and log[0].reason == "again 249" and log[-1].reason == "again 50"
    assert all(a.time > b.time for a, b in zip(log, log[1:]))
