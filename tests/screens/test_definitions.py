"""Each figure's definition on hand-built cases worked out in the test (docs/metrics.md): the backlog
as of an instant, overdue from the category's SLA on every channel, cases still waiting for a
response, completed applications only, villages' deliveries, the minimum sample."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import insert

from cockpit import clock
from cockpit.metrics import settings_from
from cockpit.reference import CATEGORIES
from cockpit.scope import EVERYTHING
from cockpit.warehouse import schema as s
from cockpit.warehouse.db import engine_for
from queries import kpis
from queries._base import clear_cache
from queries.filters import parse_filters
from tests.screens.dataset import GRIDS, TOWNSHIP, VILLAGES, area_rows

NOW = datetime(2026, 12, 1, 0, 5)  # the first of a month, five minutes in
CAT = next(c for c in CATEGORIES if c.board == "safety")
GRID = list(GRIDS)[0]
_n = iter(range(1, 10_000))


def lineage(key: str) -> dict:
    return {"src_source": "hand", "src_key": key, "src_run_id": 1, "row_hash": "x" * 32, "loaded_at": NOW}


def ev(reported: datetime, *, channel: str = "grid_app", status: str = "dispatched", resolved: datetime | None = None,
       accepted: datetime | None = None, deadline: datetime | None = None, satisfaction: int | None = None) -> dict:
    n = next(_n)
    return {"channel": channel, "category_code": CAT.code, "board": CAT.board, "department_code": CAT.department,
            "grid_code": GRID, "village_code": GRID[:12], "title": f"事件{n}", "status": status,
            "reported_at": reported, "accepted_at": accepted, "dispatched_at": None, "acknowledged_at": None,
            "resolved_at": resolved, "deadline_at": deadline, "satisfaction": satisfaction, "duplicate_of": None,
            **lineage(f"E{n}")}


@pytest.fixture
def wh(db_url: str):
    engine = engine_for(db_url)
    with engine.begin() as conn:
        conn.execute(insert(s.area), area_rows())
    clear_cache()
    with clock.pinned(NOW):
        yield engine


def put(engine, table, rows: list[dict]) -> None:
    with engine.begin() as conn:
        conn.execute(insert(table), rows)
    clear_cache()


def card(engine, board: str, key: str, period: str = "month", *, settings=None, area: str = TOWNSHIP, **query) -> dict:
    f, bad = parse_filters({"period": period, **query}, clock.now(), board=board)
    assert bad == []
    df = kpis.board_kpis(engine, EVERYTHING, f, area, settings=settings or settings_from({"min_cases": 1}))
    row = df.set_index("key").loc[key].to_dict()
    return {k: None if isinstance(v, float) and math.isnan(v) else v for k, v in row.items()}  # a frame's NaN: none


def test_open_is_the_backlog_at_the_end_of_the_view_whatever_the_report_date(wh):
    put(wh, s.event, [
        ev(datetime(2026, 11, 10, 9)),  # A: reported in November, still open
        ev(datetime(2026, 11, 20, 9), status="resolved", resolved=datetime(2026, 11, 30, 9)),  # B: closed before now
        ev(datetime(2026, 10, 20, 9), status="closed", resolved=datetime(2026, 11, 15, 9)),  # C: open on 1 Nov 00:05
        ev(datetime(2026, 12, 1, 0, 1)),  # D: reported a minute after midnight, open
        ev(datetime(2026, 10, 1, 9), status="resolved"),  # E: resolved without a time: closed
        ev(datetime(2026, 12, 1, 0, 30)),  # F: after the instant (a pinned clock in the past): not yet
    ])
    got = card(wh, "safety", "open")
    assert got["value"] == 2  # A and D, though A was reported last month
    assert got["previous"] == 1  # as of 1 November 00:05: C only (A and B came later)
    assert got["compare_key"] == "compare.month_to_date" and got["as_of"] == NOW
    events = card(wh, "safety", "events")
    assert events["value"] == 1 and events["previous"] == 0  # 1 Dec 00:00–00:05 against 1 Nov 00:00–00:05


@pytest.mark.parametrize("channel", ["grid_app", "camera", "petition", "hotline_12345"])
def test_overdue_follows_the_category_sla_on_every_channel(wh, channel):
    sla = timedelta(hours=CAT.sla_hours)
    put(wh, s.event, [
        ev(NOW - sla - timedelta(hours=1), channel=channel),  # past its SLA, open: overdue
        ev(NOW - sla + timedelta(hours=1), channel=channel),  # within it: not yet
        ev(NOW - sla - timedelta(hours=2), channel=channel, deadline=NOW + timedelta(hours=3)),  # the source's deadline wins
        ev(NOW - timedelta(hours=5), channel=channel, status="resolved", resolved=NOW - timedelta(hours=4)),
    ])
    assert card(wh, "safety", "overdue_open", "last30")["value"] == 1
    assert card(wh, "safety", "open", "last30")["value"] == 3
    # resolved after the SLA: late, whether or not the source gave a deadline
    put(wh, s.event, [ev(NOW - sla - timedelta(hours=3), channel=channel, status="resolved",
                         resolved=NOW - timedelta(minutes=30))])
    assert card(wh, "safety", "late", "last30")["value"] == 1


def test_response_time_says_how_many_still_wait_and_for_how_long(wh):
    put(wh, s.event, [
        ev(NOW - timedelta(hours=30), accepted=NOW - timedelta(hours=29)),  # answered in 60 min
        ev(NOW - timedelta(hours=20), accepted=NOW - timedelta(hours=17)),  # answered in 180 min
        ev(NOW - timedelta(hours=2)),  # waiting 2 h
        ev(NOW - timedelta(hours=5)),  # waiting 5 h
        ev(NOW - timedelta(hours=9), status="resolved", resolved=NOW - timedelta(hours=8)),  # closed unanswered: not waiting
        ev(NOW - timedelta(hours=3), accepted=NOW + timedelta(hours=1)),  # answered after the instant: waiting 3 h
    ])
    got = card(wh, "safety", "response_hours", "last7")
    assert got["value"] == pytest.approx(2.0)  # (60 + 180) / 2 minutes
    assert got["sample"] == 2 and got["n_waiting"] == 3 and got["max_wait_hours"] == pytest.approx(5.0)
    strict = card(wh, "safety", "response_hours", "last7", settings=settings_from({"min_cases": 5}))
    assert strict["insufficient"] and strict["value"] is None and strict["n_waiting"] == 3


def test_a_rate_over_too_few_cases_is_not_shown(wh):
    put(wh, s.event, [ev(NOW - timedelta(days=d), status="resolved", resolved=NOW - timedelta(days=d, hours=-1))
                      for d in (1, 2, 3, 4)])
    five = settings_from({"min_cases": 5})
    got = card(wh, "safety", "resolution_rate", "last7", settings=five)
    assert got["insufficient"] and got["value"] is None and got["sample"] == 4 and got["min_sample"] == 5
    assert card(wh, "safety", "events", "last7", settings=five)["value"] == 4  # a count is always shown
    put(wh, s.event, [ev(NOW - timedelta(days=5))])
    got = card(wh, "safety", "resolution_rate", "last7", settings=five)
    assert not got["insufficient"] and got["value"] == pytest.approx(80.0)


def test_the_one_visit_rate_counts_completed_applications_only(wh):
    def app(status: str, visits: int) -> dict:
        n = next(_n)
        return {"service_code": "S1", "service_name": "低保申请", "department_code": "civil_affairs", "grid_code": GRID,
                "channel": "walk_in", "joint": False, "status": status, "submitted_at": NOW - timedelta(days=2),
                "completed_at": NOW - timedelta(days=1) if status == "completed" else None, "visits": visits,
                **lineage(f"A{n}")}

    put(wh, s.service_application, [app("completed", 1), app("completed", 3), app("rejected", 0),
                                    app("in_progress", 0), app("completed", 0)])
    got = card(wh, "services", "one_visit_rate", "last7")
    assert got["value"] == pytest.approx(100.0 * 2 / 3) and got["sample"] == 3
    assert card(wh, "services", "applications", "last7")["value"] == 5


def test_a_township_figure_says_how_many_villages_delivered_and_is_not_compared_when_incomplete(wh):
    first, second = list(VILLAGES)

    def value(village: str, month: date, v: float) -> dict:
        return {"indicator_code": "industrial_output", "area_code": village, "period_start": month, "value": v,
                **lineage(f"{village}|{month}")}

    put(wh, s.indicator_value, [value(first, date(2026, 9, 1), 100.0), value(second, date(2026, 9, 1), 50.0),
                                value(first, date(2026, 10, 1), 110.0), value(second, date(2026, 10, 1), 55.0),
                                value(first, date(2026, 11, 1), 120.0)])
    got = card(wh, "economy", "industrial_output")
    assert got["value"] == 120.0 and (got["delivered"], got["expected"]) == (1, 2)
    assert got["previous"] is None and got["previous_insufficient"]  # 1 of 2 villages: not compared with October
    put(wh, s.indicator_value, [value(second, date(2026, 11, 1), 60.0)])
    got = card(wh, "economy", "industrial_output")
    assert got["value"] == 180.0 and got["previous"] == 165.0 and (got["delivered"], got["expected"]) == (2, 2)
    village = card(wh, "economy", "industrial_output", area=first, village=first)
    assert village["value"] == 120.0 and village["previous"] == 110.0 and village["expected"] is None
