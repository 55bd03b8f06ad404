"""The depth chart of column 3: cumulative depth of the buy venue's and the sell venue's books, with
axis limits that follow the data."""

from __future__ import annotations

import math

import numpy as np
from matplotlib.lines import Line2D
from matplotlib.patches import Polygon
from matplotlib.ticker import MaxNLocator

from octo_desktop.gui import theme
from octo_desktop.gui.charts.canvas import RESCALE_INTERVAL_S, ZOOM_IN_INTERVAL_S, BlitCanvas, style_axes
from octo_desktop.gui.presenters.book import DepthCurve, DepthModel

class DepthChart:
    """Cumulative depth of the buy venue's and the sell venue's books, both sides, overlaid.

    The legend is fixed (colour = buy or sell venue, as in the menus above; solid = bids, dashed =
    asks), so changing the pair needs no full draw unless the prices leave the axis limits.
    """

    def __init__(self, master, width_px: int = 440, height_px: int = 400) -> None:
        self.surface = BlitCanvas(master, width_px, height_px)
        self.widget = self.surface.container
        figure = self.surface.figure
        self.axes = figure.add_axes((0.12, 0.09, 0.85, 0.82))
        self.surface.blit_axes = self.axes
        style_axes(self.axes)
        self.axes.ticklabel_format(useOffset=False, style="plain", axis="x")
        self.axes.xaxis.set_major_locator(MaxNLocator(4))
        self.axes.yaxis.set_major_locator(MaxNLocator(4))
        self.axes.set_ylabel("cumulative size", color=theme.TEXT_MUTED, fontsize=8, labelpad=2)
        ax = self.axes
        dashed = (0, (4, 2))
        self.buy_bids = Line2D([], [], color=theme.BUY_VENUE, linewidth=1.4)
        self.buy_asks = Line2D([], [], color=theme.BUY_VENUE, linewidth=1.4, linestyle=dashed)
        self.sell_bids = Line2D([], [], color=theme.SELL_VENUE, linewidth=1.4)
        self.sell_asks = Line2D([], [], color=theme.SELL_VENUE, linewidth=1.4, linestyle=dashed)
        # Shade the sides the arbitrage trades against: the buy venue's asks, the sell venue's bids.
        self.buy_fill = Polygon(np.zeros((1, 2)), closed=True, facecolor=theme.BUY_VENUE, alpha=0.16,
                                edgecolor="none")
        self.sell_fill = Polygon(np.zeros((1, 2)), closed=True, facecolor=theme.SELL_VENUE, alpha=0.16,
                                 edgecolor="none")
        for artist in (self.buy_fill, self.sell_fill):
            ax.add_patch(artist)
        for line in (self.buy_bids, self.buy_asks, self.sell_bids, self.sell_asks):
            ax.add_line(line)
        # No animated Text: matplotlib text costs ~0.18 ms per character to draw; the view shows the
        # cross in a Tk label instead.
        self.surface.animate(self.buy_fill, self.sell_fill, self.buy_bids, self.buy_asks, self.sell_bids,
                             self.sell_asks)
        handles = [Line2D([], [], color=theme.BUY_VENUE, linewidth=2),
                   Line2D([], [], color=theme.SELL_VENUE, linewidth=2),
                   Line2D([], [], color=theme.TEXT_MUTED, linewidth=1.2),
                   Line2D([], [], color=theme.TEXT_MUTED, linewidth=1.2, linestyle=dashed)]
        figure.legend(handles, ["buy venue", "sell venue", "bids", "asks"], loc="upper left",
                      bbox_to_anchor=(0.11, 1.0), ncol=4, fontsize=8, frameon=False,
                      labelcolor=theme.TEXT_MUTED, handlelength=1.8, columnspacing=1.2)
        self.model: DepthModel | None = None
        self.dirty = False
        self._last_rescale = -math.inf
        self._rendered_size: tuple[int, int] | None = None

    def set_model(self, model: DepthModel) -> None:
        """Take new curves; mark the chart dirty only if they changed."""
        if self.model is not None and model.key == self.model.key:
            return
        self.model = model
        self.dirty = True

    def needs_redraw(self) -> bool:
        """Return True if the data changed or the widget was resized since the last render."""
        return self.model is not None and (self.dirty or self._rendered_size != self.surface.size_px())

    def render(self, now: float) -> None:
        """Update the curves; rescale (a full draw) only when the data leave the limits, at most 1/s."""
        model = self.model
        if model is None:
            return
        _set_curve(self.buy_bids, model.buy_bids)
        _set_curve(self.buy_asks, model.buy_asks)
        _set_curve(self.sell_bids, model.sell_bids)
        _set_curve(self.sell_asks, model.sell_asks)
        _set_fill(self.buy_fill, model.buy_asks)
        _set_fill(self.sell_fill, model.sell_bids)
        full = False
        span = model.price_range()
        if span is not None and now - self._last_rescale >= RESCALE_INTERVAL_S:
            low, high = span
            top = max(model.max_size(), 1e-12)
            xlo, xhi = self.axes.get_xlim()
            ytop = self.axes.get_ylim()[1]
            clipped = low < xlo or high > xhi or top > ytop
            # Too zoomed out is only cosmetic: fix it at most every ZOOM_IN_INTERVAL_S.
            loose = (high - low) < 0.3 * (xhi - xlo) or top < 0.4 * ytop
            if clipped or (loose and now - self._last_rescale >= ZOOM_IN_INTERVAL_S):
                pad = max((high - low) * 0.4, high * 1e-6)  # headroom: the market drifts ~1 bps/s
                self.axes.set_xlim(low - pad, high + pad)
                self.axes.set_ylim(0.0, top * 1.35)
                self._last_rescale = now
                full = True
        self.surface.redraw(full=full)
        self._rendered_size = self.surface.size_px()
        self.dirty = False


def _set_curve(line: Line2D, curve: DepthCurve) -> None:
    line.set_data(curve.prices, curve.cumulative)


def _set_fill(polygon: Polygon, curve: DepthCurve) -> None:
    if curve.prices.size == 0:
        polygon.set_xy(np.zeros((1, 2)))
        return
    xs = np.concatenate((curve.prices, curve.prices[-1:], curve.prices[:1]))
    ys = np.concatenate((curve.cumulative, [0.0], [0.0]))
    polygon.set_xy(np.column_stack((xs, ys)))
