"""The Linux one-file binary, built here with ``build/build.py`` and run as a user runs it.

Slow (the build takes one to three minutes on two cores). The binary is built once for the module into
a temporary folder, then: ``--version``, ``doctor``, 30 simulated seconds headless with the JSON
checked (``build.check``), the window under Xvfb with a screenshot, SIGTERM closing it cleanly, and no
unpacked files left behind.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import pytest

from tests.fakes import screen

pytestmark = [pytest.mark.slow, pytest.mark.integration,
              pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the Linux one-file build"),
              pytest.mark.skipif(not sysconfig.get_config_var("Py_ENABLE_SHARED"),
                                 reason="PyInstaller needs a Python built with --enable-shared (libpython)")]

ROOT = Path(__file__).resolve().parents[2]
BUILD_TIMEOUT_S = 1200


def _load_build():
    spec = importlib.util.spec_from_file_location("octo_build_script", ROOT / "build" / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


build = _load_build()


@pytest.fixture(scope="module")
def dist(tmp_path_factory):
    dist = tmp_path_factory.mktemp("dist")
    work = tmp_path_factory.mktemp("work")
    done = subprocess.run([sys.executable, str(ROOT / "build" / "build.py"), "--dist", str(dist), "--work", str(work)],
                          cwd=ROOT, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert f"build: {dist / 'octo'}" in done.stdout  # it says where the binary is, and how big
    shutil.rmtree(work, ignore_errors=True)
    return dist


def user(tmp: Path) -> tuple[dict[str, str], Path]:
    home, temp = tmp / "home", tmp / "tmp"
    home.mkdir()
    temp.mkdir()
    return build.isolated_env(home, temp), temp


@pytest.mark.timeout(BUILD_TIMEOUT_S + 300)
def test_the_binary_answers_doctor_and_runs_headless_with_correct_json(dist):
    figures = build.check(dist, gui=False)  # raises CheckFailed with the reason
    binary = dist / "octo"
    size = binary.stat().st_size
    assert figures["size_bytes"] == size
    assert figures["headless"]["events"] > 10_000
    print(f"\none-file binary: {size / 1e6:.1f} MB; 30 s headless in {figures['headless']['wall_s']} s wall")


@pytest.mark.gui
@pytest.mark.timeout(BUILD_TIMEOUT_S + 300)
def test_the_binary_draws_its_window_with_charts(dist, tmp_path):
    env, temp = user(tmp_path)
    spawned = time.time()
    done = subprocess.run([str(dist / "octo"), "--startup-check"], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["frozen"] is True and report["charts_ready"] is True and report["gui_error"] == ""
    assert build.leftovers(temp) == []
    print(f"\nbinary launch to first frame (first start, cold caches): {report['first_frame_unix'] - spawned:.2f} s")
    # matplotlib's font list went to the persistent cache folder, not a temporary one
    assert list((Path(env["OCTO_CACHE_DIR"]) / "matplotlib").glob("fontlist-*.json"))


@pytest.mark.gui
@pytest.mark.timeout(BUILD_TIMEOUT_S + 300)
def test_the_binary_window_on_screen_then_closed_by_sigterm(dist, tmp_path):
    env, temp = user(tmp_path)
    db = Path(env["OCTO_DATA_DIR"]) / "octo.db"
    process = subprocess.Popen([str(dist / "octo")], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    try:
        # the window, its tables, the first-start welcome and then the charts (the heatmap drawn)
        shot = screen.wait_for_octo(process, timeout=60, charts=True)
        assert list(temp.glob("_MEI*")), "a running one-file binary unpacks into TMPDIR"
        saved = Path(os.environ.get("OCTO_SCREENSHOT_DIR", tmp_path)) / "octo-binary-linux.png"
        saved.parent.mkdir(parents=True, exist_ok=True)
        shot.save(saved)
        print(f"\nscreenshot of the binary's window: {saved}")
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, err[-2000:]
    assert build.leftovers(temp) == [], "the unpacked files were not removed"
    from octo_desktop.storage import open_store

    store = open_store(db)
    try:
        assert "window_geometry" in store.load().settings  # closed through the window's own close()
    finally:
        store.close()
