"""The real window on the real runtime thread, under Xvfb: built without mainloop, pumped with pump_tk."""

from __future__ import annotations


import numpy as np
import pytest

from octo_desktop.storage import open_store
from tests.fakes.window import WindowSession, click, start_runtime

pytestmark = pytest.mark.gui


class Session(WindowSession):
    """The default simulated market in real time, and its window."""

    def __init__(self, db_path) -> None:
        self.db_path = db_path
        super().__init__(start_runtime(db_path))

    def wait_for_data(self):
        self.wait(lambda: self.app.snapshot is not None and self.app.charts_ready
                  and self.app.desk("arbitrage").heatmap.model is not None, message="first snapshot shown")


@pytest.fixture
def session(tmp_path):
    session = Session(tmp_path / "octo.db")
    try:
        yield session
    finally:
        session.close()


def engine_risk_state(runtime) -> str:
    snapshot = runtime.latest_snapshot()
    return snapshot.risk.state if snapshot is not None else ""


def test_window_opens_with_four_columns_and_the_octo_title(session):
    app = session.app
    page = app.desk("arbitrage")
    session.wait(lambda: app.winfo_viewable() and page.columns[3].winfo_width() > 1, message="window mapped")
    assert app.title().startswith("Octo")
    assert "simulated market" in app.title()
    infos = [frame.grid_info() for frame in page.columns]
    assert [int(info["column"]) for info in infos] == [0, 1, 2, 3]
    assert all(int(info["row"]) == 0 and info["sticky"] == "nesw" for info in infos)
    xs = [frame.winfo_x() for frame in page.columns]
    assert xs == sorted(xs) and all(frame.winfo_width() > 250 for frame in page.columns)
    assert (app.winfo_width(), app.winfo_height()) == (1600, 950)


def test_heatmap_image_and_price_labels_change_while_the_engine_runs(session):
    app = session.app
    page = app.desk("arbitrage")
    session.wait_for_data()
    session.wait(lambda: page.heatmap.surface.blits > 0, message="heatmap drawn")
    image = np.array(page.heatmap.image.get_array(), copy=True)
    prices = [page.market_view.prices.row_texts(row) for row in range(len(page.market_view.prices.cells))]
    assert any(text not in ("", "—") for row in prices for text in row[2:4])

    session.wait(lambda: page.market_view.prices.row_texts(0) != prices[0]
                 or any(page.market_view.prices.row_texts(r) != prices[r] for r in range(len(prices))),
                 message="price labels changed")
    session.wait(lambda: not np.array_equal(np.asarray(page.heatmap.image.get_array()), image),
                 timeout=30, message="heatmap image changed")


def test_kill_switch_button_halts_the_engine_and_resume_resumes_it(session):
    app = session.app
    session.wait_for_data()
    assert engine_risk_state(session.runtime) == "ACTIVE"

    app.kill_button.invoke()
    session.wait(lambda: engine_risk_state(session.runtime) == "HALTED", message="engine halted")
    session.wait(lambda: app.kill_button.cget("text") == "Resume trading", message="button became Resume trading")

    app.kill_button.invoke()
    session.wait(lambda: engine_risk_state(session.runtime) == "ACTIVE", message="engine resumed")
    session.wait(lambda: app.kill_button.cget("text") == "KILL SWITCH (Ctrl+K)",
                 message="button back to KILL SWITCH (Ctrl+K)")


def test_ctrl_k_halts_the_engine(session):
    app = session.app
    session.wait_for_data()
    app.focus_force()
    session.pump()

    app.event_generate("<Control-k>")
    session.wait(lambda: engine_risk_state(session.runtime) == "HALTED", message="engine halted by Ctrl+K")


def test_closing_the_window_stops_the_runtime_and_saves_the_window_size(session):
    session.wait_for_data()

    session.app.close()  # how fast it closes is measured by python -m benchmarks.gui (close_s)

    assert not session.runtime.is_running
    store = open_store(session.db_path)
    try:
        assert store.load().settings.get("window_geometry") == "1600x950"
    finally:
        store.close()


def test_window_size_and_symbol_are_remembered_across_runs(session):
    app = session.app
    page = app.desk("arbitrage")
    session.wait_for_data()
    page.choose_symbol("ETH/USDT")
    session.wait(lambda: "ETH/USDT" in page.market_view.prices_caption.cget("text"))
    app.close()

    second = Session(session.db_path)
    try:
        assert second.runtime.settings.get("window_geometry") == "1600x950"
        assert second.runtime.settings.get("symbol") == "ETH/USDT"
        assert second.app.desk("arbitrage").symbol == "ETH/USDT"
        assert second.app.desk("arbitrage").market_view.symbol_picker.get() == "ETH/USDT"
    finally:
        second.close()


def test_choosing_a_venue_pair_charts_it_and_stops_following_the_best(session):
    app = session.app
    page = app.desk("arbitrage")
    session.wait_for_data()

    page.choose_pair("htx", "kucoin")

    assert page.book_view.buy_menu.get() == "htx" and page.book_view.sell_menu.get() == "kucoin"
    assert not page.book_view.follow_var.get()
    session.wait(lambda: page.depth_chart.model is not None
                 and (page.depth_chart.model.buy_venue, page.depth_chart.model.sell_venue) == ("htx", "kucoin"),
                 message="depth chart shows the chosen pair")
    session.wait(lambda: page.heatmap.highlight == ("htx", "kucoin"), message="heatmap outlines the pair")


def test_a_failing_tk_callback_reaches_the_status_bar(session):
    app = session.app
    app.after(0, lambda: 1 / 0)
    session.wait(lambda: "ZeroDivisionError" in app.status_bar.texts()["error"], message="error shown")


def test_every_panel_keeps_refreshing_while_the_market_moves(session):
    app = session.app
    session.wait_for_data()
    frames, blits = len(app.frame_times_ms), [c.surface.blits for c in app.charts]
    events = app.snapshot.events
    # The frame time itself is measured by python -m benchmarks.gui, not asserted here.
    session.wait(lambda: len(app.frame_times_ms) >= frames + 20 and app.snapshot.events > events
                 and all(c.surface.blits > b for c, b in zip(app.charts, blits)),
                 timeout=30, message="20 more frames, new events, every chart redrawn")

def test_the_window_shares_the_interpreter_while_it_is_open_and_gives_it_back(tmp_path):
    import sys

    from octo_desktop.engine.frame_gate import WINDOW_SWITCH_INTERVAL_S

    before = sys.getswitchinterval()  # the interpreter keeps it in microseconds: compare approximately
    assert before != pytest.approx(WINDOW_SWITCH_INTERVAL_S)
    session = WindowSession(start_runtime(tmp_path / "octo.db"))
    try:
        assert sys.getswitchinterval() == pytest.approx(WINDOW_SWITCH_INTERVAL_S)
    finally:
        session.close()
    assert sys.getswitchinterval() == pytest.approx(before)


def test_the_heatmap_shows_spreads_after_transfer_costs_when_ticked(session):
    from octo_desktop.gui.presenters import usable_net_bps

    app = session.app
    page = app.desk("arbitrage")
    view = page.opportunities_view
    session.wait_for_data()
    session.wait(lambda: app.snapshot.matrices[page.symbol].transfer_bps is not None,
                 message="the treasury priced the pairs' transfers")
    assert "after fees" in view.header.cget("text") and not view.with_transfer.get()
    click(view.transfer_toggle._canvas, session.pump)  # a real click on the box
    session.wait(lambda: view.with_transfer.get() and "transfers" in view.header.cget("text"),
                 message="the toggle took")

    def shows_net_less_transfer():
        matrix = app.snapshot.matrices[page.symbol]
        expected = usable_net_bps(matrix) - matrix.transfer_bps
        shown = page.heatmap.model.values if page.heatmap.model is not None else None
        return shown is not None and np.allclose(shown, expected, equal_nan=True)

    session.wait(shows_net_less_transfer, message="the heatmap subtracts each pair's transfer term")
    click(view.transfer_toggle._canvas, session.pump)
    session.wait(lambda: np.allclose(page.heatmap.model.values, usable_net_bps(app.snapshot.matrices[page.symbol]),
                                     equal_nan=True), message="and stops when unticked")
