"""Octo's version for the packaging scripts, read from the source without importing it (stdlib only)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def read_version(root: Path = ROOT) -> str:
    """Return ``__version__`` of ``octo_desktop/__init__.py`` under ``root``."""
    text = (root / "octo_desktop" / "__init__.py").read_text(encoding="utf-8")
    m = re.search(r'^__version__\s*=\s*["\']([^"\']+)["\']', text, re.M)
    if not m:
        raise SystemExit("error: no __version__ in octo_desktop/__init__.py")
    return m.group(1)
