"""Engine creation for the warehouse (SQLite in WAL mode, or PostgreSQL)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url


SQLITE_CACHE_KIB = 32 * 1024  # page cache per pooled connection, at most


def _sqlite_pragmas(dbapi_conn, _record) -> None:  # noqa: ANN001 - DBAPI hook
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")  # a writing scheduler and reading web workers share the file
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA foreign_keys=ON")
    # a screen's queries touch index pages all over a county warehouse: the default 2 MB page cache per
    # connection let them go, to be read again from the OS (from disk where its file cache is small)
    cur.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
    cur.close()


def make_engine(url: str) -> Engine:
    """A new engine for ``url``; SQLite files get their folder created and WAL mode."""
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        if u.database and u.database != ":memory:":
            Path(u.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(u, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if u.drivername == "postgresql":
        u = u.set(drivername="postgresql+psycopg")
    # JIT compilation only pays for long analytical scans; on the cockpit's small indexed reads its
    # start-up cost (tens of ms, set off by row over-estimates) was most of a query's time
    return create_engine(u, pool_pre_ping=True, connect_args={"options": "-c jit=off"})


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    """The process-wide engine for ``url`` (one pool per process)."""
    return make_engine(url)


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"
