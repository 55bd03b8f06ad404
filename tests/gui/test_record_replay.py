"""Venue health, recording and replay end to end: the real window on the real runtime, under Xvfb."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.fakes.window import WindowSession, start_runtime

pytestmark = pytest.mark.gui

REPO = Path(__file__).resolve().parents[2]
RECORDING_SECONDS = 20


class Session(WindowSession):
    """A started simulated runtime and its window (a replay opened in it replaces the runtime)."""

    def __init__(self, db_path) -> None:
        super().__init__(start_runtime(db_path))


@pytest.fixture
def session(tmp_path):
    session = Session(tmp_path / "octo.db")
    try:
        yield session
    finally:
        session.close()


@pytest.fixture(scope="module")
def recording(tmp_path_factory) -> Path:
    """A 20 s recording of the simulated market, written by ``octo_desktop record``."""
    folder = tmp_path_factory.mktemp("recording")
    out = folder / "session.jsonl.gz"
    env = dict(os.environ, OCTO_DATA_DIR=str(folder / "data"), OCTO_CONFIG=str(folder / "no-config.toml"),
               MPLCONFIGDIR=str(folder / "mpl"))
    result = subprocess.run(
        [sys.executable, "-m", "octo_desktop", "record", "--market", "sim", "--seconds", str(RECORDING_SECONDS),
         "--out", str(out), "--json"], cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return out


def health_badges(app) -> dict[str, str]:
    view = app.desk("arbitrage").market_view
    return {venue: view.health.row_texts(i)[0] for i, venue in enumerate(view.health_venues)}


def replay_position(session) -> float:
    return session.snapshot().replay.position


def open_replay(session, recording) -> None:
    app = session.app
    session.wait(lambda: app.snapshot is not None, message="first snapshot")
    assert app.open_recording(recording) is True
    session.wait(lambda: app.snapshot is not None and app.snapshot.replay is not None, message="replay shown")
    session.wait(lambda: replay_position(session) > app.snapshot.replay.start, message="replay moving")


# --- venue health ------------------------------------------------------------------------------------
def test_health_rows_show_every_simulated_venue_as_sim(session):
    app = session.app
    venues = tuple(session.runtime.config.venue_names)
    session.wait(lambda: health_badges(app) == {venue: "SIM" for venue in venues}, message="all venues SIM")
    for row in range(len(venues)):
        texts = app.desk("arbitrage").market_view.health.row_texts(row)
        assert texts[2] != "—" and texts[4] != "—"  # update age, messages per second


# --- recording -------------------------------------------------------------------------------------
def test_record_twice_writes_a_gzip_json_lines_file_that_starts_with_a_header(session):
    app = session.app
    session.wait(lambda: app.snapshot is not None, message="first snapshot")

    app.record_button.invoke()
    session.wait(lambda: session.snapshot().recording is not None, message="engine recording")
    path = Path(session.snapshot().recording.path)
    session.wait(lambda: session.snapshot().recording.events > 100, message="events recorded")
    session.wait(lambda: app.control_bar.recording.text.startswith(f"● {path.name} · "),
                 message="file name and event count shown")

    app.record_button.invoke()
    session.wait(lambda: session.snapshot().recording is None, message="recording stopped")

    assert path.parent.name == "recordings"
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        lines = [json.loads(line) for line in handle]
    assert lines[0]["type"] == "header"
    assert len(lines) > 100
    session.wait(lambda: app.control_bar.recording.text == "not recording", message="toggle off")


# --- replay ----------------------------------------------------------------------------------------
def test_opening_a_recording_switches_the_window_to_replay(session, recording):
    app = session.app
    first = session.first_runtime

    open_replay(session, recording)

    assert app.runtime is not first and not first.is_running and app.runtime.is_running
    session.wait(lambda: app.status_bar.texts()["market"] == "REPLAY session.jsonl.gz",
                 message="status bar names the recording")
    assert "replay of session.jsonl.gz" in app.title()
    assert app.control_bar.replay_visible and not app.record_button.winfo_ismapped()
    session.wait(lambda: set(health_badges(app).values()) == {"REPLAY"}, message="venues replayed")
    position = app.control_bar.position.text
    session.wait(lambda: app.control_bar.position.text != position, message="position moves")


def test_pause_stops_the_replay_and_play_resumes_it(session, recording):
    app = session.app
    open_replay(session, recording)

    app.play_button.invoke()
    session.wait(lambda: session.snapshot().replay.paused, message="engine paused")
    session.wait(lambda: app.play_button.cget("text") == "▶  Play", message="play offered")
    held = replay_position(session)
    session.pump_for(0.6)
    assert replay_position(session) == held

    app.play_button.invoke()
    session.wait(lambda: replay_position(session) > held, message="replay resumed")
    assert not session.snapshot().replay.paused


def test_speed_buttons_change_the_replay_speed(session, recording):
    app = session.app
    open_replay(session, recording)

    app.speed_buttons.set("10×", from_button_callback=True)
    session.wait(lambda: session.snapshot().replay.speed == "10", message="engine at 10x")
    position, started = replay_position(session), time.monotonic()
    session.pump_for(1.0)

    engine_seconds, wall_seconds = replay_position(session) - position, time.monotonic() - started
    assert engine_seconds > 3.0 * wall_seconds  # 10x asked; 3x leaves room for a busy machine
    assert app.speed_buttons.get() == "10×"
    session.wait(lambda: app.status_bar.texts()["speed"] == "speed 10×", message="status bar speed")


def test_at_max_speed_the_replay_finishes_and_says_so(session, recording):
    app = session.app
    open_replay(session, recording)

    app.speed_buttons.set("max", from_button_callback=True)

    session.wait(lambda: session.snapshot().replay.finished, timeout=30, message="replay finished")
    session.wait(lambda: app.control_bar.replay_status.text.startswith("finished"), message="finished shown")
    assert app.play_button.cget("state") == "disabled"
    assert app.control_bar.progress_value == pytest.approx(1.0, abs=0.01)
    # Engine time stops at the recording's end: it does not run on empty at full speed.
    finished = session.snapshot()
    assert finished.replay.paused and finished.time >= finished.replay.end
    session.pump_for(0.5)
    assert session.snapshot().time == finished.time


def test_a_file_that_is_not_a_recording_leaves_the_session_running(session, tmp_path):
    app = session.app
    session.wait(lambda: app.snapshot is not None, message="first snapshot")
    bad = tmp_path / "notes.jsonl.gz"
    bad.write_bytes(gzip.compress(b"hello\n"))

    assert app.open_recording(bad) is False

    assert app.runtime is session.first_runtime and app.runtime.is_running
    assert app.control_bar.notice.text.startswith("cannot open notes.jsonl.gz")
    sequence = session.snapshot().sequence
    session.wait(lambda: app.snapshot.sequence > sequence, message="the window keeps polling")
