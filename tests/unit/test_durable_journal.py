"""Waiting for a write-ahead entry to be durable: the real-time loop goes on, virtual time stands still."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import Future
from types import SimpleNamespace

import pytest

from octo_desktop.engine.clock import Clock, VirtualTimeLoop
from octo_desktop.engine.kernel import Kernel
from octo_desktop.storage import StorageError

T0 = 1_700_000_000.0


def committed_later(seconds: float) -> Future:
    """A journal entry's future that the 'writer' resolves ``seconds`` later, from another thread."""
    future: Future = Future()
    future.set_running_or_notify_cancel()
    threading.Timer(seconds, future.set_result, args=(None,)).start()
    return future


def durable(loop, future, timeout_s=2.0):
    waiter = SimpleNamespace(clock=Clock(loop, T0), store=SimpleNamespace(last_error="disk full"))
    return waiter.clock, Kernel.durable(waiter, future, "journal entry sent of trade 7", timeout_s)


def test_on_a_real_time_loop_other_work_goes_on_while_an_entry_lands():
    loop = asyncio.new_event_loop()
    ticks = []

    async def ticker():
        while True:
            ticks.append(loop.time())
            await asyncio.sleep(0.005)

    async def main():
        task = loop.create_task(ticker())
        await asyncio.sleep(0)
        _clock, waiting = durable(loop, committed_later(0.1))
        await waiting
        task.cancel()

    try:
        loop.run_until_complete(main())
    finally:
        loop.close()
    assert len(ticks) >= 5  # a blocking wait would have let the ticker run once


def test_on_a_virtual_time_loop_engine_time_stands_still_while_an_entry_lands():
    loop = VirtualTimeLoop(None)
    ticks = []

    async def ticker():
        while True:
            ticks.append(loop.time())
            await asyncio.sleep(1.0)  # one engine second: at max speed, none of real time

    async def main():
        clock, waiting = durable(loop, committed_later(0.1))
        task = loop.create_task(ticker())
        await asyncio.sleep(0)
        before, count = clock.now(), len(ticks)
        await waiting
        after = clock.now()
        task.cancel()
        return before, after, count

    try:
        before, after, count = loop.run_until_complete(main())
    finally:
        loop.close()
    assert after == before and len(ticks) == count  # the run cannot depend on the disk's speed


@pytest.mark.parametrize("virtual", [False, True])
def test_an_entry_not_durable_in_time_is_a_storage_error_naming_it(virtual):
    loop = VirtualTimeLoop(None) if virtual else asyncio.new_event_loop()
    never: Future = Future()
    never.set_running_or_notify_cancel()
    try:
        with pytest.raises(StorageError, match=r"journal entry sent of trade 7 not committed within 0.05 s: disk full"):
            loop.run_until_complete(durable(loop, never, timeout_s=0.05)[1])
    finally:
        loop.close()


def test_a_failed_entry_raises_its_storage_error():
    failed: Future = Future()
    failed.set_running_or_notify_cancel()
    failed.set_exception(StorageError("storage /x/octo.db is closed; journal not recorded"))
    loop = asyncio.new_event_loop()
    try:
        with pytest.raises(StorageError, match="is closed"):
            loop.run_until_complete(durable(loop, failed)[1])
    finally:
        loop.close()
