"""The one-screen welcome: what paper trading means here, which market is running, where data lives.

Shown over the window on the first start without a config file, and from the control bar's "About"
button at any time. It only shows a ``presenters.WelcomeModel``; dismissing it calls ``on_close``.
"""

from __future__ import annotations

import tkinter as tk
from typing import Callable

import customtkinter as ctk

from octo_desktop.gui import theme
from octo_desktop.gui.presenters.controls import WelcomeModel

WIDTH_PX = 640
WRAP_PX = WIDTH_PX - 48


class WelcomeDialog(ctk.CTkToplevel):
    """A window on top of the terminal with the welcome text and one button."""

    def __init__(self, master, model: WelcomeModel, on_close: Callable[[], None]) -> None:
        super().__init__(master, fg_color=theme.PANEL_BG)
        self.configure(highlightthickness=1, highlightbackground=theme.ACCENT)  # stands out from the columns
        self._on_close = on_close
        self.title(model.title)
        self.resizable(False, False)
        self.transient(master)
        self.protocol("WM_DELETE_WINDOW", self.dismiss)
        self.bind("<Escape>", lambda _event: self.dismiss())
        self.bind("<Return>", lambda _event: self.dismiss())

        tk.Label(self, text=model.title, font=theme.FONT_BIG, fg=theme.TEXT, bg=theme.PANEL_BG,
                 anchor="w").pack(fill="x", padx=24, pady=(20, 8))
        self.paragraphs = []
        for text in model.paragraphs:
            label = tk.Label(self, text=text, font=theme.FONT, fg=theme.TEXT, bg=theme.PANEL_BG, justify="left",
                             anchor="w", wraplength=WRAP_PX)
            label.pack(fill="x", padx=24, pady=(0, 8))
            self.paragraphs.append(label)

        places = tk.Frame(self, bg=theme.RAISED_BG)
        places.pack(fill="x", padx=24, pady=(4, 12))
        tk.Label(places, text="WHERE YOUR DATA IS", font=theme.FONT_BOLD, fg=theme.TEXT_MUTED,
                 bg=theme.RAISED_BG, anchor="w").grid(row=0, column=0, columnspan=2, sticky="w", padx=10,
                                                       pady=(8, 4))
        self.places = []
        for row, (label, path, note) in enumerate(model.places, start=1):
            tk.Label(places, text=label, font=theme.FONT_SMALL, fg=theme.TEXT_MUTED, bg=theme.RAISED_BG,
                     anchor="nw").grid(row=row, column=0, sticky="nw", padx=(10, 12), pady=2)
            value = tk.Label(places, text=path + (f"\n{note}" if note else ""), font=theme.FONT_MONO_SMALL,
                             fg=theme.TEXT, bg=theme.RAISED_BG, anchor="w", justify="left",
                             wraplength=WRAP_PX - 220)
            value.grid(row=row, column=1, sticky="w", padx=(0, 10), pady=2)
            self.places.append(value)
        places.grid_rowconfigure(len(model.places) + 1, minsize=8)

        self.button = ctk.CTkButton(self, text=model.button, width=200, height=32, corner_radius=6,
                                    font=ctk.CTkFont(family=theme.FONT_FAMILY, size=13, weight="bold"),
                                    fg_color=theme.ACCENT, command=self.dismiss)
        self.button.pack(pady=(0, 20))
        self._place_over(master)
        self.lift()
        self.after(50, self._focus)

    def _place_over(self, master) -> None:
        self.update_idletasks()
        width, height = max(WIDTH_PX, self.winfo_reqwidth()), self.winfo_reqheight()
        x = master.winfo_rootx() + max(0, (master.winfo_width() - width) // 2)
        y = master.winfo_rooty() + max(0, (master.winfo_height() - height) // 3)
        self.geometry(f"{width}x{height}+{x}+{y}")

    def _focus(self) -> None:
        try:
            self.focus_set()
            self.button.focus_set()
        except tk.TclError:  # already dismissed
            pass

    def dismiss(self) -> None:
        """Close the welcome and report it."""
        try:
            self.destroy()
        finally:
            self._on_close()
