"""inactivity: elderly living alone (独居老人异常)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from tests.warnings import builders as b

NOW = datetime(2026, 11, 18, 10, 30)
LAST = NOW - timedelta(minutes=20)


def _home(conn, name, water=None, doors=None, end=LAST, grid=b.GRID_A12, tag=True, **tag_kw):
    """A tagged person with hourly water and door readings over the 24 h to ``end`` (totals given)."""
    key = b.tag(conn, person=name, grid_code=grid, **tag_kw) if tag else b.person_key(name)
    for metric, total in (("water_litres", water), ("door_opens", doors)):
        if total is not None:
            values = [total / 4] * 4 + [0.0] * 20
            b.readings(conn, sensor_id=f"H-{name}-{metric}", metric=metric, end=end, values=values, grid_code=grid,
                       subject_key=key)
    return key


def test_enough_activity_raises_nothing(conn):
    _home(conn, "张三", water=10.0, doors=1)
    assert b.run(conn, "elderly_inactive", NOW) == []


def test_little_water_is_red(conn):
    key = _home(conn, "张三", water=9.9, doors=3)
    (m,) = b.run(conn, "elderly_inactive", NOW)
    assert (m.level, m.subject, m.grid_code, m.township_code) == ("red", key, b.GRID_A12, b.TOWNSHIP_A)
    assert m.measure == pytest.approx(9.9) and "用水量 9.9L" in m.title
    assert "张三" not in m.title and key not in m.title
    assert len(m.evidence) == 48 and {e.metric for e in m.evidence} == {"water_litres", "door_opens"}


def test_no_door_opening_is_red(conn):
    _home(conn, "张三", water=50.0, doors=0)
    (m,) = b.run(conn, "elderly_inactive", NOW)
    assert m.level == "red" and m.measure == 0 and "门磁开合次数 0次" in m.title


def test_a_device_silent_since_yesterday_is_red(conn):
    _home(conn, "李四", water=50.0, doors=5)  # keeps the township's feed current
    key = _home(conn, "张三", water=50.0, doors=5, end=NOW - timedelta(hours=30))
    (m,) = b.run(conn, "elderly_inactive", NOW)
    assert m.subject == key and m.evidence == []


def test_a_person_without_a_device_is_not_judged(conn):
    _home(conn, "张三", water=50.0, doors=5)
    _home(conn, "王五", water=50.0, doors=5, end=NOW - timedelta(hours=80))  # older than the lookback
    b.tag(conn, person="赵六")  # no sensors at all
    assert b.run(conn, "elderly_inactive", NOW) == []


def test_only_active_tags(conn):
    _home(conn, "张三", water=0.0, doors=0, until=NOW.date() - timedelta(days=1))
    _home(conn, "王五", water=0.0, doors=0, since=NOW.date() + timedelta(days=1))
    assert b.run(conn, "elderly_inactive", NOW) == []
    _home(conn, "李四", water=0.0, doors=0, until=NOW.date())
    assert len(b.run(conn, "elderly_inactive", NOW)) == 1


def test_untagged_readings_are_ignored(conn):
    _home(conn, "张三", water=0.0, doors=0, tag=False)
    assert b.run(conn, "elderly_inactive", NOW) == []


def test_the_window_ends_at_the_townships_latest_reading(conn):
    # the feed of township A stopped 10 hours ago: the 24 hours before then are judged, not before now
    _home(conn, "张三", water=12.0, doors=2, end=NOW - timedelta(hours=10))
    assert b.run(conn, "elderly_inactive", NOW) == []
    # township B's feed is current; it does not move A's window
    _home(conn, "李四", water=12.0, doors=2, grid=b.GRID_B11)
    assert b.run(conn, "elderly_inactive", NOW) == []


def test_an_inactivity_rule_by_configuration_alone(conn):
    key = b.tag(conn, person="孙七", tag="disabled")
    b.readings(conn, sensor_id="D1", metric="door_opens", end=LAST, values=[1.0, 0.0, 0.0], subject_key=key)
    block = {"kind": "inactivity", "board": "services", "category": "SRV-ELDERLY", "level": "orange",
             "tag": "disabled", "window_hours": 12, "conditions": {"door_opens": 2}}
    (m,) = b.run(conn, "disabled_quiet", NOW, block)
    assert (m.level, m.subject, m.measure) == ("orange", key, 1.0)
    assert b.run(conn, "disabled_quiet", NOW, {**block, "conditions": {"door_opens": 1}}) == []


def test_since_may_be_empty(conn):
    _home(conn, "张三", water=0.0, doors=0, since=None)
    assert [m.level for m in b.run(conn, "elderly_inactive", NOW)] == ["red"]
    assert date(2024, 1, 1) < NOW.date()
