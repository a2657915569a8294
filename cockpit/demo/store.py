"""Department tables as the demo writes them: column specs, raw value formats, and writers.

Rows are built with Python values (datetime, date, int, float, str, None); ``format_rows`` turns
them into each department's raw representation (epoch seconds, ISO text, ``YYYY/MM/DD HH:MM``,
``2026年11月3日`` …) before defects are injected and the rows written.
"""

from __future__ import annotations

import csv
import sqlite3
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Callable

_EPOCH = datetime(1970, 1, 1) + timedelta(hours=8)  # epoch columns: UTC seconds of Asia/Shanghai times


def to_epoch(v: datetime) -> int:
    return int((v - _EPOCH).total_seconds())


def from_epoch(v: int) -> datetime:
    return _EPOCH + timedelta(seconds=int(v))


def _cn(v: date) -> str:
    return f"{v.year}年{v.month}月{v.day}日"


FORMATTERS: dict[str, Callable[[Any], Any]] = {
    "epoch": to_epoch,
    "iso": lambda v: v.strftime("%Y-%m-%d %H:%M:%S"),  # ISO 8601 with a space
    "iso_t": lambda v: v.strftime("%Y-%m-%dT%H:%M:%S"),
    "date": lambda v: v.strftime("%Y-%m-%d"),
    "slash": lambda v: v.strftime("%Y/%m/%d %H:%M"),
    "cn": _cn,
    "ymd": lambda v: v.strftime("%Y%m%d"),
    "ym": lambda v: v.strftime("%Y%m"),
    "y-m": lambda v: v.strftime("%Y-%m"),
}

# An impossible date in each raw format (for injected ``bad_date`` rows).
BAD_DATES: dict[str, Callable[[int], str]] = {
    "iso": lambda y: f"{y}-02-30 09:30:00",
    "iso_t": lambda y: f"{y}-02-30T09:30:00",
    "date": lambda y: f"{y}-02-30",
    "slash": lambda y: f"{y}/02/30 09:30",
    "cn": lambda y: f"{y}年13月5日",
    "ymd": lambda y: f"{y}0230",
    "ym": lambda y: f"{y}13",
    "y-m": lambda y: f"{y}-13",
}


@dataclass
class Column:
    name: str
    sqltype: str = "TEXT"
    fmt: str | None = None  # key of FORMATTERS


@dataclass
class TableData:
    db: str  # database file stem, or the CSV file name for kind "csv"
    name: str  # table name (CSV: same as db)
    columns: list[Column]
    pk: tuple[str, ...]
    unique: str  # a column that identifies a raw row when its key is missing
    replication: str
    kind: str = "sql"
    rows: list[list] = field(default_factory=list)
    protected: set[int] = field(default_factory=set)  # row indexes that must stay good (hot spots)
    has_duplicates: bool = False

    def idx(self, column: str) -> int:
        for i, c in enumerate(self.columns):
            if c.name == column:
                return i
        raise KeyError(column)

    def fmt(self, column: str) -> str | None:
        return self.columns[self.idx(column)].fmt


def format_rows(td: TableData, rows: list[list]) -> None:
    for i, col in enumerate(td.columns):
        if col.fmt is None:
            continue
        f = FORMATTERS[col.fmt]
        for r in rows:
            v = r[i]
            if v is not None and not isinstance(v, str):
                r[i] = f(v)


def create_table(con: sqlite3.Connection, td: TableData) -> None:
    cols = ", ".join(f'"{c.name}" {c.sqltype}' for c in td.columns)
    con.execute(f'CREATE TABLE "{td.name}" ({cols})')
    pk = ", ".join(f'"{c}"' for c in td.pk)
    if not td.has_duplicates:  # a unique index, which (unlike a PRIMARY KEY) leaves NULL keys alone
        con.execute(f'CREATE UNIQUE INDEX "ux_{td.name}_key" ON "{td.name}" ({pk})')
    con.execute(f'CREATE INDEX "ix_{td.name}_{td.replication}" ON "{td.name}" ("{td.replication}")')


def write_sql(path: Path, td: TableData) -> None:
    con = sqlite3.connect(path)
    try:
        with con:
            create_table(con, td)
            marks = ", ".join("?" * len(td.columns))
            con.executemany(f'INSERT INTO "{td.name}" VALUES ({marks})', td.rows)
    finally:
        con.close()


def write_csv(path: Path, td: TableData, encoding: str = "gbk") -> None:
    with path.open("w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh)
        w.writerow([c.name for c in td.columns])
        for r in td.rows:
            w.writerow(["" if v is None else v for v in r])


def read_csv(path: Path, encoding: str = "gbk") -> tuple[list[str], list[list[str]]]:
    with path.open(encoding=encoding, newline="") as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1:]
