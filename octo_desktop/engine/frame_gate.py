"""The window draws a frame without competing with the runtime thread for the interpreter.

A replay or a simulated run at full speed keeps the runtime thread busy all the time. Every Tk call the
window makes releases Python's global lock and must then win it back from that busy thread, which holds
it for the interpreter's switch interval (5 ms): a frame of a few hundred label updates took seconds, and
the window froze. So the window holds the gate while it draws a frame, and the runtime thread, at its
next look at the sockets (at most every 0.5 ms of real time), waits for the frame to finish before going
on. Its wait is bounded, so a window that stops polling never stops the engine; engine time stands still
meanwhile (virtual time), so nothing the engine decides depends on how fast the window draws.
"""

from __future__ import annotations

import sys
import threading
from contextlib import contextmanager

MAX_WAIT_S = 0.25  # the runtime thread never waits longer than this for one frame
WINDOW_SWITCH_INTERVAL_S = 0.0002  # benchmarks.gui at --speed max: 20 frames/s, against 9 with the default 5 ms


def share_interpreter_with_window() -> float:
    """Hand the interpreter between threads every 0.2 ms instead of 5 ms (a process with a window);
    return the interval it had, for ``sys.setswitchinterval`` once the window is gone.

    Outside a frame the window still makes Tk calls (idle redraws, input, the poll's scheduling), each of
    which gives the interpreter up and must win it back from a busy runtime thread. Only a thread that
    waits for it causes a switch, so a run that nobody watches is not slowed down.
    """
    previous = sys.getswitchinterval()
    sys.setswitchinterval(WINDOW_SWITCH_INTERVAL_S)
    return previous


class FrameGate:
    """Held by the window's thread for one frame; passed by the runtime thread between loop steps."""

    def __init__(self, max_wait_s: float = MAX_WAIT_S) -> None:
        self._lock = threading.Lock()
        self._max_wait_s = max_wait_s
        self.waits = 0  # how often the runtime thread waited for a frame (for the benchmarks)

    @contextmanager
    def frame(self):
        """Hold the gate while the window draws (the window's thread)."""
        self._lock.acquire()
        try:
            yield
        finally:
            self._lock.release()

    def pass_through(self) -> None:
        """Wait while a frame is being drawn, at most ``max_wait_s`` (the runtime thread)."""
        if self._lock.locked() and self._lock.acquire(timeout=self._max_wait_s):
            self.waits += 1
            self._lock.release()
