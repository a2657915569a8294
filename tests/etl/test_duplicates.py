"""One incident reported twice is linked by ``duplicate_of`` and counted once (cockpit.etl.duplicates),
on SQLite and PostgreSQL. Events are written by hand; every expected link is worked out here.

The rule: same reporter, category and grid; each person's reports of one category in one grid in
reporting order; a report at most the window (24 h) after the newest original joins it, else it is
a new original."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, insert, select, update

from cockpit import aggregates, hooks
from cockpit.etl import duplicates
from cockpit.etl.duplicates import link_after_load, link_duplicates, relink_all
from cockpit.etl.engine import RunResult
from cockpit.warehouse import schema as s
from cockpit.warehouse.db import engine_for

T0 = datetime(2026, 11, 10, 21, 0)  # a Tuesday evening
H = timedelta(hours=1)
GRID, OTHER_GRID = "33099900100101", "33099900100102"
NOISE, ORDER = "ECO-NOISE", "SAF-ORDER"


class Warehouse:
    """Events written and corrected by hand, and the after-load hooks run on what changed, the way
    the loader reports it (the groups of every written row, before and after)."""

    def __init__(self, url: str) -> None:
        self.engine = engine_for(url)
        self.n = 0
        self.touched: set[tuple] = set()

    def add(self, at: datetime, *, reporter: str | None = "r1", cat: str = NOISE, grid: str = GRID,
            channel: str = "hotline_12345") -> int:
        self.n += 1
        with self.engine.begin() as conn:
            eid = conn.execute(insert(s.event).values(
                channel=channel, category_code=cat, board="eco", department_code="hotline", grid_code=grid,
                village_code=grid[:12], reporter_key=reporter, status="reported", reported_at=at,
                src_source="test", src_key=f"E{self.n}", row_hash="x", loaded_at=T0).returning(s.event.c.id)).scalar_one()
            self.touched.add(self._group(conn, eid))
        return eid

    def correct(self, eid: int, **values) -> None:
        """A late update of one event (its groups before and after are touched)."""
        with self.engine.begin() as conn:
            self.touched.add(self._group(conn, eid))
            conn.execute(update(s.event).where(s.event.c.id == eid).values(**values))
            self.touched.add(self._group(conn, eid))

    @staticmethod
    def _group(conn, eid: int) -> tuple:  # noqa: ANN001
        cols = aggregates.GROUP_COLUMNS["event"]
        row = conn.execute(select(*[s.event.c[c] for c in cols]).where(s.event.c.id == eid)).one()
        return (row[0].date(), *row[1:])

    def after_load(self, *, by_days: bool = False) -> RunResult:
        """The after-load hooks for what changed since the last call: by groups, or by whole days
        (as after a first load, which does not track groups)."""
        days = {g[0] for g in self.touched}
        result = RunResult(run_id=None, source="test", target="event", rows_loaded=1, touched_days=days,
                           touched_groups=None if by_days else set(self.touched))
        self.touched = set()
        hooks.run_after_load(self.engine, [result])
        return result

    def links(self) -> dict[int, int | None]:
        with self.engine.connect() as conn:
            return dict(conn.execute(select(s.event.c.id, s.event.c.duplicate_of).order_by(s.event.c.id)).all())

    def reported(self) -> dict[tuple, int]:
        """agg_event_day's n_reported by (day, category, channel)."""
        a = s.agg_event_day
        with self.engine.connect() as conn:
            rows = conn.execute(select(a.c.day, a.c.category_code, a.c.channel, a.c.n_reported)).all()
        return {(r[0], r[1], r[2]): r[3] for r in rows if r[3]}


@pytest.fixture
def wh(db_url: str) -> Warehouse:
    return Warehouse(db_url)


def test_the_link_hook_runs_before_the_aggregate_refresh() -> None:
    assert hooks.AFTER_LOAD.index(link_after_load) < hooks.AFTER_LOAD.index(aggregates.refresh_after_load)


def test_a_call_and_a_110_call_about_one_noise_are_one_incident(wh: Warehouse) -> None:
    a = wh.add(T0, channel="hotline_12345")
    b = wh.add(T0 + 50 * timedelta(minutes=1), channel="police_110")
    wh.after_load()
    assert wh.links() == {a: None, b: a}


@pytest.mark.parametrize(("after", "linked"), [
    (timedelta(hours=24), True),  # at most the window: the last second counts
    (timedelta(hours=24, seconds=1), False),
    (timedelta(days=3), False),
])
def test_the_window_bounds_an_incident(wh: Warehouse, after: timedelta, linked: bool) -> None:
    a = wh.add(T0)
    b = wh.add(T0 + after, channel="grid_app")
    wh.after_load()
    assert wh.links() == {a: None, b: a if linked else None}


@pytest.mark.parametrize("other", [{"grid": OTHER_GRID}, {"cat": ORDER}, {"reporter": "r2"}])
def test_another_grid_category_or_reporter_is_another_incident(wh: Warehouse, other: dict) -> None:
    a = wh.add(T0)
    b = wh.add(T0 + H, channel="police_110", **other)
    wh.after_load()
    assert wh.links() == {a: None, b: None}


def test_reports_without_a_reporter_are_never_linked(wh: Warehouse) -> None:
    a = wh.add(T0, reporter=None)
    b = wh.add(T0 + H, reporter=None, channel="police_110")
    c = wh.add(T0 + 2 * H)  # a reporter, but nobody else with one
    wh.after_load()
    assert wh.links() == {a: None, b: None, c: None}


def test_a_chain_joins_the_newest_original_while_within_the_window_of_its_first_report(wh: Warehouse) -> None:
    # 0 h original; 20 h joins it; 30 h is 30 h after the original (20 h's original): new incident;
    # 40 h joins 30 h; 55 h is 25 h after 30 h: new incident
    a, b, c, d, e = (wh.add(T0 + h * H) for h in (0, 20, 30, 40, 55))
    # within the window of the first: 0 h, 10 h, 20 h all one incident (and a tie: the lower id first)
    f, g, i, j = (wh.add(T0 + h * H, cat=ORDER) for h in (0, 0, 10, 20))
    wh.after_load()
    assert wh.links() == {a: None, b: a, c: None, d: c, e: None, f: None, g: f, i: f, j: f}


def test_a_late_category_change_unlinks_and_the_counts_follow(wh: Warehouse) -> None:
    d0, d1 = T0.date(), T0.date() + timedelta(days=1)
    a = wh.add(T0)  # Tuesday 21:00, 12345
    b = wh.add(T0 + H, channel="police_110")  # 22:00, 110
    c = wh.add(T0 + 11 * H)  # Wednesday 08:00, 12345 again
    wh.after_load()
    assert wh.links() == {a: None, b: a, c: a}
    assert wh.reported() == {(d0, NOISE, "hotline_12345"): 1}

    # the hotline corrects the first call's category: the 110 call is the first noise report now,
    # and the morning call joins it (their groups were not touched by the correction)
    wh.correct(a, category_code=ORDER)
    wh.after_load()
    assert wh.links() == {a: None, b: None, c: b}
    assert wh.reported() == {(d0, ORDER, "hotline_12345"): 1, (d0, NOISE, "police_110"): 1}

    # the police correct theirs too: it joins the first call again; the morning call stands alone
    wh.correct(b, category_code=ORDER)
    wh.after_load()
    assert wh.links() == {a: None, b: a, c: None}
    assert wh.reported() == {(d0, ORDER, "hotline_12345"): 1, (d1, NOISE, "hotline_12345"): 1}


def test_a_report_that_loses_its_reporter_or_moves_is_unlinked(wh: Warehouse) -> None:
    a = wh.add(T0)
    b = wh.add(T0 + H, channel="police_110")
    c = wh.add(T0 + 2 * H, channel="grid_app")
    wh.after_load()
    assert wh.links() == {a: None, b: a, c: a}
    wh.correct(b, reporter_key=None)
    wh.correct(c, reported_at=T0 + 30 * H)  # its time was wrong: a day later, another incident
    wh.after_load()
    assert wh.links() == {a: None, b: None, c: None}


def test_running_again_changes_nothing(wh: Warehouse) -> None:
    ids = [wh.add(T0 + h * H, channel=ch) for h, ch in ((0, "hotline_12345"), (1, "police_110"), (30, "grid_app"))]
    first = wh.after_load()
    links = wh.links()
    assert links == {ids[0]: None, ids[1]: ids[0], ids[2]: None}
    assert link_duplicates(wh.engine, window_hours=24, days=first.touched_days, groups=first.touched_groups).events == 0
    assert link_duplicates(wh.engine, window_hours=24, days=first.touched_days).events == 0
    assert relink_all(wh.engine, window_hours=24).events == 0
    assert wh.links() == links


def test_the_aggregate_counts_each_incident_once(wh: Warehouse) -> None:
    # three incidents reported five times, and two reports nobody else made
    for reporter in ("r1", "r2", "r3"):
        wh.add(T0, reporter=reporter)
    wh.add(T0 + H, reporter="r1", channel="police_110")
    wh.add(T0 + 12 * H, reporter="r2", channel="grid_app")
    wh.add(T0 + H, reporter=None)
    wh.add(T0 + 2 * H, reporter="r4", grid=OTHER_GRID)
    wh.after_load(by_days=True)  # as after a first load: whole days
    with wh.engine.connect() as conn:
        counted = conn.execute(select(func.sum(s.agg_event_day.c.n_reported))).scalar()
        originals = conn.execute(select(func.count()).select_from(s.event).where(s.event.c.duplicate_of.is_(None))).scalar()
    assert counted == originals == 5


def test_a_window_from_the_configuration(wh: Warehouse) -> None:
    class Config:
        def get(self, section: str, key: str) -> int:
            assert (section, key) == duplicates.WINDOW_SETTING
            return 2

    a, b, c = wh.add(T0), wh.add(T0 + 2 * H), wh.add(T0 + 5 * H)
    result = RunResult(run_id=None, source="test", target="event", rows_loaded=3, touched_days={T0.date()},
                       touched_groups=set(wh.touched))
    hooks.run_after_load(wh.engine, [result], Config())
    assert wh.links() == {a: None, b: a, c: None}


def expected_links(events: dict[int, tuple], window: timedelta) -> dict[int, int | None]:
    """The rule, in plain Python: events are id -> (reporter, category, grid, reported_at)."""
    out: dict[int, int | None] = {}
    chains: dict[tuple, list[int]] = {}
    for eid, (reporter, cat, grid, at) in events.items():
        if reporter is None:
            out[eid] = None
        else:
            chains.setdefault((reporter, cat, grid), []).append(eid)
    for ids in chains.values():
        original = None
        for eid in sorted(ids, key=lambda i: (events[i][3], i)):
            if original is not None and events[eid][3] - events[original][3] <= window:
                out[eid] = original
            else:
                out[eid], original = None, eid
    return out


def test_incremental_links_equal_a_full_relink_through_random_late_corrections(wh: Warehouse) -> None:
    rng = random.Random(20261118)
    reporters, cats, grids = ["r1", "r2", None], [NOISE, ORDER], [GRID, OTHER_GRID]
    start = datetime(2026, 11, 1)

    def when() -> datetime:
        return start + timedelta(minutes=rng.randrange(0, 6 * 24 * 60, 20))

    for _ in range(60):
        wh.add(when(), reporter=rng.choice(reporters), cat=rng.choice(cats), grid=rng.choice(grids),
               channel=rng.choice(["hotline_12345", "police_110", "grid_app"]))
    wh.after_load(by_days=True)
    ids = sorted(wh.links())
    for round_ in range(6):
        for eid in rng.sample(ids, 4):
            change = rng.choice(["category_code", "grid_code", "reporter_key", "reported_at"])
            value = {"category_code": rng.choice(cats), "grid_code": rng.choice(grids),
                     "reporter_key": rng.choice(reporters), "reported_at": when()}[change]
            wh.correct(eid, **{change: value})
        wh.after_load(by_days=round_ % 3 == 2)
        with wh.engine.connect() as conn:
            rows = conn.execute(select(s.event.c.id, s.event.c.reporter_key, s.event.c.category_code,
                                       s.event.c.grid_code, s.event.c.reported_at)).all()
        assert wh.links() == expected_links({r[0]: tuple(r[1:]) for r in rows}, timedelta(hours=24)), f"round {round_}"
        assert relink_all(wh.engine, window_hours=24).events == 0
        with wh.engine.connect() as conn:  # and the aggregate counts the originals
            counted = conn.execute(select(func.sum(s.agg_event_day.c.n_reported))).scalar()
            originals = conn.execute(select(func.count()).select_from(s.event)
                                     .where(s.event.c.duplicate_of.is_(None))).scalar()
        assert counted == originals


def test_nothing_touched_does_nothing(wh: Warehouse) -> None:
    assert link_duplicates(wh.engine, window_hours=24, days=set()).events == 0
    assert link_duplicates(wh.engine, window_hours=24, days=[date(2026, 11, 10)], groups=set()).events == 0
