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
