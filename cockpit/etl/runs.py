"""The ``etl_run`` record of each source run: started 'running', ended success / failed /
interrupted; runs left 'running' by a process that died become 'abandoned'."""

from __future__ import annotations

import socket
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, insert, update

from cockpit.privacy import mask_text
from cockpit.warehouse.data_version import bump_data_version
from cockpit.warehouse.schema import etl_run
from cockpit import clock


def start(engine: Engine, source: str, *, full: bool, watermark: str | None, now: datetime) -> int:
    with engine.begin() as conn:
        return conn.execute(insert(etl_run).values(
            source=source, full=full, started_at=now, status="running", attempts=1, rows_read=0, rows_loaded=0,
            rows_rejected=0, watermark_before=watermark, host=socket.gethostname()[:120],
        ).returning(etl_run.c.id)).scalar_one()


def finish(engine: Engine, run_id: int, now: datetime, **values: Any) -> None:
    if values.get("error"):  # an error message may quote a source value
        values["error"] = mask_text(values["error"])
    with engine.begin() as conn:
        conn.execute(update(etl_run).where(etl_run.c.id == run_id).values(ended_at=now, **values))


def mark_abandoned_runs(engine: Engine, now: datetime | None = None) -> int:
    """Runs still 'running' become 'abandoned'. Call only where no other ETL runs (the scheduler,
    holding its single-instance lock, at start-up). Returns how many were marked; the source health
    screens show them, so marking any moves the data version."""
    with engine.begin() as conn:
        marked = conn.execute(update(etl_run).where(etl_run.c.status == "running").values(
            status="abandoned", ended_at=now or clock.now(),
            error="the process running this load stopped before it finished")).rowcount
        if marked:
            bump_data_version(conn)
    return marked
