import asyncio

from octo_desktop.engine.clock import Clock, VirtualTimeLoop


def test_virtual_loop_runs_an_hour_of_sleeps_in_order_without_waiting():
    loop = VirtualTimeLoop(None)
    clock = Clock(loop, origin=1_000.0)
    woke = []

    async def sleeper(name, seconds):
        await clock.sleep(seconds)
        woke.append((name, clock.now()))

    async def main():
        await asyncio.gather(sleeper("late", 3600.0), sleeper("early", 0.25), sleeper("middle", 60.0))

    try:
        loop.run_until_complete(main())
    finally:
        loop.close()
    assert [name for name, _ in woke] == ["early", "middle", "late"]
    assert [round(t - 1_000.0, 6) for _, t in woke] == [0.25, 60.0, 3600.0]


def test_thread_safe_callbacks_still_wake_a_virtual_loop():
    loop = VirtualTimeLoop(None)
    try:
        future = loop.create_future()
        loop.call_soon_threadsafe(future.set_result, "command")
        assert loop.run_until_complete(future) == "command"
    finally:
        loop.close()


def test_a_loop_started_at_unix_time_wakes_sleepers_at_exactly_their_engine_time():
    """Engine time is the loop's time (no offset to round): sleep_until(t) wakes with now() == t, for
    times one float spacing apart, and a timer due "now" runs instead of spinning the loop."""
    import math
    import random

    start = 1_767_225_600.0
    loop = VirtualTimeLoop(None)
    rng = random.Random(3)
    targets = sorted(start + rng.uniform(0.0, 600.0) for _ in range(200))
    targets += [targets[-1] + math.ulp(targets[-1]), targets[-1] + 2 * math.ulp(targets[-1])]
    woke = []

    async def main():
        clock = Clock(loop, start)
        assert clock.now() == start == loop.time()
        for target in targets:
            await clock.sleep_until(target)
            woke.append(clock.now())
        await asyncio.sleep(0)  # due at once
        await asyncio.sleep(1e-12)  # far below the float spacing at this magnitude: due at once too

    import threading

    loop.start_at(start)
    watchdog = threading.Timer(60.0, loop.call_soon_threadsafe, (loop.stop,))  # a spinning loop fails
    watchdog.start()
    try:
        loop.run_until_complete(main())
    finally:
        watchdog.cancel()
        loop.close()
    assert woke == targets


def test_start_at_refuses_a_loop_with_work_scheduled():
    import pytest

    loop = VirtualTimeLoop(None)
    try:
        loop.call_later(1.0, lambda: None)
        with pytest.raises(RuntimeError, match="before anything is scheduled"):
            loop.start_at(1_767_225_600.0)
    finally:
        loop.close()


def test_a_busy_virtual_loop_waits_at_the_frame_gate_while_a_frame_is_drawn():
    """The window holds the gate for a frame; a loop at full speed stops at its next look at the sockets
    until the frame is done, and engine time does not move meanwhile."""
    import threading

    from octo_desktop.engine.frame_gate import FrameGate

    gate = FrameGate(max_wait_s=30.0)
    loop = VirtualTimeLoop(None, gate=gate)
    clock = Clock(loop, origin=0.0)
    frame_open, frame_done = threading.Event(), threading.Event()
    seen: list[float] = []
    during: list[int] = []

    async def busy():
        while not frame_done.is_set():
            await clock.sleep(0.001)
            seen.append(clock.now())
            if len(seen) == 50:
                frame_open.set()  # the window starts drawing (below) while the engine runs

    def window():
        frame_open.wait(30)
        with gate.frame():
            # The loop notices the frame at its next look at the sockets (within 0.5 ms of real time),
            # then stands still: what it did by 50 ms into the frame is all it does until the frame ends.
            threading.Event().wait(0.05)
            held_at = len(seen)
            threading.Event().wait(0.2)
            during.append(len(seen) - held_at)
        frame_done.set()

    drawer = threading.Thread(target=window)
    drawer.start()
    try:
        loop.run_until_complete(busy())
    finally:
        loop.close()
        drawer.join(30)
    assert during == [0]
    assert gate.waits >= 1


def test_the_frame_gate_never_holds_the_engine_longer_than_its_bound():
    import threading
    import time

    from octo_desktop.engine.frame_gate import FrameGate

    gate = FrameGate(max_wait_s=0.05)
    held, release = threading.Event(), threading.Event()

    def stuck_window():
        with gate.frame():
            held.set()
            release.wait(30)

    thread = threading.Thread(target=stuck_window)
    thread.start()
    try:
        held.wait(30)
        started = time.monotonic()
        gate.pass_through()  # a window that stopped polling: the engine goes on after the bound
        assert time.monotonic() - started < 5.0
        assert gate.waits == 0
    finally:
        release.set()
        thread.join(30)
    gate.pass_through()  # nothing held: no wait at all


class _StoppedRealTime:
    """Stands in for the ``time`` module in the clock: real time that moves only when told to."""

    def __init__(self) -> None:
        self.now = 100.0

    def monotonic(self) -> float:
        return self.now


def _skip_attempts(monkeypatch, setup=None, speed=None):
    """Run one callback on a fresh virtual loop at full speed that tries ``skip_to`` one second ahead.

    ``setup(loop)`` runs in the callback first. Returns (the answer, loop time before, loop time after).
    """
    from octo_desktop.engine import clock as clock_module

    real = _StoppedRealTime()
    monkeypatch.setattr(clock_module, "time", real)
    loop = VirtualTimeLoop(speed)
    result = {}

    def attempt():
        if setup is not None:
            setup(loop)
        before = loop.time()
        result["answer"] = loop.skip_to(before + 1.0)
        result["times"] = (before, loop.time())
        loop.stop()

    try:
        loop.call_later(0.25, attempt)
        loop.run_forever()
    finally:
        loop.close()
    return result["answer"], result["times"]


def test_skip_to_moves_time_at_once_when_the_loop_would_do_nothing_before_it(monkeypatch):
    answer, (before, after) = _skip_attempts(monkeypatch)
    assert answer is True and after == before + 1.0


def test_skip_to_refuses_whenever_the_loop_has_something_to_do_first(monkeypatch):
    """A timer due before or at the target, a ready callback, a pause, a hold, a stop, a finite speed, a
    target in the past, and the sockets' turn: each one alone keeps time where it is."""
    from octo_desktop.engine import clock as clock_module

    def timer_before(loop):
        loop.call_later(0.5, lambda: None)

    def timer_at(loop):
        loop.call_later(1.0, lambda: None)

    def ready(loop):
        loop.call_soon(lambda: None)

    def paused(loop):
        loop.set_paused(True)

    def held(loop):
        loop.hold()

    def sockets_due(loop):
        clock_module.time.now += 1.0  # a second of real time since the loop last looked at its sockets

    for setup in (timer_before, timer_at, ready, paused, held, sockets_due):
        answer, (before, after) = _skip_attempts(monkeypatch, setup)
        assert (setup.__name__, answer, after) == (setup.__name__, False, before)
    answer, (before, after) = _skip_attempts(monkeypatch, speed=10.0)
    assert (answer, after) == (False, before)

    def timer_after(loop):  # a timer after the target does not stand in the way
        loop.call_later(1.5, lambda: None)

    answer, (before, after) = _skip_attempts(monkeypatch, timer_after)
    assert (answer, after) == (True, before + 1.0)


def test_clock_skip_to_speaks_engine_time_and_never_moves_a_real_time_clock():
    loop = VirtualTimeLoop(None)
    seen = {}

    def attempt(clock):
        seen["answer"] = clock.skip_to(clock.now() + 2.0)
        seen["now"] = clock.now()

    try:
        clock = Clock(loop, origin=5_000.0)
        loop.call_later(0.5, attempt, clock)
        loop.run_until_complete(asyncio.sleep(10.0))
    finally:
        loop.close()
    # a loaded machine may give the sockets their turn first: then the clock must not have moved
    assert seen["now"] == (5_002.5 if seen["answer"] else 5_000.5)
    real = asyncio.new_event_loop()
    try:
        clock = Clock(real, origin=5_000.0)
        assert clock.skip_to(clock.now() + 2.0) is False
    finally:
        real.close()
