"""The navigation bar and each role's landing page.

The bar is built from the page registry, grouped, and offers only the pages the role may open; it
stays inside the viewport from 360 px to 3840 px in Chinese and English (folded behind a toggler
below Bootstrap's lg breakpoint, one 56 px line above it). After signing in without a deep link,
each role lands on its own page. Screenshots land in test-artifacts/screenshots/.
"""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

import pytest

from cockpit.auth.roles import landing_path
from cockpit.auth.users import User
from pages._nav import NavGroup, nav_groups
from tests.screens.conftest import ACCOUNTS, PASSWORD, SCREENSHOTS, Watched

SIZES = ((360, 740), (390, 844), (1366, 768), (1920, 1080), (3840, 2160))
LG = 992  # Bootstrap's lg breakpoint: below it the links fold behind the toggler
BOARDS = ("/board/party", "/board/economy", "/board/safety", "/board/services")
GRID = ACCOUNTS["gridman"][1]["grid_codes"][0]

# Every visible element of the bar: its rectangle, and whether its text is cut (scroll width beyond its width).
BOXES = """root => [...root.querySelectorAll('*')].filter(e => e.getClientRects().length > 0).map(e => {
  const r = e.getBoundingClientRect();
  return {id: e.id || e.className || e.tagName, left: r.left, right: r.right, cut: e.scrollWidth > e.clientWidth + 1
          && getComputedStyle(e).overflow === 'hidden'};
})"""


def _hrefs(groups: list[NavGroup]) -> dict[str, list[str]]:
    return {g.key: [item.href for item in g.items] for g in groups}


# ---------------------------------------------------------------- the registry → groups (no browser)
def test_groups_follow_the_registry_and_future_pages_slot_in():
    pages = [
        {"module": "pages.audit", "nav": "nav.audit", "nav_group": "admin", "order": 4, "relative_path": "/audit"},
        {"module": "pages.board", "nav": "nav.boards", "nav_group": "boards", "order": 1,
         "path_template": "/board/<board>", "relative_path": "/board/safety"},
        {"module": "pages.orders", "nav": "nav.orders", "nav_group": "work", "order": 6, "relative_path": "/orders"},
        {"module": "pages.bigscreen", "nav": "nav.bigscreen", "nav_group": "boards", "order": 0, "relative_path": "/"},
        {"module": "pages.warnings", "nav": "nav.warnings", "nav_group": "work", "order": 5,
         "relative_path": "/warnings"},
        {"module": "pages.atlas", "nav": "nav.atlas", "nav_group": "maps", "order": 9, "relative_path": "/atlas"},
        {"module": "pages.not_found_404", "relative_path": "/404"},  # no nav: not offered
    ]
    groups = nav_groups(pages, lambda page: page != "audit", lambda board: board in ("safety", "party"))
    assert _hrefs(groups) == {"boards": ["/", "/board/party", "/board/safety"], "work": ["/warnings", "/orders"],
                              "maps": ["/atlas"]}  # NAV_GROUPS order; an unknown group comes last
    assert [g.key for g in groups] == ["boards", "work", "maps"]
    assert groups[0].items[1].item_id == "nav-board-party" and groups[0].items[1].label == "board.party"


def test_the_app_registers_its_pages_in_groups(cockpit):
    import dash

    groups = nav_groups(dash.page_registry.values(), lambda page: True, lambda board: True)
    assert _hrefs(groups) == {"boards": ["/", *BOARDS], "work": ["/warnings", "/orders", "/whistles", "/my/orders", "/my/summons"],
                              "drill": ["/drill"], "ranking": ["/ranking"], "reports": ["/reports"],
                              "admin": ["/governance", "/audit", "/review"]}


# ---------------------------------------------------------------- landing pages
def _user(role: str, **fields) -> User:
    return User(id=1, username="u", display_name="u", role=role, **fields)


def test_landing_path_of_each_role():
    assert landing_path(_user("leader")) == "/"
    assert landing_path(_user("operator")) == "/warnings"
    assert landing_path(_user("board_head", board="economy")) == "/board/economy"
    assert landing_path(_user("grid_worker", grid_codes=("33099900100203", "33099900100101"))) == "/my/orders"
    assert landing_path(_user("department_liaison", department_code="police")) == "/my/orders"
    assert landing_path(_user("admin")) == "/governance"
    assert landing_path(_user("board_head")) == "/"  # a board head without a board: nothing better than the big screen
    assert landing_path(None) == "/"


LANDINGS = {"lead": "/", "duty": "/warnings", "safetyhead": "/board/safety",
            "gridman": "/my/orders", "liaison": "/my/orders", "root": "/governance"}


def _sign_in(context, base: str, username: str, next_url: str | None) -> str:
    """POST the login form (with its CSRF token) and return where the answer redirects to."""
    context.clear_cookies()  # signed out: a fresh login form
    request = context.request
    form = request.get(base + "/login").text()
    token = form.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    data = {"csrf_token": token, "username": username, "password": PASSWORD}
    if next_url is not None:
        data["next"] = next_url
    r = request.post(base + "/login", form=data, max_redirects=0)
    assert r.status == 302, (username, r.status)
    return r.headers["location"]


def test_each_role_lands_on_its_page_and_a_deep_link_wins(served, browser):
    context = browser.new_context()
    try:
        for username, landing in LANDINGS.items():
            assert _sign_in(context, served, username, "/") == landing, username
            assert _sign_in(context, served, username, None) == landing, username
            assert _sign_in(context, served, username, "/board/safety?period=week") == "/board/safety?period=week"
            # signed in, the login page without a deep link leads to the landing page too
            assert context.request.get(served + "/login", max_redirects=0).headers["location"] == landing
        page = context.new_page()  # the grid worker (signed in last) may still open the big screen: not trapped
        page.goto(served + "/")
        page.locator("#big-board-party").wait_for()
        assert urlsplit(page.url).path == "/"
    finally:
        context.close()


# ---------------------------------------------------------------- the bar in the browser
def _inside(page, width: int) -> None:
    boxes = page.locator("#navbar").evaluate(BOXES)
    assert boxes
    outside = [b for b in boxes if b["left"] < -0.5 or b["right"] > width + 0.5]
    assert outside == [], (width, outside)
    assert [b for b in boxes if b["cut"]] == [], (width, "text cut")


def _open(page, dropdown: str) -> None:
    """Open a dropdown of the bar (left open if it already is)."""
    if page.locator(f"{dropdown} .dropdown-menu.show").count() == 0:
        page.locator(f"{dropdown} .dropdown-toggle").click()
    page.locator(f"{dropdown} .dropdown-menu.show").wait_for()


def _offered(page) -> set[str]:
    """Every page the bar links to (dropdowns are opened: their items are rendered on first opening)."""
    for dropdown in page.locator("#nav-links .dropdown").all():
        dropdown.locator(".dropdown-toggle").click()
        dropdown.locator(".dropdown-menu.show").wait_for()
    return {a.get_attribute("href") for a in page.locator("#nav-links a[href]").all()} - {"#"}


def _sign_in_to(w: Watched, base: str, username: str, target: str) -> None:
    """Sign in through the form straight to ``target`` (no landing page loading in between)."""
    w.page.goto(base + "/login?" + urlencode({"next": target}))
    w.page.fill("#username", username)
    w.page.fill("#password", PASSWORD)
    w.page.click("#login-submit")
    w.page.wait_for_url(base + target)
    w.settle()


# desktop sizes first: the folded menu, opened at 360 px, is then clicked through at 390 px
ORDERED_SIZES = sorted(SIZES, key=lambda size: (size[0] < LG, size[0]))


OFFERED = {
    "lead": {"/", *BOARDS, "/warnings", "/orders", "/whistles", "/drill", "/ranking", "/reports", "/governance"},
    "safetyhead": {"/", "/board/safety", "/warnings", "/orders", "/whistles", "/drill", "/ranking", "/reports"},
    "root": {"/", *BOARDS, "/warnings", "/orders", "/whistles", "/drill", "/ranking", "/reports", "/governance", "/audit",
             "/review"},
}
ROLE_LABEL = {"zh": {"lead": "镇领导"}, "en": {"safetyhead": "Board head", "root": "Administrator"}}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_navbar_fits_every_size_and_marks_the_current_page(served, browser, lang):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    w = Watched(browser, *ORDERED_SIZES[0])
    page = w.page
    try:
        board = "safety" if lang == "en" else "services"
        username = "safetyhead" if lang == "en" else "lead"
        _sign_in_to(w, served, username, f"/board/{board}?lang={lang}")
        assert _offered(page) == OFFERED[username]  # only the pages the role may open
        _open(page, "#nav-user")
        assert page.locator("#nav-user .nav-user-role").inner_text() == ROLE_LABEL[lang][username]
        for width, height in ORDERED_SIZES:
            page.set_viewport_size({"width": width, "height": height})
            bar = page.locator("#navbar").bounding_box()
            assert bar["width"] == width
            assert page.locator("#navbar").evaluate("e => e.scrollWidth <= e.clientWidth")
            toggler = page.locator("#nav-toggler")
            if width < LG:
                assert toggler.is_visible()
                if page.locator("#nav-collapse.show").count() == 0:
                    assert not page.locator("#nav-links").is_visible()
                    assert bar["height"] <= 60  # brand and toggler on one line
                    toggler.click()
                    page.locator("#nav-collapse.show").wait_for()
                    page.wait_for_timeout(400)  # the collapse animation
            else:
                assert not toggler.is_visible()
                rem = page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")
                assert 3.2 * rem <= bar["height"] <= 3.75 * rem, (width, rem, bar)  # one line: 56 px at 16 px a rem
            _inside(page, width)
            _open(page, "#nav-user")
            _inside(page, width)
            assert page.locator("#nav-password").is_visible() and page.locator("#nav-logout").is_visible()
            _open(page, "#nav-group-boards")
            _inside(page, width)
            current = page.locator(f"#nav-board-{board}")
            assert current.get_attribute("aria-current") == "page" and "active" in current.get_attribute("class")
            assert page.locator("#navbar [aria-current]").count() == 1
            assert "active" in page.locator("#nav-group-boards .dropdown-toggle").get_attribute("class")
            assert "active" not in (page.locator("#nav-drill").get_attribute("class") or "")
            page.screenshot(path=str(SCREENSHOTS / f"navigation-{lang}-{width}x{height}.png"),
                            clip={"x": 0, "y": 0, "width": width, "height": min(height, 720)})
        page.locator("#nav-drill").click()  # a link of the open menu navigates inside the app, moves the mark
        page.wait_for_url(lambda u: urlsplit(u).path == "/drill")
        page.locator("#nav-drill[aria-current='page']").wait_for(state="attached")
        assert page.locator("#nav-collapse.show").count() == 0  # and the menu is folded again on the new page
        assert not page.locator("#nav-links").is_visible()
        assert w.errors == []
    finally:
        w.close()


def test_the_admin_menu_holds_governance_audit_and_the_review_list(served, browser):
    w = Watched(browser, 1366, 768)
    try:
        _sign_in_to(w, served, "root", "/404?lang=en")  # a light page: the bar is the same on all pages but "/"
        assert _offered(w.page) == OFFERED["root"]
        assert w.page.locator("#nav-group-admin .dropdown-item").count() == 3  # governance, audit, review: a dropdown
        assert w.page.locator("#nav-user .nav-user-name").inner_text() == "root"
        _open(w.page, "#nav-user")
        assert w.page.locator("#nav-user .nav-user-role").inner_text() == ROLE_LABEL["en"]["root"]
        assert w.errors == []
    finally:
        w.close()
