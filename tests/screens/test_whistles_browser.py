"""街乡吹哨 in a real browser: the operator opens a warning, clicks 吹哨, changes the proposed
departments, blows; the whistle's page shows every summons; the summoned department does its steps
(through the core, as its liaison would on their own page); the operator verifies and rates the
result, and the database holds the rating and every step.

Screenshots (1920×1080, zh and en; looked at when the screens change): test-artifacts/screenshots/whistle-*.png.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import insert, text

from cockpit import clock
from tests.screens.conftest import SCREENSHOTS, Watched, add_accounts, serve_app
from tests.screens.dataset import area_rows

GRID = "33099900100101"  # 青石村第1网格


@pytest.fixture(scope="module")
def site(browser, tmp_path_factory):
    """A served warehouse with three open warnings: ``sanitation`` (to blow in the browser), ``noise``
    (blown already, an hour ago, nobody answered: late) and ``fire`` (its form shown in English)."""
    from cockpit.auth.users import get_user
    from cockpit.warehouse import schema as s
    from cockpit.warehouse.db import engine_for
    from cockpit.warehouse.migrate import upgrade
    from cockpit.whistles.blow import blow_whistle
    from tests.orders import builders as ob

    folder = tmp_path_factory.mktemp("whistles")
    url = f"sqlite:///{folder / 'warehouse.db'}"
    upgrade(url)
    now = clock.now()
    engine = engine_for(url)
    with engine.begin() as conn:
        conn.execute(insert(s.area), area_rows())
    add_accounts(url)
    with engine.begin() as conn:
        sanitation = ob.warning(conn, grid=GRID, now=now - timedelta(minutes=30), subject="whistle-sanitation",
                                title="青石村口垃圾堆积，多次反映未解决")
        noise = ob.warning(conn, grid=GRID, category="ECO-NOISE", now=now - timedelta(hours=2), subject="whistle-noise",
                           title="夜间施工噪声扰民")
        blow_whistle(conn, get_user(conn, "duty"), warning_id=noise["id"], urgent=True, note="夜间施工，请联合执法",
                     now=now - timedelta(hours=1))
        fire = ob.warning(conn, grid=GRID, category="SAF-FIRE", board="safety", subject="whistle-fire",
                          title="沿街商铺消防通道堵塞", now=now - timedelta(minutes=10))
    with serve_app(url) as base:
        yield {"base": base, "url": url, "sanitation": sanitation["id"], "noise": noise["id"], "fire": fire["id"]}


def _rows(url: str, query: str, **params):
    from cockpit.warehouse.db import engine_for

    with engine_for(url).connect() as conn:
        return conn.execute(text(query), params).all()


def _shoot(w: Watched, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    w.page.screenshot(path=str(SCREENSHOTS / f"whistle-{name}.png"))


def test_the_operator_blows_edits_the_departments_and_verifies_the_result(browser, site):
    from cockpit.auth.users import get_user
    from cockpit.warehouse.db import engine_for
    from cockpit.whistles.actions import act

    base, url, wid = site["base"], site["url"], site["sanitation"]
    w = Watched(browser)
    page = w.page
    try:
        w.login(base, "duty")
        w.goto(f"{base}/warnings?id={wid}")
        page.click("#ws-blow-link")
        page.locator("#wb-form").wait_for()
        w.settle()
        boxes = page.locator("#wb-depts input[type=checkbox]")
        proposed = [boxes.nth(i).get_attribute("value") for i in range(boxes.count()) if boxes.nth(i).is_checked()]
        (lead,), = _rows(url, "SELECT department_code FROM responsibility WHERE category_code = 'ECO-SANITATION' "
                              "AND role = 'lead'")
        assert lead in proposed and "police" not in proposed
        assert page.locator("#wb-form .wb-proposed-lead").count() == 1
        assert page.locator("#wb-ack").input_value() == "30" and page.locator("#wb-arrive").input_value() == "1440"
        _shoot(w, "form-zh")
        page.locator("#wb-depts input[value='police']").check()  # the operator adds the police …
        dropped = [d for d in proposed if d != lead][-1:]  # … and drops a proposed cooperating department
        for d in dropped:
            page.locator(f"#wb-depts input[value='{d}']").uncheck()
        page.locator("#wb-urgent").check()  # urgent: the deadlines follow
        w.settle()
        assert page.locator("#wb-arrive").input_value() == "120"
        page.fill("#wb-note", "村口垃圾堆积，请城管主责清运，公安配合维持秩序")
        page.click("#wb-submit")
        page.wait_for_url("**/whistles/*done=blown*")
        w.settle()
        (whistle_id, urgent), = _rows(url, "SELECT id, urgent FROM whistle WHERE warning_id = :w", w=wid)
        assert urgent
        summoned = _rows(url, "SELECT id, department_code, role FROM summons WHERE whistle_id = :w ORDER BY id",
                         w=whistle_id)
        expected = [lead] + [d for d in proposed if d != lead and d not in dropped] + ["police"]
        assert sorted(d for _, d, _ in summoned) == sorted(expected)
        assert summoned[0][1:] == (lead, "lead")
        for sid, _, _ in summoned:  # every summons on the page
            assert page.locator(f"#ws-s-{sid}").is_visible()
        assert "村口垃圾堆积" in page.locator("#ws-note").inner_text()

        # the lead department's liaison acknowledges, arrives and reports the result (their own page's steps;
        # the clock is pinned: all at the instant of the blow, the log keeps their order)
        sid = summoned[0][0]
        engine = engine_for(url)
        now = clock.now()
        with engine.begin() as conn:
            urban = get_user(conn, "liaison")
            assert urban.department_code == lead
            act(conn, sid, "acknowledged", urban, now=now)
            act(conn, sid, "arrived", urban, now=now)
            act(conn, sid, "resolved", urban, note="已清运完毕，现场已恢复", now=now)
        w.goto(f"{base}/whistles/{whistle_id}")
        card = page.locator(f"#ws-s-{sid}")
        assert "已清运完毕" in card.inner_text()
        _shoot(w, "page-zh")
        card.locator(".ws-rating-input input[value='4']").check()
        card.locator("textarea").fill("清运及时，回复清楚")
        card.locator("button.ws-act-verified").click()
        page.wait_for_url("**/whistles/*done=verified*")
        w.settle()
        assert "4/5" in page.locator(f"#ws-rating-{sid}").inner_text()
        assert _rows(url, "SELECT status, rating, rating_comment FROM summons WHERE id = :s", s=sid) == [
            ("verified", 4, "清运及时，回复清楚")]
        assert [a for (a,) in _rows(url, "SELECT action FROM summons_log WHERE summons_id = :s ORDER BY id", s=sid)] == [
            "summoned", "acknowledged", "arrived", "resolved", "verified"]
        assert page.locator(f"#ws-tl-{sid} li").count() == 5

        w.goto(f"{base}/whistles")
        late = page.locator(f"#ws-row-{_rows(url, 'SELECT id FROM whistle WHERE warning_id = :w', w=site['noise'])[0][0]}")
        assert late.locator(".sst-late").count() >= 1  # the noise whistle: nobody acknowledged within 30 minutes
        assert late.locator(".sst-late").first.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(220, 38, 38)"
        _shoot(w, "list-zh")
        for path, name in (("/whistles?lang=en", "list-en"), (f"/whistles/{whistle_id}?lang=en", "page-en")):
            w.goto(base + path)
            _shoot(w, name)
        assert "Whistle" in page.locator("#ws-header").inner_text()
        w.goto(f"{base}/whistles?blow=warning:{site['fire']}&lang=en")
        page.locator("#wb-form").wait_for()
        _shoot(w, "form-en")
        assert not w.errors, w.errors
        assert not w.outside, w.outside
    finally:
        w.close()
