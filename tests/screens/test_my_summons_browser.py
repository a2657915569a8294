"""我的召集 and 职责复核 in a real browser: the urban management liaison signs in on a phone (390×844),
finds the department's summons (the overdue one first, in red), opens one, acknowledges it, reports
arrival and the result, which its timeline then shows; the same pages on a laptop (1920×1080) in
Chinese and English; the administrator's review list, closing a flag with 已复核.

Screenshots (looked at when the screens change): test-artifacts/screenshots/summons-*.png and review-*.png.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import insert, text

from cockpit import clock
from tests.screens.conftest import EXTRA_ACCOUNTS, SCREENSHOTS, Watched, add_accounts, serve_app
from tests.screens.dataset import area_rows

GRID = "33099900100101"  # 青石村第1网格
PHONE = (390, 844)
DESK = (1920, 1080)


def _rows(url: str, query: str, **params):
    from cockpit.warehouse.db import engine_for

    with engine_for(url).connect() as conn:
        return conn.execute(text(query), params).all()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A warehouse (served) with whistles: ``late`` (urban lead and police, urgent, 3 h ago, nobody
    answered), ``fresh`` (urban, 15 min ago), ``rated`` (urban, verified with 4 stars), ``pending``
    (the police contest, undecided) and ``excused`` (urban's contest accepted: a review flag)."""
    from cockpit.auth.users import get_user
    from cockpit.warehouse import schema as s
    from cockpit.warehouse.db import engine_for
    from cockpit.warehouse.migrate import upgrade
    from cockpit.whistles.actions import act
    from cockpit.whistles.blow import blow_whistle
    from tests.orders import builders as ob

    url = f"sqlite:///{tmp_path_factory.mktemp('my-summons') / 'warehouse.db'}"
    upgrade(url)
    now = clock.now()
    m = timedelta(minutes=1)
    engine = engine_for(url)
    with engine.begin() as conn:
        conn.execute(insert(s.area), area_rows())
    add_accounts(url)
    add_accounts(url, {"police": EXTRA_ACCOUNTS["police"]})
    ids = {}
    with engine.begin() as conn:
        duty, urban, police = get_user(conn, "duty"), get_user(conn, "liaison"), get_user(conn, "police")

        def blow(key: str, title: str, minutes_ago: int, departments: list[str], **kw) -> dict:  # noqa: ANN003
            at = now - minutes_ago * m
            w = ob.warning(conn, grid=GRID, now=at - 5 * m, subject=f"ms-{key}", title=title,
                           category=kw.pop("category", "ECO-SANITATION"))
            return blow_whistle(conn, duty, warning_id=w["id"], departments=departments, now=at, **kw)

        late = blow("late", "青石村口垃圾堆积，多人反映", 180, ["urban", "police"], urgent=True,
                    note="垃圾堆积影响通行，请城管牵头清运，公安维持秩序")
        ids["late"], ids["late_police"] = late["summons"][0]["id"], late["summons"][1]["id"]
        ids["fresh"] = blow("fresh", "文化礼堂旁占道堆放建材", 15, ["urban"], note="请核实后清理")["summons"][0]["id"]
        sid = ids["rated"] = blow("rated", "沿街店铺油烟扰民", 600, ["urban"])["summons"][0]["id"]
        act(conn, sid, "acknowledged", urban, now=now - 590 * m)
        act(conn, sid, "arrived", urban, now=now - 560 * m)
        act(conn, sid, "resolved", urban, note="已责令店铺安装净化设备", now=now - 400 * m)
        act(conn, sid, "verified", duty, rating=4, note="处置及时", now=now - 380 * m)
        sid = ids["pending"] = blow("pending", "消防通道被电动车占用", 90, ["police"],
                                    category="SAF-FIRE")["summons"][0]["id"]
        act(conn, sid, "contested", police, note="消防通道管理属于消防救援部门", now=now - 60 * m)
        sid = ids["excused"] = blow("excused", "河道漂浮垃圾", 240, ["urban"], category="ECO-NOISE")["summons"][0]["id"]
        act(conn, sid, "contested", urban, note="河道保洁属于水务部门职责", now=now - 230 * m)
        act(conn, sid, "contest_accepted", duty, now=now - 200 * m)
    with engine.begin() as conn:  # a category the responsibility list does not cover yet: a gap on /review
        conn.execute(insert(s.category).values(code="SRV-GAPTEST", name_zh="新增类别（待定职责）",
                                               name_en="New category (no lead)", board="services",
                                               department_code="civil_affairs", sla_hours=48))
    with serve_app(url) as base:
        yield {"base": base, "url": url, "ids": ids}


def _shoot(w: Watched, name: str, full: bool = False) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    w.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full)


def _status(url: str, sid: int) -> str:
    return _rows(url, "SELECT status FROM summons WHERE id = :s", s=sid)[0][0]


def test_the_liaison_answers_a_summons_on_a_phone(browser, site):
    base, url, ids = site["base"], site["url"], site["ids"]
    w = Watched(browser, *PHONE)
    page = w.page
    try:
        w.login(base, "liaison")
        w.goto(f"{base}/my/summons")
        cards = page.locator("#ms-cards .ms-card")
        shown = [c.get_attribute("id") for c in cards.all()]
        assert shown == [f"ms-card-{ids['late']}", f"ms-card-{ids['fresh']}"]  # overdue first; not the police's
        late = page.locator(f"#ms-card-{ids['late']} .fo-due")
        assert "签收已超时 2 小时" in late.inner_text()
        assert late.evaluate("e => getComputedStyle(e).color") == "rgb(185, 28, 28)"
        assert "紧急" in page.locator(f"#ms-card-{ids['late']}").inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE[0]  # nothing spills sideways
        _shoot(w, "summons-phone-list-zh")

        page.locator(f"#ms-card-{ids['fresh']}").click()
        page.wait_for_url(f"**/my/summons?id={ids['fresh']}*")
        page.locator("#ms-ack").wait_for()
        w.settle()
        ack = page.locator("#ms-ack").bounding_box()
        assert ack["height"] >= 48 and ack["y"] + ack["height"] > PHONE[1] - 80  # at the bottom, for the thumb
        assert "请核实后清理" in page.locator("#ms-whistle-note").inner_text()
        _shoot(w, "summons-phone-detail-zh")

        page.click("#ms-ack")
        page.locator("#ms-arrive").wait_for()
        w.settle()
        assert "已签收" in page.locator("#ms-flash").inner_text() and _status(url, ids["fresh"]) == "acknowledged"
        page.click("#ms-arrive")
        page.locator("#ms-resolve").wait_for()
        w.settle()
        assert _status(url, ids["fresh"]) == "on_site"
        page.click("#ms-resolve")  # no note: refused on the spot, nothing changes
        assert "请填写说明" in page.locator("#ms-error").inner_text()
        assert _status(url, ids["fresh"]) == "on_site"
        page.fill("#ms-note", "建材已清运，通道恢复畅通")
        page.locator("#ms-resolve-form").evaluate("e => e.scrollIntoView({block: 'start'})")
        _shoot(w, "summons-phone-result-form-zh")
        page.click("#ms-resolve")
        page.locator("#ms-no-actions").wait_for()
        w.settle()
        assert _status(url, ids["fresh"]) == "resolved"
        log = _rows(url, "SELECT action, actor, note FROM summons_log WHERE summons_id = :s ORDER BY id", s=ids["fresh"])
        assert [r[0] for r in log] == ["summoned", "acknowledged", "arrived", "resolved"]
        assert log[-1][1:] == ("liaison", "建材已清运，通道恢复畅通")
        assert "建材已清运" in page.locator("#ms-log").inner_text()
        assert page.locator("#ms-status").get_attribute("data-status") == "resolved"
        _shoot(w, "summons-phone-resolved-zh", full=True)

        w.goto(f"{base}/my/summons?tab=done&lang=en")
        assert [c.get_attribute("id") for c in page.locator("#ms-cards .ms-card").all()] == [
            f"ms-card-{ids['excused']}", f"ms-card-{ids['rated']}"]  # the latest ended first
        assert "4/5" in page.locator(f"#ms-rating-{ids['rated']}").inner_text()
        _shoot(w, "summons-phone-done-en")
        w.goto(f"{base}/my/summons?lang=en")
        assert "Acknowledgement 2 h 30 min late" in page.locator(f"#ms-card-{ids['late']}").inner_text()
        _shoot(w, "summons-phone-list-en")
        w.goto(f"{base}/my/summons?id={ids['late']}&lang=en")
        assert "Acknowledge" in page.locator("#ms-ack").inner_text()
        assert page.locator("#ms-other-police").get_attribute("data-status") == "summoned"
        _shoot(w, "summons-phone-detail-en")
        assert not w.errors and not w.outside, (w.errors, w.outside)
    finally:
        w.close()


def test_the_pages_on_a_laptop_in_both_languages(browser, site):
    base, ids = site["base"], site["ids"]
    w = Watched(browser, *DESK)
    try:
        w.login(base, "liaison")
        for lang in ("zh", "en"):
            w.goto(f"{base}/my/summons?lang={lang}")
            assert w.page.locator("#ms-cards .ms-card").count() >= 1
            _shoot(w, f"summons-desk-list-{lang}")
            w.goto(f"{base}/my/summons?id={ids['late']}&lang={lang}")
            w.page.locator("#ms-ack").wait_for()
            ack, head = w.page.locator("#ms-ack").bounding_box(), w.page.locator("#ms-head").bounding_box()
            assert ack["y"] < DESK[1] and ack["x"] > head["x"] + 600  # the actions beside the summons
            _shoot(w, f"summons-desk-detail-{lang}")
        nav = w.page.locator("a[href='/my/summons']")
        assert nav.count() >= 1  # the liaison's nav entry
        assert not w.errors and not w.outside, (w.errors, w.outside)
    finally:
        w.close()


def test_the_admin_reviews_a_flagged_category(browser, site):
    base, url, ids = site["base"], site["url"], site["ids"]
    (rid,), = _rows(url, "SELECT id FROM responsibility_review WHERE summons_id = :s", s=ids["excused"])
    w = Watched(browser, *DESK)
    try:
        w.login(base, "root")
        for lang in ("zh", "en"):
            w.goto(f"{base}/review?lang={lang}")
            assert w.page.locator(f"#rv-contest-{ids['pending']}").count() == 1
            assert w.page.locator(f"#rv-flag-{rid}").count() == 1
            assert w.page.locator("#rv-gaps tbody tr").count() == _rows(
                url, "SELECT COUNT(*) FROM category WHERE code NOT IN "
                     "(SELECT category_code FROM responsibility WHERE role = 'lead')")[0][0]
            _shoot(w, f"review-desk-{lang}")
        w.goto(f"{base}/review?lang=zh")  # the language chosen last sticks: back to Chinese
        w.page.locator(f"#rv-flag-{rid} button.rv-close").click()
        w.page.wait_for_url("**/review?*done=reviewed*")
        w.page.locator("#rv-flash").wait_for()
        w.settle()
        assert _rows(url, "SELECT reviewed_by FROM responsibility_review WHERE id = :r", r=rid) == [("root",)]
        assert w.page.locator(f"#rv-flag-{rid}").count() == 0
        w.page.click("#rv-toggle-closed")
        w.page.wait_for_url("**/review?closed=1*")
        w.page.locator(f"#rv-flag-{rid} .rv-reviewed").wait_for()
        w.settle()
        assert "待复核 0 / 共 1" in w.page.locator("#rv-page").inner_text()
        _shoot(w, "review-desk-closed-zh")
        w.page.set_viewport_size({"width": PHONE[0], "height": PHONE[1]})
        w.goto(f"{base}/review?lang=zh")
        assert urlsplit(w.page.url).path == "/review" and "职责清单复核" in w.page.locator("#rv-page").inner_text()
        _shoot(w, "review-phone-zh", full=True)
        w.goto(f"{base}/review?closed=1&lang=en")
        _shoot(w, "review-phone-en", full=True)
        assert not w.errors and not w.outside, (w.errors, w.outside)
    finally:
        w.close()
