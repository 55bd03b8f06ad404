"""The router desk's page: the order ticket with the reference price, the live route preview (the split, the cost
ladder, the saving and every alternative), the parent orders with their children, and the pools (with a DLMM
pool's bin liquidity), the OTC counterparties, the Solana wallet and the quote endpoint, in four columns.

Typing in the ticket asks the engine for a live preview (``PreviewRoute``, debounced, and only while the ticket
parses); the engine then keeps ``RouterView.preview`` up to date and the page shows it only while it is the
ticket's. The Route button sends a ``RouteOrder`` (an invalid ticket gets one line under it and sends nothing);
Cancel sends a ``CancelRoute`` for the selected open order. The engine's answer shows under the ticket.
"""

from __future__ import annotations

import math
import time
import tkinter as tk

import customtkinter as ctk

from octo_desktop.config import QUOTE_ASSET
from octo_desktop.domain.commands import CancelRoute, PreviewRoute, RouteOrder
from octo_desktop.domain.snapshot import ParentOrderView, Snapshot
from octo_desktop.gui import theme
from octo_desktop.gui.chart_slot import ChartSlot
from octo_desktop.gui.desk_page import DeskContext, place_columns
from octo_desktop.gui.presenters import router as present
from octo_desktop.gui.widgets import CachedLabel, ChoiceBar, ListView, panel, section_label

COLUMN_WEIGHTS = (2, 4, 4, 3)
PREVIEW_DEBOUNCE_MS = 250  # the preview is asked for this long after the last keystroke
SPLIT_SIZE = (420, 44)
LADDER_SIZE = (420, 270)
BINS_SIZE = (350, 170)
TEXT_WRAP = 410  # the preview's and execution's text
TICKET_WRAP = 280
POOLS_WRAP = 336


def _label(master, font=theme.FONT_SMALL, fg=theme.TEXT, wrap=TEXT_WRAP, anchor="w", **options) -> CachedLabel:
    return CachedLabel(tk.Label(master, text="", font=font, fg=fg, bg=theme.PANEL_BG, anchor=anchor, justify="left",
                                wraplength=wrap, **options))


class RouterPage:
    """Four columns refreshed from each new snapshot while the page is shown."""

    key = "router"
    title = "Router"

    def __init__(self, context: DeskContext) -> None:
        self._context = context
        config = context.config
        bases = {symbol.split("/")[0] for symbol in config.symbols}
        bases |= {spec.base for spec in config.router.pools.values()}
        self._assets: tuple[str, ...] = tuple(sorted(bases))  # until the desk's view names them
        self._max_order = config.router.max_order_usdt
        self.snapshot: Snapshot | None = None
        self.frame: tk.Frame | None = None
        self.charts: tuple = ()
        self.columns: tuple = ()
        self.sent: list[object] = []  # the orders and cancels the page sent, oldest first
        self.preview_sent: PreviewRoute | None = None  # the preview the engine keeps for the ticket
        self._preview_after: str | None = None
        self._answer_since: float | None = None  # engine time of the last order or cancel sent
        self._chosen_pool: str | None = None  # the DLMM pool clicked in the pools list
        self.shown_plan = None  # the preview shown (the ticket's)

    # --- building ---------------------------------------------------------------------------------------
    def build(self, parent) -> tk.Frame:
        frame = tk.Frame(parent, bg=theme.WINDOW_BG)
        self.frame = frame
        self.columns = (self._build_ticket(frame), self._build_preview(frame), self._build_execution(frame),
                        self._build_pools(frame))
        self.charts = (self.split_chart, self.ladder_chart, self.bins_chart)
        place_columns(frame, self.columns, COLUMN_WEIGHTS)
        self._ticket_changed()
        return frame

    def _build_ticket(self, master) -> tk.Misc:
        column, _ = panel(master, "ORDER TICKET")
        form = tk.Frame(column, bg=theme.PANEL_BG)
        form.grid(row=1, column=0, sticky="ew", padx=10, pady=(2, 0))
        asset = "SOL" if "SOL" in self._assets else self._assets[0]
        self.side = ctk.StringVar(value="buy")
        self.asset = ctk.StringVar(value=asset)
        self.quantity = ctk.StringVar(value="")
        self.order_type = ctk.StringVar(value="market")
        self.limit_price = ctk.StringVar(value="")
        self.rest = ctk.StringVar(value="wait")
        self.condition = ctk.StringVar(value=present.CONDITION_LABELS["price_above"])
        self.level = ctk.StringVar(value="")
        self.condition_quantity = ctk.StringVar(value="")
        self.expiry = ctk.StringVar(value="")
        self.captions: dict[str, tk.Label] = {}

        def caption(row: int, name: str, text: str) -> None:
            label = tk.Label(form, text=text, font=theme.FONT_SMALL, fg=theme.TEXT_MUTED, bg=theme.PANEL_BG,
                             anchor="w")
            label.grid(row=row, column=0, sticky="w", pady=3, padx=(0, 8))
            self.captions[name] = label

        def choice(row: int, name: str, variable, values) -> ChoiceBar:
            caption(row, name, name)
            bar = ChoiceBar(form, values, lambda value: variable.set(value), value=variable.get(), height=24,
                            font_size=12, pad_x=7)
            bar.grid(row=row, column=1, sticky="w", pady=3)
            return bar

        def entry(row: int, name: str, text: str, variable, placeholder: str = "") -> ctk.CTkEntry:
            caption(row, name, text)
            widget = ctk.CTkEntry(form, textvariable=variable, width=150, height=26,
                                  placeholder_text=placeholder or None)
            widget.grid(row=row, column=1, sticky="w", pady=3)
            widget.bind("<Return>", lambda _event: self.route())
            return widget

        self.side_bar = choice(0, "side", self.side, present.SIDES)
        caption(1, "asset", "asset")
        self.asset_menu = ctk.CTkOptionMenu(form, values=list(self._assets), variable=self.asset, width=150,
                                            height=26)
        self.asset_menu.grid(row=1, column=1, sticky="w", pady=3)
        self.quantity_entry = entry(2, "quantity", "quantity", self.quantity)
        self.type_bar = choice(3, "type", self.order_type, present.ORDER_TYPES)
        self.limit_entry = entry(4, "limit_price", "limit price", self.limit_price)
        self.rest_bar = choice(5, "rest", self.rest, present.RESTS)
        caption(6, "condition", "sniper when")
        self.condition_menu = ctk.CTkOptionMenu(form, values=[present.CONDITION_LABELS[c] for c in present.CONDITIONS],
                                                variable=self.condition, width=150, height=26)
        self.condition_menu.grid(row=6, column=1, sticky="w", pady=3)
        self.level_entry = entry(7, "level", "level", self.level)
        self.condition_quantity_entry = entry(8, "condition_quantity", "liquidity qty", self.condition_quantity)
        self.expiry_entry = entry(9, "expiry", "expiry (s)", self.expiry)
        for variable in (self.side, self.asset, self.quantity, self.order_type, self.limit_price, self.rest,
                         self.condition, self.level, self.condition_quantity, self.expiry):
            variable.trace_add("write", lambda *_: self._ticket_changed())
        self.route_button = ctk.CTkButton(column, text="Route", height=30, command=self.route,
                                          font=ctk.CTkFont(family=theme.FONT_FAMILY, size=13, weight="bold"))
        self.route_button.grid(row=2, column=0, sticky="ew", padx=10, pady=(8, 2))
        self.ticket_line = _label(column, wrap=TICKET_WRAP)
        self.ticket_line.label.grid(row=3, column=0, sticky="ew", padx=10)
        self.answer = _label(column, fg=theme.TEXT_MUTED, wrap=TICKET_WRAP)
        self.answer.label.grid(row=4, column=0, sticky="ew", padx=10, pady=(2, 0))
        section_label(column, "REFERENCE PRICE").grid(row=5, column=0, sticky="ew", padx=10, pady=(12, 0))
        self.reference_price = _label(column, font=theme.FONT_NUMBER, wrap=TICKET_WRAP)
        self.reference_price.label.grid(row=6, column=0, sticky="ew", padx=10)
        self.reference_source = _label(column, wrap=TICKET_WRAP)
        self.reference_source.label.grid(row=7, column=0, sticky="ew", padx=10, pady=(0, 6))
        column.grid_rowconfigure(8, weight=1)
        return column

    def _build_preview(self, master) -> tk.Misc:
        column, self.preview_header = panel(master, "ROUTE PREVIEW")
        self.headline = _label(column, font=theme.FONT_BOLD)
        self.headline.label.grid(row=1, column=0, sticky="ew", padx=10)
        self.split_chart = ChartSlot(column, "SplitBarChart", *SPLIT_SIZE)
        self.split_chart.widget.grid(row=2, column=0, sticky="ew", padx=6, pady=(3, 0))
        self.ladder_chart = ChartSlot(column, "CostLadderChart", *LADDER_SIZE)
        self.ladder_chart.widget.grid(row=3, column=0, sticky="ew", padx=6)
        self.preview_lines = {}
        for row, name in enumerate(("parts", "versus_single", "versus_exchanges", "meta", "reason"), start=4):
            label = _label(column)
            label.label.grid(row=row, column=0, sticky="ew", padx=10)
            self.preview_lines[name] = label
        section_label(column, "ALTERNATIVES · every source looked at").grid(row=9, column=0, sticky="ew", padx=10,
                                                                          pady=(4, 0))
        self.options = ListView(column, [("source", 108), ("kind", 38), ("takes", 54), ("can take", 56),
                                         ("touch", 56), ("alone", 74), ("note", 20)], height=8)
        for tag, colour in present.SOURCE_TAGS.items():
            self.options.tree.tag_configure(tag, foreground=colour)
        self.options.add_row_tips(self._option_tip)
        self.options.grid(row=10, column=0, sticky="nsew", padx=6, pady=(0, 6))
        column.grid_rowconfigure(10, weight=1)
        return column

    def _build_execution(self, master) -> tk.Misc:
        column, self.execution_header = panel(master, "EXECUTION")
        self.execution_header.configure(width=1)  # the counts must not widen the column
        self.orders = ListView(column, [("id", 30), ("order", 84), ("type", 62), ("state", 74), ("filled", 72),
                                        ("average", 58), ("saved", 40)], height=8,
                               on_select=lambda _key: self._show_selected())
        self.orders.grid(row=1, column=0, sticky="nsew", padx=6)
        bar = tk.Frame(column, bg=theme.PANEL_BG)
        bar.grid(row=2, column=0, sticky="ew", padx=10, pady=(4, 0))
        bar.grid_columnconfigure(1, weight=1)
        self.cancel_button = ctk.CTkButton(bar, text="Cancel", width=110, height=26, command=self.cancel_selected,
                                           fg_color=theme.RAISED_BG, hover_color=theme.KILL_HOVER,
                                           text_color_disabled=theme.TEXT_DIM, state="disabled")
        self.cancel_button.grid(row=0, column=0, sticky="w")
        self.saved = _label(bar, wrap=280)
        self.saved.label.grid(row=0, column=1, sticky="ew", padx=(10, 0))
        self.order_detail = _label(column, height=6, anchor="nw")
        self.order_detail.label.grid(row=3, column=0, sticky="ew", padx=10, pady=(4, 0))
        self.children_title = _label(column, font=theme.FONT_BOLD, fg=theme.TEXT_MUTED)
        self.children_title.label.grid(row=4, column=0, sticky="ew", padx=10, pady=(4, 0))
        self.children = ListView(column, [("child", 34), ("state", 42), ("source", 94), ("qty", 48),
                                          ("expected", 58), ("average", 50), ("fee", 78), ("note", 20)], height=8,
                                 on_select=lambda _key: self._show_child_note())
        self.children.add_row_tips(self._child_tip)
        self.children.grid(row=5, column=0, sticky="nsew", padx=6)
        column.grid_rowconfigure(5, weight=1)
        self.child_note = _label(column, fg=theme.TEXT_MUTED, height=3, anchor="nw")
        self.child_note.label.grid(row=6, column=0, sticky="ew", padx=10, pady=(2, 6))
        return column

    def _build_pools(self, master) -> tk.Misc:
        column, _ = panel(master, "POOLS")
        self.pools = ListView(column, [("pool", 128), ("kind", 52), ("mid", 52), ("gap", 36), ("fee", 28),
                                       ("reserves", 62)], height=6, on_select=self._pool_selected)
        self.pools.add_row_tips(self._pool_tip)
        self.pools.grid(row=1, column=0, sticky="ew", padx=6)
        self.bins_title = _label(column, font=theme.FONT_BOLD, fg=theme.TEXT_MUTED, wrap=POOLS_WRAP)
        self.bins_title.label.grid(row=2, column=0, sticky="ew", padx=10, pady=(4, 0))
        self.bins_chart = ChartSlot(column, "BinHistogramChart", *BINS_SIZE)
        self.bins_chart.widget.grid(row=3, column=0, sticky="ew", padx=6)
        self.pool_detail = _label(column, fg=theme.TEXT_MUTED, wrap=POOLS_WRAP, height=3, anchor="nw")
        self.pool_detail.label.grid(row=4, column=0, sticky="ew", padx=10)
        section_label(column, "OTC COUNTERPARTIES").grid(row=5, column=0, sticky="ew", padx=10, pady=(4, 0))
        self.otc = ListView(column, [("dealer", 72), ("asset", 36), ("available", 62), ("block", 96),
                                     ("spread", 42), ("delay", 30)], height=6)
        self.otc.grid(row=6, column=0, sticky="nsew", padx=6)
        column.grid_rowconfigure(6, weight=1)
        section_label(column, "SOLANA WALLET").grid(row=7, column=0, sticky="ew", padx=10, pady=(4, 0))
        self.wallet = _label(column, font=theme.FONT_MONO_SMALL, wrap=POOLS_WRAP)
        self.wallet.label.grid(row=8, column=0, sticky="ew", padx=10)
        self.endpoint = _label(column, fg=theme.TEXT_MUTED, wrap=POOLS_WRAP)
        self.endpoint.label.grid(row=9, column=0, sticky="ew", padx=10, pady=(2, 6))
        return column

    # --- the ticket -------------------------------------------------------------------------------------
    def fields(self) -> present.TicketFields:
        """The ticket as typed."""
        condition = next((c for c, label in present.CONDITION_LABELS.items() if label == self.condition.get()),
                         self.condition.get())
        return present.TicketFields(self.side.get(), self.asset.get(), self.quantity.get(), self.order_type.get(),
                                    self.limit_price.get(), self.rest.get(), condition, self.level.get(),
                                    self.condition_quantity.get(), self.expiry.get())

    def _reference(self, asset: str) -> float:
        """The reference price of ``asset``: the live preview's (the newest) if it is of it, else the view's."""
        plan = self.shown_plan
        if plan is not None and plan.asset == asset:
            return plan.reference_price
        view = self.snapshot.router if self.snapshot is not None else None
        reference = view.references.get(asset) if view is not None else None
        return reference.price if reference is not None else math.nan

    def _ticket_changed(self) -> None:
        fields = self.fields()
        self.side_bar.set(fields.side)
        self.type_bar.set(fields.order_type)
        self.rest_bar.set(fields.rest)
        enabled = present.enabled_fields(fields.order_type, fields.condition)
        for name, widget in (("limit_price", self.limit_entry), ("condition", self.condition_menu),
                             ("level", self.level_entry), ("condition_quantity", self.condition_quantity_entry)):
            state = "normal" if enabled[name] else "disabled"
            if widget.cget("state") != state:
                widget.configure(state=state)
            self.captions[name].configure(fg=theme.TEXT_MUTED if enabled[name] else theme.TEXT_DIM)
        rest_state = "normal" if enabled["rest"] else "disabled"
        for button in self.rest_bar.buttons.values():
            if button.cget("state") != rest_state:  # a CTkButton redraws on every configure
                button.configure(state=rest_state)
        self.captions["rest"].configure(fg=theme.TEXT_MUTED if enabled["rest"] else theme.TEXT_DIM)
        self.captions["limit_price"].configure(text="limit price" + (" (opt.)" if fields.order_type == "sniper"
                                                                     else ""))
        text, colour = present.ticket_hint(fields, self._assets, self._reference(fields.asset), self._max_order)
        self.ticket_line.set(text, fg=colour)
        self._schedule_preview()

    def _schedule_preview(self) -> None:
        if self.frame is None:
            return
        if self._preview_after is not None:
            self.frame.after_cancel(self._preview_after)
        self._preview_after = self.frame.after(PREVIEW_DEBOUNCE_MS, self.send_preview)

    def send_preview(self) -> PreviewRoute | None:
        """Ask the engine for the ticket's live preview, if the ticket parses and it is not the one it keeps."""
        self._preview_after = None
        request = present.preview_request(self.fields(), self._assets)
        if request is not None and request != self.preview_sent:
            self._context.submit(request)
            self.preview_sent = request
        return request

    def route(self) -> RouteOrder | None:
        """Send the ticket as a ``RouteOrder``; an invalid ticket gets one red line under it and sends nothing."""
        fields = self.fields()
        order, error = present.parse_ticket(fields, self._assets, self._reference(fields.asset), self._max_order)
        if order is None:
            self.ticket_line.set(error, fg=theme.RED)
            return None
        self._context.submit(order)
        self.sent.append(order)
        self._answer_since = self.snapshot.time if self.snapshot is not None else 0.0
        self.answer.set(f"sent: {present.describe_order(order)}", fg=theme.TEXT_MUTED)
        return order

    # --- execution --------------------------------------------------------------------------------------
    def selected_order(self) -> ParentOrderView | None:
        """The order selected in the list, else the first (the newest open one, else the newest)."""
        view = self.snapshot.router if self.snapshot is not None else None
        if view is None or not view.orders:
            return None
        key = self.orders.selected_key()
        return next((o for o in view.orders if o.order_id == key), view.orders[0])

    def cancel_selected(self) -> CancelRoute | None:
        """Cancel the selected order if it is open."""
        order = self.selected_order()
        if order is None or not present.is_open(order):
            return None
        command = CancelRoute(order.order_id)
        self._context.submit(command)
        self.sent.append(command)
        self._answer_since = self.snapshot.time if self.snapshot is not None else 0.0
        self.answer.set(f"sent: cancel route #{order.order_id}", fg=theme.TEXT_MUTED)
        return command

    def _show_selected(self) -> None:
        order = self.selected_order()
        now = self.snapshot.time if self.snapshot is not None else time.time()
        self.order_detail.set(present.order_detail(order, now))
        is_open = order is not None and present.is_open(order)
        text = f"Cancel #{order.order_id}" if is_open else "Cancel"
        if self.cancel_button.cget("text") != text:
            self.cancel_button.configure(text=text)
        state = "normal" if is_open else "disabled"
        if self.cancel_button.cget("state") != state:  # red while it can cancel, grey while it cannot
            self.cancel_button.configure(state=state, fg_color=theme.KILL if is_open else theme.RAISED_BG)
        self.children_title.set(f"CHILDREN OF #{order.order_id} · {len(order.children)}" if order is not None
                                else "CHILDREN")
        self.children.show(present.child_rows(order))
        self._show_child_note()

    def _show_child_note(self) -> None:
        order = self.selected_order()
        key = self.children.selected_key()
        if key is None and order is not None and order.children:
            key = order.children[-1].child_id
        self.child_note.set(present.child_note(order, key))

    def _child_tip(self, key) -> str:
        return present.child_note(self.selected_order(), key)

    # --- pools ------------------------------------------------------------------------------------------
    def _pool_selected(self, key) -> None:
        view = self.snapshot.router if self.snapshot is not None else None
        pool = next((p for p in (view.pools if view is not None else ()) if p.name == key), None)
        if pool is not None and pool.kind == "dlmm":
            self._chosen_pool = pool.name
        self._show_pool()

    def _show_pool(self) -> None:
        view = self.snapshot.router if self.snapshot is not None else None
        pool = present.dlmm_pool(view, self._chosen_pool, self.asset.get())
        self.bins_title.set(f"BIN LIQUIDITY · {pool.name}" if pool is not None else "BIN LIQUIDITY · no DLMM pool")
        self.bins_chart.set_model(present.bins_model(pool))
        selected = next((p for p in (view.pools if view is not None else ()) if p.name == self.pools.selected_key()),
                        pool)
        self.pool_detail.set(present.pool_detail(selected))

    def _pool_tip(self, key) -> str:
        view = self.snapshot.router if self.snapshot is not None else None
        return present.pool_detail(next((p for p in (view.pools if view is not None else ()) if p.name == key), None))

    def _option_tip(self, key) -> str:
        return present.option_tip(self.shown_plan, key)

    # --- rendering --------------------------------------------------------------------------------------
    def render(self, snapshot: Snapshot, now: float) -> None:
        first = self.snapshot is None
        self.snapshot = snapshot
        view = snapshot.router
        if view is not None and view.assets and tuple(view.assets) != self._assets:
            self._assets = tuple(view.assets)
            self.asset_menu.configure(values=list(self._assets))
            if self.asset.get() not in self._assets:
                self.asset.set("SOL" if "SOL" in self._assets else self._assets[0])
        if first:
            self._ticket_changed()  # the max-order check at the reference price; the preview asked for again
        if self._answer_since is not None:
            answer = present.engine_answer(snapshot.decisions, self._answer_since)
            if answer is not None:
                self.answer.set(*answer)
        self._render_preview(view)
        asset = self.asset.get()
        price, source, colour = present.reference_text(view, asset, self.shown_plan)
        self.reference_price.set(f"{asset} {price}", fg=theme.TEXT if colour != theme.RED else theme.TEXT_DIM)
        self.reference_source.set(source, fg=colour)
        self.execution_header.configure(text=present.execution_title(view))
        self.orders.show(present.order_rows(view))
        self._show_selected()
        self.saved.set(*present.saved_text(view))
        self.pools.show(present.pool_rows(view))
        self._show_pool()
        self.otc.show(present.otc_rows(view))
        self.wallet.set(present.wallet_text(view))
        self.endpoint.set(*present.endpoint_text(view))

    def _render_preview(self, view) -> None:
        request = present.preview_request(self.fields(), self._assets)
        plan = present.preview_for(view, request) if request == self.preview_sent else None
        self.shown_plan = plan
        if request is None:
            waiting = ("type a quantity to see how the router would split it" if not self.quantity.get().strip()
                       else "fix the ticket to preview its route")
        elif view is not None and math.isnan(self._reference(request.asset)):
            waiting = f"no preview without a reference price for {request.asset}"
        else:
            waiting = "computing the route…"
        text = present.preview_text(plan, waiting, QUOTE_ASSET)
        self.headline.set(*text.headline)
        for name, label in self.preview_lines.items():
            label.set(*getattr(text, name))
        colours = present.source_colours(plan)
        self.split_chart.set_model(present.split_model(plan, colours))
        self.ladder_chart.set_model(present.ladder_model(plan, colours))
        self.options.show(present.option_rows(plan, colours))
        self.preview_header.configure(text=present.preview_title(plan))

    def on_shown(self) -> None:
        """Ask for the ticket's preview again (the engine dropped it when the page was hidden)."""
        self.preview_sent = None
        if self.frame is not None:
            self._schedule_preview()

    def on_hidden(self) -> None:
        """Stop the engine's live preview: nobody looks at it."""
        if self._preview_after is not None and self.frame is not None:
            self.frame.after_cancel(self._preview_after)
            self._preview_after = None
        if self.preview_sent is not None:
            self._context.submit(PreviewRoute(quantity=0.0))
            self.preview_sent = None

    def reset(self) -> None:
        """Another runtime: it keeps no preview for the ticket, and its orders are not the ones sent."""
        self.snapshot = None
        self.preview_sent = None
        self._answer_since = None
        if self.frame is not None:
            self._schedule_preview()
