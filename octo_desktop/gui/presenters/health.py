"""Column 1 of the arbitrage page, venue health: each venue's feed state as a badge, the age of its
newest update, latency, message rate, reconnects and errors, and the detail line under the table.
"""

from __future__ import annotations

from dataclasses import dataclass

from octo_desktop.domain.snapshot import Snapshot, VenueHealthView
from octo_desktop.gui import theme
from octo_desktop.gui.presenters.format import (
    DASH,
    format_count,
    format_ms,
    format_rate,
    is_missing,
    plural,
    shorten,
)

BADGE_TEXT = "#161b22"  # dark text on a filled badge
_NEUTRAL_BADGE = (theme.RAISED_BG, theme.TEXT_MUTED)
# state -> (badge text, badge background, badge text colour, long name for the detail line)
_HEALTH_STATES = {
    "live-ws": ("LIVE WS", theme.GREEN, BADGE_TEXT, "live over WebSocket"),
    "live-rest": ("REST", theme.AMBER, BADGE_TEXT, "live over REST polling"),
    "connecting": ("CONNECTING", theme.ACCENT, BADGE_TEXT, "connecting: first books arriving"),
    "reconnecting": ("RECONNECTING", theme.AMBER, BADGE_TEXT, "reconnecting"),
    "stale": ("STALE", theme.GREY, BADGE_TEXT, "stale: no recent update"),
    "down": ("DOWN", theme.RED, BADGE_TEXT, "down"),
    "simulated": ("SIM", *_NEUTRAL_BADGE, "simulated market"),
    "replay": ("REPLAY", *_NEUTRAL_BADGE, "replayed from a recording"),
}
HEALTH_ERROR_CHARS = 13  # the row's error cell; the full text is in the tooltip and the detail line


@dataclass(frozen=True, slots=True)
class HealthBadge:
    """How a venue's market-data state is shown: a short word on a coloured badge."""

    text: str
    background: str
    foreground: str
    description: str


def health_badge(state: str) -> HealthBadge:
    """Return the badge of a venue-health state (an unknown state shows as itself, neutral)."""
    known = _HEALTH_STATES.get(state)
    if known is None:
        return HealthBadge(state.upper() or DASH, *_NEUTRAL_BADGE, state or "unknown")
    return HealthBadge(*known)


@dataclass(frozen=True, slots=True)
class HealthRow:
    """One venue's line in the health table."""

    venue: str
    badge: HealthBadge
    age_ms: str
    age_colour: str
    latency_ms: str
    messages_per_s: str
    reconnects: str
    reconnects_colour: str
    error: str  # shortened to fit the row
    full_error: str
    error_colour: str
    text_colour: str


_NO_HEALTH = HealthBadge("NO DATA", *_NEUTRAL_BADGE, "no health report yet")


def health_row(venue: str, health: VenueHealthView | None,
               error_chars: int = HEALTH_ERROR_CHARS) -> HealthRow:
    """Return the health line of one venue (dashes when the engine has not reported it yet)."""
    if health is None:
        return HealthRow(venue, _NO_HEALTH, DASH, theme.TEXT_DIM, DASH, DASH, DASH, theme.TEXT_DIM, "", "",
                         theme.TEXT_DIM, theme.TEXT_DIM)
    down = health.state == "down"
    text = theme.TEXT_DIM if down else theme.TEXT
    return HealthRow(
        venue=venue,
        badge=health_badge(health.state),
        age_ms=format_ms(health.age_ms),
        age_colour=theme.AMBER if health.state == "stale" else text,
        latency_ms=format_ms(health.latency_ms),
        messages_per_s=format_rate(health.messages_per_s),
        reconnects=format_count(health.reconnects),
        reconnects_colour=theme.AMBER if health.reconnects > 0 else theme.TEXT_MUTED,
        error=shorten(health.last_error, error_chars),
        full_error=health.last_error,
        error_colour=theme.RED,
        text_colour=text,
    )


def health_venues(snapshot: Snapshot) -> tuple[str, ...]:
    """Return the venues of the health table: the snapshot's venues, then any other reported one."""
    extra = tuple(v for v in snapshot.venue_health if v not in snapshot.venues)
    return tuple(snapshot.venues) + extra


def health_rows(snapshot: Snapshot, error_chars: int = HEALTH_ERROR_CHARS) -> tuple[HealthRow, ...]:
    """Return one health line per venue."""
    return tuple(health_row(venue, snapshot.venue_health.get(venue), error_chars)
                 for venue in health_venues(snapshot))


def error_counts_text(errors) -> str:
    """Return "gap 2, checksum 1": error kinds with their counts, most frequent first."""
    items = sorted(((kind, count) for kind, count in errors.items() if count), key=lambda kv: (-kv[1], kv[0]))
    return ", ".join(f"{kind} {format_count(count)}" for kind, count in items)


def health_detail(snapshot: Snapshot, venue: str | None) -> tuple[str, str]:
    """Return the detail line under the health table, and its colour.

    For a chosen venue: its state, REST round trip, reconnects, errors by kind and the whole last
    error. With none chosen: the first venue that has an error, else a one-line summary.
    """
    reports = snapshot.venue_health
    if venue is None or venue not in reports:
        venue = next((v for v in health_venues(snapshot) if v in reports and reports[v].last_error), None)
    if venue is None:
        if not reports:
            return "venue health: waiting for the engine's first report", theme.TEXT_DIM
        usable = sum(1 for h in reports.values() if h.usable)
        reconnects = sum(h.reconnects for h in reports.values())
        errors = sum(sum(h.errors.values()) for h in reports.values())
        return (f"{usable}/{len(reports)} venues usable · {plural(reconnects, 'reconnect')} · "
                f"{plural(errors, 'error')} · click a venue for details"), theme.TEXT_MUTED
    health = reports[venue]
    parts = [venue, health_badge(health.state).description]
    if not is_missing(health.rest_rtt_ms):
        parts.append(f"REST rtt {format_ms(health.rest_rtt_ms)} ms")
    parts.append(plural(health.reconnects, "reconnect"))
    counts = error_counts_text(health.errors)
    parts.append(f"errors {counts}" if counts else "no errors")
    text = " · ".join(parts)
    if health.last_error:
        return f"{text}\nlast error: {health.last_error}", theme.RED
    return text, theme.TEXT_MUTED
