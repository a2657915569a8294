"""surge: petition surge (信访激增)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tests.warnings import builders as b

NOW = datetime(2026, 11, 18, 10, 30)


def _petitions(conn, n, days_ago=(0, 7), grid=b.GRID_A11, channel="petition"):
    lo, hi = days_ago
    span = (hi - lo) * 86400
    return [b.event(conn, reported_at=NOW - timedelta(days=lo, seconds=1 + span * i // max(n, 1)), grid_code=grid,
                    category_code="SAF-PETITION", channel=channel) for i in range(n)]


@pytest.mark.parametrize("baseline, recent, fires", [(8, 4, False), (8, 5, True), (20, 5, False), (20, 6, True),
                                                     (0, 5, True)])
def test_surge_boundaries(conn, baseline, recent, fires):
    _petitions(conn, baseline, days_ago=(7, 63))  # the 8 weeks before the window: weekly mean baseline / 8
    ids = _petitions(conn, recent)
    found = b.run(conn, "petition_surge", NOW)
    assert len(found) == (1 if fires else 0)
    if fires:
        (m,) = found
        assert (m.level, m.subject, m.village_code, m.township_code) == ("orange", b.VILLAGE_A1, b.VILLAGE_A1,
                                                                         b.TOWNSHIP_A)
        assert sorted(e.row_id for e in m.evidence) == sorted(ids) and m.measure == recent
        assert m.title.startswith(f"7 天 {recent} 件")


def test_other_channels_and_villages_do_not_count(conn):
    _petitions(conn, 4)
    _petitions(conn, 3, channel="hotline_12345")
    _petitions(conn, 3, grid=b.GRID_A21)
    _petitions(conn, 1, days_ago=(8, 9))
    assert b.run(conn, "petition_surge", NOW) == []


def test_villages_of_two_townships(conn):
    _petitions(conn, 5)
    _petitions(conn, 5, grid=b.GRID_B11)
    assert sorted(m.subject for m in b.run(conn, "petition_surge", NOW)) == [b.VILLAGE_A1, b.VILLAGE_B1]


def test_a_surge_rule_by_configuration_alone(conn):
    for i in range(3):
        b.event(conn, reported_at=NOW - timedelta(hours=i + 1), category_code="SAF-FIRE", channel="police_110")
    block = {"kind": "surge", "board": "safety", "category": "SAF-FIRE", "level": "yellow", "window_days": 1,
             "baseline_weeks": 4, "min_count": 3, "channels": [], "categories": ["SAF-FIRE"]}
    (m,) = b.run(conn, "fire_calls", NOW, block)
    assert (m.level, m.measure) == ("yellow", 3)
