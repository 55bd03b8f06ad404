"""The router page in the real window on a running engine: a quantity typed in the ticket previews its route (the
split bar and the cost ladder drawn from the desk's preview), Route sends it and the order fills with its children
on the page, an invalid ticket sends nothing, Cancel cancels a resting limit order, and the DLMM histogram draws
the pool's bins."""

from __future__ import annotations

import math
import subprocess

import pytest

from octo_desktop.domain.commands import CancelRoute, PreviewRoute, RouteOrder
from octo_desktop.gui import theme
from octo_desktop.gui.presenters import router as present
from tests.fakes.window import WindowSession, click, start_runtime

pytestmark = pytest.mark.gui
SETTINGS = ['simulation.preset="off"', "risk.breaker_losing_trades=1000", "risk.breaker_failed_legs=1000",
            "risk.daily_loss_limit_pct=100"]
ROUTER_COMMANDS = (RouteOrder, PreviewRoute, CancelRoute)


class Session(WindowSession):
    """The window on a started runtime, recording every command the window sends to it."""

    def __init__(self, runtime) -> None:
        super().__init__(runtime, wait_timeout=60.0)
        self.commands: list[object] = []
        submit = runtime.submit

        def recording(command) -> None:
            self.commands.append(command)
            submit(command)

        runtime.submit = recording  # the window's pages submit through ``app.runtime.submit``

    def router_commands(self) -> list[object]:
        return [c for c in self.commands if isinstance(c, ROUTER_COMMANDS)]


@pytest.fixture
def session(tmp_path):
    session = Session(start_runtime(tmp_path / "octo.db", SETTINGS, speed=1.0))
    try:
        yield session
    finally:
        session.close()


def show_router(session):
    app = session.app
    session.wait(lambda: app.first_frame_at is not None, message="first frame")
    click(app.desk_bar.tabs["router"], session.pump)
    session.wait(lambda: app.shown_desk is not None and app.shown_desk.key == "router", message="router shown")
    page = app.shown_desk
    session.wait(lambda: page.snapshot is not None and page.snapshot.router is not None
                 and page.snapshot.router.pools, message="the router's view")
    return page


def type_into(session, entry, variable, text: str) -> None:
    """Click into a ticket field and type ``text`` with the keyboard, as a trader would."""
    # matplotlib's canvas takes the keyboard focus when it is created: every chart of the window is built first.
    session.wait(lambda: session.app.charts_ready, message="the charts built")
    session.app.focus_force()  # the keyboard's X focus: a window of an earlier test may have had it
    session.pump()
    click(entry, session.pump)
    session.wait(lambda: str(entry.focus_get()).startswith(str(entry)), message="the field focused")
    subprocess.run(["xdotool", "type", "--delay", "40", text], check=True, timeout=30)
    session.wait(lambda: variable.get() == text, message=f"{text!r} typed")


def click_row(session, listview, key) -> None:
    """Click the row of ``key`` in a list."""
    iid = listview._iids[key]
    listview.tree.see(iid)
    session.wait(lambda: listview.tree.bbox(iid), message="the row on screen")
    x, y, _width, height = listview.tree.bbox(iid)
    tree = listview.tree
    subprocess.run(["xdotool", "mousemove", "--sync", str(tree.winfo_rootx() + x + 12),
                    str(tree.winfo_rooty() + y + height // 2), "click", "1"], check=True, timeout=10)
    session.wait(lambda: listview.selected_key() == key, message=f"row {key} selected")


def row_values(listview, key) -> tuple[str, ...]:
    iid = listview._iids.get(key)
    return tuple(listview.tree.item(iid, "values")) if iid is not None else ()


def test_a_typed_order_is_previewed_routed_filled_and_shown_with_its_children(session):
    page = show_router(session)
    assert page.asset.get() == "SOL" and page.side.get() == "buy" and page.order_type.get() == "market"
    type_into(session, page.quantity_entry, page.quantity, "500")

    # The engine's live preview of exactly this ticket arrives and fills the preview column.
    session.wait(lambda: page.shown_plan is not None and page.shown_plan.children, message="a preview with children")
    sent = [c for c in session.router_commands() if isinstance(c, PreviewRoute)]
    assert [(c.side, c.asset, c.quantity) for c in sent] == [("buy", "SOL", 500.0)]  # debounced: one request
    assert page.headline.text.startswith("buy 500 SOL: pays ")

    # The cost ladder draws the preview it is given: one line per source with its ladder, a dot where the split
    # stops on each source it uses.
    ladder = page.ladder_chart

    def ladder_is_the_preview():
        # Read at one instant: the preview is recomputed several times a second and the page follows it.
        plan = page.shown_plan
        if (ladder.built and not ladder.needs_redraw() and plan is not None
                and ladder.shown == present.ladder_model(plan, present.source_colours(plan))):
            return plan, ladder.shown, ladder.points.get_data()
        return None

    plan, model, (dots_x, dots_y) = session.wait(ladder_is_the_preview,
                                                 message="the ladder drawn from the page's preview")
    assert ladder.surface.full_draws >= 1
    with_ladders = [o for o in plan.options if o.ladder]
    assert [line.source for line in model.lines] == [o.source for o in with_ladders] and len(with_ladders) >= 5
    for option in with_ladders:
        line = ladder.lines[option.source]
        xs, ys = line.get_data()
        assert line.get_visible() and len(xs) == len(option.ladder) >= 2
        assert list(xs) == pytest.approx([q for q, _ in option.ladder])
        assert list(ys) == pytest.approx([price for _, price in option.ladder])
        assert line.get_color() == present.source_colours(plan)[option.source]
    assert sorted(dots_x) == pytest.approx(sorted(c.quantity for c in plan.children), rel=1e-6)
    ylow, yhigh = ladder.axes.get_ylim()
    assert all(ylow <= y <= yhigh for y in dots_y)  # every stop of the split is on the chart

    # The split bar: one segment per child, in its source's colour on screen.
    split = page.split_chart
    session.wait(lambda: split.built and split.shown is not None and split.shown.segments and not split.needs_redraw()
                 and split.shown == present.split_model(page.shown_plan, present.source_colours(page.shown_plan)),
                 message="the split bar drawn from the page's preview")
    plan = page.shown_plan
    assert {s.source for s in split.shown.segments} == {c.source for c in plan.children}
    for segment in split.shown.segments:
        assert split.colour_at(segment.source) == segment.colour
    assert {row.key for row in present.option_rows(plan, {}) if row.values[2]} == {c.source for c in plan.children}

    # Route: the order goes out as typed, is accepted, fills, and its children are listed.
    click(page.route_button, session.pump)
    session.wait(lambda: any(isinstance(c, RouteOrder) for c in session.commands), message="the order sent")
    assert [c for c in session.router_commands() if isinstance(c, RouteOrder)] == [RouteOrder("buy", "SOL", 500.0)]
    session.wait(lambda: row_values(page.orders, 1)[3:4] == ("filled",), timeout=60, message="the order filled")
    order = next(o for o in page.snapshot.router.orders if o.order_id == 1)
    assert order.state == "filled" and order.children
    values = row_values(page.orders, 1)
    assert values[:3] == ("#1", "buy 500 SOL", "market")
    assert values[4] == f"{round(order.filled, 3):g}/500" and values[5] == f"{order.average_price:.4f}"
    # The total on the page is the desk's: filled x average, everything included.
    assert f"paid {order.filled * order.average_price:,.2f} USDT" in page.order_detail.text
    assert page.answer.text.startswith("route #1 accepted: buy 500 SOL market") and page.answer.fg == theme.GREEN
    session.wait(lambda: len(page.children.tree.get_children()) == len(order.children), message="the children")
    for c in order.children:
        shown = row_values(page.children, c.child_id)
        assert shown[:3] == (c.child_id, c.state, c.source)
        assert shown[4:6] == (f"{c.expected_price:.3f}", f"{c.average_price:.3f}" if c.filled else "—")
    assert page.children_title.text == f"CHILDREN OF #1 · {len(order.children)}"
    assert page.cancel_button.cget("state") == "disabled"  # nothing to cancel on a filled order

    # Another desk shown: nobody looks at the preview, so the engine stops computing it.
    assert session.snapshot().router.preview is not None
    click(session.app.desk_bar.tabs["treasury"], session.pump)
    session.wait(lambda: session.snapshot().router.preview is None, message="the preview dropped")
    assert session.router_commands()[-1] == PreviewRoute(quantity=0.0)


def test_an_invalid_quantity_shows_one_line_and_sends_nothing(session):
    page = show_router(session)
    type_into(session, page.quantity_entry, page.quantity, "abc")
    session.wait(lambda: page.ticket_line.text == "quantity: 'abc' is not a number", message="the error line")
    assert page.ticket_line.fg == theme.RED
    click(page.route_button, session.pump)
    session.wait(lambda: page._preview_after is None, message="the debounced preview ran")
    frames = len(session.app.frame_times_ms)
    session.wait(lambda: len(session.app.frame_times_ms) >= frames + 10, message="10 more polls")
    assert page.ticket_line.text == "quantity: 'abc' is not a number" and page.ticket_line.fg == theme.RED
    assert session.router_commands() == [] and page.sent == []
    assert page.snapshot.router.orders == () and page.answer.text == ""
    assert page.shown_plan is None and page.headline.text == "fix the ticket to preview its route"


def test_cancel_turns_a_resting_limit_order_cancelled(session):
    page = show_router(session)
    type_into(session, page.quantity_entry, page.quantity, "5")
    click(page.type_bar.buttons["limit"], session.pump)
    session.wait(lambda: page.order_type.get() == "limit" and page.limit_entry.cget("state") == "normal",
                 message="limit chosen")
    type_into(session, page.limit_entry, page.limit_price, "1.0")
    click(page.route_button, session.pump)
    session.wait(lambda: row_values(page.orders, 1)[3:4] == ("pending",), message="the limit order resting")
    session.wait(lambda: "waiting for an ask at or better than 1" in page.order_detail.text, message="why it waits")
    assert [c for c in session.router_commands() if isinstance(c, RouteOrder)] == [
        RouteOrder("buy", "SOL", 5.0, "limit", 1.0, "wait")]

    click_row(session, page.orders, 1)
    session.wait(lambda: page.cancel_button.cget("state") == "normal", message="cancel enabled")
    assert page.cancel_button.cget("text") == "Cancel #1"
    click(page.cancel_button, session.pump)
    session.wait(lambda: row_values(page.orders, 1)[3:4] == ("cancelled",), message="the order cancelled")
    assert CancelRoute(1) in session.commands
    assert next(o for o in page.snapshot.router.orders if o.order_id == 1).state == "cancelled"
    session.wait(lambda: page.cancel_button.cget("state") == "disabled", message="nothing left to cancel")
    assert page.answer.text == "route #1 cancelled" and page.execution_header.cget("text") == \
        "EXECUTION · 1 cancelled"


def test_the_dlmm_histogram_draws_the_pools_bins_with_the_active_one_highlighted(session):
    app = session.app
    page = show_router(session)
    # The page fits the 1600x950 window, its columns unsqueezed.
    min_width, min_height = (int(v) for v in app.tk.splitlist(app.tk.call("wm", "minsize", app._w)))
    assert min_width <= 1600 and min_height <= 950, (min_width, min_height)
    session.wait(lambda: all(c.winfo_width() >= c.winfo_reqwidth() for c in page.columns), message="laid out")
    chart = page.bins_chart

    def pool(name):
        return next(p for p in page.snapshot.router.pools if p.name == name)

    def drawn(name):
        return (chart.built and not chart.needs_redraw() and chart.shown is not None and chart.shown.pool == name
                and chart.shown == present.bins_model(pool(name)))

    session.wait(lambda: drawn("meteora_sol_usdc"), message="the SOL pool's bins drawn")  # the ticket's asset

    def bars_are_the_bins(name):
        shown = chart.shown
        bins = pool(name).bins
        visible = [bar for bar in chart.bars if bar.get_visible()]
        assert len(visible) == len(bins) == len(shown.prices) >= 10
        for bar, (price, liquidity), colour in zip(visible, bins, shown.colours()):
            assert bar.get_height() == pytest.approx(liquidity, rel=1e-9, abs=1e-6)
            assert bar.get_x() + bar.get_width() / 2 == pytest.approx(price)
            assert bar.get_facecolor()[:3] == pytest.approx(tuple(int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)))
        active = [i for i, colour in enumerate(shown.colours()) if colour == present.BIN_ACTIVE_COLOUR]
        assert active == [shown.active] and abs(bins[shown.active][0] / pool(name).mid - 1) < 0.01
        assert sum(bar.get_height() for bar in visible) > 0
        low, high = chart.axes.get_xlim()
        assert low < bins[0][0] and bins[-1][0] < high

    bars_are_the_bins("meteora_sol_usdc")
    assert chart.surface.full_draws >= 1
    # Another DLMM pool clicked in the pools list: the histogram shows its bins.
    click_row(session, page.pools, "meteora_eth_usdc")
    session.wait(lambda: drawn("meteora_eth_usdc"), message="the ETH pool's bins drawn")
    bars_are_the_bins("meteora_eth_usdc")
    assert page.bins_title.text == "BIN LIQUIDITY · meteora_eth_usdc"
    assert page.pool_detail.text.startswith("meteora_eth_usdc · dlmm ETH/USDC · mid ")
    # The pools list shows every pool, and the OTC counterparties and the wallet are there.
    assert {row.key for row in present.pool_rows(page.snapshot.router)} == set(page.pools._iids)
    assert len(page.otc.tree.get_children()) == len(page.snapshot.router.otc) > 0
    assert page.wallet.text == present.wallet_text(page.snapshot.router) and "SOL" in page.wallet.text
    assert not math.isnan(pool("meteora_eth_usdc").mid)
