"""The big screen fits the screens a township uses, in Chinese and in English: no scrolling, no text
cut inside the panels, header buttons on one line, English units on the English screen.

One signed-in page for every size and language (``set_viewport_size``); screenshots land in
test-artifacts/screenshots/.
"""

from __future__ import annotations

import json
import re

import pytest

from tests.screens.conftest import SCREENSHOTS, Watched

SIZES = ((1366, 768), (1920, 1080), (3840, 2160))

# what must show its whole text: the header, the panels' titles, the KPI cards, the lists' columns
CHECKED = (".big-header, .big-header *, .big-panel-title, .big-panel-title *, .kpi-card, .kpi-card *, "
           ".big-list li a, .ev-time, .ev-cat, .ev-status, .ev-grid, .big-empty")
# allowed to end in an ellipsis: the free-text headline of an event, and nothing else
MAY_ELLIPSIS = (".ev-title",)

# the elements (with text of their own) whose content is wider than their box
_CUT = """([checked, exempt]) => {
  const out = [];
  for (const el of document.querySelectorAll(checked)) {
    if (el.closest(exempt) || !el.textContent.trim()) continue;
    const style = getComputedStyle(el);
    if (style.display === 'inline' || style.display === 'none') continue;  // an inline box has no width of its own
    if (el.scrollWidth > el.clientWidth + 1)
      out.push(`${el.className}: "${el.textContent.trim().slice(0, 40)}" ${el.scrollWidth} > ${el.clientWidth}`);
  }
  for (const el of document.querySelectorAll('.kpi-card, .big-panel-title'))  // nor cut at the bottom
    if (el.scrollHeight > el.clientHeight + 1)
      out.push(`${el.className}: "${el.textContent.trim().slice(0, 40)}" height ${el.scrollHeight} > ${el.clientHeight}`);
  return out;
}"""

# header buttons and texts that take more than one line
_WRAPPED = """() => [...document.querySelectorAll('.big-nav-link, .big-title, .big-town, .big-period, .big-as-of')].filter(el => {
  const range = document.createRange();
  range.selectNodeContents(el);
  const tops = new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top)));
  return tops.size > 1;
}).map(el => el.textContent.trim())"""

_OVER_EDGE = """() => [...document.querySelectorAll('.big-header *')].filter(el => {
  const r = el.getBoundingClientRect();
  return r.width > 0 && (r.left < -1 || r.right > window.innerWidth + 1);
}).map(el => el.className + ': ' + el.textContent.trim().slice(0, 30))"""

CHINESE_UNITS = re.compile(r"件|万元|个|人次|人|分|小时|元")


@pytest.fixture(scope="module")
def big(served, browser):
    """The leader's big screen (with its header buttons), one page for the whole module."""
    w = Watched(browser, *SIZES[0])
    w.login(served, "lead")
    yield w
    w.close()


def _open(big, served, lang: str, width: int, height: int) -> None:
    big.page.set_viewport_size({"width": width, "height": height})
    big.goto(f"{served}/?lang={lang}")
    big.page.wait_for_selector("#big-map .scatterlayer .trace")
    big.page.wait_for_timeout(300)  # plotly's resize after the zoom factor is set


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_big_screen_fits_every_screen_without_cut_text(big, served, lang):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    problems: dict[str, list] = {}
    for width, height in SIZES:
        _open(big, served, lang, width, height)
        page = big.page
        page.screenshot(path=str(SCREENSHOTS / f"bigscreen-{lang}-{width}x{height}.png"))
        size = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.scrollHeight,"
                             " window.innerWidth, window.innerHeight]")
        found = {
            "scrolls": [] if size[0] <= size[2] and size[1] <= size[3] else [size],
            "cut": page.evaluate(_CUT, [CHECKED, ", ".join(MAY_ELLIPSIS)]),
            "wrapped": page.evaluate(_WRAPPED),
            "outside the screen": page.evaluate(_OVER_EDGE),
        }
        for what, items in found.items():
            if items:
                problems[f"{width}x{height} {what}"] = items
        assert page.locator(".big-nav-link").count() == 6  # the checks saw the header buttons
        assert page.locator(".kpi-card .kpi-label").count() >= 8 and page.locator(".ev-cat").count() >= 1
    assert problems == {}, json.dumps(problems, ensure_ascii=False, indent=1)
    assert big.errors == []


def test_english_big_screen_shows_english_units(big, served):
    _open(big, served, "en", 1920, 1080)
    page = big.page
    # every text on the screen but the free-text headlines, plus the figures' labels and hover texts
    shown = page.evaluate("""() => {
      const parts = [];
      for (const el of document.querySelectorAll('.bigscreen *')) {
        if (el.closest('.ev-title')) continue;
        for (const n of el.childNodes) if (n.nodeType === 3) parts.push(n.textContent);
        if (el.title) parts.push(el.title);
      }
      for (const g of document.querySelectorAll('.js-plotly-plot'))
        for (const tr of g.data) parts.push(JSON.stringify([tr.text, tr.hovertext, tr.name]));
      return parts.join(' ');
    }""")
    assert CHINESE_UNITS.findall(shown) == []
    en_units = {u.strip() for u in page.locator(".kpi-unit").all_inner_texts()}
    assert {"%", "×10k yuan"} <= en_units  # the units are there, in English
    assert re.search(r"\d\.\d · [A-E]\b", shown)  # the ranking's bars: the department score and its grade
    _open(big, served, "zh", 1920, 1080)
    zh_units = {u.strip() for u in big.page.locator(".kpi-unit").all_inner_texts()}
    assert {"%", "万元"} <= zh_units  # and in Chinese the Chinese ones
