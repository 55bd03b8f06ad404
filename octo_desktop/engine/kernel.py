"""The kernel: the clock, the books, the event batches, the commands, the desks and the snapshot.

Everything here runs on the runtime loop (``engine.runtime``). A feed hands over its events in
batches: what one venue published at one instant (a simulated venue's tick, a replayed instant) goes
to ``on_market_batch``, which applies them to the books and then runs every desk once over the symbols
they touched (``Desk.on_books``). Events that come one at a time (a live socket's messages, the
market's reaction to our own fill) go to ``on_market_event``, which applies each at once (the paper
executor sees each book as it is when its order arrives) and runs the desks once at the end of the
loop iteration, over everything that changed in it: a burst of events costs one pass either way.
Four times per engine second ``housekeeping`` marks the account, applies the risk rules, lets each
desk look again (a book going stale changes nothing in the books) and samples the P&L curve. Commands
from the window and the command line arrive through ``handle``. After a batch, a snapshot is
published when the window's poll period has passed.

What the kernel shares with the desks is in ``engine.desk.DeskServices``; the desks come from the
``make_desks`` factory the composition root (``octo_desktop.app``) passes in, as do the feed and the
execution client, so that each gets what it needs in its constructor.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from dataclasses import replace
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Callable

from octo_desktop.config import SymbolSpec
from octo_desktop.domain.commands import (
    Command, ControlReplay, Halt, Resume, SaveSetting, StartRecording, StopRecording,
)
from octo_desktop.domain.model import USABLE_STATES, BookUpdate, FeedStatus, MarketRules, MarketTrade, NetworkRules
from octo_desktop.domain.risk import HALTED, IllegalTransition
from octo_desktop.domain.snapshot import ReplayView, Snapshot, VenueHealthView
from octo_desktop.engine.activity import ActivityLog, decision_view
from octo_desktop.engine.desk import DeskServices, Rules
from octo_desktop.engine.market import MarketData
from octo_desktop.engine.portfolio import Portfolio
from octo_desktop.engine.quality import ExecutionQuality
from octo_desktop.engine.recorder import Recorder
from octo_desktop.engine.risk import RiskService
from octo_desktop.engine.transfer_costs import TransferCostBoard
from octo_desktop.feeds.networks_live import apply_network_rules
from octo_desktop.feeds.recording import RecordingError, make_header
from octo_desktop.storage import StorageError

log = logging.getLogger(__name__)

HOUSEKEEPING_S = 0.25
PUBLISH_INTERVAL_S = 0.05  # real seconds between snapshots: the GUI polls at 20 Hz
JOURNAL_TIMEOUT_S = 2.0  # real seconds a write-ahead entry may take before trading halts for storage


class Kernel:
    """Host the desks on one clock and one set of books; dispatch events and commands; publish snapshots."""

    def __init__(self, config, clock, store, state, *, market: str, speed: str, publish: Callable[[Snapshot], None],
                 make_feed: Callable, make_execution: Callable, make_desks: Callable[[DeskServices], list],
                 recorder: Recorder | None = None, stop_at: float | None = None,
                 on_stop: Callable[[], None] | None = None, replay_path: str = "",
                 snapshot_wanted: Callable[[], bool] | None = None) -> None:
        """``snapshot_wanted()``: whether anyone read a snapshot since the last one (the window polls); a
        run nobody watches (headless, a replay) builds none but the forced ones. None: always build."""
        self.rules = Rules(config)
        self.clock = clock
        self.store = store
        self.market_kind = market
        self.speed = speed
        self._publish_cb = publish
        self._snapshot_wanted = snapshot_wanted
        self.recorder = recorder if recorder is not None else Recorder()
        self.replay_path = replay_path
        # A run of fixed length stops on the first housekeeping tick at or after ``stop_at`` (by calling
        # ``on_stop``), so that a replay of its recording stops at the same point of the stream.
        self.stop_at = stop_at
        self._on_stop = on_stop
        self.pause_at: float | None = None  # engine time stops here (a replay in the window has ended)
        self._feed_ended = False
        self._finished = False  # engine time stopped for good at a replay's end (the window's replay)
        self.last_error = ""
        self.state = "running"
        now = clock.now()
        self.activity = ActivityLog(map(decision_view, state.recent_decisions))
        self.market = MarketData(config.venue_names, config.symbols, config.strategy, config.spoofing,
                                 stale_after_s=config.strategy.stale_after_s, spoof_history=state.spoof_events,
                                 on_spoofs=self._spoofed, on_error=self._market_error,
                                 request_resync=self._request_resync)
        # The account, restored from the database: initial balances plus every fill ever recorded.
        initial = state.initial_balances or config.initial_balances()
        if state.is_new or state.initial_balances is None:
            store.initialize(initial, now)
        self.portfolio = Portfolio(initial, state, {s.split("/")[0]: config.markets[s].initial_price
                                                    for s in config.symbols}, store)
        self.risk = RiskService(config.risk, day_start_equity=self.portfolio.initial_equity_at(self.portfolio.marks),
                                realized_total=self.portfolio.realized_pnl, now=now, store=store,
                                activity=self.activity, history=state.risk_events, settings=state.settings)
        self._tasks: set[asyncio.Task] = set()
        self._dirty: dict[str, None] = {}  # insertion-ordered, so evaluation order is reproducible
        self._scheduled = False
        self._sequence = 0
        self._last_publish = -math.inf
        self._in_pass = False
        self._network_rules: dict[str, NetworkRules] = {}  # the latest each venue reported
        self.feed = make_feed(self.on_market_event, self.on_market_batch, self.stop_at_time, self.pause_at_time)
        self.execution = make_execution(self.market.books, self.feed)
        self.quality = ExecutionQuality(config, self.execution)
        self.services = DeskServices(
            rules=self.rules, clock=clock, store=store, market=self.market, portfolio=self.portfolio, risk=self.risk,
            quality=self.quality, execution=self.execution, activity=self.activity, publish=self._publish_now,
            spawn=self.spawn, mark_dirty=self.mark_dirty, journal_failed=self._journal_failed, durable=self.durable,
            transfer_costs=TransferCostBoard())
        self.desks = list(make_desks(self.services))

    # --- market events --------------------------------------------------------------------------------
    def on_market_event(self, event) -> None:
        """Apply one market event at once; the desks run over the touched symbols once per loop iteration."""
        if self._apply(event):
            self.mark_dirty(event.symbol)

    def on_market_batch(self, events) -> None:
        """Apply a batch of market events (one venue, one instant), then run the desks once over them."""
        dirty = self._dirty
        for event in events:
            if self._apply(event):
                dirty[event.symbol] = None
        if not self._in_pass:
            self._process_dirty()
        elif dirty and not self._scheduled:  # a feed called from inside a pass: the next pass has them
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self._process_dirty)

    def _apply(self, event) -> bool:
        """Apply one event; return whether it changed a book or the trades of ``event.symbol``."""
        if self.recorder.active:
            self.recorder.record(event)
        cls = event.__class__
        if cls is BookUpdate or cls is MarketTrade:  # nearly every event: no further questions
            self.market.apply(event)
            self.execution.on_market_event(event)
            return True
        if isinstance(event, FeedStatus):
            self._on_feed_status(event)
            return False
        if isinstance(event, MarketRules):
            self._on_market_rules(event)
            return False
        if isinstance(event, NetworkRules):
            self._on_network_rules(event)
            return False
        self.market.apply(event)
        self.execution.on_market_event(event)
        return True

    def mark_dirty(self, symbol: str) -> None:
        """Have every desk look at ``symbol`` at the end of this loop iteration."""
        self._dirty[symbol] = None
        if not self._scheduled:
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self._process_dirty)

    def _process_dirty(self) -> None:
        self._scheduled = False
        if not self._dirty:
            return
        now = self.clock.now()
        dirty, self._dirty = self._dirty, {}
        self._in_pass = True
        try:
            for desk in self.desks:
                desk.on_books(dirty, now)
        finally:
            self._in_pass = False
        self.maybe_publish()

    def _on_feed_status(self, event: FeedStatus) -> None:
        """Exclude a venue (or one book) the feed says is unusable, at once."""
        market = self.market
        if event.venue not in market.venue_messages:
            return
        if event.state not in USABLE_STATES:
            symbols = market.symbols if event.symbol is None else (event.symbol,)
            for symbol in market.invalidate(event.venue, symbols):
                self.mark_dirty(symbol)
        if event.symbol is None and market.venue_state.get(event.venue) != event.state:
            market.venue_state[event.venue] = event.state
            text = f"{event.venue}: {event.state}" + (f" ({event.detail})" if event.detail else "")
            self.activity.note(event.received_time, text, event.state in USABLE_STATES, buy_venue=event.venue)

    def _on_market_rules(self, event: MarketRules) -> None:
        """Adopt the tick, lot, minimum notional and fees a venue reported for its symbols."""
        config = self.rules.config
        venue = config.venues.get(event.venue)
        if venue is None:
            return
        specs = dict(venue.symbols)
        for symbol, tick, lot, minimum in event.specs:
            if symbol in specs:
                specs[symbol] = SymbolSpec(symbol, Decimal(tick), Decimal(lot), Decimal(minimum))
        taker = Decimal(event.taker_fee) if event.taker_fee is not None else venue.taker_fee
        maker = Decimal(event.maker_fee) if event.maker_fee is not None else venue.maker_fee
        venues = dict(config.venues)
        venues[event.venue] = replace(venue, symbols=MappingProxyType(specs), taker_fee=taker, maker_fee=maker)
        config = replace(config, venues=MappingProxyType(venues))
        self.rules.replace(config, event.venue)
        self.execution.set_config(config)

    def _on_network_rules(self, event: NetworkRules) -> None:
        """Adopt the withdrawal routes a venue reported (fees, minimums, open or not) over the built-in ones.

        Routes the user set in the config file stay as written, and chains the venue did not report keep
        their figures (``feeds.networks_live.apply_network_rules``). The event is kept so that a recording
        started later begins with it.
        """
        config, changed = apply_network_rules(self.rules.config, event)
        self._network_rules[event.venue] = event
        if not changed:
            return
        self.rules.replace(config, event.venue)
        self.execution.set_config(config)
        self.activity.note(event.received_time, f"{event.venue}: {changed} withdrawal routes from {event.source}",
                           True, buy_venue=event.venue)

    def _request_resync(self, venue: str, symbol: str) -> None:
        self.feed.request_resync(venue, symbol)

    def _market_error(self, message: str) -> None:
        self.last_error = message

    def _spoofed(self, events) -> None:
        for event in events:
            self.store.record_spoof_event(event)

    # --- tasks, errors ------------------------------------------------------------------------------
    def spawn(self, coroutine, name: str) -> None:
        """Run ``coroutine`` as a task; shutdown lets it land or cancels it."""
        task = asyncio.get_running_loop().create_task(coroutine, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            self.last_error = f"{task.get_name()} failed: {task.exception()!r}"
            log.error("%s failed", task.get_name(), exc_info=task.exception())

    def _journal_failed(self, message: str, cause: str) -> None:
        """A desk's journal entry could not be committed: say so, and halt until a trader resumes."""
        self.last_error = message
        log.error(message)
        self.risk.halt_for_storage(f"{self._storage_problem() or cause}; the trade journal cannot be written",
                                   self.clock.now())

    async def durable(self, future, what: str, timeout_s: float = JOURNAL_TIMEOUT_S) -> None:
        """Wait until a write-ahead entry is committed and synced (``Store.submit_journal``'s future).

        On a real-time loop the loop goes on meanwhile (other books, other trades). On a virtual-time
        loop engine time must not move while the entry lands, or a run would depend on the disk's speed:
        the loop waits for it (about 0.3 ms), which holds its clock. Raises StorageError if the entry is
        not durable within ``timeout_s`` real seconds (it stays queued and lands when the disk recovers).
        """
        try:
            if self.clock.is_virtual or future.done():
                future.result(timeout_s)
            else:
                await asyncio.wait_for(asyncio.wrap_future(future), timeout_s)
        except TimeoutError:
            raise StorageError(f"{what} not committed within {timeout_s:g} s: "
                               f"{self.store.last_error or 'the writer is busy'}") from None

    def _storage_problem(self) -> str:
        """Return the store's current write error with the file's name instead of its whole path."""
        error, path = self.store.last_error, self.store.path
        return error.replace(str(path), path.name) if error else error

    def _publish_now(self, force: bool = False) -> None:
        self.maybe_publish(force)

    # --- lifecycle ----------------------------------------------------------------------------------
    async def run_feed(self) -> None:
        """Run the market feed until it ends (a replay) or is cancelled."""
        await self.feed.run()
        self._feed_ended = True

    def start(self) -> None:
        """Let every desk recover its open work (call on the runtime loop once the feed runs)."""
        for desk in self.desks:
            desk.start()

    async def housekeeping(self) -> None:
        """Every quarter second: marks, risk, the desks' own look, the P&L curve, storage health, a snapshot."""
        while True:
            await self.clock.sleep(HOUSEKEEPING_S)
            now = self.clock.now()
            if self.stop_at is not None and now >= self.stop_at - 1e-9:
                if self._on_stop is not None:
                    self._on_stop()
                return
            self.portfolio.update_marks(self.market.medians(now))
            self.market.sample_rates(now)
            self._update_risk(now)
            for desk in self.desks:
                desk.on_clock(now)
            self.portfolio.sample(now)
            if self.store.last_error:
                self.last_error = f"storage: {self.store.last_error}"
                self.risk.halt_for_storage(self._storage_problem(), now)
            if self.pause_at is not None and now >= self.pause_at - 1e-9 and self._feed_ended and not self._tasks:
                # Nothing more will happen: engine time stops instead of running on empty at full speed
                # (and drawing a flat P&L curve past the recording's end). Commands are still handled.
                self.pause_at = None
                self._finished = True
                self.clock.set_paused(True)
                self.maybe_publish(force=True)
                continue
            self.maybe_publish()

    def _update_risk(self, now: float) -> None:
        health = self._venue_health(now)
        if self.market_kind == "live":
            # An order's round trip is learned from the connection: the REST round trip when measured,
            # else twice the one-way exchange-to-us latency of the newest book update.
            for venue, venue_health in health.items():
                rtt = venue_health.rest_rtt_ms
                measured = rtt if math.isfinite(rtt) else 2.0 * venue_health.latency_ms
                if math.isfinite(measured) and measured > 0:
                    self.execution.observe_latency(venue, measured)
        portfolio = self.portfolio
        self.risk.update(now, realized_total=portfolio.realized_pnl, equity=portfolio.equity_exact(),
                         exposure=portfolio.exposure_usdt(), health=health, quality=self.quality)

    def stop_at_time(self, when: float) -> None:
        """Stop on the first housekeeping tick at or after engine time ``when`` (a replay's recorded end)."""
        self.stop_at = when

    def pause_at_time(self, when: float) -> None:
        """Stop engine time on the first housekeeping tick at or after ``when`` with no work in flight
        (a replay in the window: it stays open on the finished session)."""
        self.pause_at = when

    async def shutdown(self, timeout: float) -> None:
        """Stop opening work; let work in flight land (up to ``timeout``), then cancel it."""
        for desk in self.desks:
            desk.stop()
        self.state = "stopping"
        self.recorder.source_stopped(self.clock.now())
        if self._tasks and self.clock.is_virtual:
            # Virtual time: trades in flight land as fast as the CPU allows, so that a paused replay or a
            # run slower than real time still stops within the drain's wall time; what they do is the same.
            self.clock.set_paused(False)
            self.clock.set_speed(None)
        if self._tasks:
            done, pending = await asyncio.wait(set(self._tasks), timeout=timeout)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending)
        self.store.record_clock(self.clock.now())
        self.recorder.close()
        for desk in self.desks:
            desk.close()
        self.state = "stopped"
        self.maybe_publish(force=True)

    # --- commands -----------------------------------------------------------------------------------
    def handle(self, command: Command) -> None:
        """Apply one command from the window or the command line (the kernel's own, else a desk's)."""
        now = self.clock.now()
        if isinstance(command, Halt):
            self.risk.kill(command.reason or "kill switch", now)
            self.store.save_setting("halted", True)
            cancelled = self.execution.cancel_all("kill switch")
            in_flight = sum(desk.open_work for desk in self.desks)
            for desk in self.desks:
                desk.on_halt(now)
            result = (f"HALTED: {self.risk.reason}; {cancelled} resting order(s) cancelled, "
                      f"{in_flight} trade(s) in flight unwinding")
            self.activity.note(now, result)
            if command.control_id is not None:
                self.store.mark_control(command.control_id, now, result)
        elif isinstance(command, Resume):
            try:
                self.risk.resume(now)
                result = f"resumed: {self.risk.state}" + (f" ({self.risk.reason})" if self.risk.reason else "")
                self.store.save_setting("halted", False)
            except IllegalTransition as exc:
                result = f"resume refused: {exc}"
            self.activity.note(now, result)
            if command.control_id is not None:
                self.store.mark_control(command.control_id, now, result)
            for desk in self.desks:
                desk.on_resume(now)
        elif isinstance(command, SaveSetting):
            self.store.save_setting(command.key, command.value)
        elif isinstance(command, StartRecording):
            self.start_recording(command.path)
        elif isinstance(command, StopRecording):
            if self.recorder.active:
                path = self.recorder.last_path
                self.recorder.stop(now)
                self.activity.note(now, f"recording saved: {path}")
        elif isinstance(command, ControlReplay):
            self._control_replay(command)
        elif not any(desk.handle(command) for desk in self.desks):
            raise TypeError(f"unknown command {command!r}")
        self.maybe_publish(force=True)

    def start_recording(self, path: str, *, at_start: bool = False) -> None:
        """Record every market event from now on; the file begins with snapshots of the current books.

        ``at_start`` (before any event) records from the clock's origin with no initial snapshots,
        so that a replay of the file starts exactly where this session started.
        """
        now = self.clock.now()
        source = "live" if self.market_kind == "live" else self.market_kind
        initial = []
        if not at_start:
            for (venue, symbol), book in self.market.books.items():
                if book.is_valid:
                    initial.append(BookUpdate(venue, symbol, book.sequence, tuple(book.iter_bids()),
                                              tuple(book.iter_asks()), True, book.exchange_time, now))
            # The withdrawal routes venues reported before now, so that a replay trades on the same ones.
            initial.extend(replace(event, received_time=now) for event in self._network_rules.values())
        try:
            self.recorder.start(path, make_header(self.rules.config, source, now), initial)
        except RecordingError as exc:
            self.last_error = str(exc)
            self.activity.note(now, f"recording failed: {exc}")
            return
        self.activity.note(now, f"recording to {path}")

    def _control_replay(self, command: ControlReplay) -> None:
        if self.market_kind != "replay" or not self.clock.is_virtual:
            raise ValueError("replay controls apply only to a replay")
        if command.paused is not None and (command.paused or not self._finished):
            self.clock.set_paused(command.paused)  # a finished replay has nothing left to play
        if command.set_speed:
            self.clock.set_speed(command.speed)
            self.speed = "max" if command.speed is None else f"{command.speed:g}"

    # --- the snapshot -------------------------------------------------------------------------------
    def maybe_publish(self, force: bool = False) -> None:
        """Publish a snapshot if the last one is older than the GUI's poll period (real time) and someone
        reads them; ``force``: now, whoever reads (a command's effect, a closed trade, start and stop)."""
        wall = time.monotonic()
        if force or (wall - self._last_publish >= PUBLISH_INTERVAL_S
                     and (self._snapshot_wanted is None or self._snapshot_wanted())):
            self._last_publish = wall
            self._publish_cb(self.snapshot())

    def _venue_health(self, now: float) -> dict[str, VenueHealthView]:
        return self.market.venue_health(now, self.feed.connection_health())

    def snapshot(self) -> Snapshot:
        """Build the immutable view of everything the window shows."""
        now = self.clock.now()
        self._sequence += 1
        market, portfolio, risk = self.market, self.portfolio, self.risk
        desk_fields: dict[str, Any] = {}
        for desk in self.desks:
            desk_fields.update(desk.snapshot_fields(now))
        state = self.state
        if state == "running" and risk.state == HALTED:
            state = "halted"
        elif state == "running" and risk.state != "ACTIVE":
            state = risk.state.lower()
        times, realized, marked = portfolio.history_arrays()
        return Snapshot(
            sequence=self._sequence, time=now, engine_state=state, market=self.market_kind, speed=self.speed,
            venues=market.venues, symbols=market.symbols, events=market.events,
            events_per_second=market.events_per_second(), books=market.book_views(now),
            decisions=self.activity.view(), balances=portfolio.balances_view(),
            marks=MappingProxyType(dict(portfolio.marks)), equity_usdt=portfolio.equity(),
            initial_equity_usdt=float(portfolio.initial_equity_at(portfolio.marks)),
            realized_pnl=portfolio.realized_pnl, fees_usdt=portfolio.fees,
            pnl_times=times, pnl_realized=realized, pnl_marked=marked,
            risk=risk.view(now, open_trades=sum(desk.open_work for desk in self.desks),
                           exposure=portfolio.exposure_usdt(), attribution=portfolio.attribution,
                           resting_orders=self.execution.resting_count),
            last_error=self.last_error, venue_health=MappingProxyType(self._venue_health(now)),
            recording=self.recorder.view(), replay=self._replay_view(now),
            spoof_events=tuple(market.spoof_events), spoof_count=market.spoof_count,
            **desk_fields)

    def _replay_view(self, now: float) -> ReplayView | None:
        feed = self.feed
        if self.market_kind != "replay":
            return None
        return ReplayView(path=self.replay_path, start=feed.start_time, end=feed.end_time, position=now,
                          events=feed.delivered, paused=self.clock.is_paused, speed=self.speed,
                          finished=feed.finished, error=feed.error)

    def summary(self, wall_seconds: float) -> dict:
        """Return the headless run's result as a JSON-ready dict (amounts as decimal strings)."""
        def amounts(balances):
            return {v: {a: str(x) for a, x in assets.items()} for v, assets in balances.items()}

        config, market, portfolio = self.rules.config, self.market, self.portfolio
        now = self.clock.now()
        desks: dict[str, Any] = {}
        for desk in self.desks:
            desks.update(desk.summary())
        summary = {
            "market": self.market_kind,
            "seed": config.seed,
            "engine_time": now,
            "events": market.events,
            "events_per_second": market.events / wall_seconds if wall_seconds > 0 else 0.0,
            "realized_pnl": str(portfolio.realized_pnl),
            "fees": str(portfolio.fees),
            "initial_balances": amounts(portfolio.initial_balances),
            "balances": amounts(portfolio.ledger.balances()),
            "equity_usdt": round(portfolio.equity(), 2),
            "risk": self.risk.summary(),
            "attribution": portfolio.attribution.as_dict(),
            "spoof_events": market.spoof_count,
            **desks,
            "books": {
                venue: {symbol: {"bid": _json_float(market.books[(venue, symbol)].best_bid),
                                 "ask": _json_float(market.books[(venue, symbol)].best_ask)}
                        for symbol in market.symbols}
                for venue in market.venues
            },
            "storage_error": self.store.last_error,
            "venues": {venue: _health_json(h) for venue, h in self._venue_health(now).items()},
        }
        summary.update(self.feed.summary())
        if self.market_kind == "replay":
            summary["replay_error"] = self.feed.error
        if self.recorder.last_path:
            summary["recording"] = {"path": self.recorder.last_path, "error": self.recorder.last_error}
        return summary


def _json_float(value: float) -> float | None:
    return None if math.isnan(value) else value


def _health_json(h: VenueHealthView) -> dict:
    def number(value: float) -> float | None:
        return None if math.isnan(value) else round(value, 3)

    return {"state": h.state, "age_ms": number(h.age_ms), "latency_ms": number(h.latency_ms),
            "rest_rtt_ms": number(h.rest_rtt_ms), "messages_per_s": round(h.messages_per_s, 2),
            "reconnects": h.reconnects, "last_error": h.last_error, "errors": dict(h.errors)}
