"""The 8x8 net-spread heatmap, rasterised instead of drawn.

numpy fills an RGBA array the size of the axes in pixels (cell colours, colour bar, venue labels, and
cell values pasted from a cache of PIL-rendered glyphs), shown by one image artist that draws it 1:1,
and only the cells that changed are blitted (~2 ms a frame).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib import font_manager
from matplotlib.colors import LinearSegmentedColormap, to_rgb
from matplotlib.image import AxesImage
from matplotlib.transforms import Bbox, IdentityTransform
from PIL import Image, ImageDraw, ImageFont

from octo_desktop.gui import theme
from octo_desktop.gui.charts.canvas import BlitCanvas
from octo_desktop.gui.presenters.format import MINUS
from octo_desktop.gui.presenters.opportunities import HeatmapModel

_FONT_PATH = font_manager.findfont(font_manager.FontProperties(family="DejaVu Sans"))
_BOLD_PATH = font_manager.findfont(font_manager.FontProperties(family="DejaVu Sans", weight="bold"))
HEATMAP_VMIN, HEATMAP_VMAX = -50.0, 25.0  # bps; the colour scale is centred at 0 (two slopes)
_HEATMAP_CMAP = LinearSegmentedColormap.from_list(
    "octo_net_spread", [(0.0, "#8f2a24"), (0.6, "#5a2d2a"), (1.0, "#363231")], N=128)
_HEATMAP_CMAP_POS = LinearSegmentedColormap.from_list(
    "octo_net_spread_pos", [(0.0, "#363231"), (0.2, "#1d6b37"), (1.0, "#2ea043")], N=128)


def _rgb255(colour: str) -> np.ndarray:
    return np.array([round(c * 255) for c in to_rgb(colour)], dtype=np.float32)


def _rgba8(colour: str) -> np.ndarray:
    return np.array([*(round(c * 255) for c in to_rgb(colour)), 255], dtype=np.uint8)


def heatmap_colours(values: np.ndarray) -> np.ndarray:
    """Return uint8 RGB colours for net spreads in bps: red below 0, green above, centred at 0."""
    values = np.asarray(values, dtype=float)
    result = np.zeros(values.shape + (3,), dtype=np.uint8)
    negative = np.clip(values / -HEATMAP_VMIN + 1.0, 0.0, 1.0)  # -vmin..0 -> 0..1
    positive = np.clip(values / HEATMAP_VMAX, 0.0, 1.0)
    neg_rgb = (_HEATMAP_CMAP(np.nan_to_num(negative))[..., :3] * 255).astype(np.uint8)
    pos_rgb = (_HEATMAP_CMAP_POS(np.nan_to_num(positive))[..., :3] * 255).astype(np.uint8)
    is_positive = np.nan_to_num(values) >= 0
    result[...] = np.where(is_positive[..., None], pos_rgb, neg_rgb)
    return result


class GlyphCache:
    """Render strings once with PIL and keep their alpha masks, keyed by (text, size, bold, rotated)."""

    def __init__(self) -> None:
        self._fonts: dict[tuple[int, bool], ImageFont.FreeTypeFont] = {}
        self._masks: dict[tuple, np.ndarray] = {}

    def mask(self, text: str, size: int, bold: bool = False, rotated: bool = False) -> np.ndarray:
        """Return the float32 alpha mask (h, w) of ``text`` at a pixel size."""
        key = (text, size, bold, rotated)
        mask = self._masks.get(key)
        if mask is None:
            font = self._font(size, bold)
            left, top, right, bottom = font.getbbox(text)
            image = Image.new("L", (max(1, right - left), max(1, bottom - top)), 0)
            ImageDraw.Draw(image).text((-left, -top), text, fill=255, font=font)
            if rotated:
                image = image.rotate(90, expand=True)
            mask = np.asarray(image, dtype=np.float32) / 255.0
            if len(self._masks) > 5000:  # values change forever; keep the cache bounded
                self._masks.clear()
            self._masks[key] = mask
        return mask

    def width(self, text: str, size: int, bold: bool = False) -> int:
        """Return the pixel width of ``text``."""
        return self.mask(text, size, bold).shape[1]

    def _font(self, size: int, bold: bool) -> ImageFont.FreeTypeFont:
        font = self._fonts.get((size, bold))
        if font is None:
            font = ImageFont.truetype(_BOLD_PATH if bold else _FONT_PATH, size)
            self._fonts[(size, bold)] = font
        return font


def paste(image: np.ndarray, mask: np.ndarray, x: int, y: int, colour: np.ndarray) -> None:
    """Alpha-blend a glyph mask in an RGB ``colour`` into an RGB(A) image at (x, y), clipped to it."""
    height, width = mask.shape
    x0, y0 = max(0, x), max(0, y)
    x1, y1 = min(image.shape[1], x + width), min(image.shape[0], y + height)
    if x1 <= x0 or y1 <= y0:
        return
    alpha = mask[y0 - y:y1 - y, x0 - x:x1 - x, None]
    region = image[y0:y1, x0:x1, :3].astype(np.float32)
    image[y0:y1, x0:x1, :3] = (region + (colour - region) * alpha).astype(np.uint8)


def _union(box, other):
    if box is None:
        return other
    return min(box[0], other[0]), min(box[1], other[1]), max(box[2], other[2]), max(box[3], other[3])


@dataclass(frozen=True, slots=True)
class _HeatmapLayout:
    width: int
    height: int
    n: int
    font_px: int
    label_px: int
    left: int
    top: int
    cell_w: int  # every cell has the same size, so a rendered cell can be reused anywhere
    cell_h: int
    rotated: bool
    base: np.ndarray  # background, colour bar and caption

    def x(self, column: int) -> int:
        """Return the left pixel of a column of cells."""
        return self.left + column * self.cell_w

    def y(self, row: int) -> int:
        """Return the top pixel of a row of cells."""
        return self.top + row * self.cell_h


class HeatmapRaster:
    """Rasterise a ``HeatmapModel`` into an opaque RGBA array of a given pixel size.

    A cell's picture depends only on its annotation (the text rounds the value the colour comes
    from), so rendered cells are cached by text. The image is kept between frames and only cells
    whose text changed are copied in; ``render`` reports the rectangle that changed, so the chart
    blits only that (copying pixels into Tk costs ~3 ms per 100k pixels).
    """

    BAR_WIDTH = 10
    GAP = 1  # pixels between cells

    def __init__(self) -> None:
        self.glyphs = GlyphCache()
        self._layout: _HeatmapLayout | None = None
        self._layout_key: tuple | None = None
        self._bases: dict[tuple, np.ndarray] = {}
        self._cells: dict[str, np.ndarray] = {}
        self._image: np.ndarray | None = None
        self._shown: tuple | None = None  # (layout key, excluded, texts, highlight cell) on the image
        self._text = _rgb255("#f2f2f2")
        self._label = _rgb255(theme.TEXT)
        self._label_dim = _rgb255(theme.TEXT_DIM)
        self._highlight = _rgba8("#ffffff")
        self._excluded = _rgba8("#3a3a3a")  # greyed out: stale or degraded venue
        self._panel = _rgba8(theme.PANEL_BG)
        self._diagonal = _rgba8(theme.PANEL_BG)  # blank: a venue against itself

    def render(self, model: HeatmapModel, width: int, height: int,
               highlight: tuple[str, str] | None = None
               ) -> tuple[np.ndarray, tuple[int, int, int, int] | None]:
        """Return the heatmap as uint8 (height, width, 4) and the changed (x0, y0, x1, y1), or None."""
        layout = self._layout_for(model.venues, width, height)
        n = layout.n
        marked = None
        if highlight is not None and highlight[0] in model.venues and highlight[1] in model.venues:
            marked = (model.venues.index(highlight[0]), model.venues.index(highlight[1]))
            if marked[0] == marked[1]:
                marked = None
        shown = self._shown
        if (shown is None or self._image is None or shown[0] != self._layout_key
                or shown[1] != model.excluded):
            self._image = self._base_for(layout, model).copy()
            cells = [(i, j) for i in range(n) for j in range(n)]
            box = (0, 0, width, height)
        else:
            old_texts, old_marked = shown[2], shown[3]
            cells = [(i, j) for i in range(n) for j in range(n) if model.texts[i][j] != old_texts[i][j]]
            if marked != old_marked:
                cells.extend(c for c in (marked, old_marked) if c is not None)
            box = None
        image = self._image
        cw, ch = layout.cell_w - self.GAP, layout.cell_h - self.GAP
        for i, j in cells:
            x, y = layout.x(j), layout.y(i)
            text = model.texts[i][j]
            if i == j:
                image[y:y + ch, x:x + cw] = self._diagonal
            elif not text:
                image[y:y + ch, x:x + cw] = self._excluded
            else:
                image[y:y + ch, x:x + cw] = self._cell(text, float(model.values[i, j]), layout)
            if (i, j) == marked:
                self._outline(image, x, y, x + cw - 1, y + ch - 1)
            if box is None or box != (0, 0, width, height):
                box = _union(box, (x, y, x + cw, y + ch))
        self._shown = (self._layout_key, model.excluded, model.texts, marked)
        return image, box

    def _cell(self, text: str, value: float, layout: _HeatmapLayout) -> np.ndarray:
        cell = self._cells.get(text)
        if cell is None:
            cw, ch = layout.cell_w - self.GAP, layout.cell_h - self.GAP
            cell = np.empty((ch, cw, 4), dtype=np.uint8)
            cell[..., :3] = heatmap_colours(np.array([value]))[0]
            cell[..., 3] = 255
            mask = self.glyphs.mask(text, layout.font_px)
            paste(cell, mask, (cw - mask.shape[1]) // 2, (ch - mask.shape[0]) // 2, self._text)
            if len(self._cells) > 4000:  # values wander forever; keep the cache bounded
                self._cells.clear()
            self._cells[text] = cell
        return cell

    def _outline(self, image: np.ndarray, x0: int, y0: int, x1: int, y1: int) -> None:
        colour = self._highlight
        image[y0:y0 + 2, x0:x1 + 1] = colour
        image[y1 - 1:y1 + 1, x0:x1 + 1] = colour
        image[y0:y1 + 1, x0:x0 + 2] = colour
        image[y0:y1 + 1, x1 - 1:x1 + 1] = colour

    def _base_for(self, layout: _HeatmapLayout, model: HeatmapModel) -> np.ndarray:
        # The venue labels change colour only when a venue is excluded or comes back.
        key = model.excluded
        base = self._bases.get(key)
        if base is None:
            base = layout.base.copy()
            for i, venue in enumerate(model.venues):
                colour = self._label_dim if model.excluded[i] else self._label
                mask = self.glyphs.mask(venue, layout.label_px)
                cy = layout.y(i) + (layout.cell_h - self.GAP) // 2
                paste(base, mask, layout.left - 6 - mask.shape[1], cy - mask.shape[0] // 2, colour)
                mask = self.glyphs.mask(venue, layout.label_px, rotated=layout.rotated)
                cx = layout.x(i) + (layout.cell_w - self.GAP) // 2
                paste(base, mask, cx - mask.shape[1] // 2, layout.top - 5 - mask.shape[0], colour)
            if len(self._bases) > 32:
                self._bases.clear()
            self._bases[key] = base
        return base

    def _layout_for(self, venues: tuple[str, ...], width: int, height: int) -> _HeatmapLayout:
        key = (venues, width, height)
        if key == self._layout_key and self._layout is not None:
            return self._layout
        n = len(venues)
        label_px = 11 if width >= 330 else 10
        widest = max(self.glyphs.width(v, label_px) for v in venues)
        left = widest + 12
        bar = self.BAR_WIDTH + 34  # colour bar, its tick marks and labels
        cell_w = max(8, (width - left - bar) // n)
        rotated = widest > cell_w - 4
        label_height = widest if rotated else self.glyphs.mask("Ag", label_px).shape[0]
        top = label_height + 26
        cell_h = max(8, (height - top - 4) // n)
        font_px = int(max(8, min(13, cell_h * 0.4, (cell_w - 4) / 2.7)))
        base = np.empty((height, width, 4), dtype=np.uint8)
        base[...] = self._panel
        grid_right = left + n * cell_w
        self._draw_colour_bar(base, grid_right + 6, top, top + n * cell_h - self.GAP)
        caption = self.glyphs.mask("buy ↓  sell →", 11)
        paste(base, caption, 4, 4, _rgb255(theme.TEXT_MUTED))
        self._layout = _HeatmapLayout(width, height, n, font_px, label_px, left, top, cell_w, cell_h,
                                      rotated, base)
        self._layout_key = key
        self._bases.clear()
        self._cells.clear()
        self._shown = None
        return self._layout

    def _draw_colour_bar(self, image: np.ndarray, x: int, y0: int, y1: int) -> None:
        if y1 - y0 < 20 or x + self.BAR_WIDTH + 26 > image.shape[1]:
            return
        values = np.linspace(HEATMAP_VMAX, HEATMAP_VMIN, y1 - y0)
        colours = heatmap_colours(values)
        image[y0:y1, x:x + self.BAR_WIDTH, :3] = colours[:, None, :]
        muted = _rgb255(theme.TEXT_MUTED)
        for value in (HEATMAP_VMAX, 0.0, HEATMAP_VMIN / 2, HEATMAP_VMIN):
            y = int(round(y0 + (HEATMAP_VMAX - value) / (HEATMAP_VMAX - HEATMAP_VMIN) * (y1 - y0 - 1)))
            image[y, x + self.BAR_WIDTH:x + self.BAR_WIDTH + 3, :3] = muted.astype(np.uint8)
            text = f"{value:+.0f}".replace("-", MINUS) if value else "0"
            mask = self.glyphs.mask(text, 9)
            paste(image, mask, x + self.BAR_WIDTH + 4, min(max(y0, y - mask.shape[0] // 2),
                                                            y1 - mask.shape[0]), muted)


class PixelImage(AxesImage):
    """An image artist for an RGBA array already rendered at its axes' pixel size: drawn 1:1.

    ``AxesImage`` resamples every draw (uint8 -> float, premultiply, resample, back to bytes: ~10-30 ms
    for a 400x370 heatmap here); a raster made at the exact pixel size needs none of that.
    """

    def make_image(self, renderer, magnification=1.0, unsampled=False):
        """Return the RGBA array unchanged when it matches the axes' pixel size, else resample it."""
        data = self.get_array()
        box = self.axes.bbox
        if (magnification == 1.0 and data is not None and data.dtype == np.uint8 and data.ndim == 3
                and data.shape[2] == 4 and data.shape[0] == int(round(box.height))
                and data.shape[1] == int(round(box.width))):
            # Agg fills rows bottom-up from (x0, y0); the array is top row first (origin "upper").
            return np.ascontiguousarray(data[::-1]), box.x0, box.y0, IdentityTransform()
        return super().make_image(renderer, magnification, unsampled)


def raster_surface(master, width_px: int, height_px: int) -> tuple[BlitCanvas, object, PixelImage]:
    """A blitting canvas whose whole figure is one ``PixelImage`` (top row first), as the raster charts use."""
    surface = BlitCanvas(master, width_px, height_px)
    axes = surface.figure.add_axes((0, 0, 1, 1))
    axes.set_axis_off()
    image = PixelImage(axes, interpolation="nearest", origin="upper")
    image.set_data(np.zeros((2, 2, 4), dtype=np.uint8))
    image.set_extent((0, 1, 1, 0))
    axes.add_image(image)
    axes.set_xlim(0, 1)
    axes.set_ylim(1, 0)
    surface.animate(image)
    return surface, axes, image


class HeatmapChart:
    """The 8x8 net-spread heatmap: a rasterised image in one ``imshow`` artist, redrawn by blitting."""

    def __init__(self, master, width_px: int = 400, height_px: int = 380) -> None:
        self.surface, self.axes, self.image = raster_surface(master, width_px, height_px)
        self.widget = self.surface.container
        self.raster = HeatmapRaster()
        self.model: HeatmapModel | None = None
        self.highlight: tuple[str, str] | None = None
        self.dirty = False
        self._rendered_size: tuple[int, int] | None = None

    def set_model(self, model: HeatmapModel | None, highlight: tuple[str, str] | None) -> None:
        """Take a new matrix; mark the chart dirty only if the picture would change."""
        if model is None:
            return
        if model.same_as(self.model) and highlight == self.highlight:
            return
        self.model, self.highlight = model, highlight
        self.dirty = True

    def needs_redraw(self) -> bool:
        """Return True if the data changed or the widget was resized since the last render."""
        return self.model is not None and (self.dirty or self._rendered_size != self.surface.size_px())

    def render(self, now: float) -> None:
        """Rasterise the current model at the axes' pixel size and blit it."""
        width, height = self.surface.size_px()
        if self.model is None or width < 50 or height < 50:
            return
        rgba, box = self.raster.render(self.model, width, height, self.highlight)
        self._rendered_size = (width, height)
        self.dirty = False
        if box is None:
            return
        self.image.set_data(rgba)
        axes = self.axes.bbox  # display coordinates: y grows upwards, the raster's rows downwards
        x0, y0, x1, y1 = box
        self.surface.redraw(region=Bbox.from_extents(axes.x0 + x0 - 1, axes.y1 - y1 - 1,
                                                     axes.x0 + x1 + 1, axes.y1 - y0 + 1))
