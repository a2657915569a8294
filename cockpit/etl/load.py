"""Load: upsert standardised rows on the target's business key, writing only rows whose
``row_hash`` differs, inside the caller's transaction.

- SQLite: the stored hashes of the batch's keys are looked up, then one ``executemany`` of
  ``INSERT … ON CONFLICT DO UPDATE … WHERE row_hash IS NOT excluded.row_hash`` for the changed rows.
- PostgreSQL: ``COPY`` (psycopg 3) into a temporary staging table, then
  ``INSERT … SELECT … ON CONFLICT DO UPDATE … WHERE row_hash IS DISTINCT FROM … RETURNING``.

Both return the changed rows (source key and main time value), so the run counts real changes.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date, datetime

import numpy as np
import pandas as pd
from sqlalchemy import Connection, String

from cockpit.warehouse import schema
from cockpit.warehouse.targets import Target

# the time field whose days a load touches (aggregates are refreshed for those days)
MAIN_TIME_FIELD = {
    "event": "reported_at",
    "service_application": "submitted_at",
    "sensor_reading": "ts",
    "inspection": "inspected_at",
    "indicator_value": "period_start",
}


@dataclass
class LoadOutcome:
    changed_keys: list[str] = field(default_factory=list)  # src_key of every inserted or changed row
    days: set[date] = field(default_factory=set)


def table_columns(target: Target) -> list[str]:
    return [c.name for c in schema.metadata.tables[target.table].columns]


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def prepare(frame: pd.DataFrame, target: Target, loaded_at: datetime) -> pd.DataFrame:
    """Columns in table order, text cut to the column's length, ``loaded_at`` set."""
    table = schema.metadata.tables[target.table]
    frame = frame.copy()
    frame["loaded_at"] = loaded_at.strftime("%Y-%m-%d %H:%M:%S.%f")
    cols = [c.name for c in table.columns if c.name in frame.columns]
    for c in table.columns:
        if c.name in frame.columns and isinstance(c.type, String) and c.type.length:
            s = frame[c.name]
            if s.dtype == object:
                frame[c.name] = s.where(s.isna(), s.astype(str).str.slice(0, c.type.length))
    return frame[cols]


def _python_columns(frame: pd.DataFrame) -> list[list]:
    """Column-wise lists of plain Python values (None for missing), for the DBAPI."""
    return [frame[c].astype(object).where(frame[c].notna(), None).tolist() for c in frame.columns]


def upsert(conn: Connection, target: Target, frame: pd.DataFrame, loaded_at: datetime) -> LoadOutcome:
    """Write ``frame`` (standardised rows with lineage and row_hash) into the target table."""
    if frame.empty:
        return LoadOutcome()
    frame = prepare(frame, target, loaded_at)
    if conn.dialect.name == "postgresql":
        return _upsert_postgresql(conn, target, frame)
    return _upsert_sqlite(conn, target, frame)


def _update_clause(cols: list[str], key: tuple[str, ...]) -> str:
    return ", ".join(f"{_q(c)} = excluded.{_q(c)}" for c in cols if c not in key)


def _outcome(target: Target, keys: list, times: list) -> LoadOutcome:
    days: set[date] = set()
    if target.table in MAIN_TIME_FIELD:
        for t in set(times):
            if t is None:
                continue
            if isinstance(t, datetime):
                days.add(t.date())
            elif isinstance(t, date):
                days.add(t)
            else:
                days.add(date.fromisoformat(str(t)[:10]))
    return LoadOutcome(changed_keys=list(keys), days=days)


# ---------------------------------------------------------------- SQLite
def _stored_hashes(cur, target: Target, frame: pd.DataFrame) -> pd.Series:
    """The row_hash already stored for each row's business key (None where new): the batch's keys
    go into a temporary table joined with the target on its key index."""
    key = list(target.business_key)
    table = _q(target.table)
    none = pd.Series([None] * len(frame), index=frame.index, dtype=object)
    if tuple(key) == ("src_source", "src_key"):
        probe = cur.execute(f"SELECT 1 FROM {table} WHERE src_source = ? LIMIT 1", (frame["src_source"].iloc[0],))
    else:
        probe = cur.execute(f"SELECT 1 FROM {table} LIMIT 1")
    if probe.fetchone() is None:
        return none
    tuples = list(zip(*_python_columns(frame[key])))
    cols = ", ".join(_q(c) for c in key)
    cur.execute("DROP TABLE IF EXISTS temp.etl_keys")
    cur.execute(f"CREATE TEMP TABLE etl_keys ({cols})")
    cur.executemany(f"INSERT INTO temp.etl_keys VALUES ({', '.join('?' for _ in key)})", tuples)
    on = " AND ".join(f"t.{_q(c)} = k.{_q(c)}" for c in key)
    found = {tuple(r[:-1]): r[-1] for r in cur.execute(
        f"SELECT {', '.join('t.' + _q(c) for c in key)}, t.row_hash FROM temp.etl_keys k JOIN {table} t ON {on}")}
    cur.execute("DROP TABLE temp.etl_keys")
    return pd.Series([found.get(t) for t in tuples], index=frame.index, dtype=object)


def _upsert_sqlite(conn: Connection, target: Target, frame: pd.DataFrame) -> LoadOutcome:
    cur = conn.connection.dbapi_connection.cursor()
    try:
        stored = _stored_hashes(cur, target, frame)
        changed = frame[stored.ne(frame["row_hash"]) | stored.isna()]
        if changed.empty:
            return LoadOutcome()
        cols = list(changed.columns)
        key = target.business_key
        sql = (f"INSERT INTO {_q(target.table)} ({', '.join(_q(c) for c in cols)}) "
               f"VALUES ({', '.join('?' for _ in cols)}) "
               f"ON CONFLICT ({', '.join(_q(c) for c in key)}) DO UPDATE SET {_update_clause(cols, key)} "
               f"WHERE {_q(target.table)}.row_hash IS NOT excluded.row_hash")
        cur.executemany(sql, zip(*_python_columns(changed)))
    finally:
        cur.close()
    time_col = MAIN_TIME_FIELD.get(target.table)
    times = changed[time_col].tolist() if time_col in changed else []
    return _outcome(target, changed["src_key"].tolist(), times)


# ---------------------------------------------------------------- PostgreSQL
def _upsert_postgresql(conn: Connection, target: Target, frame: pd.DataFrame) -> LoadOutcome:
    cols = list(frame.columns)
    collist = ", ".join(_q(c) for c in cols)
    key = target.business_key
    stage = _q(f"etl_stage_{target.table}")
    time_col = MAIN_TIME_FIELD.get(target.table)
    returning = "src_key" + (f", {_q(time_col)}" if time_col in cols else "")
    buf = io.StringIO()
    frame.to_csv(buf, index=False, header=False, na_rep="\\N")
    raw = conn.connection.dbapi_connection
    with raw.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {stage}")
        cur.execute(f"CREATE TEMP TABLE {stage} ON COMMIT DROP AS SELECT {collist} FROM {_q(target.table)} WHERE false")
        with cur.copy(f"COPY {stage} ({collist}) FROM STDIN (FORMAT csv, NULL '\\N')") as copy:
            copy.write(buf.getvalue())
        cur.execute(
            f"INSERT INTO {_q(target.table)} ({collist}) SELECT {collist} FROM {stage} "
            f"ON CONFLICT ({', '.join(_q(c) for c in key)}) DO UPDATE SET {_update_clause(cols, key)} "
            f"WHERE {_q(target.table)}.row_hash IS DISTINCT FROM excluded.row_hash RETURNING {returning}")
        rows = cur.fetchall()
        cur.execute(f"DROP TABLE {stage}")
    return _outcome(target, [r[0] for r in rows], [r[1] for r in rows] if time_col in cols else [])
