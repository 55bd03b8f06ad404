"""The arbitrage desk's page: market, opportunities, book and account in four columns.

The page keeps what the trader chose on it (the symbol, the charted venue pair, whether the pair follows
the best opportunity, the opportunity selected) and saves the symbol through a ``SaveSetting`` command.
"""

from __future__ import annotations

import time
import tkinter as tk

from octo_desktop.domain.commands import SaveSetting, SetMinScore, SetThreshold
from octo_desktop.domain.snapshot import Snapshot
from octo_desktop.gui import theme
from octo_desktop.gui.account_view import AccountView
from octo_desktop.gui.book_view import BookView
from octo_desktop.gui.desk_page import DeskContext, place_columns
from octo_desktop.gui.market_view import MarketView
from octo_desktop.gui.opportunities_view import OpportunitiesView
from octo_desktop.gui.presenters.book import choose_pair
from octo_desktop.gui.presenters.opportunities import find_opportunity
from octo_desktop.gui.threshold_dialog import ThresholdDialog

COLUMN_WEIGHTS = (2, 3, 4, 3)  # how market, opportunities, book and account share spare width
PAIR_SWITCH_INTERVAL_S = 2.0  # "follow best" changes the charted pair at most this often


class ArbitragePage:
    """Four columns refreshed from each new snapshot while the page is shown."""

    key = "arbitrage"
    title = "Arbitrage"

    def __init__(self, context: DeskContext) -> None:
        self._context = context
        config = context.config
        self._venues = tuple(config.venue_names)
        self._symbols = tuple(config.symbols)
        saved_symbol = context.settings.get("symbol")
        self.symbol = saved_symbol if saved_symbol in self._symbols else self._symbols[0]
        self.pair: tuple[str, str] = (self._venues[0], self._venues[1 if len(self._venues) > 1 else 0])
        self.follow_best = True
        self.selected_opportunity: object = None
        self.snapshot: Snapshot | None = None
        self._pair_switched = -1e9
        self.frame: tk.Frame | None = None
        self.columns: tuple = ()
        self.charts: tuple = ()
        self.threshold_dialog: ThresholdDialog | None = None

    def build(self, parent) -> tk.Frame:
        """Create the four columns in a new frame of ``parent`` and return it."""
        config = self._context.config
        frame = tk.Frame(parent, bg=theme.WINDOW_BG)
        self.market_view = MarketView(frame, self._venues, self._symbols, self.symbol, self.choose_symbol,
                                      vol_multiplier=config.strategy.vol_multiplier,
                                      flow_window_s=config.strategy.flow_window_s)
        self.opportunities_view = OpportunitiesView(frame, self._opportunity_selected)
        self.book_view = BookView(frame, self._venues, self.pair, self.choose_pair, self.set_follow_best)
        self.account_view = AccountView(frame, self._venues, config.assets, on_thresholds=self.edit_thresholds)
        self.columns = (self.market_view.frame, self.opportunities_view.frame, self.book_view.frame,
                        self.account_view.frame)
        place_columns(frame, self.columns, COLUMN_WEIGHTS)
        self.heatmap = self.opportunities_view.heatmap
        self.depth_chart = self.book_view.depth
        self.pnl_chart = self.account_view.pnl
        self.charts = (self.heatmap, self.depth_chart, self.pnl_chart)
        self.frame = frame
        return frame

    def edit_thresholds(self) -> None:
        """Open the thresholds dialog (one at a time) on the values in effect."""
        if self.threshold_dialog is not None or self.snapshot is None:
            return
        self.threshold_dialog = ThresholdDialog(self.frame, self.snapshot.threshold_bps, self.snapshot.min_score,
                                                on_apply=self.set_thresholds, on_close=self._thresholds_closed)

    def set_thresholds(self, threshold_bps: float, min_score: float) -> None:
        """Send the base threshold and the minimum score to the engine (it stores and shows them)."""
        self._context.submit(SetThreshold(threshold_bps))
        self._context.submit(SetMinScore(min_score))

    def _thresholds_closed(self) -> None:
        self.threshold_dialog = None

    def on_shown(self) -> None:
        """Nothing to prepare: the next render brings every column up to date."""

    def on_hidden(self) -> None:
        """Nothing to stop: the shell neither renders this page nor draws its charts while hidden."""

    def reset(self) -> None:
        """Forget the snapshot and the opportunity selected, and let the pair follow at once."""
        self.snapshot = None
        self.selected_opportunity = None
        self._pair_switched = -1e9

    # ---------------------------------------------------------------------------------------------
    # What the trader chooses on the page.
    # ---------------------------------------------------------------------------------------------
    def choose_symbol(self, symbol: str) -> None:
        """Show ``symbol`` in every column and remember it."""
        if symbol == self.symbol:
            return
        self.symbol = symbol
        self.selected_opportunity = None
        self._pair_switched = -1e9
        self._context.submit(SaveSetting("symbol", symbol))
        self._render_again()

    def choose_pair(self, buy_venue: str, sell_venue: str) -> None:
        """Chart the depth of this venue pair and stop following the best pair."""
        self.pair = (buy_venue, sell_venue)
        self.follow_best = False
        self.book_view.show_pair(self.pair, self.follow_best)
        self._render_again()

    def set_follow_best(self, follow: bool) -> None:
        """Let the charted pair follow the best opportunity, or keep the chosen one."""
        self.follow_best = follow
        self._pair_switched = -1e9
        self._render_again()

    def _opportunity_selected(self, key: object) -> None:
        self.selected_opportunity = key
        opportunity = find_opportunity(self.snapshot, key) if self.snapshot and key else None
        if opportunity is not None:
            if opportunity.symbol != self.symbol:
                self.market_view.set_symbols(self.snapshot.symbols, opportunity.symbol)
                self.choose_symbol(opportunity.symbol)
                self.selected_opportunity = key
            self.choose_pair(opportunity.buy_venue, opportunity.sell_venue)

    def _render_again(self) -> None:
        # A choice shows at once, from the snapshot already shown.
        if self.snapshot is not None:
            self.render(self.snapshot, time.monotonic())

    # ---------------------------------------------------------------------------------------------
    # Rendering.
    # ---------------------------------------------------------------------------------------------
    def render(self, snapshot: Snapshot, now: float) -> None:
        """Show ``snapshot`` in the four columns."""
        self.snapshot = snapshot
        if self.symbol not in snapshot.symbols and snapshot.symbols:
            self.symbol = snapshot.symbols[0]
        self.market_view.set_symbols(snapshot.symbols, self.symbol)
        self.book_view.set_venues(snapshot.venues)
        if self.pair[0] not in snapshot.venues or self.pair[1] not in snapshot.venues:
            self.follow_best = True  # the chosen pair is not in this market (another recording)
        if self.follow_best and now - self._pair_switched >= PAIR_SWITCH_INTERVAL_S:
            pair = choose_pair(snapshot, self.symbol, self.pair)
            if pair != self.pair:
                self.pair = pair
                self._pair_switched = now
        self.book_view.show_pair(self.pair, self.follow_best)
        self.market_view.render(snapshot, self.symbol)
        self.opportunities_view.render(snapshot, self.symbol, self.pair, self.selected_opportunity)
        self.book_view.render(snapshot, self.symbol, self.pair)
        self.account_view.render(snapshot)
