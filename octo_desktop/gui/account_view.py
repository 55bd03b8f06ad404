"""Column 4, Account: P&L curve, headline numbers, P&L attribution, balances, risk panel with the kill
switch and the risk log, decision log."""

from __future__ import annotations

import tkinter as tk
from typing import Callable, Sequence

import customtkinter as ctk

from octo_desktop.domain.snapshot import Snapshot
from octo_desktop.gui import presenters, theme
from octo_desktop.gui.charts import PnlChart
from octo_desktop.gui.widgets import CachedLabel, LabelTable, ListView, Tooltip, panel, section_label

RISK_ROWS = ("trades", "daily P&L", "breaker", "max exposure", "excluded", "threshold")
EXCLUDED_ROW = RISK_ROWS.index("excluded")
FONT_STATE = (theme.FONT_FAMILY, -22, "bold")  # ACTIVE, REDUCING or HALTED
# Caption, amount, gap, caption, amount; captions in the narrow list font, amounts in monospace.
ATTRIBUTION_COLUMNS = (("", 11, "w"), ("", 10, "e"), ("", 2, "w"), ("", 11, "w"), ("", 10, "e"))
ATTRIBUTION_FONTS = {0: theme.FONT_LIST, 3: theme.FONT_LIST}


def _value_label(master, font=theme.FONT_NUMBER, fg=theme.TEXT) -> CachedLabel:
    label = tk.Label(master, text=presenters.DASH, font=font, fg=fg, bg=theme.PANEL_BG, anchor="w")
    return CachedLabel(label)


def _caption_table(master, columns, rows: int, font=theme.FONT_MONO_SMALL, column_fonts=None) -> LabelTable:
    table = LabelTable(master, columns, rows=rows, font=font, row_pad=0, column_fonts=column_fonts)
    for header in table.headers:
        header.label.grid_remove()
    return table


class AccountView:
    """Build and refresh the account column."""

    def __init__(self, master, venues: Sequence[str], assets: Sequence[str],
                 on_kill_switch: Callable[[], None]) -> None:
        self.frame, self.header = panel(master, "ACCOUNT · paper")
        frame = self.frame
        self.pnl = PnlChart(frame, 300, 120)
        self.pnl.widget.grid(row=1, column=0, sticky="nsew", padx=6, pady=(0, 4))
        frame.grid_rowconfigure(1, weight=3)

        numbers = tk.Frame(frame, bg=theme.PANEL_BG)
        numbers.grid(row=2, column=0, sticky="ew", padx=10, pady=(0, 4))
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

        section_label(frame, "P&L ATTRIBUTION · closed trades, USDT").grid(row=3, column=0, sticky="ew",
                                                                           padx=10)
        # Three rows of two parts: expected | latency decay, slippage | fees, rollback | realized.
        self.attribution = _caption_table(frame, ATTRIBUTION_COLUMNS, rows=3, column_fonts=ATTRIBUTION_FONTS)
        self.attribution.grid(row=4, column=0, sticky="ew", padx=6, pady=(0, 4))

        section_label(frame, "BALANCES").grid(row=5, column=0, sticky="ew", padx=10)
        self.assets = tuple(assets)
        columns = [("venue", 7, "w")] + [(asset, 9 if asset == "USDT" else 8, "e") for asset in assets]
        self.balances = LabelTable(frame, columns, rows=len(venues), font=theme.FONT_MONO_SMALL, row_pad=0)
        self.balances.grid(row=6, column=0, sticky="ew", padx=6, pady=(0, 4))

        section_label(frame, "RISK").grid(row=7, column=0, sticky="ew", padx=10)
        risk = tk.Frame(frame, bg=theme.PANEL_BG)
        risk.grid(row=8, column=0, sticky="ew", padx=10, pady=(0, 2))
        risk.grid_columnconfigure(1, weight=1)
        self.state = CachedLabel(tk.Label(risk, text="—", font=FONT_STATE, fg=theme.TEXT_DIM,
                                          bg=theme.PANEL_BG, anchor="w", width=9))
        self.state.label.grid(row=0, column=0, sticky="w", padx=(0, 8))
        # Two lines always, so a long reason does not push the panel down; the whole one is in the tooltip.
        self.reason = CachedLabel(tk.Label(risk, text="", font=theme.FONT_SMALL, fg=theme.TEXT_MUTED,
                                           bg=theme.PANEL_BG, anchor="w", justify="left", wraplength=180,
                                           height=2))
        self.reason.label.grid(row=0, column=1, sticky="ew")
        self._reason_full = ""
        self._reason_tip = Tooltip(self.reason.label, lambda: self._reason_full)
        self.limits = _caption_table(risk, (("", 14, "w"), ("", 32, "e")), rows=len(RISK_ROWS),
                                     font=theme.FONT_LIST)
        self.limits.grid(row=1, column=0, columnspan=2, sticky="ew", pady=(2, 0))
        for row, caption in enumerate(RISK_ROWS):
            self.limits.set_cell(row, 0, caption, theme.TEXT_MUTED)
        self._excluded_full = ""
        self._excluded_tip = Tooltip(self.limits.cells[EXCLUDED_ROW][1].label, lambda: self._excluded_full)

        self.kill_button = ctk.CTkButton(
            frame, text=presenters.KILL_BUTTON_TEXT, height=40, corner_radius=6, fg_color=theme.KILL,
            hover_color=theme.KILL_HOVER, text_color="#ffffff",
            font=ctk.CTkFont(family=theme.FONT_FAMILY, size=16, weight="bold"), command=on_kill_switch)
        self.kill_button.grid(row=9, column=0, sticky="ew", padx=10, pady=(2, 1))
        self.hint = CachedLabel(tk.Label(frame, text="Ctrl+K halts at once", font=theme.FONT_SMALL,
                                         fg=theme.TEXT_DIM, bg=theme.PANEL_BG))
        self.hint.label.grid(row=10, column=0, sticky="ew")
        self._button_mode: tuple[str, str, str] | None = None

        section_label(frame, "RISK LOG · newest first").grid(row=11, column=0, sticky="ew", padx=10,
                                                             pady=(2, 0))
        self.risk_log = _caption_table(frame, (("", 46, "w"),), rows=presenters.RISK_LOG_ROWS,
                                       font=theme.FONT_LIST)
        self.risk_log.grid(row=12, column=0, sticky="ew", padx=6, pady=(0, 2))
        self._risk_log_full = [""] * presenters.RISK_LOG_ROWS
        self._risk_log_tips = [Tooltip(cells[0].label, lambda i=index: self._risk_log_full[i])
                               for index, cells in enumerate(self.risk_log.cells)]

        section_label(frame, "DECISION LOG").grid(row=13, column=0, sticky="ew", padx=10, pady=(2, 0))
        self.decisions = ListView(frame, presenters.DECISION_COLUMNS, height=4)
        self.decisions.grid(row=14, column=0, sticky="nsew", padx=6, pady=(0, 8))
        frame.grid_rowconfigure(14, weight=4)

    def render(self, snapshot: Snapshot) -> None:
        """Show P&L, attribution, balances, risk, the risk log and the decision log of the snapshot."""
        self.pnl.set_series(snapshot.pnl_times, snapshot.pnl_realized, snapshot.pnl_marked)
        summary = presenters.account_summary(snapshot)
        self.numbers["equity"].set(summary.equity, theme.TEXT)
        self.equity_change.set(f"{summary.equity_change} since start", summary.equity_colour)
        self.numbers["realized"].set(summary.realized, summary.realized_colour)
        self.numbers["fees"].set(summary.fees, theme.TEXT)
        self._render_attribution(snapshot)
        balances = presenters.balance_rows(snapshot, self.assets)
        self.balances.show_rows(len(balances))
        for row, (venue, cells) in enumerate(balances):
            self.balances.set_cell(row, 0, venue, theme.TEXT_MUTED)
            for col, text in enumerate(cells, start=1):
                self.balances.set_cell(row, col, text, theme.RED if text.startswith(presenters.MINUS)
                                       else theme.TEXT)
        self._render_risk(snapshot)
        self.decisions.show(presenters.decision_rows(snapshot))

    def _render_attribution(self, snapshot: Snapshot) -> None:
        rows = presenters.attribution_rows(snapshot.risk.attribution)
        table = self.attribution
        for index, (caption, amount, colour) in enumerate(rows):
            row, col = index // 2, 0 if index % 2 == 0 else 3
            table.set_cell(row, col, caption, theme.TEXT_MUTED)
            table.set_cell(row, col + 1, amount, colour)

    def _render_risk(self, snapshot: Snapshot) -> None:
        risk = presenters.risk_panel(snapshot)
        self.state.set(risk.state, risk.state_colour)
        self.reason.set(risk.reason, risk.state_colour if risk.state != "ACTIVE" else theme.TEXT_MUTED)
        self._reason_full = risk.reason_full
        values = ((risk.trades, theme.TEXT), (risk.daily_pnl, risk.daily_colour),
                  (risk.breaker, risk.breaker_colour), (risk.exposure, risk.exposure_colour),
                  (risk.excluded, risk.excluded_colour), (risk.strategy, theme.TEXT))
        for row, (text, colour) in enumerate(values):
            self.limits.set_cell(row, 1, text, colour)
        self._excluded_full = risk.excluded_full
        mode = (risk.button_text, risk.button_colour, risk.button_hover)
        if mode != self._button_mode:
            self.kill_button.configure(text=risk.button_text, fg_color=risk.button_colour,
                                       hover_color=risk.button_hover)
            self._button_mode = mode
        self.hint.set(risk.hint)
        lines = presenters.risk_log_lines(snapshot.risk)
        for index in range(presenters.RISK_LOG_ROWS):
            if index < len(lines):
                short, full, colour = lines[index]
            else:
                short, full, colour = ("no risk events yet" if index == 0 else ""), "", theme.TEXT_DIM
            self.risk_log.set_cell(index, 0, short, colour)
            self._risk_log_full[index] = full
