"""The big screen's reads: board KPIs checked against raw SQL, reads side by side, the cache computing once."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta

import pandas as pd
import pytest
from sqlalchemy import text

from cockpit.scope import EVERYTHING
from cockpit.warehouse.data_version import bump_data_version
from cockpit.warehouse.db import engine_for
from queries import _base, departments, indicators, kpis
from queries._base import cached, clear_cache, reading
from queries.filters import parse_filters
from tests.screens import dataset
from tests.screens.dataset import GRIDS, NOW, TODAY, TOWNSHIP, VILLAGES


@pytest.fixture
def wh(db_url: str):
    dataset.build(db_url)
    clear_cache()
    return engine_for(db_url)


def _one(engine, sql: str, **params):
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar()


def _bounds(f):
    """The view's first instant and its end instant (now, for a running period)."""
    return datetime.combine(f.start, datetime.min.time()), f.as_of


def _kpi(df, key: str) -> dict:
    return df.set_index("key").loc[key].to_dict()


def test_sensor_and_service_kpis_match_raw_sql(wh):
    f, _ = parse_filters({"period": "last30"}, NOW, board="economy")  # never empty, whatever the suite's instant
    got = _kpi(kpis.board_kpis(wh, EVERYTHING, f, TOWNSHIP), "pm25")
    for value, period in ((got["value"], f), (got["previous"], f.previous())):
        a, b = _bounds(period)
        raw = _one(wh, "SELECT AVG(value) FROM sensor_reading WHERE metric = 'pm25' AND ts >= :a AND ts < :b "
                       "AND grid_code LIKE :t", a=a, b=b, t=TOWNSHIP + "%")
        assert raw is not None and value == pytest.approx(raw)
    # the only sensor is in the first grid: the second grid has no mean
    first, second = list(GRIDS)[:2]
    a, b = _bounds(f)
    assert indicators.sensor_mean(wh, EVERYTHING, "pm25", f, area=first) == pytest.approx(
        _one(wh, "SELECT AVG(value) FROM sensor_reading WHERE metric = 'pm25' AND ts >= :a AND ts < :b", a=a, b=b))
    assert indicators.sensor_mean(wh, EVERYTHING, "pm25", f, area=second) is None

    f, _ = parse_filters({"period": "last30"}, NOW, board="services")
    got = kpis.board_kpis(wh, EVERYTHING, f, TOWNSHIP)
    a, b = _bounds(f)
    where = "submitted_at >= :a AND submitted_at < :b"
    n = _one(wh, f"SELECT COUNT(*) FROM service_application WHERE {where}", a=a, b=b)
    assert n > 0 and _kpi(got, "applications")["value"] == n
    online = _one(wh, f"SELECT COUNT(*) FROM service_application WHERE {where} AND channel = 'online'", a=a, b=b)
    assert _kpi(got, "online_share")["value"] == pytest.approx(100.0 * online / n)
    done = f"{where} AND status = 'completed' AND visits IS NOT NULL"
    completed = _one(wh, f"SELECT COUNT(*) FROM service_application WHERE {done}", a=a, b=b)
    one_visit = _one(wh, f"SELECT COUNT(*) FROM service_application WHERE {done} AND visits <= 1", a=a, b=b)
    row = _kpi(got, "one_visit_rate")
    assert row["sample"] == completed
    if completed >= row["min_sample"]:
        assert row["value"] == pytest.approx(100.0 * one_visit / completed)
    else:
        assert row["insufficient"] and pd.isna(row["value"])


def test_indicator_kpis_are_the_latest_month_and_the_one_before(wh):
    f, _ = parse_filters({"period": "month"}, NOW, board="party")
    row = _kpi(kpis.board_kpis(wh, EVERYTHING, f, TOWNSHIP), "sanhui_yike_rate")
    latest = _one(wh, "SELECT MAX(period_start) FROM indicator_value WHERE indicator_code = 'sanhui_yike_rate' "
                      "AND period_start < :end", end=f.end)
    latest = datetime.fromisoformat(str(latest)).date()
    before = (latest - timedelta(days=1)).replace(day=1)  # the month before (December, for January)
    mean = "SELECT AVG(value) FROM indicator_value WHERE indicator_code = 'sanhui_yike_rate' AND period_start = :d"
    assert row["basis"] == "month" and row["period_start"].date() == latest
    assert row["value"] == pytest.approx(_one(wh, mean, d=latest))  # a rate: the villages' mean
    assert row["previous"] == pytest.approx(_one(wh, mean, d=before))
    # one village: its own values
    village = list(VILLAGES)[1]
    f_v, _ = parse_filters({"period": "month", "village": village}, NOW, board="party")
    row = _kpi(kpis.board_kpis(wh, EVERYTHING, f_v, village), "sanhui_yike_rate")
    own = "SELECT value FROM indicator_value WHERE indicator_code = 'sanhui_yike_rate' AND period_start = :d AND area_code = :v"
    assert row["value"] == pytest.approx(_one(wh, own, d=latest, v=village))
    assert row["previous"] == pytest.approx(_one(wh, own, d=before, v=village))


def test_the_ranking_of_an_area_counts_only_its_events(wh):
    f, _ = parse_filters({"period": "last30"}, NOW)
    village = list(VILLAGES)[0]
    got = departments.department_response_ranking(wh, EVERYTHING, f, area=village).set_index("code")
    a, b = _bounds(f)
    with wh.connect() as conn:
        cases = dict(conn.execute(text(
            "SELECT department_code, COUNT(*) FROM event WHERE duplicate_of IS NULL AND village_code = :v "
            "AND reported_at >= :a AND reported_at < :b AND COALESCE(acknowledged_at, onsite_at) IS NOT NULL "
            "GROUP BY department_code"), {"v": village, "a": a, "b": b}).all())
    assert cases and {k: int(v) for k, v in got["cases"].items()} == cases
    whole = departments.department_response_ranking(wh, EVERYTHING, f, area=TOWNSHIP)
    assert whole["cases"].sum() > got["cases"].sum()


def test_a_screens_reads_share_one_connection_and_one_data_version(wh):
    from sqlalchemy import event

    statements: list[str] = []

    def count(conn, cursor, statement, *args):  # noqa: ANN001
        statements.append(statement)

    f, _ = parse_filters({"period": "month"}, NOW, board="safety")
    alone = kpis.board_kpis(wh, EVERYTHING, f, TOWNSHIP)
    clear_cache()
    event.listen(wh, "before_cursor_execute", count)
    try:
        with reading(wh) as conn:
            together = kpis.board_kpis(conn, EVERYTHING, f, TOWNSHIP)
            version_reads = sum("data_version" in st for st in statements)
            bump_data_version(conn)  # a pass completes meanwhile
            conn.commit()
            before = len(statements)
            again = kpis.board_kpis(conn, EVERYTHING, f, TOWNSHIP)  # the version pinned inside: all from the cache
            cached_reads = len(statements) - before
        before = len(statements)
        kpis.board_kpis(wh, EVERYTHING, f, TOWNSHIP)  # outside: the new version is seen, so the queries run again
        fresh_reads = sum("data_version" not in st for st in statements[before:])
    finally:
        event.remove(wh, "before_cursor_execute", count)
    assert together.equals(alone) and again.equals(together)
    assert version_reads == 1  # once for the screen, not once per query
    assert cached_reads == 0 and fresh_reads > 1


def test_a_result_being_computed_is_computed_once(wh):
    calls = []

    @cached
    def slow_count(db, table: str) -> int:
        calls.append(table)
        time.sleep(0.2)
        return _one(db, f"SELECT COUNT(*) FROM {table}")

    results = []
    threads = [threading.Thread(target=lambda: results.append(slow_count(wh, "event"))) for _ in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert calls == ["event"]
    assert results == [_one(wh, "SELECT COUNT(*) FROM event")] * 4
    assert not _base._PENDING

    @cached
    def failing(db, n: int) -> int:
        calls.append(n)
        raise ValueError("bad")

    for _ in range(2):  # a failure is not cached: the next caller tries again
        with pytest.raises(ValueError):
            failing(wh, 1)
    assert calls[-2:] == [1, 1] and not _base._PENDING
