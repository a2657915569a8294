"""The whistle's whole loop in a real browser, 吹哨 → 报到 → 评价 → 考核: the operator blows the whistle
on a warning; the urban management liaison, on a phone, acknowledges, reports arrival and the
result; the operator verifies and rates it; the department's score on the ranking page counts the
case, equal to the score worked out in this test from the warehouse by the formula (SPEC §10), and
the department's page lists the case. A forged request by the police liaison for the urban
department's summons changes nothing.

Four earlier cases of the week (through the core, at past times) make the sample big enough to be
scored: on time rated 5; on time rated 4; acknowledged late, reopened once, rated 3; no answer, closed
by the township with 1; and a fifth one contested and accepted, which is not counted."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import insert, text

from cockpit import clock
from cockpit.whistles.score import Period
from tests.screens.conftest import EXTRA_ACCOUNTS, SCREENSHOTS, Watched, add_accounts, serve_app
from tests.screens.dataset import area_rows
from tests.screens.test_my_orders_browser import _forge

GRID = "33099900100101"  # 青石村第1网格
PHONE = (390, 844)


def _rows(url: str, query: str, **params):
    from cockpit.warehouse.db import engine_for

    with engine_for(url).connect() as conn:
        return conn.execute(text(query), params).all()


def _earlier_cases(conn, now) -> None:  # noqa: ANN001
    """The urban department's four counted cases and one excused case earlier this week."""
    from cockpit.auth.users import get_user
    from cockpit.whistles.actions import act
    from cockpit.whistles.blow import blow_whistle
    from tests.orders import builders as ob

    duty, urban = get_user(conn, "duty"), get_user(conn, "liaison")
    m = timedelta(minutes=1)
    start = now - timedelta(days=1, hours=6)  # this week, yesterday morning
    for n in range(5):
        at = start + n * 60 * m
        w = ob.warning(conn, grid=GRID, now=at - 5 * m, subject=f"loop-earlier-{n}", title=f"早先的问题 {n}")
        sid = blow_whistle(conn, duty, warning_id=w["id"], departments=["urban"], now=at)["summons"][0]["id"]
        if n in (0, 1):  # on time
            act(conn, sid, "acknowledged", urban, now=at + 10 * m)
            act(conn, sid, "arrived", urban, now=at + 90 * m)
            act(conn, sid, "resolved", urban, note="已处置", now=at + 300 * m)
            act(conn, sid, "verified", duty, rating=5 - n, now=at + 320 * m)
        elif n == 2:  # acknowledged late, reopened once, then resolved in time
            act(conn, sid, "acknowledged", urban, now=at + 45 * m)
            act(conn, sid, "arrived", urban, now=at + 120 * m)
            act(conn, sid, "resolved", urban, note="已处置", now=at + 200 * m)
            act(conn, sid, "reopened", duty, note="现场仍有垃圾", now=at + 210 * m)
            act(conn, sid, "resolved", urban, note="已彻底清理", now=at + 400 * m)
            act(conn, sid, "verified", duty, rating=3, now=at + 410 * m)
        elif n == 3:  # no answer: the township closes it
            act(conn, sid, "closed", duty, note="部门未响应，镇里自行处置", rating=1, now=at + 600 * m)
        else:  # contested and accepted: not counted
            act(conn, sid, "contested", urban, note="属于河道管理范围", now=at + 20 * m)
            act(conn, sid, "contest_accepted", duty, now=at + 40 * m)


# the score of the department's counted cases, from the warehouse, by the formula of SPEC §10
SCORE_SQL = """
SELECT COUNT(*) AS n,
       SUM(CASE WHEN acknowledged_at IS NOT NULL AND acknowledged_at <= ack_due_at THEN 1 ELSE 0 END) AS ack,
       SUM(CASE WHEN arrived_at IS NOT NULL AND arrived_at <= arrive_due_at THEN 1 ELSE 0 END) AS arrive,
       SUM(CASE WHEN resolved_at IS NOT NULL THEN 1 ELSE 0 END) AS resolved,
       SUM(CASE WHEN resolved_at IS NOT NULL AND resolved_at <= resolve_due_at THEN 1 ELSE 0 END) AS resolved_ok,
       AVG(rating * 1.0) AS rating, SUM(CASE WHEN reopen_count > 0 THEN 1 ELSE 0 END) AS reopened
FROM summons WHERE department_code = 'urban' AND status NOT IN ('excused', 'cancelled')
  AND created_at >= :start AND created_at < :end
"""


def _expected_score(url: str, period: Period) -> tuple[int, float]:
    """Every step of every counted case is due here (done, or closed by the township)."""
    from cockpit.clock import midnight

    (n, ack, arrive, resolved, resolved_ok, rating, reopened), = _rows(url, SCORE_SQL, start=midnight(period.start),
                                                                       end=midnight(period.end))
    score = (20 * ack / n + 10 * arrive / n + 20 * resolved / n + 15 * resolved_ok / n
             + 35 * (float(rating) - 1) / 4 - 10 * reopened / n)
    return n, score


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    from cockpit.warehouse import schema as s
    from cockpit.warehouse.db import engine_for
    from cockpit.warehouse.migrate import upgrade
    from tests.orders import builders as ob

    url = f"sqlite:///{tmp_path_factory.mktemp('whistle-loop') / 'warehouse.db'}"
    upgrade(url)
    now = clock.now()
    engine = engine_for(url)
    with engine.begin() as conn:
        conn.execute(insert(s.area), area_rows())
    add_accounts(url)
    add_accounts(url, {"police": EXTRA_ACCOUNTS["police"]})
    with engine.begin() as conn:
        _earlier_cases(conn, now)
        w = ob.warning(conn, grid=GRID, now=now - timedelta(minutes=20), subject="loop-now",
                       title="青石村口垃圾堆积，多次反映未解决")
    with serve_app(url) as base:
        yield {"base": base, "url": url, "warning": w["id"]}


def _shoot(w: Watched, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    w.page.screenshot(path=str(SCREENSHOTS / f"whistle-loop-{name}.png"), full_page=True)


def test_blow_answer_rate_and_see_the_score_and_the_case_on_the_ranking(browser, site):
    base, url = site["base"], site["url"]
    desk = Watched(browser)
    try:  # the operator blows the whistle on the warning, with the departments proposed
        desk.login(base, "duty")
        desk.goto(f"{base}/warnings?id={site['warning']}")
        desk.page.click("#ws-blow-link")
        desk.page.locator("#wb-form").wait_for()
        desk.settle()
        desk.page.fill("#wb-note", "村口垃圾堆积，请城管牵头清运")
        desk.page.click("#wb-submit")
        desk.page.wait_for_url("**/whistles/*done=blown*")
        desk.settle()
        assert not desk.errors, desk.errors
    finally:
        desk.close()
    (wid,), = _rows(url, "SELECT id FROM whistle WHERE warning_id = :w", w=site["warning"])
    (sid, role), = _rows(url, "SELECT id, role FROM summons WHERE whistle_id = :w AND department_code = 'urban'", w=wid)
    assert role == "lead"

    phone = Watched(browser, *PHONE)
    try:  # the urban liaison, on a phone, from the notice's link: acknowledge, arrive, report
        phone.login(base, "liaison")
        phone.goto(f"{base}/my/summons?id={sid}")
        phone.page.click("#ms-ack")
        phone.page.locator("#ms-arrive").wait_for()
        phone.settle()
        phone.page.click("#ms-arrive")
        phone.page.locator("#ms-resolve").wait_for()
        phone.settle()
        phone.page.fill("#ms-note", "已清运完毕，现场恢复整洁")
        _shoot(phone, "phone-result")
        phone.page.click("#ms-resolve")
        phone.page.locator("#ms-resolve").wait_for(state="detached")
        phone.settle()
        _shoot(phone, "phone-resolved")
        assert not phone.errors, phone.errors
    finally:
        phone.close()
    assert _rows(url, "SELECT status FROM summons WHERE id = :s", s=sid) == [("resolved",)]

    desk = Watched(browser)
    try:  # the township verifies and rates; the ranking counts the case
        desk.login(base, "duty")
        desk.goto(f"{base}/whistles/{wid}")
        card = desk.page.locator(f"#ws-s-{sid}")
        assert "已清运完毕" in card.inner_text()
        card.locator(".ws-rating-input input[value='4']").check()
        card.locator("textarea").fill("清运及时")
        card.locator("button.ws-act-verified").click()
        desk.page.wait_for_url("**/whistles/*done=verified*")
        desk.settle()
        assert _rows(url, "SELECT status, rating FROM summons WHERE id = :s", s=sid) == [("verified", 4)]

        period = Period.containing("week", clock.now().date())
        n, expected = _expected_score(url, period)
        assert n == 5  # the four earlier counted cases and this one; the accepted contest is out
        assert round(expected, 6) == round(20 * 3 / 5 + 10 * 4 / 5 + 20 * 4 / 5 + 15 * 4 / 5 + 35 * (17 / 5 - 1) / 4
                                           - 10 * 1 / 5, 6)  # the cases as built: 67
        desk.goto(f"{base}/ranking?period={period.name}")
        assert desk.page.locator("#rk-score-urban").inner_text().strip() == f"{expected:.1f}"
        assert desk.page.locator("#rk-grade-urban").inner_text().strip() == "C"
        assert desk.page.locator("#rk-cases-urban").inner_text().strip() == "5"
        _shoot(desk, "ranking")
        assert not desk.errors, desk.errors
        desk.page.click("#rk-link-urban")
        desk.page.wait_for_url("**/departments/urban*")
        desk.settle()
        page_text = desk.page.locator(".page").first.inner_text()
        assert "青石村口垃圾堆积" in page_text and f"#{wid}" in page_text
        _shoot(desk, "department")
        assert not desk.errors and not desk.outside, (desk.errors, desk.outside)
    finally:
        desk.close()


def test_a_forged_request_for_another_departments_summons_gets_nothing(browser, site):
    """The police liaison opens, then forges the acknowledge and resolve callbacks (Dash's own POST,
    with the session's CSRF token) for the urban department's summons: nothing changes."""
    base, url = site["base"], site["url"]
    (done_sid,), = _rows(url, "SELECT MIN(id) FROM summons WHERE department_code = 'urban' AND status = 'verified'")
    with_open = _rows(url, "SELECT id, status FROM summons WHERE department_code = 'urban' AND status = 'summoned'")
    if not with_open:  # the loop above ran first: blow a fresh one on the urban department
        from cockpit.auth.users import get_user
        from cockpit.warehouse.db import engine_for
        from cockpit.whistles.blow import blow_whistle
        from tests.orders import builders as ob

        with engine_for(url).begin() as conn:
            w = ob.warning(conn, grid=GRID, now=clock.now(), subject="loop-forged", title="另一处垃圾堆积")
            blow_whistle(conn, get_user(conn, "duty"), warning_id=w["id"], departments=["urban", "police"])
        with_open = _rows(url, "SELECT id, status FROM summons WHERE department_code = 'urban' AND status = 'summoned'")
    (open_sid, _), = with_open[-1:]
    before = _rows(url, "SELECT id, status, acknowledged_at, resolved_at, rating FROM summons ORDER BY id")
    logs = _rows(url, "SELECT COUNT(*) FROM summons_log")[0][0]
    w = Watched(browser, *PHONE)
    try:
        w.login(base, "police")
        w.goto(f"{base}/my/summons?id={open_sid}")  # the urban department's summons: not found for the police
        w.page.locator("#ms-not-found").wait_for()
        for sid, status in ((open_sid, "summoned"), (done_sid, "verified")):
            seen = {"status": status, "department_code": "urban"}
            r = _forge(w.context, base, "ms-ack", [sid, seen, "zh"])
            assert r.status == 200, r.text()
            assert "/my/summons" not in json.dumps(r.json()["response"].get("ms-go", {}))  # no step done, no redirect
            r = _forge(w.context, base, "ms-resolve", ["伪造的结果", sid, seen, "zh"])
            assert r.status == 200, r.text()
        assert not w.errors, w.errors
    finally:
        w.close()
    assert _rows(url, "SELECT id, status, acknowledged_at, resolved_at, rating FROM summons ORDER BY id") == before
    assert _rows(url, "SELECT COUNT(*) FROM summons_log")[0][0] == logs
