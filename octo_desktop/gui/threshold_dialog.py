"""Set the arbitrage desk's base threshold (minimum net spread) and minimum score from the window.

Opened from column 4's "threshold" row. What the trader types is checked by
``presenters.account.parse_thresholds``; Apply sends ``SetThreshold`` and ``SetMinScore`` (the same
commands ``octo_desktop set`` posts) and closes; a bad value stays open with one red line.
"""

from __future__ import annotations

import tkinter as tk
from typing import Callable

import customtkinter as ctk

from octo_desktop.gui import theme
from octo_desktop.gui.presenters.account import parse_thresholds

TITLE = "Thresholds"


class ThresholdDialog(ctk.CTkToplevel):
    """Two fields (base threshold in bps, minimum score), Apply and Cancel."""

    def __init__(self, master, threshold_bps: float, min_score: float,
                 on_apply: Callable[[float, float], None], on_close: Callable[[], None]) -> None:
        super().__init__(master, fg_color=theme.PANEL_BG)
        self.configure(highlightthickness=1, highlightbackground=theme.ACCENT)
        self._on_apply, self._on_close = on_apply, on_close
        self.title(TITLE)
        self.resizable(False, False)
        self.transient(master)
        self.protocol("WM_DELETE_WINDOW", self.cancel)
        self.bind("<Escape>", lambda _event: self.cancel())
        self.bind("<Return>", lambda _event: self.apply())
        font = ctk.CTkFont(family=theme.FONT_FAMILY, size=12)
        tk.Label(self, text="THRESHOLDS · arbitrage desk", font=theme.FONT_BOLD, fg=theme.TEXT, bg=theme.PANEL_BG,
                 anchor="w").grid(row=0, column=0, columnspan=3, sticky="w", padx=16, pady=(14, 2))
        tk.Label(self, text="An opportunity is traded when its net spread after both taker fees clears the\n"
                            "threshold (raised by volatility) and its score clears the minimum.",
                 font=theme.FONT_SMALL, fg=theme.TEXT_MUTED, bg=theme.PANEL_BG, justify="left").grid(
            row=1, column=0, columnspan=3, sticky="w", padx=16, pady=(0, 8))
        self.grid_columnconfigure(2, weight=1)  # the text above is wider than the fields: the units keep left
        self.threshold = self._field(2, "base threshold", f"{threshold_bps:g}", "bps", font)
        self.min_score = self._field(3, "minimum score", f"{min_score:g}", "0 to 1", font)
        self.error = tk.Label(self, text="", font=theme.FONT_SMALL, fg=theme.RED, bg=theme.PANEL_BG, anchor="w")
        self.error.grid(row=4, column=0, columnspan=3, sticky="w", padx=16, pady=(4, 0))
        buttons = tk.Frame(self, bg=theme.PANEL_BG)
        buttons.grid(row=5, column=0, columnspan=3, sticky="e", padx=16, pady=(8, 14))
        self.cancel_button = ctk.CTkButton(buttons, text="Cancel", width=90, height=28, fg_color=theme.RAISED_BG,
                                           font=font, command=self.cancel)
        self.cancel_button.pack(side="right")
        self.apply_button = ctk.CTkButton(buttons, text="Apply", width=90, height=28, fg_color=theme.ACCENT,
                                          font=font, command=self.apply)
        self.apply_button.pack(side="right", padx=(0, 8))
        self._place_over(master)
        self.lift()
        self.after(50, self._focus)

    def _field(self, row: int, caption: str, value: str, unit: str, font) -> ctk.CTkEntry:
        tk.Label(self, text=caption, font=theme.FONT, fg=theme.TEXT, bg=theme.PANEL_BG, anchor="w").grid(
            row=row, column=0, sticky="w", padx=(16, 10), pady=3)
        entry = ctk.CTkEntry(self, width=110, height=28, font=font)
        entry.insert(0, value)
        entry.grid(row=row, column=1, sticky="w", pady=3)
        tk.Label(self, text=unit, font=theme.FONT_SMALL, fg=theme.TEXT_MUTED, bg=theme.PANEL_BG).grid(
            row=row, column=2, sticky="w", padx=(8, 16))
        return entry

    def _place_over(self, master) -> None:
        self.update_idletasks()
        top = master.winfo_toplevel()
        x = top.winfo_rootx() + max(0, (top.winfo_width() - self.winfo_reqwidth()) // 2)
        y = top.winfo_rooty() + max(0, (top.winfo_height() - self.winfo_reqheight()) // 3)
        self.geometry(f"+{x}+{y}")

    def _focus(self) -> None:
        try:
            self.threshold.focus_set()
        except tk.TclError:  # already closed
            pass

    def apply(self) -> None:
        """Send the values and close, or say what is wrong and stay open."""
        parsed = parse_thresholds(self.threshold.get(), self.min_score.get())
        if isinstance(parsed, str):
            self.error.configure(text=parsed)
            return
        self._on_apply(*parsed)
        self._close()

    def cancel(self) -> None:
        """Close without changing anything."""
        self._close()

    def _close(self) -> None:
        try:
            self.destroy()
        finally:
            self._on_close()
