"""Extract: read a source in batches, ordered by replication key then primary key, from the watermark on.

- kind "sql": any SQLAlchemy URL; ``WHERE repl >= :watermark ORDER BY repl, pk``, streamed in
  chunks of ``etl.batch_size``. The watermark (text) is compared in the column's own type.
  A full read (``full``) takes the table in its storage order instead (an ordered read of a whole
  table through the replication index visits its pages at random: over twice the time at county
  scale); then only the last batch carries a watermark, the largest of all, so an interrupted full
  read leaves the watermark where it was.
- kind "csv" / "excel": the whole file is read as text; rows are kept from the watermark on, the
  replication column parsed with the date format of the field mapped to it (default ISO 8601).

``>=`` re-reads the rows at the boundary; the idempotent upsert makes that harmless.
A source that cannot be reached raises ``SourceUnavailable`` (retried by the engine); a
configuration that does not match the source raises ``ConfigError`` naming file, key and fix.
"""

from __future__ import annotations

from contextlib import closing
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from cockpit.config import ConfigError, SourceConfig
from cockpit.etl.parse import parse_dates
from cockpit.etl.watermark import advance


class SourceUnavailable(Exception):
    """The source could not be read (missing file, unreachable or corrupt database): worth a retry."""


@dataclass
class RawBatch:
    rows: pd.DataFrame  # every source column, values as read
    watermark: str | None  # the largest replication value in the batch, as text (see ``_mark_at_end``)


def extract(source: SourceConfig, watermark: str | None, batch_size: int, *, full: bool = False) -> Iterator[RawBatch]:
    """Batches of raw rows from ``watermark`` on (everything when ``full`` or no watermark yet)."""
    since = None if full else watermark
    if source.kind == "sql":
        yield from _sql_batches(source, since, batch_size, ordered=not full)
    else:
        yield from _file_batches(source, since, batch_size)


def needed_columns(source: SourceConfig) -> list[str]:
    """Primary key, mapped columns and replication key, in that order, without repeats."""
    cols = list(source.primary_key) + list(source.columns.values())
    if source.replication_key:
        cols.append(source.replication_key)
    return list(dict.fromkeys(cols))


def check_columns(source: SourceConfig, available: list[str], where: str) -> None:
    """Every column the config names must exist in the source; else a ConfigError with the fix."""
    have = set(available)
    choices = ", ".join(available[:40]) + (" …" if len(available) > 40 else "")
    for fld, col in source.columns.items():
        if col not in have:
            raise ConfigError(source.file, source.key("columns", fld), f"column {col!r} does not exist in {where}",
                              f"map {fld} to one of the source's columns: {choices}")
    for col in source.primary_key:
        if col not in have:
            raise ConfigError(source.file, source.key("primary_key"), f"column {col!r} does not exist in {where}",
                              f"name the key column(s) among: {choices}")
    if source.replication_key and source.replication_key not in have:
        raise ConfigError(source.file, source.key("replication_key"),
                          f"column {source.replication_key!r} does not exist in {where}",
                          f"name the last-changed column among: {choices}, or remove replication_key")


def _batch_watermark(values: pd.Series) -> str | None:
    present = values.dropna()
    if present.empty:
        return None
    top = present.max()
    if isinstance(top, datetime):
        return top.isoformat(sep=" ")
    return str(top)


# ---------------------------------------------------------------- SQL
def _coerce_watermark(value: str, col_type: sa.types.TypeEngine, dialect: str) -> Any:
    """The stored text watermark in the column's own type (integers for epoch columns, ...)."""
    try:
        if isinstance(col_type, sa.Integer):
            return int(float(value))
        if isinstance(col_type, (sa.Float, sa.Numeric)):
            return float(value)
        if dialect != "sqlite":  # SQLite stores dates as text: compare text with text
            if isinstance(col_type, sa.DateTime):
                return datetime.fromisoformat(value)
            if isinstance(col_type, sa.Date):
                return date.fromisoformat(value[:10])
    except ValueError:
        return value
    return value


CONNECT_TIMEOUT_SECONDS = 10


def _describe(url: sa.URL) -> str:
    return url.database if url.get_backend_name() == "sqlite" else url.render_as_string(hide_password=True)


def _sql_batches(source: SourceConfig, since: str | None, batch_size: int, *, ordered: bool) -> Iterator[RawBatch]:
    url = make_url(source.url)
    where = f"table {source.table!r} of {_describe(url)}"
    if url.get_backend_name() == "sqlite":
        db = url.database or ""
        if not db or db == ":memory:" or not Path(db).is_file():
            raise SourceUnavailable(f"source database file {db} does not exist")
        url = url.set(query={**url.query, "mode": "ro", "uri": "true"}, database=f"file:{db}")
    # a server that never answers fails this source after a while instead of hanging the run
    args = {"connect_timeout": CONNECT_TIMEOUT_SECONDS} if url.get_backend_name() in ("postgresql", "mysql") else {}
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool, connect_args=args)
    try:
        try:
            insp = sa.inspect(engine)
            if not insp.has_table(source.table):
                tables = insp.get_table_names()
                raise ConfigError(source.file, source.key("table"), f"table {source.table!r} does not exist in {_describe(url)}",
                                  "name one of its tables: " + ", ".join(tables[:40]))
            reflected = {c["name"]: c["type"] for c in insp.get_columns(source.table)}
        except sa.exc.SQLAlchemyError as exc:
            from cockpit.etl.connect_errors import connect_config_error  # a wrong password or database: no retry

            if (mistake := connect_config_error(source, exc)) is not None:
                raise mistake from None
            raise SourceUnavailable(f"cannot read {where}: {_short(exc)}") from exc
        available = list(reflected)
        check_columns(source, available, where)
        # every column is read so a quarantined row keeps the whole source record; the steps use the mapped ones
        table = sa.table(source.table, *[sa.column(c) for c in available])
        query = sa.select(*table.c)
        repl = source.replication_key
        if repl and since is not None:
            query = query.where(table.c[repl] >= sa.literal(_coerce_watermark(since, reflected[repl], engine.dialect.name)))
        if ordered:
            query = query.order_by(*[table.c[c] for c in ([repl] if repl else []) + list(source.primary_key)])
        try:
            with engine.connect() as conn, closing(_fetch(conn, query, batch_size)) as chunks:
                batches = (RawBatch(frame, _batch_watermark(frame[repl]) if repl else None)
                           for frame in (_frame(rows, available) for rows in chunks))
                yield from (batches if ordered else _mark_at_end(batches))
        except sa.exc.SQLAlchemyError as exc:
            raise SourceUnavailable(f"cannot read {where}: {_short(exc)}") from exc
    finally:
        engine.dispose()


def _mark_at_end(batches: Iterator[RawBatch]) -> Iterator[RawBatch]:
    """Batches read in storage order: none carries a watermark but the last, which carries the
    largest of all (read out of order, no batch but the last may move the watermark)."""
    top: str | None = None
    held: RawBatch | None = None
    for b in batches:
        top = advance(top, b.watermark)
        if held is not None:
            yield RawBatch(held.rows, None)
        held = b
    if held is not None:
        yield RawBatch(held.rows, top)


def _fetch(conn: sa.Connection, query: sa.Select, batch_size: int) -> Iterator[list]:
    """Lists of at most ``batch_size`` row tuples. SQLite: straight from the driver's cursor, the
    statement rendered with its (watermark) value inline — plain tuples, no result-row objects.
    Other databases: a server-side cursor through SQLAlchemy."""
    if conn.dialect.name == "sqlite":
        sql = str(query.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
        cursor = conn.connection.dbapi_connection.cursor()
        try:
            cursor.execute(sql)
            while rows := cursor.fetchmany(batch_size):
                yield rows
        finally:
            cursor.close()
        return
    result = conn.execution_options(stream_results=True, yield_per=batch_size).execute(query)
    while rows := result.fetchmany(batch_size):
        yield [tuple(r) for r in rows]


def _frame(rows: list, columns: list[str]) -> pd.DataFrame:
    """Rows to a frame of object columns (raw values kept as read)."""
    arr = np.empty((len(rows), len(columns)), dtype=object)
    try:
        arr[:] = rows
    except ValueError:  # a value that is itself a sequence (an array column): fill column by column
        for j, col in enumerate(zip(*rows)):
            arr[:, j] = np.fromiter(col, dtype=object, count=len(rows))
    return pd.DataFrame(arr, columns=columns, dtype=object, copy=False)


def _short(exc: Exception) -> str:
    orig = getattr(exc, "orig", None)
    return str(orig or exc).strip().splitlines()[0]


# ---------------------------------------------------------------- files
def read_file(source: SourceConfig) -> pd.DataFrame:
    """The whole CSV or Excel file as text (empty cells as empty strings)."""
    path = source.path
    if path is None or not path.is_file():
        raise SourceUnavailable(f"source file {path} does not exist")
    try:
        if source.kind == "csv":
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding=source.encoding,
                                sep=source.delimiter)
        else:
            frame = pd.read_excel(path, sheet_name=source.sheet or 0, dtype=str, keep_default_na=False,
                                  engine="openpyxl")
    except UnicodeDecodeError as exc:
        raise ConfigError(source.file, source.key("encoding"), f"{path.name} is not {source.encoding} text ({exc.reason})",
                          'set encoding to the file\'s encoding, e.g. encoding = "gbk"') from None
    except ValueError as exc:
        if source.kind == "excel" and source.sheet and "not found" in str(exc).lower():
            raise ConfigError(source.file, source.key("sheet"), f"{path.name} has no sheet {source.sheet!r}",
                              "name an existing sheet or remove sheet") from None
        raise SourceUnavailable(f"cannot read {path}: {exc}") from exc
    except (OSError, pd.errors.ParserError, KeyError) as exc:
        raise SourceUnavailable(f"cannot read {path}: {exc}") from exc
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


# formats tried, in this order, on a file's replication column when none is declared or mapped
DETECT_FORMATS = ("iso", "cn_date", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y/%m/%d", "%Y%m%d%H%M%S", "%Y%m%d",
                  "%Y.%m.%d %H:%M:%S", "%Y.%m.%d", "epoch", "epoch_ms")
DETECT_SAMPLE = 2000  # distinct values a detection looks at


def replication_times(source: SourceConfig, text: pd.Series) -> pd.Series:
    """A file's replication column (any column, mapped to a field or not) as datetimes, in the format
    of ``replication_format`` or of the date field mapped to it, else the first of ``DETECT_FORMATS``
    that reads every value. A column no format reads is a configuration mistake, not a reason to
    re-read the whole file on every run without a word."""
    from cockpit.etl.replication import replication_format

    fmt = replication_format(source)
    present = text.notna()
    if fmt is None:
        sample = pd.Series(text[present].unique()[:DETECT_SAMPLE], dtype=object)
        fmt = next((f for f in DETECT_FORMATS if parse_dates(sample, f).notna().all()), None) if len(sample) else "iso"
        if fmt is None:
            example = ", ".join(repr(v) for v in sample[:3])
            raise ConfigError(source.file, source.key("replication_format"),
                              f"the replication column {source.replication_key!r} holds values ({example}) in no "
                              "date format the load knows", 'declare it, e.g. replication_format = "%d/%m/%Y %H:%M", '
                              "or name another last-changed column as replication_key")
    ts = parse_dates(text, fmt)
    if present.any() and ts[present].isna().all():
        example = ", ".join(repr(v) for v in text[present].unique()[:3])
        raise ConfigError(source.file, source.key("replication_format"),
                          f"no value of the replication column {source.replication_key!r} ({example}) is a date in "
                          f"format {fmt!r}", "declare the column's format as replication_format = \"...\"")
    return ts


def _file_batches(source: SourceConfig, since: str | None, batch_size: int) -> Iterator[RawBatch]:
    frame = read_file(source)
    check_columns(source, list(frame.columns), f"{source.path.name if source.path else source.path}")
    repl = source.replication_key
    if repl:
        text = frame[repl].astype(str).str.strip().replace("", None)
        ts = replication_times(source, text)
        if since is not None:
            wm = pd.to_datetime(since, errors="coerce")
            # a row without a readable replication value is read every time (its row hash decides)
            keep = (ts >= wm) | ts.isna() if not pd.isna(wm) else pd.Series(True, index=frame.index)
            frame, ts = frame[keep], ts[keep]
        order = frame.assign(_repl=ts).sort_values(["_repl", *source.primary_key], kind="stable", na_position="first")
        frame, ts = order.drop(columns="_repl"), order["_repl"]
    for start in range(0, len(frame), batch_size):
        chunk = frame.iloc[start:start + batch_size].reset_index(drop=True)
        mark = None
        if repl:
            top = ts.iloc[start:start + batch_size].max()
            mark = None if pd.isna(top) else top.isoformat(sep=" ")
        yield RawBatch(chunk, mark)
