"""The ranking (红黑榜) and a department's page in a real browser (1920×1080), served over the screens
dataset with the whistles of ``test_ranking.add_whistles``: the leader reads the ranking, switches
to the week and back, opens a department from its row, expands a case's timeline; a liaison is
refused another department's page; no console errors, nothing fetched from outside.

Screenshots (looked at when the screens change): test-artifacts/screenshots/ranking-*.png, zh and en,
of the ranking, a department's page and the big screen.
"""

from __future__ import annotations

import pytest

from cockpit import clock
from cockpit.i18n import t
from cockpit.warehouse.db import engine_for
from cockpit.whistles import score as core
from cockpit.whistles.settings import score_settings
from tests.screens.conftest import SCREENSHOTS, Watched, screens_warehouse, serve_app
from tests.screens.test_ranking import RARE, TOWNSHIP, add_whistles, month


@pytest.fixture(scope="module")
def site(browser, tmp_path_factory):
    url = screens_warehouse(tmp_path_factory.mktemp("ranking"))
    add_whistles(url)
    with serve_app(url) as base:
        yield {"base": base, "url": url}


def _ranking(url: str, period: core.Period) -> list[core.DepartmentScore]:
    with engine_for(url).connect() as conn:
        return core.ranking(conn, period, clock.now(), score_settings(), township=TOWNSHIP)


def test_the_leader_reads_the_ranking_and_a_departments_cases(browser, site):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    want = _ranking(site["url"], month())
    w = Watched(browser)
    try:
        w.login(site["base"], "lead")
        w.goto(site["base"] + "/ranking")
        page = w.page
        assert page.locator("#rk-table tbody tr").count() == len(want)
        first, last_scored = want[0], [x for x in want if x.score is not None][-1]
        assert page.locator(f"#rk-score-{first.department_code}").inner_text() == f"{first.score:.1f}"
        assert "rk-red" in page.locator(f"#rk-row-{first.department_code}").get_attribute("class")
        assert "rk-black" in page.locator(f"#rk-row-{last_scored.department_code}").get_attribute("class")
        assert page.locator(f"#rk-score-{RARE}").inner_text() == t("score.insufficient", "zh")
        assert "响应 30 = 20 × 按时签收率 + 10 × 按时到场率" in page.locator("#rk-formula").inner_text()
        assert page.locator("#rk-fig .bar, #rk-fig .barlayer").count() >= 1
        page.screenshot(path=str(SCREENSHOTS / "ranking-zh.png"), full_page=True)

        page.click("#rk-kind-week")
        w.settle()
        week = core.Period.containing("week", clock.now().date())
        assert week.name in page.locator("#rk-period").inner_text()
        assert page.locator("#rk-table tbody tr, #rk-empty").count() >= 1
        page.click("#rk-kind-month")
        w.settle()

        code = "civil_affairs"
        page.click(f"#rk-link-{code}")
        w.settle()
        assert f"/departments/{code}" in page.url
        mine = next(x for x in want if x.department_code == code)
        assert page.locator("#dept-score").inner_text() == f"{mine.score:.1f}"
        cases = page.locator(".dept-case")
        assert cases.count() >= mine.cases + mine.excused
        assert page.locator(".dept-not-counted").count() == mine.excused
        log = cases.first.locator(".dept-log")
        assert not log.is_visible()
        cases.first.locator("summary").click()
        assert log.is_visible() and log.locator("li").count() >= 1
        assert page.locator("#dept-trend .scatterlayer").count() == 1
        page.screenshot(path=str(SCREENSHOTS / "ranking-department-zh.png"), full_page=True)

        w.goto(site["base"] + "/ranking?lang=en")
        assert "Response 30 = 20 × Acknowledged in time" in page.locator("#rk-formula").inner_text()
        page.screenshot(path=str(SCREENSHOTS / "ranking-en.png"), full_page=True)
        w.goto(site["base"] + "/departments/emergency?lang=en")
        page.screenshot(path=str(SCREENSHOTS / "ranking-department-en.png"), full_page=True)
        for lang in ("zh", "en"):
            w.goto(site["base"] + f"/?lang={lang}")
            page.wait_for_selector("#big-ranking .barlayer")
            page.screenshot(path=str(SCREENSHOTS / f"ranking-bigscreen-{lang}.png"))
        assert not w.errors, w.errors
        assert not w.outside, w.outside
    finally:
        w.close()


def test_a_liaison_is_refused_another_departments_page(browser, site):
    w = Watched(browser)
    try:
        w.login(site["base"], "liaison")  # urban
        w.goto(site["base"] + "/departments/police")
        assert t("dept.own_only", "zh", own="县综合行政执法局") in w.page.locator("#dept-refused").inner_text()
        assert w.page.locator(".dept-case").count() == 0
        w.goto(site["base"] + "/departments/urban")
        assert w.page.locator("#dept-score").count() == 1 and w.page.locator(".dept-case").count() >= 1
        w.goto(site["base"] + "/ranking")
        assert w.page.locator("#rk-link-urban").count() == 1 and w.page.locator("#rk-link-police").count() == 0
        assert not w.errors, w.errors
    finally:
        w.close()
