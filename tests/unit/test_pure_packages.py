"""The desks' pure models import no event loop, exchange client, GUI, database or config."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = ("asyncio", "ccxt", "tkinter", "sqlalchemy", "octo_desktop.config", "aiohttp")


@pytest.mark.parametrize("package", ["octo_desktop.treasury", "octo_desktop.router"])
def test_a_pure_package_loads_none_of_the_forbidden_modules(package):
    modules = sorted(path.stem for path in (ROOT / package.replace(".", "/")).glob("*.py") if path.stem != "__init__")
    code = (f"import sys\nfor m in {modules!r}: __import__('{package}.' + m)\n"
            f"print(sorted(name for name in {FORBIDDEN!r} if name in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True,
                            cwd=ROOT)
    assert modules and result.stdout.strip() == "[]", result.stdout
