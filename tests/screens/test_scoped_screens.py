"""The department liaison's and the board head's screens show only their data: every board, the big
screen and the drill-down, on the real app (Flask test client, real SQLite), against SQL written here
with their scope. People-of-concern counts only for roles that may see people, small counts as "<3",
and a refused person card on record.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Iterator

import pytest
from sqlalchemy import text

from cockpit import clock
from cockpit.i18n import t
from queries.filters import parse_filters
from tests.screens.test_access import GRID_MAN, Session, _open_card, audit_rows, body
from tests.screens.dataset import GRIDS

UNAVAILABLE = t("kpi.unavailable", "zh")


def one(sql: str, **params: Any) -> Any:
    from pages._common import engine

    with engine().connect() as conn:
        return conn.execute(text(sql), params).scalar()


def bounds(period: str) -> tuple[datetime, datetime, Any]:
    """The first instant and the end instant of ``period`` as the pages resolve it (the suite's pinned now)."""
    f, _ = parse_filters({"period": period}, clock.now())
    return datetime.combine(f.start, datetime.min.time()), f.as_of, f


# ---------------------------------------------------------------- reading a page's component tree
def nodes(tree: Any) -> Iterator[dict]:
    if isinstance(tree, dict):
        if isinstance(tree.get("props"), dict):
            yield tree
        for v in tree.values():
            yield from nodes(v)
    elif isinstance(tree, list):
        for v in tree:
            yield from nodes(v)


def text_of(node: Any) -> str:
    if isinstance(node, str):
        return node
    if isinstance(node, (int, float)):
        return str(node)
    if isinstance(node, list):
        return "".join(text_of(n) for n in node)
    if isinstance(node, dict):
        return text_of(node.get("props", {}).get("children"))
    return ""


def classed(node: dict, cls: str) -> bool:
    return cls in str(node["props"].get("className") or "").split()


def cards(tree: Any) -> dict[str, str]:
    """KPI cards of a page (or of one part of it): label -> the text of its value."""
    out = {}
    for n in nodes(tree):
        if classed(n, "kpi-card"):
            inner = list(nodes(n["props"].get("children")))
            label = next(text_of(x) for x in inner if classed(x, "kpi-label"))
            out[label] = next(text_of(x) for x in inner if classed(x, "kpi-value"))
    return out


def number(value: str) -> float:
    return float(value.replace(",", ""))


def part(response: Any, component_id: str) -> Any:
    """The subtree of a page response with the component ``component_id``."""
    return next(n for n in nodes(response.get_json()) if n["props"].get("id") == component_id)


def police_applications(a: datetime, b: datetime) -> int:
    """Police's applications: those it handles, and the joint ones in which it does a step."""
    return one("SELECT COUNT(*) FROM service_application WHERE submitted_at >= :a AND submitted_at < :b AND "
               "(department_code = 'police' OR src_key IN (SELECT application_ref FROM service_step "
               "WHERE department_code = 'police'))", a=a, b=b)


def events_of(where: str, a: datetime, b: datetime) -> int:
    return one(f"SELECT COUNT(*) FROM event WHERE duplicate_of IS NULL AND {where} AND reported_at >= :a "
               "AND reported_at < :b", a=a, b=b)


def latest_township_output(f: Any) -> float:
    latest = one("SELECT MAX(period_start) FROM indicator_value WHERE indicator_code = 'industrial_output' "
                 "AND period_start < :e", e=f.end)
    return one("SELECT SUM(value) FROM indicator_value WHERE indicator_code = 'industrial_output' AND period_start = :d",
               d=latest)


# ---------------------------------------------------------------- the department liaison
def test_police_liaison_service_total_is_police_applications(cockpit):
    a, b, _ = bounds("last30")
    expected = police_applications(a, b)
    total = one("SELECT COUNT(*) FROM service_application WHERE submitted_at >= :a AND submitted_at < :b", a=a, b=b)
    assert 0 < expected < total
    assert one("SELECT COUNT(*) FROM service_application WHERE department_code = 'police' AND submitted_at >= :a "
               "AND submitted_at < :b", a=a, b=b) < expected  # joint applications with a police step count too
    got = cards(Session(cockpit, "police").page("/board/services", "?period=last30").get_json())
    assert number(got[t("kpi.applications", "zh")]) == expected
    # indicators the police do not deliver: not available, not the township's figure
    assert got["家庭医生签约率"] == UNAVAILABLE
    lead = cards(Session(cockpit, "lead").page("/board/services", "?period=last30").get_json())
    assert number(lead[t("kpi.applications", "zh")]) == total


def test_police_liaison_economy_board_shows_no_output_tax_or_pm25(cockpit):
    _, _, f = bounds("month")
    response = Session(cockpit, "police").page("/board/economy", "?period=month")
    got = cards(response.get_json())
    for label in ("规上工业产值", "税收收入", t("kpi.pm25", "zh")):
        assert got[label] == UNAVAILABLE, label
    output = f"{latest_township_output(f):,.0f}"
    assert output not in body(response)
    trend = part(response, "board-indicators")["props"]["figure"]
    assert not any(tr.get("y") for tr in trend.get("data", []))  # no indicator series either


def test_police_liaison_safety_board_counts_police_events(cockpit):
    a, b, _ = bounds("last30")
    got = cards(Session(cockpit, "police").page("/board/safety", "?period=last30").get_json())
    expected = events_of("department_code = 'police' AND board = 'safety'", a, b)
    assert expected > 0 and number(got[t("kpi.events", "zh")]) == expected


def test_statistics_liaison_sees_the_output_they_deliver_and_no_events_of_others(cockpit):
    _, _, f = bounds("month")
    got = cards(Session(cockpit, "statsman").page("/board/economy", "?period=month").get_json())
    assert number(got["规上工业产值"]) == pytest.approx(latest_township_output(f))
    assert got[t("kpi.pm25", "zh")] == UNAVAILABLE
    assert number(got[t("kpi.events", "zh")]) == 0  # no category of statistics: none of the economy board's events


def test_police_liaison_big_screen(cockpit):
    a, b, _ = bounds("last30")  # the big screen's window (app.big_screen_period)
    response = Session(cockpit, "police").page("/")
    services = cards(part(response, "big-board-services"))
    assert number(services[t("kpi.applications", "zh")]) == police_applications(a, b)
    economy = cards(part(response, "big-board-economy"))
    # the panel's four cards show what police may see first (the economy board's events: none are
    # police's), then "无权查看" tiles; never the township's output, tax or PM2.5
    assert list(economy)[:3] == [t("kpi.events", "zh"), t("kpi.open", "zh"), t("kpi.resolution_rate", "zh")]
    assert number(economy[t("kpi.events", "zh")]) == events_of("department_code = 'police' AND board = 'economy'", a, b)
    assert all(v == UNAVAILABLE for k, v in economy.items() if k in ("规上工业产值", "税收收入", t("kpi.pm25", "zh")))
    assert list(economy.values())[-1] == UNAVAILABLE
    safety = cards(part(response, "big-board-safety"))
    assert number(safety[t("kpi.events", "zh")]) == events_of("department_code = 'police'", a, b)
    open_police = one("SELECT COUNT(*) FROM warning WHERE ended_at IS NULL AND department_code = 'police' "
                      "AND status NOT IN ('dismissed', 'cleared')")  # the open warnings of the department
    assert number(text_of(part(response, "big-open-total"))) == open_police


def test_police_liaison_drill_down_and_no_people_of_concern(cockpit):
    a, b, _ = bounds("last30")
    s = Session(cockpit, "police")
    got = cards(s.page("/drill", "?period=last30").get_json())
    assert number(got[t("kpi.events", "zh")]) == events_of("department_code = 'police'", a, b)
    grid = body(s.page("/drill", f"?period=last30&village={GRID_MAN[:12]}&grid={GRID_MAN}"))
    assert t("care.title", "zh") not in grid and "独居老人" not in grid


# ---------------------------------------------------------------- the board head
def test_economy_board_head_sees_only_their_board(cockpit):
    a, b, f = bounds("last30")
    s = Session(cockpit, "econhead")
    got = cards(s.page("/board/economy", "?period=last30").get_json())
    expected = events_of("board = 'economy'", a, b)
    assert expected > 0 and number(got[t("kpi.events", "zh")]) == expected
    assert number(got["规上工业产值"]) == pytest.approx(latest_township_output(f))
    pm25 = one("SELECT AVG(value) FROM sensor_reading WHERE metric = 'pm25' AND ts >= :a AND ts < :b", a=a, b=b)
    assert number(got[t("kpi.pm25", "zh")]) == pytest.approx(pm25, abs=0.05)
    for other in ("safety", "services", "party"):
        assert "access-denied" in body(s.page(f"/board/{other}"))
    drill = cards(s.page("/drill", "?period=last30").get_json())
    assert number(drill[t("kpi.events", "zh")]) == expected
    big = s.page("/")
    assert body(big).count(t("big.out_of_scope", "zh")) == 3
    economy = cards(part(big, "big-board-economy"))
    assert number(economy[t("kpi.events", "zh")]) == expected
    open_economy = one("SELECT COUNT(*) FROM warning WHERE ended_at IS NULL AND board = 'economy' "
                       "AND status NOT IN ('dismissed', 'cleared')")  # the open warnings of the board
    assert open_economy > 0 and number(text_of(part(big, "big-open-total"))) == open_economy


def test_safety_board_head_drill_down_counts_only_safety(cockpit):
    a, b, _ = bounds("last30")
    got = cards(Session(cockpit, "safetyhead").page("/drill", "?period=last30").get_json())
    assert number(got[t("kpi.events", "zh")]) == events_of("board = 'safety'", a, b)


# ---------------------------------------------------------------- people of concern
def _care_badges(response: Any) -> dict[str, str]:
    """Tag -> the count shown on its badge in the people-of-concern panel."""
    out = {}
    for n in nodes(response.get_json()):
        if classed(n, "badge"):
            children = n["props"]["children"]
            out[text_of(children[0])] = text_of(children[1]).strip()
    return out


def test_small_counts_show_as_under_the_minimum_and_the_minimum_is_configurable(cockpit):
    import pages._common

    with pytest.MonkeyPatch.context() as mp:
        s = Session(cockpit, "gridman")
        search = f"?village={GRID_MAN[:12]}&grid={GRID_MAN}"
        counts = {tag: one("SELECT COUNT(DISTINCT person_key) FROM person_tag WHERE grid_code = :g AND tag = :t",
                           g=GRID_MAN, t=tag) for tag in ("elderly_alone", "dibao", "tekun")}
        assert set(counts.values()) == {1}  # one of each in the grid
        badges = _care_badges(s.page("/drill", search))
        assert badges == {"独居老人": "<3", "低保": "<3", "特困": "<3"}
        mp.setenv("COCKPIT_PRIVACY_MIN_COUNT", "1")
        pages._common.config.cache_clear()
        assert _care_badges(s.page("/drill", search)) == {"独居老人": "1", "低保": "1", "特困": "1"}
    pages._common.config.cache_clear()


def test_roles_without_personal_data_see_nothing_of_the_people_of_concern(cockpit):
    for who in ("safetyhead", "liaison", "root"):
        page = Session(cockpit, who).page("/drill", f"?village={GRID_MAN[:12]}&grid={GRID_MAN}")
        assert not _care_badges(page), who
        assert t("care.title", "zh") not in body(page), who


def test_a_forged_person_card_request_is_refused_and_on_record(cockpit):
    other_grid = next(g for g in GRIDS if g != GRID_MAN)
    outsider = one("SELECT person_key FROM person WHERE grid_code = :g ORDER BY person_key", g=other_grid)
    name = one("SELECT name FROM person WHERE person_key = :k", k=outsider)
    before = len(audit_rows(cockpit, "person.view.refused"))
    for who in ("gridman", "safetyhead"):
        r = _open_card(Session(cockpit, who), outsider)
        assert r.status_code == 200 and name not in body(r)
    rows = audit_rows(cockpit, "person.view.refused")
    assert [(r.actor, r.obj_type) for r in rows[before:]] == [("gridman", "person"), ("safetyhead", "person")]
    assert not [r for r in audit_rows(cockpit, "person.view") if r.obj_id == outsider]  # never recorded as seen
