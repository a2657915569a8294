"""The screens in a real browser: clean loads, offline, drill by clicking, shared URLs, language switch.

Screenshots of every page land in test-artifacts/screenshots/.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest

from tests.screens.conftest import KIOSK_TOKEN, SCREENSHOTS, Watched
from tests.screens.dataset import VILLAGES

PAGES = {
    "bigscreen": "/",
    "bigscreen-kiosk": f"/?kiosk=1&kiosk_token={KIOSK_TOKEN}",
    "board-party": "/board/party",
    "board-economy": "/board/economy",
    "board-safety": "/board/safety?period=quarter",
    "board-services": "/board/services",
    "drill": "/drill?board=safety&period=quarter",
    "governance": "/governance",
    "audit": "/audit",
}


def _click_plot(page, selector: str) -> None:
    """Click the middle of a plotly element (plotly listens on its drag layer, not on the element)."""
    box = page.locator(selector).first.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)


def _query(url: str) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(urlparse(url).query).items()}


@pytest.mark.parametrize("name", list(PAGES))
def test_page_loads_clean_and_offline(served, browser, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    watched = Watched(browser)
    try:
        _page_loads_clean(served, watched, name)
    finally:
        watched.close()


def _page_loads_clean(served, watched, name):  # noqa: ANN001
    watched.login(served, "root" if name == "audit" else "lead")
    watched.goto(served + PAGES[name])
    watched.page.screenshot(path=str(SCREENSHOTS / f"{name}-1920x1080.png"))
    assert watched.errors == []
    assert watched.outside == []
    fonts_ok = watched.page.evaluate("document.fonts.check('16px \"Noto Sans CJK SC\"', '驾驶舱')")
    assert fonts_ok
    if name.startswith("bigscreen"):
        size = watched.page.evaluate("[document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
        assert size == [1920, 1080]  # no scrolling
        assert watched.page.locator(".big-nav-link").count() == (0 if "kiosk" in name else 6)
        assert watched.page.locator("#big-map .scatterlayer .trace").count() >= len(VILLAGES)


def test_big_screen_scales_to_4k(served, browser):
    w = Watched(browser, 3840, 2160)
    try:
        w.goto(served + f"/?kiosk=1&kiosk_token={KIOSK_TOKEN}")
        w.page.screenshot(path=str(SCREENSHOTS / "bigscreen-3840x2160.png"))
        assert w.errors == [] and w.outside == []
        assert w.page.evaluate("[document.documentElement.scrollWidth, document.documentElement.scrollHeight]") == [3840, 2160]
        title = w.page.locator(".big-title").bounding_box()
        assert title["height"] > 60  # type scales with the screen
    finally:
        w.close()


def test_drill_township_village_grid_records_by_clicking(served, watched):
    page = watched.page
    watched.goto(served + "/drill?board=safety&period=quarter")
    assert page.locator("#crumb-township").count() == 1
    _click_plot(page, "#drill-bars .point")
    page.wait_for_url(lambda u: "village=" in u)
    watched.settle()
    q = _query(page.url)
    assert q["village"] in VILLAGES and q["board"] == "safety" and q["period"] == "quarter"
    assert page.locator("#crumb-village").inner_text() == VILLAGES[q["village"]]
    _click_plot(page, "#drill-bars .point")
    page.wait_for_url(lambda u: "grid=" in u)
    watched.settle()
    q = _query(page.url)
    assert q["grid"].startswith(q["village"]) and q["period"] == "quarter"
    assert page.locator("#crumb-grid").count() == 1
    rows = page.locator("#drill-records tbody tr")
    assert rows.count() > 1  # header row + records
    assert "1" in page.locator("#drill-records").inner_text()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "drill-grid-1920x1080.png"))
    page.locator("#drill-up").click()
    page.wait_for_url(lambda u: "grid=" not in u)
    watched.settle()
    assert "village=" in page.url
    page.locator("#drill-crumbs a").first.click()
    page.wait_for_url(lambda u: "village=" not in u)
    assert watched.errors == []


def test_shared_url_reproduces_filters_and_bad_values_are_named(served, watched):
    village = list(VILLAGES)[0]
    page = watched.page
    watched.goto(served + f"/board/safety?period=quarter&village={village}&category=SAF-DISPUTE")
    filters = page.locator(".filters").first.inner_text()
    assert "本季度" in filters and VILLAGES[village] in filters and "矛盾纠纷" in filters
    assert page.locator(".filter-notice").count() == 0
    watched.goto(served + "/board/safety?period=fortnight&grid=123")
    notice = page.locator(".filter-notice").inner_text()
    assert "period" in notice and "grid" in notice
    assert "本月" in page.locator(".filters").first.inner_text()


def test_changing_a_filter_writes_it_into_the_url(served, watched):
    page = watched.page
    watched.goto(served + "/board/economy")
    page.locator("#\\{\\\"key\\\"\\:\\\"period\\\"\\,\\\"page\\\"\\:\\\"board\\\"\\,\\\"role\\\"\\:\\\"filter\\\"\\}").click()
    page.get_by_text("本年", exact=True).click()
    page.wait_for_url(lambda u: "period=year" in u)
    watched.settle()
    assert "本年" in page.locator(".filters").first.inner_text()
    assert watched.errors == []


def test_language_switch_changes_labels_and_sticks(served, watched):
    page = watched.page
    watched.goto(served + "/board/safety")
    assert "平安法治" in page.locator("h4").inner_text()
    page.locator("#lang-switch").click()
    page.wait_for_url(lambda u: "lang=en" in u)
    watched.settle()
    assert "Safety & law" in page.locator("h4").inner_text()
    assert "Resolution rate" in page.locator("#board-kpis").inner_text()
    watched.goto(served + "/governance")  # no lang parameter: the cookie remembers
    assert "Data governance" in page.locator("h4").inner_text()
    page.screenshot(path=str(SCREENSHOTS / "governance-en-1920x1080.png"))
    assert watched.errors == []


def test_grid_worker_on_a_phone_sees_their_grid_and_people_without_sideways_scrolling(served, browser):
    from tests.screens.conftest import ACCOUNTS

    grid = ACCOUNTS["gridman"][1]["grid_codes"][0]
    w = Watched(browser, 390, 844)
    try:
        w.login(served, "gridman")
        w.goto(served + f"/drill?village={grid[:12]}&grid={grid}")
        w.page.screenshot(path=str(SCREENSHOTS / "drill-grid-phone-390.png"), full_page=True)
        assert w.errors == [] and w.outside == []
        assert w.page.evaluate("document.documentElement.scrollWidth") <= 390
        assert w.page.locator("#care-table td").count() > 0  # the people of their own grid, by name
        w.page.locator("#care-table td").first.click()
        w.page.wait_for_selector("#care-card-body")
        assert "***" in w.page.locator("#care-card-body").inner_text()  # ID number masked
    finally:
        w.close()
