"""Desk pages for window tests: a second desk that counts what the shell asks of it, and the arbitrage
page counting the snapshots it renders."""

from __future__ import annotations

import tkinter as tk

from octo_desktop.gui import theme
from octo_desktop.gui.desk_page import DeskContext
from octo_desktop.gui.pages import ArbitragePage

FAKE_COLUMN_WEIGHTS = (1, 2, 1)


class FakeDeskPage:
    """A desk of three columns of labels, the middle one showing the sequence of the snapshot rendered.

    It records every snapshot it renders (its sequence) and every time it is built, shown, hidden or reset.
    """

    key = "fake"
    title = "Fake desk"

    def __init__(self, context: DeskContext) -> None:
        self.context = context
        self.charts: tuple = ()
        self.frame: tk.Frame | None = None
        self.columns: tuple[tk.Label, ...] = ()
        self.rendered: list[int] = []
        self.builds = self.shown = self.hidden = self.resets = 0

    def build(self, parent) -> tk.Frame:
        self.builds += 1
        frame = tk.Frame(parent, bg=theme.WINDOW_BG)
        self.columns = tuple(tk.Label(frame, text=f"column {index + 1}", bg=theme.PANEL_BG, fg=theme.TEXT)
                             for index in range(len(FAKE_COLUMN_WEIGHTS)))
        for index, (label, weight) in enumerate(zip(self.columns, FAKE_COLUMN_WEIGHTS)):
            label.grid(row=0, column=index, sticky="nsew", padx=(6 if index == 0 else 3, 3))
            frame.grid_columnconfigure(index, weight=weight)
        frame.grid_rowconfigure(0, weight=1)
        self.frame = frame
        return frame

    def render(self, snapshot, now: float) -> None:
        self.rendered.append(snapshot.sequence)
        self.columns[1].configure(text=f"snapshot {snapshot.sequence}")

    def on_shown(self) -> None:
        self.shown += 1

    def on_hidden(self) -> None:
        self.hidden += 1

    def reset(self) -> None:
        self.resets += 1


class RecordingArbitragePage(ArbitragePage):
    """The arbitrage page, keeping the sequence of every snapshot it renders."""

    def __init__(self, context: DeskContext) -> None:
        super().__init__(context)
        self.rendered: list[int] = []

    def render(self, snapshot, now: float) -> None:
        self.rendered.append(snapshot.sequence)
        super().render(snapshot, now)
