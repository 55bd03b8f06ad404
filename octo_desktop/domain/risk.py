"""Basic risk rules: kill switch, daily loss limit, max open trades, max notional per trade.

The daily loss is the realized trading P&L since 00:00 UTC (fees and unwind losses included), not
the mark-to-market swing of the inventory the account holds; when it reaches the limit, trading
halts until the next UTC day.
"""

from __future__ import annotations

from decimal import Decimal

from octo_desktop.config import RiskConfig

SECONDS_PER_DAY = 86_400

ACTIVE = "ACTIVE"
HALTED = "HALTED"


class RiskManager:
    """Decide whether a new trade may open, and hold the halt state."""

    def __init__(self, limits: RiskConfig, starting_equity: Decimal, realized_total: Decimal, now: float) -> None:
        self.limits = limits
        self.daily_loss_limit = (starting_equity * limits.daily_loss_limit_pct / 100).quantize(Decimal("0.01"))
        self.kill_reason = ""
        self._day = int(now // SECONDS_PER_DAY)
        self._day_start_realized = realized_total
        self._daily_pnl = Decimal(0)
        self._daily_halt_day: int | None = None

    # --- state ----------------------------------------------------------------------------------
    @property
    def is_halted(self) -> bool:
        return bool(self.kill_reason) or self._daily_halt_day is not None

    @property
    def state(self) -> str:
        return HALTED if self.is_halted else ACTIVE

    @property
    def reason(self) -> str:
        if self.kill_reason:
            return self.kill_reason
        if self._daily_halt_day is not None:
            return (f"daily loss limit reached ({self._daily_pnl:f} <= -{self.daily_loss_limit:f} USDT); "
                    f"halted until 00:00 UTC")
        return ""

    @property
    def daily_pnl(self) -> Decimal:
        return self._daily_pnl

    # --- transitions ----------------------------------------------------------------------------
    def halt(self, reason: str) -> None:
        """Engage the kill switch."""
        self.kill_reason = reason or "kill switch"

    def resume(self) -> None:
        """Release the kill switch (a daily-loss halt remains until the next UTC day)."""
        self.kill_reason = ""

    def on_clock(self, now: float, realized_total: Decimal) -> None:
        """Roll the day at 00:00 UTC: reset the daily P&L and lift a daily-loss halt."""
        day = int(now // SECONDS_PER_DAY)
        if day != self._day:
            self._day = day
            self._day_start_realized = realized_total
            self._daily_halt_day = None
        self._daily_pnl = realized_total - self._day_start_realized

    def on_realized(self, now: float, realized_total: Decimal) -> None:
        """Update the daily P&L after a trade closes; halt if the loss limit is reached."""
        self.on_clock(now, realized_total)
        if self._daily_pnl <= -self.daily_loss_limit and self._daily_halt_day is None:
            self._daily_halt_day = self._day

    # --- the check ------------------------------------------------------------------------------
    def check(self, notional: Decimal, open_trades: int) -> tuple[str, str]:
        """Return ("", "") if a trade of ``notional`` may open, else (reason code, detail)."""
        if self.kill_reason:
            return "risk:kill_switch", f"halted: {self.kill_reason}"
        if self._daily_halt_day is not None:
            return "risk:daily_loss", self.reason
        if open_trades >= self.limits.max_open_trades:
            return "risk:max_open_trades", (f"{open_trades} trades open, limit "
                                            f"{self.limits.max_open_trades}")
        if notional > self.limits.max_notional_per_trade:
            return "risk:max_notional", (f"notional {notional:.2f} above the per-trade limit "
                                         f"{self.limits.max_notional_per_trade:f}")
        return "", ""
