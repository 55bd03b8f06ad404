"""Column 4, Account: P&L curve, headline numbers, P&L attribution, balances, the risk limits and the risk
log, and three logs under tabs: decisions, the AI advisor's log, spoofing events.

The trading state and the kill switch are global: the shell's risk strip shows them above every desk."""

from __future__ import annotations

import tkinter as tk
from typing import Callable, Sequence

from octo_desktop.domain.snapshot import Snapshot
from octo_desktop.gui import presenters, theme
from octo_desktop.gui.chart_slot import ChartSlot
from octo_desktop.gui.widgets import (
    CachedLabel,
    ChoiceBar,
    LabelTable,
    ListView,
    Tooltip,
    panel,
    section_label,
)

RISK_ROWS = ("trades", "daily P&L", "breaker", "max exposure", "excluded", "threshold")
EXCLUDED_ROW = RISK_ROWS.index("excluded")
THRESHOLD_ROW = RISK_ROWS.index("threshold")
# Caption, amount, gap, caption, amount; captions in the narrow list font, amounts in monospace.
ATTRIBUTION_COLUMNS = (("", 11, "w"), ("", 10, "e"), ("", 2, "w"), ("", 11, "w"), ("", 10, "e"))
ATTRIBUTION_FONTS = {0: theme.FONT_LIST, 3: theme.FONT_LIST}


def _value_label(master, font=theme.FONT_NUMBER, fg=theme.TEXT) -> CachedLabel:
    label = tk.Label(master, text=presenters.DASH, font=font, fg=fg, bg=theme.PANEL_BG, anchor="w")
    return CachedLabel(label)


def _caption_table(master, columns, rows: int, font=theme.FONT_MONO_SMALL, column_fonts=None) -> LabelTable:
    table = LabelTable(master, columns, rows=rows, font=font, row_pad=0, column_fonts=column_fonts,
                       compact=True)
    for header in table.headers:
        header.label.grid_remove()
    return table


class AccountView:
    """Build and refresh the account column."""

    def __init__(self, master, venues: Sequence[str], assets: Sequence[str],
                 on_thresholds: Callable[[], None] | None = None) -> None:
        """``on_thresholds``: called when the trader clicks the threshold row (to change it)."""
        self.frame, self.header = panel(master, "ACCOUNT · paper")
        frame = self.frame
        self.pnl = ChartSlot(frame, "PnlChart", 300, 120)
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
        self.balances = LabelTable(frame, columns, rows=len(venues), font=theme.FONT_MONO_SMALL, row_pad=0,
                                   compact=True)
        self.balances.grid(row=6, column=0, sticky="ew", padx=6, pady=(0, 4))

        # The trading state and the kill switch are in the shell's risk strip, above every desk.
        section_label(frame, "RISK").grid(row=7, column=0, sticky="ew", padx=10)
        self.limits = _caption_table(frame, (("", 14, "w"), ("", 32, "e")), rows=len(RISK_ROWS),
                                     font=theme.FONT_LIST)
        self.limits.grid(row=8, column=0, sticky="ew", padx=6, pady=(0, 2))
        for row, caption in enumerate(RISK_ROWS):
            self.limits.set_cell(row, 0, caption, theme.TEXT_MUTED)
        self._excluded_full = ""
        self._excluded_tip = Tooltip(self.limits.cells[EXCLUDED_ROW][1].label, lambda: self._excluded_full)
        # The threshold row opens the thresholds dialog: the base threshold and the minimum score.
        self.threshold_cell = self.limits.cells[THRESHOLD_ROW][1].label
        if on_thresholds is not None:
            for cell in self.limits.cells[THRESHOLD_ROW]:
                cell.label.configure(cursor="hand2")
                cell.label.bind("<Button-1>", lambda _event: on_thresholds())
            self._threshold_tip = Tooltip(self.threshold_cell,
                                          lambda: "click to change the base threshold and the minimum score")

        section_label(frame, "RISK LOG · newest first").grid(row=9, column=0, sticky="ew", padx=10,
                                                             pady=(2, 0))
        self.risk_log = _caption_table(frame, (("", 46, "w"),), rows=presenters.RISK_LOG_ROWS,
                                       font=theme.FONT_LIST)
        self.risk_log.grid(row=10, column=0, sticky="ew", padx=6, pady=(0, 2))
        self._risk_log_full = [""] * presenters.RISK_LOG_ROWS
        self._risk_log_tips = [Tooltip(cells[0].label, lambda i=index: self._risk_log_full[i])
                               for index, cells in enumerate(self.risk_log.cells)]

        self.log_tabs = ChoiceBar(frame, presenters.LOG_TABS, self.show_tab, pad_x=4)
        self.log_tabs.grid(row=11, column=0, sticky="w", padx=10, pady=(3, 2))
        body = tk.Frame(frame, bg=theme.PANEL_BG)
        body.grid(row=12, column=0, sticky="nsew", padx=6, pady=(0, 6))
        body.grid_rowconfigure(0, weight=1)
        body.grid_columnconfigure(0, weight=1)
        frame.grid_rowconfigure(12, weight=4)
        self.pages = {tab: self._page(body) for tab in presenters.LOG_TABS}
        self.decisions = ListView(self.pages["Decisions"], presenters.DECISION_COLUMNS, height=4)
        self.decisions.grid(row=0, column=0, sticky="nsew")
        self._build_advice_page(self.pages["AI log"])
        self._build_spoof_page(self.pages["Spoofing"])
        # Every page in the same cell, the cell as large as the largest, so switching tabs never moves
        # anything else in the column; only the chosen page is gridded.
        body.update_idletasks()
        body.grid_rowconfigure(0, minsize=max(page.winfo_reqheight() for page in self.pages.values()))
        body.grid_columnconfigure(0, minsize=max(page.winfo_reqwidth() for page in self.pages.values()))
        self.tab = presenters.LOG_TABS[0]
        for tab, page in self.pages.items():
            page.grid(row=0, column=0, sticky="nsew")
            if tab != self.tab:
                page.grid_remove()
        self._snapshot: Snapshot | None = None

    @staticmethod
    def _page(master) -> tk.Frame:
        page = tk.Frame(master, bg=theme.PANEL_BG)
        page.grid_columnconfigure(0, weight=1)
        page.grid_rowconfigure(0, weight=1)
        return page

    def _build_advice_page(self, page: tk.Frame) -> None:
        page.grid_rowconfigure(0, weight=0)
        page.grid_rowconfigure(2, weight=1)
        top = tk.Frame(page, bg=theme.PANEL_BG)
        top.grid(row=0, column=0, sticky="ew", pady=(0, 1))
        top.grid_columnconfigure(0, weight=1)
        # width=1: a long model name is cut rather than widening the column; the tooltip has it all.
        self.advisor_title = CachedLabel(tk.Label(top, text="", font=theme.FONT_BOLD, fg=theme.TEXT,
                                                  bg=theme.PANEL_BG, anchor="w", width=1))
        self.advisor_title.label.grid(row=0, column=0, sticky="ew", padx=(4, 4))
        self.advice_filter = ChoiceBar(top, presenters.ADVICE_FILTERS, self._advice_filtered, height=20,
                                       font_size=10, pad_x=1, corner_radius=3)
        self.advice_filter.grid(row=0, column=1, sticky="e")
        self.advisor_spend = CachedLabel(tk.Label(page, text="", font=theme.FONT_LIST, fg=theme.TEXT_MUTED,
                                                  bg=theme.PANEL_BG, anchor="w", width=1, borderwidth=0))
        self.advisor_spend.label.grid(row=1, column=0, sticky="ew", padx=4)
        self._header_tip = Tooltip(self.advisor_title.label,
                                   lambda: f"{self.advisor_title.text}\n{self.advisor_spend.text}")
        self._spend_tip = Tooltip(self.advisor_spend.label, lambda: self.advisor_spend.text)
        self.advice = ListView(page, presenters.ADVICE_COLUMNS, height=3,
                               anchors=("w", "w", "w", "w", "e", "w"), on_select=self._advice_chosen)
        self.advice.grid(row=2, column=0, sticky="nsew")
        self.advice.add_row_tips(lambda key: presenters.advice_detail(presenters.find_advice(self._snapshot, key)))
        self.selected_advice: object = None
        # Two lines always, so the list does not move as rows are chosen; the tooltip has it all.
        self.advice_detail = CachedLabel(tk.Label(
            page, text="", font=theme.FONT_LIST, fg=theme.TEXT_MUTED, bg=theme.PANEL_BG, anchor="nw",
            justify="left", height=2, width=1, wraplength=320, borderwidth=0))
        self.advice_detail.label.grid(row=3, column=0, sticky="ew", padx=4, pady=(2, 0))
        self.advice_detail.label.bind("<Configure>", self._wrap_to_width, add="+")
        self._advice_detail_tip = Tooltip(self.advice_detail.label, self._advice_detail_full, wrap_px=560)

    def _build_spoof_page(self, page: tk.Frame) -> None:
        page.grid_rowconfigure(0, weight=0)
        page.grid_rowconfigure(1, weight=1)
        self.spoof_summary = CachedLabel(tk.Label(page, text="", font=theme.FONT_LIST, fg=theme.TEXT_DIM,
                                                  bg=theme.PANEL_BG, anchor="w", width=1, borderwidth=0))
        self.spoof_summary.label.grid(row=0, column=0, sticky="ew", padx=4, pady=(0, 1))
        self._spoof_summary_tip = Tooltip(self.spoof_summary.label, lambda: self.spoof_summary.text)
        self.spoofs = ListView(page, presenters.SPOOF_COLUMNS, height=4,
                               anchors=("w", "w", "w", "w", "e", "e", "e", "e"))
        self.spoofs.grid(row=1, column=0, sticky="nsew")
        self.spoofs.add_row_tips(lambda key: presenters.spoof_detail(presenters.find_spoof(self._snapshot, key)))

    def render(self, snapshot: Snapshot) -> None:
        """Show P&L, attribution, balances, risk, the risk log and the log tab shown, of the snapshot."""
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
        self._snapshot = snapshot
        self._render_log(snapshot)

    # --- the logs under tabs: only the page shown is refreshed ------------------------------------
    def show_tab(self, tab: str) -> None:
        """Show the log page ``tab`` ("Decisions", "AI log" or "Spoofing") and fill it at once."""
        if tab not in self.pages:
            raise ValueError(f"unknown log tab {tab!r}")
        self.log_tabs.set(tab)
        if tab == self.tab:
            return
        self.pages[self.tab].grid_remove()
        self.pages[tab].grid()
        self.tab = tab
        if self._snapshot is not None:
            self._render_log(self._snapshot)

    def _render_log(self, snapshot: Snapshot) -> None:
        if self.tab == "Decisions":
            self.decisions.show(presenters.decision_rows(snapshot))
        elif self.tab == "AI log":
            header = presenters.advisor_header(snapshot.advisor)
            self.advisor_title.set(header.title)
            self.advisor_spend.set(header.spend, header.spend_colour)
            self.advice.show(presenters.advice_rows(snapshot, self.advice_filter.value))
            self.advice_detail.set(*presenters.advice_summary(snapshot, self.selected_advice))
        else:
            self.spoof_summary.set(*presenters.spoof_summary(snapshot))
            self.spoofs.show(presenters.spoof_rows(snapshot))

    def _advice_filtered(self, _choice: str) -> None:
        self.advice.select(None)
        self.selected_advice = None
        if self._snapshot is not None:
            self._render_log(self._snapshot)

    def _advice_chosen(self, advice_id: object) -> None:
        self.selected_advice = advice_id
        if self._snapshot is not None:
            self.advice_detail.set(*presenters.advice_summary(self._snapshot, advice_id))

    def _advice_detail_full(self) -> str:
        record = presenters.find_advice(self._snapshot, self.selected_advice)
        return presenters.advice_detail(record) if record is not None else self.advice_detail.text

    @staticmethod
    def _wrap_to_width(event) -> None:
        wrap = max(120, event.width - 4)
        if int(float(event.widget.cget("wraplength"))) != wrap:
            event.widget.configure(wraplength=wrap)

    def _render_attribution(self, snapshot: Snapshot) -> None:
        rows = presenters.attribution_rows(snapshot.risk.attribution)
        table = self.attribution
        for index, (caption, amount, colour) in enumerate(rows):
            row, col = index // 2, 0 if index % 2 == 0 else 3
            table.set_cell(row, col, caption, theme.TEXT_MUTED)
            table.set_cell(row, col + 1, amount, colour)

    def _render_risk(self, snapshot: Snapshot) -> None:
        risk = presenters.risk_panel(snapshot)
        values = ((risk.trades, theme.TEXT), (risk.daily_pnl, risk.daily_colour),
                  (risk.breaker, risk.breaker_colour), (risk.exposure, risk.exposure_colour),
                  (risk.excluded, risk.excluded_colour), (risk.strategy, theme.TEXT))
        for row, (text, colour) in enumerate(values):
            self.limits.set_cell(row, 1, text, colour)
        self._excluded_full = risk.excluded_full
        lines = presenters.risk_log_lines(snapshot.risk)
        for index in range(presenters.RISK_LOG_ROWS):
            if index < len(lines):
                short, full, colour = lines[index]
            else:
                short, full, colour = ("no risk events yet" if index == 0 else ""), "", theme.TEXT_DIM
            self.risk_log.set_cell(index, 0, short, colour)
            self._risk_log_full[index] = full
