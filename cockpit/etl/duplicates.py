"""One incident reported twice is one event in the counts: later reports are linked to the first
by ``event.duplicate_of``, and the aggregates and screens leave linked events out.

The rule (docs/sources.md, "Duplicates"): two events are reports of the same incident when they
have the same reporter (``reporter_key``; events without one are never linked), the same category
and the same grid, whatever their channels. Each person's reports of one category in one grid are
taken in reporting order (ties by event id); the first is an original; a later report at most
``etl.duplicate_window_hours`` after the newest original is its duplicate, else it is a new original.
So an incident spans at most the window from its first report, and a duplicate always links to an
original, never to another duplicate: reports at 0 h, 20 h and 30 h give one incident of two
reports (0 h, 20 h) and a new one at 30 h.

The links are computed in SQL, set by set. Each report's original depends on the one before it, so
the walk along a person's reports is a recursive query, one step per report, every person at once.
After a load only what the load could change is walked again (``link_duplicates`` with the days or
groups it touched): the reporters, categories and grids of the events in those groups or days and
in the window after them, from their earliest such event on, starting from the original stored
before it; each walk reads that person's reports alone, through the event index on (reporter,
category, grid, time), so a late correction of an old report costs what its person reported, not
what its grid holds since. The load reports no group for a stored event changed in none of the
``LINK_COLUMNS`` (nor the aggregate's inputs): it is not walked. A full relink (``relink_all``)
walks everything.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Iterable

from sqlalchemy import (BigInteger, Column, Connection, DateTime, Engine, Integer, MetaData, String, Table, and_, case,
                        func, insert, literal, null, select, text, union_all, update)

from cockpit import aggregates, hooks
from cockpit.config import DEFAULTS
from cockpit.warehouse import schema as s
from cockpit.warehouse.sql import epoch_seconds

log = logging.getLogger(__name__)

WINDOW_SETTING = ("etl", "duplicate_window_hours")
# the event columns a link depends on (with the event's id): a load that changes none of them in a
# stored event cannot change any link (``cockpit.etl.load`` then reports no group for it)
LINK_COLUMNS = ("reporter_key", "category_code", "grid_code", "reported_at")


@dataclass
class Relinked:
    """The events whose link changed: how many, and their aggregate groups and days (the groups'
    format of ``aggregates.GROUP_COLUMNS``), which the aggregates must recompute."""

    events: int = 0
    days: set[date] = field(default_factory=set)
    groups: set[tuple] = field(default_factory=set)


def configured_window_hours(config: Any) -> int:
    """The configured window, or the default when there is no configuration at hand."""
    return int(config.get(*WINDOW_SETTING)) if config is not None else DEFAULTS[WINDOW_SETTING[0]][WINDOW_SETTING[1]]


# ---------------------------------------------------------------- the work tables (per connection)
_meta = MetaData()
# where to look: the touched (grid, category, day) or, without groups, the touched days (grid and
# category NULL): events in [lo, hi) are looked at; a stored original from ``back`` on is the walk's start
_seed = Table("dup_seed", _meta, Column("grid_code", String(20)), Column("category_code", String(32)),
              Column("lo", DateTime, nullable=False), Column("hi", DateTime, nullable=False),
              Column("back", DateTime, nullable=False), prefixes=["TEMPORARY"])
# the events in the seeds (an event in overlapping seeds more than once), with their seed's ``back``
_seen = Table("dup_seen", _meta, Column("id", Integer, nullable=False), Column("reporter_key", String(64)),
              Column("category_code", String(32), nullable=False), Column("grid_code", String(20), nullable=False),
              Column("reported_at", DateTime, nullable=False), Column("duplicate_of", Integer),
              Column("back", DateTime, nullable=False), prefixes=["TEMPORARY"])
# one row per reporter × category × grid to walk again, from its first report in the seeds (``start``)
_key = Table("dup_key", _meta, Column("k", Integer, primary_key=True, autoincrement=True),
             Column("reporter_key", String(64), nullable=False), Column("category_code", String(32), nullable=False),
             Column("grid_code", String(20), nullable=False), Column("start", DateTime, nullable=False),
             Column("back", DateTime), prefixes=["TEMPORARY"])
# the reports walked, numbered in reporting order within their key, with their stored link
_cand = Table("dup_cand", _meta, Column("k", Integer, primary_key=True), Column("rn", Integer, primary_key=True),
              Column("id", Integer, nullable=False), Column("at_s", BigInteger, nullable=False),
              Column("stored", Integer), prefixes=["TEMPORARY"])
# the links that change: event id -> its original (NULL: it is an original now)
_link = Table("dup_link", _meta, Column("id", Integer, primary_key=True), Column("original_id", Integer),
              prefixes=["TEMPORARY"])
_TABLES = (_seed, _seen, _key, _cand, _link)


def _midnight(d: date) -> datetime:
    return datetime.combine(d, datetime.min.time())


def _day(value: Any) -> date:
    return value.date() if isinstance(value, datetime) else value


# ---------------------------------------------------------------- linking
def link_duplicates(engine: Engine, *, window_hours: int, days: Iterable[date] | None = None,
                    groups: Iterable[tuple] | None = None) -> Relinked:
    """Link (and un-link) the duplicates that events in ``groups`` (aggregate groups: day, grid,
    category, …) or, without groups, on ``days`` could have changed; with neither, every event
    (``relink_all``). One transaction; running it again changes nothing. Returns what changed."""
    window = timedelta(hours=window_hours)
    seeds, by_group = _seeds(days, groups, window)
    if seeds is not None and not seeds:
        return Relinked()
    with engine.begin() as conn:
        for t in _TABLES:
            t.drop(conn, checkfirst=True)
            t.create(conn)
        try:
            return _link_in(conn, seeds, by_group, int(window.total_seconds()))
        finally:
            for t in _TABLES:
                t.drop(conn)


def relink_all(engine: Engine, *, window_hours: int) -> Relinked:
    """Every event's link computed again (after restoring a backup, a change of the window, or on
    a warehouse loaded before links were kept)."""
    return link_duplicates(engine, window_hours=window_hours)


def _seeds(days: Iterable[date] | None, groups: Iterable[tuple] | None,
           window: timedelta) -> tuple[list[dict] | None, bool]:
    """The seed rows (None: everything) and whether they are groups (else whole days). A late
    correction changes the links of its own report and of the same person's later ones, so each
    seed looks a window past its day."""
    cols = aggregates.GROUP_COLUMNS["event"]
    by_group = groups is not None and {"grid_code", "category_code"} <= set(cols[1:])
    if by_group:
        gi, ci = cols.index("grid_code"), cols.index("category_code")
        where = {(_day(g[0]), g[gi], g[ci]) for g in groups if g[0] is not None}
    elif days is not None or groups is not None:
        where = {(_day(d), None, None) for d in (days if days is not None else (g[0] for g in groups)) if d is not None}
    else:
        return None, False
    rows = [{"grid_code": grid, "category_code": cat, "lo": _midnight(d),
             "hi": _midnight(d) + timedelta(days=1) + window, "back": _midnight(d) - window}
            for d, grid, cat in where]
    return rows, by_group


def _link_in(conn: Connection, seeds: list[dict] | None, by_group: bool, window_s: int) -> Relinked:
    e, k, c, lk = s.event, _key, _cand, _link
    pg = conn.dialect.name == "postgresql"
    if seeds is None:  # everything: every reporter × category × grid from its first report
        v = e.c
        back = null()
    else:  # the events in the seeds, read once
        conn.execute(insert(_seed), seeds)
        if pg:  # a temporary table has no statistics until analysed
            conn.execute(text("ANALYZE dup_seed"))
        sd = _seed.c
        in_seed = and_(e.c.reported_at >= sd.lo, e.c.reported_at < sd.hi)
        if by_group:  # through the event index on (grid, reporting time)
            in_seed = and_(e.c.grid_code == sd.grid_code, in_seed, e.c.category_code == sd.category_code)
        conn.execute(insert(_seen).from_select(
            [col.name for col in _seen.c],
            select(*[e.c[col.name] for col in _seen.c if col.name != "back"], sd.back).select_from(_seed.join(e, in_seed))))
        v = _seen.c
        back = func.min(v.back)
    keys = (select(v.reporter_key, v.category_code, v.grid_code, func.min(v.reported_at), back)
            .where(v.reporter_key.is_not(None)).group_by(v.reporter_key, v.category_code, v.grid_code))
    no_reporter = select(v.id).where(v.reporter_key.is_(None), v.duplicate_of.is_not(None)).distinct()
    conn.execute(insert(k).from_select(["reporter_key", "category_code", "grid_code", "start", "back"], keys))
    # the reports to walk: each key's reports from its start on, and the stored originals of the
    # window before it (the newest of them is where the walk stands when it reaches ``start``).
    # Each key reads its own reports through the event index on (reporter, category, grid, time):
    # the cost is that of the keys' reports, however far back a late correction reaches (through
    # the grid's index, an old start would read all the grid's events since then)
    same = and_(e.c.reporter_key == k.c.reporter_key, e.c.category_code == k.c.category_code,
                e.c.grid_code == k.c.grid_code)
    from_start = and_(same, e.c.reported_at >= k.c.start)
    if pg:
        conn.execute(text("ANALYZE dup_key"))
    later = select(k.c.k, e.c.id, e.c.reported_at, e.c.duplicate_of).select_from(k.join(e, from_start))
    before = select(k.c.k, e.c.id, e.c.reported_at, e.c.duplicate_of).select_from(
        k.join(e, and_(same, e.c.reported_at >= k.c.back, e.c.reported_at < k.c.start, e.c.duplicate_of.is_(None))))
    u = union_all(later, before).subquery()
    rn = func.row_number().over(partition_by=u.c.k, order_by=(u.c.reported_at, u.c.id))
    conn.execute(insert(c).from_select(["k", "rn", "id", "at_s", "stored"],
                                       select(u.c.k, rn, u.c.id, epoch_seconds(u.c.reported_at), u.c.duplicate_of)))
    if pg:
        conn.execute(text("ANALYZE dup_cand"))

    # the walk: the first report of a key is an original; each next one joins the newest original
    # when at most the window after it, else it is a new original
    first = (select(c.c.k, c.c.rn, c.c.id, c.c.stored, c.c.id.label("anchor_id"), c.c.at_s.label("anchor_s"))
             .where(c.c.rn == 1).cte("dup_walk", recursive=True))
    joins = c.c.at_s - first.c.anchor_s <= literal(window_s, BigInteger())
    walk = first.union_all(
        select(c.c.k, c.c.rn, c.c.id, c.c.stored, case((joins, first.c.anchor_id), else_=c.c.id),
               case((joins, first.c.anchor_s), else_=c.c.at_s))
        .select_from(first.join(c, and_(c.c.k == first.c.k, c.c.rn == first.c.rn + 1))))
    new = case((walk.c.anchor_id == walk.c.id, null()), else_=walk.c.anchor_id)
    conn.execute(insert(lk).from_select(["id", "original_id"],
                                        select(walk.c.id, new).where(new.is_distinct_from(walk.c.stored))))
    # a report that lost its reporter (a late correction) is nobody's duplicate any more
    conn.execute(insert(lk).from_select(["id", "original_id"], select(no_reporter.subquery().c.id, null())))

    changed = select(lk.c.id)
    conn.execute(update(e).where(e.c.id.in_(changed))
                 .values(duplicate_of=select(lk.c.original_id).where(lk.c.id == e.c.id).scalar_subquery()))
    cols = aggregates.GROUP_COLUMNS["event"]
    out = Relinked()
    for row in conn.execute(select(*[e.c[name] for name in cols]).where(e.c.id.in_(changed))):
        group = (_day(row[0]), *row[1:])
        out.events += 1
        out.days.add(group[0])
        out.groups.add(group)
    return out


# ---------------------------------------------------------------- after each load
def _target_name(result: Any) -> str:
    target = getattr(result, "target", None)
    return getattr(target, "table", target) or ""


@hooks.after_load(before=aggregates.refresh_after_load, config=True)
def link_after_load(engine: Engine, results: list[Any], config: Any = None) -> None:
    """After-load hook, run before the aggregate refresh (which leaves linked events out): link and
    un-link the duplicates that what the event loads touched could change, and add the groups and
    days of every event whose link changed to the first event result, so that the refresh
    recomputes them too (a report linked anew may sit in a group the load did not touch)."""
    loads = [r for r in results if _target_name(r) == "event" and getattr(r, "touched_days", None)]
    if not loads:
        return
    days: set[date] = set()
    groups: set[tuple] | None = set()
    for r in loads:
        days |= {_day(d) for d in r.touched_days}
        groups = aggregates.add_groups(groups, r.touched_groups)
    done = link_duplicates(engine, window_hours=configured_window_hours(config), days=days, groups=groups or None)
    if done.events:
        first = loads[0]
        first.touched_days |= done.days
        first.touched_groups = aggregates.add_groups(first.touched_groups, done.groups)
        log.info("duplicates: %d events linked or un-linked", done.events)
