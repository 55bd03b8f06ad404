"""Column 3, Book: the venue-pair picker, the depth chart of that pair, the trade blotter and the
detail of the chosen trade (legs, rollback steps, P&L attribution)."""

from __future__ import annotations

import tkinter as tk
from typing import Callable, Sequence

import customtkinter as ctk

from octo_desktop.domain.snapshot import Snapshot
from octo_desktop.gui import presenters, theme
from octo_desktop.gui.chart_slot import ChartSlot
from octo_desktop.gui.widgets import CachedLabel, ListView, Tooltip, panel, section_label


class BookView:
    """Build and refresh the book column."""

    def __init__(self, master, venues: Sequence[str], pair: tuple[str, str],
                 on_pair: Callable[[str, str], None], on_follow: Callable[[bool], None]) -> None:
        self.frame, self.header = panel(master, "BOOK · depth of the chosen venue pair")
        frame = self.frame
        self._on_pair = on_pair
        controls = tk.Frame(frame, bg=theme.PANEL_BG)
        controls.grid(row=1, column=0, sticky="ew", padx=8, pady=(0, 4))
        font = ctk.CTkFont(family=theme.FONT_FAMILY, size=12)
        tk.Label(controls, text="buy on", font=theme.FONT_SMALL, fg=theme.BUY_VENUE,
                 bg=theme.PANEL_BG).grid(row=0, column=0, padx=(2, 4))
        self.buy_menu = ctk.CTkOptionMenu(controls, values=list(venues), width=100, height=26, font=font,
                                          dropdown_font=font, command=self._buy_chosen)
        self.buy_menu.grid(row=0, column=1)
        tk.Label(controls, text="sell on", font=theme.FONT_SMALL, fg=theme.SELL_VENUE,
                 bg=theme.PANEL_BG).grid(row=0, column=2, padx=(10, 4))
        self.sell_menu = ctk.CTkOptionMenu(controls, values=list(venues), width=100, height=26, font=font,
                                           dropdown_font=font, command=self._sell_chosen)
        self.sell_menu.grid(row=0, column=3)
        self.follow_var = tk.BooleanVar(value=True)
        self.follow_switch = ctk.CTkSwitch(controls, text="follow best", variable=self.follow_var,
                                           font=font, width=40, switch_width=32, switch_height=16,
                                           command=lambda: on_follow(bool(self.follow_var.get())))
        self.follow_switch.grid(row=0, column=4, padx=(12, 0))
        self.buy_menu.set(pair[0])
        self.sell_menu.set(pair[1])

        self.cross = CachedLabel(tk.Label(frame, text="", font=theme.FONT_MONO_SMALL, fg=theme.TEXT_MUTED,
                                          bg=theme.PANEL_BG, anchor="w"))
        self.cross.label.grid(row=2, column=0, sticky="ew", padx=12, pady=(0, 2))
        self.depth = ChartSlot(frame, "DepthChart", 300, 300)
        self.depth.widget.grid(row=3, column=0, sticky="nsew", padx=6, pady=(0, 6))
        frame.grid_rowconfigure(3, weight=5)
        section_label(frame, f"TRADE BLOTTER · legs: order type and fill · {presenters.ROLLBACK_MARK} rollback "
                             "steps").grid(row=4, column=0, sticky="ew", padx=10)
        self.blotter = ListView(frame, presenters.BLOTTER_COLUMNS, height=8,
                                anchors=("w", "w", "w", "e", "w", "w", "e", "w"), on_select=self._trade_chosen)
        self.blotter.grid(row=5, column=0, sticky="nsew", padx=6, pady=(0, 2))
        frame.grid_rowconfigure(5, weight=5)
        self.blotter.add_row_tips(self._trade_tip)
        # Six lines always, so the blotter does not move as trades are chosen; the tooltip has it all.
        self.trade_detail = CachedLabel(tk.Label(
            frame, text="", font=theme.FONT_LIST, fg=theme.TEXT_MUTED, bg=theme.PANEL_BG, anchor="nw",
            justify="left", height=6, wraplength=440))
        self.trade_detail.label.grid(row=6, column=0, sticky="ew", padx=10, pady=(0, 8))
        self.trade_detail.label.bind("<Configure>", self._detail_resized, add="+")
        self._detail_tip = Tooltip(self.trade_detail.label, lambda: self.trade_detail.text, wrap_px=560)
        self.selected_trade: object = None
        self._snapshot: Snapshot | None = None
        self._pair = tuple(pair)
        self._venues = tuple(venues)

    def set_venues(self, venues: Sequence[str]) -> None:
        """Offer ``venues`` in both menus (a replay may cover other venues than the config)."""
        if tuple(venues) != self._venues:
            self._venues = tuple(venues)
            self.buy_menu.configure(values=list(venues))
            self.sell_menu.configure(values=list(venues))

    def show_pair(self, pair: tuple[str, str], follow: bool) -> None:
        """Show ``pair`` in the two menus and the follow switch state."""
        if pair != self._pair:
            if self.buy_menu.get() != pair[0]:
                self.buy_menu.set(pair[0])
            if self.sell_menu.get() != pair[1]:
                self.sell_menu.set(pair[1])
            self._pair = pair
        if bool(self.follow_var.get()) != follow:
            self.follow_var.set(follow)

    def render(self, snapshot: Snapshot, symbol: str, pair: tuple[str, str]) -> None:
        """Show the depth of ``pair`` for ``symbol`` and the blotter."""
        model = presenters.depth_model(snapshot, symbol, pair[0], pair[1])
        self.depth.set_model(model)
        self.cross.set(*presenters.cross_text(model))
        self.blotter.show(presenters.trade_rows(snapshot))
        self._snapshot = snapshot
        self.trade_detail.set(*presenters.blotter_detail(snapshot, self.selected_trade))

    def _trade_chosen(self, trade_id: object) -> None:
        self.selected_trade = trade_id
        if self._snapshot is not None:
            self.trade_detail.set(*presenters.blotter_detail(self._snapshot, trade_id))

    def _trade_tip(self, trade_id: object) -> str:
        return presenters.trade_detail(presenters.find_trade(self._snapshot, trade_id))

    def _detail_resized(self, event) -> None:
        wrap = max(120, event.width - 4)
        if int(float(self.trade_detail.label.cget("wraplength"))) != wrap:
            self.trade_detail.label.configure(wraplength=wrap)

    def _buy_chosen(self, venue: str) -> None:
        self._pair = (venue, self._pair[1])
        self._on_pair(*self._pair)

    def _sell_chosen(self, venue: str) -> None:
        self._pair = (self._pair[0], venue)
        self._on_pair(*self._pair)
