"""Portable SQL of the warehouse: constructs both engines lack in common, and the events' lifecycle
definitions, shared by the ETL's aggregates and the read side (docs/metrics.md says them in words).

- response minutes: first of accepted / acknowledged, minus reported;
- resolution minutes: resolved (or closed) minus reported;
- closed by an instant: resolved or closed at or before it, from the lifecycle times (an event
  marked resolved or closed without a time counts as closed);
- deadline: the source's ``deadline_at``, else the report time plus the category's SLA hours;
- late: resolved or closed after the deadline.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Float, Table, and_, case, func, literal, or_
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement, FunctionElement
from sqlalchemy.types import Date

from cockpit.warehouse import schema as s

CLOSED_STATUSES = ("resolved", "closed")


class minutes_between(FunctionElement):  # noqa: N801 - reads like a SQL function
    """Minutes from ``start`` to ``end`` (float); NULL when either is NULL."""

    type = Float()
    inherit_cache = True
    name = "minutes_between"


@compiles(minutes_between)
def _minutes_default(element, compiler, **kw):  # noqa: ANN001
    start, end = list(element.clauses)
    return f"(EXTRACT(EPOCH FROM ({compiler.process(end, **kw)} - {compiler.process(start, **kw)})) / 60.0)"


@compiles(minutes_between, "sqlite")
def _minutes_sqlite(element, compiler, **kw):  # noqa: ANN001
    start, end = list(element.clauses)
    return f"((julianday({compiler.process(end, **kw)}) - julianday({compiler.process(start, **kw)})) * 1440.0)"


class period_start(FunctionElement):  # noqa: N801
    """The first day of the day / week (ISO, Monday) / month a timestamp or date falls in, as a date
    (``hour_start`` for hours)."""

    type = Date()
    inherit_cache = True
    name = "period_start"

    def __init__(self, col: Any, unit: str) -> None:
        if unit not in ("day", "week", "month"):
            raise ValueError(f"unknown period unit {unit!r}")
        self.unit = unit
        super().__init__(col)


@compiles(period_start)
def _period_start_default(element, compiler, **kw):  # noqa: ANN001
    (col,) = list(element.clauses)
    c = compiler.process(col, **kw)
    if element.unit == "day":
        return f"CAST({c} AS DATE)"
    return f"CAST(date_trunc('{element.unit}', {c}) AS DATE)"


@compiles(period_start, "sqlite")
def _period_start_sqlite(element, compiler, **kw):  # noqa: ANN001
    (col,) = list(element.clauses)
    c = compiler.process(col, **kw)
    if element.unit == "day":
        return f"date({c})"
    if element.unit == "month":
        return f"date({c}, 'start of month')"
    return f"date({c}, '-' || ((CAST(strftime('%w', {c}) AS INTEGER) + 6) % 7) || ' days')"


class hour_start(FunctionElement):  # noqa: N801
    """The start of the hour a timestamp falls in."""

    type = DateTime()
    inherit_cache = True
    name = "hour_start"


@compiles(hour_start)
def _hour_start_default(element, compiler, **kw):  # noqa: ANN001
    (col,) = list(element.clauses)
    return f"date_trunc('hour', {compiler.process(col, **kw)})"


@compiles(hour_start, "sqlite")
def _hour_start_sqlite(element, compiler, **kw):  # noqa: ANN001
    (col,) = list(element.clauses)
    return f"strftime('%Y-%m-%d %H:00:00', {compiler.process(col, **kw)})"


def at(instant: datetime) -> ColumnElement:
    """An instant as a SQL timestamp literal (for comparisons with stored times)."""
    return literal(instant, DateTime())


# ---------------------------------------------------------------- event lifecycle
def closed_time(e: Table = s.event) -> ColumnElement:
    return func.coalesce(e.c.resolved_at, e.c.closed_at)


def response_minutes(e: Table = s.event) -> ColumnElement:
    return minutes_between(e.c.reported_at, func.coalesce(e.c.accepted_at, e.c.acknowledged_at))


def resolve_minutes(e: Table = s.event) -> ColumnElement:
    return minutes_between(e.c.reported_at, closed_time(e))


def is_open(e: Table = s.event) -> ColumnElement:
    """Open now, by the current status."""
    return e.c.status.not_in(CLOSED_STATUSES)


def closed_by(instant: datetime, e: Table = s.event) -> ColumnElement:
    """Resolved or closed at or before ``instant`` (never NULL, so that its negation means open)."""
    closed = closed_time(e)
    return or_(and_(closed.is_not(None), closed <= at(instant)), and_(closed.is_(None), e.c.status.in_(CLOSED_STATUSES)))


def open_at(instant: datetime, e: Table = s.event) -> ColumnElement:
    """Reported before ``instant`` and not closed by it."""
    return and_(e.c.reported_at < at(instant), ~closed_by(instant, e))


def past_deadline(end: Any, e: Table = s.event, c: Table = s.category) -> ColumnElement:
    """``end`` (a column or an instant) after the event's deadline: the source's ``deadline_at``, else
    the report time plus the SLA hours of its category (``c`` joined on the category code)."""
    end = at(end) if isinstance(end, datetime) else end
    return case((e.c.deadline_at.is_not(None), end > e.c.deadline_at),
                else_=minutes_between(e.c.reported_at, end) > c.c.sla_hours * 60.0)


def late(e: Table = s.event, c: Table = s.category) -> ColumnElement:
    """Resolved or closed after the deadline."""
    return and_(closed_time(e).is_not(None), past_deadline(closed_time(e), e, c))
