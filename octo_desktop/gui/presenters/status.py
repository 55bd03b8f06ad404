"""The status bar along the bottom of every page: engine state, market source, speed, event counts,
trades, the window's frame time, the errors and the config source.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from octo_desktop.domain.snapshot import ReplayView, Snapshot
from octo_desktop.gui import theme
from octo_desktop.gui.presenters.format import DASH, file_name, format_count

_ENGINE_STATE_COLOURS = {
    "running": theme.GREEN,
    "reducing": theme.AMBER,
    "halted": theme.RED,
    "starting": theme.AMBER,
    "stopping": theme.AMBER,
    "stopped": theme.GREY,
    "failed": theme.RED,
}


def engine_state_colour(state: str) -> str:
    """Return the colour the status bar shows the engine state in."""
    return _ENGINE_STATE_COLOURS.get(state, theme.TEXT_MUTED)

_MARKET_SOURCES = {"simulated": ("SIMULATED", theme.TEXT_MUTED), "live": ("LIVE", theme.GREEN),
                   "replay": ("REPLAY", theme.ACCENT)}


def market_source(market: str, replay: ReplayView | None = None) -> tuple[str, str]:
    """Return where the market data come from, and its colour: SIMULATED, LIVE or REPLAY <file>."""
    text, colour = _MARKET_SOURCES.get(market, ((market or DASH).upper(), theme.TEXT_MUTED))
    if market == "replay" and replay is not None and replay.path:
        text = f"REPLAY {file_name(replay.path)}"
    return text, colour


@dataclass(frozen=True, slots=True)
class StatusLine:
    """The texts of the status bar, field by field."""

    engine: str
    engine_colour: str
    market: str
    market_colour: str
    speed: str
    events: str
    events_per_second: str
    trades: str
    frame: str
    error: str
    source: str


def status_line(snapshot: Snapshot | None, frame_p50_ms: float, frame_p95_ms: float, source: str,
                gui_error: str = "", market: str = "", is_running: bool = True) -> StatusLine:
    """Return the status bar fields; before the first snapshot the engine shows as starting."""
    frame = (f"frame {frame_p50_ms:.1f}/{frame_p95_ms:.1f} ms p50/p95"
             if not (math.isnan(frame_p50_ms) or math.isnan(frame_p95_ms)) else "frame — ms")
    if snapshot is None:
        engine, colour = ("engine starting", theme.AMBER) if is_running else ("engine stopped", theme.RED)
        market_text, market_colour = market_source(market) if market else (DASH, theme.TEXT_MUTED)
        return StatusLine(engine, colour, market_text, market_colour, "speed —",
                          "events 0", "0 ev/s", "trades 0", frame, gui_error, f"config: {source}")
    # A GUI error first (it is about this window), then the engine's last error.
    error = " · ".join(text for text in (gui_error, snapshot.last_error) if text)
    speed = snapshot.speed if snapshot.speed == "max" else f"{snapshot.speed}×"
    # The last snapshot may still say "running" after the runtime thread died: trust the thread.
    state = snapshot.engine_state if is_running else "stopped"
    market_text, market_colour = market_source(snapshot.market, snapshot.replay)
    return StatusLine(
        engine=f"engine {state}",
        engine_colour=engine_state_colour(state) if is_running else theme.RED,
        market=market_text,
        market_colour=market_colour,
        speed=f"speed {speed}",
        events=f"events {format_count(snapshot.events)}",
        events_per_second=f"{snapshot.events_per_second:,.0f} ev/s",
        trades=f"trades {format_count(snapshot.trade_count)}",
        frame=frame,
        error=error,
        source=f"config: {source}",
    )
