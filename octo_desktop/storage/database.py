"""Opening and validating an Octo database file: header check, engine, metadata, migrations.

Nothing here writes to a file that is not Octo's: a foreign, newer or damaged file is refused with a
``StorageError`` naming it and left exactly as it was.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError

from octo_desktop.storage.errors import StorageError
from octo_desktop.storage.lock import DatabaseLock
from octo_desktop.storage.tables import SCHEMA_VERSION, Base, MetaRow

log = logging.getLogger(__name__)

APP_ID = "octo"

_SQLITE_HEADER = b"SQLite format 3\x00"


def open_database(path: Path, *, busy_timeout_ms: int,
                  max_size_bytes: int | None) -> tuple[Engine, bool, DatabaseLock]:
    """Lock, check and prepare the database at ``path`` for writing (see ``open_store``).

    Return its engine, whether initial balances are recorded, and the lock that ``Store.close`` releases.
    """
    if path.is_dir():
        raise StorageError(f"database {path} is a directory, not a file")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageError(f"cannot create directory {path.parent}: {exc.strerror}") from exc
    lock = DatabaseLock.acquire(path)  # before anything reads or writes the file: one engine per database
    try:
        _check_header(path)
        engine = _create_engine(path, busy_timeout_ms=busy_timeout_ms, max_size_bytes=max_size_bytes)
        try:
            initialized = _prepare(engine, path)
        except BaseException:
            engine.dispose()
            raise
    except BaseException:
        lock.release()
        raise
    return engine, initialized, lock


def _check_header(path: Path) -> None:
    # Refuse a non-SQLite file before SQLite touches it: nothing is ever written to a foreign file.
    try:
        with open(path, "rb") as handle:
            header = handle.read(len(_SQLITE_HEADER))
    except FileNotFoundError:
        return
    except OSError as exc:
        raise StorageError(f"cannot read {path}: {exc.strerror}") from exc
    if header and header != _SQLITE_HEADER:
        raise StorageError(f"database {path} is not an Octo database (file is not a database)")


def _create_engine(path: Path, *, busy_timeout_ms: int, max_size_bytes: int | None = None,
                   read_only: bool = False, immutable: bool = False) -> Engine:
    if read_only:
        # path.as_uri() percent-encodes spaces, '?' and '#' in the file name. immutable: SQLite reads the
        # file alone and creates no -wal/-shm beside it (only for a file no one else is writing).
        query = {"mode": "ro", "uri": "true", **({"immutable": "1"} if immutable else {})}
        url = URL.create("sqlite", database=path.absolute().as_uri(), query=query)
    else:
        url = URL.create("sqlite", database=str(path))
    # check_same_thread=False: pooled connections move between threads, one thread at a time.
    engine = create_engine(url, connect_args={"check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, record: object) -> None:
        # Let SQLAlchemy's begin event issue BEGIN itself (pysqlite's implicit BEGIN is deferred
        # and skips some statements); see SQLAlchemy's "Serializable isolation" recipe.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys = ON")
        if not read_only:
            cursor.execute("PRAGMA synchronous = NORMAL")  # the writer raises it to FULL for journal batches
            # macOS: a plain fsync leaves the data in the drive's volatile cache, F_FULLFSYNC does not.
            # Elsewhere SQLite ignores it.
            cursor.execute("PRAGMA fullfsync = ON")
        if max_size_bytes is not None:
            page_size = cursor.execute("PRAGMA page_size").fetchone()[0]
            cursor.execute(f"PRAGMA max_page_count = {max(1, int(max_size_bytes) // page_size)}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # The writer takes the write lock up front, so a busy database fails at BEGIN, not halfway.
        immediate = connection.get_execution_options().get("octo_writer", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def _read_meta(engine: Engine, path: Path) -> tuple[set[str], dict[str, str]]:
    try:
        with engine.connect() as conn:
            tables = set(conn.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'table'").scalars())
            meta = {}
            if "meta" in tables:
                meta = {row.key: row.value for row in conn.execute(select(MetaRow.key, MetaRow.value))}
    except DBAPIError as exc:
        raise StorageError(_describe(exc, path, "open")) from exc
    return tables, meta


def _validate(path: Path, tables: set[str], meta: dict[str, str]) -> int | None:
    """Return the file's schema version (None for an empty database) or raise StorageError."""
    user_tables = {name for name in tables if not name.startswith("sqlite_")}
    if not user_tables:
        return None
    if meta.get("app") != APP_ID:
        what = "no Octo metadata" if not meta else f"app is {meta.get('app')!r}"
        raise StorageError(f"database {path} is not an Octo database ({what})")
    try:
        version = int(meta.get("schema_version", ""))
    except ValueError:
        raise StorageError(f"database {path} is not an Octo database "
                           f"(bad schema version {meta.get('schema_version')!r})") from None
    if version > SCHEMA_VERSION:
        raise StorageError(f"database {path} has schema version {version}, newer than this Octo "
                           f"understands ({SCHEMA_VERSION}); use a newer Octo or another database")
    if version < 1:
        raise StorageError(f"database {path} has schema version {version} and no migration to "
                           f"{SCHEMA_VERSION} exists")
    return version


def _prepare(engine: Engine, path: Path) -> bool:
    """Validate, switch to WAL, create missing tables; return whether initial balances exist."""
    tables, meta = _read_meta(engine, path)
    version = _validate(path, tables, meta)
    try:
        raw = engine.raw_connection()
        try:
            mode = raw.driver_connection.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        finally:
            raw.close()
        if mode.lower() != "wal":
            log.warning("database %s: journal mode is %s, not WAL (filesystem without shared memory?)",
                        path, mode)
        with engine.begin() as conn:
            Base.metadata.create_all(conn)
            if version is not None and version < SCHEMA_VERSION:
                _migrate(conn, version)
            if version is None:
                _upsert_meta(conn, {"app": APP_ID, "schema_version": str(SCHEMA_VERSION),
                                    "created_at": datetime.now(timezone.utc).isoformat()})
    except DBAPIError as exc:
        raise StorageError(_describe(exc, path, "open")) from exc
    return "initialized_at" in meta


_MIGRATIONS = {
    # 1 -> 2: order ids on fills (unique with their sequence), execution details on trades. The new
    # tables (journal, risk_events, control) are created by create_all.
    # 2 -> 3: only new tables (advice, advisor_days, spoof_events), created by create_all.
    # 3 -> 4: only a new table (transfers), created by create_all.
    # 4 -> 5: each opportunity's transfer cost term.
    # 5 -> 6: only new tables (routes, route_children), created by create_all.
    5: (),
    4: ("ALTER TABLE opportunities ADD COLUMN transfer_bps FLOAT",),
    3: (),
    2: (),
    1: (
        "ALTER TABLE fills ADD COLUMN order_id TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE fills ADD COLUMN fill_seq INTEGER",
        "CREATE UNIQUE INDEX IF NOT EXISTS ux_fills_order_seq ON fills (order_id, fill_seq) WHERE order_id != ''",
        *(f"ALTER TABLE trades ADD COLUMN {name} {kind}" for name, kind in (
            ("buy_order_type", "TEXT"), ("sell_order_type", "TEXT"), ("decision_buy_vwap", "FLOAT"),
            ("decision_sell_vwap", "FLOAT"), ("arrival_buy_vwap", "FLOAT"), ("arrival_sell_vwap", "FLOAT"),
            ("steps", "TEXT"), ("expected_edge", "TEXT"), ("latency_decay", "TEXT"), ("slippage", "TEXT"),
            ("rollback_loss", "TEXT"))),
    ),
}


def _migrate(conn: Connection, version: int) -> None:
    """Bring a database from ``version`` to SCHEMA_VERSION, one step at a time, in the open transaction."""
    while version < SCHEMA_VERSION:
        for statement in _MIGRATIONS[version]:
            conn.exec_driver_sql(statement)
        version += 1
        log.info("database migrated to schema version %d", version)
    _upsert_meta(conn, {"schema_version": str(SCHEMA_VERSION)})


def _describe(exc: BaseException, path: Path, action: str) -> str:
    """Translate a database or OS error into one line naming the file."""
    original = getattr(exc, "orig", None) or exc
    name = getattr(original, "sqlite_errorname", "") or ""
    reasons = (
        ("SQLITE_FULL", "disk full"),
        ("SQLITE_BUSY", "database is locked by another connection"),
        ("SQLITE_LOCKED", "database is locked by another connection"),
        ("SQLITE_READONLY", "the file or its directory is read-only"),
        ("SQLITE_IOERR", "disk I/O error"),
        ("SQLITE_CORRUPT", "the database file is corrupt"),
        ("SQLITE_NOTADB", "file is not a database"),
        ("SQLITE_CANTOPEN", "cannot open the file"),
        ("SQLITE_PERM", "permission denied"),
    )
    for prefix, reason in reasons:
        if name.startswith(prefix):
            if prefix == "SQLITE_NOTADB":
                return f"database {path} is not an Octo database ({reason})"
            return f"cannot {action} {path}: {reason}"
    if isinstance(original, OSError) and original.strerror:
        return f"cannot {action} {path}: {original.strerror}"
    first_line = str(original).splitlines()[0] if str(original) else type(original).__name__
    return f"cannot {action} {path}: {first_line}"


def _require_file(path: Path) -> None:
    """Raise StorageError unless ``path`` is an existing file (a directory is named as one)."""
    if path.is_dir():
        raise StorageError(f"database {path} is a directory, not a file")
    if not path.is_file():
        raise StorageError(f"database {path} does not exist")


def _open_reader(path: str | Path) -> Engine:
    # A read-only engine on an existing Octo database, for exports by path.
    path = Path(path).expanduser()
    _require_file(path)
    _check_header(path)
    engine = _create_engine(path, busy_timeout_ms=5000, read_only=True)
    try:
        tables, meta = _read_meta(engine, path)
        if _validate(path, tables, meta) is None:
            raise StorageError(f"database {path} is not an Octo database (it is empty)")
    except BaseException:
        engine.dispose()
        raise
    return engine


# INSERT ... ON CONFLICT DO UPDATE of every other column: the writer's upserts and the meta table's.
def _upsert(model: type[Base], keys: list[str]):
    statement = sqlite_insert(model)
    columns = [c.name for c in model.__table__.columns if c.name not in keys]
    return statement.on_conflict_do_update(
        index_elements=keys, set_={name: statement.excluded[name] for name in columns})


_UPSERT_META = _upsert(MetaRow, ["key"])


def _upsert_meta(conn: Connection, values: Mapping[str, str]) -> None:
    conn.execute(_UPSERT_META, [{"key": k, "value": v} for k, v in values.items()])
