"""Read-side queries checked against numbers computed independently with raw SQL / Python."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import date, datetime

import pytest
from sqlalchemy import text

from cockpit.aggregates import refresh_after_load
from cockpit.scope import EVERYTHING, Scope
from cockpit.warehouse.data_version import bump_data_version
from cockpit.warehouse.db import engine_for
from queries import areas, departments, events, governance, indicators
from queries._base import clear_cache
from queries.filters import parse_filters
from tests.screens import dataset
from tests.screens.dataset import NOW, TOWNSHIP, VILLAGES


@pytest.fixture
def wh(db_url: str):
    dataset.build(db_url)
    clear_cache()
    return engine_for(db_url)


def _dt(v):
    """SQLite hands raw timestamps back as text."""
    return datetime.fromisoformat(v) if isinstance(v, str) else v


def _rows(engine, sql: str, **params):
    with engine.connect() as conn:
        return [tuple(_dt(v) if isinstance(v, str) and len(v) >= 19 and v[4] == "-" else v for v in r)
                for r in conn.execute(text(sql), params).fetchall()]


def _agg_open(by_area) -> int:
    return int(by_area["n_open"].sum()) if not by_area.empty else 0


def _agg_reported(by_area) -> int:
    return int(by_area["n_reported"].sum()) if not by_area.empty else 0


def _view():
    """The last 12 months (the data set's 90 days whatever the suite's instant: a quarter is empty on 1 January)."""
    f, bad = parse_filters({"period": "last12m"}, NOW, board="safety")
    assert bad == []
    return f


def test_events_by_village_match_raw_sql(wh):
    f = _view()
    got = events.events_by_area(wh, EVERYTHING, f).set_index("code")
    raw = _rows(wh, """SELECT village_code, COUNT(*),
                              SUM(CASE WHEN status IN ('resolved', 'closed') THEN 0 ELSE 1 END)
                       FROM event WHERE duplicate_of IS NULL AND board = 'safety'
                         AND reported_at >= :a AND reported_at < :b GROUP BY village_code""",
                a=datetime.combine(f.start, datetime.min.time()), b=datetime.combine(f.end, datetime.min.time()))
    assert raw, "the data set must have safety events"
    assert {r[0]: (r[1], r[2]) for r in raw} == {c: (int(got.loc[c, "n_reported"]), int(got.loc[c, "n_open"])) for c in got.index}
    assert set(got["name"]) <= set(VILLAGES.values())


def test_event_figures_match_raw_events(wh):
    f = _view()  # running: the figures are taken now, from the lifecycle times
    got = events.event_figures(wh, EVERYTHING, f)
    rows = _rows(wh, """SELECT status, reported_at, accepted_at, acknowledged_at, satisfaction, resolved_at, closed_at
                        FROM event WHERE duplicate_of IS NULL AND board = 'safety' AND reported_at >= :a
                        AND reported_at < :b""",
                 a=datetime.combine(f.start, datetime.min.time()), b=f.as_of)
    resolved = sum(bool(r[5] or r[6]) and (r[5] or r[6]) <= f.as_of or (not (r[5] or r[6]) and r[0] in ("resolved", "closed"))
                   for r in rows)
    assert got["n_reported"] == len(rows)
    assert got["resolution_rate"] == pytest.approx(100.0 * resolved / len(rows))
    resp = [((r[2] or r[3]) - r[1]).total_seconds() / 60 for r in rows if (r[2] or r[3])]
    assert got["mean_response_min"] == pytest.approx(statistics.mean(resp), rel=1e-6)
    sats = [r[4] for r in rows if r[4] is not None]
    assert got["mean_satisfaction"] == pytest.approx(statistics.mean(sats))


def test_department_median_response_matches_python(wh):
    f = _view()
    got = departments.department_response_ranking(wh, EVERYTHING, f).set_index("code")
    rows = _rows(wh, """SELECT department_code, reported_at, dispatched_at, acknowledged_at, onsite_at FROM event
                        WHERE duplicate_of IS NULL AND board = 'safety' AND reported_at >= :a AND reported_at < :b""",
                 a=datetime.combine(f.start, datetime.min.time()), b=datetime.combine(f.end, datetime.min.time()))
    per: dict[str, list[float]] = {}
    for dept, rep, disp, ack, onsite in rows:
        end = ack or onsite
        if end is not None:
            per.setdefault(dept, []).append((end - (disp or rep)).total_seconds() / 60)
    assert set(got.index) == set(per)
    for dept, minutes in per.items():
        assert got.loc[dept, "median_min"] == pytest.approx(statistics.median(minutes), abs=0.01)
        assert got.loc[dept, "cases"] == len(minutes)
    assert list(got["median_min"]) == sorted(got["median_min"])


def test_scope_limits_rows_to_its_areas(wh):
    village = list(VILLAGES)[1]
    f = _view()
    scoped = Scope(areas=frozenset({village}))
    by_area = events.events_by_area(wh, scoped, f)
    assert set(by_area["code"]) == {village}
    recs = events.event_records(wh, scoped, f)
    assert len(recs) and set(recs["village_code"]) == {village}
    assert set(areas.map_shapes(wh, scoped, TOWNSHIP)["code"]) == {village}
    nothing = Scope(areas=frozenset())
    assert events.event_figures(wh, nothing, f)["n_reported"] == 0


def test_after_load_hook_refreshes_only_touched_days(wh):
    @dataclass
    class Result:  # the shape of an ETL run result the hook reads
        target: str
        touched_days: set = field(default_factory=set)

    row = _rows(wh, "SELECT id, reported_at FROM event WHERE status NOT IN ('resolved','closed') AND duplicate_of IS NULL "
                    "ORDER BY id LIMIT 1")[0]
    day = row[1].date() if isinstance(row[1], datetime) else date.fromisoformat(str(row[1])[:10])
    other_day = _rows(wh, "SELECT MIN(day) FROM agg_event_day")[0][0]
    before_other = _rows(wh, "SELECT refreshed_at FROM agg_event_day WHERE day = :d", d=other_day)
    day_f, _ = parse_filters({"period": "custom", "start": day.isoformat(), "end": day.isoformat()}, NOW)
    open_before = _agg_open(events.events_by_area.uncached(wh, EVERYTHING, day_f))
    with wh.begin() as conn:
        conn.execute(text("UPDATE event SET status = 'resolved', resolved_at = :t WHERE id = :i"), {"t": NOW, "i": row[0]})
    refresh_after_load(wh, [Result("person", {day}), Result("event", {day})])
    assert _agg_open(events.events_by_area.uncached(wh, EVERYTHING, day_f)) == open_before - 1
    if str(other_day)[:10] != day.isoformat():
        assert _rows(wh, "SELECT refreshed_at FROM agg_event_day WHERE day = :d", d=other_day) == before_other


def test_indicator_series_combines_villages(wh):
    last = dataset.months_before(NOW, 11)[-1]
    s = indicators.indicator_series(wh, EVERYTHING, TOWNSHIP, board="party")
    nov = s[(s["code"] == "sanhui_yike_rate") & (s["period_start"] == last.isoformat())]
    raw = _rows(wh, "SELECT AVG(value) FROM indicator_value WHERE indicator_code = 'sanhui_yike_rate' AND period_start = :d",
                d=last)[0][0]
    assert float(nov.iloc[0]["value"]) == pytest.approx(raw)  # a rate is averaged over villages
    out = indicators.indicator_series(wh, EVERYTHING, TOWNSHIP, board="economy")
    total = _rows(wh, "SELECT SUM(value) FROM indicator_value WHERE indicator_code = 'industrial_output' AND period_start = :d",
                  d=last)[0][0]
    assert float(out[out["period_start"] == last.isoformat()].iloc[0]["value"]) == pytest.approx(total)  # an amount adds up


def test_source_freshness_flags_stale_and_failed(wh):
    declared = (("hotline", "hotline", "event"), ("stats", "statistics", "indicator_value"),
                ("ecology", "ecology", "sensor_reading"), ("never", "police", "event"))
    df = governance.source_freshness(wh, EVERYTHING, declared, NOW, 60).set_index("source")
    assert not df.loc["hotline", "stale"]
    assert df.loc["stats", "stale"]  # last success two days ago
    assert df.loc["ecology", "stale"]  # last run failed
    assert df.loc["never", "stale"]
    assert df.loc["hotline", "open_issues"] == _rows(wh, "SELECT COUNT(*) FROM dq_issue WHERE source = 'hotline'")[0][0]


def test_lineage_of_a_record(wh):
    ev = _rows(wh, "SELECT id, src_key FROM event ORDER BY id LIMIT 1")[0]
    got = governance.lineage(wh, EVERYTHING, "event", str(ev[0]))
    assert got["src_source"] == "hotline" and got["src_key"] == ev[1] and got["src_run_id"] == 1
    assert got["run_status"] == "success"
    key = f"sanhui_yike_rate|{list(VILLAGES)[0]}|{dataset.months_before(NOW, 11)[0]}"
    assert governance.lineage(wh, EVERYTHING, "indicator_value", key)["src_source"] == "stats"
    assert governance.lineage(wh, EVERYTHING, "event", "not-a-number") is None
    with pytest.raises(ValueError):
        governance.lineage(wh, EVERYTHING, "users", "1")


def test_cache_is_invalidated_when_the_data_version_moves(wh):
    f = _view()
    first = _agg_reported(events.events_by_area(wh, EVERYTHING, f))
    with wh.begin() as conn:
        conn.execute(text("DELETE FROM agg_event_day"))
    assert _agg_reported(events.events_by_area(wh, EVERYTHING, f)) == first  # cached until the version moves
    with wh.begin() as conn:  # a run that ends, its after-load hooks not finished yet: still cached
        conn.execute(text("INSERT INTO etl_run (id, source, \"full\", started_at, ended_at, status, attempts, rows_read, "
                          "rows_loaded, rows_rejected) VALUES (99, 'hotline', false, :t, :t, 'success', 1, 0, 0, 0)"),
                     {"t": NOW})
    assert _agg_reported(events.events_by_area(wh, EVERYTHING, f)) == first
    with wh.begin() as conn:  # the pass is complete (or the cockpit wrote data): read again
        bump_data_version(conn)
    assert _agg_reported(events.events_by_area(wh, EVERYTHING, f)) == 0


def test_parse_filters_falls_back_and_names_bad_parameters():
    today = datetime(2026, 11, 26, 9, 0)
    f, bad = parse_filters({"period": "fortnight", "village": "x'; drop", "category": "ECO-NOISE"}, today, board="safety")
    assert (f.period, f.start, f.end, f.full_end) == ("month", date(2026, 11, 1), date(2026, 11, 27), date(2026, 12, 1))
    assert bad == ["period", "village", "category"]  # ECO-NOISE belongs to another board
    f, bad = parse_filters({"period": "custom", "start": "2026-02-01", "end": "2026-02-10"}, today)
    assert bad == [] and (f.start, f.end) == (date(2026, 2, 1), date(2026, 2, 11))
    assert f.previous().start == date(2026, 1, 22)
    f, _ = parse_filters({"period": "quarter"}, today)
    assert f.previous().start == date(2026, 7, 1)
    f2, bad = parse_filters(f.to_query(), today)
    assert f2 == f and bad == []
