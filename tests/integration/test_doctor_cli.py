"""``octo_desktop doctor``: every part the terminal needs is exercised, and a broken one is named."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from octo_desktop.config import VENUE_IDS

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
CHECKS = ["data folder", "config", "sqlite", "database", "tk", "charts", "venues", "advisor"]


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
    assert not (tmp_path / "data" / "octo.db").exists()  # the SQLite check used a throwaway file
    assert list((tmp_path / "data").iterdir()) == []
    database = next(c for c in report["checks"] if c["name"] == "database")["detail"]
    assert database == f"{tmp_path / 'data' / 'octo.db'} not created yet (Octo creates it on its first run)"


def test_doctor_names_what_is_broken_and_exits_1(tmp_path):
    (tmp_path / "config.toml").write_text("[strategy]\nthreshold_bps = \"wide\"\n")
    done = doctor(tmp_path)
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    config_line = next(line for line in lines if " config " in line)
    assert config_line.lstrip().startswith("FAIL") and "threshold_bps" in config_line
    assert f"{tmp_path / 'config.toml'}: strategy.threshold_bps" in config_line  # which file holds it
    assert next(line for line in lines if " database " in line).lstrip().startswith("ok")

    (tmp_path / "config.toml").unlink()
    done = doctor(tmp_path, "--json", "--set", 'advisor.kind="openai"', OPENAI_API_KEY="")
    report = json.loads(done.stdout)
    advisor = next(c for c in report["checks"] if c["name"] == "advisor")
    assert done.returncode == 1 and not advisor["ok"] and "OPENAI_API_KEY" in advisor["detail"]


def database_check(done: subprocess.CompletedProcess) -> dict:
    return next(c for c in json.loads(done.stdout)["checks"] if c["name"] == "database")


def octo_database(path: Path) -> Path:
    from octo_desktop.storage import open_store

    store = open_store(path)
    store.load()
    store.close()
    return path


def folder_state(folder: Path) -> dict:
    return {p.name: (p.stat().st_size, p.stat().st_mtime_ns, p.read_bytes()) for p in folder.iterdir() if p.is_file()}


def test_doctor_db_checks_the_given_database_read_only(tmp_path):
    db = octo_database(tmp_path / "mine" / "octo.db")
    before = folder_state(db.parent)

    done = doctor(tmp_path, "--json", "--db", str(db))

    assert done.returncode == 0, done.stdout + done.stderr
    check = database_check(done)
    assert check["ok"] and check["detail"].startswith(f"{db}: schema ") and ", 0 trades, 0 fills" in check["detail"]
    assert folder_state(db.parent) == before  # nothing written, no -wal or -shm left beside it


def test_doctor_db_on_a_missing_path_is_ok_and_does_not_create_it(tmp_path):
    db = tmp_path / "later" / "octo.db"
    done = doctor(tmp_path, "--json", "--db", str(db))
    assert done.returncode == 0, done.stdout + done.stderr
    assert database_check(done) == {"name": "database", "ok": True,
                                     "detail": f"{db} not created yet (Octo creates it on its first run)"}
    assert not db.parent.exists()


def _not_sqlite(path: Path) -> None:
    path.write_text("name,price\nBTC,60000\n")


def _not_octo(path: Path) -> None:
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE prices (symbol TEXT, price REAL)")
    connection.close()


def _newer(path: Path) -> None:
    octo_database(path)
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    connection.close()


def _corrupt(path: Path) -> None:
    octo_database(path)
    with sqlite3.connect(path) as connection:
        root = connection.execute("SELECT rootpage FROM sqlite_master WHERE name = 'trades'").fetchone()[0]
        page_size = connection.execute("PRAGMA page_size").fetchone()[0]
    connection.close()
    data = bytearray(path.read_bytes())
    data[(root - 1) * page_size] = 0xFF  # the trades table's root page is no longer a b-tree page
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("make, reason", [
    (Path.mkdir, "is a directory, not a file"),
    (_not_sqlite, "is not an Octo database (file is not a database)"),
    (_not_octo, "is not an Octo database (no Octo metadata)"),
    (_newer, "has schema version 99, newer than this Octo understands"),
    (_corrupt, "the database file is corrupt"),
])
def test_doctor_db_fails_on_a_file_octo_would_refuse_and_leaves_it_alone(tmp_path, make, reason):
    db = tmp_path / "mine" / "octo.db"
    db.parent.mkdir()
    make(db)
    before = folder_state(db.parent)

    done = doctor(tmp_path, "--json", "--db", str(db))

    assert done.returncode == 1
    check = database_check(done)
    assert not check["ok"] and str(db) in check["detail"] and reason in check["detail"], check["detail"]
    assert "\n" not in check["detail"] and "Error:" not in check["detail"]
    assert folder_state(db.parent) == before
