"""``octo_desktop doctor``: every part the terminal needs is exercised, and a broken one is named."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from octo_desktop.config import VENUE_IDS

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
CHECKS = ["data folder", "config", "database", "tk", "charts", "venues", "advisor"]


def doctor(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "OCTO_DATA_DIR": str(tmp_path / "data"),
                   "OCTO_CONFIG": str(tmp_path / "config.toml"), "PYTHONPATH": str(ROOT), **env}
    return subprocess.run([sys.executable, "-m", "octo_desktop", "doctor", *args], env=environment, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def test_doctor_passes_every_check_without_touching_the_database(tmp_path):
    done = doctor(tmp_path, "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert [c["name"] for c in report["checks"]] == CHECKS
    assert all(c["ok"] for c in report["checks"]) and report["ok"] is True
    venues = next(c for c in report["checks"] if c["name"] == "venues")["detail"]
    assert all(venue in venues for venue in VENUE_IDS)
    assert report["frozen"] is False and report["data_dir"] == str(tmp_path / "data")
    assert not (tmp_path / "data" / "octo.db").exists()  # the database check used a throwaway file
    assert list((tmp_path / "data").iterdir()) == []


def test_doctor_names_what_is_broken_and_exits_1(tmp_path):
    (tmp_path / "config.toml").write_text("[strategy]\nthreshold_bps = \"wide\"\n")
    done = doctor(tmp_path)
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    config_line = next(line for line in lines if " config " in line)
    assert config_line.lstrip().startswith("FAIL") and "threshold_bps" in config_line
    assert next(line for line in lines if " database " in line).lstrip().startswith("ok")

    (tmp_path / "config.toml").unlink()
    done = doctor(tmp_path, "--json", "--set", 'advisor.kind="openai"', OPENAI_API_KEY="")
    report = json.loads(done.stdout)
    advisor = next(c for c in report["checks"] if c["name"] == "advisor")
    assert done.returncode == 1 and not advisor["ok"] and "OPENAI_API_KEY" in advisor["detail"]
