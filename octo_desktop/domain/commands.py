"""Commands: what the GUI or the CLI asks the engine to do.

Commands are immutable values sent through ``Runtime.submit``; the engine consumes them in order on
its own thread. Names are imperative (events, by contrast, are in the past tense).
"""

from __future__ import annotations

import math

from dataclasses import dataclass
from decimal import Decimal
from typing import Any


@dataclass(frozen=True, slots=True)
class Command:
    """Base class of every command the engine accepts."""


@dataclass(frozen=True, slots=True)
class Halt(Command):
    """The kill switch: cancel resting orders, unwind open imbalances, enter HALTED until resumed."""

    reason: str = "kill switch"
    control_id: int | None = None  # set when it came from another process (``octo_desktop halt``)


@dataclass(frozen=True, slots=True)
class Resume(Command):
    """Lift a kill-switch, circuit-breaker or reduce-only hold (a daily-loss halt stays until 00:00 UTC)."""

    control_id: int | None = None


@dataclass(frozen=True, slots=True)
class SetThreshold(Command):
    """Set the minimum net spread after fees, in basis points, that makes an opportunity."""

    threshold_bps: float
    control_id: int | None = None  # set from the command line (``octo_desktop set``): answered in the database


@dataclass(frozen=True, slots=True)
class SetMinScore(Command):
    """Set the minimum composite signal score in [0, 1] an opportunity needs to be traded."""

    min_score: float
    control_id: int | None = None


@dataclass(frozen=True, slots=True)
class SaveSetting(Command):
    """Persist one user-interface setting (a JSON-serialisable value) in the settings table."""

    key: str
    value: Any


@dataclass(frozen=True, slots=True)
class Shutdown(Command):
    """Stop the engine: the sentinel that ends the command loop."""

    reason: str = ""  # why, for the summary: "run finished", "SIGTERM", "window closed"...


@dataclass(frozen=True, slots=True)
class StartRecording(Command):
    """Start writing every market event of this session to ``path`` (gzip JSON Lines)."""

    path: str


@dataclass(frozen=True, slots=True)
class StopRecording(Command):
    """Close the current recording."""


@dataclass(frozen=True, slots=True)
class ControlReplay(Command):
    """Pause or resume a replay, or change its speed (``speed`` None = as fast as possible).

    ``paused`` None leaves the pause state as it is; ``set_speed`` False leaves the speed as it is.
    """

    paused: bool | None = None
    speed: float | None = None
    set_speed: bool = False


@dataclass(frozen=True, slots=True)
class RequestTransfer(Command):
    """Move ``amount`` of ``asset`` from one venue (or the central wallet) to another, on ``network`` or on
    the cheapest one both ends support (the treasury desk)."""

    from_venue: str
    to_venue: str
    asset: str
    amount: Decimal
    network: str | None = None
    purpose: str = "manual"  # "manual", "rebalance" or "collect"
    control_id: int | None = None  # set from the command line (``octo_desktop treasury transfer``)


@dataclass(frozen=True, slots=True)
class RouteOrder(Command):
    """Buy or sell ``quantity`` of ``asset`` across every source the router sees (the router desk).

    ``order_type``: "market" (now), "limit" (only what can be done at or better than ``limit_price``; the rest
    waits or is cancelled, ``rest``) or "sniper" (when ``condition`` holds: "price_above", "price_below",
    "spread" or "liquidity", at ``level``, with ``condition_quantity`` for liquidity). ``expires_in_s``: engine
    seconds until it expires (inf: never).
    """

    side: str
    asset: str
    quantity: float
    order_type: str = "market"
    limit_price: float = math.nan
    rest: str = "wait"
    condition: str = ""
    level: float = math.nan
    condition_quantity: float = 0.0
    expires_in_s: float = math.inf
    control_id: int | None = None


@dataclass(frozen=True, slots=True)
class CancelRoute(Command):
    """Cancel parent order ``order_id``: no new child; those under way land."""

    order_id: int
    control_id: int | None = None


@dataclass(frozen=True, slots=True)
class PreviewRoute(Command):
    """Keep a live route preview of a would-be order in the snapshot (``quantity`` 0: none)."""

    side: str = "buy"
    asset: str = "SOL"
    quantity: float = 0.0
    limit_price: float = math.nan


@dataclass(frozen=True, slots=True)
class QuoteRoute(Command):
    """Answer a control command with the plan for a would-be order, as JSON (``route quote`` on a running
    engine)."""

    side: str
    asset: str
    quantity: float
    limit_price: float = math.nan
    control_id: int | None = None


@dataclass(frozen=True, slots=True)
class ShowPools(Command):
    """Answer a control command with the router's pools and OTC counterparties as JSON (``pools show`` on a
    running engine)."""

    control_id: int | None = None
