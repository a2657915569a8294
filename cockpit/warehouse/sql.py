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

from sqlalchemy import BigInteger, DateTime, Float, Table, and_, case, func, literal, or_
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement, FunctionElement
from sqlalchemy.types import Date

from cockpit.warehouse import schema as s

CLOSED_STATUSES = ("resolved", "closed")


def portable_function(name: str, type_: Any, *, postgresql: str, sqlite: str, doc: str) -> type:
    """A SQL function of fixed arguments written once per engine: ``postgresql`` and ``sqlite`` are
    templates of the compiled arguments (``{0}``, ``{1}`` …). Returns the construct's class."""
    cls = type(name, (FunctionElement,), {"type": type_, "inherit_cache": True, "name": name, "__doc__": doc})

    def render(template: str):  # noqa: ANN202
        def compile_(element, compiler, **kw):  # noqa: ANN001, ANN202
            return template.format(*(compiler.process(c, **kw) for c in element.clauses))
        return compile_

    compiles(cls)(render(postgresql))
    compiles(cls, "sqlite")(render(sqlite))
    return cls


minutes_between = portable_function(
    "minutes_between", Float(), doc="Minutes from ``start`` to ``end`` (float); NULL when either is NULL.",
    postgresql="(EXTRACT(EPOCH FROM ({1} - {0})) / 60.0)", sqlite="((julianday({1}) - julianday({0})) * 1440.0)")
hour_start = portable_function(
    "hour_start", DateTime(), doc="The start of the hour a timestamp falls in.",
    postgresql="date_trunc('hour', {0})", sqlite="strftime('%Y-%m-%d %H:00:00', {0})")
epoch_seconds = portable_function(
    "epoch_seconds", BigInteger(),
    doc="Whole seconds from 1970-01-01 to a stored (wall-clock) timestamp: exact integers, so a time exactly at "
        "the end of a window compares the same on both engines.",
    postgresql="CAST(FLOOR(EXTRACT(EPOCH FROM {0})) AS BIGINT)", sqlite="CAST(strftime('%s', {0}) AS INTEGER)")


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
