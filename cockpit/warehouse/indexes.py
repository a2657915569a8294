"""Secondary indexes during a first load: a table that is empty when an ETL pass (or the aggregate
build after it) starts is filled without its secondary indexes, which are built once, from the
loaded rows, when the pass ends.

Keeping an index up to date row by row costs a B-tree descent per row per index, and at county
scale the descents leave the page cache; building the index at the end sorts the rows once.
Unique constraints and primary keys stay: the load relies on them to detect existing keys.

An interrupted pass (a killed process) can leave a table without its secondary indexes: every
pass starts by creating whatever index of its tables is missing, so the next pass heals it.
Indexes only change how fast rows are found, never which rows a query returns, so a reader
meeting a table between the drop and the rebuild reads the same rows, slower.
"""

from __future__ import annotations

import logging
import os
from contextlib import contextmanager
from typing import Iterator

from sqlalchemy import Connection, Engine, Index, text

from cockpit.warehouse import schema

log = logging.getLogger(__name__)

# index builds sort in memory up to this much per index (PostgreSQL; the server default is 64 MB)
PG_BUILD_MEMORY = "256MB"
# SQLite sorts an index build with this many helper threads (a third of the time on two cores)
SQLITE_SORT_THREADS = min(4, os.cpu_count() or 1)


def secondary_indexes(table: str) -> list[Index]:
    """The declared indexes of ``table`` that are neither unique nor a constraint, by name."""
    return sorted((ix for ix in schema.metadata.tables[table].indexes if not ix.unique), key=lambda ix: ix.name)


def _is_empty(conn: Connection, table: str) -> bool:
    return conn.execute(text(f'SELECT 1 FROM "{table}" LIMIT 1')).first() is None


def ensure(conn: Connection, tables: list[str]) -> None:
    """Create the declared secondary indexes of ``tables`` that do not exist."""
    sqlite = conn.dialect.name == "sqlite"
    if sqlite:  # sort with helper threads (the setting is the connection's: set back below)
        conn.exec_driver_sql(f"PRAGMA threads = {SQLITE_SORT_THREADS}")
    else:
        conn.execute(text(f"SET LOCAL maintenance_work_mem = '{PG_BUILD_MEMORY}'"))
    try:
        for table in tables:
            for ix in secondary_indexes(table):
                ix.create(conn, checkfirst=True)
    finally:
        if sqlite:
            conn.exec_driver_sql("PRAGMA threads = 0")


def _drop(conn: Connection, ix: Index) -> None:
    conn.execute(text(f'DROP INDEX IF EXISTS "{ix.name}"'))


@contextmanager
def deferred_for_empty(engine: Engine, tables: list[str]) -> Iterator[list[str]]:
    """Within the block, the tables among ``tables`` that are empty have no secondary indexes; the
    block gets their names. Every index of ``tables`` exists again when the block ends (even when it
    ends by an exception)."""
    tables = sorted(set(tables))
    with engine.begin() as conn:
        ensure(conn, tables)
        empty = [t for t in tables if secondary_indexes(t) and _is_empty(conn, t)]
        for table in empty:
            for ix in secondary_indexes(table):
                _drop(conn, ix)
    if empty:
        log.info("first load of %s: secondary indexes built at the end", ", ".join(empty))
    try:
        yield empty
    finally:
        if empty:
            try:
                with engine.begin() as conn:
                    ensure(conn, empty)
                    if conn.dialect.name == "postgresql":
                        # statistics now, not when autovacuum comes by: the rules pass that follows a
                        # first load would otherwise be planned on an "empty" table (minutes, not seconds)
                        for table in empty:
                            conn.execute(text(f'ANALYZE "{table}"'))
            except Exception:  # the next pass creates them (``ensure`` at its start)
                log.exception("building the indexes of %s failed; the next load creates them", ", ".join(empty))
