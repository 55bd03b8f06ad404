"""The P&L chart of column 4: realized and marked P&L against engine time, with axis limits that
follow the data."""

from __future__ import annotations

import math

import numpy as np
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, MaxNLocator

from octo_desktop.gui import theme
from octo_desktop.gui.charts.canvas import RESCALE_INTERVAL_S, ZOOM_IN_INTERVAL_S, BlitCanvas, style_axes
from octo_desktop.gui.presenters.format import MINUS, format_clock

class PnlChart:
    """Realized and marked P&L against engine time, two lines and a legend."""

    def __init__(self, master, width_px: int = 380, height_px: int = 220) -> None:
        self.surface = BlitCanvas(master, width_px, height_px)
        self.widget = self.surface.container
        figure = self.surface.figure
        self.axes = figure.add_axes((0.19, 0.13, 0.74, 0.75))  # room for the last time label
        self.surface.blit_axes = self.axes
        style_axes(self.axes)
        self.axes.xaxis.set_major_locator(MaxNLocator(4))
        self.axes.yaxis.set_major_locator(MaxNLocator(5))
        self.axes.xaxis.set_major_formatter(FuncFormatter(lambda x, _: format_clock(x)))
        self.axes.yaxis.set_major_formatter(FuncFormatter(lambda y, _: f"{y:,.2f}".replace("-", MINUS)))
        self.axes.set_ylabel("USDT", color=theme.TEXT_MUTED, fontsize=8, labelpad=2)
        self.zero = self.axes.axhline(0.0, color=theme.TEXT_DIM, linewidth=0.8)
        # Realized wide underneath, marked thin on top: both stay visible when they coincide.
        self.realized = Line2D([], [], color=theme.PNL_REALIZED, linewidth=2.4, label="realized P&L")
        self.marked = Line2D([], [], color=theme.PNL_MARKED, linewidth=1.1, label="marked to mid")
        self.axes.add_line(self.realized)
        self.axes.add_line(self.marked)
        self.surface.animate(self.realized, self.marked)
        figure.legend(handles=[self.realized, self.marked], loc="upper left", bbox_to_anchor=(0.14, 1.0),
                      ncol=2, fontsize=8, frameon=False, labelcolor=theme.TEXT_MUTED, handlelength=1.6)
        self.axes.set_xlim(0, 60)
        self.axes.set_ylim(-1, 1)
        self.times = np.zeros(0)
        self.realized_values = np.zeros(0)
        self.marked_values = np.zeros(0)
        self.dirty = False
        self._key: tuple | None = None
        self._last_rescale = -math.inf
        self._rendered_size: tuple[int, int] | None = None

    def set_series(self, times: np.ndarray, realized: np.ndarray, marked: np.ndarray) -> None:
        """Take the P&L history; mark the chart dirty only if it changed."""
        key = (len(times), float(times[-1]) if len(times) else None,
               float(realized[-1]) if len(realized) else None, float(marked[-1]) if len(marked) else None,
               float(times[0]) if len(times) else None)
        if key == self._key:
            return
        self._key = key
        self.times, self.realized_values, self.marked_values = times, realized, marked
        self.dirty = True

    def needs_redraw(self) -> bool:
        """Return True if the data changed or the widget was resized since the last render."""
        return self.dirty or (self._key is not None and self._rendered_size != self.surface.size_px())

    def render(self, now: float) -> None:
        """Update both lines; rescale (a full draw) when the data leave the limits, at most 1/s."""
        times = self.times
        self.realized.set_data(times, self.realized_values)
        self.marked.set_data(times, self.marked_values)
        full = False
        if len(times) and now - self._last_rescale >= RESCALE_INTERVAL_S:
            t0, t1 = float(times[0]), float(times[-1])
            values = np.concatenate((self.realized_values, self.marked_values, [0.0]))
            low, high = float(np.nanmin(values)), float(np.nanmax(values))
            # Headroom: time gets half the span again (at least 20 s), values 35 % each way (at least
            # 1 USDT), so a steadily growing curve needs a new full draw rarely.
            span = max(t1 - t0, 20.0)
            x_target = (t0, t1 + max(20.0, 0.5 * span))
            pad = max((high - low) * 0.35, 1.0)
            y_target = (low - pad, high + pad)
            xlo, xhi = self.axes.get_xlim()
            ylo, yhi = self.axes.get_ylim()
            clipped = t1 > xhi or t0 < xlo or low < ylo or high > yhi
            loose = (t0 > xlo + 0.25 * (xhi - xlo)
                     or (y_target[1] - y_target[0]) < 0.4 * (yhi - ylo))
            if clipped or (loose and now - self._last_rescale >= ZOOM_IN_INTERVAL_S):
                self.axes.set_xlim(*x_target)
                self.axes.set_ylim(*y_target)
                self._last_rescale = now
                full = True
        self.surface.redraw(full=full)
        self._rendered_size = self.surface.size_px()
        self.dirty = False
