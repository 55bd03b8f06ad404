"""The control bar and the welcome: the record toggle, the replay controls, the choices on their way to
the engine, and the one-screen welcome of a first start.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path

from octo_desktop.domain.snapshot import RecordingView, ReplayView
from octo_desktop.gui import theme
from octo_desktop.gui.presenters.format import (
    DASH,
    file_name,
    format_clock,
    format_count,
    format_duration,
    is_missing,
    shorten,
)

RECORDING_SUFFIX = ".jsonl.gz"


def default_recording_path(data_dir: str | Path, unix_seconds: float) -> Path:
    """Return ``<data dir>/recordings/octo-<UTC yyyymmdd-HHMMSS>.jsonl.gz`` for a recording started now."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime(unix_seconds))
    return Path(data_dir) / "recordings" / f"octo-{stamp}{RECORDING_SUFFIX}"


@dataclass(frozen=True, slots=True)
class RecordingModel:
    """The record toggle and the line next to it."""

    is_recording: bool
    button_text: str
    button_colour: str
    button_hover: str
    text: str
    text_colour: str
    full_text: str  # untruncated, for the tooltip


REC_BUTTON_OFF = "●  REC"
REC_BUTTON_ON = "■  STOP"


def recording_model(recording: RecordingView | None, now: float, is_recording: bool | None = None,
                    text_chars: int = 64) -> RecordingModel:
    """Return the record toggle and the recording's file, event count, duration and error.

    ``is_recording`` overrides the snapshot while a start or stop the user asked for is on its way.
    """
    recording_now = (recording is not None) if is_recording is None else is_recording
    if not recording_now:
        full, colour = "not recording", theme.TEXT_DIM
        if recording is not None and recording.error:
            full, colour = f"recording error: {recording.error}", theme.RED
        return RecordingModel(False, REC_BUTTON_OFF, theme.RAISED_BG, "#404040", shorten(full, text_chars),
                              colour, full)
    if recording is None:
        full, colour = "starting the recording…", theme.TEXT_MUTED
    elif recording.error:
        full, colour = f"{file_name(recording.path)} · recording error: {recording.error}", theme.RED
    else:
        duration = format_duration(now - recording.started) if not is_missing(now) else DASH
        full = (f"● {file_name(recording.path)} · {format_count(recording.events)} events · {duration}")
        colour = theme.RED
    return RecordingModel(True, REC_BUTTON_ON, theme.KILL, theme.KILL_HOVER, shorten(full, text_chars),
                          colour, full)


# Replay speeds offered, and the ControlReplay speed each one asks for (None = as fast as possible).
REPLAY_SPEEDS = (("1×", 1.0), ("10×", 10.0), ("100×", 100.0), ("max", None))


def replay_speed_label(speed: str) -> str:
    """Return the speed button that matches a snapshot's speed ("10" -> "10×", "max" -> "max")."""
    if speed == "max":
        return "max"
    try:
        return f"{float(speed):g}×"
    except ValueError:
        return speed


def replay_speed_value(label: str) -> float | None:
    """Return the speed factor of a speed button (None for "max")."""
    for name, value in REPLAY_SPEEDS:
        if name == label:
            return value
    raise ValueError(f"unknown replay speed {label!r}")


@dataclass(frozen=True, slots=True)
class ReplayModel:
    """The replay controls: play/pause, speed, progress and position."""

    play_text: str
    can_play: bool
    speed: str
    progress: float  # in [0, 1], rounded so the bar redraws only on a visible change
    position: str
    status: str
    status_colour: str


def replay_model(replay: ReplayView, paused: bool | None = None, speed: str | None = None) -> ReplayModel:
    """Return the replay controls; ``paused``/``speed`` override the snapshot while a change is on its way."""
    is_paused = replay.paused if paused is None else paused
    end_known = not is_missing(replay.end)
    stopped = replay.finished and bool(replay.error)  # a damaged recording ends where the damage starts
    progress = 1.0 if replay.finished and not stopped else round(replay.progress, 3)
    events = f"{format_count(replay.events)} events"
    if stopped:
        name = file_name(replay.path)
        reason = replay.error.replace(replay.path, name) if replay.path else replay.error
        play_text, status, colour = "▶  Play", shorten(f"stopped · {events} · {reason}", 90), theme.RED
    elif replay.finished:
        play_text, status, colour = "▶  Play", f"finished · {events}", theme.GREEN
    elif is_paused:
        play_text, status, colour = "▶  Play", f"paused · {events}", theme.AMBER
    else:
        play_text, colour = "❚❚  Pause", theme.TEXT_MUTED
        # Until the reader has seen the recording's end there is no percentage: say how far it got.
        done = f"{progress * 100:.0f} %" if end_known else f"{format_duration(replay.position - replay.start)} in"
        status = f"{done} · {events}"
    end = format_clock(replay.end) if end_known else "…"
    # The engine clock runs on after the last event; the replay's position stops at the end.
    at = min(replay.position, replay.end) if end_known else replay.position
    position = f"{format_clock(at)} / {end} UTC"
    return ReplayModel(play_text, not replay.finished, replay_speed_label(replay.speed if speed is None
                                                                          else speed),
                       progress, position, status, colour)


class PendingChoice:
    """Remember what the user just asked the engine for, until a snapshot agrees or ``timeout_s`` passes.

    Without it a control would flick back to the old value for the few frames the command takes to
    reach the engine and come back in a snapshot.
    """

    def __init__(self, timeout_s: float = 3.0) -> None:
        self.timeout_s = timeout_s
        self._value: object = None
        self._since = -math.inf
        self._active = False

    def request(self, value: object, now: float) -> None:
        """Note that ``value`` was asked for at ``now``."""
        self._value, self._since, self._active = value, now, True

    def clear(self) -> None:
        """Forget any request (e.g. when the runtime is replaced)."""
        self._active = False

    def shown(self, actual: object, now: float) -> object:
        """Return the value to show: the requested one while it is on its way, else ``actual``."""
        if self._active and (actual == self._value or now - self._since > self.timeout_s):
            self._active = False
        return self._value if self._active else actual


# --------------------------------------------------------------------------------------------------
# The welcome screen.
# --------------------------------------------------------------------------------------------------
WELCOME_SETTING = "welcome_shown"  # settings key: the welcome was dismissed once


@dataclass(frozen=True, slots=True)
class WelcomeModel:
    """What the one-screen welcome says: paragraphs, then (label, path, note) rows of where data lives."""

    title: str
    paragraphs: tuple[str, ...]
    places: tuple[tuple[str, str, str], ...]
    button: str


MARKET_WELCOME = {
    "simulated": "You are on the simulated market: a built-in market of {venues} venues and {symbols} symbols "
                 "that needs no network, no keys and no server. Started with --market live, Octo watches "
                 "the real venues instead, still trading on paper.",
    "live": "You are on the live market: real order books from {venues} venues, traded on paper.",
    "replay": "You are watching a replay of a recording, traded on paper as if it were live.",
}


COMPETITION_WELCOME = {
    "off": 'Nobody else trades it (simulation.preset = "off"): every chance waits for Octo\'s order, which '
           "no real market does.",
    "other": 'Other arbitrageurs trade it too (simulation.preset = "{preset}"), most of them faster than Octo: '
             "they take many chances before Octo's order arrives, so some trades are refused, unwound or lose. "
             "The opportunity list says which chances were gone and why.",
}


def welcome_model(market: str, venues: int, symbols: int, database: Path, recordings: Path,
                  config_path: Path, config_exists: bool, preset: str = "") -> WelcomeModel:
    """Return the welcome for a session on ``market`` and the places its data and settings live;
    ``preset`` is the simulated market's competition preset."""
    where = MARKET_WELCOME.get(market, MARKET_WELCOME["simulated"]).format(venues=venues, symbols=symbols)
    if market == "simulated" and preset:
        where += " " + COMPETITION_WELCOME["off" if preset == "off" else "other"].format(preset=preset)
    paragraphs = (
        "Octo watches the order books of many crypto venues at once, finds where the same asset can be "
        "bought on one venue and sold on another for more than every cost, and trades those chances.",
        "It trades on paper: no order reaches an exchange and no exchange keys are needed. Each fill is "
        "simulated against the books after the venue's latency, with taker fees, lot sizes, partial fills "
        "and the risk limits, so the P&L it shows is one you could really have made.",
        where,
        "Ctrl+K (or the kill switch at the top right) halts trading at once. Closing the window stops "
        "everything; your trades, balances and settings are kept for the next start.",
    )
    config_note = "" if config_exists else "not created yet: built-in defaults apply; `config init` writes one"
    places = (
        ("Trades, fills, balances, settings", str(database), ""),
        ("Recordings", str(recordings), ""),
        ("Config file", str(config_path), config_note),
    )
    return WelcomeModel("Welcome to Octo", paragraphs, places, "Start paper trading")


def wants_welcome(config_named: bool, config_exists: bool, settings) -> bool:
    """Return True for a first start: no config file (none named, none at the default place) and the
    welcome never dismissed in this database."""
    return not config_named and not config_exists and not settings.get(WELCOME_SETTING)
