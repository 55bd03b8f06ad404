"""The treasury's balance heatmap: each venue's (and the wallet's) balance of each asset against its target,
rasterised like the net-spread heatmap.

Rows are the places, columns the assets; a cell's colour is the balance's deviation from its target in band
units (the presenter's ``balance_heatmap`` gives the colours), and it is annotated with the balance and its
share of the target. A colour bar under the grid names the bands. Balances change only when a trade fills
or a transfer moves, so the chart redraws only then (or on a resize), and blits only the cells that changed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib.colors import to_rgb
from matplotlib.transforms import Bbox

from octo_desktop.gui import theme
from octo_desktop.gui.charts.heatmap import GlyphCache, paste, raster_surface
from octo_desktop.gui.presenters.treasury import (
    BAND_SEGMENTS, BAND_UNITS_MAX, NO_TARGET_COLOUR, NO_TARGET_TEXT, BalanceHeatmapModel, band_colour, band_ticks,
)


def _rgb255(colour: str) -> np.ndarray:
    return np.array([round(c * 255) for c in to_rgb(colour)], dtype=np.float32)


def _rgba8(colour: str) -> np.ndarray:
    return np.array([*(round(c * 255) for c in to_rgb(colour)), 255], dtype=np.uint8)


def _union(box, other):
    if box is None:
        return other
    return min(box[0], other[0]), min(box[1], other[1]), max(box[2], other[2]), max(box[3], other[3])


@dataclass(frozen=True, slots=True)
class _Layout:
    left: int  # the grid's left pixel (the place labels are left of it)
    top: int  # the grid's top pixel (the asset labels are above it)
    cell_w: int
    cell_h: int
    value_px: int  # the balance's font size
    share_px: int  # the share's font size
    base: np.ndarray  # background, labels and colour bar

    def box(self, row: int, column: int, gap: int) -> tuple[int, int, int, int]:
        """Return a cell's (x0, y0, x1, y1), the gap to its neighbours left out."""
        x, y = self.left + column * self.cell_w, self.top + row * self.cell_h
        return x, y, x + self.cell_w - gap, y + self.cell_h - gap


class BalanceRaster:
    """Rasterise a ``BalanceHeatmapModel`` into an opaque RGBA array of a given pixel size.

    The background (labels, colour bar) is drawn once per layout; a render paints only the cells whose
    text or colour changed since the last one and reports the rectangle that changed (None: nothing did).
    """

    GAP = 2  # pixels between cells
    LEGEND_H = 50  # the colour bar, its ticks and its caption
    BAR_H = 13

    def __init__(self) -> None:
        self.glyphs = GlyphCache()
        self._layout: _Layout | None = None
        self._layout_key: tuple | None = None
        self._image: np.ndarray | None = None
        self._shown: BalanceHeatmapModel | None = None
        self._text = _rgb255("#f2f2f2")
        self._share = _rgb255("#c9d1d9")
        self._share_dim = _rgb255(theme.TEXT_DIM)
        self._label = _rgb255(theme.TEXT)
        self._muted = _rgb255(theme.TEXT_MUTED)
        self._panel = _rgba8(theme.PANEL_BG)

    def render(self, model: BalanceHeatmapModel, width: int, height: int
               ) -> tuple[np.ndarray, tuple[int, int, int, int] | None]:
        """Return the heatmap as uint8 (height, width, 4) and the changed (x0, y0, x1, y1), or None."""
        layout = self._layout_for(model, width, height)
        shown = self._shown
        if shown is None or self._image is None:
            self._image = layout.base.copy()
            cells = [(i, j) for i in range(len(model.places)) for j in range(len(model.assets))]
            box = (0, 0, width, height)
        else:
            cells = [(i, j) for i in range(len(model.places)) for j in range(len(model.assets))
                     if (model.balances[i][j], model.shares[i][j], model.colours[i][j])
                     != (shown.balances[i][j], shown.shares[i][j], shown.colours[i][j])]
            box = None
        for i, j in cells:
            x0, y0, x1, y1 = layout.box(i, j, self.GAP)
            self._paint_cell(self._image, layout, x0, y0, x1, y1, model.balances[i][j], model.shares[i][j],
                             model.colours[i][j])
            if box != (0, 0, width, height):
                box = _union(box, (x0, y0, x1, y1))
        self._shown = model
        return self._image, box

    def cell_box(self, model: BalanceHeatmapModel, place: str, asset: str) -> tuple[int, int, int, int] | None:
        """Return the pixel box (x0, y0, x1, y1) of a cell in the last layout, or None before the first render."""
        if self._layout is None:
            return None
        return self._layout.box(model.places.index(place), model.assets.index(asset), self.GAP)

    def _paint_cell(self, image, layout: _Layout, x0: int, y0: int, x1: int, y1: int, balance: str, share: str,
                    colour: str) -> None:
        image[y0:y1, x0:x1] = _rgba8(colour)
        value = self.glyphs.mask(balance, layout.value_px, bold=True)
        if value.shape[1] > x1 - x0 - 4:  # a balance too wide for the cell: a smaller font, never clipped
            value = self.glyphs.mask(balance, max(7, layout.value_px - 2), bold=True)
        below = self.glyphs.mask(share, layout.share_px)
        gap = 2
        total = value.shape[0] + gap + below.shape[0]
        top = y0 + (y1 - y0 - total) // 2
        paste(image, value, x0 + (x1 - x0 - value.shape[1]) // 2, top, self._text)
        paste(image, below, x0 + (x1 - x0 - below.shape[1]) // 2, top + value.shape[0] + gap,
              self._share_dim if share == NO_TARGET_TEXT else self._share)

    def _layout_for(self, model: BalanceHeatmapModel, width: int, height: int) -> _Layout:
        key = (model.places, model.assets, model.upper_band, model.inner_band, width, height)
        if key == self._layout_key and self._layout is not None:
            return self._layout
        label_px = 11
        widest = max(self.glyphs.width(place, label_px) for place in model.places)
        left = widest + 10
        header_h = self.glyphs.mask("Ag", label_px, bold=True).shape[0]
        top = header_h + 8
        rows, columns = len(model.places), len(model.assets)
        cell_w = max(12, (width - left - 4) // max(1, columns))
        cell_h = max(12, (height - top - self.LEGEND_H) // max(1, rows))
        value_px = int(max(7, min(12, (cell_h - self.GAP - 4) * 0.45)))
        share_px = max(7, value_px - 1)
        base = np.empty((height, width, 4), dtype=np.uint8)
        base[...] = self._panel
        for i, place in enumerate(model.places):
            mask = self.glyphs.mask(place, label_px)
            y = top + i * cell_h + (cell_h - self.GAP - mask.shape[0]) // 2
            paste(base, mask, left - 6 - mask.shape[1], y, self._label)
        for j, asset in enumerate(model.assets):
            mask = self.glyphs.mask(asset, label_px, bold=True)
            paste(base, mask, left + j * cell_w + (cell_w - self.GAP - mask.shape[1]) // 2, 3, self._label)
        self._draw_colour_bar(base, model, left, left + columns * cell_w - self.GAP, top + rows * cell_h + 6)
        self._layout = _Layout(left, top, cell_w, cell_h, value_px, share_px, base)
        self._layout_key = key
        self._image = None
        self._shown = None
        return self._layout

    def _draw_colour_bar(self, image: np.ndarray, model: BalanceHeatmapModel, x0: int, x1: int, y: int) -> None:
        # Deviation runs left (short) to right (long); each band is named inside its stretch of the bar, its
        # edges ticked with the share of target they stand for; the wallet's no-target colour is last.
        if x1 - x0 < 120 or y + self.LEGEND_H - 6 > image.shape[0]:
            return
        bar_x1 = x1
        span = BAND_UNITS_MAX * 2
        xs = np.arange(x0, bar_x1)
        units = (xs - x0 + 0.5) / (bar_x1 - x0) * span - BAND_UNITS_MAX
        for x, u in zip(xs, units):
            image[y:y + self.BAR_H, x, :3] = _rgb255(band_colour(float(u))).astype(np.uint8)
        names = {(-3.0, -2.0): "short", (-2.0, -1.0): "low", (-1.0, 1.0): "within the inner band",
                 (1.0, 2.0): "high", (2.0, 3.0): "long"}
        for low, high, _, _ in BAND_SEGMENTS:
            name = names.get((low, high))
            if not name:
                continue
            mask = self.glyphs.mask(name, 9, bold=True)
            sx0 = x0 + (low + BAND_UNITS_MAX) / span * (bar_x1 - x0)
            sx1 = x0 + (high + BAND_UNITS_MAX) / span * (bar_x1 - x0)
            if mask.shape[1] <= sx1 - sx0 - 2:
                paste(image, mask, int((sx0 + sx1 - mask.shape[1]) / 2), y + (self.BAR_H - mask.shape[0]) // 2,
                      self._text)
        for u, text in band_ticks(model.upper_band, model.inner_band):
            x = int(round(x0 + (u + BAND_UNITS_MAX) / span * (bar_x1 - x0 - 1)))
            image[y + self.BAR_H:y + self.BAR_H + 3, x, :3] = self._muted.astype(np.uint8)
            mask = self.glyphs.mask(text, 9)
            tx = min(max(x0, x - mask.shape[1] // 2), bar_x1 - mask.shape[1])
            paste(image, mask, tx, y + self.BAR_H + 4, self._muted)
        # The caption: what the ticks are and where rebalancing acts; then the no-target swatch, at the right.
        line_y = y + self.BAR_H + 19
        note = self.glyphs.mask("no target", 10)
        note_x = x1 - note.shape[1]
        swatch_x = note_x - 14
        image[line_y:line_y + 12, swatch_x - 1:swatch_x + 11, :3] = self._share_dim.astype(np.uint8)
        image[line_y + 1:line_y + 11, swatch_x:swatch_x + 10, :3] = _rgb255(NO_TARGET_COLOUR).astype(np.uint8)
        paste(image, note, note_x, line_y, self._muted)
        caption = (f"% of target · rebalancing acts past ±{model.upper_band:.0%}, "
                   f"refills to ±{model.inner_band:.0%}")
        size = 10
        mask = self.glyphs.mask(caption, size)
        while mask.shape[1] > swatch_x - x0 - 10 and size > 7:
            size -= 1
            mask = self.glyphs.mask(caption, size)
        paste(image, mask, x0, line_y, self._muted)


class BalanceHeatmapChart:
    """The balance heatmap: a rasterised image in one ``imshow`` artist, redrawn by blitting when it changes."""

    def __init__(self, master, width_px: int = 440, height_px: int = 340) -> None:
        self.surface, self.axes, self.image = raster_surface(master, width_px, height_px)
        self.widget = self.surface.container
        self.raster = BalanceRaster()
        self.model: BalanceHeatmapModel | None = None  # the newest model given
        self.shown: BalanceHeatmapModel | None = None  # the model on screen
        self.pixels: np.ndarray | None = None  # the RGBA raster on screen, top row first
        self.renders = 0
        self.dirty = False
        self._rendered_size: tuple[int, int] | None = None

    def set_model(self, model: BalanceHeatmapModel | None) -> None:
        """Take new balances; mark the chart dirty only if the picture would change."""
        if model is None or model.same_as(self.model):
            return
        self.model = model
        self.dirty = True

    def needs_redraw(self) -> bool:
        """Return True if the balances changed or the widget was resized since the last render."""
        return self.model is not None and (self.dirty or self._rendered_size != self.surface.size_px())

    def render(self, now: float) -> None:
        """Rasterise the current model at the axes' pixel size and blit what changed."""
        width, height = self.surface.size_px()
        if self.model is None or width < 50 or height < 50:
            return
        rgba, box = self.raster.render(self.model, width, height)
        self._rendered_size = (width, height)
        self.dirty = False
        self.shown, self.pixels = self.model, rgba
        self.renders += 1
        if box is None:
            return
        self.image.set_data(rgba)
        axes = self.axes.bbox  # display coordinates: y grows upwards, the raster's rows downwards
        x0, y0, x1, y1 = box
        self.surface.redraw(region=Bbox.from_extents(axes.x0 + x0 - 1, axes.y1 - y1 - 1,
                                                     axes.x0 + x1 + 1, axes.y1 - y0 + 1))

    def cell_colour(self, place: str, asset: str) -> str | None:
        """Return the colour ("#rrggbb") on screen at a cell's corner (clear of its text), or None if not drawn."""
        if self.shown is None or self.pixels is None:
            return None
        x0, y0, _, _ = self.raster.cell_box(self.shown, place, asset)
        r, g, b = (int(c) for c in self.pixels[y0 + 1, x0 + 1, :3])
        return f"#{r:02x}{g:02x}{b:02x}"
