"""The treasury page in the real window on a running engine: the ticket's preview, a transfer sent with a
click, its confirmations on the page, and the balance heatmap and the funds table against the balances."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest

from octo_desktop.domain.commands import Halt, RequestTransfer
from tests.fakes.window import WindowSession, click, start_runtime

pytestmark = pytest.mark.gui
SETTINGS = ['simulation.preset="off"', "treasury.rebalance=false", "risk.breaker_losing_trades=1000",
            "risk.breaker_failed_legs=1000", "risk.daily_loss_limit_pct=100"]


@pytest.fixture
def session(tmp_path):
    session = WindowSession(start_runtime(tmp_path / "octo.db", SETTINGS, speed=20.0), wait_timeout=60.0)
    try:
        yield session
    finally:
        session.close()


DECIMALS = {"USDT": 2, "BTC": 5, "ETH": 4, "SOL": 3}


def show_treasury(session):
    app = session.app
    session.wait(lambda: app.first_frame_at is not None, message="first frame")
    click(app.desk_bar.tabs["treasury"], session.pump)
    session.wait(lambda: app.shown_desk is not None and app.shown_desk.key == "treasury", message="treasury shown")
    page = app.shown_desk
    session.wait(lambda: page.snapshot is not None and page.snapshot.treasury is not None, message="a snapshot")
    return page


def on_canvas(chart, place, asset):
    """The pixels of a heatmap cell in the chart's canvas buffer (what was last blitted to the screen)."""
    x0, y0, x1, y1 = chart.raster.cell_box(chart.shown, place, asset)
    return np.array(np.asarray(chart.surface.canvas.buffer_rgba())[y0:y1, x0:x1, :3], copy=True)


def balance_text(snapshot, place, asset):
    return f"{snapshot.balances.get(place, {}).get(asset, Decimal(0)):,.{DECIMALS[asset]}f}"


def test_a_transfer_sent_from_the_ticket_is_credited_and_shown_with_its_confirmations(session):
    page = show_treasury(session)
    chart = page.balance_chart
    session.wait(lambda: chart.built and chart.shown is not None, message="the balance heatmap drawn")
    wallet_before = chart.shown.cell("wallet", "USDT")
    wallet_pixels = on_canvas(chart, "wallet", "USDT")
    assert wallet_before[0] == balance_text(page.snapshot, "wallet", "USDT") == "20,000.00"

    # The ticket: wallet -> okx, 750 USDT on TRC20; the preview prices it before anything is sent.
    page.source.set("wallet")
    page.destination.set("okx")
    page.asset.set("USDT")
    page.network.set("TRC20")
    page.amount.set("750")
    assert page.update_preview()
    assert page.preview.text.startswith("TRC20: fee 1.00000000 USDT") and "wallet pays 751.00000000 USDT" in page.preview.text
    page.amount.set("lots")
    assert not page.update_preview() and "is not a number" in page.preview.text
    assert page.send_button.cget("state") == "disabled"
    page.amount.set("750")
    session.wait(lambda: page.send_button.cget("state") == "normal", message="send enabled")
    okx_before = page.snapshot.balances["okx"]["USDT"]

    click(page.send_button, session.pump)
    session.wait(lambda: page.sent == [RequestTransfer("wallet", "okx", "USDT", Decimal("750"), "TRC20")],
                 message="the ticket sent")
    rows = lambda: page.transfers.tree.get_children()  # noqa: E731
    session.wait(lambda: len(rows()) == 1, message="the transfer listed")
    first = page.transfers.tree.item(rows()[0], "values")
    assert first[0] == "#1" and first[2] == "750.00 USDT" and first[3] == "wallet→okx" and first[4] == "TRC20"
    assert "chose TRC20" in page.note.text  # why this network, with the alternatives
    # Confirmations come in on the engine clock: 20 blocks of about 3 s, then okx has the amount.
    session.wait(lambda: page.transfers.tree.item(rows()[0], "values")[1] in ("confirming", "credited", "unlocked"),
                 message="confirming")
    session.wait(lambda: page.snapshot.treasury.transfers[0].state == "unlocked", timeout=120,
                 message="credited and unlocked")
    values = page.transfers.tree.item(rows()[0], "values")
    assert values[1] == "unlocked" and values[5] == "20/20"
    wallet_row = len(page._venues)
    assert page.funds.row_texts(wallet_row)[0] == "wallet"
    assert page.funds.row_texts(wallet_row)[-1].strip() == "19,249.00"  # 20000 - 750 - the 1 USDT fee
    okx_row = page._venues.index("okx")
    shown = page.funds.row_texts(okx_row)[-1]
    assert shown.strip() == f"{page.snapshot.balances['okx']['USDT']:,.2f}"
    assert okx_before != page.snapshot.balances["okx"]["USDT"]

    # The heatmap on screen followed: the wallet's cell shows the new balance, its pixels changed, and okx's
    # cell shows what okx holds now with its share of the target.
    session.wait(lambda: chart.shown.cell("wallet", "USDT")[0] == "19,249.00", message="the heatmap updated")
    assert chart.shown.cell("wallet", "USDT")[1:] == wallet_before[1:]  # still no target, same colour
    assert not np.array_equal(on_canvas(chart, "wallet", "USDT"), wallet_pixels)
    session.wait(lambda: chart.shown.cell("okx", "USDT")[0] == balance_text(page.snapshot, "okx", "USDT"),
                 message="okx's cell up to date")
    target = page.snapshot.treasury.targets[("okx", "USDT")]
    assert chart.shown.cell("okx", "USDT")[1] == f"{float(page.snapshot.balances['okx']['USDT'] / target):.0%}"
    assert chart.cell_colour("okx", "USDT") == chart.shown.cell("okx", "USDT")[2]


def test_the_balance_heatmap_shows_every_balance_and_is_not_redrawn_while_they_stand_still(session):
    app = session.app
    page = show_treasury(session)
    chart = page.balance_chart
    session.wait(lambda: chart.built and chart.shown is not None, message="the balance heatmap drawn")
    # The page fits the 1600x950 window: the window needs no more than that for it.
    min_width, min_height = (int(v) for v in app.tk.splitlist(app.tk.call("wm", "minsize", app._w)))
    assert min_width <= 1600 and min_height <= 950, (min_width, min_height)
    assert all(column.winfo_width() >= column.winfo_reqwidth() for column in page.columns)

    # Halted, nothing trades: balances stand still while snapshots keep coming (the market moves).
    session.runtime.submit(Halt("test"))
    session.wait(lambda: page.snapshot.risk.state.upper() == "HALTED", message="halted")

    def still_window():
        balances, renders, sequence = page.snapshot.balances, chart.renders, page.snapshot.sequence
        frames = len(app.frame_times_ms)
        session.wait(lambda: len(app.frame_times_ms) >= frames + 40, message="40 polls")
        return page.snapshot.balances == balances and page.snapshot.sequence > sequence, chart.renders - renders

    session.wait(lambda: not chart.needs_redraw(), message="the heatmap up to date")
    for _ in range(5):  # an unwind right after the halt may still move a balance: look again
        still, renders = still_window()
        if still:
            break
    assert still, "the balances never stood still for 40 polls"
    assert renders == 0, f"the heatmap was redrawn {renders} times while the balances stood still"

    # What the chart shows is the engine's state, cell by cell, with each cell's colour on the canvas.
    snapshot = page.snapshot
    session.wait(lambda: not chart.needs_redraw(), message="the heatmap up to date")
    for place in chart.shown.places:
        for asset in chart.shown.assets:
            balance, share, colour = chart.shown.cell(place, asset)
            assert balance == balance_text(snapshot, place, asset), (place, asset)
            target = snapshot.treasury.targets.get((place, asset)) if place != "wallet" else None
            assert share == (f"{float(snapshot.balances[place][asset] / target):.0%}" if target else "no target")
            corner = on_canvas(chart, place, asset)[1, 1]
            assert f"#{corner[0]:02x}{corner[1]:02x}{corner[2]:02x}" == colour == chart.cell_colour(place, asset)
    assert len({chart.cell_colour(place, asset) for place in chart.shown.places for asset in chart.shown.assets}) > 1
