"""threshold: air quality (PM2.5 24-hour mean) and water quality (class against target class)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from cockpit.warnings.rules import RuleSettingsError
from tests.warnings import builders as b

NOW = datetime(2026, 11, 18, 10, 30)
LAST = NOW - timedelta(minutes=30)


def _day(conn, mean, sensor="AQ1", end=LAST, grid=b.GRID_A11):
    """24 hourly readings ending at ``end`` averaging ``mean`` (and a high one just outside the window)."""
    values = [mean - 10 if i % 2 else mean + 10 for i in range(24)]
    b.readings(conn, sensor_id=sensor, metric="pm25", end=end, values=values, grid_code=grid)
    b.reading(conn, sensor_id=sensor, metric="pm25", ts=end - timedelta(hours=24), value=1000.0, grid_code=grid)


@pytest.mark.parametrize("mean, level", [(75.0, None), (75.5, "yellow"), (150.0, "yellow"), (150.5, "orange"),
                                         (250.0, "orange"), (250.5, "red")])
def test_air_quality_levels(conn, mean, level):
    _day(conn, mean)
    found = b.run(conn, "air_quality", NOW)
    assert [m.level for m in found] == ([level] if level else [])
    if level:
        (m,) = found
        assert m.subject == "AQ1" and m.grid_code == b.GRID_A11 and m.township_code == b.TOWNSHIP_A
        assert m.measure == pytest.approx(mean)
        assert len(m.evidence) == 24 and {(e.fact, e.code, e.metric) for e in m.evidence} == {
            ("sensor_reading", "AQ1", "pm25")}
        assert min(e.at for e in m.evidence) == LAST - timedelta(hours=23)
        assert m.title == f"PM2.5 24 小时均值 {mean:g} µg/m³".replace(".0 ", " ")


def test_a_stopped_feed_is_judged_on_its_last_day(conn):
    _day(conn, 100.0, end=NOW - timedelta(days=3))
    _day(conn, 20.0, sensor="AQ2", end=NOW - timedelta(days=3), grid=b.GRID_B11)
    (m,) = b.run(conn, "air_quality", NOW)
    assert (m.subject, m.level) == ("AQ1", "yellow")


def test_a_sensor_silent_in_the_window_is_not_judged(conn):
    _day(conn, 20.0)
    _day(conn, 300.0, sensor="AQ2", end=LAST - timedelta(days=2))
    assert b.run(conn, "air_quality", NOW) == []


def test_readings_after_now_are_ignored(conn):
    _day(conn, 20.0)
    b.reading(conn, sensor_id="AQ1", metric="pm25", ts=NOW + timedelta(hours=1), value=5000.0)
    assert b.run(conn, "air_quality", NOW) == []


def _water(conn, klass, target, sensor="W1", ts=LAST):
    b.reading(conn, sensor_id=sensor, metric="water_class", ts=ts, value=klass, grid_code=b.GRID_A21)
    b.reading(conn, sensor_id=sensor, metric="water_target_class", ts=ts, value=target, grid_code=b.GRID_A21)


def test_water_at_its_target_raises_nothing(conn):
    _water(conn, 3, 3)
    assert b.run(conn, "water_quality", NOW) == []


def test_water_worse_than_its_target_is_orange(conn):
    _water(conn, 4, 3)
    (m,) = b.run(conn, "water_quality", NOW)
    assert (m.level, m.subject, m.grid_code, m.measure) == ("orange", "W1", b.GRID_A21, 4.0)
    assert sorted(e.metric for e in m.evidence) == ["water_class", "water_target_class"]
    assert m.title == "水质类别 4类 · 目标 3类"


def test_water_judged_on_its_latest_class(conn):
    _water(conn, 5, 3, ts=LAST - timedelta(days=10))
    _water(conn, 3, 3)
    assert b.run(conn, "water_quality", NOW) == []
    _water(conn, 5, 3, sensor="W2", ts=LAST - timedelta(days=10))
    _water(conn, 4, 3, sensor="W2", ts=LAST - timedelta(days=1))
    (m,) = b.run(conn, "water_quality", NOW)
    assert m.subject == "W2" and m.measure == 4.0 and len(m.evidence) == 2


def test_a_threshold_rule_by_configuration_alone(conn):
    b.readings(conn, sensor_id="AQ9", metric="pm10", end=LAST, values=[100.0, 160.0, 90.0])
    block = {"kind": "threshold", "board": "economy", "category": "ECO-POLLUTION", "metric": "pm10",
             "aggregate": "max", "window_hours": 6, "levels": {"orange": 150}}
    (m,) = b.run(conn, "pm10_peak", NOW, block)
    assert (m.level, m.measure, len(m.evidence)) == ("orange", 160.0, 3)
    assert b.run(conn, "pm10_peak", NOW, {**block, "levels": {"orange": 160}}) == []


def test_a_threshold_rule_needs_levels_or_a_metric_to_compare_with(conn):
    with pytest.raises(RuleSettingsError, match="levels.*against_metric"):  # when the configuration is read
        b.run(conn, "bare", NOW, {"kind": "threshold", "board": "economy", "metric": "pm10"})
