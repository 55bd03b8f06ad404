"""``octo_desktop doctor``: check that this installation can run, without touching the user's data.

Each check imports and exercises one part the terminal needs (Tk, the charts, SQLite, every venue's
ccxt client, the advisor) and says what failed and why. A frozen build that left something out fails
here with the missing piece named, rather than later inside the window. The user's database (``--db``,
else the default one) is read, never created or changed: a file Octo would refuse fails here.
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


class _Failed(Exception):
    """A check failed for a reason its message says in full (no exception type needed)."""


def _run(name: str, probe) -> Check:
    try:
        detail = probe()
    except _Failed as exc:
        return Check(name, False, str(exc))
    except Exception as exc:  # noqa: BLE001 - the point is to report any failure, named
        return Check(name, False, f"{type(exc).__name__}: {exc}")
    return Check(name, True, detail or "ok")


def _folder(path: Path) -> str:
    path.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path, prefix=".octo-doctor-"):
        pass
    return f"{path} (writable)"


def _config(config_path: Path | None, overrides) -> str:
    from octo_desktop.config import ConfigError, default_config_path, load_config

    path = Path(config_path) if config_path else default_config_path()
    try:
        config = load_config(config_path, overrides)
    except ConfigError as exc:
        message = str(exc)
        if str(path) not in message:  # a bad key or value: say where it comes from
            if path.exists():
                message = f"{path}{' (with --set)' if overrides else ''}: {message}"
            elif overrides:
                message = f"--set: {message}"
        raise _Failed(message) from exc
    where = str(path) if path.exists() else f"{path} not created: built-in defaults"
    return f"{config.market} market, {len(config.venue_names)} venues, {len(config.symbols)} symbols ({where})"


def _sqlite() -> str:
    # A scratch database, created, loaded and closed: the driver, SQLAlchemy and the schema all work.
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


def _database(db_path: Path | None) -> str:
    # The user's own database, read-only: refused files fail here instead of at the next start.
    from octo_desktop.app import default_db_path
    from octo_desktop.storage import StorageError, inspect_database

    path = Path(db_path) if db_path else default_db_path()
    try:
        found = inspect_database(path)
    except StorageError as exc:
        raise _Failed(str(exc)) from exc
    if not found["exists"]:
        return f"{path} not created yet (Octo creates it on its first run)"
    if found["schema_version"] is None:
        return f"{path}: empty (Octo sets it up on its first run)"
    return (f"{path}: schema {found['schema_version']}, {found['trades']} trades, {found['fills']} fills, "
            f"{found['bytes'] / 1e6:.1f} MB")


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
    from octo_desktop.config import ConfigError, load_config

    try:
        config = load_config(config_path, overrides)
    except ConfigError as exc:
        raise _Failed("not checked: the config does not load (see config)") from exc
    check_advisor(config)
    import openai  # checked even for the rule advisor, so a build cannot lose the OpenAI one

    from octo_desktop.advisor.openai_advisor import AdviceAnswer

    AdviceAnswer.model_json_schema()  # pydantic builds the response format the model must follow
    if config.advisor.kind == "openai":
        return f"OpenAI advisor, model {config.advisor.model} (openai {openai.__version__})"
    return f"rule advisor (offline); the OpenAI advisor loads (openai {openai.__version__})"


def run_checks(config_path: Path | None = None, overrides=(), db_path: Path | None = None) -> dict:
    """Run every check (the database: ``db_path``, else the default one); return a JSON-ready report."""
    from octo_desktop.config import default_data_dir

    data_dir = default_data_dir()
    checks = [
        _run("data folder", lambda: _folder(data_dir)),
        _run("config", lambda: _config(config_path, overrides)),
        _run("sqlite", _sqlite),
        _run("database", lambda: _database(db_path)),
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
