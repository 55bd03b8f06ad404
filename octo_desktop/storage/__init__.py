"""Persistence: SQLite through SQLAlchemy, written by one background thread (see ``store``)."""

from octo_desktop.storage.errors import StorageError
from octo_desktop.storage.export import FILL_COLUMNS, TRADE_COLUMNS, write_fills_csv, write_trades_csv
from octo_desktop.storage.store import (
    EQUITY_HISTORY,
    RECENT_DECISIONS,
    RECENT_TRADES,
    Store,
    StoredState,
    open_store,
)
from octo_desktop.storage.lock import DatabaseInUse
from octo_desktop.storage.tables import SCHEMA_VERSION

__all__ = [
    "DatabaseInUse",
    "EQUITY_HISTORY",
    "FILL_COLUMNS",
    "RECENT_DECISIONS",
    "RECENT_TRADES",
    "SCHEMA_VERSION",
    "StorageError",
    "Store",
    "StoredState",
    "TRADE_COLUMNS",
    "open_store",
    "write_fills_csv",
    "write_trades_csv",
]
