"""lag: indicator lag (off target, or outside mean ± 3σ of the last 12 periods)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from tests.warnings import builders as b

NOW = datetime(2026, 11, 18, 10, 30)
MONTHS = b.months_back(date(2026, 11, 1), 14)  # this month first


@pytest.mark.parametrize("value, fires", [(85.5, False), (85.4, True)])
def test_off_target_in_the_bad_direction(conn, value, fires):
    b.indicator_value(conn, indicator_code="sanhui_yike_rate", area_code=b.TOWNSHIP_A, period_start=MONTHS[1],
                      value=99.0)
    b.indicator_value(conn, indicator_code="sanhui_yike_rate", area_code=b.TOWNSHIP_A, period_start=MONTHS[0],
                      value=value)
    found = b.run(conn, "indicator_lag", NOW)
    assert len(found) == (1 if fires else 0)
    if fires:
        (m,) = found
        assert (m.level, m.subject, m.board, m.department_code) == (
            "yellow", f"sanhui_yike_rate|{b.TOWNSHIP_A}", "party", "organization")
        assert [(e.fact, e.code, e.metric, e.at) for e in m.evidence] == [
            ("indicator_value", b.TOWNSHIP_A, "sanhui_yike_rate", datetime(2026, 11, 1))]
        assert m.measure == value and "目标 95%" in m.title


def test_above_target_is_fine_when_higher_is_better(conn):
    b.indicator_value(conn, indicator_code="sanhui_yike_rate", area_code=b.TOWNSHIP_A, period_start=MONTHS[0],
                      value=120.0)
    assert b.run(conn, "indicator_lag", NOW) == []


def _history(conn, latest, n=12, code="industrial_output", area=b.TOWNSHIP_A):
    for i, month in enumerate(MONTHS[1:n + 1]):
        b.indicator_value(conn, indicator_code=code, area_code=area, period_start=month, value=100.0 + 2 * (i % 2))
    b.indicator_value(conn, indicator_code=code, area_code=area, period_start=MONTHS[0], value=latest)
    # a value older than the 12 periods, and one of next month: neither is used
    if n == 12:
        b.indicator_value(conn, indicator_code=code, area_code=area, period_start=MONTHS[13], value=10_000.0)
    b.indicator_value(conn, indicator_code=code, area_code=area, period_start=date(2026, 12, 1), value=10_000.0)


# 12 values alternating 100 / 102: mean 101, sample σ ≈ 1.044, 3σ ≈ 3.13
@pytest.mark.parametrize("latest, fires", [(104.0, False), (97.9, False), (104.2, True), (97.8, True)])
def test_outside_three_sigma(conn, latest, fires):
    _history(conn, latest)
    found = b.run(conn, "indicator_lag", NOW)
    assert len(found) == (1 if fires else 0)
    if fires:
        (m,) = found
        assert m.subject == f"industrial_output|{b.TOWNSHIP_A}" and m.board == "economy"
        assert len(m.evidence) == 13 and m.evidence[0].at == datetime(2026, 11, 1)
        assert "近 12 期均值 101" in m.title


def test_too_short_a_history(conn):
    _history(conn, 500.0, n=5)
    assert b.run(conn, "indicator_lag", NOW) == []
    assert len(b.run(conn, "indicator_lag", NOW, {"min_periods": 5})) == 1


def test_the_area_levels_judged_are_configuration(conn):
    _history(conn, 500.0, area=b.VILLAGE_A2)
    assert len(b.run(conn, "indicator_lag", NOW)) == 1  # the default judges townships and villages
    assert b.run(conn, "indicator_lag", NOW, {"area_levels": ["township"]}) == []
    block = {"kind": "lag", "board": "economy", "area_levels": ["village"], "indicators": ["industrial_output"],
             "sigma": 2.0, "off_target_pct": 0}
    (m,) = b.run(conn, "village_lag", NOW, block)
    assert (m.village_code, m.township_code) == (b.VILLAGE_A2, b.TOWNSHIP_A)
