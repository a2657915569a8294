"""overdue: hazards past their rectification deadline."""

from __future__ import annotations

from datetime import datetime, timedelta


from tests.warnings import builders as b

NOW = datetime(2026, 11, 18, 10, 30)
TODAY = NOW.date()


def test_a_deadline_today_or_a_rectified_hazard_raises_nothing(conn):
    b.inspection(conn, inspected_at=NOW - timedelta(days=10), rectify_deadline=TODAY)
    b.inspection(conn, inspected_at=NOW - timedelta(days=10), rectify_deadline=TODAY - timedelta(days=3),
                 rectified_at=NOW - timedelta(days=4))
    b.inspection(conn, inspected_at=NOW - timedelta(days=10))  # no deadline
    assert b.run(conn, "hazard_overdue", NOW) == []


def test_past_the_deadline_is_orange(conn):
    i = b.inspection(conn, inspected_at=NOW - timedelta(days=10), rectify_deadline=TODAY - timedelta(days=1),
                     grid_code=b.GRID_B11, src_key="INS-7")
    (m,) = b.run(conn, "hazard_overdue", NOW)
    assert (m.level, m.subject, m.township_code, m.measure) == ("orange", "emergency_insp|INS-7", b.TOWNSHIP_B, 1)
    assert [(e.fact, e.row_id, e.src_key) for e in m.evidence] == [("inspection", i, "INS-7")]
    assert m.title == "隐患整改逾期 1 天"


def test_red_after_days_by_configuration(conn):
    b.inspection(conn, inspected_at=NOW - timedelta(days=40), rectify_deadline=TODAY - timedelta(days=30))
    assert [m.level for m in b.run(conn, "hazard_overdue", NOW, {"red_after_days": 30})] == ["red"]
    assert [m.level for m in b.run(conn, "hazard_overdue", NOW, {"red_after_days": 31})] == ["orange"]


def test_an_overdue_rule_by_configuration_alone(conn):
    late = b.event(conn, reported_at=NOW - timedelta(days=3), deadline_at=NOW - timedelta(minutes=1))
    b.event(conn, reported_at=NOW - timedelta(days=3), deadline_at=NOW + timedelta(minutes=1))
    b.event(conn, reported_at=NOW - timedelta(days=3), deadline_at=NOW - timedelta(days=1),
            resolved_at=NOW - timedelta(hours=1))
    block = {"kind": "overdue", "board": "safety", "fact": "event", "deadline": "deadline_at", "done": "resolved_at",
             "title": "工单超期 {days} 天"}
    (m,) = b.run(conn, "late_orders", NOW, block)
    assert m.evidence[0].row_id == late and m.title == "工单超期 0 天"
