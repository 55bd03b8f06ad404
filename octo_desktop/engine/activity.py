"""The activity log: one line per decision, trade, risk transition and notice, newest first (column 4)."""

from __future__ import annotations

from collections import deque

from octo_desktop.domain.model import Decision
from octo_desktop.domain.snapshot import DecisionView

RECENT_DECISIONS = 200


def decision_view(d: Decision) -> DecisionView:
    """Return a decision's line in the log."""
    return DecisionView(d.time, d.symbol, d.buy_venue, d.sell_venue, d.accepted, d.detail)


class ActivityLog:
    """What the engine and its desks decided and noticed, newest first; the GUI's decision log shows it."""

    def __init__(self, history=(), maxlen: int = RECENT_DECISIONS) -> None:
        self.entries: deque[DecisionView] = deque(history, maxlen=maxlen)

    def add(self, view: DecisionView) -> None:
        """Add one entry (a decision on an opportunity, a closed trade)."""
        self.entries.appendleft(view)

    def note(self, time: float, text: str, ok: bool = True, symbol: str = "", buy_venue: str = "",
             sell_venue: str = "") -> None:
        """Add a line of text (a risk transition, a recording, a venue's state)."""
        self.entries.appendleft(DecisionView(time, symbol, buy_venue, sell_venue, ok, text))

    def view(self) -> tuple[DecisionView, ...]:
        return tuple(self.entries)
