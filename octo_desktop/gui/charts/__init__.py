"""Matplotlib charts that fit a 20 Hz poll: one figure each, updated in place and redrawn by blitting.

``canvas`` holds the blitting canvas and the shared axes style; ``heatmap`` the rasterised net-spread
heatmap and its glyph cache; ``balances`` the treasury's balance heatmap (rasterised the same way); ``depth``
and ``pnl`` the two line charts; ``route`` the router's split bar, cost ladder and DLMM bin histogram. The window loads this package only after its first frame, once matplotlib
has been imported on a background thread (``chart_slot``); ``ChartSlot`` builds a chart by its class name here.
"""

from __future__ import annotations

from octo_desktop.gui.charts.canvas import RESCALE_INTERVAL_S, ZOOM_IN_INTERVAL_S, BlitCanvas, style_axes
from octo_desktop.gui.charts.balances import BalanceHeatmapChart, BalanceRaster
from octo_desktop.gui.charts.depth import DepthChart
from octo_desktop.gui.charts.heatmap import (
    HEATMAP_VMAX,
    HEATMAP_VMIN,
    GlyphCache,
    HeatmapChart,
    HeatmapRaster,
    PixelImage,
    heatmap_colours,
    paste,
)
from octo_desktop.gui.charts.pnl import PnlChart
from octo_desktop.gui.charts.route import BinHistogramChart, CostLadderChart, SplitBarChart

__all__ = ["RESCALE_INTERVAL_S", "ZOOM_IN_INTERVAL_S", "BlitCanvas", "style_axes", "BalanceHeatmapChart",
           "BalanceRaster", "DepthChart", "HEATMAP_VMAX",
           "HEATMAP_VMIN", "GlyphCache", "HeatmapChart", "HeatmapRaster", "PixelImage", "heatmap_colours", "paste",
           "PnlChart", "BinHistogramChart", "CostLadderChart", "SplitBarChart"]
