"""The whole loop in a real browser, 预警 → 派单 → 处置 → 反馈 → 核查 → 结案: three complaints loaded by
the ETL raise a prominent issue; the operator dispatches it from the desk's triage queue to the
proposed grid worker; the grid worker, on a phone (390×844), lands on their orders, acknowledges,
arrives and reports the result with a note and a photo; the operator sees the photo, verifies and
closes; the order's timeline holds every step from the warning to the closing, and so do the
database's logs. Screenshots of the phone view and of the desk go to test-artifacts/screenshots/."""

from __future__ import annotations

from PIL import Image
from sqlalchemy import insert

from cockpit.i18n import t
from tests.screens.conftest import SCREENSHOTS, Watched, add_accounts, serve_app
from tests.screens.dataset import area_rows
from tests.screens.test_warning_browser import _complain, _config, _load, _rows, _source

STEPS = ["dispatched", "acknowledged", "arrived", "resolved", "closed"]


def test_a_prominent_issue_from_warning_to_dispatch_phone_result_verification_and_closing(browser, tmp_path,
                                                                                          monkeypatch):
    from cockpit.warehouse import schema as s
    from cockpit.warehouse.db import engine_for
    from cockpit.warehouse.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'warehouse.db'}"
    monkeypatch.setenv("COCKPIT_WAREHOUSE_URL", url)
    upgrade(url)
    with engine_for(url).begin() as conn:
        conn.execute(insert(s.area), area_rows())
    add_accounts(url)
    source_db = tmp_path / "hotline.db"
    _source(source_db)
    for n, channel, hours in ((1, "hotline_12345", 30), (2, "grid_app", 20), (3, "hotline_12345", 2)):
        _complain(source_db, n, channel, hours)
    config_path = _config(tmp_path, url, source_db)
    _load(config_path)
    (wid,), = _rows(url, "SELECT id FROM warning WHERE rule = 'prominent_issue'")
    photo = tmp_path / "site.jpg"
    Image.new("RGB", (640, 480), (90, 140, 60)).save(photo, "JPEG", quality=80)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    with serve_app(url, COCKPIT_CONFIG=str(config_path)) as base:
        desk = Watched(browser)
        try:  # the operator dispatches from the triage queue, to the proposed grid worker
            desk.login(base, "duty")
            desk.goto(base + "/orders")
            desk.page.locator(f"#od-q-{wid} button.od-open").click()
            desk.page.locator("#od-f-user").wait_for()
            desk.settle()
            assert "gridman" in desk.page.locator("#od-form-body").inner_text()  # the grid's worker, proposed
            desk.page.screenshot(path=str(SCREENSHOTS / "order-loop-dispatch.png"))
            desk.page.locator("#od-confirm").click()
            desk.page.wait_for_url("**/orders/*done=dispatched*")
        finally:
            desk.close()
        (oid, assignee, department), = _rows(url, "SELECT id, assignee_user, department_code FROM work_order")
        assert (assignee, department) == ("gridman", "urban")  # SAF-STALL: 城管 leads (职责清单)

        phone = Watched(browser, width=390, height=844)
        try:  # the grid worker's phone: their orders, then the order's steps
            phone.login(base, "gridman")
            phone.page.wait_for_url("**/my/orders**")
            phone.page.locator(f"#fo-card-{oid}").wait_for()
            phone.settle()
            phone.page.screenshot(path=str(SCREENSHOTS / "order-loop-phone-list.png"))
            phone.page.locator(f"#fo-card-{oid}").click()
            phone.page.wait_for_url(f"**/my/orders?id={oid}*")
            phone.page.click("#fo-ack")
            phone.page.wait_for_url("**done=acknowledged**")
            phone.page.locator("#fo-arrive").wait_for()
            phone.page.click("#fo-arrive")
            phone.page.wait_for_url("**done=arrived**")  # the page as stored: on site
            phone.page.locator("#fo-resolve").wait_for()
            phone.settle()
            phone.page.fill("#fo-note", "占道摊位已劝离，路口恢复通行。")
            phone.page.set_input_files("#fo-upload input[type=file]", str(photo))
            phone.page.locator("#fo-thumbs img").wait_for()
            phone.settle()
            phone.page.screenshot(path=str(SCREENSHOTS / "order-loop-phone-result.png"))
            phone.page.click("#fo-resolve")
            phone.page.locator("#fo-photos img").wait_for()
            phone.settle()
            assert t("order.status.resolved", "zh") in phone.page.locator("#field-order").inner_text()
            phone.page.screenshot(path=str(SCREENSHOTS / "order-loop-phone-resolved.png"), full_page=True)
            assert not phone.errors and not phone.outside, (phone.errors, phone.outside)
        finally:
            phone.close()
        (pid, ctype, width), = _rows(url, "SELECT id, content_type, width FROM work_order_photo WHERE order_id = :o",
                                     o=oid)
        assert (ctype, width) == ("image/jpeg", 640)

        desk = Watched(browser)
        try:  # the operator sees the result and its photo, verifies and closes
            desk.login(base, "duty")
            desk.goto(f"{base}/orders/{oid}")
            assert "占道摊位已劝离" in desk.page.locator("#od-timeline").inner_text()
            desk.page.locator(f"#od-photos img[src='/photos/{pid}']").wait_for()
            desk.page.click("#oa-close")
            desk.page.wait_for_url("**done=closed**")
            desk.settle()
            assert t("order.status.closed", "zh") in desk.page.locator("#od-status").inner_text()
            timeline = desk.page.locator("#od-timeline").inner_text()
            for action in STEPS:
                assert t(f"order.action.{action}", "zh") in timeline, action
            assert t("warning.action.opened", "zh") in timeline  # from the warning on
            # in the order things happened, though the clock stood still: the result, then the warning resolved
            steps = [t(k, "zh") for k in ("warning.action.opened", "order.action.acknowledged", "order.action.arrived",
                                          "order.action.resolved", "warning.action.order_resolved")]
            assert [timeline.index(s) for s in steps] == sorted(timeline.index(s) for s in steps)
            desk.page.screenshot(path=str(SCREENSHOTS / "order-loop-desk-closed.png"), full_page=True)
            assert not desk.errors and not desk.outside, (desk.errors, desk.outside)
        finally:
            desk.close()

    log = _rows(url, "SELECT action, actor, from_status, to_status FROM work_order_log WHERE order_id = :o ORDER BY id",
                o=oid)
    assert [tuple(r) for r in log] == [("dispatched", "duty", None, "dispatched"),
                                       ("acknowledged", "gridman", "dispatched", "acknowledged"),
                                       ("arrived", "gridman", "acknowledged", "on_site"),
                                       ("resolved", "gridman", "on_site", "resolved"),
                                       ("closed", "duty", "resolved", "closed")]
    history = _rows(url, "SELECT action, to_status FROM warning_history WHERE warning_id = :w ORDER BY id", w=wid)
    assert [tuple(r) for r in history] == [("opened", "new"), ("dispatched", "dispatched"),
                                           ("order_resolved", "resolved"), ("closed", "closed")]
    audit = _rows(url, "SELECT action FROM audit_log WHERE obj_type = 'work_order' ORDER BY id")
    assert [a for (a,) in audit] == ["work_order.dispatch", "work_order.acknowledge", "work_order.arrive",
                                     "work_order.resolve", "work_order.close"]
