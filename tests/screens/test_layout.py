"""Every page fits every screen a township uses, in Chinese and in English.

For each page of the registry (the big screen ``/`` has its own tests), at phone, laptop, desktop
and 4K sizes: the document never scrolls sideways (wide tables scroll inside their own box), the
page's main content is on screen, figures follow the width of their panel, and at 4K the content
uses the screen rather than a strip in its middle. One served app, one browser context per
language, the viewport resized between sizes. Screenshots of one board at each size land in
test-artifacts/screenshots/.
"""

from __future__ import annotations

import time

import pytest

from tests.screens.conftest import ACCOUNTS, SCREENSHOTS, Watched

pytestmark = pytest.mark.browser

SIZES = ((360, 740), (390, 844), (1366, 768), (1920, 1080), (3840, 2160))
LANGS = ("zh", "en")
ACCOUNT = "root"  # the administrator may open every page (boards, drill-down, governance, audit)
# what shows that a page rendered its main content; a page not listed here: its title
CONTENT = {
    "/board/": "#board-kpis .kpi-card",
    "/drill": "#drill-records",
    "/governance": "#gov-sources",
    "/audit": "#audit-table",
}
SHOWN = "/board/services"  # the board whose screenshots are taken at every size
# queries that make a page show what it shows most of (a quarter of records, every board)
QUERY = {"/drill": "board=safety&period=quarter"}

# The document's overflow, and the outermost elements that stick out of the viewport unclipped (to say which).
OVERFLOW_JS = """() => {
  const w = window.innerWidth, out = [];
  const sticksOut = el => {
    const r = el.getBoundingClientRect();
    if (!(r.width > 0 && r.right > w + 1)) return false;
    for (let a = el.parentElement; a; a = a.parentElement) {
      if (getComputedStyle(a).overflowX !== 'visible' && a.getBoundingClientRect().right <= w + 1) return false;
    }
    return true;
  };
  for (const el of document.body.querySelectorAll('*')) {
    if (sticksOut(el) && !(el.parentElement && sticksOut(el.parentElement))) {
      const r = el.getBoundingClientRect();
      out.push(`${el.tagName.toLowerCase()}#${el.id}.${String(el.className).slice(0, 60)} right=${Math.round(r.right)}`);
    }
    if (out.length >= 6) break;
  }
  return {scroll: document.documentElement.scrollWidth, inner: w, out: out};
}"""
# Each figure's drawing against the box it sits in (Plotly follows its container, in both directions).
FIGURES_JS = """() => [...document.querySelectorAll('.js-plotly-plot')].map(g => {
  const box = (g.closest('.fig-box') || g.parentElement).getBoundingClientRect();
  const svg = g.querySelector('.main-svg'), drawn = svg ? svg.getBoundingClientRect() : {width: 0, height: 0};
  return [g.closest('[id]') ? g.closest('[id]').id : '', Math.round(box.width), Math.round(drawn.width),
          Math.round(box.height), Math.round(drawn.height)];
})"""


def registry_paths() -> list[str]:
    """The addresses of every page in ``dash.page_registry`` the account may open, the big screen
    aside: a page template such as ``/board/<board>`` once per board."""
    import dash

    from cockpit.auth.roles import PERMISSIONS
    from cockpit.reference import BOARDS
    from pages._access import PAGE_PERMISSION

    may = PERMISSIONS[ACCOUNTS[ACCOUNT][0]]
    paths: list[str] = []
    for page in sorted(dash.page_registry.values(), key=lambda p: p["path"]):
        if page["path"] == "/":
            continue
        needs = PAGE_PERMISSION.get(page["module"].rsplit(".", 1)[-1])
        if needs is not None and needs not in may:
            continue
        template = page.get("path_template")
        if template and "<board>" in template:
            paths += [template.replace("<board>", b) for b in BOARDS]
        elif template == "/orders/<order_id>":  # one work order's page: the dataset's first order
            paths.append("/orders/1")
        elif template == "/whistles/<whistle_id>":  # one whistle's page: the dataset's first
            paths.append("/whistles/1")
        elif template == "/departments/<code>":  # one department's score page
            paths.append("/departments/urban")
        elif template:
            pytest.fail(f"no address known for the page template {template}: add it to registry_paths")
        else:
            paths.append(page["path"])
    return paths


def content_selector(path: str) -> str:
    return next((sel for prefix, sel in CONTENT.items() if path.startswith(prefix)), ".page h4")


def url_of(base: str, path: str, lang: str) -> str:
    query = QUERY.get(path)
    return f"{base}{path}?{query + '&' if query else ''}lang={lang}"


def shot(lang: str, width: int, height: int) -> str:
    """Where the screenshot of the board ``SHOWN`` at a size goes."""
    return str(SCREENSHOTS / f"layout-{SHOWN[1:].replace('/', '-')}-{lang}-{width}x{height}.png")


def wait_until(check, timeout: float = 5.0):  # noqa: ANN001, ANN201
    """``check()`` until it returns something true, or its last value after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


def figures_misfit(page) -> list:  # noqa: ANN001
    """Figures whose drawing is more than a few pixels narrower, wider, lower or taller than their box."""
    return [f for f in page.evaluate(FIGURES_JS) if abs(f[1] - f[2]) > 4 or abs(f[3] - f[4]) > 4]


def check_fits(page, label: str) -> list[str]:  # noqa: ANN001
    """What is wrong with the page at its current size (nothing: an empty list)."""
    problems = []
    m = page.evaluate(OVERFLOW_JS)
    if m["scroll"] > m["inner"]:
        problems.append(f"{label}: document {m['scroll']} px wide in {m['inner']} px: {m['out']}")
    if not wait_until(lambda: not figures_misfit(page)):
        problems.append(f"{label}: figures not the size of their box "
                        f"[id, box width, drawn width, box height, drawn height]: {figures_misfit(page)}")
    width = page.evaluate("document.querySelector('.page').getBoundingClientRect().width")
    if width < 0.6 * m["inner"]:
        problems.append(f"{label}: the content is a strip of {width:.0f} px in {m['inner']} px")
    return problems


@pytest.fixture(scope="module")
def paths(cockpit) -> list[str]:  # noqa: ANN001
    """The pages to check, read from the registry of the app (imported in this process)."""
    found = registry_paths()
    assert {"/board/safety", "/drill", "/governance", "/audit", "/404"} <= set(found)
    return found


@pytest.mark.parametrize("lang", LANGS)
def test_every_page_fits_every_size(served, browser, paths, lang):  # noqa: ANN001
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    w = Watched(browser, *SIZES[0])
    problems: list[str] = []
    try:
        w.login(served, ACCOUNT)
        page = w.page
        for path in paths:
            page.set_viewport_size({"width": SIZES[0][0], "height": SIZES[0][1]})
            w.goto(url_of(served, path, lang))  # loaded on a phone: the most cramped first
            content = page.locator(content_selector(path)).first
            for width, height in SIZES:
                page.set_viewport_size({"width": width, "height": height})
                label = f"{path} {lang} {width}x{height}"
                if not content.is_visible():
                    problems.append(f"{label}: {content_selector(path)} not visible")
                problems += check_fits(page, label)
                if path == SHOWN and width < 2400:
                    page.screenshot(path=shot(lang, width, height), full_page=width < 1000)
            if path == SHOWN:  # a wall screen opens the page at its size (its type is larger): as it opens there
                w.goto(url_of(served, path, lang))
                problems += check_fits(page, f"{path} {lang} {width}x{height} opened")
                page.screenshot(path=shot(lang, width, height))
        assert w.errors == []
    finally:
        w.close()
    assert not problems, "\n".join(problems)


def test_a_grid_worker_reads_their_grid_on_a_phone(served, browser):  # noqa: ANN001
    """The grid worker's drill-down of their grid: at most two cards a row, the filters one or two
    a row, the people table scrolling inside its panel, nothing of the page sideways."""
    grid = ACCOUNTS["gridman"][1]["grid_codes"][0]
    w = Watched(browser, 390, 844)
    try:
        w.login(served, "gridman")
        for lang in LANGS:
            w.goto(f"{served}/drill?village={grid[:12]}&grid={grid}&lang={lang}")
            page = w.page
            for width, height in SIZES[:2]:
                page.set_viewport_size({"width": width, "height": height})
                assert check_fits(page, f"grid {lang} {width}") == []
                lefts = page.locator(".kpi-row .kpi-card").evaluate_all(
                    "cards => cards.map(c => Math.round(c.getBoundingClientRect().left))")
                assert lefts and len(set(lefts)) <= 2  # one or two cards a row
                filters = page.locator(".filters .filter").evaluate_all(
                    "fs => fs.map(f => Math.round(f.getBoundingClientRect().top))")
                assert max(filters.count(top) for top in set(filters)) <= 2  # stacked, not squeezed side by side
                table = page.locator("#care-table .dash-spreadsheet-container").first
                assert table.is_visible()
                box = page.locator("#care-table").evaluate("t => t.closest('.panel-body').getBoundingClientRect().right")
                assert box <= width
            page.screenshot(path=str(SCREENSHOTS / f"layout-grid-worker-{lang}-390.png"), full_page=True)
        assert w.errors == []
    finally:
        w.close()
