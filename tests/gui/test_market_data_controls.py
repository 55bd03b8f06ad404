"""Venue health, the record toggle and the replay controls, in a real window fed by a ``FakeRuntime``.

The fake serves hand-built snapshots and applies commands at once on this thread, so every state the
engine can report (errors, reconnects, a paused or finished replay) is set up exactly.
"""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import pytest

from octo_desktop.config import default_data_dir
from octo_desktop.domain.commands import ControlReplay, StartRecording, StopRecording
from octo_desktop.gui import presenters, theme
from tests.fakes.window import FakeWindowSession, pump_tk

pytestmark = pytest.mark.gui

ERROR = "kucoin: connect timeout after 10 s while resubscribing to the order book; retry 3 in 4 s"


@pytest.fixture
def fake():
    session = FakeWindowSession()
    try:
        yield session
    finally:
        session.close()


def health_row(app, venue):
    """Return the texts and cells of ``venue``'s health row (empty texts before it is shown)."""
    page = app.desk("arbitrage")
    table = page.market_view.health
    if venue not in page.market_view.health_venues:
        return ("",) * len(table.cells[0]), None
    index = page.market_view.health_venues.index(venue)
    return table.row_texts(index), table.cells[index]


def click(label) -> None:
    label.event_generate("<Button-1>", x=2, y=2)


# --- venue health ------------------------------------------------------------------------------------
def test_every_venue_gets_a_health_row_with_its_state_badge(fake):
    app = fake.app
    fake.wait(lambda: app.desk("arbitrage").market_view.health_venues == fake.runtime.config.venue_names,
              message="health rows")
    texts, cells = health_row(app, "okx")
    assert texts[0] == "SIM" and texts[1] == "okx"
    assert cells[0].bg == theme.RAISED_BG  # a simulated feed is neutral
    assert texts[4] not in ("", presenters.DASH)  # messages per second


def test_a_venue_error_is_shortened_in_its_row_and_whole_in_the_detail_line_once_selected(fake):
    app = fake.app
    page = app.desk("arbitrage")
    fake.runtime.market.venue_errors["kucoin"] = ERROR
    fake.runtime.market.reconnects["kucoin"] = 3
    fake.wait(lambda: health_row(app, "kucoin")[0][6].startswith("kucoin: con"), message="error in the row")
    texts, cells = health_row(app, "kucoin")
    assert len(texts[6]) == presenters.HEALTH_ERROR_CHARS and texts[6].endswith("…")
    assert texts[5] == "3" and cells[5].fg == theme.AMBER

    click(cells[1].label)
    fake.pump()

    assert page.market_view.selected_venue == "kucoin"
    assert page.market_view.health_detail.text.endswith(f"last error: {ERROR}")
    assert cells[1].bg == theme.RAISED_BG  # the selected row is marked


def test_the_error_tooltip_shows_the_whole_error(fake):
    app = fake.app
    page = app.desk("arbitrage")
    fake.runtime.market.venue_errors["kucoin"] = ERROR
    fake.wait(lambda: health_row(app, "kucoin")[0][6], message="error in the row")
    index = page.market_view.health_venues.index("kucoin")
    tip = page.market_view._error_tips[index]

    tip.show()
    try:
        label = tip.window.winfo_children()[0]
        assert label.cget("text") == ERROR
    finally:
        tip.hide()


def test_clicking_the_selected_venue_again_goes_back_to_the_summary(fake):
    app = fake.app
    page = app.desk("arbitrage")
    fake.wait(lambda: page.market_view.health_venues, message="health rows")
    _, cells = health_row(app, "okx")
    click(cells[1].label)
    fake.pump()
    assert page.market_view.health_detail.text.startswith("okx · simulated market")

    click(cells[1].label)
    fake.pump()

    assert page.market_view.selected_venue is None
    assert page.market_view.health_detail.text.endswith("click a venue for details")


# --- recording -------------------------------------------------------------------------------------
def test_record_starts_a_recording_in_the_data_folder_and_a_second_click_stops_it(fake):
    app = fake.app
    fake.wait(lambda: app.snapshot is not None, message="first snapshot")

    app.record_button.invoke()

    (start,) = [c for c in fake.runtime.submitted if isinstance(c, StartRecording)]
    path = Path(start.path)
    assert path.parent == default_data_dir() / "recordings" and path.parent.is_dir()
    assert re.fullmatch(r"octo-\d{8}-\d{6}\.jsonl\.gz", path.name)
    fake.wait(lambda: app.control_bar.recording.text.startswith(f"● {path.name} · "), message="recording shown")
    fake.wait(lambda: " 0 events" not in app.control_bar.recording.text, message="event count grows")
    assert app.record_button.cget("text") == presenters.REC_BUTTON_ON

    app.record_button.invoke()

    assert isinstance(fake.runtime.submitted[-1], StopRecording)
    fake.wait(lambda: app.record_button.cget("text") == presenters.REC_BUTTON_OFF, message="toggle off")
    assert app.control_bar.recording.text == "not recording"


def test_the_toggle_flips_at_once_even_before_the_engine_confirms(fake):
    app = fake.app
    fake.wait(lambda: app.snapshot is not None, message="first snapshot")
    fake.runtime.market.apply = lambda command: None  # an engine that has not got round to it yet

    app.record_button.invoke()
    pump_tk(app)

    assert app.record_button.cget("text") == presenters.REC_BUTTON_ON
    assert app.control_bar.recording.text == "starting the recording…"


def test_a_recording_error_is_shown_next_to_the_toggle(fake):
    app = fake.app
    app.record_button.invoke()
    fake.pump()
    market = fake.runtime.market
    market.recording = market.recording.__class__(market.recording.path, 10, market.time, error="disk full")

    fake.wait(lambda: "recording error: disk full" in app.control_bar.recording.text, message="error shown")
    assert app.control_bar.recording.fg == theme.RED


def test_two_recordings_in_one_second_get_different_files(fake):
    first = fake.app.new_recording_path()
    first.write_bytes(b"")
    assert fake.app.new_recording_path() != first


# --- replay ----------------------------------------------------------------------------------------
def start_replay(fake, seconds=600.0):
    fake.runtime.market.start_replay("/recordings/octo-20240601-120000.jsonl.gz", seconds)
    fake.wait(lambda: fake.app.control_bar.replay_visible, message="replay controls shown")


def test_replay_controls_are_hidden_without_a_replay(fake):
    fake.wait(lambda: fake.app.snapshot is not None, message="first snapshot")
    assert not fake.app.control_bar.replay_visible
    assert not fake.app.control_bar.replay_frame.winfo_ismapped()
    assert fake.app.record_button.winfo_ismapped()


def test_a_replay_shows_its_controls_file_and_position_and_hides_the_record_toggle(fake):
    app = fake.app
    start_replay(fake)
    fake.wait(lambda: app.status_bar.texts()["market"] == "REPLAY octo-20240601-120000.jsonl.gz",
              message="status bar names the file")
    assert app.title() == "Octo — paper trading · replay of octo-20240601-120000.jsonl.gz"
    assert not app.record_button.winfo_ismapped()
    assert app.speed_buttons.get() == "1×"
    assert app.control_bar.position.text.endswith(" UTC")
    fake.wait(lambda: app.control_bar.progress_value > 0, message="progress bar moves")


def test_pause_and_play_submit_control_replay_and_follow_the_engine(fake):
    app = fake.app
    start_replay(fake)

    app.play_button.invoke()

    assert fake.runtime.submitted[-1] == ControlReplay(paused=True)
    fake.wait(lambda: app.play_button.cget("text") == "▶  Play", message="play offered")
    position = fake.runtime.latest_snapshot().replay.position
    fake.pump()
    assert fake.runtime.latest_snapshot().replay.position == position

    app.play_button.invoke()

    assert fake.runtime.submitted[-1] == ControlReplay(paused=False)
    fake.wait(lambda: fake.runtime.latest_snapshot().replay.position > position, message="replay resumed")


@pytest.mark.parametrize("label, speed", [("10×", 10.0), ("100×", 100.0), ("max", None)])
def test_a_speed_button_sets_the_replay_speed(fake, label, speed):
    app = fake.app
    start_replay(fake)

    app.speed_buttons.set(label, from_button_callback=True)

    assert fake.runtime.submitted[-1] == ControlReplay(speed=speed, set_speed=True)
    fake.wait(lambda: fake.runtime.latest_snapshot().speed == ("max" if speed is None else f"{speed:g}"),
              message="engine speed changed")
    fake.pump()
    assert app.speed_buttons.get() == label
    shown = "speed max" if speed is None else f"speed {label}"
    fake.wait(lambda: app.status_bar.texts()["speed"] == shown, message="status bar shows the speed")


def test_a_finished_replay_says_so_and_cannot_be_played(fake):
    app = fake.app
    start_replay(fake, seconds=1.0)
    fake.runtime.market.apply(ControlReplay(speed=100.0, set_speed=True))

    fake.wait(lambda: app.control_bar.replay_status.text.startswith("finished"), message="finished shown")
    assert app.play_button.cget("state") == "disabled"
    assert app.control_bar.progress_value == 1.0


# --- opening a recording that cannot be replayed -------------------------------------------------------
@pytest.mark.parametrize("content", [b"not gzip at all", gzip.compress(b'{"type": "trade"}\n')])
def test_a_bad_recording_is_reported_in_the_window_and_the_session_goes_on(fake, tmp_path, content):
    app = fake.app
    path = tmp_path / "broken.jsonl.gz"
    path.write_bytes(content)

    assert app.open_recording(path) is False

    assert app.runtime is fake.runtime and fake.runtime.is_running
    assert app.control_bar.notice.text.startswith("cannot open broken.jsonl.gz")
    assert app.control_bar.notice.fg == theme.RED
    fake.pump()  # the window keeps polling the old runtime


def test_a_missing_recording_is_reported(fake, tmp_path):
    assert fake.app.open_recording(tmp_path / "gone.jsonl.gz") is False
    assert "no recording at gone.jsonl.gz" in fake.app.control_bar.notice.text
