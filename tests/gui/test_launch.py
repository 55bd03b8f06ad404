"""The terminal launched as a user launches it: ``python -m octo_desktop`` in its own process.

``--startup-check`` opens the window, reports the launch timings as JSON and closes; SIGTERM closes the
window the way its close button does (settings saved, database closed, exit code 0).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from octo_desktop.gui import presenters
from octo_desktop.storage import open_store
from tests.fakes import screen
from tests.fakes.waiting import eventually

pytestmark = [pytest.mark.gui, pytest.mark.integration]

ROOT = Path(__file__).resolve().parents[2]


def user_env(home: Path) -> dict[str, str]:
    """A first-time user's environment: an empty home, so no config file and no database yet."""
    env = dict(os.environ)
    env.update({"HOME": str(home), "OCTO_DATA_DIR": str(home / "data"), "OCTO_CONFIG": str(home / "config.toml"),
                "OCTO_CACHE_DIR": str(home / "cache"), "XDG_CONFIG_HOME": str(home / ".config"),
                "XDG_CACHE_HOME": str(home / ".cache"), "PYTHONPATH": str(ROOT)})
    return env


def settings_of(db: Path) -> dict:
    store = open_store(db)
    try:
        return store.load().settings
    finally:
        store.close()


def test_startup_check_reports_the_first_frame_then_the_charts_and_exits_cleanly(tmp_path):
    spawned = time.time()
    done = subprocess.run([sys.executable, "-m", "octo_desktop", "--startup-check"], env=user_env(tmp_path),
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    marks = report["marks_s"]
    assert report["charts_ready"] is True and report["gui_error"] == ""
    assert report["frozen"] is False
    assert spawned < report["python_start_unix"] < report["first_frame_unix"] < time.time()
    # the order the start-up is built for: engine running, window built, first frame, then the charts
    assert marks["runtime_started"] < marks["window_built"] < marks["first_frame"] < marks["charts_ready"]
    assert (tmp_path / "data" / "octo.db").exists()  # a first start creates the trader's database


def test_sigterm_closes_the_window_like_its_close_button(tmp_path):
    env = user_env(tmp_path)
    db = tmp_path / "data" / "octo.db"
    process = subprocess.Popen([sys.executable, "-m", "octo_desktop"], env=env, cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        screen.wait_for_octo(process, timeout=60)  # the window is up, so its SIGTERM handler is installed
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, err
    settings = settings_of(db)
    assert "window_geometry" in settings  # written by close(), so the window closed as the button does
    assert presenters.WELCOME_SETTING not in settings  # the welcome was shown, not dismissed


def dialog_window(title: str, process, timeout: float = 30.0) -> str:
    """Return the X window id of the dialog titled ``title``; fail if ``process`` ends first."""
    def found() -> str:
        assert process.poll() is None, f"the process ended (exit {process.returncode}) without the dialog"
        ids = subprocess.run(["xdotool", "search", "--name", title], capture_output=True, text=True).stdout.split()
        return ids[-1] if ids else ""

    return eventually(found, timeout=timeout, message=f"no {title!r} dialog")


def test_a_second_window_on_a_database_in_use_says_so_in_a_dialog_and_exits_1(tmp_path):
    from octo_desktop.gui.startup_error import TITLE

    env = user_env(tmp_path)
    db = tmp_path / "data" / "octo.db"
    first = subprocess.Popen([sys.executable, "-m", "octo_desktop", "run", "--headless", "--seconds", "100000",
                              "--speed", "1", "--stream"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True)
    try:
        eventually(lambda: first.poll() is not None or ((tmp_path / "data" / "octo.db.lock").exists() and db.exists()),
                   timeout=60, message="the first engine holds its database")
        assert first.poll() is None
        second = subprocess.Popen([sys.executable, "-m", "octo_desktop"], cwd=ROOT, env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            window = dialog_window(TITLE, second)
            # The window exists before Tk paints it: wait until the dialog is drawn, with its text.
            eventually(lambda: len(screen.grab().getcolors(maxcolors=1 << 22) or []) > 20, timeout=30,
                       message="the dialog is never drawn")
            # A real key press (XTEST) on the focused dialog: Return is its OK button.
            subprocess.run(["xdotool", "windowfocus", "--sync", window], check=True, timeout=10)
            subprocess.run(["xdotool", "key", "Return"], check=True, timeout=10)
            assert second.wait(30) == 1
        finally:
            if second.poll() is None:
                second.kill()
        (line,) = second.stderr.read().strip().splitlines()
        assert f"database {db} is in use by another Octo process (pid {first.pid}" in line
        assert first.poll() is None  # untouched
    finally:
        first.send_signal(signal.SIGTERM)
        assert first.wait(30) == 0
