"""Helpers shared by the kinds: parameter checks, event filters, levels by threshold, evidence rows."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import Table
from sqlalchemy.sql.expression import ColumnElement

from cockpit.warnings.levels import LEVELS
from cockpit.warnings.model import Evidence


def positive(v: Any) -> str | None:
    return None if v > 0 else "must be greater than 0"


def at_least_zero(v: Any) -> str | None:
    return None if v >= 0 else "must be 0 or more"


def str_list(v: Any) -> str | None:
    return None if all(isinstance(x, str) for x in v) else "must be a list of text"


def level_table(v: Any) -> str | None:
    """A table level -> threshold (``{yellow = 75, orange = 150}``)."""
    for k, x in v.items():
        if k not in LEVELS:
            return f"unknown level {k!r} (use red, orange, yellow or blue)"
        if isinstance(x, bool) or not isinstance(x, (int, float)):
            return f"the threshold of {k} must be a number"
    return None


def level_for(value: float, thresholds: Mapping[str, float]) -> str | None:
    """The most severe level whose threshold ``value`` exceeds (strictly), or None."""
    hit = [lv for lv, t in thresholds.items() if value > t]
    return max(hit, key=LEVELS.index) if hit else None


def in_filter(col: ColumnElement, include: Iterable[str], exclude: Iterable[str]) -> list[ColumnElement]:
    """WHERE terms of an include list (empty: everything) and an exclude list."""
    include, exclude = list(include), list(exclude)
    out = []
    if include:
        out.append(col.in_(include))
    if exclude:
        out.append(col.not_in(exclude))
    return out


def where_terms(table: Table, where: Mapping[str, Any]) -> list[ColumnElement]:
    """``column = value`` (or ``IN`` a list) for each entry; the columns were checked by ``check_columns``."""
    return [table.c[k].in_(list(v)) if isinstance(v, list) else table.c[k] == v for k, v in where.items()]


def missing_column(table: Table, columns: Mapping[str, Iterable[str]]) -> tuple[str, str] | None:
    """The first parameter (of ``columns``: parameter -> the column names it gives) naming a column
    ``table`` lacks, and the problem; None if every column exists (a kind's ``check``)."""
    for key, names in columns.items():
        missing = [n for n in names if n not in table.c]
        if missing:
            return key, f"{table.name} has no column {missing[0]!r}"
    return None


def check_columns(table: Table, names: Iterable[str], key: str) -> None:
    """Raise ``ValueError`` naming a column ``table`` does not have."""
    for n in names:
        if n not in table.c:
            raise ValueError(f"{key}: {table.name} has no column {n!r}")


def as_datetime(v: date | datetime | str) -> datetime:
    """A stored time as a datetime (SQLite may hand back text from expressions; dates become midnight)."""
    if isinstance(v, str):
        v = datetime.fromisoformat(v)
    if isinstance(v, datetime):
        return v
    return datetime.combine(v, time())


def event_evidence(row: Any) -> Evidence:
    """Evidence of an event row with id, src_source, src_key, reported_at."""
    return Evidence("event", row.src_source, row.src_key, as_datetime(row.reported_at), row_id=row.id)


def reading_evidence(row: Any) -> Evidence:
    """Evidence of a sensor reading row with sensor_id, metric, ts, src_source, src_key."""
    return Evidence("sensor_reading", row.src_source, row.src_key, as_datetime(row.ts), code=row.sensor_id,
                    metric=row.metric)


def number(v: float) -> str:
    """A measure for a title: whole numbers without decimals, others with one."""
    return f"{v:.0f}" if abs(v - round(v)) < 1e-9 else f"{v:.1f}"


def chunks(items: list[Any], n: int = 500) -> Iterable[list[Any]]:
    """``items`` in lists of at most ``n`` (bound parameters of an IN list stay within the engines' limits)."""
    for i in range(0, len(items), n):
        yield items[i:i + n]
