"""Column 4, Account: P&L curve, headline numbers, balances, risk panel, kill switch, decision log."""

from __future__ import annotations

import tkinter as tk
from typing import Callable, Sequence

import customtkinter as ctk

from octo_desktop.domain.snapshot import Snapshot
from octo_desktop.gui import presenters, theme
from octo_desktop.gui.charts import PnlChart
from octo_desktop.gui.widgets import CachedLabel, LabelTable, ListView, panel, section_label


def _value_label(master, font=theme.FONT_NUMBER, fg=theme.TEXT) -> CachedLabel:
    label = tk.Label(master, text=presenters.DASH, font=font, fg=fg, bg=theme.PANEL_BG, anchor="w")
    return CachedLabel(label)


class AccountView:
    """Build and refresh the account column."""

    def __init__(self, master, venues: Sequence[str], assets: Sequence[str],
                 on_kill_switch: Callable[[], None]) -> None:
        self.frame, self.header = panel(master, "ACCOUNT · paper")
        frame = self.frame
        self.pnl = PnlChart(frame, 300, 170)
        self.pnl.widget.grid(row=1, column=0, sticky="nsew", padx=6, pady=(0, 4))
        frame.grid_rowconfigure(1, weight=3)

        numbers = tk.Frame(frame, bg=theme.PANEL_BG)
        numbers.grid(row=2, column=0, sticky="ew", padx=10, pady=(0, 6))
        self.numbers: dict[str, CachedLabel] = {}
        for col, (key, caption) in enumerate((("equity", "equity USDT"), ("realized", "realized P&L"),
                                              ("fees", "fees paid"))):
            numbers.grid_columnconfigure(col, weight=1)
            tk.Label(numbers, text=caption, font=theme.FONT_SMALL, fg=theme.TEXT_MUTED, bg=theme.PANEL_BG,
                     anchor="w").grid(row=0, column=col, sticky="w")
            value = _value_label(numbers)
            value.label.grid(row=1, column=col, sticky="w")
            self.numbers[key] = value
        self.equity_change = _value_label(numbers, theme.FONT_MONO_SMALL, theme.TEXT_MUTED)
        self.equity_change.label.grid(row=2, column=0, columnspan=3, sticky="w")

        section_label(frame, "BALANCES").grid(row=3, column=0, sticky="ew", padx=10)
        self.assets = tuple(assets)
        columns = [("venue", 7, "w")] + [(asset, 9 if asset == "USDT" else 8, "e") for asset in assets]
        self.balances = LabelTable(frame, columns, rows=len(venues), font=theme.FONT_MONO_SMALL, row_pad=0)
        self.balances.grid(row=4, column=0, sticky="ew", padx=6, pady=(0, 6))

        section_label(frame, "RISK").grid(row=5, column=0, sticky="ew", padx=10)
        risk = tk.Frame(frame, bg=theme.PANEL_BG)
        risk.grid(row=6, column=0, sticky="ew", padx=10, pady=(0, 4))
        risk.grid_columnconfigure(1, weight=1)
        self.state = CachedLabel(tk.Label(risk, text="—", font=theme.FONT_BIG, fg=theme.TEXT_DIM,
                                          bg=theme.PANEL_BG, anchor="w"))
        self.state.label.grid(row=0, column=0, rowspan=2, sticky="w", padx=(0, 12))
        self.reason = CachedLabel(tk.Label(risk, text="", font=theme.FONT_SMALL, fg=theme.TEXT_MUTED,
                                           bg=theme.PANEL_BG, anchor="w", justify="left", wraplength=220))
        self.reason.label.grid(row=0, column=1, rowspan=2, sticky="w")
        self.limits = LabelTable(risk, (("", 12, "w"), ("", 22, "e")), rows=4, font=theme.FONT_MONO_SMALL,
                                 row_pad=0)
        self.limits.grid(row=2, column=0, columnspan=2, sticky="ew", pady=(2, 0))
        for header in self.limits.headers:
            header.label.grid_remove()
        for row, caption in enumerate(("open trades", "daily P&L", "threshold", "min score")):
            self.limits.set_cell(row, 0, caption, theme.TEXT_MUTED)

        self.kill_button = ctk.CTkButton(
            frame, text="KILL SWITCH", height=46, corner_radius=6, fg_color=theme.KILL,
            hover_color=theme.KILL_HOVER, text_color="#ffffff",
            font=ctk.CTkFont(family=theme.FONT_FAMILY, size=17, weight="bold"), command=on_kill_switch)
        self.kill_button.grid(row=7, column=0, sticky="ew", padx=10, pady=(4, 2))
        tk.Label(frame, text="Ctrl+K halts at once", font=theme.FONT_SMALL, fg=theme.TEXT_DIM,
                 bg=theme.PANEL_BG).grid(row=8, column=0, sticky="ew")
        self._button_mode: tuple[str, str, str] | None = None

        section_label(frame, "DECISION LOG").grid(row=9, column=0, sticky="ew", padx=10, pady=(4, 0))
        self.decisions = ListView(frame, presenters.DECISION_COLUMNS, height=5)
        self.decisions.grid(row=10, column=0, sticky="nsew", padx=6, pady=(0, 8))
        frame.grid_rowconfigure(10, weight=4)

    def render(self, snapshot: Snapshot) -> None:
        """Show P&L, balances, risk and the decision log of the snapshot."""
        self.pnl.set_series(snapshot.pnl_times, snapshot.pnl_realized, snapshot.pnl_marked)
        summary = presenters.account_summary(snapshot)
        self.numbers["equity"].set(summary.equity, theme.TEXT)
        self.equity_change.set(f"{summary.equity_change} since start", summary.equity_colour)
        self.numbers["realized"].set(summary.realized, summary.realized_colour)
        self.numbers["fees"].set(summary.fees, theme.TEXT)
        balances = presenters.balance_rows(snapshot, self.assets)
        self.balances.show_rows(len(balances))
        for row, (venue, cells) in enumerate(balances):
            self.balances.set_cell(row, 0, venue, theme.TEXT_MUTED)
            for col, text in enumerate(cells, start=1):
                self.balances.set_cell(row, col, text, theme.RED if text.startswith(presenters.MINUS)
                                       else theme.TEXT)
        risk = presenters.risk_panel(snapshot)
        self.state.set(risk.state, risk.state_colour)
        self.reason.set(risk.reason, theme.RED if risk.is_halted else theme.TEXT_MUTED)
        self.limits.set_cell(0, 1, risk.open_trades, theme.TEXT)
        self.limits.set_cell(1, 1, risk.daily_pnl, risk.daily_colour)
        self.limits.set_cell(2, 1, risk.threshold, theme.TEXT)
        self.limits.set_cell(3, 1, risk.min_score, theme.TEXT)
        mode = (risk.button_text, risk.button_colour, risk.button_hover)
        if mode != self._button_mode:
            self.kill_button.configure(text=risk.button_text, fg_color=risk.button_colour,
                                       hover_color=risk.button_hover)
            self._button_mode = mode
        self.decisions.show(presenters.decision_rows(snapshot))
