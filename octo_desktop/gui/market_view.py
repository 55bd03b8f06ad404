"""Column 1, Market: symbol picker, per-venue prices, an all-symbols summary, rejections, session."""

from __future__ import annotations

from typing import Callable, Sequence

import customtkinter as ctk

from octo_desktop.domain.snapshot import Snapshot
from octo_desktop.gui import presenters, theme
from octo_desktop.gui.widgets import LabelTable, panel, section_label

PRICE_COLUMNS = (("", 1, "center"), ("venue", 7, "w"), ("bid", 9, "e"), ("ask", 9, "e"),
                 ("bps", 4, "e"), ("age", 5, "e"), ("lat", 4, "e"))
LADDER_COLUMNS = (("venue", 7, "w"), ("size", 6, "e"), ("bid", 9, "e"), ("ask", 9, "e"),
                  ("size", 6, "e"), ("venue", 7, "e"))
LADDER_DEPTH = 10
SUMMARY_COLUMNS = (("symbol", 8, "w"), ("mark", 9, "e"), ("live", 4, "e"), ("best pair", 14, "w"),
                   ("net", 6, "e"))
REJECTION_ROWS = 6


class MarketView:
    """Build and refresh the market column."""

    def __init__(self, master, venues: Sequence[str], symbols: Sequence[str], symbol: str,
                 on_symbol: Callable[[str], None]) -> None:
        self.frame, self.header = panel(master, "MARKET")
        frame = self.frame
        self.symbol_picker = ctk.CTkSegmentedButton(
            frame, values=list(symbols), command=on_symbol, height=28,
            font=ctk.CTkFont(family=theme.FONT_FAMILY, size=12, weight="bold"))
        self.symbol_picker.set(symbol)
        self.symbol_picker.grid(row=1, column=0, sticky="ew", padx=10, pady=(2, 8))

        self.prices_caption = section_label(frame, f"PRICES · {symbol} · age and latency in ms")
        self.prices_caption.grid(row=2, column=0, sticky="ew", padx=10)
        self.prices = LabelTable(frame, PRICE_COLUMNS, rows=len(venues), row_pad=2)
        self.prices.grid(row=3, column=0, sticky="ew", padx=6, pady=(0, 4))

        self.ladder_caption = section_label(frame, f"CONSOLIDATED BOOK · {symbol} · live venues")
        self.ladder_caption.grid(row=4, column=0, sticky="sew", padx=10)
        self.ladder = LabelTable(frame, LADDER_COLUMNS, rows=LADDER_DEPTH, font=theme.FONT_LIST,
                                 row_pad=0)
        self.ladder.grid(row=5, column=0, sticky="ew", padx=6, pady=(0, 4))

        section_label(frame, "ALL SYMBOLS").grid(row=6, column=0, sticky="sew", padx=10)
        self.summary = LabelTable(frame, SUMMARY_COLUMNS, rows=len(symbols), font=theme.FONT_MONO_SMALL,
                                  row_pad=1)
        self.summary.grid(row=7, column=0, sticky="ew", padx=6, pady=(0, 4))

        section_label(frame, "SESSION").grid(row=8, column=0, sticky="sew", padx=10)
        self.session = LabelTable(frame, (("", 24, "w"), ("", 12, "e")), rows=8,
                                  font=theme.FONT_MONO_SMALL, row_pad=0)
        self.session.grid(row=9, column=0, sticky="ew", padx=6, pady=(0, 4))

        section_label(frame, "REJECTIONS BY REASON").grid(row=10, column=0, sticky="sew", padx=10)
        self.rejections = LabelTable(frame, (("", 28, "w"), ("", 8, "e")), rows=REJECTION_ROWS,
                                     font=theme.FONT_MONO_SMALL, row_pad=0)
        self.rejections.grid(row=11, column=0, sticky="new", padx=6, pady=(0, 6))
        # Spread spare height over the gaps above each section rather than leaving it at the bottom.
        for row in (4, 6, 8, 10):
            frame.grid_rowconfigure(row, weight=1)
        frame.grid_rowconfigure(12, weight=1)
        self._symbols = tuple(symbols)
        self._symbol = symbol

    def set_symbols(self, symbols: Sequence[str], symbol: str) -> None:
        """Offer ``symbols`` in the picker and select ``symbol``."""
        if tuple(symbols) != self._symbols:
            self.symbol_picker.configure(values=list(symbols))
            self._symbols = tuple(symbols)
        if symbol != self.symbol_picker.get():
            self.symbol_picker.set(symbol)

    def render(self, snapshot: Snapshot, symbol: str) -> None:
        """Show the snapshot's prices for ``symbol`` and the summaries."""
        if symbol != self._symbol:
            self.prices_caption.configure(text=f"PRICES · {symbol} · age and latency in ms")
            self.ladder_caption.configure(text=f"CONSOLIDATED BOOK · {symbol} · live venues")
            self._symbol = symbol
        table = self.prices
        for index, row in enumerate(presenters.price_rows(snapshot, symbol)[:len(table.cells)]):
            table.set_cell(index, 0, "●", row.dot_colour)
            table.set_cell(index, 1, row.venue, row.venue_colour)
            table.set_cell(index, 2, row.bid, row.bid_colour)
            table.set_cell(index, 3, row.ask, row.ask_colour)
            table.set_cell(index, 4, row.spread_bps, row.text_colour)
            table.set_cell(index, 5, row.age_ms, row.text_colour)
            table.set_cell(index, 6, row.latency_ms, row.text_colour)
        for index, row in enumerate(presenters.consolidated_rows(snapshot, symbol, LADDER_DEPTH)):
            self.ladder.set_cell(index, 0, row[0], theme.TEXT_MUTED)
            self.ladder.set_cell(index, 1, row[1], theme.TEXT_MUTED)
            self.ladder.set_cell(index, 2, row[2], theme.BID)
            self.ladder.set_cell(index, 3, row[3], theme.ASK)
            self.ladder.set_cell(index, 4, row[4], theme.TEXT_MUTED)
            self.ladder.set_cell(index, 5, row[5], theme.TEXT_MUTED)
        for index, row in enumerate(presenters.symbol_summary_rows(snapshot)[:len(self.summary.cells)]):
            colour = theme.ACCENT if row.symbol == symbol else theme.TEXT
            self.summary.set_cell(index, 0, row.symbol, colour)
            self.summary.set_cell(index, 1, row.mark, theme.TEXT)
            self.summary.set_cell(index, 2, row.live_venues, theme.TEXT_MUTED)
            self.summary.set_cell(index, 3, row.best_route, theme.TEXT_MUTED)
            self.summary.set_cell(index, 4, row.best_net_bps, row.best_colour)
        for index, (caption, value, colour) in enumerate(presenters.session_rows(snapshot)):
            self.session.set_cell(index, 0, caption, theme.TEXT_MUTED)
            self.session.set_cell(index, 1, value, colour)
        reasons = presenters.rejection_rows(snapshot, REJECTION_ROWS)
        for index in range(REJECTION_ROWS):
            if index < len(reasons):
                self.rejections.set_cell(index, 0, reasons[index][0], theme.TEXT_MUTED)
                self.rejections.set_cell(index, 1, reasons[index][1], theme.AMBER)
            else:
                self.rejections.set_cell(index, 0, "none yet" if index == 0 else "", theme.TEXT_DIM)
                self.rejections.set_cell(index, 1, "", theme.TEXT_DIM)
