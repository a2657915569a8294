"""Events: the KPI figures as of an instant (from ``event``, by its lifecycle times), trends and
breakdowns (from the ``agg_event_day`` aggregate) and the records behind them (from ``event``;
personal numbers only in masked form).

A department's events are those it is responsible for (主体责任: ``department_code``, the lead
department of the event's category); a board's, those of its categories."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Iterator

import pandas as pd
from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.sql.expression import ColumnElement

from cockpit.scope import Scope
from cockpit.warehouse import schema as s
from cockpit.warehouse.sql import (at, closed_by, closed_time, hour_start, is_open, late, minutes_between, past_deadline,
                                  period_start, response_minutes)
from queries._base import DB, area_clause, board_clause, cached, department_clause, frame, records, scalar
from queries._where import AGG, EVENT, view_where
from queries.filters import Filters

A = s.agg_event_day
E = s.event
_SUMS = ("n_reported", "n_open", "n_resolved", "n_dispatched", "n_responded", "sum_response_min",
         "n_resolve_timed", "sum_resolve_min", "n_late", "n_rated", "sum_satisfaction")


def _agg_where(scope: Scope, f: Filters, area: str | None = None) -> list[ColumnElement]:
    return view_where(AGG, scope, f, area=area)


# built once: SQL expressions are immutable, and building them was a good part of a query's cost
_SUM_COLUMNS = tuple(func.coalesce(func.sum(A.c[c]), 0).label(c) for c in _SUMS)


def _sums() -> tuple:
    return _SUM_COLUMNS


def _rates(df: pd.DataFrame) -> pd.DataFrame:
    """Add derived rates: resolution_rate (%), mean response / resolution minutes, mean satisfaction."""
    df = df.copy()
    n = df["n_reported"].astype(float)
    df["resolution_rate"] = (100.0 * df["n_resolved"] / n).where(n > 0)
    df["mean_response_min"] = (df["sum_response_min"] / df["n_responded"].astype(float)).where(df["n_responded"] > 0)
    df["mean_resolve_min"] = (df["sum_resolve_min"] / df["n_resolve_timed"].astype(float)).where(df["n_resolve_timed"] > 0)
    df["mean_satisfaction"] = (df["sum_satisfaction"] / df["n_rated"].astype(float)).where(df["n_rated"] > 0)
    return df


def backlog_parts(t: datetime) -> tuple[tuple[ColumnElement, ...], ...]:
    """The events open at ``t`` (``~closed_by(t)``) as three disjoint sets, each a range of one of
    the event indexes of migration 0011 rather than a scan of every event reported before ``t``:
    open now (no resolution or closing time, status open), resolved after ``t``, closed after ``t``
    without a resolution time."""
    e = E.c
    return ((e.resolved_at.is_(None), e.closed_at.is_(None), is_open(E)),
            (e.resolved_at > at(t),),
            (e.resolved_at.is_(None), e.closed_at > at(t)))


_FIGURE_SUMS = ("n_reported", "n_resolved", "n_responded", "sum_response_min", "n_waiting", "n_rated", "sum_satisfaction",
                "n_late", "n_open", "n_overdue_open")


def _figures(row: dict, t: datetime) -> dict:
    """One board's (or all boards') sums as figures with their ratios."""
    out = {k: float(row.get(k) or 0) for k in _FIGURE_SUMS}
    wait = row.get("max_wait_min")
    out["max_wait_min"] = None if wait is None else float(wait)

    def ratio(num: str, den: str, scale: float = 1.0) -> float | None:
        return scale * out[num] / out[den] if out[den] > 0 else None

    out.update(resolution_rate=ratio("n_resolved", "n_reported", 100.0),
               mean_response_min=ratio("sum_response_min", "n_responded"),
               mean_satisfaction=ratio("sum_satisfaction", "n_rated"), as_of=t)
    return out


@cached
def event_figures(db: DB, scope: Scope, f: Filters, *, area: str | None = None) -> dict:
    """The event KPIs of a view as of its end instant (``f.as_of``: now, for a running period), from
    the events' lifecycle times, so the comparison is computed as of its own corresponding instant.

    Over the events reported in the period: n_reported, n_resolved (resolved or closed by then),
    n_responded / sum_response_min (answered by then), n_waiting / max_wait_min (neither answered
    nor closed by then: how many still wait and the longest wait), n_rated / sum_satisfaction,
    n_late (closed after the deadline). And the backlog at that instant, whenever reported: n_open,
    n_overdue_open (open and past the deadline). Definitions: ``cockpit.warehouse.sql``.
    A board's figures come from ``event_figures_by_board`` (one read serves the big screen's boards).
    """
    by_board = event_figures_by_board(db, scope, replace(f, board=None), area=area)
    if f.board:
        return by_board.get(f.board) or _figures({}, f.as_of)
    total = {k: sum(b[k] for b in by_board.values()) for k in _FIGURE_SUMS}
    waits = [b["max_wait_min"] for b in by_board.values() if b["max_wait_min"] is not None]
    return _figures({**total, "max_wait_min": max(waits) if waits else None}, f.as_of)


@cached
def event_figures_by_board(db: DB, scope: Scope, f: Filters, *, area: str | None = None) -> dict[str, dict]:
    """``event_figures`` of each board with events: {board: figures}."""
    e, c, t = E, s.category, f.as_of
    answered = func.coalesce(e.c.accepted_at, e.c.acknowledged_at)
    responded = and_(answered.is_not(None), answered <= at(t))
    closed = closed_by(t)
    waiting = and_(~responded, ~closed)

    def n(cond: ColumnElement) -> ColumnElement:
        return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)

    src = E.outerjoin(c, c.c.code == e.c.category_code)
    rows: dict[str, dict] = {}
    for r in records(db, select(
        e.c.board, func.count().label("n_reported"), n(closed).label("n_resolved"), n(responded).label("n_responded"),
        func.coalesce(func.sum(case((responded, response_minutes(e)))), 0.0).label("sum_response_min"),
        n(waiting).label("n_waiting"), func.max(case((waiting, minutes_between(e.c.reported_at, at(t))))).label("max_wait_min"),
        n(and_(closed, e.c.satisfaction.is_not(None))).label("n_rated"),
        func.coalesce(func.sum(case((closed, e.c.satisfaction))), 0).label("sum_satisfaction"),
        n(and_(closed, late(e, c), closed_time(e) <= at(t))).label("n_late"),
    ).select_from(src).where(e.c.duplicate_of.is_(None), *view_where(EVENT, scope, f, area=area)).group_by(e.c.board)):
        rows[r["board"]] = r
    for part in backlog_parts(t):  # open at t: still open now, or closed after t (each served by its index)
        for r in records(db, select(e.c.board, func.count().label("n_open"), n(past_deadline(t)).label("n_overdue_open"))
                         .select_from(src).where(e.c.duplicate_of.is_(None), *view_where(EVENT, scope, f, area=area, until=t),
                                                 *part).group_by(e.c.board)):
            row = rows.setdefault(r["board"], {})
            for k in ("n_open", "n_overdue_open"):
                row[k] = (row.get(k) or 0) + (r[k] or 0)
    return {board: _figures(row, t) for board, row in rows.items()}


@cached
def event_trend(db: DB, scope: Scope, f: Filters, unit: str = "day") -> pd.DataFrame:
    """Events per hour / day / week / month of the view: bucket (timestamp), n_reported, n_resolved,
    n_open (by the current status). Days and longer come from the aggregate; hours from the events."""
    if unit == "hour":
        bucket = hour_start(E.c.reported_at)
        stmt = (select(bucket.label("bucket"), func.count().label("n_reported"),
                       func.sum(case((is_open(E), 0), else_=1)).label("n_resolved"),
                       func.sum(case((is_open(E), 1), else_=0)).label("n_open"))
                .where(*_event_where(scope, f)).group_by(bucket).order_by(bucket))
    else:
        bucket = period_start(A.c.day, unit)
        stmt = (select(bucket.label("bucket"), func.sum(A.c.n_reported).label("n_reported"),
                       func.sum(A.c.n_resolved).label("n_resolved"), func.sum(A.c.n_open).label("n_open"))
                .where(*_agg_where(scope, f)).group_by(bucket).order_by(bucket))
    df = frame(db, stmt)
    df["bucket"] = pd.to_datetime(df["bucket"])
    return df


def trend_unit(f: Filters) -> str:
    """The trend's buckets for the view's span: hours within a day, days within about a month and a
    half, weeks within about half a year, months beyond."""
    days = (f.end - f.start).days
    return "hour" if days <= 1 else "day" if days <= 45 else "week" if days <= 200 else "month"


@cached
def events_by_area(db: DB, scope: Scope, f: Filters) -> pd.DataFrame:
    """Events by village (whole township), or by grid (a village selected): code, name, counts, rates."""
    a = s.area
    key = A.c.grid_code if f.village or f.grid else A.c.village_code
    df = frame(db, select(key.label("code"), func.min(a.c.name).label("name"), *_sums())
               .select_from(A.join(a, a.c.code == key)).where(*_agg_where(scope, f))
               .group_by(key).order_by(func.sum(A.c.n_reported).desc(), key))
    return _rates(df)


@cached
def events_by_category(db: DB, scope: Scope, f: Filters) -> pd.DataFrame:
    """Events by category: code, name_zh, name_en, board, counts, rates."""
    c = s.category
    df = frame(db, select(A.c.category_code.label("code"), func.min(c.c.name_zh).label("name_zh"),
                          func.min(c.c.name_en).label("name_en"), func.min(A.c.board).label("board"), *_sums())
               .select_from(A.join(c, c.c.code == A.c.category_code)).where(*_agg_where(scope, f))
               .group_by(A.c.category_code).order_by(func.sum(A.c.n_reported).desc(), A.c.category_code))
    return _rates(df)


@cached
def events_by_channel(db: DB, scope: Scope, f: Filters) -> pd.DataFrame:
    """Events by channel: code, name_zh, name_en, n_reported, n_open."""
    ch = s.channel
    return frame(db, select(A.c.channel.label("code"), func.min(ch.c.name_zh).label("name_zh"),
                            func.min(ch.c.name_en).label("name_en"), func.sum(A.c.n_reported).label("n_reported"),
                            func.sum(A.c.n_open).label("n_open"))
                 .select_from(A.join(ch, ch.c.code == A.c.channel)).where(*_agg_where(scope, f))
                 .group_by(A.c.channel).order_by(func.sum(A.c.n_reported).desc(), A.c.channel))


def _event_where(scope: Scope, f: Filters | None, area: str | None = None, **kw) -> list[ColumnElement]:  # noqa: ANN003
    """The view's events (duplicates left out); ``kw`` as for ``view_where``. A township ``area``
    as a prefix test: these reads are better driven by a time index."""
    return [E.c.duplicate_of.is_(None), *view_where(EVENT, scope, f, area=area, by_index=False, **kw)]


# what a record is about: its title, or the start of its text where the source has no title (110 calls,
# grid reports and petitions carry only a text)
HEADLINE_CHARS = 40
_HEADLINE = func.coalesce(func.nullif(E.c.title, ""), func.substr(E.c.content, 1, HEADLINE_CHARS))


def _record_columns() -> list:
    c, ch, g = s.category, s.channel, s.area
    return [E.c.id, E.c.reported_at, _HEADLINE.label("title"), E.c.category_code, c.c.name_zh.label("category_zh"),
            c.c.name_en.label("category_en"), E.c.channel, ch.c.name_zh.label("channel_zh"),
            ch.c.name_en.label("channel_en"), E.c.grid_code, g.c.name.label("grid_name"), E.c.village_code,
            E.c.status, E.c.reporter_masked, E.c.address, E.c.dispatched_at, E.c.resolved_at, E.c.board,
            E.c.department_code, E.c.src_source]


def _record_from():
    c, ch, g = s.category, s.channel, s.area
    return (E.outerjoin(c, c.c.code == E.c.category_code).outerjoin(ch, ch.c.code == E.c.channel)
            .outerjoin(g, g.c.code == E.c.grid_code))


# the duplicates linked to a record: events whose ``duplicate_of`` is its id
_DUP = E.alias("dup")
_N_DUPLICATES = (select(func.count()).select_from(_DUP).where(_DUP.c.duplicate_of == E.c.id)
                 .correlate(E).scalar_subquery())

# the columns a records table may be sorted by (anything else is refused)
RECORD_SORTS: dict[str, ColumnElement] = {
    "id": E.c.id, "reported_at": E.c.reported_at, "title": _HEADLINE, "category_code": E.c.category_code,
    "category_zh": s.category.c.name_zh, "category_en": s.category.c.name_en, "channel": E.c.channel,
    "channel_zh": s.channel.c.name_zh, "channel_en": s.channel.c.name_en, "grid_code": E.c.grid_code,
    "grid_name": s.area.c.name, "status": E.c.status, "reporter_masked": E.c.reporter_masked,
    "n_duplicates": _N_DUPLICATES,
}
# newest first; the id makes the order total, so pages never overlap or skip a row
_RECORD_ORDER = (E.c.reported_at.desc(), E.c.id.desc())


def _records_where(scope: Scope, f: Filters, open_only: bool) -> list[ColumnElement]:
    """The one WHERE of the records of a view: ``event_records`` and ``count_event_records`` share it."""
    w = _event_where(scope, f)
    if open_only:
        w.append(E.c.status.not_in(("resolved", "closed")))
    return w


def _records_order(order: tuple[tuple[str, str], ...]) -> list:
    by = []
    for key, direction in order:
        if key not in RECORD_SORTS or direction not in ("asc", "desc"):
            raise ValueError(f"cannot sort records by {key!r} {direction!r}")
        col = RECORD_SORTS[key]
        by.append((col.asc() if direction == "asc" else col.desc()).nulls_last())
    return [*by, *_RECORD_ORDER]


@cached
def event_records(db: DB, scope: Scope, f: Filters, *, open_only: bool = False, offset: int = 0, limit: int = 50,
                  order: tuple[tuple[str, str], ...] = ()) -> pd.DataFrame:
    """One page of the events behind the numbers: ``limit`` rows from ``offset``, newest first, or by
    ``order`` (pairs of a ``RECORD_SORTS`` key and "asc" / "desc", newest first among equals).
    ``n_duplicates``: the events linked to each as its duplicates. Reporter only masked."""
    if offset < 0 or limit < 0:
        raise ValueError("offset and limit must not be negative")
    return frame(db, select(*_record_columns(), _N_DUPLICATES.label("n_duplicates")).select_from(_record_from())
                 .where(*_records_where(scope, f, open_only)).order_by(*_records_order(order))
                 .offset(offset).limit(limit))


@cached
def count_event_records(db: DB, scope: Scope, f: Filters, *, open_only: bool = False) -> int:
    """How many records ``event_records`` pages through (the same WHERE)."""
    return int(scalar(db, select(func.count()).select_from(E).where(*_records_where(scope, f, open_only))))


def iter_event_records(db: DB, scope: Scope, f: Filters, *, open_only: bool = False, chunk: int = 5000,
                       limit: int | None = None) -> Iterator[pd.DataFrame]:
    """Every record of ``event_records`` (at most ``limit``), newest first, in frames of ``chunk`` rows.

    Each chunk continues after the last row of the one before (by reported_at, id), so rows loaded
    meanwhile neither repeat nor shift a row out of the export; nothing is cached."""
    after: tuple[datetime, int] | None = None
    left = limit
    while left is None or left > 0:
        n = chunk if left is None else min(chunk, left)
        w = _records_where(scope, f, open_only)
        if after is not None:
            w.append(or_(E.c.reported_at < after[0], and_(E.c.reported_at == after[0], E.c.id < after[1])))
        df = frame(db, select(*_record_columns(), _N_DUPLICATES.label("n_duplicates")).select_from(_record_from())
                   .where(*w).order_by(*_RECORD_ORDER).limit(n))
        if df.empty:
            return
        yield df
        if len(df) < n:
            return
        last = df.iloc[-1]
        after = (pd.Timestamp(last["reported_at"]).to_pydatetime(), int(last["id"]))
        left = None if left is None else left - len(df)


@cached
def latest_events(db: DB, scope: Scope, *, limit: int = 12, area: str | None = None) -> pd.DataFrame:
    """The newest events of the township (any period); ``area``: of that area only."""
    return frame(db, select(*_record_columns()).select_from(_record_from()).where(*_event_where(scope, None, area))
                 .order_by(E.c.reported_at.desc(), E.c.id.desc()).limit(limit))


@cached
def dispatched_on(db: DB, scope: Scope, day: date, *, limit: int = 50, area: str | None = None) -> pd.DataFrame:
    """Events dispatched on ``day`` (today's work orders until work orders exist), newest first;
    ``area``: of that area only."""
    start = datetime.combine(day, datetime.min.time())
    w = _event_where(scope, None, area) + [E.c.dispatched_at >= start, E.c.dispatched_at < start + timedelta(days=1)]
    return frame(db, select(*_record_columns()).select_from(_record_from()).where(*w)
                 .order_by(E.c.dispatched_at.desc(), E.c.id.desc()).limit(limit))


@cached
def count_dispatched_on(db: DB, scope: Scope, day: date, *, area: str | None = None) -> dict:
    """How many events were dispatched on ``day``, and how many of those are resolved (``area``: of that area)."""
    start = datetime.combine(day, datetime.min.time())
    w = _event_where(scope, None, area) + [E.c.dispatched_at >= start, E.c.dispatched_at < start + timedelta(days=1)]
    df = frame(db, select(func.count().label("n"),
                          func.count(func.coalesce(E.c.resolved_at, E.c.closed_at)).label("resolved")).where(*w))
    return {k: int(v) for k, v in df.iloc[0].items()}


@cached
def latest_event_day(db: DB, scope: Scope) -> date | None:
    """The last day with events (the demo's 'today' when the data is older than the clock)."""
    df = frame(db, select(func.max(A.c.day).label("d")).where(area_clause(scope, A.c.grid_code),
                                                               board_clause(scope, A.c.board),
                                                               department_clause(scope, A.c.department_code)))
    d = df.iloc[0]["d"]
    if d is None or (isinstance(d, float) and pd.isna(d)):
        return None
    return d if isinstance(d, date) else date.fromisoformat(str(d)[:10])
