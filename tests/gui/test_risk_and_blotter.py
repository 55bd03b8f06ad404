"""The blotter's legs, states and rollback steps, and column 4's risk panel, risk log and P&L attribution,
in a real window fed by a ``FakeRuntime`` whose snapshots carry a rolled-back trade and a HALTED risk view."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from octo_desktop.domain.attribution import Attribution
from octo_desktop.domain.commands import Halt, Resume
from octo_desktop.domain.snapshot import RiskEventView, TradeView, frozen_mapping
from octo_desktop.gui import presenters, theme
from tests.fakes.fake_market import FakeRuntime
from tests.fakes.window import FakeWindowSession

pytestmark = pytest.mark.gui

TRADE_ID = 990_001
STEPS = ("retry sell IOC at 60040.00: filled 0.01000",
         "unwind buy 0.02330 MKT on binance @ 59990.10: −0.23 USDT")
BREAKER_REASON = "circuit breaker: 5 losing trades in a row (limit 5), cooling down for 10 minutes"
TOTALS = Attribution(expected=Decimal("41.25"), latency_decay=Decimal("6.50"), slippage=Decimal("2.10"),
                     fees=Decimal("25.40"), rollback=Decimal("3.05"), realized=Decimal("4.20"))


def rolled_back_trade(time: float) -> TradeView:
    return TradeView(
        TRADE_ID, time, "BTC/USDT", "binance", "okx", Decimal("0.01000"), Decimal("60000.10"),
        Decimal("60040.00"), Decimal("1.2004"), Decimal("-0.6100"), "rolled back", 8.0, -10.2,
        planned_quantity=Decimal("0.03330"), buy_filled=Decimal("0.03330"), sell_filled=Decimal("0.01000"),
        buy_order_type="ioc_limit", sell_order_type="post_only", steps=STEPS,
        attribution=Attribution(expected=Decimal("0.40"), latency_decay=Decimal("0.10"),
                                slippage=Decimal("0.02"), fees=Decimal("1.2004"), rollback=Decimal("-0.3104"),
                                realized=Decimal("-0.61")),
        decay_bps=1.7, note="sell leg only partly filled; the rest of the buy was unwound")


class RiskRuntime(FakeRuntime):
    """A fake runtime whose snapshots have a rolled-back trade first and a risk view with events,
    HALTED by the breaker while the fake market is halted, ACTIVE once resumed."""

    def latest_snapshot(self):
        snapshot = super().latest_snapshot()
        now = snapshot.time
        events = (RiskEventView(now - 5, "ACTIVE", "HALTED", "circuit breaker", BREAKER_REASON),
                  RiskEventView(now - 30, "ACTIVE", "ACTIVE", "venue health", "htx excluded: stale for 12 s"))
        halted = self.market.halted
        risk = replace(
            snapshot.risk, state="HALTED" if halted else "ACTIVE", reason=BREAKER_REASON if halted else "",
            events=events, excluded_venues=frozen_mapping({"htx": "stale for 12 s"}),
            consecutive_losses=5, breaker_losing_trades=5, failed_legs=1, breaker_failed_legs=6,
            breaker_until=now + 600 if halted else None,
            exposure_usdt=frozen_mapping({"BTC": Decimal("-4321"), "ETH": Decimal("800")}),
            max_exposure_usdt=Decimal("5000"), attribution=TOTALS, resting_orders=2)
        return replace(snapshot, trades=(rolled_back_trade(now - 1),) + snapshot.trades, risk=risk,
                       engine_state="halted" if halted else "running")


def risk_session() -> FakeWindowSession:
    """A window on a ``RiskRuntime`` halted by the breaker."""
    runtime = RiskRuntime()
    runtime.market.apply(Halt("breaker"))
    return FakeWindowSession(runtime)


@pytest.fixture
def fake():
    session = risk_session()
    try:
        yield session
    finally:
        session.close()


def blotter_row(app, key):
    """Return (values, tags) of the blotter row of ``key`` as the Treeview holds them."""
    blotter = app.desk("arbitrage").book_view.blotter
    iid = blotter._iids.get(key)
    if iid is None:
        return (), ()
    item = blotter.tree.item(iid)
    return tuple(str(v) for v in item["values"]), tuple(item["tags"])


def test_the_blotter_row_shows_order_types_fills_state_and_the_steps_marker(fake):
    app = fake.app
    page = app.desk("arbitrage")
    fake.wait(lambda: blotter_row(app, TRADE_ID)[0], message="rolled-back trade in the blotter")
    values, tags = blotter_row(app, TRADE_ID)
    columns = [title for title, _ in presenters.BLOTTER_COLUMNS]
    shown = dict(zip(columns, values))
    assert shown["buy leg"] == "IOC full"
    assert shown["sell leg"] == "POST 30%"
    assert shown["state"] == "rolled back ↺2"
    assert shown["P&L"] == "−0.61"
    assert tags == ("alert",)
    assert str(page.book_view.blotter.tree.tag_configure("alert", "foreground")) == theme.ORANGE
    assert page.book_view.blotter.tree.get_children()[0] == page.book_view.blotter._iids[TRADE_ID]  # newest first


def test_choosing_a_trade_shows_its_steps_note_and_attribution_under_the_blotter(fake):
    app = fake.app
    page = app.desk("arbitrage")
    fake.wait(lambda: blotter_row(app, TRADE_ID)[0], message="rolled-back trade in the blotter")
    assert page.book_view.trade_detail.text.startswith("recent trades: ")

    page.book_view.blotter.select(TRADE_ID)
    fake.pump()

    detail = page.book_view.trade_detail
    assert page.book_view.selected_trade == TRADE_ID
    assert detail.text.startswith(f"#{TRADE_ID} BTC/USDT binance→okx · rolled back")
    assert f"↺ 1. {STEPS[0]}" in detail.text and f"↺ 2. {STEPS[1]}" in detail.text
    assert "note: sell leg only partly filled" in detail.text
    assert "fees −1.2004 · rollback +0.3104 = realized −0.6100" in detail.text
    assert detail.fg == theme.ORANGE


def test_hovering_a_blotter_row_opens_a_tooltip_with_that_trade(fake):
    app = fake.app
    fake.wait(lambda: blotter_row(app, TRADE_ID)[0], message="rolled-back trade in the blotter")
    blotter = app.desk("arbitrage").book_view.blotter
    fake.wait(lambda: blotter.tree.bbox(blotter._iids[TRADE_ID]), message="row laid out")
    x, y, _, height = blotter.tree.bbox(blotter._iids[TRADE_ID])
    blotter.tree.event_generate("<Motion>", x=x + 5, y=y + height // 2)
    assert blotter.key_at(y + height // 2) == TRADE_ID

    blotter.row_tip.show()
    try:
        text = blotter.row_tip.window.winfo_children()[0].cget("text")
        assert text == presenters.trade_detail(presenters.find_trade(app.snapshot, TRADE_ID))
        assert STEPS[1] in text
    finally:
        blotter.row_tip.hide()


def test_the_risk_panel_shows_halted_the_breaker_the_log_and_the_attribution(fake):
    app = fake.app
    view, strip = app.desk("arbitrage").account_view, app.desk_bar
    fake.wait(lambda: strip.state.text == "HALTED", message="HALTED shown")
    assert strip.state.fg == theme.RED
    assert strip.reason.text == presenters.shorten(BREAKER_REASON, presenters.REASON_CHARS)
    assert strip.reason.fg == theme.RED
    limits = {view.limits.row_texts(row)[0]: view.limits.row_texts(row)[1] for row in range(len(view.limits.cells))}
    assert limits["breaker"].startswith("losses 5/5 · failed legs 1/6 · until ")
    assert limits["max exposure"] == "BTC −4,321 / 5,000 USDT"
    assert limits["excluded"] == "htx: stale for 12 s"
    assert limits["trades"].endswith("· 2 resting orders")

    first = view.risk_log.row_texts(0)[0]
    assert first.split(" ", 1)[1].startswith("ACTIVE→HALTED circuit breaker: circuit break") and first.endswith("…")
    assert len(first) == presenters.RISK_LOG_CHARS
    assert view.risk_log.cells[0][0].fg == theme.RED
    assert view.risk_log.row_texts(1)[0].endswith("ACTIVE venue health: htx excluded: stale for 12 s")
    assert view._risk_log_full[0].endswith(BREAKER_REASON)
    view._risk_log_tips[0].show()
    try:
        assert view._risk_log_tips[0].window.winfo_children()[0].cget("text").endswith(BREAKER_REASON)
    finally:
        view._risk_log_tips[0].hide()

    cells = [text for row in range(3) for text in view.attribution.row_texts(row) if text]
    assert cells == ["expected", "+41.25", "latency decay", "−6.50", "slippage", "−2.10", "fees", "−25.40",
                     "rollback", "−3.05", "realized", "+4.20"]
    assert view.attribution.cells[0][1].fg == theme.GREEN and view.attribution.cells[1][4].fg == theme.RED


def test_the_button_says_resume_trading_while_halted_and_resumes(fake):
    app = fake.app
    fake.wait(lambda: app.kill_button.cget("text") == "Resume trading", message="resume offered")
    assert app.desk_bar.hint.text.startswith("resume")

    app.kill_button.invoke()

    assert isinstance(fake.runtime.submitted[-1], Resume)
    fake.wait(lambda: app.desk_bar.state.text == "ACTIVE", message="ACTIVE shown")
    assert app.desk_bar.state.fg == theme.GREEN
    assert app.kill_button.cget("text") == "KILL SWITCH (Ctrl+K)"
    assert "until" not in app.desk("arbitrage").account_view.limits.row_texts(2)[1]


def test_the_window_keeps_its_size_and_nothing_is_wider_than_its_column(fake):
    app = fake.app
    page = app.desk("arbitrage")
    fake.wait(lambda: app.desk_bar.state.text == "HALTED", message="HALTED shown")
    page.book_view.blotter.select(TRADE_ID)
    for _ in range(5):
        fake.pump()
    for frame in page.columns:
        assert max(child.winfo_reqwidth() for child in frame.winfo_children()) <= frame.winfo_width()
    assert page.account_view.frame.winfo_reqheight() <= page.account_view.frame.winfo_height()
