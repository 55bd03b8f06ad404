"""Column 1's order flow and adaptive threshold, and column 4's AI log and spoofing tabs, in the real
window on the real runtime thread (simulated market with spoofs and dislocations made frequent, at
--speed 10 except for the frame-time check). The OpenAI advisor is driven through ``FakeChatServer``,
a loopback Chat Completions server that answers SKIP and WAIT and one malformed reply on cue, so every
filter has rows to keep.
"""

from __future__ import annotations

import math

import pytest

from octo_desktop.gui import presenters, theme
from tests.fakes.chat_server import FakeChatServer
from tests.fakes.window import WindowSession, start_runtime

pytestmark = pytest.mark.gui

BUSY_MARKET = ["simulation.spoofs_per_minute=60", "simulation.dislocations_per_minute=6", "risk.pair_cooldown_s=5"]
COLUMNS = [title for title, _ in presenters.ADVICE_COLUMNS]
VERDICT = COLUMNS.index("verdict")
BY = COLUMNS.index("by")


class Session(WindowSession):
    """A started runtime (--speed 10 unless told) on the busy market, and its window."""

    def __init__(self, db_path, overrides, speed: float = 10.0) -> None:
        super().__init__(start_runtime(db_path, BUSY_MARKET + list(overrides), speed), wait_timeout=60.0)


@pytest.fixture
def session(tmp_path):
    session = Session(tmp_path / "octo.db", [])
    try:
        yield session
    finally:
        session.close()


@pytest.fixture
def real_time_session(tmp_path):
    session = Session(tmp_path / "octo.db", [], speed=1.0)
    try:
        yield session
    finally:
        session.close()


@pytest.fixture
def openai_session(tmp_path):
    with FakeChatServer() as server:
        for _ in range(3):
            server.answer("SKIP", 0.7, "sell venue book looks spoofed")
        server.answer("WAIT", 0.6, "flow runs against both legs")
        server.malformed("{not json")  # the rule advisor stands in, and says why
        server.answer("SKIP", 0.9, "route lost on its last trades")
        overrides = ['advisor.kind="openai"', f'advisor.base_url="{server.base_url}"', 'advisor.model="gpt-4o"']
        session = Session(tmp_path / "octo.db", overrides)
        try:
            yield session
        finally:
            session.close()


def number(text: str) -> float:
    """Read a number as the window shows it: a true minus, an arrow or dot in front, "k" for thousands."""
    text = text.replace(presenters.MINUS, "-").lstrip("↑↓· ").strip()
    if text.endswith("k"):
        return float(text[:-1]) * 1000
    return float(text)


def shown_as(value: float, text: str):
    """Return ``value`` as pytest.approx within the rounding of ``text`` ("+1.2k": 50, "−0.61": 0.005)."""
    digits = text.rstrip("k")
    decimals = len(digits.split(".")[1]) if "." in digits else 0
    unit = 1000 if text.endswith("k") else 1
    return pytest.approx(value, abs=0.5 * 10 ** -decimals * unit * 1.001 + 1e-9)


def shown_rows(listview) -> list[tuple[str, ...]]:
    """Return the values of every row the Treeview holds, top to bottom."""
    return [tuple(str(v) for v in listview.tree.item(iid)["values"]) for iid in listview.tree.get_children()]


def assert_flow_matches(view, signals) -> None:
    for index, flow in enumerate(signals.flows):
        venue, imbalance, cvd, drift, direction, suspect = view.flow.row_texts(index)
        assert venue == flow.venue
        assert number(imbalance) == shown_as(flow.book_imbalance, imbalance)
        assert number(cvd) == shown_as(flow.cvd, cvd)
        if math.isnan(flow.vwap_drift_bps):
            assert drift == presenters.DASH
        else:
            assert number(drift) == shown_as(flow.vwap_drift_bps, drift)
        assert number(direction) == shown_as(flow.direction, direction)
        expected_arrow = ("↑" if flow.direction >= presenters.DIRECTION_NEUTRAL
                          else "↓" if flow.direction <= -presenters.DIRECTION_NEUTRAL else "·")
        assert direction.startswith(expected_arrow)
        assert (suspect != "") == flow.suspect


def test_order_flow_rows_and_the_threshold_line_match_the_snapshot(session):
    app = session.app
    page = app.desk("arbitrage")
    view = page.market_view
    session.wait(lambda: app.snapshot is not None and app.snapshot.signals.get(page.symbol) is not None
                 and any(f.volume > 0 for f in app.snapshot.signals[page.symbol].flows),
                 message="order flow with trades")
    snapshot = app.snapshot  # the snapshot the window shows: nothing renders until the next pump
    signals = snapshot.signals[page.symbol]

    assert view.flow.visible_rows == len(signals.flows) == len(snapshot.venues)
    assert_flow_matches(view, signals)
    assert any(text for index in range(len(signals.flows)) for text in view.flow.row_texts(index)[1:4]
               if text != presenters.DASH)
    multiplier = app.runtime.config.strategy.vol_multiplier
    assert view.threshold.text == (f"min net spread {signals.threshold_bps:.1f} bps = base {signals.base_bps:.1f}"
                                   f" + {multiplier:.1f} × vol {signals.volatility_bps:.2f} bps")
    assert view.market_direction.text.startswith("market ")
    market = view.market_direction.text[len("market "):]
    assert number(market) == shown_as(signals.market_direction, market)
    for row, symbol in enumerate(snapshot.symbols):
        symbol_text, threshold = view.summary.row_texts(row)[0], view.summary.row_texts(row)[5]
        assert symbol_text == symbol
        assert number(threshold) == shown_as(snapshot.signals[symbol].threshold_bps, threshold)


def test_choosing_another_symbol_shows_its_order_flow(session):
    app = session.app
    view = app.desk("arbitrage").market_view
    session.wait(lambda: app.snapshot is not None and "ETH/USDT" in app.snapshot.signals, message="signals")

    app.desk("arbitrage").choose_symbol("ETH/USDT")
    session.pump()

    assert view.flow_caption.cget("text") == "ORDER FLOW · ETH/USDT"
    assert_flow_matches(view, app.snapshot.signals["ETH/USDT"])


def test_the_ai_log_tab_lists_the_rule_advisors_decisions_and_execute_keeps_only_executes(session):
    app = session.app
    view = app.desk("arbitrage").account_view
    session.pump()
    assert view.pages["Decisions"].winfo_ismapped() and not view.pages["AI log"].winfo_ismapped()
    session.wait(lambda: app.snapshot is not None and app.snapshot.advisor is not None
                 and len(app.snapshot.advisor.log) >= 3, message="three advised opportunities")

    view.log_tabs.buttons["AI log"].invoke()
    session.pump()

    assert view.tab == "AI log"
    assert view.pages["AI log"].winfo_ismapped() and not view.pages["Decisions"].winfo_ismapped()
    log = app.snapshot.advisor.log
    rows = shown_rows(view.advice)
    assert len(rows) == min(len(log), presenters.LOG_ROWS)
    newest = log[0]
    assert rows[0][:5] == (presenters.format_clock(newest.time),
                           f"{presenters.short_symbol(newest.symbol)} {newest.buy_venue}→{newest.sell_venue}",
                           "rule", newest.verdict, f"{newest.confidence:.2f}")
    assert view.advisor_title.text == "rule · rules"

    view.advice_filter.buttons["EXECUTE"].invoke()
    session.pump()

    rows = shown_rows(view.advice)
    executes = [r for r in app.snapshot.advisor.log if r.verdict == "EXECUTE"][:presenters.LOG_ROWS]
    assert rows and len(rows) == len(executes)
    assert all(row[VERDICT] == "EXECUTE" for row in rows)


def test_the_ai_log_tab_keeps_refreshing_in_real_time(real_time_session):
    session = real_time_session
    app = session.app
    view = app.desk("arbitrage").account_view
    view.log_tabs.buttons["AI log"].invoke()
    session.wait(lambda: len(shown_rows(view.advice)) >= 3, timeout=90, message="AI log rows")
    frames, rows = len(app.frame_times_ms), len(app.snapshot.advisor.log)
    # The frame time with the AI log shown is measured by python -m benchmarks.gui (poll_ms_ai_log).
    session.wait(lambda: len(app.frame_times_ms) >= frames + 20, timeout=30, message="20 more frames")
    assert view.tab == "AI log" and len(shown_rows(view.advice)) >= min(rows, 3)


def test_switching_tabs_never_moves_the_rest_of_the_column(session):
    app = session.app
    view = app.desk("arbitrage").account_view
    heights = {}
    for tab in presenters.LOG_TABS:
        view.log_tabs.buttons[tab].invoke()
        session.pump()
        heights[tab] = (view.frame.winfo_reqheight(), view.log_tabs.winfo_y())
    assert len(set(heights.values())) == 1, heights
    assert view.frame.winfo_reqheight() <= view.frame.winfo_height()
    for frame in app.desk("arbitrage").columns:
        assert max(child.winfo_reqwidth() for child in frame.winfo_children()) <= frame.winfo_width()


def test_the_spoofing_tab_lists_the_detected_events(session):
    app = session.app
    view = app.desk("arbitrage").account_view
    session.wait(lambda: app.snapshot is not None and app.snapshot.spoof_count > 0, message="a spoofing event")

    view.log_tabs.buttons["Spoofing"].invoke()
    session.pump()

    snapshot = app.snapshot
    rows = shown_rows(view.spoofs)
    events = snapshot.spoof_events[:presenters.LOG_ROWS]
    assert len(rows) == len(events) > 0
    first = events[0]
    assert rows[0] == (presenters.format_clock(first.time), first.venue, presenters.short_symbol(first.symbol),
                       first.side, presenters.format_price(first.price), presenters.format_size(first.size),
                       f"{first.lifetime_s:.1f}s", f"{first.distance_bps:.1f}")
    assert view.spoof_summary.text.startswith(f"{presenters.plural(snapshot.spoof_count, 'event')} this run")


def shown_after_filter(session, view, choice: str) -> tuple[list[tuple[str, ...]], tuple]:
    """Click the filter ``choice``; return the rows shown and the AI log they were made from."""
    view.advice_filter.buttons[choice].invoke()
    session.pump()
    return shown_rows(view.advice), session.app.snapshot.advisor.log


def test_the_openai_log_shows_spend_and_each_filter_keeps_only_its_verdict_or_the_fallbacks(openai_session):
    session = openai_session
    app = session.app
    view = app.desk("arbitrage").account_view
    view.log_tabs.buttons["AI log"].invoke()

    def logged(predicate) -> int:
        return sum(1 for r in app.snapshot.advisor.log if predicate(r))

    session.wait(lambda: app.snapshot is not None and app.snapshot.advisor is not None
                 and logged(lambda r: r.verdict == "SKIP") >= 4 and logged(lambda r: r.fallback) >= 1
                 and logged(lambda r: r.verdict == "EXECUTE" and r.advisor == "openai") >= 1,
                 message="four skips, a fallback and an execute")
    advisor = app.snapshot.advisor
    assert view.advisor_title.text.startswith("openai · gpt-4o")
    assert view.advisor_spend.text.startswith(f"{presenters.plural(advisor.calls, 'call')} · ")

    for choice in ("SKIP", "EXECUTE", "WAIT"):
        rows, log = shown_after_filter(session, view, choice)
        wanted = [r for r in log if r.verdict == choice][:presenters.LOG_ROWS]
        assert 0 < len(rows) == len(wanted) < len(log), choice
        assert all(row[VERDICT] == choice for row in rows), choice
    assert all(row[BY] == "openai" for row in shown_after_filter(session, view, "SKIP")[0])

    rows, log = shown_after_filter(session, view, "Fallback")
    fallbacks = [r for r in log if r.fallback][:presenters.LOG_ROWS]
    assert 0 < len(rows) == len(fallbacks) < len(log)
    assert all(row[BY] == "rule*" for row in rows)

    chosen = fallbacks[0]
    view.advice.select(chosen.advice_id)
    session.pump()
    assert view.selected_advice == chosen.advice_id
    assert chosen.fallback.startswith("openai ")
    assert view.advice_detail.text.split("\n")[1] == presenters.shorten(f"fallback: {chosen.fallback}",
                                                                        presenters.ADVICE_DETAIL_CHARS)
    assert view.advice_detail.fg == theme.AMBER
    tip = view._advice_detail_tip
    tip.show()
    try:
        whole = tip.window.winfo_children()[0].cget("text")
    finally:
        tip.hide()
    assert f"fallback: {chosen.fallback}" in whole and f"reason: {chosen.reason}" in whole
