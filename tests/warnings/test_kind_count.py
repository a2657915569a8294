"""count: enterprise safety (failed safety inspections) and same person, many doors (一人多访)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from cockpit.warnings.rules import RuleSettingsError
from tests.warnings import builders as b

NOW = datetime(2026, 11, 18, 10, 30)
ENT = "91330999MA0000001X"


def test_one_failed_safety_inspection_raises_nothing(conn):
    b.inspection(conn, inspected_at=NOW - timedelta(days=10))
    b.inspection(conn, inspected_at=NOW - timedelta(days=20), kind="food")
    b.inspection(conn, inspected_at=NOW - timedelta(days=30), result="pass")
    b.inspection(conn, inspected_at=NOW - timedelta(days=90, minutes=1))
    assert b.run(conn, "enterprise_safety", NOW) == []


def test_two_failed_safety_inspections_are_orange(conn):
    ids = [b.inspection(conn, inspected_at=NOW - timedelta(days=d), grid_code=b.GRID_A22) for d in (5, 89)]
    b.inspection(conn, inspected_at=NOW - timedelta(days=1), enterprise_code="91330999MA0000002X")
    (m,) = b.run(conn, "enterprise_safety", NOW)
    assert (m.level, m.subject, m.grid_code, m.measure) == ("orange", ENT, b.GRID_A22, 2)
    assert sorted(e.row_id for e in m.evidence) == sorted(ids) and {e.fact for e in m.evidence} == {"inspection"}
    assert m.title == "90 天 2 次安全检查不合格"


def test_red_by_configuration(conn):
    for d in (1, 2, 3):
        b.inspection(conn, inspected_at=NOW - timedelta(days=d))
    assert [m.level for m in b.run(conn, "enterprise_safety", NOW, {"red_at": 4})] == ["orange"]
    assert [m.level for m in b.run(conn, "enterprise_safety", NOW, {"red_at": 3})] == ["red"]


def _complaints(conn, person, categories):
    return [b.event(conn, reported_at=NOW - timedelta(days=i + 1), category_code=c, reporter=person,
                    grid_code=b.GRID_A21) for i, c in enumerate(categories)]


def test_two_departments_raise_nothing(conn):
    # SAF-FIRE and SAF-HAZARD are both emergency's: two departments
    _complaints(conn, "p1", ["SAF-FIRE", "SAF-HAZARD", "ECO-SANITATION", "ECO-SANITATION"])
    b.event(conn, reported_at=NOW - timedelta(days=31), category_code="SAF-PETITION", reporter="p1")
    assert b.run(conn, "many_doors", NOW) == []


def test_three_departments_are_yellow(conn):
    ids = _complaints(conn, "p1", ["SAF-FIRE", "ECO-SANITATION", "SAF-PETITION"])
    _complaints(conn, "p2", ["SAF-FIRE", "ECO-SANITATION"])
    (m,) = b.run(conn, "many_doors", NOW)
    assert (m.level, m.subject, m.measure) == ("yellow", b.person_key("p1"), 3)
    assert sorted(e.row_id for e in m.evidence) == sorted(ids)
    assert m.title == "30 天向 3 个部门反映" and b.person_key("p1") not in m.title


def test_unknown_columns_are_refused(conn):
    with pytest.raises(RuleSettingsError, match="distinct.*no column"):  # when the configuration is read
        b.run(conn, "many_doors", NOW, {"distinct": "department"})


def test_a_count_rule_by_configuration_alone(conn):
    for d in (1, 2):
        b.inspection(conn, inspected_at=NOW - timedelta(days=d), kind="fire", result="fail")
    block = {"kind": "count", "board": "safety", "category": "SAF-FIRE", "fact": "inspection",
             "subject": "enterprise_code", "where": {"kind": ["fire", "food"], "result": "fail"}, "at_least": 2,
             "window_days": 30}
    (m,) = b.run(conn, "fire_failures", NOW, block)
    assert (m.subject, m.level, m.title) == (ENT, "orange", "30 天 2 条")
