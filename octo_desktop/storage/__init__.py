"""Persistence: SQLite through SQLAlchemy, written by one background thread (see ``writer``).

The modules behind this package: ``database`` opens and validates a file and migrates it, ``rows`` maps
values to rows and back, ``writer`` is the ``Store`` and its writer thread, ``queries`` reads, ``export``
writes CSV, ``lock`` keeps one engine per database. Import from the package, not from them.
"""

from octo_desktop.storage.errors import StorageError
from octo_desktop.storage.export import (
    FILL_COLUMNS, TRADE_COLUMNS, TRANSFER_COLUMNS, write_fills_csv, write_trades_csv, write_transfers_csv,
)
from octo_desktop.storage.lock import DatabaseInUse
from octo_desktop.storage.queries import (
    EQUITY_HISTORY,
    RECENT_DECISIONS,
    RECENT_TRADES,
    ControlReader,
    JournalEntry,
    StoredState,
    TreasuryRecord,
    control_answer,
    inspect_database,
    post_control,
    read_advice,
    read_treasury,
)
from octo_desktop.storage.tables import SCHEMA_VERSION
from octo_desktop.storage.writer import Store, open_store

__all__ = [
    "ControlReader",
    "DatabaseInUse",
    "EQUITY_HISTORY",
    "FILL_COLUMNS",
    "JournalEntry",
    "RECENT_DECISIONS",
    "RECENT_TRADES",
    "SCHEMA_VERSION",
    "StorageError",
    "Store",
    "StoredState",
    "TRADE_COLUMNS",
    "TRANSFER_COLUMNS",
    "TreasuryRecord",
    "control_answer",
    "inspect_database",
    "open_store",
    "post_control",
    "read_advice",
    "read_treasury",
    "write_fills_csv",
    "write_trades_csv",
    "write_transfers_csv",
]
