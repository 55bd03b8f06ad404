"""The router page's charts: the route preview's split (one horizontal stacked bar, rasterised with its labels),
the cost ladder (each source's marginal all-in price against the quantity taken from it) and a DLMM pool's bin
liquidity histogram.

Each chart takes a presenter model (``presenters.router``) and is redrawn only when the model changed (the
models round what they carry, so a recomputed preview that would look the same compares equal) or the widget
was resized. The ladder and the histogram blit their animated artists and draw in full only for new axes: another
order or set of sources, another pool or bin range, or data that left the limits (at most once a second).
"""

from __future__ import annotations

import math

import numpy as np
from matplotlib.colors import to_rgb
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.ticker import FuncFormatter, MaxNLocator

from octo_desktop.gui import theme
from octo_desktop.gui.charts.canvas import RESCALE_INTERVAL_S, ZOOM_IN_INTERVAL_S, BlitCanvas, style_axes
from octo_desktop.gui.charts.heatmap import GlyphCache, paste, raster_surface
from octo_desktop.gui.presenters.format import MINUS, price_decimals
from octo_desktop.gui.presenters.router import (
    UNFILLED_COLOUR, BinsModel, LadderModel, SplitBarModel, bin_widths, compact, number, split_label,
)


def _rgb255(colour: str) -> np.ndarray:
    return np.array([round(c * 255) for c in to_rgb(colour)], dtype=np.float32)


def _rgba8(colour: str) -> np.ndarray:
    return np.array([*(round(c * 255) for c in to_rgb(colour)), 255], dtype=np.uint8)


def _price_formatter(decimals_of):
    return FuncFormatter(lambda y, _: f"{y:.{decimals_of()}f}".replace("-", MINUS))


# --- the split bar ------------------------------------------------------------------------------------------
class SplitBarRaster:
    """Rasterise a ``SplitBarModel``: the bar with each segment named inside it when the name fits, the scale
    under it (0, the part nothing takes, the order's quantity)."""

    LABEL_PX = 10
    SCALE_PX = 10
    GAP = 1  # pixels between segments

    def __init__(self) -> None:
        self.glyphs = GlyphCache()
        self.boxes: dict[str, tuple[int, int, int, int]] = {}  # segment -> (x0, y0, x1, y1) in the last render
        self._panel = _rgba8(theme.PANEL_BG)
        self._dark = _rgb255("#0d1117")
        self._light = _rgb255(theme.TEXT)
        self._muted = _rgb255(theme.TEXT_MUTED)
        self._empty = _rgba8(theme.WINDOW_BG)

    def render(self, model: SplitBarModel | None, width: int, height: int) -> np.ndarray:
        image = np.empty((height, width, 4), dtype=np.uint8)
        image[...] = self._panel
        self.boxes = {}
        scale_h = self.glyphs.mask("0Ag", self.SCALE_PX).shape[0] + 4
        x0, x1, y0, y1 = 1, width - 1, 1, max(8, height - scale_h - 2)
        image[y0:y1, x0:x1] = self._empty
        if model is None or not model.quantity > 0:
            return image
        span = x1 - x0
        done = 0.0
        decimals = 1 if model.quantity >= 10 else 3
        for segment in model.segments:
            left = x0 + int(round(done / model.quantity * span))
            done += segment.quantity
            right = x0 + int(round(min(done, model.quantity) / model.quantity * span))
            if right - left < 1:
                right = left + 1
            image[y0:y1, left:max(left + 1, right - self.GAP)] = _rgba8(segment.colour)
            self.boxes[segment.source] = (left, y0, max(left + 1, right - self.GAP), y1)
            for text in split_label(segment, decimals):
                mask = self.glyphs.mask(text, self.LABEL_PX, bold=True)
                if mask.shape[1] <= right - left - 6 and mask.shape[0] <= y1 - y0 - 2:
                    paste(image, mask, left + (right - left - mask.shape[1]) // 2,
                          y0 + (y1 - y0 - mask.shape[0]) // 2, self._dark)
                    break
        unfilled = model.unfilled
        if unfilled > model.quantity * 1e-9:  # what no source takes: a grey stretch at the end
            left = x0 + int(round(done / model.quantity * span))
            image[y0:y1, left:x1] = _rgba8(UNFILLED_COLOUR)
        ty = y1 + 3
        paste(image, self.glyphs.mask("0", self.SCALE_PX), x0, ty, self._muted)
        end = self.glyphs.mask(f"{number(model.quantity)} {model.asset}", self.SCALE_PX)
        paste(image, end, x1 - end.shape[1], ty, self._muted)
        short = unfilled > model.quantity * 1e-9
        middle = f"unfilled {number(round(unfilled, decimals))}" if short else \
            f"{len(model.segments)} source{'' if len(model.segments) == 1 else 's'}"
        mask = self.glyphs.mask(middle, self.SCALE_PX)
        paste(image, mask, x0 + (span - mask.shape[1]) // 2, ty, _rgb255(theme.AMBER) if short else self._muted)
        return image


class SplitBarChart:
    """The split of the preview as one stacked horizontal bar (a rasterised image), redrawn when it changes."""

    def __init__(self, master, width_px: int = 440, height_px: int = 46) -> None:
        self.surface, self.axes, self.image = raster_surface(master, width_px, height_px)
        self.widget = self.surface.container
        self.raster = SplitBarRaster()
        self.model: SplitBarModel | None = None
        self.shown: SplitBarModel | None = None
        self.pixels: np.ndarray | None = None
        self.renders = 0
        self.dirty = True  # an empty bar is drawn once
        self._rendered_size: tuple[int, int] | None = None

    def set_model(self, model: SplitBarModel | None) -> None:
        """Take a new split (None: no preview); mark the chart dirty only if it differs."""
        if model == self.model:
            return
        self.model = model
        self.dirty = True

    def needs_redraw(self) -> bool:
        return self.dirty or self._rendered_size != self.surface.size_px()

    def render(self, now: float) -> None:
        width, height = self.surface.size_px()
        if width < 20 or height < 12:
            return
        rgba = self.raster.render(self.model, width, height)
        self.image.set_data(rgba)
        self.surface.redraw()
        self._rendered_size = (width, height)
        self.dirty = False
        self.shown, self.pixels = self.model, rgba
        self.renders += 1

    def colour_at(self, source: str) -> str | None:
        """The colour ("#rrggbb") on screen at a segment's top-left corner (clear of its label), or None."""
        box = self.raster.boxes.get(source)
        if box is None or self.pixels is None:
            return None
        r, g, b = (int(c) for c in self.pixels[box[1] + 1, box[0], :3])
        return f"#{r:02x}{g:02x}{b:02x}"


# --- the cost ladder ----------------------------------------------------------------------------------------
class CostLadderChart:
    """Each source's marginal all-in price against the quantity taken from it; the sources the preview uses are
    drawn bold with a dot where the split stops on them, and a dashed line marks the price the split equalises."""

    USED_WIDTH, UNUSED_WIDTH = 1.8, 0.9
    MAX_LINES = 32  # sources drawn at most (the first ones of the options)

    def __init__(self, master, width_px: int = 440, height_px: int = 230) -> None:
        self.surface = BlitCanvas(master, width_px, height_px)
        self.widget = self.surface.container
        figure = self.surface.figure
        self.axes = figure.add_axes((0.19, 0.15, 0.78, 0.80))
        self.surface.blit_axes = self.axes
        style_axes(self.axes)
        self.axes.xaxis.set_major_locator(MaxNLocator(5))
        self.axes.yaxis.set_major_locator(MaxNLocator(5))
        self._decimals = 2
        self.axes.yaxis.set_major_formatter(_price_formatter(lambda: self._decimals))
        self.axes.set_ylabel("marginal all-in price", color=theme.TEXT_MUTED, fontsize=8, labelpad=2)
        self.axes.set_xlabel("quantity", color=theme.TEXT_MUTED, fontsize=8, labelpad=1)
        # A fixed set of lines, animated once (an order has a source per book, pool and OTC counterparty); a line
        # not in use is hidden. They are drawn first: under the dots and the level line.
        self._pool = [Line2D([], [], linewidth=self.UNUSED_WIDTH, visible=False) for _ in range(self.MAX_LINES)]
        for line in self._pool:
            self.axes.add_line(line)
        self.lines: dict[str, Line2D] = {}  # source -> its line, for the sources of the model shown
        self.points = Line2D([], [], linestyle="none", marker="o", markersize=5, markerfacecolor=theme.TEXT,
                             markeredgecolor=theme.WINDOW_BG, markeredgewidth=0.8)
        self.level = Line2D([], [], color=theme.TEXT_MUTED, linewidth=0.9, linestyle=(0, (4, 3)))
        self.axes.add_line(self.level)
        self.axes.add_line(self.points)
        self.surface.animate(*self._pool, self.level, self.points)
        self.axes.set_xlim(0, 1)
        self.axes.set_ylim(0, 1)
        self.axes.set_visible(False)  # until there is a preview
        self.model: LadderModel | None = None
        self.shown: LadderModel | None = None
        self.dirty = False
        self.renders = 0
        self._key: tuple | None = None
        self._last_rescale = -math.inf
        self._rendered_size: tuple[int, int] | None = None

    def set_model(self, model: LadderModel | None) -> None:
        """Take new ladders (None: no preview); mark the chart dirty only if they differ."""
        if model == self.model:
            return
        self.model = model
        self.dirty = True

    def needs_redraw(self) -> bool:
        return self.dirty or (self.model is not None and self._rendered_size != self.surface.size_px())

    def _assign(self, model: LadderModel | None) -> None:
        """Give each source of a new model a line in its colour; hide the rest."""
        self.lines = {}
        sources = model.lines[:self.MAX_LINES] if model is not None else ()
        for line, line_model in zip(self._pool, sources):
            line.set_color(line_model.colour)
            line.set_visible(True)
            self.lines[line_model.source] = line
        for line in self._pool[len(sources):]:
            line.set_data([], [])
            line.set_visible(False)
        if model is not None:
            self.axes.set_xlabel(f"quantity ({model.asset})", color=theme.TEXT_MUTED, fontsize=8, labelpad=1)
        self._key = model.key if model is not None else None

    def render(self, now: float) -> None:
        model = self.model
        full = False
        if (model.key if model is not None else None) != self._key:
            self._assign(model)
            self.axes.set_visible(model is not None)  # no preview: an empty panel, not empty axes
            full = True
        if model is None:
            self.points.set_data([], [])
            self.level.set_data([], [])
        else:
            xs, ys = [], []
            for line_model in model.lines[:self.MAX_LINES]:
                line = self.lines[line_model.source]
                line.set_data(line_model.quantities, line_model.prices)
                used = line_model.planned > 0
                line.set_linewidth(self.USED_WIDTH if used else self.UNUSED_WIDTH)
                line.set_alpha(1.0 if used else 0.55)
                if used and math.isfinite(line_model.planned_price):
                    xs.append(line_model.planned)
                    ys.append(line_model.planned_price)
            self.points.set_data(xs, ys)
            # As far as the ladders go (an order beyond every source's capacity would squash them at the left).
            top_q = max([q for line in model.lines for q in line.quantities[-1:]] or [model.quantity])
            if math.isfinite(model.level):
                self.level.set_data([0.0, top_q * 1.05], [model.level, model.level])
            else:
                self.level.set_data([], [])
            full = self._limits(model, top_q, now, full) or full
        self.surface.redraw(full=full)
        self._rendered_size = self.surface.size_px()
        self.dirty = False
        self.shown = model
        self.renders += 1

    def _limits(self, model: LadderModel, top_q: float, now: float, forced: bool) -> bool:
        low, high = model.price_range
        if not (math.isfinite(low) and math.isfinite(high)):
            return False
        pad = max((high - low) * 0.2, abs(high) * 2e-5)  # headroom: the market moves the ladders
        target = (low - pad, high + pad)
        xhi = self.axes.get_xlim()[1]
        ylo, yhi = self.axes.get_ylim()
        clipped = low < ylo or high > yhi or top_q > xhi
        loose = (target[1] - target[0]) < 0.5 * (yhi - ylo) or top_q < 0.6 * xhi
        if forced or (clipped and now - self._last_rescale >= RESCALE_INTERVAL_S) or (
                loose and now - self._last_rescale >= ZOOM_IN_INTERVAL_S):
            self.axes.set_xlim(0.0, top_q * 1.05)
            self.axes.set_ylim(*target)
            self._decimals = max(2, min(6, price_decimals(high) + (1 if high - low < 1 else 0)))
            self._last_rescale = now
            return True
        return False


# --- the DLMM bins -------------------------------------------------------------------------------------------
class BinHistogramChart:
    """A DLMM pool's liquidity per bin around the active one: bids (quote) below it, asks (base) above it, the
    active bin highlighted."""

    def __init__(self, master, width_px: int = 400, height_px: int = 170) -> None:
        self.surface = BlitCanvas(master, width_px, height_px)
        self.widget = self.surface.container
        figure = self.surface.figure
        self.axes = figure.add_axes((0.17, 0.17, 0.80, 0.78))
        self.surface.blit_axes = self.axes
        style_axes(self.axes)
        self.axes.xaxis.set_major_locator(MaxNLocator(4))
        self.axes.yaxis.set_major_locator(MaxNLocator(4))
        self._decimals = 2
        self.axes.xaxis.set_major_formatter(_price_formatter(lambda: self._decimals))
        self.axes.yaxis.set_major_formatter(FuncFormatter(lambda y, _: compact(y) if y else "0"))
        self.axes.set_xlim(0, 1)
        self.axes.set_ylim(0, 1)
        self._pool: list[Rectangle] = []
        self.bars: list[Rectangle] = []  # the bars of the model shown, one per bin
        self.model: BinsModel | None = None
        self.shown: BinsModel | None = None
        self.dirty = False
        self.renders = 0
        self._range: str | None = None  # the pool the axes were set for
        self._last_rescale = -math.inf
        self._rendered_size: tuple[int, int] | None = None

    def set_model(self, model: BinsModel | None) -> None:
        if model == self.model:
            return
        self.model = model
        self.dirty = True

    def needs_redraw(self) -> bool:
        return self.dirty or (self.model is not None and self._rendered_size != self.surface.size_px())

    def _bars(self, count: int) -> None:
        """Show ``count`` bars: more are added (animated) when needed, the ones past ``count`` hidden."""
        while len(self._pool) < count:
            bar = Rectangle((0.0, 0.0), 0.0, 0.0, linewidth=0)
            self.axes.add_patch(bar)
            self.surface.animate(bar)
            self._pool.append(bar)
        for index, bar in enumerate(self._pool):
            bar.set_visible(index < count)
        self.bars = self._pool[:count]

    def render(self, now: float) -> None:
        model = self.model
        full = False
        count = len(model.prices) if model is not None else 0
        if count != len(self.bars):
            self._bars(count)
            full = True
        if model is not None and count:
            widths = bin_widths(model.prices)
            for bar, price, width, height, colour in zip(self.bars, model.prices, widths, model.liquidity,
                                                         model.colours()):
                bar.set_x(price - width / 2)
                bar.set_width(width)
                bar.set_height(height)
                bar.set_facecolor(colour)
            low, high = model.prices[0] - widths[0], model.prices[-1] + widths[-1]
            top = max(model.liquidity) if model.liquidity else 0.0
            xlo, xhi = self.axes.get_xlim()
            ytop = self.axes.get_ylim()[1]
            # The x axis has headroom (the bins shift by one when the active bin moves), the y axis too: a full
            # draw only for another pool, bins off the limits (at most once a second), or limits far too loose.
            other = model.pool != self._range
            clipped = low < xlo or high > xhi or top > ytop
            loose = (high - low) < 0.6 * (xhi - xlo) or top < 0.4 * ytop
            if other or full or (clipped and now - self._last_rescale >= RESCALE_INTERVAL_S) or (
                    loose and now - self._last_rescale >= ZOOM_IN_INTERVAL_S):
                pad = (high - low) * 0.12
                self.axes.set_xlim(low - pad, high + pad)
                self.axes.set_ylim(0.0, max(top, 1e-9) * 1.25)
                self.axes.set_ylabel(f"liquidity ({model.quote})", color=theme.TEXT_MUTED, fontsize=8, labelpad=2)
                self._decimals = price_decimals(model.prices[-1])
                self._range = model.pool
                self._last_rescale = now
                full = True
        self.surface.redraw(full=full)
        self._rendered_size = self.surface.size_px()
        self.dirty = False
        self.shown = model
        self.renders += 1
