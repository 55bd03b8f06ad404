from decimal import Decimal

from octo_desktop.config import RiskConfig
from octo_desktop.domain.risk import RiskManager

LIMITS = RiskConfig(max_open_trades=2, max_notional_per_trade=Decimal("5000"), daily_loss_limit_pct=Decimal("2"))
DAY = 86_400.0


def manager(now=10 * DAY + 100):
    return RiskManager(LIMITS, starting_equity=Decimal("100000"), realized_total=Decimal("0"), now=now)


def test_an_ordinary_trade_passes():
    assert manager().check(Decimal("1000"), open_trades=0) == ("", "")


def test_kill_switch_rejects_with_its_reason_until_resumed():
    risk = manager()
    risk.halt("kill switch")
    assert risk.check(Decimal("1000"), 0)[0] == "risk:kill_switch"
    assert risk.state == "HALTED"
    risk.resume()
    assert risk.check(Decimal("1000"), 0) == ("", "")


def test_max_open_trades_and_max_notional_are_enforced():
    risk = manager()
    assert risk.check(Decimal("1000"), open_trades=2)[0] == "risk:max_open_trades"
    assert risk.check(Decimal("5000.01"), open_trades=0)[0] == "risk:max_notional"


def test_daily_loss_limit_halts_until_the_next_utc_day():
    now = 10 * DAY + 100
    risk = manager(now)
    assert risk.daily_loss_limit == Decimal("2000.00")
    risk.on_realized(now + 10, Decimal("-1999.99"))
    assert not risk.is_halted
    risk.on_realized(now + 20, Decimal("-2000.00"))
    code, detail = risk.check(Decimal("100"), 0)
    assert code == "risk:daily_loss" and "00:00 UTC" in detail
    risk.on_clock(11 * DAY - 1, Decimal("-2000.00"))
    assert risk.is_halted
    risk.on_clock(11 * DAY, Decimal("-2000.00"))
    assert not risk.is_halted and risk.daily_pnl == 0
