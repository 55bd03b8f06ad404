"""Wait for a condition instead of sleeping for a guessed time."""

from __future__ import annotations

import time
from typing import Callable


def eventually(predicate: Callable[[], object], timeout: float = 10.0, pump: Callable[[], None] | None = None,
               message: str = "condition not met") -> object:
    """Return the first truthy ``predicate()`` within ``timeout`` seconds, calling ``pump`` between tries."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{message} within {timeout} s")
        if pump is not None:
            pump()
        else:
            time.sleep(0.005)  # yield the GIL to the thread we are waiting on


async def eventually_async(predicate: Callable[[], object], timeout: float = 10.0,
                           message: str = "condition not met") -> object:
    """Return the first truthy ``predicate()`` within ``timeout`` seconds, letting the running loop work between tries."""
    import asyncio

    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{message} within {timeout} s")
        await asyncio.sleep(0.002)  # the loop handles its sockets and timers meanwhile
