"""The blitting canvas every chart draws on, and what the charts share: the dark axes style and how
often a chart may redraw in full.

A full ``canvas.draw()`` costs 40-80 ms per canvas here, so it happens only on the first draw, on a
resize, and when the data leave the axis limits (which have headroom; at most once a second). Every
other frame restores the saved background, draws the animated artists and blits a rectangle. No
animated Text: matplotlib text costs ~0.2 ms per character to draw.
"""

from __future__ import annotations

import tkinter as tk

from matplotlib.backends.backend_tkagg import FigureCanvasTkAgg
from matplotlib.figure import Figure
from matplotlib.transforms import Bbox

from octo_desktop.gui import theme

RESCALE_INTERVAL_S = 1.0  # the least time between two full draws caused by new axis limits
ZOOM_IN_INTERVAL_S = 10.0  # the least time between two full draws that only tighten the limits


def style_axes(ax) -> None:
    """Give an axes the dark theme: dark face, muted ticks and spines, a faint grid."""
    ax.set_facecolor(theme.WINDOW_BG)
    for spine in ax.spines.values():
        spine.set_color(theme.GRID_LINE)
    ax.tick_params(colors=theme.TEXT_MUTED, labelsize=8, length=3, pad=2)
    ax.grid(True, color=theme.GRID_LINE, linewidth=0.6, alpha=0.8)
    ax.set_axisbelow(True)


class BlitCanvas:
    """Own one figure in a Tk widget; redraw its animated artists by blitting onto a saved background."""

    def __init__(self, master, width_px: int, height_px: int) -> None:
        self.blit_axes = None  # blit only this axes' rectangle (None: the whole figure)
        # The canvas sits in a frame that keeps the requested size: FigureCanvasTk resizes its own widget
        # to the figure when mapped, which would make the allocated size the requested one for good.
        self.container = tk.Frame(master, width=width_px, height=height_px, bg=theme.PANEL_BG)
        self.container.pack_propagate(False)
        self.figure = Figure(figsize=(width_px / 100, height_px / 100), dpi=100, facecolor=theme.PANEL_BG)
        self.canvas = FigureCanvasTkAgg(self.figure, master=self.container)
        self.widget = self.canvas.get_tk_widget()
        self.widget.configure(background=theme.PANEL_BG, highlightthickness=0, borderwidth=0)
        self.widget.pack(fill="both", expand=True)
        self._animated: list = []
        self._background = None
        self._background_size: tuple[int, int] | None = None
        self.full_draws = 0
        self.blits = 0
        self.canvas.mpl_connect("draw_event", self._on_draw)

    def animate(self, *artists) -> None:
        """Mark artists as redrawn by blitting (full draws leave them out of the background)."""
        for artist in artists:
            artist.set_animated(True)
            self._animated.append(artist)

    def size_px(self) -> tuple[int, int]:
        """Return the figure's size in device pixels."""
        width, height = self.figure.bbox.size
        return int(round(width)), int(round(height))

    def redraw(self, full: bool = False, region: Bbox | None = None) -> None:
        """Blit the animated artists (only ``region`` if given); draw in full if asked or stale."""
        if full or self._background is None or self._background_size != self.size_px():
            self.canvas.draw()  # the draw_event handler saves the background and draws the artists
            return
        self.canvas.restore_region(self._background)
        self._draw_animated()
        # Copying pixels into the Tk photo costs ~3 ms per 100k pixels: blit only what can change.
        if region is None:
            region = self.figure.bbox if self.blit_axes is None else self.blit_axes.bbox.expanded(1.02, 1.02)
        self.canvas.blit(region)
        self.blits += 1

    def _on_draw(self, _event) -> None:
        self._background = self.canvas.copy_from_bbox(self.figure.bbox)
        self._background_size = self.size_px()
        self._draw_animated()
        self.full_draws += 1

    def _draw_animated(self) -> None:
        for artist in self._animated:
            if artist.get_visible():
                self.figure.draw_artist(artist)
