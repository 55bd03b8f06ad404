"""The treasury desk's page: funds against targets (a heatmap, the exact balances under it) and the runways,
transfers in flight with their confirmations, a transfer ticket with its preview, and the rebalance log, in four
columns.

The ticket's preview is computed here from the config's networks and the snapshot's marks (the same pure
route choice the engine makes); the engine checks the request again (balances, halts, exclusions) and its
one-line answer appears in the decisions log and, for a refusal, under the ticket.
"""

from __future__ import annotations

import tkinter as tk
from decimal import Decimal, InvalidOperation

import customtkinter as ctk

from octo_desktop.config import WALLET
from octo_desktop.domain.commands import RequestTransfer
from octo_desktop.domain.snapshot import Snapshot
from octo_desktop.gui import theme
from octo_desktop.gui.chart_slot import ChartSlot
from octo_desktop.gui.desk_page import DeskContext, place_columns
from octo_desktop.gui.presenters import treasury as present
from octo_desktop.gui.widgets import CachedLabel, LabelTable, ListView, panel, section_label

COLUMN_WEIGHTS = (4, 5, 3, 4)
CHART_WIDTH_PX = 424  # the balance heatmap: about as wide as the funds table under it (the page fits 1600 px)
CHART_HEADER_PX, CHART_ROW_PX, CHART_LEGEND_PX = 24, 30, 56  # asset labels, one row a place, the colour bar


class TreasuryPage:
    """Four columns refreshed from each new snapshot while the page is shown."""

    key = "treasury"
    title = "Treasury"

    def __init__(self, context: DeskContext) -> None:
        self._context = context
        config = context.config
        self._venues = tuple(config.venue_names)
        self._assets = tuple(sorted({a for v in config.venues.values() for a in v.networks}))
        self.snapshot: Snapshot | None = None
        self.frame: tk.Frame | None = None
        self.charts: tuple = ()
        self.columns: tuple = ()
        self.sent: list[RequestTransfer] = []  # what the ticket sent, oldest first

    # --- building ---------------------------------------------------------------------------------
    def build(self, parent) -> tk.Frame:
        frame = tk.Frame(parent, bg=theme.WINDOW_BG)
        self.columns = (self._build_funds(frame), self._build_transfers(frame), self._build_ticket(frame),
                        self._build_rebalance(frame))
        place_columns(frame, self.columns, COLUMN_WEIGHTS)
        self.frame = frame
        self.update_preview()
        return frame

    def _build_funds(self, master) -> tk.Misc:
        column, _ = panel(master, "FUNDS · balance against target")
        # The heatmap shows where funds are short or long at a glance, each cell with its balance and share of
        # target; the table under it lists the exact balances again, their text coloured by the same bands, for
        # the time before matplotlib has loaded (or if it cannot).
        rows = len(self._venues) + 1
        self.balance_chart = ChartSlot(column, "BalanceHeatmapChart", CHART_WIDTH_PX,
                                       CHART_HEADER_PX + rows * CHART_ROW_PX + CHART_LEGEND_PX)
        self.balance_chart.widget.grid(row=1, column=0, sticky="ew", padx=6, pady=(0, 4))
        self.charts = (self.balance_chart,)
        columns = [("place", 8, "w")] + [(asset, 12, "e") for asset in self._assets]
        self.funds = LabelTable(column, columns, rows=rows, font=theme.FONT_MONO_SMALL, row_pad=0, compact=True)
        self.funds.grid(row=2, column=0, sticky="ew", padx=6)
        section_label(column, "RUNWAY · at the flow window's rate").grid(row=3, column=0, sticky="ew", padx=10,
                                                                         pady=(4, 0))
        self.forecast = ListView(column, [("venue asset: runway", 320)], height=8)
        self.forecast.grid(row=4, column=0, sticky="nsew", padx=6, pady=(0, 6))
        column.grid_rowconfigure(4, weight=1)
        return column

    def _build_transfers(self, master) -> tk.Misc:
        column, self.transfers_header = panel(master, "TRANSFERS")
        self.transfers_header.configure(width=1)  # its counts must not widen the column (the page fits 1600 px)
        self.in_flight = CachedLabel(tk.Label(column, text="", font=theme.FONT_SMALL, fg=theme.TEXT_MUTED,
                                              bg=theme.PANEL_BG, anchor="w", justify="left", wraplength=400))
        self.in_flight.label.grid(row=1, column=0, sticky="ew", padx=10)
        self.transfers = ListView(column, [("id", 36), ("state", 66), ("amount", 88), ("route", 104),
                                           ("network", 64), ("conf", 56), ("credited", 56)], height=16,
                                  on_select=lambda _key: self._show_note())
        self.transfers.grid(row=2, column=0, sticky="nsew", padx=6)
        column.grid_rowconfigure(2, weight=1)
        section_label(column, "WHY THIS NETWORK").grid(row=3, column=0, sticky="ew", padx=10, pady=(4, 0))
        self.note = CachedLabel(tk.Label(column, text="", font=theme.FONT_SMALL, fg=theme.TEXT, bg=theme.PANEL_BG,
                                         anchor="nw", justify="left", wraplength=400, height=5))
        self.note.label.grid(row=4, column=0, sticky="ew", padx=10, pady=(0, 6))
        return column

    def _build_ticket(self, master) -> tk.Misc:
        column, _ = panel(master, "TRANSFER TICKET")
        form = tk.Frame(column, bg=theme.PANEL_BG)
        form.grid(row=1, column=0, sticky="ew", padx=10)
        places = [*self._venues, WALLET]
        chains = [present.AUTO, *self._context.config.treasury.chains]
        self.source = ctk.StringVar(value=places[0])
        self.destination = ctk.StringVar(value=places[1] if len(places) > 1 else places[0])
        self.asset = ctk.StringVar(value="USDT" if "USDT" in self._assets else self._assets[0])
        self.amount = ctk.StringVar(value="1000")
        self.network = ctk.StringVar(value=present.AUTO)
        self.menus = {}
        for row, (caption, variable, values) in enumerate((("from", self.source, places),
                                                           ("to", self.destination, places),
                                                           ("asset", self.asset, list(self._assets)),
                                                           ("network", self.network, chains))):
            tk.Label(form, text=caption, font=theme.FONT_SMALL, fg=theme.TEXT_MUTED, bg=theme.PANEL_BG,
                     anchor="w").grid(row=row, column=0, sticky="w", pady=2)
            menu = ctk.CTkOptionMenu(form, values=values, variable=variable, width=150,
                                     command=lambda _value: self.update_preview())
            menu.grid(row=row, column=1, sticky="w", pady=2)
            self.menus[caption] = menu
        tk.Label(form, text="amount", font=theme.FONT_SMALL, fg=theme.TEXT_MUTED, bg=theme.PANEL_BG,
                 anchor="w").grid(row=4, column=0, sticky="w", pady=2)
        self.amount_entry = ctk.CTkEntry(form, textvariable=self.amount, width=150)
        self.amount_entry.grid(row=4, column=1, sticky="w", pady=2)
        self.amount.trace_add("write", lambda *_: self.update_preview())
        section_label(column, "PREVIEW").grid(row=2, column=0, sticky="ew", padx=10, pady=(8, 0))
        self.preview = CachedLabel(tk.Label(column, text="", font=theme.FONT_SMALL, fg=theme.TEXT, bg=theme.PANEL_BG,
                                            anchor="nw", justify="left", wraplength=215))
        self.preview.label.grid(row=3, column=0, sticky="nsew", padx=10)
        column.grid_rowconfigure(3, weight=1)
        self.send_button = ctk.CTkButton(column, text="Send transfer", command=self.send)
        self.send_button.grid(row=4, column=0, sticky="ew", padx=10, pady=(4, 2))
        self.answer = CachedLabel(tk.Label(column, text="", font=theme.FONT_SMALL, fg=theme.TEXT_MUTED,
                                           bg=theme.PANEL_BG, anchor="w", justify="left", wraplength=215))
        self.answer.label.grid(row=5, column=0, sticky="ew", padx=10, pady=(0, 8))
        return column

    def _build_rebalance(self, master) -> tk.Misc:
        column, self.rebalance_header = panel(master, "REBALANCING")
        self.rebalance_header.configure(width=1)  # "off (treasury.rebalance = false)" must not widen the column
        self.rebalance = ListView(column, [("time", 56), ("amount", 88), ("route", 100), ("", 60), ("why", 80)],
                                  height=20)
        self.rebalance.add_row_tips(self._rebalance_reason)
        self.rebalance.grid(row=1, column=0, sticky="nsew", padx=6, pady=(0, 6))
        column.grid_rowconfigure(1, weight=1)
        return column

    # --- the ticket -------------------------------------------------------------------------------
    def update_preview(self) -> bool:
        """Recompute the preview from the ticket's fields; return whether the ticket can be sent."""
        marks = self.snapshot.marks if self.snapshot is not None else {
            s.split("/")[0]: m.initial_price for s, m in self._context.config.markets.items()}
        view = self.snapshot.treasury if self.snapshot is not None else None
        text, ok = present.ticket_preview(self._context.config, marks, self.source.get(), self.destination.get(),
                                          self.asset.get(), self.amount.get(), self.network.get(),
                                          view.networks if view is not None else None)
        self.preview.set(text, fg=theme.TEXT if ok else theme.RED)
        self.send_button.configure(state="normal" if ok else "disabled")
        return ok

    def send(self) -> None:
        """Send the ticket to the engine as a transfer request (the engine answers in its decisions log)."""
        if not self.update_preview():
            return
        try:
            amount = Decimal(self.amount.get().strip())
        except InvalidOperation:
            return
        network = self.network.get()
        command = RequestTransfer(self.source.get(), self.destination.get(), self.asset.get(), amount,
                                  None if network == present.AUTO else network)
        self.sent.append(command)
        self._context.submit(command)
        self.answer.set(f"sent: {amount:f} {command.asset} {command.from_venue} -> {command.to_venue}; the engine's "
                        "answer is in the transfers list (or the decisions log if refused)", fg=theme.TEXT_MUTED)

    # --- rendering --------------------------------------------------------------------------------
    def render(self, snapshot: Snapshot, now: float) -> None:
        first = self.snapshot is None
        self.snapshot = snapshot
        view = snapshot.treasury
        settings = self._context.config.treasury
        funds = present.balance_heatmap(view, snapshot.balances, self._venues, self._assets, settings.upper_band,
                                        settings.inner_band)
        self.balance_chart.set_model(funds)  # taken only if a cell would look different: redrawn only then
        for row, (place, cells) in enumerate(present.funds_rows(funds)):
            self.funds.set_cell(row, 0, place)
            for col, (text, fg) in enumerate(cells, start=1):
                self.funds.set_cell(row, col, text, fg=fg)
        self.forecast.show(present.forecast_rows(view))
        counts = view.counts if view is not None else {}
        self.transfers_header.configure(text="TRANSFERS · " + (", ".join(f"{n} {state}" for state, n in counts.items())
                                                               or "none yet"))
        self.in_flight.set(present.in_flight_text(view))
        self.transfers.show(present.transfer_rows(view, snapshot.time))
        self._show_note()
        self.rebalance_header.configure(text=present.rebalance_title(view))
        self.rebalance.show(present.rebalance_rows(view))
        if first:
            self.update_preview()  # at the market's marks now, not the config's starting prices
        last_refusal = next((d.text for d in snapshot.decisions if d.text.startswith("transfer refused")), "")
        if self.sent and last_refusal:
            self.answer.set(last_refusal, fg=theme.RED)

    def _show_note(self) -> None:
        view = self.snapshot.treasury if self.snapshot is not None else None
        key = self.transfers.selected_key()
        if key is None and view is not None and view.transfers:
            key = view.transfers[0].transfer_id
        self.note.set(present.transfer_note(view, key) or "no transfer yet: send one with the ticket, or let "
                      "rebalancing move funds where the edges are")

    def _rebalance_reason(self, key) -> str:
        view = self.snapshot.treasury if self.snapshot is not None else None
        for r in (view.rebalance_log if view is not None else ()):
            if (r.time, r.asset, r.from_venue, r.to_venue, str(r.amount)) == key:
                return r.reason
        return ""

    def on_shown(self) -> None:
        """Nothing to prepare."""

    def on_hidden(self) -> None:
        """Nothing to stop."""

    def reset(self) -> None:
        self.snapshot = None
