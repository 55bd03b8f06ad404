"""Shared fixtures: an isolated config and data directory, a default config, a store in tmp_path."""

from __future__ import annotations

import pytest

from octo_desktop.config import load_config


@pytest.fixture(autouse=True)
def isolated_user_dirs(tmp_path, monkeypatch):
    """Keep every test away from the real user's config file and database."""
    monkeypatch.setenv("OCTO_CONFIG", str(tmp_path / "no-such-config.toml"))
    monkeypatch.setenv("OCTO_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MPLCONFIGDIR", str(tmp_path / "mpl"))


@pytest.fixture
def config():
    """The built-in default configuration."""
    return load_config()
