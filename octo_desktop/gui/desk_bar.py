"""The bar above every desk: the desk tabs, the trading state with its reason, and the kill switch.

The bar lines up with the columns of the page shown (``follow``): the tabs over its first column, the
trading state over the middle ones, the kill switch as wide as the last. It only shows models from
``presenters.shell`` and hands clicks to the callbacks it was built with; the window turns them into
commands.
"""

from __future__ import annotations

import tkinter as tk
from typing import Callable, Sequence

import customtkinter as ctk

from octo_desktop.gui import theme
from octo_desktop.gui.presenters.shell import KILL_BUTTON_TEXT, RiskHeadline, desk_shortcut
from octo_desktop.gui.widgets import CachedLabel, Tooltip

BAR_BG = theme.WINDOW_BG
HEIGHT_PX = 30
FONT_STATE = (theme.FONT_FAMILY, -17, "bold")  # ACTIVE, REDUCING or HALTED
TAB_COLOURS = {True: ("#1f6aa5", "#144870", theme.TEXT), False: (theme.RAISED_BG, "#404040", theme.TEXT_MUTED)}
# Without three columns to follow: (least width, weight, padding) of the tabs, the state and the kill switch.
OWN_LAYOUT = ((0, 0, (6, 3)), (0, 1, (3, 3)), (300, 0, (3, 6)))


class DeskBar(tk.Frame):
    """One tab per desk, the trading state and its reason, and the kill-switch button."""

    def __init__(self, master, desks: Sequence[tuple[str, str]], on_desk: Callable[[str], None],
                 on_kill_switch: Callable[[], None]) -> None:
        super().__init__(master, bg=BAR_BG)
        self._on_desk = on_desk
        self.tabs_frame = tk.Frame(self, bg=BAR_BG)
        font = ctk.CTkFont(family=theme.FONT_FAMILY, size=13, weight="bold")
        self.tabs: dict[str, ctk.CTkButton] = {}
        for index, (key, title) in enumerate(desks):
            fill, hover, text = TAB_COLOURS[False]
            button = ctk.CTkButton(self.tabs_frame, text=title, width=font.measure(title) + 36, height=HEIGHT_PX,
                                   corner_radius=6, border_spacing=0, font=font, fg_color=fill, hover_color=hover,
                                   text_color=text, command=lambda k=key: self._on_desk(k))
            button.grid(row=0, column=index, padx=(0 if index == 0 else 4, 0))
            shortcut = desk_shortcut(index)
            Tooltip(button, lambda t=title, s=shortcut: f"the {t} desk" + (f" · {s}" if s else ""))
            self.tabs[key] = button
        self.desk: str | None = None

        # The state, its reason and a hint, on a panel like the columns' below.
        self.headline = ctk.CTkFrame(self, corner_radius=6, fg_color=theme.PANEL_BG, height=HEIGHT_PX, width=200)
        self.headline.grid_propagate(False)
        self.headline.grid_rowconfigure(0, weight=1)
        self.headline.grid_columnconfigure(2, weight=1)
        tk.Label(self.headline, text="TRADING", font=theme.FONT_BOLD, fg=theme.TEXT_MUTED, bg=theme.PANEL_BG,
                 anchor="w").grid(row=0, column=0, sticky="w", padx=(10, 8))
        self.state = CachedLabel(tk.Label(self.headline, text="—", font=FONT_STATE, fg=theme.TEXT_DIM,
                                          bg=theme.PANEL_BG, anchor="w"))
        self.state.label.grid(row=0, column=1, sticky="w", padx=(0, 10))
        # width=1: a long reason is cut rather than widening the bar; the tooltip has it whole.
        self.reason = CachedLabel(tk.Label(self.headline, text="", font=theme.FONT, fg=theme.TEXT_MUTED,
                                           bg=theme.PANEL_BG, anchor="w", width=1))
        self.reason.label.grid(row=0, column=2, sticky="ew")
        self._reason_full = ""
        self._reason_tip = Tooltip(self.reason.label, lambda: self._reason_full)
        self.hint = CachedLabel(tk.Label(self.headline, text="Ctrl+K halts at once", font=theme.FONT_SMALL,
                                         fg=theme.TEXT_DIM, bg=theme.PANEL_BG, anchor="e"))
        self.hint.label.grid(row=0, column=3, sticky="e", padx=(8, 10))

        self.kill_button = ctk.CTkButton(
            self, text=KILL_BUTTON_TEXT, width=120, height=HEIGHT_PX, corner_radius=6, fg_color=theme.KILL,
            hover_color=theme.KILL_HOVER, text_color="#ffffff",
            font=ctk.CTkFont(family=theme.FONT_FAMILY, size=15, weight="bold"), command=on_kill_switch)
        self._button_mode: tuple[str, str, str] | None = None
        self._layout: tuple | None = None
        self._followed: tk.Misc | None = None
        self._watched: set[str] = set()  # pages whose columns report their size changes
        self._line_up_after: str | None = None
        self._apply(OWN_LAYOUT)

    def follow(self, page) -> None:
        """Line the bar up with the columns of ``page``'s grid (its first row), now and whenever they move."""
        self._followed = page
        if str(page) not in self._watched:
            # Bound once and never unbound (unbinding would also drop CustomTkinter's own <Configure>
            # bindings): a page not followed any more is ignored. A column's size changes with the
            # window and with its content; a column moves only if another one changes size.
            def changed(_event, followed=page) -> None:
                if self._followed is followed:
                    self._schedule_line_up()

            for widget in (page, *page.grid_slaves(row=0)):
                tk.Misc.bind(widget, "<Configure>", changed, "+")
            self._watched.add(str(page))
        self._schedule_line_up()

    def _schedule_line_up(self) -> None:
        # After idle: the page's grid arranges its columns at idle time, after its size changed.
        if self._line_up_after is None:
            self._line_up_after = self.after_idle(self.line_up)

    def line_up(self) -> None:
        """Copy the column widths the followed page's grid has now (its cells, padding included)."""
        self._line_up_after = None
        page = self._followed
        if page is None or not page.winfo_exists():
            return
        page.update_idletasks()  # the page's grid arranges its columns at idle time: let it finish
        count = page.grid_size()[0]
        if count < 3:
            self._apply(OWN_LAYOUT)
            return
        layout = []
        for column in range(count):
            width = page.grid_bbox(column, 0)[2]
            slaves = page.grid_slaves(row=0, column=column)
            pad = _padding(slaves[0].grid_info().get("padx", 0)) if slaves else (0, 0)
            layout.append((width, 1 if column == 1 else 0, pad))
        self._apply(tuple(layout))

    def _apply(self, layout: tuple) -> None:
        if layout == self._layout:
            return
        for index in range(max(len(layout), len(self._layout or ()))):
            self.grid_columnconfigure(index, minsize=0, weight=0)
        for index, (width, weight, _) in enumerate(layout):
            self.grid_columnconfigure(index, minsize=width, weight=weight)
        last = len(layout) - 1
        self.tabs_frame.grid(row=0, column=0, sticky="w", padx=layout[0][2])
        self.headline.grid(row=0, column=1, columnspan=last - 1, sticky="nsew",
                           padx=(layout[1][2][0], layout[last - 1][2][1]))
        self.kill_button.grid(row=0, column=last, sticky="nsew", padx=layout[last][2])
        self._layout = layout

    def select(self, key: str) -> None:
        """Mark the tab of desk ``key`` as the one shown."""
        if key == self.desk:
            return
        for name, button in self.tabs.items():
            if name in (key, self.desk):
                fill, hover, text = TAB_COLOURS[name == key]
                button.configure(fg_color=fill, hover_color=hover, text_color=text)
        self.desk = key

    def show_risk(self, headline: RiskHeadline) -> None:
        """Show the trading state, its reason and hint, and what the kill switch does now."""
        self.state.set(headline.state, headline.state_colour)
        self.reason.set(headline.reason, headline.reason_colour)
        self._reason_full = headline.reason_full
        self.hint.set(headline.hint)
        mode = (headline.button_text, headline.button_colour, headline.button_hover)
        if mode != self._button_mode:  # a CTkButton redraws its canvas on every configure
            self.kill_button.configure(text=headline.button_text, fg_color=headline.button_colour,
                                       hover_color=headline.button_hover)
            self._button_mode = mode


def _padding(padx) -> tuple[int, int]:
    """Return a grid ``-padx`` (one number, or two as a tuple or a Tcl list) as (left, right)."""
    values = [int(float(v)) for v in (padx if isinstance(padx, (tuple, list)) else str(padx).split())]
    return (values[0], values[-1]) if values else (0, 0)
