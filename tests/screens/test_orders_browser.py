"""The operator desk in a real browser, on a served screens warehouse: the operator dispatches a warning
from the triage queue (a double click on the dispatch button makes exactly one order), the assignee
resolves it (through the core, as the phone view would), the operator reopens it (返工, a reason) and,
once resolved again, verifies and closes it, the timeline showing every step; and two sessions acting
on the same order: one wins, the other sees the conflict message."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import text

from cockpit import clock
from cockpit.i18n import t
from tests.screens.conftest import SCREENSHOTS, Watched, screens_warehouse, serve_app


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(base URL, warehouse URL) of a cockpit of its own: these tests change the orders."""
    url = screens_warehouse(tmp_path_factory.mktemp("desk"))
    with serve_app(url) as base:
        yield base, url


def rows(url: str, query: str, **params):
    from cockpit.warehouse.db import engine_for

    with engine_for(url).connect() as conn:
        return conn.execute(text(query), params).all()


def core(url: str, order_id: int, action: str, username: str, **kw) -> None:
    """An assignee's step done through the core, as their phone view would."""
    from cockpit.auth.users import get_user
    from cockpit.orders.actions import act
    from cockpit.warehouse.db import engine_for

    with engine_for(url).begin() as conn:
        act(conn, order_id, action, get_user(conn, username), now=clock.now(), **kw)


def test_dispatch_from_the_queue_then_reopen_and_close_with_the_timeline(browser, desk):
    base, url = desk
    (wid,), = rows(url, "SELECT id FROM warning WHERE rule = 'prominent_issue'")
    w = Watched(browser, 1920, 1080)
    try:
        w.login(base, "duty")
        w.goto(base + "/orders")
        w.page.locator(f"#od-q-{wid} button.od-open").click()
        w.page.locator("#od-f-dept").wait_for()
        w.settle()
        w.page.fill("#od-f-note", "请尽快处置")
        w.page.locator("#od-confirm").dblclick()
        w.page.wait_for_url("**/orders/*done=dispatched*")
        w.settle()
        made = rows(url, "SELECT id, status, assignee_user, department_code FROM work_order WHERE warning_id = :w", w=wid)
        assert len(made) == 1, made  # the double click made one order
        oid, status, assignee, department = made[0]
        assert status == "dispatched" and f"/orders/{oid}" in w.page.url
        assert rows(url, "SELECT status FROM warning WHERE id = :w", w=wid) == [("dispatched",)]
        assert t("desk.done.dispatched", "zh", id=oid) in w.page.locator("#od-flash").inner_text()
        assert "请尽快处置" in w.page.locator("#od-timeline").inner_text()

        handler = assignee or "liaison"
        assert handler in ("gridman", "liaison") and (assignee or department == "urban")
        core(url, oid, "acknowledged", handler)
        core(url, oid, "resolved", handler, note="已劝离摊贩")
        w.goto(f"{base}/orders/{oid}")
        assert t("order.status.resolved", "zh") in w.page.locator("#od-status").inner_text()
        w.page.click("#oa-reopen")  # without a reason: refused on the page
        w.page.locator("#oa-error").wait_for()
        assert t("order.error.note_required", "zh") in w.page.locator("#oa-error").inner_text()
        w.page.fill("#oa-reopen-note", "摊贩又回来了")
        w.page.click("#oa-reopen")
        w.page.wait_for_url("**done=reopened**")
        w.settle()
        assert t("order.status.acknowledged", "zh") in w.page.locator("#od-status").inner_text()
        core(url, oid, "resolved", handler, note="已再次劝离并设置隔离栏")
        w.goto(f"{base}/orders/{oid}")
        w.page.click("#oa-close")
        w.page.wait_for_url("**done=closed**")
        w.settle()
        assert t("order.status.closed", "zh") in w.page.locator("#od-status").inner_text()
        timeline = w.page.locator("#od-timeline").inner_text()
        for action in ("dispatched", "acknowledged", "resolved", "reopened", "closed"):
            assert t(f"order.action.{action}", "zh") in timeline, action
        for note in ("已劝离摊贩", "摊贩又回来了", "已再次劝离并设置隔离栏"):
            assert note in timeline
        assert t("warning.action.opened", "zh") in timeline  # from the warning on
        steps = w.page.locator("#od-timeline > li").count()
        logged = rows(url, "SELECT COUNT(*) FROM work_order_log WHERE order_id = :o", o=oid)[0][0]
        history = rows(url, "SELECT COUNT(*) FROM warning_history WHERE warning_id = :w", w=wid)[0][0]
        assert steps == logged + history
        assert rows(url, "SELECT status FROM warning WHERE id = :w", w=wid) == [("closed",)]
        assert not w.errors and not w.outside, (w.errors, w.outside)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        w.page.screenshot(path=str(SCREENSHOTS / "order-closed-1920.png"), full_page=True)
    finally:
        w.close()
    audit = rows(url, "SELECT action FROM audit_log WHERE obj_type = 'work_order' AND obj_id = :o ORDER BY id", o=str(oid))
    assert [a for (a,) in audit] == ["work_order.dispatch", "work_order.acknowledge", "work_order.resolve",
                                     "work_order.reopen", "work_order.resolve", "work_order.close"]


def test_two_sessions_on_one_order_one_wins_the_other_is_told(browser, desk):
    base, url = desk
    (oid,), = rows(url, "SELECT id FROM work_order WHERE status = 'resolved' AND warning_id IS NULL ORDER BY id LIMIT 1")
    a, b = Watched(browser, 1920, 1080), Watched(browser, 1920, 1080)
    try:
        a.login(base, "duty")
        b.login(base, "lead")
        a.goto(f"{base}/orders/{oid}")
        b.goto(f"{base}/orders/{oid}")
        a.page.click("#oa-close")
        a.page.wait_for_url("**done=closed**")
        b.page.fill("#oa-reopen-note", "核查未通过")
        b.page.click("#oa-reopen")  # acting on the order as it was before A closed it
        b.page.wait_for_url("**error=conflict**")
        b.settle()
        assert t("order.error.conflict", "zh") in b.page.locator("#od-flash").inner_text()
        assert t("order.status.closed", "zh") in b.page.locator("#od-status").inner_text()
        assert not a.errors and not b.errors, (a.errors, b.errors)
    finally:
        a.close()
        b.close()
    log = rows(url, "SELECT action, actor FROM work_order_log WHERE order_id = :o ORDER BY id", o=oid)
    assert log[-1] == ("closed", "duty") and ("reopened", "lead") not in log
    assert rows(url, "SELECT status FROM work_order WHERE id = :o", o=oid) == [("closed",)]
