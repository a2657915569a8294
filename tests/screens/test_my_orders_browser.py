"""我的工单 in a real browser: a grid worker on a phone (390×844) signs in, lands on their orders,
opens one, acknowledges it, arrives and reports the result with a note and a photo, which the
order's page then shows; a liaison on a laptop (1920×1080) finds their department's order. And
forged callbacks: a grid worker posting Dash's own request for an order not theirs changes nothing,
and the refusal is on record.

Screenshots (looked at when the screens change): test-artifacts/screenshots/field-*.png.
"""

from __future__ import annotations

import base64
import io
import json
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from PIL import Image
from sqlalchemy import insert, select, text

from cockpit import clock
from tests.screens.conftest import (
    ACCOUNTS,
    SCREENSHOTS,
    Watched,
    add_accounts,
    serve_app,
)
from tests.screens.dataset import area_rows

GRID = ACCOUNTS["gridman"][1]["grid_codes"][0]  # 33099900100101, 青石村第1网格
OTHER_GRID = GRID[:-2] + "02"
PHONE = (390, 844)


def _png(path) -> bytes:
    buf = io.BytesIO()
    img = Image.new("RGB", (320, 240), (30, 120, 60))
    for x in range(0, 320, 20):  # some structure, so it looks like a picture in the screenshot
        for y in range(240):
            img.putpixel((x, y), (240, 240, 240))
    img.save(buf, format="PNG")
    path.write_bytes(buf.getvalue())
    return buf.getvalue()


@pytest.fixture(scope="module")
def site(browser, tmp_path_factory):
    """A warehouse with four orders (served): ``late`` and ``fresh`` to gridman (late: past its
    acknowledgement deadline), ``dept`` to urban's liaisons, ``other`` to the grid worker of the
    next grid."""
    from cockpit.auth.users import get_user
    from cockpit.orders.dispatch import dispatch_warning
    from cockpit.warehouse import schema as s
    from cockpit.warehouse.db import engine_for
    from cockpit.warehouse.migrate import upgrade
    from tests.orders import builders as ob
    from tests.warnings import builders as wb

    folder = tmp_path_factory.mktemp("field")
    url = f"sqlite:///{folder / 'warehouse.db'}"
    upgrade(url)
    now = clock.now()
    engine = engine_for(url)
    with engine.begin() as conn:
        conn.execute(insert(s.area), area_rows())
    add_accounts(url)
    add_accounts(url, {"gridtwo": ("grid_worker", {"grid_codes": (OTHER_GRID,)})})
    ids = {}
    with engine.begin() as conn:
        op = get_user(conn, "duty")

        def order(key: str, title: str, minutes_ago: int, grid: str, assignee: str | None, events: int = 0) -> None:
            at = now - timedelta(minutes=minutes_ago)
            w = ob.warning(conn, grid=grid, now=at, subject=f"field-{key}", title=title)
            for n in range(events):
                eid = wb.event(conn, reported_at=at - timedelta(hours=n + 1), grid_code=grid,
                               channel=("hotline_12345", "grid_app", "online")[n % 3], reporter=f"居民{n}",
                               title=f"{title}（第{n + 1}次反映）", address=f"青石村{n + 3}组文化礼堂旁")
                src, src_key = conn.execute(select(s.event.c.src_source, s.event.c.src_key)
                                            .where(s.event.c.id == eid)).one()
                conn.execute(insert(s.warning_evidence).values(warning_id=w["id"], fact="event", src_source=src,
                                                               src_key=src_key, at=at, row_id=eid, added_at=at))
            ids[key] = dispatch_warning(conn, w["id"], op, assignee_user=assignee, now=at)["id"]

        order("late", "青石村口垃圾堆积，多人反映", 180, GRID, "gridman")
        order("fresh", "文化礼堂旁占道堆放建材", 20, GRID, "gridman", events=3)
        order("dept", "沿街店铺油烟扰民", 40, GRID, None)
        order("other", "第2网格路灯损坏", 30, OTHER_GRID, "gridtwo")
    with serve_app(url) as base:
        yield {"base": base, "url": url, "ids": ids, "folder": folder}


def _rows(url: str, query: str, **params):
    from cockpit.warehouse.db import engine_for

    with engine_for(url).connect() as conn:
        return conn.execute(text(query), params).all()


def _box(page, selector: str) -> dict:
    return page.locator(selector).bounding_box()


def test_a_grid_worker_handles_an_order_on_a_phone(browser, site, tmp_path):
    base, url, ids = site["base"], site["url"], site["ids"]
    w = Watched(browser, *PHONE)
    page = w.page
    try:
        w.login(base, "gridman")
        w.settle()
        assert urlsplit(page.url).path == "/my/orders"
        cards = page.locator("#fo-cards .fo-card")
        assert cards.count() == 2  # his two, not the department's or the other grid's
        first = cards.nth(0)
        assert first.get_attribute("id") == f"fo-card-{ids['late']}"  # overdue first
        late_line = first.locator(".fo-due.fo-late")
        assert "签收超时 2 小时" in late_line.inner_text()
        assert late_line.evaluate("e => getComputedStyle(e).color") == "rgb(185, 28, 28)"
        assert "青石村" in first.inner_text()
        font = page.locator("#field-list").evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
        assert font >= 17
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE[0]  # nothing spills sideways
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "field-phone-list.png"))

        page.locator(f"#fo-card-{ids['fresh']}").click()
        page.wait_for_url(f"**/my/orders?id={ids['fresh']}*")
        page.locator("#fo-ack").wait_for()
        w.settle()
        events = page.locator("#fo-events .fo-ev")
        assert events.count() == 3 and "138****" in page.locator("#fo-events").inner_text()
        ack = _box(page, "#fo-ack")
        assert ack["height"] >= 48 and ack["width"] >= PHONE[0] - 40
        assert ack["y"] + ack["height"] > PHONE[1] - 80  # at the bottom, within the thumb's reach
        page.screenshot(path=str(SCREENSHOTS / "field-phone-order.png"))

        page.click("#fo-ack")
        page.locator("#fo-flash").wait_for()
        page.locator("#fo-arrive").wait_for()
        assert _rows(url, "SELECT status FROM work_order WHERE id = :i", i=ids["fresh"])[0][0] == "acknowledged"
        page.click("#fo-arrive")
        page.locator("#fo-resolve").wait_for()
        w.settle()
        assert _rows(url, "SELECT status FROM work_order WHERE id = :i", i=ids["fresh"])[0][0] == "on_site"

        page.click("#fo-resolve")  # no note: refused on the spot, nothing changes
        assert "请填写说明" in page.locator("#fo-error").inner_text()
        assert _rows(url, "SELECT status FROM work_order WHERE id = :i", i=ids["fresh"])[0][0] == "on_site"

        png = _png(tmp_path / "site.png")
        page.fill("#fo-note", "建材已清运，通道恢复畅通。")
        page.set_input_files("#fo-upload input[type=file]", str(tmp_path / "site.png"))
        page.locator("#fo-thumbs img").wait_for()
        assert "已选 1 张照片" in page.locator("#fo-thumbs").inner_text()
        assert page.locator("#fo-error").count() == 0  # the message about the try without a note is gone
        page.locator("#fo-photos-hint").evaluate("e => e.scrollIntoView({block: 'start'})")
        page.screenshot(path=str(SCREENSHOTS / "field-phone-result-form.png"))
        page.click("#fo-resolve")
        page.locator("#fo-photos img").wait_for()
        w.settle()

        assert _rows(url, "SELECT status FROM work_order WHERE id = :i", i=ids["fresh"])[0][0] == "resolved"
        log = _rows(url, "SELECT action, actor, note FROM work_order_log WHERE order_id = :i ORDER BY id", i=ids["fresh"])
        assert [r[0] for r in log] == ["dispatched", "acknowledged", "arrived", "resolved"]
        assert log[-1][1:] == ("gridman", "建材已清运，通道恢复畅通。")
        (pid, ctype, data, by), = _rows(url, "SELECT id, content_type, data, uploaded_by FROM work_order_photo "
                                             "WHERE order_id = :i", i=ids["fresh"])
        assert (ctype, bytes(data), by) == ("image/png", png, "gridman")
        img = page.locator(f"#fo-photo-{pid} img")
        assert img.evaluate("e => e.complete && e.naturalWidth") == 320  # loaded through /photos/<id>
        assert "建材已清运" in page.locator("#fo-log").inner_text()
        page.screenshot(path=str(SCREENSHOTS / "field-phone-resolved.png"), full_page=True)
        assert not w.outside and not w.errors, (w.outside, w.errors)
    finally:
        w.close()


def test_a_liaison_finds_their_departments_order_on_a_laptop(browser, site):
    base, ids = site["base"], site["ids"]
    w = Watched(browser, 1920, 1080)
    try:
        w.login(base, "liaison")
        w.settle()
        assert urlsplit(w.page.url).path == "/my/orders"
        cards = w.page.locator("#fo-cards .fo-card")
        assert [c.get_attribute("id") for c in cards.all()] == [f"fo-card-{ids['dept']}"]
        w.page.screenshot(path=str(SCREENSHOTS / "field-liaison-list.png"))
        cards.nth(0).click()
        w.page.locator("#fo-ack").wait_for()
        w.settle()
        ack, head = _box(w.page, "#fo-ack"), _box(w.page, "#fo-head")
        assert ack["height"] >= 48 and ack["y"] < 1080 and ack["x"] > head["x"] + 600  # beside, not below the page
        w.page.screenshot(path=str(SCREENSHOTS / "field-liaison-order.png"))
        assert not w.errors, w.errors
    finally:
        w.close()


def _callback(context, base: str, button: str) -> dict:
    deps = context.request.get(base + "/_dash-dependencies").json()
    return next(d for d in deps if any(i["id"] == button for i in d["inputs"]))


def _forge(context, base: str, button: str, state: list[dict]):
    """Dash's own POST of the callback behind ``button``, with the session's CSRF token."""
    dep = _callback(context, base, button)
    outputs = []
    for part in dep["output"].strip(".").split("..."):
        ident, prop = part.rsplit(".", 1)
        outputs.append({"id": ident, "property": prop})
    body = {"output": dep["output"], "outputs": outputs, "changedPropIds": [f"{button}.n_clicks"],
            "inputs": [{"id": button, "property": "n_clicks", "value": 1}],
            "state": [{"id": s["id"], "property": s["property"], "value": v} for s, v in zip(dep["state"], state)]}
    token = next(c["value"] for c in context.cookies() if c["name"] == "cockpit_csrf")
    return context.request.post(base + "/_dash-update-component", data=json.dumps(body),
                                headers={"Content-Type": "application/json", "X-CSRFToken": token})


def _answer(r) -> dict:
    """Dash's answer by component id (``children@<hash>`` of a duplicate output: ``children``)."""
    return {k: {p.split("@")[0]: v for p, v in props.items()} for k, props in r.json()["response"].items()}


def test_forged_callbacks_for_orders_not_theirs_change_nothing_and_are_on_record(browser, site):
    base, url, ids = site["base"], site["url"], site["ids"]
    w = Watched(browser, *PHONE)
    try:
        w.login(base, "gridman")
        before = _rows(url, "SELECT id, status, assignee_user FROM work_order ORDER BY id")
        logs = _rows(url, "SELECT COUNT(*) FROM work_order_log")[0][0]
        for key, status in (("dept", "dispatched"), ("other", "dispatched")):
            seen = {"status": status, "department_code": "urban",
                    "assignee_user": None if key == "dept" else "gridtwo"}
            r = _forge(w.context, base, "fo-ack", [ids[key], seen, "zh"])
            assert r.status == 200, r.text()
            body = r.text()
            assert ("您无权" if key == "dept" else "不存在或不在您的范围内") in json.loads(body)["response"]["fo-msg"][
                "children"]["props"]["children"]
            r = _forge(w.context, base, "fo-return", ["不是我的", ids[key], seen, "zh"])
            assert r.status == 200
        assert _rows(url, "SELECT id, status, assignee_user FROM work_order ORDER BY id") == before
        assert _rows(url, "SELECT COUNT(*) FROM work_order_log")[0][0] == logs
        refused = _rows(url, "SELECT actor, obj_id, detail FROM audit_log WHERE action = 'work_order.refused' "
                             "ORDER BY id")
        got = {(actor, oid, json.loads(detail)["action"], json.loads(detail)["reason"]) for actor, oid, detail in refused}
        assert {("gridman", str(ids["dept"]), "acknowledged", "not_allowed"),
                ("gridman", str(ids["other"]), "acknowledged", "scope"),
                ("gridman", str(ids["dept"]), "returned", "not_allowed")} <= got
        # the page is for those who hold orders: an operator's forged click is refused without an answer
        w.context.clear_cookies()
        w.login(base, "duty")
        r = _forge(w.context, base, "fo-ack", [ids["late"], {"status": "dispatched", "department_code": "urban",
                                                              "assignee_user": "gridman"}, "zh"])
        assert r.status == 204
        assert _rows(url, "SELECT status FROM work_order WHERE id = :i", i=ids["late"])[0][0] == "dispatched"
        assert ("duty", str(ids["late"])) in {(a, o) for a, o, _ in _rows(
            url, "SELECT actor, obj_id, detail FROM audit_log WHERE action = 'work_order.refused'")}

        # his own order: a photo that is not one is refused by the core, nothing stored; a click on
        # what the page showed before someone else acted is a conflict, and the page is loaded again
        w.context.clear_cookies()
        w.login(base, "gridman")
        seen = {"status": "dispatched", "department_code": "urban", "assignee_user": "gridman"}
        r = _forge(w.context, base, "fo-ack", [ids["late"], seen, "zh"])
        assert _answer(r)["fo-go"]["href"] == f"/my/orders?id={ids['late']}&done=acknowledged&lang=zh"
        gif = io.BytesIO()
        Image.new("RGB", (8, 8)).save(gif, format="GIF")
        fake = "data:image/png;base64," + base64.b64encode(gif.getvalue()).decode()
        now_seen = {**seen, "status": "acknowledged"}
        r = _forge(w.context, base, "fo-resolve", ["已处理", [fake], ids["late"], now_seen, "zh"])
        assert "照片须为 JPEG 或 PNG 图片" in json.dumps(_answer(r)["fo-msg"], ensure_ascii=False)
        assert _rows(url, "SELECT status FROM work_order WHERE id = :i", i=ids["late"])[0][0] == "acknowledged"
        assert _rows(url, "SELECT COUNT(*) FROM work_order_photo WHERE order_id = :i", i=ids["late"])[0][0] == 0
        r = _forge(w.context, base, "fo-arrive", [ids["late"], seen, "zh"])  # as the page showed it before
        assert _answer(r)["fo-go"]["href"] == f"/my/orders?id={ids['late']}&error=conflict&lang=zh"
        assert _rows(url, "SELECT status FROM work_order WHERE id = :i", i=ids["late"])[0][0] == "acknowledged"
    finally:
        w.close()
