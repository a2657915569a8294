"""Read-side aggregates kept up to date by the ETL, so screens cost the same whatever the history.

``agg_event_day``: events per reported day × grid × category × channel, with counts of open /
resolved / dispatched events and sums of response and resolution minutes. Duplicates
(``duplicate_of`` set) are left out. After each load the hook below recomputes only what the load
touched: the groups (``RunResult.touched_groups``: day, grid, category and channel of every event
row it inserted or changed in a column the aggregate reads, ``INPUT_COLUMNS``, before and after the
change) when there are not too many, else whole days (``RunResult.touched_days``); a stored row
whose figures changed is updated in place. Late updates (an event resolved days after it was
reported) therefore land on the event's reported day.

Its open / resolved counts are by the events' current status; the screens' figures "as of" an
instant come from the events' lifecycle times (``queries.events.event_figures``).

The lifecycle definitions and the portable SQL constructs live in ``cockpit.warehouse.sql``
(shared with the read side, which must not import this module: importing it registers the hook).
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from typing import Any, Iterable

from sqlalchemy import (Column, Date, DateTime, Engine, MetaData, String, Table, and_, case, delete, func, insert,
                        literal, select, text)
from sqlalchemy.sql.expression import ColumnElement

from cockpit import hooks
from cockpit.warehouse import indexes
from cockpit.warehouse import schema as s
from cockpit.warehouse.sql import is_open, late, period_start, resolve_minutes, response_minutes
from cockpit import clock

log = logging.getLogger(__name__)


# ---------------------------------------------------------------- refresh
def _day_runs(days: Iterable[date]) -> list[tuple[date, date]]:
    """Contiguous runs of days, as inclusive (first, last) pairs."""
    runs: list[tuple[date, date]] = []
    for d in sorted(set(days)):
        if runs and d == runs[-1][1] + timedelta(days=1):
            runs[-1] = (runs[-1][0], d)
        else:
            runs.append((d, d))
    return runs


def _one(cond: ColumnElement) -> ColumnElement:
    return func.sum(case((cond, 1), else_=0))


def _aggregate_select(first: date | None, last: date | None, now: datetime, groups: Table | None = None):
    """The aggregate rows of the days ``first`` to ``last`` (each end open when None), or of the
    groups listed in the table ``groups`` (see ``refresh_event_groups``)."""
    e = s.event
    resp = response_minutes(e)
    reso = resolve_minutes(e)
    day = period_start(e.c.reported_at, "day")
    where = [e.c.duplicate_of.is_(None)]
    if first is not None:
        where.append(e.c.reported_at >= _midnight(first))
    if last is not None:
        where.append(e.c.reported_at < _midnight(last + timedelta(days=1)))
    source = e
    if groups is not None:  # each group's events through the (grid_code, reported_at) index
        g = groups.c
        source = groups.join(e, and_(e.c.grid_code == g.grid_code, e.c.reported_at >= g.day_start,
                                     e.c.reported_at < g.day_end, e.c.category_code == g.category_code,
                                     e.c.channel == g.channel))
    return (
        select(
            day.label("day"), e.c.grid_code, e.c.category_code, e.c.channel,
            func.min(e.c.village_code).label("village_code"), func.min(e.c.board).label("board"),
            func.min(e.c.department_code).label("department_code"),
            func.count().label("n_reported"),
            _one(is_open(e)).label("n_open"),
            _one(~is_open(e)).label("n_resolved"),
            _one(e.c.dispatched_at.is_not(None)).label("n_dispatched"),
            func.count(resp).label("n_responded"),
            func.coalesce(func.sum(resp), 0.0).label("sum_response_min"),
            func.count(reso).label("n_resolve_timed"),
            func.coalesce(func.sum(reso), 0.0).label("sum_resolve_min"),
            _one(late(e, s.category)).label("n_late"),
            func.count(e.c.satisfaction).label("n_rated"),
            func.coalesce(func.sum(e.c.satisfaction), 0).label("sum_satisfaction"),
            literal(now, s.agg_event_day.c.refreshed_at.type).label("refreshed_at"),
        )
        .select_from(source.outerjoin(s.category, s.category.c.code == e.c.category_code))  # its SLA, for late
        .where(*where)
        .group_by(day, e.c.grid_code, e.c.category_code, e.c.channel)
    )


def _midnight(d: date) -> datetime:
    return datetime.combine(d, datetime.min.time())


_AGG_COLUMNS = [
    "day", "grid_code", "category_code", "channel", "village_code", "board", "department_code", "n_reported",
    "n_open", "n_resolved", "n_dispatched", "n_responded", "sum_response_min", "n_resolve_timed",
    "sum_resolve_min", "n_late", "n_rated", "sum_satisfaction", "refreshed_at",
]


def refresh_event_days(engine: Engine, days: Iterable[date]) -> int:
    """Recompute ``agg_event_day`` for ``days`` only (one transaction). Returns the rows written."""
    now = clock.now()
    a = s.agg_event_day
    written = 0
    # after a first load the aggregate is empty: it is filled without its secondary indexes, built after
    with indexes.deferred_for_empty(engine, [a.name]), engine.begin() as conn:
        for first, last in _day_runs(days):
            conn.execute(delete(a).where(a.c.day >= first, a.c.day <= last))
            res = conn.execute(insert(a).from_select(_AGG_COLUMNS, _aggregate_select(first, last, now)))
            written += max(res.rowcount or 0, 0)
    return written


def rebuild_event_days(engine: Engine) -> int:
    """Recompute the whole of ``agg_event_day`` (after a migration, or a full reconciliation)."""
    now = clock.now()
    a = s.agg_event_day
    with engine.begin() as conn:
        conn.execute(delete(a))
        res = conn.execute(insert(a).from_select(_AGG_COLUMNS, _aggregate_select(None, None, now)))
    return max(res.rowcount or 0, 0)


# Up to this many groups a pass refreshes group by group (a few index probes each); past it, the
# touched days are recomputed whole (one scan of their events is cheaper than that many probes).
GROUP_LIMIT = 100_000
# the event columns that make an event's group in agg_event_day (the time column's day first);
# the load reports their values for every event row it changes, before and after the change
GROUP_COLUMNS = {"event": ("reported_at", "grid_code", "category_code", "channel")}

Group = tuple  # (day, grid_code, category_code, channel)


def _columns_read(table: Table) -> set[str]:
    """The columns of ``table`` that the aggregate's statement reads, taken from the statement itself."""
    from sqlalchemy.sql import visitors

    stmt = _aggregate_select(None, None, datetime(2000, 1, 1))
    return {c.name for c in visitors.iterate(stmt) if isinstance(c, Column) and c.table is table}


# the event columns a row of agg_event_day is computed from: an event row changed in none of them
# changes no aggregate row (the load leaves its group out of what it reports as touched)
INPUT_COLUMNS: dict[str, set[str]] = {"event": _columns_read(s.event)}


def add_groups(touched: set[Group] | None, more: set[Group] | None) -> set[Group] | None:
    """``touched`` with ``more`` added; None (refresh whole days) when either is None or the
    union passes ``GROUP_LIMIT``."""
    if touched is None or more is None:
        return None
    touched |= more
    return touched if len(touched) <= GROUP_LIMIT else None


_GROUP_KEY = ("day", "grid_code", "category_code", "channel")
# a stored row's columns an update may set: its figures, and (rarely) the area and board it is filed under
_PLACE = ("village_code", "board")
_FIGURES = tuple(c for c in _AGG_COLUMNS if c not in (*_GROUP_KEY, *_PLACE, "refreshed_at"))


def _update_changed(conn: Any, names: tuple[str, ...], pg: bool) -> int:
    """Set ``names`` (and ``refreshed_at``) of the stored rows whose value of any of them differs
    from their row in ``agg_fresh_rows``; returns how many."""
    on = " AND ".join(f"f.{c} = a.{c}" for c in _GROUP_KEY)
    if pg:
        changed = " OR ".join(f"f.{c} IS DISTINCT FROM a.{c}" for c in names)
        sets = ", ".join(f"{c} = f.{c}" for c in (*names, "refreshed_at"))
        res = conn.execute(text(f"UPDATE agg_event_day a SET {sets} FROM agg_fresh_rows f WHERE {on} AND ({changed})"))
    else:  # the rows by rowid: SQLite plans UPDATE … FROM as a scan of the whole aggregate
        changed = " OR ".join(f"f.{c} IS NOT a.{c}" for c in names)
        targets = (*names, "refreshed_at")
        key = " AND ".join(f"f.{c} = agg_event_day.{c}" for c in _GROUP_KEY)
        res = conn.execute(text(
            f"UPDATE agg_event_day SET ({', '.join(targets)}) = (SELECT {', '.join('f.' + c for c in targets)} "
            f"FROM agg_fresh_rows f WHERE {key}) WHERE rowid IN (SELECT a.rowid FROM agg_fresh_rows f "
            f"JOIN agg_event_day a ON {on} WHERE {changed})"))
    return max(res.rowcount or 0, 0)


def refresh_event_groups(engine: Engine, groups: Iterable[Group]) -> int:
    """Recompute the ``agg_event_day`` rows of ``groups`` only (one transaction), writing only what
    differs. The groups go into a temporary table, their events are aggregated again through it into
    a second one; then the stored rows whose figures differ from their new version are updated in
    place, the stored rows of groups with no events any more are deleted, and the new rows not
    stored are inserted. All of it runs in the database, set by set. Returns the rows written
    (updated, deleted or inserted).

    An update sets the figures only: an index over a column an UPDATE sets is rewritten whether the
    value changed or not (SQLite), and the area and board columns that lead the read-side indexes
    never change for a stored group in practice (they follow from its grid and category); when they
    do (reference data remapped), a second statement sets them on those rows alone."""
    now = clock.now()
    a = s.agg_event_day
    rows = [{"day": d, "grid_code": grid, "category_code": cat, "channel": ch,
             "day_start": _midnight(d), "day_end": _midnight(d + timedelta(days=1))}
            for d, grid, cat, ch in set(groups)]
    if not rows:
        return 0
    meta = MetaData()
    # no key on purpose: SQLite then reads it first and probes the event index and agg_event_day's
    # key (with a key it would rather scan agg_event_day and probe this table)
    touched = Table(
        "agg_touched_groups", meta,
        Column("day", Date, nullable=False), Column("grid_code", String(20), nullable=False),
        Column("category_code", String(32), nullable=False), Column("channel", String(32), nullable=False),
        Column("day_start", DateTime, nullable=False), Column("day_end", DateTime, nullable=False),
        prefixes=["TEMPORARY"],
    )
    # the new rows, keyed like agg_event_day: telling a stored row unchanged is one key lookup
    fresh = Table("agg_fresh_rows", meta, *[Column(c.name, c.type, primary_key=c.primary_key) for c in a.c],
                  prefixes=["TEMPORARY"])
    cols = ", ".join(_AGG_COLUMNS)
    with engine.begin() as conn:
        for t in (touched, fresh):
            t.drop(conn, checkfirst=True)
            t.create(conn)
        conn.execute(insert(touched), rows)
        pg = conn.dialect.name == "postgresql"
        if pg:  # a temporary table has no statistics until analysed: without them the planner
            conn.execute(text("ANALYZE agg_touched_groups"))  # hashes the whole event table
        conn.execute(insert(fresh).from_select(_AGG_COLUMNS, _aggregate_select(None, None, now, groups=touched)))
        if pg:
            conn.execute(text("ANALYZE agg_fresh_rows"))
        written = 0
        for names in (_FIGURES, _PLACE):
            written += _update_changed(conn, names, pg)
        group_key = " AND ".join(f"t.{c} = a.{c}" for c in _GROUP_KEY)
        gone = f"NOT EXISTS (SELECT 1 FROM agg_fresh_rows f WHERE {' AND '.join(f'f.{c} = a.{c}' for c in _GROUP_KEY)})"
        if pg:
            deleted = conn.execute(text(f"DELETE FROM agg_event_day a USING agg_touched_groups t "
                                        f"WHERE {group_key} AND {gone}"))
        else:  # SQLite has no DELETE … USING: the rows to delete by rowid
            deleted = conn.execute(text(f"DELETE FROM agg_event_day WHERE rowid IN (SELECT a.rowid FROM "
                                        f"agg_touched_groups t JOIN agg_event_day a ON {group_key} WHERE {gone})"))
        inserted = conn.execute(text(
            f"INSERT INTO agg_event_day ({cols}) SELECT {cols} FROM agg_fresh_rows t "
            f"WHERE NOT EXISTS (SELECT 1 FROM agg_event_day a WHERE {group_key})"))
        for t in (touched, fresh):
            t.drop(conn)
    return written + max(deleted.rowcount or 0, 0) + max(inserted.rowcount or 0, 0)


def _target_name(result: Any) -> str:
    target = getattr(result, "target", None)
    return getattr(target, "table", target) or ""


@hooks.after_load
def refresh_after_load(engine: Engine, results: list[Any]) -> None:
    """After-load hook: refresh the aggregates for what the event loads touched: their groups when
    every event load reports them (``touched_groups``), else their whole days."""
    days: set[date] = set()
    groups: set[Group] | None = set()
    for r in results:
        if _target_name(r) == "event":
            touched = {d.date() if isinstance(d, datetime) else d for d in (getattr(r, "touched_days", None) or ())}
            days |= touched
            if touched:
                groups = add_groups(groups, getattr(r, "touched_groups", None))
    if groups:
        n = refresh_event_groups(engine, groups)
        log.info("agg_event_day: %d rows for %d groups", n, len(groups))
    elif days:
        n = refresh_event_days(engine, days)
        log.info("agg_event_day: %d rows for %d days", n, len(days))
