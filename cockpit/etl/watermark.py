"""The stored replication watermark of each source (text; compared in the source column's type)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from cockpit.warehouse.schema import etl_watermark


def get(conn: Connection, source: str) -> str | None:
    return conn.execute(select(etl_watermark.c.value).where(etl_watermark.c.source == source)).scalar_one_or_none()


def put(conn: Connection, source: str, value: str | None, run_id: int | None, now: datetime) -> None:
    """Set the watermark (inside the caller's batch transaction, so it moves only when the batch commits)."""
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    stmt = insert(etl_watermark).values(source=source, value=value, run_id=run_id, updated_at=now)
    conn.execute(stmt.on_conflict_do_update(
        index_elements=["source"], set_={"value": value, "run_id": run_id, "updated_at": now}))


def advance(current: str | None, batch_mark: str | None) -> str | None:
    """The later of two watermarks: numerically when both are numbers (epoch columns), else as text.
    A full reload re-reads from the start but never moves the watermark back."""
    if batch_mark is None:
        return current
    if current is None:
        return batch_mark
    try:
        return batch_mark if float(batch_mark) >= float(current) else current
    except ValueError:
        return max(current, batch_mark)
