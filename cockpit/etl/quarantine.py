"""Quarantine: one ``dq_issue`` row per bad source row, upserted on (source, fingerprint, rule) so a
re-run does not duplicate it; resolved when a later version of the row loads cleanly."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Iterable

import numpy as np
import pandas as pd
from sqlalchemy import Connection, and_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from cockpit.etl.steps import Batch, fingerprint
from cockpit.privacy import mask_text, mask_value
from cockpit.warehouse.schema import dq_issue

RESOLVE_CHUNK = 500


def _plain(value: object) -> object:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, (np.integer, np.floating)):
        return value.item()
    if isinstance(value, bytes):
        return value.hex()
    return value


def issues(b: Batch, run_id: int | None, now: datetime) -> list[dict]:
    """The dq_issue rows for the rejected rows of a standardised batch."""
    bad = np.flatnonzero(b.rule.notna().to_numpy())
    if not len(bad):
        return []
    raw = b.raw.iloc[bad]
    names = [str(c) for c in raw.columns]
    columns = [raw[c].to_numpy(dtype=object).tolist() for c in raw.columns]
    keys, rules = b.key.to_numpy(dtype=object), b.rule.to_numpy(dtype=object)
    fields, reasons = b.field.to_numpy(dtype=object), b.reason.to_numpy(dtype=object)
    out = []
    for j, i in enumerate(bad):
        row = {name: _plain(col[j]) for name, col in zip(names, columns)}
        text = json.dumps(row, ensure_ascii=False, sort_keys=True, default=str)
        out.append({
            "source": b.source.name,
            "source_key": _plain(keys[i]),
            "fingerprint": fingerprint(text),
            "rule": rules[i],
            "field": _plain(fields[i]),
            "reason": mask_text(str(reasons[i])),
            "raw": json.dumps(mask_value(row), ensure_ascii=False, sort_keys=True, default=str),
            "run_id": run_id,
            "first_seen_at": now,
            "last_seen_at": now,
            "resolved_at": None,
        })
    return out


def record(conn: Connection, rows: list[dict]) -> None:
    """Insert new issues; for known ones update reason, run and last seen, and reopen them."""
    if not rows:
        rows_unique = []
    else:
        rows_unique = list({(r["source"], r["fingerprint"], r["rule"]): r for r in rows}.values())
    if not rows_unique:
        return
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    stmt = insert(dq_issue)
    stmt = stmt.on_conflict_do_update(
        index_elements=["source", "fingerprint", "rule"],
        set_={"reason": stmt.excluded.reason, "field": stmt.excluded.field, "run_id": stmt.excluded.run_id,
              "last_seen_at": stmt.excluded.last_seen_at, "source_key": stmt.excluded.source_key,
              "resolved_at": None},
    )
    conn.execute(stmt, rows_unique)


def resolve(conn: Connection, source: str, loaded_keys: Iterable[str], run_id: int | None, now: datetime) -> int:
    """Mark resolved the open issues of ``source`` whose source key has just loaded cleanly
    (issues raised in this same run, e.g. a duplicate copy of a loaded row, stay open)."""
    open_keys = set(conn.execute(
        select(dq_issue.c.source_key).distinct().where(
            dq_issue.c.source == source, dq_issue.c.resolved_at.is_(None), dq_issue.c.source_key.is_not(None),
            dq_issue.c.run_id.is_distinct_from(run_id),
        )).scalars())
    if not open_keys:
        return 0
    keys = sorted(open_keys.intersection(loaded_keys))
    done = 0
    for start in range(0, len(keys), RESOLVE_CHUNK):
        chunk = keys[start:start + RESOLVE_CHUNK]
        done += conn.execute(update(dq_issue).where(and_(
            dq_issue.c.source == source, dq_issue.c.source_key.in_(chunk), dq_issue.c.resolved_at.is_(None),
            dq_issue.c.run_id.is_distinct_from(run_id),
        )).values(resolved_at=now)).rowcount
    return done
