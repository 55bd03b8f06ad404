"""One engine per database: an operating-system lock on a file beside it, held while the store is open.

Two engines writing one database reuse each other's trade and order ids and interleave their
journals, so the second one (window, headless run, record, replay) is refused before it reads or
writes anything. The lock is the kernel's (``flock`` on Linux and macOS, ``msvcrt.locking`` on
Windows): it is released when the process ends however it ends, kill -9 included, so there is never a
stale lock to clean up. The lock file (``<database>.lock``) stays beside the database; deleting it
while an engine runs would let a second one in, so Octo never deletes it.

Commands that only read the database or post to its control table (``halt``, ``resume``, ``export``,
``ai-log``, ``doctor``) take no lock and work beside a running engine.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from octo_desktop.storage.errors import StorageError

if sys.platform == "win32":  # pragma: no cover - exercised on the Windows build only
    import msvcrt

    def _try_lock(fd: int) -> bool:
        os.lseek(fd, 0, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)

# Windows locks are mandatory: nobody else can read the locked byte. The holder's description is
# written after it, so a refused process can still say who holds the database.
_INFO_OFFSET = 1


class DatabaseInUse(StorageError):
    """Another Octo process has the database open for writing; the message names it."""


def lock_path(database: Path) -> Path:
    """Return the lock file of ``database``."""
    return database.with_name(database.name + ".lock")


class DatabaseLock:
    """The exclusive lock of one database, held by this process until ``release``."""

    def __init__(self, database: Path, fd: int) -> None:
        self.database = database
        self._fd: int | None = fd

    @classmethod
    def acquire(cls, database: Path) -> "DatabaseLock":
        """Lock ``database`` for this process, or raise DatabaseInUse naming the process that holds it."""
        path = lock_path(database)
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise StorageError(f"cannot lock {database}: cannot open {path}: {exc.strerror}") from exc
        if not _try_lock(fd):
            holder = _read_holder(fd)
            os.close(fd)
            raise DatabaseInUse(f"database {database} is in use by another Octo process ({holder}); "
                                f"stop it first, or use another --db (halt, resume, export and ai-log "
                                f"work beside it)")
        try:
            _write_holder(fd)
        except OSError:
            pass  # the lock holds without its description; a refused process then says less
        return cls(database, fd)

    @property
    def is_held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        """Release the lock (idempotent)."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            _unlock(fd)
        except OSError:
            pass  # closing the descriptor releases it anyway
        os.close(fd)


def _write_holder(fd: int) -> None:
    info = {"pid": os.getpid(), "host": socket.gethostname(), "since": time.time(), "command": _command()}
    data = b" " * _INFO_OFFSET + json.dumps(info).encode("utf-8")
    os.ftruncate(fd, 0)
    os.lseek(fd, 0, os.SEEK_SET)
    os.write(fd, data)


def _command() -> str:
    """Return this process's command line as a trader typed it (``octo_desktop run ...``), shortened."""
    if not sys.argv:
        return ""
    program = Path(sys.argv[0]).name
    if program in ("__main__.py", "-m", "-c"):
        program = "octo_desktop"
    return " ".join([program, *sys.argv[1:]])[:300]


def _read_holder(fd: int) -> str:
    """Describe the lock's holder from what it wrote: pid, since when, which command."""
    try:
        os.lseek(fd, _INFO_OFFSET, os.SEEK_SET)
        info = json.loads(os.read(fd, 4096).decode("utf-8"))
        since = datetime.fromtimestamp(float(info["since"]), timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
        text = f"pid {int(info['pid'])}"
        if info.get("host") and info["host"] != socket.gethostname():
            text += f" on {info['host']}"
        text += f", since {since}"
        if info.get("command"):
            text += f": {info['command']}"
        return text
    except (OSError, ValueError, KeyError, TypeError):
        return "it did not say which"
