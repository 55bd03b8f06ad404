"""The base threshold and the minimum score, changed from the window on a real runtime."""

from __future__ import annotations


import pytest

from octo_desktop.storage import open_store
from tests.fakes.window import WindowSession, click, start_runtime

pytestmark = pytest.mark.gui


def click_in(session: WindowSession, widget) -> None:
    click(widget, session.pump)


def type_into(entry, text: str) -> None:
    entry.delete(0, "end")
    entry.insert(0, text)


@pytest.fixture
def session(tmp_path):
    session = WindowSession(start_runtime(tmp_path / "octo.db"))
    yield session
    session.close()


def test_the_threshold_row_opens_a_dialog_whose_values_the_engine_adopts_and_keeps(session, tmp_path):
    page = session.app.desk("arbitrage")
    session.wait(lambda: session.snapshot() is not None and page.snapshot is not None, message="first frame")
    click_in(session, page.account_view.threshold_cell)
    dialog = session.wait(lambda: page.threshold_dialog, message="dialog open")
    type_into(dialog.threshold, "7.5")
    type_into(dialog.min_score, "0.6")
    click_in(session, dialog.apply_button)

    session.wait(lambda: page.threshold_dialog is None, message="dialog closed")
    session.wait(lambda: session.snapshot().threshold_bps == 7.5 and session.snapshot().min_score == 0.6,
                 message="engine adopted the values")
    session.wait(lambda: "7.5 bps · min score 0.60" in page.account_view.threshold_cell.cget("text"),
                 message="column 4 shows them")
    session.close()
    store = open_store(tmp_path / "octo.db")
    try:
        settings = store.load().settings
    finally:
        store.close()
    assert settings["threshold_bps"] == 7.5 and settings["min_score"] == 0.6


def test_a_bad_value_keeps_the_dialog_open_with_the_reason_and_sends_nothing(session):
    page = session.app.desk("arbitrage")
    session.wait(lambda: page.snapshot is not None, message="first frame")
    before = session.snapshot().threshold_bps
    page.edit_thresholds()
    dialog = session.wait(lambda: page.threshold_dialog, message="dialog open")
    type_into(dialog.min_score, "1.5")
    dialog.apply_button.invoke()
    assert dialog.error.cget("text") == "minimum score: from 0 to 1"
    assert page.threshold_dialog is dialog and dialog.winfo_exists()
    session.pump_for(0.3)
    assert session.snapshot().threshold_bps == before and session.snapshot().min_score == 0.45
    dialog.cancel_button.invoke()
    assert page.threshold_dialog is None
