"""Load: upsert standardised rows on the target's business key, writing only rows whose
``row_hash`` differs, inside the caller's transaction.

- SQLite: the stored hashes of the batch's keys are looked up, then one ``executemany`` of
  ``INSERT … ON CONFLICT DO UPDATE … WHERE row_hash IS NOT excluded.row_hash`` for the changed rows.
- PostgreSQL: ``COPY`` (psycopg 3, one text-format block) into a temporary staging table, then
  ``INSERT … SELECT … ON CONFLICT DO UPDATE … WHERE row_hash IS DISTINCT FROM … RETURNING``.

``fresh=True`` (the source has never loaded a batch: its first load) tries the plain path first:
no stored-hash lookup, a plain ``INSERT`` (SQLite) or a ``COPY`` straight into the table
(PostgreSQL), inside a savepoint. Any row whose business key already exists makes that fail as a
whole; the savepoint is rolled back and the batch goes the upsert way. So the outcome is the same
either way: every row new, or only the changed rows written.

Columns whose value is the same on every row of the batch (source name, run id, load time, a
constant channel or metric) are written as SQL literals on SQLite instead of one bound parameter
per row.

Both return the changed rows (source key and main time value), so the run counts real changes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

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
    fresh_failed: bool = False  # a fresh (plain) load met existing keys and went the upsert way


def table_columns(target: Target) -> list[str]:
    return [c.name for c in schema.metadata.tables[target.table].columns]


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@dataclass
class Rows:
    """A batch as the database driver wants it: table-ordered column names and one list of plain
    Python values per column (None for missing, text cut to the column's length)."""

    names: list[str]
    columns: list[list]

    def __len__(self) -> int:
        return len(self.columns[0]) if self.columns else 0

    def column(self, name: str) -> list:
        return self.columns[self.names.index(name)]

    def take(self, positions: list[int]) -> Rows:
        return Rows(self.names, [[col[i] for i in positions] for col in self.columns])


def python_values(values: pd.Series) -> list:
    """A column as plain Python values, None where missing (NaN, NA, NaT)."""
    dtype = values.dtype
    if isinstance(dtype, pd.api.extensions.ExtensionDtype) and dtype.kind in "iub":
        return values.to_numpy(dtype=object, na_value=None).tolist()
    if dtype.kind == "f":
        out = values.tolist()
        if values.hasnans:
            out = [None if v != v else v for v in out]
        return out
    arr = values.to_numpy(dtype=object)
    missing = pd.isna(arr)
    if missing.any():
        arr = arr.copy()
        arr[missing] = None
    out = arr.tolist()
    if dtype.kind in "iubfmM":
        out = [v.item() if isinstance(v, np.generic) else v for v in out]
    return out


def _cut(values: list, length: int) -> list:
    """Text longer than ``length`` cut to fit (the list itself when nothing is too long)."""
    try:
        longest = max(map(len, filter(None, values)), default=0)
    except TypeError:  # not all text
        return [v[:length] if isinstance(v, str) and len(v) > length else v for v in values]
    if longest <= length:
        return values
    return [v[:length] if v is not None and len(v) > length else v for v in values]


def prepare_rows(frame: pd.DataFrame, target: Target, loaded_at: datetime) -> Rows:
    """Columns in table order, text cut to the column's length, ``loaded_at`` set."""
    table = schema.metadata.tables[target.table]
    stamp = loaded_at.strftime("%Y-%m-%d %H:%M:%S.%f")
    n = len(frame)
    names, columns = [], []
    for c in table.columns:
        if c.name == "loaded_at":
            values = [stamp] * n
        elif c.name in frame.columns:
            values = python_values(frame[c.name])
            if isinstance(c.type, String) and c.type.length:
                values = _cut(values, c.type.length)
        else:
            continue
        names.append(c.name)
        columns.append(values)
    return Rows(names, columns)


def prepare(frame: pd.DataFrame, target: Target, loaded_at: datetime) -> pd.DataFrame:
    """The same as ``prepare_rows``, as a frame (columns in table order)."""
    rows = prepare_rows(frame, target, loaded_at)
    return pd.DataFrame({n: pd.Series(c, dtype=object) for n, c in zip(rows.names, rows.columns)}, index=frame.index)


def upsert(conn: Connection, target: Target, frame: pd.DataFrame, loaded_at: datetime, *, fresh: bool = False) -> LoadOutcome:
    """Write ``frame`` (standardised rows with lineage and row_hash) into the target table."""
    if frame.empty:
        return LoadOutcome()
    rows = prepare_rows(frame, target, loaded_at)
    if conn.dialect.name == "postgresql":
        return _upsert_postgresql(conn, target, rows, fresh)
    return _upsert_sqlite(conn, target, rows, fresh)


def _update_clause(cols: list[str], key: tuple[str, ...]) -> str:
    return ", ".join(f"{_q(c)} = excluded.{_q(c)}" for c in cols if c not in key)


def _days(target: Target, times: list) -> set[date]:
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
    return days


def _outcome(target: Target, keys: list, times: list) -> LoadOutcome:
    return LoadOutcome(changed_keys=list(keys), days=_days(target, times))


def _all_rows(target: Target, rows: Rows) -> LoadOutcome:
    time_col = MAIN_TIME_FIELD.get(target.table)
    return _outcome(target, rows.column("src_key"), rows.column(time_col) if time_col in rows.names else [])


def _is_unique_violation(exc: Exception) -> bool:
    sqlstate = getattr(exc, "sqlstate", None)
    if sqlstate is not None:
        return sqlstate == "23505"
    return "UNIQUE constraint failed" in str(exc) or "PRIMARY KEY" in str(exc)


# ---------------------------------------------------------------- SQLite
def _constant(values: list) -> tuple[bool, Any]:
    """(True, value) when every row holds the same value that can be written as an SQL literal."""
    if not values:
        return False, None
    first = values[0]
    if not (first is None or first.__class__ in (str, int)):
        return False, None
    if first.__class__ is str and "\x00" in first:
        return False, None
    return values.count(first) == len(values), first


def _literal(value: Any) -> str:
    if value is None:
        return "NULL"
    if value.__class__ is int:
        return str(value)
    return "'" + value.replace("'", "''") + "'"


def _sqlite_statement(target: Target, rows: Rows, upsert: bool) -> tuple[str, list[list]]:
    """The INSERT with constant columns as literals, and the columns still bound per row."""
    placeholders, bound = [], []
    for values in rows.columns:
        const, value = _constant(values)
        if const:
            placeholders.append(_literal(value))
        else:
            placeholders.append("?")
            bound.append(values)
    sql = (f"INSERT INTO {_q(target.table)} ({', '.join(_q(c) for c in rows.names)}) "
           f"VALUES ({', '.join(placeholders)})")
    if upsert:
        key = target.business_key
        sql += (f" ON CONFLICT ({', '.join(_q(c) for c in key)}) DO UPDATE SET {_update_clause(rows.names, key)} "
                f"WHERE {_q(target.table)}.row_hash IS NOT excluded.row_hash")
    return sql, bound


def _executemany(cur, sql: str, bound: list[list], n: int) -> None:
    cur.executemany(sql, zip(*bound) if bound else ((),) * n)


def _stored_hashes(cur, target: Target, rows: Rows) -> list:
    """The row_hash already stored for each row's business key (None where new): the batch's keys
    go into a temporary table joined with the target on its key index."""
    key = list(target.business_key)
    table = _q(target.table)
    n = len(rows)
    if tuple(key) == ("src_source", "src_key"):
        probe = cur.execute(f"SELECT 1 FROM {table} WHERE src_source = ? LIMIT 1", (rows.column("src_source")[0],))
    else:
        probe = cur.execute(f"SELECT 1 FROM {table} LIMIT 1")
    if probe.fetchone() is None:
        return [None] * n
    tuples = list(zip(*[rows.column(c) for c in key]))
    cols = ", ".join(_q(c) for c in key)
    cur.execute("DROP TABLE IF EXISTS temp.etl_keys")
    cur.execute(f"CREATE TEMP TABLE etl_keys ({cols})")
    cur.executemany(f"INSERT INTO temp.etl_keys VALUES ({', '.join('?' for _ in key)})", tuples)
    on = " AND ".join(f"t.{_q(c)} = k.{_q(c)}" for c in key)
    found = {tuple(r[:-1]): r[-1] for r in cur.execute(
        f"SELECT {', '.join('t.' + _q(c) for c in key)}, t.row_hash FROM temp.etl_keys k JOIN {table} t ON {on}")}
    cur.execute("DROP TABLE temp.etl_keys")
    return [found.get(t) for t in tuples]


def _upsert_sqlite(conn: Connection, target: Target, rows: Rows, fresh: bool) -> LoadOutcome:
    import sqlite3

    dbapi = conn.connection.dbapi_connection
    cur = dbapi.cursor()
    fresh_failed = False
    try:
        if fresh:
            sql, bound = _sqlite_statement(target, rows, upsert=False)
            if not dbapi.in_transaction:  # a SAVEPOINT outside a transaction would commit on RELEASE
                cur.execute("BEGIN")
            cur.execute("SAVEPOINT etl_fresh")
            try:
                _executemany(cur, sql, bound, len(rows))
            except sqlite3.IntegrityError as exc:
                cur.execute("ROLLBACK TO SAVEPOINT etl_fresh")
                cur.execute("RELEASE SAVEPOINT etl_fresh")
                if not _is_unique_violation(exc):
                    raise
                fresh_failed = True
            else:
                cur.execute("RELEASE SAVEPOINT etl_fresh")
                return _all_rows(target, rows)
        stored = _stored_hashes(cur, target, rows)
        hashes = rows.column("row_hash")
        changed = [i for i, (old, new) in enumerate(zip(stored, hashes)) if old != new]
        if not changed:
            return LoadOutcome(fresh_failed=fresh_failed)
        if len(changed) < len(rows):
            rows = rows.take(changed)
        sql, bound = _sqlite_statement(target, rows, upsert=True)
        _executemany(cur, sql, bound, len(rows))
    finally:
        cur.close()
    outcome = _all_rows(target, rows)
    outcome.fresh_failed = fresh_failed
    return outcome


# ---------------------------------------------------------------- PostgreSQL
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_texts(values: list) -> list[str]:
    """One column in COPY text format: \\N for NULL, text escaped only where needed."""
    first = next((v for v in values if v is not None), None)
    if first is None:
        return ["\\N"] * len(values)
    cls = first.__class__
    if cls is str:
        out = [v if v is not None else "\\N" for v in values]
        joined = "".join(filter(None, values))
        if "\\" in joined or "\t" in joined or "\n" in joined or "\r" in joined:
            out = [v.translate(_COPY_ESCAPES) if v is not None else "\\N" for v in values]
        return out
    if cls is bool:
        return ["\\N" if v is None else ("t" if v else "f") for v in values]
    if cls is int:
        return ["\\N" if v is None else str(v) for v in values]
    if cls is float:
        return ["\\N" if v is None else (repr(v) if math.isfinite(v) else ("NaN" if v != v else ("Infinity" if v > 0 else "-Infinity")))
                for v in values]
    return ["\\N" if v is None else str(v).translate(_COPY_ESCAPES) for v in values]


def copy_block(rows: Rows) -> str:
    """The rows as one block of COPY text format."""
    texts = [_copy_texts(col) for col in rows.columns]
    return "\n".join(map("\t".join, zip(*texts))) + "\n"


def _upsert_postgresql(conn: Connection, target: Target, rows: Rows, fresh: bool) -> LoadOutcome:
    import psycopg

    cols = rows.names
    collist = ", ".join(_q(c) for c in cols)
    key = target.business_key
    table = _q(target.table)
    block = copy_block(rows)
    raw = conn.connection.dbapi_connection
    fresh_failed = False
    with raw.cursor() as cur:
        if fresh:
            cur.execute("SAVEPOINT etl_fresh")
            try:
                with cur.copy(f"COPY {table} ({collist}) FROM STDIN") as copy:
                    copy.write(block)
            except psycopg.errors.UniqueViolation:
                cur.execute("ROLLBACK TO SAVEPOINT etl_fresh")
                cur.execute("RELEASE SAVEPOINT etl_fresh")
                fresh_failed = True
            else:
                cur.execute("RELEASE SAVEPOINT etl_fresh")
                return _all_rows(target, rows)
        stage = _q(f"etl_stage_{target.table}")
        time_col = MAIN_TIME_FIELD.get(target.table)
        returning = "src_key" + (f", {_q(time_col)}" if time_col in cols else "")
        cur.execute(f"DROP TABLE IF EXISTS {stage}")
        cur.execute(f"CREATE TEMP TABLE {stage} ON COMMIT DROP AS SELECT {collist} FROM {table} WHERE false")
        with cur.copy(f"COPY {stage} ({collist}) FROM STDIN") as copy:
            copy.write(block)
        cur.execute(
            f"INSERT INTO {table} ({collist}) SELECT {collist} FROM {stage} "
            f"ON CONFLICT ({', '.join(_q(c) for c in key)}) DO UPDATE SET {_update_clause(cols, key)} "
            f"WHERE {table}.row_hash IS DISTINCT FROM excluded.row_hash RETURNING {returning}")
        changed = cur.fetchall()
        cur.execute(f"DROP TABLE {stage}")
    outcome = _outcome(target, [r[0] for r in changed], [r[1] for r in changed] if time_col in cols else [])
    outcome.fresh_failed = fresh_failed
    return outcome
