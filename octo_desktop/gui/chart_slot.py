"""A chart's place in a column, filled once matplotlib is loaded.

Importing matplotlib takes most of a second, so the window draws its first frame without it: each chart
starts as a panel-coloured frame of the chart's size, the window loads matplotlib in the background
after the first frame (module imports only; every figure is created on the main thread) and then builds
one chart per poll. Until then the slot keeps the last model it was given and hands it over on build.
"""

from __future__ import annotations

import importlib
import threading
import tkinter as tk

from octo_desktop.gui import theme

# Imported off the main thread; nothing in these modules touches Tk at import time.
BACKGROUND_IMPORTS = ("numpy", "matplotlib", "matplotlib.figure", "matplotlib.backends.backend_tkagg",
                      "matplotlib.font_manager", "PIL.ImageFont")


def charts_module():
    """Import and return ``octo_desktop.gui.charts`` (a plain import, so a frozen build bundles it)."""
    from octo_desktop.gui import charts

    return charts


class ChartSlot:
    """Stand in for one chart class of ``octo_desktop.gui.charts`` until ``build`` creates it."""

    def __init__(self, master, kind: str, width_px: int, height_px: int) -> None:
        self.kind = kind
        self.size = (width_px, height_px)
        self.widget = tk.Frame(master, width=width_px, height=height_px, bg=theme.PANEL_BG,
                               highlightthickness=0, borderwidth=0)
        self.widget.pack_propagate(False)
        self.chart = None
        self._pending: dict[str, tuple] = {}

    @property
    def built(self) -> bool:
        return self.chart is not None

    def build(self, charts_module) -> None:
        """Create the real chart in the slot and give it the last model it was sent."""
        if self.chart is not None:
            return
        # matplotlib's Tk canvas takes the keyboard focus when it is created; the charts are built in the first
        # seconds after a page is shown, when the trader may be typing in a ticket: the focus is given back.
        try:
            focused = self.widget.focus_get()
        except (KeyError, tk.TclError):  # a menu's popup has it: nothing to give back
            focused = None
        chart = getattr(charts_module, self.kind)(self.widget, *self.size)
        chart.widget.pack(fill="both", expand=True)
        if focused is not None and focused.winfo_exists():
            focused.focus_set()
        self.chart = chart
        for name, args in self._pending.items():
            getattr(chart, name)(*args)
        self._pending.clear()

    def set_model(self, *args) -> None:
        self._send("set_model", args)

    def set_series(self, *args) -> None:
        self._send("set_series", args)

    def needs_redraw(self) -> bool:
        return self.chart is not None and self.chart.needs_redraw()

    def render(self, now: float) -> None:
        if self.chart is not None:
            self.chart.render(now)

    def _send(self, name: str, args: tuple) -> None:
        if self.chart is not None:
            getattr(self.chart, name)(*args)
        else:
            self._pending[name] = args

    def __getattr__(self, name: str):
        # Everything else (the chart's model, surface, image...) is the built chart's.
        chart = self.__dict__.get("chart")
        if chart is None:
            raise AttributeError(f"{self.__dict__.get('kind', 'chart')} is not built yet (no {name!r})")
        return getattr(chart, name)


class ChartLoader:
    """Load matplotlib on a background thread, then build the slots on the main thread, one per call."""

    def __init__(self, slots) -> None:
        self.slots = tuple(slots)
        self._thread: threading.Thread | None = None
        self.error: BaseException | None = None
        self.failed = False

    @property
    def ready(self) -> bool:
        return all(slot.built for slot in self.slots)

    def add(self, slots) -> None:
        """Take more slots to build (a page built after the window's first frame)."""
        self.slots += tuple(slot for slot in slots if slot not in self.slots)

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._import, name="octo-chart-import", daemon=True)
            self._thread.start()

    def _import(self) -> None:
        try:
            for name in BACKGROUND_IMPORTS:
                importlib.import_module(name)
        except Exception as exc:  # handed to the main thread, which reports it (step)
            self.error = exc

    def step(self) -> bool:
        """Build the next chart if matplotlib is loaded; return True if one was built (main thread only).

        A failure is raised once, for the window to show; the charts then stay empty and the tables work.
        """
        if self._thread is None or self._thread.is_alive() or self.ready or self.failed:
            return False
        try:
            if self.error is not None:
                raise RuntimeError(f"the charts cannot load: {self.error}") from self.error
            module = charts_module()
            slot = next(slot for slot in self.slots if not slot.built)
            slot.build(module)
        except Exception:
            self.failed = True
            raise
        return True
