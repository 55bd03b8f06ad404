"""A database that stops taking writes while the window runs: trading halts, and the window says why."""

from __future__ import annotations

from functools import partial

import pytest

from octo_desktop.app import MarketSource, build_runtime, compose
from octo_desktop.config import load_config
from octo_desktop.engine.runtime import Runtime
from octo_desktop.storage import open_store
from tests.fakes.window import WindowSession

pytestmark = [pytest.mark.gui, pytest.mark.integration]


def test_a_full_disk_halts_trading_and_shows_the_reason_in_the_window(tmp_path):
    db = tmp_path / "octo.db"
    seeded = build_runtime(load_config(), db_path=db, speed=None, run_seconds=2.0)
    seeded.start()
    seeded.wait(60)
    # The file may not grow any more: SQLite's own "disk full" once its free pages are used up.
    store = open_store(db, max_size_bytes=db.stat().st_size)
    state = store.load()
    config = load_config(overrides=["simulation.dislocations_per_minute=12"])
    runtime = Runtime(config, store, state, partial(compose, source=MarketSource()), speed=10.0)
    runtime.start()
    session = WindowSession(runtime, wait_timeout=60)
    try:
        app = session.app
        # The path is long, the reason is last: the bar keeps the reason and the tooltip the whole line.
        # A trade's journal entry that failed may show first ("trade #3: journal entry ... disk full"); the
        # storage line replaces it at the next housekeeping tick.
        session.wait(lambda: app.status_bar.texts()["error"].endswith("disk full")
                     and app.status_bar._error_full == f"storage: cannot write {db}: disk full",
                     message="the storage error shown")
        session.wait(lambda: app.desk_bar.state.text == "HALTED", message="trading halted")
        assert app.desk_bar.reason.text.startswith("storage: cannot write octo.db: disk full")
    finally:
        session.close()
    assert runtime.store_error and "not committed" in runtime.store_error and "disk full" in runtime.store_error
