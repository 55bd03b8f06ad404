"""Where the user's config file and data live (platformdirs, or OCTO_CONFIG / OCTO_DATA_DIR)."""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "octo"


def default_config_path() -> Path:
    """Return where the user's config file lives (it need not exist)."""
    env = os.environ.get("OCTO_CONFIG")
    if env:
        return Path(env)
    from platformdirs import user_config_dir

    return Path(user_config_dir(APP_NAME, appauthor=False)) / "config.toml"


def default_data_dir() -> Path:
    """Return the per-user data directory (database, logs)."""
    env = os.environ.get("OCTO_DATA_DIR")
    if env:
        return Path(env)
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP_NAME, appauthor=False))
