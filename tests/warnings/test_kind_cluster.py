"""cluster: prominent issue (突出问题)."""

from __future__ import annotations

from datetime import datetime, timedelta


from tests.warnings import builders as b

NOW = datetime(2026, 11, 18, 10, 30)
CAT = "ECO-SANITATION"


def _reports(conn, n, channels=("hotline_12345", "grid_app"), grid=b.GRID_A11, lon=None, lat=None, prefix="p",
             hours=1):
    x, y = b.centroid(grid)
    return [b.event(conn, reported_at=NOW - timedelta(hours=hours + i), grid_code=grid, category_code=CAT,
                    channel=channels[i % len(channels)], reporter=f"{prefix}{i}",
                    lon=x if lon is None else lon, lat=y if lat is None else lat) for i in range(n)]


def test_under_the_reporters_threshold_raises_nothing(conn):
    _reports(conn, 2)
    assert b.run(conn, "prominent_issue", NOW) == []


def test_one_channel_raises_nothing(conn):
    _reports(conn, 5, channels=("hotline_12345",))
    assert b.run(conn, "prominent_issue", NOW) == []


def test_at_the_threshold_one_orange_warning_with_its_events(conn):
    ids = _reports(conn, 3)
    (m,) = b.run(conn, "prominent_issue", NOW)
    assert (m.level, m.subject, m.township_code, m.grid_code) == ("orange", f"{CAT}|{b.GRID_A11}", b.TOWNSHIP_A,
                                                                   b.GRID_A11)
    assert m.village_code == b.VILLAGE_A1 and m.category_code == CAT and m.board == "economy"
    assert sorted(e.row_id for e in m.evidence) == sorted(ids)
    assert {e.fact for e in m.evidence} == {"event"} and all(e.src_source == "hotline" for e in m.evidence)
    assert m.title == "3 位群众 · 2 个渠道" and m.measure == 3


def test_red_at_six_reporters_orange_at_five(conn):
    _reports(conn, 5)
    assert [m.level for m in b.run(conn, "prominent_issue", NOW)] == ["orange"]
    _reports(conn, 1, prefix="q", hours=30)
    assert [m.level for m in b.run(conn, "prominent_issue", NOW)] == ["red"]


def test_repeat_reports_count_their_reporter_once(conn):
    ids = _reports(conn, 2)
    dup = b.event(conn, reported_at=NOW - timedelta(hours=5), category_code=CAT, channel="petition", reporter="p0",
                  duplicate_of=ids[0])
    assert b.run(conn, "prominent_issue", NOW) == []
    b.event(conn, reported_at=NOW - timedelta(hours=6), category_code=CAT, channel="grid_app", reporter="z")
    (m,) = b.run(conn, "prominent_issue", NOW)
    assert m.measure == 3 and dup in {e.row_id for e in m.evidence} and "3 个渠道" in m.title


def test_the_window_and_anonymous_reports(conn):
    _reports(conn, 2)
    b.event(conn, reported_at=NOW - timedelta(days=7, minutes=1), category_code=CAT, reporter="old")
    b.event(conn, reported_at=NOW - timedelta(hours=2), category_code=CAT, channel="camera")  # no reporter
    b.event(conn, reported_at=NOW + timedelta(hours=1), category_code=CAT, reporter="future")
    b.event(conn, reported_at=NOW - timedelta(hours=2), category_code="ECO-POLLUTION", reporter="other")
    assert b.run(conn, "prominent_issue", NOW) == []
    b.event(conn, reported_at=NOW - timedelta(days=7) + timedelta(minutes=1), category_code=CAT, reporter="edge")
    assert len(b.run(conn, "prominent_issue", NOW)) == 1


def test_within_the_radius_across_a_grid_border_one_warning(conn):
    # two reporters in grid A11 a few metres west of the border with A12, one ~100 m east of it in A12
    _reports(conn, 2, lon=120.0095, lat=29.805)
    near = _reports(conn, 1, grid=b.GRID_A12, lon=120.0105, lat=29.805, prefix="n", channels=("petition",))
    matches = b.run(conn, "prominent_issue", NOW)
    assert len(matches) == 1  # the clusters of A11 and A12 hold the same events
    assert near[0] in {e.row_id for e in matches[0].evidence} and matches[0].measure == 3


def test_beyond_the_radius_nothing(conn):
    _reports(conn, 2, lon=120.0095, lat=29.805)
    _reports(conn, 1, grid=b.GRID_A12, lon=120.0135, lat=29.805, prefix="n")  # ~390 m away
    _reports(conn, 1, grid=b.GRID_A12, lon=None, lat=None, prefix="m")  # placed at A12's centroid, ~530 m
    assert b.run(conn, "prominent_issue", NOW) == []
    assert len(b.run(conn, "prominent_issue", NOW, {"radius_m": 400})) == 1


def test_events_without_coordinates_count_in_their_grid(conn):
    for i in range(3):
        b.event(conn, reported_at=NOW - timedelta(hours=i + 1), category_code=CAT, reporter=f"x{i}",
                channel=("grid_app", "petition")[i % 2])
    (m,) = b.run(conn, "prominent_issue", NOW)
    assert m.subject == f"{CAT}|{b.GRID_A11}"


def test_two_townships_two_warnings(conn):
    _reports(conn, 3)
    _reports(conn, 3, grid=b.GRID_B11, prefix="b")
    assert sorted(m.township_code for m in b.run(conn, "prominent_issue", NOW)) == [b.TOWNSHIP_A, b.TOWNSHIP_B]


def test_a_cluster_rule_by_configuration_alone(conn):
    for i in range(2):
        b.event(conn, reported_at=NOW - timedelta(hours=i + 1), category_code="ECO-POLLUTION", reporter=f"y{i}")
    _reports(conn, 2)  # another category: filtered out
    block = {"kind": "cluster", "board": "economy", "category": "ECO-POLLUTION", "level": "yellow",
             "min_reporters": 2, "min_channels": 1, "red_reporters": 0, "categories": ["ECO-POLLUTION"]}
    (m,) = b.run(conn, "smell", NOW, block)
    assert (m.level, m.subject) == ("yellow", f"ECO-POLLUTION|{b.GRID_A11}")
