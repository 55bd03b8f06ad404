"""The real window on a started runtime, for GUI tests: built without mainloop, pumped with update()."""

from __future__ import annotations

import time

from octo_desktop.gui.app import OctoApp
from tests.fakes.waiting import eventually


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
        self.app.update()

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
