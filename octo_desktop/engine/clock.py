"""The one clock, and the event loop that lets it run faster than real time.

Every component reads time from a ``Clock`` and waits with ``Clock.sleep``; both go through the
runtime's event loop. At ``speed == 1`` that loop is an ordinary asyncio loop. Otherwise it is a
``VirtualTimeLoop``: its ``time()`` is virtual and advances by the loop's own timeouts, so
``asyncio.sleep`` (and everything built on it) runs ``speed`` times faster than real time, or as fast
as the CPU allows with ``speed=None`` ("max"). Real I/O (commands from the GUI thread arriving through
``call_soon_threadsafe``) still wakes the loop at once.
"""

from __future__ import annotations

import asyncio
import math
import selectors
import time


POLL_INTERVAL_S = 0.0005  # at most this long (real time) between two looks at the sockets when not waiting


class _VirtualSelector:
    """Wrap a real selector; a timeout advances virtual time instead of (or faster than) waiting."""

    def __init__(self, selector: selectors.BaseSelector, loop: "VirtualTimeLoop") -> None:
        self._selector = selector
        self._loop = loop
        self._polled = -math.inf  # real time of the last look at the sockets

    def _poll(self):
        # A look at the sockets without waiting. As fast as possible, a loop iteration takes a few
        # microseconds and the look (a system call) would be a large part of it; commands from other
        # threads are queued already (call_soon_threadsafe) and only need the wake-up read, so look at
        # most every POLL_INTERVAL_S of real time.
        now = time.monotonic()
        if now - self._polled < POLL_INTERVAL_S:
            return []
        gate = self._loop.gate
        if gate is not None:
            gate.pass_through()  # a window drawing a frame has the interpreter to itself meanwhile
            now = time.monotonic()
        self._polled = now
        return self._selector.select(0)

    def select(self, timeout: float | None = None):
        loop = self._loop
        if (loop.paused or loop.holds) and timeout is not None and timeout > 0:
            # Paused: engine time stands still; only real I/O (a command) wakes the loop.
            return self._selector.select(None)
        if timeout is None:
            # Nothing is scheduled: only real I/O (a command, a shutdown) can wake the loop.
            return self._selector.select(None)
        if timeout <= 0:
            return self._poll()
        if loop.speed is None:
            events = self._poll()
            if not events:
                loop.advance(timeout)
            return events
        # Pace against one real-time anchor rather than sleeping timeout/speed per timer: epoll
        # rounds sub-millisecond waits up to 1 ms, which would cap the speed at ~1000 timers/s.
        wake = loop.time() + timeout
        wait = loop.real_time_of(wake) - time.monotonic()
        events = self._selector.select(wait if wait > 0 else 0)
        if events:
            reached = loop.virtual_time_of(time.monotonic())
            loop.advance(max(0.0, min(wake, reached) - loop.time()))
        else:
            loop.advance(timeout)
        return events

    def __getattr__(self, name):
        return getattr(self._selector, name)


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    """An asyncio loop whose ``time()`` is virtual: ``speed`` x real time, or as fast as possible."""

    def __init__(self, speed: float | None, gate=None) -> None:
        if speed is not None and speed <= 0:
            raise ValueError("speed must be positive, or None for as fast as possible")
        self.speed = speed
        self.gate = gate  # a FrameGate: the window's frames, which a busy loop lets through
        self.paused = False
        self.holds = 0  # > 0 while something outside the loop must finish before engine time moves on
        self._virtual_time = 0.0
        self._real_anchor = time.monotonic()
        super().__init__(selector=_VirtualSelector(selectors.DefaultSelector(), self))

    def set_speed(self, speed: float | None) -> None:
        """Change the speed from now on (None: as fast as possible); call on the loop's thread."""
        if speed is not None and speed <= 0:
            raise ValueError("speed must be positive, or None for as fast as possible")
        self.speed = speed
        self._reanchor()

    def set_paused(self, paused: bool) -> None:
        """Stop or restart engine time; call on the loop's thread."""
        self.paused = paused
        if not paused:
            self._reanchor()

    def hold(self) -> None:
        """Stop engine time until a matching ``release`` (nestable); call on the loop's thread."""
        self.holds += 1

    def release(self) -> None:
        """Undo one ``hold``; engine time runs again once every hold is released."""
        if self.holds > 0:
            self.holds -= 1
            if not self.holds and not self.paused:
                self._reanchor()

    def start_at(self, when: float) -> None:
        """Set virtual time to ``when`` (engine unix seconds) before anything is scheduled on the loop.

        A ``Clock`` whose origin is this same value then reads ``now()`` as the loop's time itself,
        with no offset to add: every engine timestamp is a loop time, exactly. A replay scheduled at
        the recorded timestamps therefore runs its timers (order latencies, fills) at bit-identical
        times to the session that recorded it. With an offset, ``origin + loop time`` rounds to the
        float spacing of unix seconds (~0.24 us), and a fill and a market event that close together
        could swap order in the replay.
        """
        if self._scheduled or self._ready:
            raise RuntimeError("start_at must be called before anything is scheduled on the loop")
        self._virtual_time = float(when)
        # asyncio runs the timers due before ``time() + _clock_resolution``. At unix-second magnitudes
        # the monotonic clock's resolution (1 ns) is below the float spacing and vanishes in that sum,
        # so a timer due exactly now would never run: the loop would spin. Two spacings survive the
        # sum (also past the next power of two, where the spacing doubles).
        self._clock_resolution = max(self._clock_resolution, 2.0 * math.ulp(self._virtual_time))
        self._reanchor()

    def _reanchor(self) -> None:
        # Virtual time continues from where it is; pacing restarts from this real instant.
        if self.speed is not None:
            self._real_anchor = time.monotonic() - self._virtual_time / self.speed

    def real_time_of(self, virtual: float) -> float:
        """Return the monotonic real time at which ``virtual`` is due (finite speed only)."""
        return self._real_anchor + virtual / self.speed

    def virtual_time_of(self, real: float) -> float:
        """Return the virtual time that real monotonic time ``real`` corresponds to."""
        return (real - self._real_anchor) * self.speed

    def time(self) -> float:
        return self._virtual_time

    def advance(self, seconds: float) -> None:
        """Move virtual time forward (called by the selector when it would otherwise wait)."""
        self._virtual_time += seconds

    def skip_to(self, when: float) -> bool:
        """Move virtual time to ``when`` (loop time) at once, from a callback, if the loop would do nothing else.

        That is: as fast as possible, neither paused nor held, no stop requested, no callback ready, no
        timer due before ``when`` (nor at it: equal times keep the loop's own order), and the sockets looked
        at less than ``POLL_INTERVAL_S`` ago. The loop would then run its selector with no I/O, advance to
        ``when`` and call the timer due there; the caller does that timer's work itself instead, without
        the round trip through the heap. Return False (time unchanged) otherwise: schedule a timer.
        """
        if self.speed is not None or self.paused or self.holds or self._ready or self._stopping \
                or when < self._virtual_time:
            return False
        scheduled = self._scheduled
        if scheduled and scheduled[0]._when < when + self._clock_resolution:
            return False
        if time.monotonic() - self._selector._polled >= POLL_INTERVAL_S:
            return False  # the loop's turn: commands, and the window's frame gate
        self._virtual_time = when
        return True


def new_event_loop(speed: float | None, virtual: bool = False, gate=None) -> asyncio.AbstractEventLoop:
    """Return a real-time loop for ``speed == 1`` (unless ``virtual``), else a virtual-time loop.

    Replays always run on virtual time, so that they can pause and change speed and give the same
    result at any speed. ``gate``: the window's ``FrameGate``, which a virtual-time loop lets through at
    its looks at the sockets (a real-time loop waits in the selector and never hogs the interpreter).
    """
    if speed == 1 and not virtual:
        return asyncio.new_event_loop()
    return VirtualTimeLoop(speed, gate=gate)


class Clock:
    """Engine time in unix seconds, and sleeping on it; bound to the runtime loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop, origin: float) -> None:
        self._loop = loop
        self._origin = origin
        self._loop_zero = loop.time()

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        return self._loop

    @property
    def origin(self) -> float:
        return self._origin

    def now(self) -> float:
        """Return the engine time, unix seconds."""
        return self._origin + (self._loop.time() - self._loop_zero)

    @property
    def is_virtual(self) -> bool:
        """True when engine time is not wall time (a faster, paused or replayed run)."""
        return isinstance(self._loop, VirtualTimeLoop)

    def hold(self) -> None:
        """Stop engine time (virtual time only) while real-time work it must not outrun is pending.

        Used while a remote advisor thinks: in a run faster than real time the market would otherwise
        move on by speed x its latency. A real-time loop cannot be held; there is nothing to do.
        """
        if isinstance(self._loop, VirtualTimeLoop):
            self._loop.hold()

    def release(self) -> None:
        """Undo one ``hold``."""
        if isinstance(self._loop, VirtualTimeLoop):
            self._loop.release()

    @property
    def is_paused(self) -> bool:
        """Whether engine time is paused (a replay's pause button; a real-time clock never is)."""
        return isinstance(self._loop, VirtualTimeLoop) and self._loop.paused

    def set_paused(self, paused: bool) -> None:
        """Pause or restart engine time (virtual time only: ValueError on a real-time clock)."""
        self._virtual_loop().set_paused(paused)

    def set_speed(self, speed: float | None) -> None:
        """Run engine time ``speed`` times real time, or as fast as possible (None); virtual time only."""
        self._virtual_loop().set_speed(speed)

    def _virtual_loop(self) -> VirtualTimeLoop:
        if not isinstance(self._loop, VirtualTimeLoop):
            raise ValueError("a real-time clock cannot be paused or sped up")
        return self._loop

    def monotonic(self) -> float:
        """Return the loop's own time (for intervals)."""
        return self._loop.time()

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` of engine time."""
        await asyncio.sleep(seconds)

    async def sleep_until(self, when: float) -> None:
        """Wait until engine time ``when`` (unix seconds); ``now()`` then reads ``when`` exactly or later."""
        future = self._loop.create_future()
        handle = self._loop.call_at(self._loop_zero + (when - self._origin), _resolve, future)
        try:
            await future
        finally:
            handle.cancel()

    def skip_to(self, when: float) -> bool:
        """Move engine time to ``when`` now if the loop has nothing else to do before it (see ``VirtualTimeLoop.skip_to``).

        The caller then does at once what it would have done in a timer at ``when``; False (always on a
        real-time clock) means: schedule that timer.
        """
        loop = self._loop
        return isinstance(loop, VirtualTimeLoop) and loop.skip_to(self._loop_zero + (when - self._origin))

    def call_at(self, when: float, callback, *args) -> asyncio.TimerHandle:
        """Run ``callback(*args)`` at engine time ``when`` (unix seconds)."""
        return self._loop.call_at(self._loop_zero + (when - self._origin), callback, *args)

    def call_later(self, seconds: float, callback, *args) -> asyncio.TimerHandle:
        """Run ``callback(*args)`` after ``seconds`` of engine time."""
        return self._loop.call_later(seconds, callback, *args)


def _resolve(future: asyncio.Future) -> None:
    if not future.done():
        future.set_result(None)
