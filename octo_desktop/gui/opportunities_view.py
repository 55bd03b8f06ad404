"""Column 2, Opportunities: the net-spread heatmap, the live opportunity list and the score breakdown."""

from __future__ import annotations

import tkinter as tk
from typing import Callable

import customtkinter as ctk

from octo_desktop.domain.snapshot import Snapshot
from octo_desktop.gui import presenters, theme
from octo_desktop.gui.chart_slot import ChartSlot
from octo_desktop.gui.widgets import ListView, panel, section_label


class ScorePanel(tk.Canvas):
    """Six horizontal bars, one per part of an opportunity's score, drawn as canvas items."""

    ROW = 17
    TOP = 22

    def __init__(self, master) -> None:
        super().__init__(master, width=300, height=self.TOP + 6 * self.ROW + 4, bg=theme.PANEL_BG,
                         highlightthickness=0, borderwidth=0)
        self._title = self.create_text(8, 10, anchor="w", fill=theme.TEXT, font=theme.FONT_SMALL, text="")
        self._score = self.create_text(0, 10, anchor="e", fill=theme.TEXT, font=theme.FONT_BOLD, text="")
        self._rows = []
        for index in range(len(presenters.SCORE_PARTS)):
            y = self.TOP + index * self.ROW + self.ROW // 2
            label = self.create_text(8, y, anchor="w", fill=theme.TEXT_MUTED, font=theme.FONT_SMALL, text="")
            track = self.create_rectangle(0, 0, 0, 0, fill=theme.RAISED_BG, outline="")
            bar = self.create_rectangle(0, 0, 0, 0, fill=theme.ACCENT, outline="")
            value = self.create_text(0, y, anchor="e", fill=theme.TEXT, font=theme.FONT_MONO_SMALL, text="")
            self._rows.append((label, track, bar, value, y))
        self._width = 0
        self._shown: presenters.ScoreModel | None = None
        self.bind("<Configure>", self._resized)

    def show(self, model: presenters.ScoreModel) -> None:
        """Draw the score parts of ``model`` if they changed."""
        if model == self._shown:
            return
        self._shown = model
        self.itemconfigure(self._title, text=model.title)
        self.itemconfigure(self._score, text=f"score {model.score}", fill=model.score_colour)
        x0, x1 = self._track()
        for (label, _track, bar, value, y), (name, fraction, text) in zip(self._rows, model.parts):
            self.itemconfigure(label, text=name)
            self.itemconfigure(value, text=text)
            colour = theme.GREEN if fraction >= 0.66 else theme.AMBER if fraction >= 0.33 else theme.RED
            self.itemconfigure(bar, fill=colour)
            self.coords(bar, x0, y - 5, x0 + max(0.0, (x1 - x0) * fraction), y + 5)

    def _track(self) -> tuple[int, int]:
        return 108, max(120, self._width - 48)

    def _resized(self, event) -> None:
        self._width = event.width
        x0, x1 = self._track()
        self.coords(self._score, event.width - 8, 10)
        for label, track, bar, value, y in self._rows:
            self.coords(track, x0, y - 5, x1, y + 5)
            self.coords(value, event.width - 8, y)
        shown, self._shown = self._shown, None
        if shown is not None:
            self.show(shown)


class OpportunitiesView:
    """Build and refresh the opportunities column."""

    def __init__(self, master, on_select: Callable[[object], None]) -> None:
        self.frame, self.header = panel(master, "OPPORTUNITIES · net spread after fees, bps")
        frame = self.frame
        self._header_text = self.header.cget("text")
        # The heatmap with each pair's transfer cost term subtracted (what moving the funds back costs).
        self.with_transfer = tk.BooleanVar(master=frame, value=False)
        self.transfer_toggle = ctk.CTkCheckBox(
            frame, text="after transfers", variable=self.with_transfer, font=theme.FONT_SMALL,
            text_color=theme.TEXT_MUTED, checkbox_width=14, checkbox_height=14, border_width=1,
            width=20, height=18, fg_color=theme.ACCENT, bg_color=theme.PANEL_BG)
        self.transfer_toggle.place(relx=1.0, x=-10, y=32, anchor="ne")  # over the heatmap's empty top right
        self.heatmap = ChartSlot(frame, "HeatmapChart", 300, 340)
        self.heatmap.widget.grid(row=1, column=0, sticky="nsew", padx=6, pady=(0, 6))
        self.transfer_toggle.lift()  # above the heatmap it sits on
        frame.grid_rowconfigure(1, weight=3)
        self.list_title = section_label(frame, "LIVE OPPORTUNITIES")
        self.list_title.grid(row=2, column=0, sticky="ew", padx=10)
        self._list_title_text = "LIVE OPPORTUNITIES"
        self.list = ListView(frame, presenters.OPPORTUNITY_COLUMNS, height=6,
                             anchors=("w", "w", "w", "e", "e", "w"), on_select=on_select)
        self.list.grid(row=3, column=0, sticky="nsew", padx=6, pady=(0, 6))
        frame.grid_rowconfigure(3, weight=4)
        section_label(frame, "SCORE · selected or newest opportunity").grid(row=4, column=0, sticky="ew",
                                                                          padx=10)
        self.score = ScorePanel(frame)
        self.score.grid(row=5, column=0, sticky="ew", padx=6, pady=(0, 8))

    def render(self, snapshot: Snapshot, symbol: str, pair: tuple[str, str], selected_id: object) -> None:
        """Show the heatmap of ``symbol`` (``pair`` outlined), the list and the focused score."""
        with_transfer = self.with_transfer.get()
        self.heatmap.set_model(presenters.heatmap_model(snapshot, symbol, with_transfer), pair)
        header = presenters.heatmap_title(snapshot, symbol, with_transfer)
        if header != self._header_text:
            self._header_text = header
            self.header.configure(text=header)
        self.list.show(presenters.opportunity_rows(snapshot))
        title = presenters.vanished_text(snapshot)
        if title != self._list_title_text:
            self._list_title_text = title
            self.list_title.configure(text=title)
        focus = presenters.focus_opportunity(snapshot, symbol, selected_id)
        self.score.show(presenters.score_model(focus, snapshot.min_score))
