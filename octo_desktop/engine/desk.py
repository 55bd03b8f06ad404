"""The desk protocol: what a desk is to the kernel, and the shared services it is given.

A desk is a component of its own (arbitrage today; treasury, router, basis, OTC and reports next).
The kernel owns the clock, the books, the event batches, the commands and the snapshot; the desks
share the services in ``DeskServices``. The kernel calls a desk, on the runtime loop only:

- ``start()`` once the feed runs: recover the desk's open work left by a crash or a stop;
- ``on_books(symbols, now)`` after each batch of market events, with the symbols whose books changed
  (at most once per loop iteration, however many events the batch had);
- ``on_clock(now)`` four times per engine second (housekeeping: a book that went stale changes
  nothing in the books, so a desk that needs to notice it looks here);
- ``handle(command)`` for a command no one before it took; it returns True when it was the desk's;
- ``on_halt(now)`` / ``on_resume(now)`` when the one kill switch is engaged or lifted;
- ``stop()`` at shutdown: open no new work (the kernel then lets the tasks in flight land, and cancels
  the rest: they stay journaled for ``start`` next time); ``close()`` after that: release resources;
- ``snapshot_fields(now)`` its part of the immutable snapshot, ``summary()`` its part of ``--json``.

A desk never reaches into another desk or into the kernel: what it needs comes in its constructor.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Iterable, Protocol

from octo_desktop.domain.commands import Command


class Desk(Protocol):
    """A component the kernel hosts; see the module docstring for when each method is called."""

    name: str

    def start(self) -> None: ...

    def on_books(self, symbols: Iterable[str], now: float) -> None: ...

    def on_clock(self, now: float) -> None: ...

    def handle(self, command: Command) -> bool: ...

    def on_halt(self, now: float) -> None: ...

    def on_resume(self, now: float) -> None: ...

    def stop(self) -> None: ...

    def close(self) -> None: ...

    @property
    def open_work(self) -> int:
        """How many of its units of work (trades, transfers, orders) are open: the risk panel counts them."""
        ...

    def snapshot_fields(self, now: float) -> dict[str, Any]: ...

    def summary(self) -> dict[str, Any]: ...


class Rules:
    """The trading rules in effect (the config, with what venues reported: ticks, lots, fees); one for all.

    The kernel replaces ``config`` when a venue reports its rules (``MarketRules``) and tells the
    listeners; every desk reads ``rules.config`` when it needs it, never a copy of its own.
    """

    def __init__(self, config) -> None:
        self.config = config
        self._listeners: list[Callable[[Any, str], None]] = []

    def listen(self, callback: Callable[[Any, str], None]) -> None:
        """Call ``callback(config, venue)`` after a venue's rules changed."""
        self._listeners.append(callback)

    def replace(self, config, venue: str) -> None:
        """Adopt ``config`` (a venue's reported rules applied to it) and tell the listeners."""
        self.config = config
        for callback in self._listeners:
            callback(config, venue)


@dataclass(frozen=True)
class DeskServices:
    """What the kernel shares with every desk (each is documented in its own module)."""

    rules: Rules  # the trading rules in effect
    clock: Any  # engine.clock.Clock: engine time, sleeping, timers
    store: Any  # storage.Store: the write-ahead journal and every record
    market: Any  # engine.market.MarketData: books, order flow, spoof detectors
    portfolio: Any  # engine.portfolio.Portfolio: balances, marks, equity, realized P&L
    risk: Any  # engine.risk.RiskService: the one risk engine and kill switch
    quality: Any  # engine.quality.ExecutionQuality: measured latency and fill ratio per venue
    execution: Any  # execution.base.ExecutionClient: orders (paper)
    activity: Any  # engine.activity.ActivityLog: the decision log
    publish: Callable[[bool], None]  # publish a snapshot now (True) or when one is due (False)
    spawn: Callable[[Any, str], None]  # run a coroutine as a task the kernel drains at shutdown
    mark_dirty: Callable[[str], None]  # have every desk look at a symbol again at the end of this iteration
    journal_failed: Callable[[str, str], None]  # (message, cause): a journal entry was not committed; halts
    # Wait until a write-ahead entry (a ``Store.submit_journal`` future) is durable; StorageError if not in time.
    durable: Callable[[Any, str], Awaitable[None]]
    # engine.transfer_costs.TransferCostBoard: each pair's transfer cost per unit traded (the treasury writes it)
    transfer_costs: Any
