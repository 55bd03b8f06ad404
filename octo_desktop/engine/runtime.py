"""The runtime: one named thread (``octo-runtime``) running one asyncio loop with the feed, the kernel
and its desks, and the executor.

From the window (or the command line) two calls cross into it: ``submit(command)`` (any thread -> the
loop, through ``call_soon_threadsafe`` onto one asyncio queue) and ``latest_snapshot()`` (the loop
publishes a new immutable Snapshot by replacing one reference; readers get a whole object). The
``octo-control`` thread turns commands another process posted in the database into ``submit`` calls.
Every other thread and what crosses from it is listed in docs/ARCHITECTURE.md.
"""

from __future__ import annotations

import asyncio
import json
import math
import logging
import threading
import time
from datetime import datetime, timezone
from decimal import Decimal
from typing import Callable

from octo_desktop.config import ConfigError, check_engine_start

from octo_desktop.domain.commands import (
    CancelRoute, Command, Halt, QuoteRoute, ShowPools, RequestTransfer, Resume, RouteOrder, SetMinScore, SetThreshold, Shutdown,
)
from octo_desktop.domain.snapshot import Snapshot
from octo_desktop.engine.clock import Clock, VirtualTimeLoop, new_event_loop
from octo_desktop.engine.frame_gate import FrameGate

log = logging.getLogger(__name__)

THREAD_NAME = "octo-runtime"
TRADE_DRAIN_S = 1.5  # engine seconds that trades in flight get to land at shutdown
CONTROL_POLL_S = 0.25  # wall seconds between looks at the database's control table


class RuntimeFailure(RuntimeError):
    """The runtime failed to start or died; the message says why."""


def check_start_time(start_time: float | None, latest_time: float | None, where) -> None:
    """Refuse an engine start earlier than the latest engine time already stored in ``where``.

    Engine time never runs backwards on one database: a trade would close before it opened and
    fills would go back in time. Raises ConfigError (bad input: a start time or a database).
    """
    if start_time is None:
        return
    check_engine_start(start_time, "engine start")
    if latest_time is None or start_time >= latest_time:
        return
    raise ConfigError(f"the engine would start at {utc_text(start_time)}, before the latest engine time stored in "
                      f"{where} ({utc_text(latest_time)}): engine time never runs backwards on one database; "
                      f"give a later --start-time or another --db")


def utc_text(seconds: float) -> str:
    """Return unix ``seconds`` as 'YYYY-MM-DD HH:MM:SS.fff UTC'."""
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] + " UTC"


class Runtime:
    """Own the runtime thread; start it, talk to it, stop it."""

    def __init__(self, config, store, state, compose: Callable, *, speed: float | None = 1.0,
                 start_time: float | None = None, run_seconds: float | None = None,
                 virtual_time: bool = False, cleanup: Callable[[], None] | None = None) -> None:
        check_start_time(start_time, state.latest_time, store.path)
        self.config = config
        self.store = store
        self.database_path = store.path  # fixed for the runtime's life: the window shows it
        self.settings: dict = dict(state.settings)
        self._state = state
        self._compose = compose
        self.speed = speed
        self._start_time = start_time
        self._run_seconds = run_seconds
        self._virtual_time = virtual_time
        self._cleanup = cleanup
        self._snapshot: Snapshot | None = None
        self._snapshot_read = True  # the first periodic snapshot is built whoever reads
        self._loop: asyncio.AbstractEventLoop | None = None
        self._queue: asyncio.Queue | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._stopped = False
        self.failure: BaseException | None = None
        self.stop_reason = ""  # why the engine stopped: the first Shutdown's reason
        self._shutdown_requested = ""  # a shutdown asked for before the loop accepted commands
        # After the store closed: whether every write was committed, and if not how many were lost and why.
        self.store_complete: bool | None = None
        self.store_error = ""
        self.summary: dict | None = None
        self.wall_seconds = 0.0
        self._control_stop = threading.Event()
        self._control_thread: threading.Thread | None = None
        self.frame_gate = FrameGate()  # the window holds it while it draws a frame

    # --- the two cross-thread calls -------------------------------------------------------------
    def submit(self, command: Command) -> None:
        """Queue ``command`` for the engine. Safe from any thread; a no-op once the runtime stopped."""
        loop, queue = self._loop, self._queue
        if loop is None or queue is None or loop.is_closed():
            return
        try:
            loop.call_soon_threadsafe(queue.put_nowait, command)
        except RuntimeError:  # the loop closed between the check and the call
            pass

    def latest_snapshot(self) -> Snapshot | None:
        """Return the newest published snapshot (immutable), or None before the first. Thread-safe.

        Reading asks for the next one: a run nobody reads builds no periodic snapshots.
        """
        self._snapshot_read = True  # one attribute store: atomic; the loop clears it when it publishes
        return self._snapshot

    def _snapshot_wanted(self) -> bool:
        # On the loop: has anyone read since the last snapshot? Clear it for the next one.
        wanted, self._snapshot_read = self._snapshot_read, False
        return wanted

    # --- lifecycle ------------------------------------------------------------------------------
    @property
    def is_running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Start the runtime thread and wait until its loop accepts commands."""
        if self._thread is not None:
            raise RuntimeFailure("runtime already started")
        self._thread = threading.Thread(target=self._thread_main, name=THREAD_NAME, daemon=True)
        self._thread.start()
        self._ready.wait(30)
        if self.failure is not None:
            raise RuntimeFailure(f"runtime failed to start: {self.failure}") from self.failure

    def _open_control(self):
        """Return a reader of the database's control table, or None (no control channel)."""
        path = self.store.path
        from octo_desktop.storage import ControlReader

        try:
            return ControlReader(path)
        except Exception:  # noqa: BLE001 - no control channel is not fatal; say so once
            log.warning("control commands disabled for %s", path, exc_info=True)
            return None

    def _watch_control(self, reader) -> None:
        """Turn commands another process posted in the database (``octo_desktop halt``) into submits."""
        try:
            while not self._control_stop.wait(CONTROL_POLL_S):
                for command in _control_commands(reader):
                    self.submit(command)
        finally:
            reader.close()

    def stop(self, timeout: float = 2.0, reason: str = "stopped") -> None:
        """Ask the engine to shut down, wait for the thread, then close the store."""
        if self._thread is not None:
            self.submit(Shutdown(reason))
            self._thread.join(timeout)
            if self._thread.is_alive():
                log.error("runtime thread did not stop within %.1f s", timeout)
        self._close_store()

    def wait(self, timeout: float | None = None) -> None:
        """Wait for a run with ``run_seconds`` to finish on its own, then close the store."""
        if self._thread is not None:
            self._thread.join(timeout)
        if not self.is_running:
            self._close_store()

    def _close_store(self) -> None:
        self._control_stop.set()
        if self._control_thread is not None:
            self._control_thread.join(2.0)
        if not self._stopped and not self.is_running:
            self._stopped = True
            self.store_complete = self.store.close(timeout=5.0)
            first_error = self.store.first_error
            if not self.store_complete:
                self.store_error = (f"{self.store.lost_writes} write(s) to {self.store.path} were not committed: "
                                    f"{self.store.last_error or first_error or 'the writer timed out'}")
            elif first_error:  # nothing lost in the end, but the run was not what was asked: trading halted
                self.store_error = f"writing the database failed during the run ({first_error}); " \
                                   f"everything was committed in the end"
            if self._cleanup is not None:
                self._cleanup()

    # --- the thread -----------------------------------------------------------------------------
    def _thread_main(self) -> None:
        loop = new_event_loop(self.speed, virtual=self._virtual_time, gate=self.frame_gate)
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._main(loop))
        except BaseException as exc:  # noqa: BLE001 - recorded, logged and shown; the thread must end cleanly
            self.failure = exc
            log.exception("runtime failed")
        finally:
            self._ready.set()
            try:
                # Library tasks still pending (ccxt's throttlers, closing sockets) end here, not at GC.
                pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
                for task in pending:
                    task.cancel()
                if pending:
                    loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
                loop.run_until_complete(loop.shutdown_asyncgens())
            finally:
                loop.close()

    async def _main(self, loop: asyncio.AbstractEventLoop) -> None:
        origin = self._start_time
        if origin is None:  # continue after the latest engine time stored, never before it
            origin = max(time.time(), self._state.latest_time or 0.0, self._state.last_time or 0.0)
        if isinstance(loop, VirtualTimeLoop):
            loop.start_at(origin)  # engine time is the loop's time: replays repeat it exactly
        clock = Clock(loop, origin)
        self._queue = asyncio.Queue()
        stop_at = origin + self._run_seconds if self._run_seconds is not None else None
        engine = self._compose(self.config, self.store, self._state, clock, self._publish, self.speed,
                               stop_at=stop_at, on_stop=self.request_stop, snapshot_wanted=self._snapshot_wanted)
        self._loop = loop
        wall_start = time.perf_counter()
        tasks = [loop.create_task(engine.run_feed(), name="feed"),
                 loop.create_task(engine.housekeeping(), name="housekeeping")]
        for task in tasks:
            task.add_done_callback(self._background_done)
        # A halt posted while no engine ran (``octo_desktop halt``) applies before anything trades.
        control = self._open_control()
        if control is not None:
            for command in _control_commands(control):
                engine.handle(command)
            # The reader is handed to the watcher thread; this thread does not touch it again.
            self._control_thread = threading.Thread(target=self._watch_control, args=(control,),
                                                    name="octo-control", daemon=True)
            self._control_thread.start()
        engine.start()
        engine.maybe_publish(force=True)
        self._ready.set()
        if self._shutdown_requested:  # asked for while the runtime was starting (submit was a no-op then)
            self._queue.put_nowait(Shutdown(self._shutdown_requested))
        try:
            while True:
                command = await self._queue.get()
                if isinstance(command, Shutdown):
                    self.stop_reason = command.reason or "stopped"
                    break
                try:
                    engine.handle(command)
                except (TypeError, ValueError) as exc:
                    engine.last_error = f"command {command!r} refused: {exc}"
                    log.error(engine.last_error)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await engine.shutdown(TRADE_DRAIN_S)
            self.wall_seconds = time.perf_counter() - wall_start
            self.summary = {**engine.summary(self.wall_seconds), "stopped_by": self.stop_reason or "failure"}

    def request_shutdown(self, reason: str) -> None:
        """Ask the engine to shut down without waiting (any thread; a signal handler). ``wait`` then returns."""
        self._shutdown_requested = reason
        self.submit(Shutdown(reason))

    def request_stop(self, reason: str = "run finished") -> None:
        """Queue a shutdown from the runtime thread itself (end of a timed run or of a replay)."""
        if self._queue is not None:
            self._queue.put_nowait(Shutdown(reason))

    def _publish(self, snapshot: Snapshot) -> None:
        self._snapshot = snapshot  # one reference swap: readers see the old or the new, never half

    def _background_done(self, task: asyncio.Task) -> None:
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            log.error("%s stopped: %r", task.get_name(), exc, exc_info=exc)
            self.failure = exc
            if self._queue is not None:
                self._queue.put_nowait(Shutdown(f"{task.get_name()} failed"))


def _control_commands(reader) -> list[Command]:
    commands: list[Command] = []
    for control_id, command, reason in reader.new_commands():
        if command == "halt":
            commands.append(Halt(reason or "halt from the command line", control_id=control_id))
        elif command == "resume":
            commands.append(Resume(control_id=control_id))
        elif command == "set":
            setting = _setting_command(reason, control_id)
            if setting is not None:
                commands.append(setting)
        elif command == "transfer":
            transfer = _transfer_command(reason, control_id)
            if transfer is not None:
                commands.append(transfer)
        elif command == "route_pools":
            commands.append(ShowPools(control_id=control_id))
        elif command in ("route", "route_cancel", "route_quote"):
            route = _route_command(command, reason, control_id)
            if route is not None:
                commands.append(route)
        else:
            log.warning("ignoring unknown control command %r", command)
    return commands


SETTABLE = {"threshold_bps": SetThreshold, "min_score": SetMinScore}  # what ``octo_desktop set`` may change


def _setting_command(payload: str, control_id: int) -> Command | None:
    # ``octo_desktop set`` posts {"key": ..., "value": ...} (checked there); anything else is ignored, loudly.
    try:
        data = json.loads(payload)
        return SETTABLE[data["key"]](float(data["value"]), control_id=control_id)
    except (ValueError, KeyError, TypeError):
        log.warning("ignoring a malformed set command %r", payload)
        return None


def _transfer_command(payload: str, control_id: int) -> Command | None:
    # ``octo_desktop treasury transfer`` posts {"from", "to", "asset", "amount", "network"} (checked there).
    try:
        data = json.loads(payload)
        amount = Decimal(str(data["amount"]))
        return RequestTransfer(str(data["from"]), str(data["to"]), str(data["asset"]), amount,
                               data.get("network") or None, control_id=control_id)
    except (ValueError, KeyError, TypeError, ArithmeticError):
        log.warning("ignoring a malformed transfer command %r", payload)
        return None


def _route_command(kind: str, payload: str, control_id: int) -> Command | None:
    # ``octo_desktop route execute|cancel|quote`` posts JSON (checked there); anything else is ignored, loudly.
    try:
        data = json.loads(payload)
        if kind == "route_cancel":
            return CancelRoute(int(data["order_id"]), control_id=control_id)
        limit = float(data.get("limit_price") if data.get("limit_price") is not None else math.nan)
        if kind == "route_quote":
            return QuoteRoute(str(data["side"]), str(data["asset"]), float(data["quantity"]), limit,
                              control_id=control_id)
        expires = data.get("expires_in_s")
        level = data.get("level")
        return RouteOrder(str(data["side"]), str(data["asset"]), float(data["quantity"]),
                          str(data.get("order_type", "market")), limit, str(data.get("rest", "wait")),
                          str(data.get("condition") or ""), float(level) if level is not None else math.nan,
                          float(data.get("condition_quantity") or 0.0),
                          float(expires) if expires is not None else math.inf, control_id=control_id)
    except (ValueError, KeyError, TypeError):
        log.warning("ignoring a malformed %s command %r", kind, payload)
        return None
