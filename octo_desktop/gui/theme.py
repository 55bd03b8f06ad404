"""Colours and fonts of the dark theme, shared by presenters, views and charts (no Tk imports)."""

from __future__ import annotations

# CustomTkinter's dark "blue" theme: window gray14, frames gray17, raised parts gray20.
WINDOW_BG = "#242424"
PANEL_BG = "#2b2b2b"
RAISED_BG = "#333333"
GRID_LINE = "#3a3a3a"
HEADER_BG = "#1f1f1f"

TEXT = "#dce4ee"
TEXT_MUTED = "#9aa4b1"
TEXT_DIM = "#5c6370"
ACCENT = "#3b8ed0"

GREEN = "#3fb950"
RED = "#f85149"
ORANGE = "#f0883e"
AMBER = "#d29922"
GREY = "#8b949e"

BID = "#3fb950"  # best bid and buy-side quantities
ASK = "#f85149"  # best ask

KILL = "#c62828"
KILL_HOVER = "#e53935"
RESUME = "#2e7d32"
RESUME_HOVER = "#388e3c"

# Depth-chart colours of the buy venue and the sell venue.
BUY_VENUE = "#4cc9f0"
SELL_VENUE = "#f4a261"
PNL_REALIZED = "#3fb950"
PNL_MARKED = "#58a6ff"

# Fonts as Tk font tuples; negative sizes are pixels, so layouts do not depend on the screen's DPI.
FONT_FAMILY = "DejaVu Sans"
MONO_FAMILY = "DejaVu Sans Mono"
FONT = (FONT_FAMILY, -12)
FONT_SMALL = (FONT_FAMILY, -11)
FONT_BOLD = (FONT_FAMILY, -12, "bold")
FONT_HEADER = (FONT_FAMILY, -13, "bold")
FONT_MONO = (MONO_FAMILY, -12)
FONT_MONO_SMALL = (MONO_FAMILY, -11)
FONT_LIST = ("DejaVu Sans Condensed", -11)  # lists: narrow, and DejaVu's digits are tabular
FONT_BADGE = ("DejaVu Sans Condensed", -10, "bold")  # venue-health badges
FONT_BIG = (FONT_FAMILY, -26, "bold")
FONT_NUMBER = (MONO_FAMILY, -17, "bold")
