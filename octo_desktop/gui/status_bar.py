"""The status bar: engine state, market source, speed, event counts, trades, GUI frame time, error, config."""

from __future__ import annotations

import tkinter as tk

from octo_desktop.gui import theme
from octo_desktop.gui.presenters.status import StatusLine
from octo_desktop.gui.widgets import CachedLabel, Tooltip

_FIELDS = ("engine", "market", "speed", "events", "events_per_second", "trades", "frame")


class StatusBar(tk.Frame):
    """A one-line bar of labels along the bottom of the window."""

    def __init__(self, master) -> None:
        super().__init__(master, bg=theme.HEADER_BG, height=24)
        self.fields: dict[str, CachedLabel] = {}
        column = 0
        for index, name in enumerate(_FIELDS):
            if index:
                tk.Frame(self, bg=theme.GRID_LINE, width=1, height=14).grid(row=0, column=column)
                column += 1
            label = tk.Label(self, text="", font=theme.FONT_SMALL, fg=theme.TEXT_MUTED, bg=theme.HEADER_BG,
                             anchor="w", padx=8, pady=3)
            label.grid(row=0, column=column, sticky="w")
            column += 1
            self.fields[name] = CachedLabel(label)
        self.error = CachedLabel(tk.Label(self, text="", font=theme.FONT_SMALL, fg=theme.RED,
                                          bg=theme.HEADER_BG, anchor="w", padx=8))
        self.error.label.grid(row=0, column=column, sticky="ew")
        self._error_full = ""
        self._error_tip = Tooltip(self.error.label, lambda: self._error_full)
        self.source = CachedLabel(tk.Label(self, text="", font=theme.FONT_SMALL, fg=theme.TEXT_DIM,
                                           bg=theme.HEADER_BG, anchor="e", padx=8))
        self.source.label.grid(row=0, column=column + 1, sticky="e")
        self.grid_columnconfigure(column, weight=1)

    def show(self, line: StatusLine) -> None:
        """Show the fields of ``line``, touching only labels whose text changed."""
        self.fields["engine"].set(line.engine, line.engine_colour)
        self.fields["market"].set(line.market, line.market_colour)
        for name in _FIELDS[2:]:
            self.fields[name].set(getattr(line, name))
        self._error_full = line.error
        self.error.set(shorten_middle(line.error, 90))
        self.source.set(_shorten(line.source, 60))

    def texts(self) -> dict[str, str]:
        """Return every field's text, the error and the config source included."""
        result = {name: label.text for name, label in self.fields.items()}
        result["error"] = self.error.text
        result["source"] = self.source.text
        return result


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def shorten_middle(text: str, limit: int) -> str:
    """Return ``text`` cut to ``limit`` characters in its middle: an error's file path is long, its reason last."""
    if len(text) <= limit:
        return text
    head = (limit - 1) // 3
    return text[:head] + "…" + text[len(text) - (limit - 1 - head):]
