"""The first-start welcome, the About button, and the window's start-up order (first frame, then charts)."""

from __future__ import annotations

import tkinter as tk

import pytest

from octo_desktop.gui import presenters
from octo_desktop.storage import open_store
from tests.fakes.window import WindowSession, start_runtime

pytestmark = pytest.mark.gui


def _texts(widget) -> list[str]:
    found = []
    for child in widget.winfo_children():
        if isinstance(child, tk.Label):
            found.append(child.cget("text"))
        found.extend(_texts(child))
    return found


@pytest.fixture
def session_factory(tmp_path):
    sessions = []

    def make(welcome: bool) -> WindowSession:
        session = WindowSession(start_runtime(tmp_path / "octo.db"), welcome=welcome)
        sessions.append(session)
        return session

    yield make
    for session in sessions:
        session.close()


def test_first_start_shows_the_welcome_and_dismissing_it_is_remembered(session_factory, tmp_path):
    session = session_factory(welcome=True)
    app = session.app
    session.wait(lambda: app.welcome_dialog is not None and app.welcome_dialog.winfo_viewable(),
                 message="welcome shown after the first frame")
    assert app.first_frame_at is not None
    dialog = app.welcome_dialog
    text = " ".join(_texts(dialog))
    assert "paper" in text and "no exchange keys" in text
    assert "simulated market" in text  # it says which market is running
    assert "Other arbitrageurs trade it too" in text  # and that others race Octo there
    assert str(tmp_path / "octo.db") in text  # and where the trader's data is
    assert "recordings" in text

    dialog.button.invoke()
    session.wait(lambda: app.welcome_dialog is None, message="welcome dismissed")
    session.pump_for(0.3)
    session.close()
    store = open_store(tmp_path / "octo.db")
    try:
        settings = store.load().settings
    finally:
        store.close()
    assert settings.get(presenters.WELCOME_SETTING) is True
    assert not presenters.wants_welcome(False, False, settings)  # so the next start opens without it


def test_about_button_opens_one_welcome_at_a_time(session_factory):
    session = session_factory(welcome=False)
    app = session.app
    session.wait(lambda: app.first_frame_at is not None, message="first frame")
    session.pump_for(0.2)
    assert app.welcome_dialog is None  # not a first start
    app.control_bar.about_button.invoke()
    session.wait(lambda: app.welcome_dialog is not None and app.welcome_dialog.winfo_viewable(),
                 message="About opens the welcome")
    first = app.welcome_dialog
    app.control_bar.about_button.invoke()
    session.pump()
    assert app.welcome_dialog is first
    first.dismiss()
    session.wait(lambda: app.welcome_dialog is None, message="closed")


def test_tables_come_first_and_the_charts_follow_without_blocking_the_window(session_factory):
    session = session_factory(welcome=False)
    app = session.app
    page = app.desk("arbitrage")
    session.wait(lambda: app.first_frame_at is not None, message="first frame")
    # The first frame shows the market tables; matplotlib loads in the background after it.
    assert page.market_view is not None and app.snapshot is not None
    session.wait(lambda: app.charts_ready, timeout=30, message="charts built")
    for slot in app.charts:
        assert slot.chart is not None
        assert slot.chart.widget.winfo_manager() == "pack"  # inside its slot, where the layout put it
    session.wait(lambda: page.heatmap.model is not None and page.heatmap.surface.blits + page.heatmap.surface.full_draws > 0,
                 message="the heatmap got the model sent before it existed, and drew it")
