"""The real window for GUI tests, built without mainloop and pumped with ``pump_tk``: on a started runtime
(``WindowSession``, ``start_runtime``), or on a ``FakeRuntime`` that moves one step per pump
(``FakeWindowSession``)."""

from __future__ import annotations

import subprocess
import time
import _tkinter

from octo_desktop.gui.app import OctoApp
from tests.fakes.waiting import eventually


PUMP_EVENTS = 1000  # at most this many Tk events per pump
PUMP_S = 1.0  # and for at most about this long


def pump_tk(widget, limit: int = PUMP_EVENTS, seconds: float = PUMP_S) -> None:
    """Handle the Tk events that are ready (timers, X events, idle work): at most ``limit`` of them, and
    none started after ``seconds``, so that a waiting test looks at its condition and its deadline again.

    Not ``update()``: that returns only once no event is ready, and a window whose frame takes longer
    than the gap to its next poll (a replay at full speed on a loaded machine) always has one ready, so
    ``update()`` would never return; an exception raised inside a Tk callback (pytest-timeout's) is
    swallowed by tkinter, so nothing would stop it either.
    """
    flags = _tkinter.ALL_EVENTS | _tkinter.DONT_WAIT
    deadline = time.monotonic() + seconds
    for _ in range(limit):
        if not widget.tk.dooneevent(flags) or time.monotonic() > deadline:
            return


def start_runtime(db_path, overrides=(), speed: float = 1.0):
    """Return a started runtime on the simulated market (``overrides``: ``--set`` style) with ``db_path``."""
    from octo_desktop.app import build_runtime
    from octo_desktop.config import load_config

    runtime = build_runtime(load_config(overrides=list(overrides)), db_path=db_path, speed=speed)
    runtime.start()
    return runtime


def click(widget, pump) -> None:
    """Click ``widget`` with the real pointer (xdotool), as a trader would; ``pump`` runs Tk meanwhile."""
    eventually(lambda: widget.winfo_viewable(), timeout=15.0, pump=pump, message="on screen")
    x, y = widget.winfo_rootx() + widget.winfo_width() // 2, widget.winfo_rooty() + widget.winfo_height() // 2
    here = subprocess.run(["xdotool", "getmouselocation"], capture_output=True, text=True, check=True, timeout=10)
    if here.stdout.split()[:2] == [f"x:{x}", f"y:{y}"]:  # ``mousemove --sync`` to where it is waits forever
        subprocess.run(["xdotool", "click", "1"], check=True, timeout=10)
    else:
        subprocess.run(["xdotool", "mousemove", "--sync", str(x), str(y), "click", "1"], check=True, timeout=10)


class WindowSession:
    """A started runtime and its window; ``close`` stops whichever runtime the window ended on, and is idempotent."""

    def __init__(self, runtime, wait_timeout: float = 15.0, welcome: bool = False) -> None:
        self.first_runtime = runtime
        self.wait_timeout = wait_timeout
        try:
            self.app = OctoApp(runtime, welcome=welcome)
        except BaseException:
            runtime.stop()
            raise

    @property
    def runtime(self):
        return self.app.runtime

    def snapshot(self):
        return self.app.runtime.latest_snapshot()

    def pump(self) -> None:
        pump_tk(self.app)

    def wait(self, predicate, timeout: float | None = None, message: str = "condition not met"):
        return eventually(predicate, timeout=self.wait_timeout if timeout is None else timeout, pump=self.pump,
                          message=message)

    def pump_for(self, seconds: float) -> None:
        started = time.monotonic()
        self.wait(lambda: time.monotonic() - started >= seconds, timeout=seconds + 5, message="time passed")

    def close(self) -> None:
        if getattr(self, "_closed", False):
            return
        self._closed = True
        try:
            if not self.app.is_closing:
                self.app.cancel_pending_callbacks()
                self.app.destroy()
        finally:
            self.app.runtime.stop()
            self.first_runtime.stop()


class FakeWindowSession:
    """A window polling a ``FakeRuntime`` (or ``runtime``) that moves on one step per pump."""

    def __init__(self, runtime=None, *, warmup_steps: int = 40, **app_options) -> None:
        from tests.fakes.fake_market import FakeRuntime

        self.runtime = runtime if runtime is not None else FakeRuntime()
        for _ in range(warmup_steps):
            self.runtime.advance()
        self.app = OctoApp(self.runtime, **app_options)

    def pump(self) -> None:
        self.runtime.advance()
        pump_tk(self.app)

    def wait(self, predicate, timeout: float = 10.0, message: str = "condition not met"):
        return eventually(predicate, timeout=timeout, pump=self.pump, message=message)

    def pump_frames(self, count: int) -> None:
        """Pump until the window has polled ``count`` more times."""
        target = len(self.app.frame_times_ms) + count
        self.wait(lambda: len(self.app.frame_times_ms) >= target, message=f"{count} frames")

    def click(self, widget) -> None:
        click(widget, self.pump)

    def close(self) -> None:
        self.app.cancel_pending_callbacks()
        self.app.destroy()

