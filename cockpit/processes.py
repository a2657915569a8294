"""Exactly one scheduler per deployment: an exclusive, non-blocking lock on a file (one machine) and,
when the warehouse is PostgreSQL, a session advisory lock held on a dedicated connection (several
machines sharing one warehouse). A second holder is refused at once, never queued.
"""

from __future__ import annotations

import fcntl
import os
import zlib
from pathlib import Path
from types import TracebackType

from sqlalchemy import Connection, Engine, text

# pg advisory locks take a bigint key; derive a stable one from the lock's name
ADVISORY_KEY = zlib.crc32(b"cockpit.scheduler")


class AlreadyRunning(RuntimeError):
    """Another process holds the single-instance lock."""


class SingleInstance:
    """``with SingleInstance(lock_file, engine): ...`` — raises ``AlreadyRunning`` if another process
    holds the file lock (or, on PostgreSQL, the advisory lock of the warehouse)."""

    def __init__(self, lock_file: Path | str, engine: Engine | None = None, *, what: str = "scheduler") -> None:
        self.lock_file = Path(lock_file)
        self.engine = engine
        self.what = what
        self._fd: int | None = None
        self._conn: Connection | None = None

    def acquire(self) -> None:
        self.lock_file.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.lock_file, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 64).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise AlreadyRunning(
                f"another {self.what} is already running (pid {holder}, lock file {self.lock_file}); "
                f"only one {self.what} may run per deployment: stop that one first"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        if self.engine is not None and self.engine.dialect.name == "postgresql":
            try:
                self._advisory_lock()
            except BaseException:
                self._release_file()
                raise

    def _advisory_lock(self) -> None:
        assert self.engine is not None
        conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": ADVISORY_KEY}).scalar()
        if not got:
            holder = conn.execute(
                text("SELECT a.client_addr, a.pid FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                     "WHERE l.locktype = 'advisory' AND l.objid = :k AND l.granted LIMIT 1"),
                {"k": ADVISORY_KEY},
            ).first()
            conn.close()
            where = f" (database session {holder.pid} from {holder.client_addr or 'local socket'})" if holder else ""
            raise AlreadyRunning(
                f"another {self.what} already holds the warehouse lock{where}; only one {self.what} may run "
                f"per deployment, even across machines: stop that one first"
            )
        self._conn = conn

    def _release_file(self) -> None:
        if self._fd is not None:
            try:
                os.ftruncate(self._fd, 0)
                fcntl.flock(self._fd, fcntl.LOCK_UN)
            finally:
                os.close(self._fd)
                self._fd = None

    def release(self) -> None:
        if self._conn is not None:
            try:
                self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": ADVISORY_KEY})
            except Exception:  # the session ending releases the lock anyway
                pass
            finally:
                self._conn.close()
                self._conn = None
        self._release_file()

    def __enter__(self) -> SingleInstance:
        self.acquire()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.release()
