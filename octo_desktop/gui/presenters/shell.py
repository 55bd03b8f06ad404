"""What the window's shell shows around the desk pages: its title, its saved size, and the global risk
strip (the trading state with its reason, and what the kill switch does now).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from octo_desktop.domain.snapshot import RiskView
from octo_desktop.gui import theme
from octo_desktop.gui.presenters.format import DASH, file_name, shorten

DEFAULT_GEOMETRY = (1600, 950)
MIN_GEOMETRY = (1280, 760)
_GEOMETRY = re.compile(r"^\s*(\d{2,5})x(\d{2,5})")
_RISK_STATE_COLOURS = {"ACTIVE": theme.GREEN, "REDUCING": theme.AMBER, "HALTED": theme.RED}
KILL_BUTTON_TEXT = "KILL SWITCH (Ctrl+K)"
RESUME_BUTTON_TEXT = "Resume trading"
REASON_CHARS = 64  # the reason next to the state; the whole reason is in its tooltip


def window_title(market: str, replay_path: str = "") -> str:
    """Return the window title for a market name (a replay names its file)."""
    if market == "replay" and replay_path:
        return f"Octo — paper trading · replay of {file_name(replay_path)}"
    return f"Octo — paper trading · {market} market"


def parse_geometry(text: object, screen: tuple[int, int] | None = None) -> tuple[int, int]:
    """Return (width, height) from a saved "WxH" setting, the default if it is unusable."""
    match = _GEOMETRY.match(text) if isinstance(text, str) else None
    if match is None:
        return DEFAULT_GEOMETRY
    width = max(MIN_GEOMETRY[0], int(match.group(1)))
    height = max(MIN_GEOMETRY[1], int(match.group(2)))
    if screen is not None:
        width = min(width, max(MIN_GEOMETRY[0], screen[0]))
        height = min(height, max(MIN_GEOMETRY[1], screen[1]))
    return width, height


def desk_shortcut(index: int) -> str:
    """Return the key that selects the desk at ``index`` (0-based): "Ctrl+1" ... "Ctrl+9", "" past nine."""
    return f"Ctrl+{index + 1}" if 0 <= index < 9 else ""


def risk_state_colour(state: str) -> str:
    """Return the colour of a trading state: ACTIVE green, REDUCING amber, HALTED red."""
    return _RISK_STATE_COLOURS.get(state.upper(), theme.TEXT_MUTED)


@dataclass(frozen=True, slots=True)
class RiskHeadline:
    """The global risk strip: the trading state, its reason, and the kill-switch button."""

    state: str
    state_colour: str
    reason: str  # shortened to ``REASON_CHARS``; the whole reason is ``reason_full``
    reason_full: str
    reason_colour: str
    is_halted: bool
    button_text: str
    button_colour: str
    button_hover: str
    hint: str


def risk_headline(risk: RiskView | None) -> RiskHeadline:
    """Return the trading state with its reason, and what the kill-switch button does now: resume when
    HALTED, halt otherwise (before the engine's first report too)."""
    if risk is None:
        return RiskHeadline(DASH, theme.TEXT_DIM, "waiting for the engine", "", theme.TEXT_DIM, False,
                            KILL_BUTTON_TEXT, theme.KILL, theme.KILL_HOVER, "Ctrl+K halts at once")
    state = risk.state.upper()
    halted = state == "HALTED"
    reason = risk.reason or {"ACTIVE": "trading", "REDUCING": "reducing: no new trades"}.get(state, state.lower())
    colour = risk_state_colour(state)
    return RiskHeadline(
        state=state,
        state_colour=colour,
        reason=shorten(reason, REASON_CHARS),
        reason_full=reason,
        reason_colour=theme.TEXT_MUTED if state == "ACTIVE" else colour,
        is_halted=halted,
        button_text=RESUME_BUTTON_TEXT if halted else KILL_BUTTON_TEXT,
        button_colour=theme.RESUME if halted else theme.KILL,
        button_hover=theme.RESUME_HOVER if halted else theme.KILL_HOVER,
        hint="resume clears the kill switch and breaker holds" if halted else "Ctrl+K halts at once",
    )
