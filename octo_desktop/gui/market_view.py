"""Column 1, Market: symbol picker, per-venue prices, order flow and the adaptive threshold, the
consolidated book, feed health, an all-symbols summary, the session and the rejections."""

from __future__ import annotations

import tkinter as tk
from typing import Callable, Sequence

import customtkinter as ctk

from octo_desktop.domain.snapshot import Snapshot
from octo_desktop.gui import presenters, theme
from octo_desktop.gui.widgets import CachedLabel, LabelTable, Tooltip, panel, section_label

PRICE_COLUMNS = (("", 1, "center"), ("venue", 7, "w"), ("bid", 9, "e"), ("ask", 9, "e"),
                 ("bps", 4, "e"), ("age", 5, "e"), ("lat", 4, "e"))
# Widths in characters of each column's font: the badge font for the first, the list font for the rest.
HEALTH_COLUMNS = (("feed", 14, "center"), ("venue", 7, "w"), ("age", 4, "e"), ("lat", 4, "e"),
                  ("msg/s", 4, "e"), ("rc", 2, "e"), ("last error", presenters.HEALTH_ERROR_CHARS, "w"))
HEALTH_ERROR_COLUMN = 6
LADDER_COLUMNS = (("venue", 7, "w"), ("size", 6, "e"), ("bid", 9, "e"), ("ask", 9, "e"),
                  ("size", 6, "e"), ("venue", 7, "e"))
LADDER_DEPTH = 4
SUMMARY_COLUMNS = (("symbol", 8, "w"), ("mark", 9, "e"), ("live", 3, "e"), ("best pair", 14, "w"),
                   ("net", 6, "e"), ("thr", 4, "e"))
# The last column marks a book whose large levels are discounted as likely spoofs ("⚠ spoof").
FLOW_COLUMNS = (("venue", 7, "w"), ("imbalance", 6, "e"), ("cvd", 6, "e"), ("drift bps", 6, "e"),
                ("direction", 7, "e"), ("", 7, "w"))
FLOW_CVD_COLUMN = 2
# Two (caption, value) pairs a row, a narrow gap between them.
SESSION_COLUMNS = (("", 11, "w"), ("", 6, "e"), ("", 1, "w"), ("", 12, "w"), ("", 10, "e"))
SESSION_FONTS = {0: theme.FONT_LIST, 3: theme.FONT_LIST}
SESSION_ROWS = 4
REJECTION_ROWS = 2
SELECTED_BG = theme.RAISED_BG


class MarketView:
    """Build and refresh the market column."""

    def __init__(self, master, venues: Sequence[str], symbols: Sequence[str], symbol: str,
                 on_symbol: Callable[[str], None], vol_multiplier: float | None = None,
                 flow_window_s: float | None = None) -> None:
        self.frame, self.header = panel(master, "MARKET")
        frame = self.frame
        self._vol_multiplier = vol_multiplier
        self.symbol_picker = ctk.CTkSegmentedButton(
            frame, values=list(symbols), command=on_symbol, height=28,
            font=ctk.CTkFont(family=theme.FONT_FAMILY, size=12, weight="bold"))
        self.symbol_picker.set(symbol)
        self.symbol_picker.grid(row=1, column=0, sticky="ew", padx=10, pady=(2, 4))

        self.prices_caption = section_label(frame, f"PRICES · {symbol} · age and latency in ms")
        self.prices_caption.grid(row=2, column=0, sticky="ew", padx=10)
        self.prices = LabelTable(frame, PRICE_COLUMNS, rows=len(venues), row_pad=0, compact=True)
        self.prices.grid(row=3, column=0, sticky="ew", padx=6, pady=(0, 1))

        # The order flow of the chosen symbol, the market's direction on the caption's right.
        flow_caption = tk.Frame(frame, bg=theme.PANEL_BG)
        flow_caption.grid(row=4, column=0, sticky="sew", padx=10)
        flow_caption.grid_columnconfigure(0, weight=1)
        self.flow_caption = section_label(flow_caption, self._flow_title(symbol))
        self.flow_caption.grid(row=0, column=0, sticky="w")
        self.market_direction = CachedLabel(tk.Label(flow_caption, text="", font=theme.FONT_BOLD,
                                                     fg=theme.TEXT_DIM, bg=theme.PANEL_BG, anchor="e"))
        self.market_direction.label.grid(row=0, column=1, sticky="e")
        columns = list(FLOW_COLUMNS)
        if flow_window_s:
            columns[FLOW_CVD_COLUMN] = (f"cvd {flow_window_s:g}s", *columns[FLOW_CVD_COLUMN][1:])
        self.flow = LabelTable(frame, columns, rows=len(venues), font=theme.FONT_LIST, row_pad=0,
                               compact=True)
        self.flow.grid(row=5, column=0, sticky="ew", padx=6)
        # width=1: a longer line is cut rather than widening the column; the tooltip repeats it.
        self.threshold = CachedLabel(tk.Label(frame, text="", font=theme.FONT_LIST, fg=theme.TEXT_DIM,
                                              bg=theme.PANEL_BG, anchor="w", width=1))
        self.threshold.label.grid(row=6, column=0, sticky="ew", padx=10, pady=(0, 1))
        self._threshold_tip = Tooltip(self.threshold.label,
                                      lambda: f"{self.threshold.text}\n\n{presenters.THRESHOLD_HELP}")

        self.ladder_caption = section_label(frame, f"CONSOLIDATED BOOK · {symbol} · live venues")
        self.ladder_caption.grid(row=7, column=0, sticky="sew", padx=10)
        self.ladder = LabelTable(frame, LADDER_COLUMNS, rows=LADDER_DEPTH, font=theme.FONT_LIST,
                                 row_pad=0, compact=True)
        self.ladder.grid(row=8, column=0, sticky="ew", padx=6, pady=(0, 1))

        section_label(frame, "VENUE HEALTH · feeds, age and latency in ms").grid(
            row=9, column=0, sticky="sew", padx=10)
        self.health = LabelTable(frame, HEALTH_COLUMNS, rows=len(venues), font=theme.FONT_LIST,
                                 row_pad=0, column_fonts={0: theme.FONT_BADGE},
                                 on_row_click=self._health_clicked, compact=True)
        self.health.grid(row=10, column=0, sticky="ew", padx=6)
        self.health_venues: tuple[str, ...] = ()
        self._full_errors: list[str] = []
        self._error_tips: list[Tooltip] = []
        self._add_error_tips()
        self.selected_venue: str | None = None
        self._health_snapshot: Snapshot | None = None
        # Two lines always, so a long error does not push the sections below up and down; the
        # tooltip has the whole text.
        self.health_detail = CachedLabel(tk.Label(
            frame, text="", font=theme.FONT_LIST, fg=theme.TEXT_MUTED, bg=theme.PANEL_BG, anchor="nw",
            justify="left", height=2, wraplength=320))
        self.health_detail.label.grid(row=11, column=0, sticky="ew", padx=10, pady=(0, 1))
        self.health_detail.label.bind("<Configure>", self._detail_resized, add="+")
        self._detail_tip = Tooltip(self.health_detail.label, lambda: self.health_detail.text)

        section_label(frame, "ALL SYMBOLS · thr: min net spread now, bps").grid(
            row=12, column=0, sticky="sew", padx=10)
        self.summary = LabelTable(frame, SUMMARY_COLUMNS, rows=len(symbols), font=theme.FONT_MONO_SMALL,
                                  row_pad=0, compact=True)
        self.summary.grid(row=13, column=0, sticky="ew", padx=6, pady=(0, 1))

        section_label(frame, "SESSION · averages over recent trades").grid(row=14, column=0, sticky="sew",
                                                                           padx=10)
        self.session = LabelTable(frame, SESSION_COLUMNS, rows=SESSION_ROWS, font=theme.FONT_MONO_SMALL,
                                  row_pad=0, column_fonts=SESSION_FONTS, compact=True)
        self.session.grid(row=15, column=0, sticky="ew", padx=6, pady=(0, 1))

        section_label(frame, "REJECTIONS BY REASON").grid(row=16, column=0, sticky="sew", padx=10)
        self.rejections = LabelTable(frame, (("", 28, "w"), ("", 8, "e")), rows=REJECTION_ROWS,
                                     font=theme.FONT_MONO_SMALL, row_pad=0, compact=True)
        self.rejections.grid(row=17, column=0, sticky="new", padx=6, pady=(0, 4))
        # The column is the tallest of the page: its sections ask for no gap of their own, so that it
        # fits a 950-pixel window under the desk bar; spare height goes to the gaps above each section
        # rather than to the bottom.
        for row in (4, 7, 9, 12, 14, 16):
            frame.grid_rowconfigure(row, weight=1)
        frame.grid_rowconfigure(18, weight=1)
        self._symbols = tuple(symbols)
        self._symbol = symbol

    @staticmethod
    def _flow_title(symbol: str) -> str:
        return f"ORDER FLOW · {symbol}"

    def set_symbols(self, symbols: Sequence[str], symbol: str) -> None:
        """Offer ``symbols`` in the picker and select ``symbol``."""
        if tuple(symbols) != self._symbols:
            self.symbol_picker.configure(values=list(symbols))
            self._symbols = tuple(symbols)
        if symbol != self.symbol_picker.get():
            self.symbol_picker.set(symbol)

    def render(self, snapshot: Snapshot, symbol: str) -> None:
        """Show the snapshot's prices for ``symbol``, the venues' feed health and the summaries."""
        if symbol != self._symbol:
            self.prices_caption.configure(text=f"PRICES · {symbol} · age and latency in ms")
            self.flow_caption.configure(text=self._flow_title(symbol))
            self.ladder_caption.configure(text=f"CONSOLIDATED BOOK · {symbol} · live venues")
            self._symbol = symbol
        table = self.prices
        rows = presenters.price_rows(snapshot, symbol)
        table.show_rows(len(rows))
        for index, row in enumerate(rows):
            table.set_cell(index, 0, "●", row.dot_colour)
            table.set_cell(index, 1, row.venue, row.venue_colour)
            table.set_cell(index, 2, row.bid, row.bid_colour)
            table.set_cell(index, 3, row.ask, row.ask_colour)
            table.set_cell(index, 4, row.spread_bps, row.text_colour)
            table.set_cell(index, 5, row.age_ms, row.text_colour)
            table.set_cell(index, 6, row.latency_ms, row.text_colour)
        self.render_flow(snapshot, symbol)
        self.render_health(snapshot)
        for index, row in enumerate(presenters.consolidated_rows(snapshot, symbol, LADDER_DEPTH)):
            self.ladder.set_cell(index, 0, row[0], theme.TEXT_MUTED)
            self.ladder.set_cell(index, 1, row[1], theme.TEXT_MUTED)
            self.ladder.set_cell(index, 2, row[2], theme.BID)
            self.ladder.set_cell(index, 3, row[3], theme.ASK)
            self.ladder.set_cell(index, 4, row[4], theme.TEXT_MUTED)
            self.ladder.set_cell(index, 5, row[5], theme.TEXT_MUTED)
        summary = presenters.symbol_summary_rows(snapshot)
        self.summary.show_rows(len(summary))
        for index, row in enumerate(summary):
            colour = theme.ACCENT if row.symbol == symbol else theme.TEXT
            self.summary.set_cell(index, 0, row.symbol, colour)
            self.summary.set_cell(index, 1, row.mark, theme.TEXT)
            self.summary.set_cell(index, 2, row.live_venues, theme.TEXT_MUTED)
            self.summary.set_cell(index, 3, row.best_route, theme.TEXT_MUTED)
            self.summary.set_cell(index, 4, row.best_net_bps, row.best_colour)
            self.summary.set_cell(index, 5, row.threshold_bps, theme.TEXT_MUTED)
        # The first four lines in the left pair, the last four in the right one.
        for index, (caption, value, colour) in enumerate(presenters.session_rows(snapshot)):
            row, col = index % SESSION_ROWS, 0 if index < SESSION_ROWS else 3
            self.session.set_cell(row, col, caption, theme.TEXT_MUTED)
            self.session.set_cell(row, col + 1, value, colour)
        reasons = presenters.rejection_rows(snapshot, REJECTION_ROWS)
        for index in range(REJECTION_ROWS):
            if index < len(reasons):
                self.rejections.set_cell(index, 0, reasons[index][0], theme.TEXT_MUTED)
                self.rejections.set_cell(index, 1, reasons[index][1], theme.AMBER)
            else:
                self.rejections.set_cell(index, 0, "none yet" if index == 0 else "", theme.TEXT_DIM)
                self.rejections.set_cell(index, 1, "", theme.TEXT_DIM)

    # --- order flow ------------------------------------------------------------------------------
    def render_flow(self, snapshot: Snapshot, symbol: str) -> None:
        """Show each venue's order flow for ``symbol``, the adaptive threshold and the market direction."""
        table = self.flow
        rows = presenters.flow_rows(snapshot, symbol)
        table.show_rows(len(rows))
        for index, row in enumerate(rows):
            table.set_cell(index, 0, row.venue, theme.TEXT_MUTED)
            table.set_cell(index, 1, row.imbalance, row.text_colour)
            table.set_cell(index, 2, row.cvd, row.text_colour)
            table.set_cell(index, 3, row.drift_bps, row.text_colour)
            table.set_cell(index, 4, row.direction, row.direction_colour)
            table.set_cell(index, 5, row.suspect, theme.AMBER)
        line = presenters.threshold_line(snapshot.signals.get(symbol), self._vol_multiplier)
        self.threshold.set(line.text, line.colour)
        self.market_direction.set(line.market, line.market_colour)

    # --- venue health ----------------------------------------------------------------------------
    def render_health(self, snapshot: Snapshot) -> None:
        """Show one health line per venue and the detail line of the selected venue."""
        table = self.health
        rows = presenters.health_rows(snapshot)
        table.show_rows(len(rows))
        self._add_error_tips()
        self.health_venues = tuple(row.venue for row in rows)
        self._full_errors[:len(rows)] = [row.full_error for row in rows]
        selected_row = (self.health_venues.index(self.selected_venue)
                        if self.selected_venue in self.health_venues else None)
        for index, row in enumerate(rows):
            bg = SELECTED_BG if index == selected_row else theme.PANEL_BG
            badge = row.badge
            table.set_cell(index, 0, badge.text, badge.foreground, badge.background)
            table.set_cell(index, 1, row.venue, row.text_colour, bg)
            table.set_cell(index, 2, row.age_ms, row.age_colour, bg)
            table.set_cell(index, 3, row.latency_ms, row.text_colour, bg)
            table.set_cell(index, 4, row.messages_per_s, row.text_colour, bg)
            table.set_cell(index, 5, row.reconnects, row.reconnects_colour, bg)
            table.set_cell(index, 6, row.error, row.error_colour, bg)
        self.health_detail.set(*presenters.health_detail(snapshot, self.selected_venue))
        self._health_snapshot = snapshot

    def select_venue(self, venue: str | None) -> None:
        """Show the details of ``venue``'s feed under the health table (None: the automatic choice)."""
        self.selected_venue = venue
        if self._health_snapshot is not None:
            self.render_health(self._health_snapshot)

    def _health_clicked(self, row: int) -> None:
        if row >= len(self.health_venues):
            return
        venue = self.health_venues[row]
        # A second click on the selected venue goes back to the automatic choice.
        self.select_venue(None if venue == self.selected_venue else venue)

    def _add_error_tips(self) -> None:
        # One tooltip per error cell, with the whole error of whichever venue is on that row now.
        while len(self._error_tips) < len(self.health.cells):
            index = len(self._error_tips)
            self._full_errors.append("")
            label = self.health.cells[index][HEALTH_ERROR_COLUMN].label
            self._error_tips.append(Tooltip(label, lambda i=index: self._full_errors[i]))

    def _detail_resized(self, event) -> None:
        wrap = max(120, event.width - 4)
        if int(float(self.health_detail.label.cget("wraplength"))) != wrap:
            self.health_detail.label.configure(wraplength=wrap)
