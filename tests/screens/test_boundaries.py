"""The board figures as of the instants where calendars go wrong, checked against raw SQL over spans
written out by hand (tests/test_periods.py): the 1st of a month at 00:05, a Monday morning,
1 January 00:05, 29 February 2028, 31 December 23:55."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest
from sqlalchemy import text

from cockpit import clock
from cockpit.scope import EVERYTHING
from cockpit.warehouse.db import engine_for
from queries import events, kpis
from queries._base import clear_cache
from queries.filters import parse_filters
from tests.screens import dataset
from tests.test_periods import CASES


def _one(engine, sql: str, **params):
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar()


CLOSED_BY = ("((COALESCE(resolved_at, closed_at) IS NOT NULL AND COALESCE(resolved_at, closed_at) <= :t) "
             "OR (COALESCE(resolved_at, closed_at) IS NULL AND status IN ('resolved', 'closed')))")


def _raw(engine, start: datetime, until: datetime) -> dict:
    """The safety board's figures of [start, until) as of ``until``, in plain SQL."""
    base = "FROM event WHERE duplicate_of IS NULL AND board = 'safety'"
    span = f"{base} AND reported_at >= :a AND reported_at < :t"
    n = _one(engine, f"SELECT COUNT(*) {span}", a=start, t=until)
    resolved = _one(engine, f"SELECT COUNT(*) {span} AND {CLOSED_BY}", a=start, t=until)
    backlog = _one(engine, f"SELECT COUNT(*) {base} AND reported_at < :t AND NOT {CLOSED_BY}", t=until)
    return {"events": n, "open": backlog, "resolution_rate": 100.0 * resolved / n if n >= 5 else None}


INSTANTS = sorted({i for i, _ in CASES})


@pytest.mark.parametrize("instant", INSTANTS, ids=[f"{i:%Y-%m-%dT%H:%M}" for i in INSTANTS])
def test_board_figures_at_boundary_instants_match_raw_sql(db_url, instant):
    with clock.pinned(instant):
        dataset.build(db_url, events=400)
        clear_cache()
        wh = engine_for(db_url)
        for (at, period), ((start, _end, until), (p_start, _p_end, p_until), key) in CASES.items():
            if at != instant:
                continue
            f, _ = parse_filters({"period": period}, clock.now(), board="safety")
            got = kpis.board_kpis(wh, EVERYTHING, f, dataset.TOWNSHIP).set_index("key")
            assert (got["compare_key"] == key).loc[["events", "open", "resolution_rate"]].all()
            now_raw = _raw(wh, datetime.combine(start, datetime.min.time()), until)
            before_raw = _raw(wh, datetime.combine(p_start, datetime.min.time()), p_until)
            for name in ("events", "open", "resolution_rate"):
                for column, raw in (("value", now_raw[name]), ("previous", before_raw[name])):
                    shown = got.loc[name, column]
                    if raw is None:
                        assert pd.isna(shown), (period, name, column)
                    else:
                        assert shown == pytest.approx(raw), (period, name, column)


@pytest.mark.parametrize("instant", [datetime(2026, 12, 1, 0, 5), datetime(2026, 11, 18, 10, 30)],
                         ids=["first-of-month", "mid-month"])
def test_the_big_screens_rolling_window_is_never_nearly_empty(db_url, instant):
    with clock.pinned(instant):
        dataset.build(db_url, events=400)
        clear_cache()
        wh = engine_for(db_url)
        f, _ = parse_filters({"period": "last30"}, clock.now(), board="safety")
        got = events.event_figures(wh, EVERYTHING, f, area=dataset.TOWNSHIP)
        raw = _raw(wh, datetime.combine(f.start, datetime.min.time()), f.as_of)
        assert got["n_reported"] == raw["events"] > 30  # a third of 30 days of a 90-day history of 400 events
        assert f.compare_key == "compare.last30"
