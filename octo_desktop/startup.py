"""Process start-up: the environment a frozen (PyInstaller) build needs, and launch timings.

Imported first by the entry point, before anything heavy: it imports only the standard library.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

APP_NAME = "octo"

# Wall-clock marks (``time.time()``) of the launch phases; an outside measurement compares them with the
# moment it spawned the process, which also counts what happens before Python runs (a one-file build
# unpacks itself first).
MARKS: dict[str, float] = {"python": time.time()}


def mark(name: str) -> None:
    """Record the wall-clock time a launch phase ended (the first time only)."""
    MARKS.setdefault(name, time.time())


def is_frozen() -> bool:
    """Return True in a PyInstaller build."""
    return bool(getattr(sys, "frozen", False))


def resource_path(*parts: str) -> Path:
    """Return a file shipped with the app: ``assets/`` of the source tree, or of the frozen bundle."""
    base = Path(getattr(sys, "_MEIPASS", "")) if is_frozen() else Path(__file__).resolve().parent.parent
    return base.joinpath(*parts)


def user_cache_dir() -> Path:
    """Return the per-user cache directory (rebuildable data such as matplotlib's font list)."""
    env = os.environ.get("OCTO_CACHE_DIR")
    if env:
        return Path(env)
    from platformdirs import user_cache_dir as cache_dir

    return Path(cache_dir(APP_NAME, appauthor=False))


def prepare_environment() -> None:
    """Set what must be set before the first heavy import.

    A frozen build's matplotlib hook points ``MPLCONFIGDIR`` at a fresh temporary folder on every
    launch, so the font list would be rebuilt each time (most of a second). Point it at a persistent
    per-user folder instead; matplotlib stores its bundled fonts' paths relative to its data folder, so
    the list stays valid although each launch unpacks to a new place.
    """
    if not is_frozen():
        return
    folder = user_cache_dir() / "matplotlib"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return  # matplotlib then keeps the temporary folder: slower to start, still correct
    os.environ["MPLCONFIGDIR"] = str(folder)
