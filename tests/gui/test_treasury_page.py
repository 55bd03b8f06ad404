"""The treasury page in the real window on a running engine: the ticket's preview, a transfer sent with a
click, its confirmations on the page, and the funds table against the balances."""

from __future__ import annotations

from decimal import Decimal

import pytest

from octo_desktop.domain.commands import RequestTransfer
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


def test_a_transfer_sent_from_the_ticket_is_credited_and_shown_with_its_confirmations(session):
    app = session.app
    session.wait(lambda: app.first_frame_at is not None, message="first frame")
    click(app.desk_bar.tabs["treasury"], session.pump)
    session.wait(lambda: app.shown_desk is not None and app.shown_desk.key == "treasury", message="treasury shown")
    page = app.shown_desk
    session.wait(lambda: page.snapshot is not None and page.snapshot.treasury is not None, message="a snapshot")

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
    assert shown.split()[0] == f"{page.snapshot.balances['okx']['USDT']:,.2f}"
    assert okx_before != page.snapshot.balances["okx"]["USDT"]
