"""``octo_desktop doctor``: check that this installation can run, without touching the user's data.

Each check imports and exercises one part the terminal needs (Tk, the charts, the database, every
venue's ccxt client, the advisor) and says what failed and why. A frozen build that left something out
fails here with the missing piece named, rather than later inside the window.
"""

from __future__ import annotations

import os
import platform
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from octo_desktop import __version__, startup


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    ok: bool
    detail: str


def _run(name: str, probe) -> Check:
    try:
        detail = probe()
    except Exception as exc:  # noqa: BLE001 - the point is to report any failure, named
        return Check(name, False, f"{type(exc).__name__}: {exc}")
    return Check(name, True, detail or "ok")


def _folder(path: Path) -> str:
    path.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path, prefix=".octo-doctor-"):
        pass
    return f"{path} (writable)"


def _config(config_path: Path | None, overrides) -> str:
    from octo_desktop.config import default_config_path, load_config

    config = load_config(config_path, overrides)
    path = Path(config_path) if config_path else default_config_path()
    where = str(path) if path.exists() else f"{path} not created: built-in defaults"
    return f"{config.market} market, {len(config.venue_names)} venues, {len(config.symbols)} symbols ({where})"


def _database() -> str:
    from octo_desktop.storage import open_store
    from octo_desktop.storage.tables import SCHEMA_VERSION

    with tempfile.TemporaryDirectory(prefix="octo-doctor-") as folder:
        store = open_store(Path(folder) / "check.db")
        try:
            store.load()
        finally:
            store.close()
    import sqlalchemy

    return f"SQLite schema {SCHEMA_VERSION} opens (SQLAlchemy {sqlalchemy.__version__})"


def _tk() -> str:
    import tkinter

    interpreter = tkinter.Tcl()  # no display needed
    return f"Tcl/Tk {interpreter.eval('info patchlevel')}"


def _charts() -> str:
    import matplotlib
    from matplotlib import font_manager
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    import matplotlib.backends.backend_tkagg  # noqa: F401 - the back end the window embeds

    figure = Figure(figsize=(1, 1), dpi=50)
    figure.add_subplot().plot([0, 1], [1, 0])
    FigureCanvasAgg(figure).draw()
    font = font_manager.findfont(font_manager.FontProperties(family="DejaVu Sans"), fallback_to_default=False)
    return f"matplotlib {matplotlib.__version__}, font {Path(font).name}"


def _venues() -> str:
    import ccxt
    import ccxt.pro

    from octo_desktop.config import VENUE_IDS

    for venue in VENUE_IDS:
        client = getattr(ccxt.pro, venue)({"enableRateLimit": True})
        if client.id != venue:
            raise RuntimeError(f"ccxt.pro.{venue} says it is {client.id!r}")
    return f"ccxt {ccxt.__version__}: {', '.join(VENUE_IDS)}"


def _advisor(config_path: Path | None, overrides) -> str:
    from octo_desktop.advisor import check_advisor
    from octo_desktop.config import load_config

    config = load_config(config_path, overrides)
    check_advisor(config)
    import openai  # checked even for the rule advisor, so a build cannot lose the OpenAI one

    from octo_desktop.advisor.openai_advisor import AdviceAnswer

    AdviceAnswer.model_json_schema()  # pydantic builds the response format the model must follow
    if config.advisor.kind == "openai":
        return f"OpenAI advisor, model {config.advisor.model} (openai {openai.__version__})"
    return f"rule advisor (offline); the OpenAI advisor loads (openai {openai.__version__})"


def run_checks(config_path: Path | None = None, overrides=()) -> dict:
    """Run every check; return a JSON-ready report."""
    from octo_desktop.config import default_data_dir

    data_dir = default_data_dir()
    checks = [
        _run("data folder", lambda: _folder(data_dir)),
        _run("config", lambda: _config(config_path, overrides)),
        _run("database", _database),
        _run("tk", _tk),
        _run("charts", _charts),
        _run("venues", _venues),
        _run("advisor", lambda: _advisor(config_path, overrides)),
    ]
    return {
        "version": __version__,
        "frozen": startup.is_frozen(),
        "python": platform.python_version(),
        "platform": f"{platform.system()} {platform.machine()}",
        "executable": sys.executable,
        "data_dir": str(data_dir),
        "mplconfigdir": os.environ.get("MPLCONFIGDIR", ""),
        "checks": [asdict(check) for check in checks],
        "ok": all(check.ok for check in checks),
    }
