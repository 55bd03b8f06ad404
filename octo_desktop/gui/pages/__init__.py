"""The desks' pages, in the order of their tabs: a desk adds its page by adding its class here.

Each class follows ``desk_page.DeskPage``; the first is the page a first start opens on, and Ctrl+1..9
selects the page at that place.
"""

from __future__ import annotations

from octo_desktop.gui.pages.arbitrage import ArbitragePage
from octo_desktop.gui.pages.router import RouterPage
from octo_desktop.gui.pages.treasury import TreasuryPage

DESK_PAGES = (ArbitragePage, TreasuryPage, RouterPage)

__all__ = ["DESK_PAGES", "ArbitragePage", "RouterPage", "TreasuryPage"]
