"""Every page of the real cockpit in production mode, in a real browser, with the Content-Security-Policy
enforced: no console error, no CSP violation, for the leader, the administrator and the kiosk big screen."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys

import pytest

from cockpit.reference import BOARDS
from tests.screens.conftest import ROOT, Watched, screens_warehouse, serve_app

KIOSK_TOKEN = secrets.token_urlsafe(32)
PRODUCTION = {"COCKPIT_ENV": "production", "COCKPIT_SECRET_KEY": secrets.token_urlsafe(40),
              "COCKPIT_ID_SALT": secrets.token_urlsafe(40), "COCKPIT_AUTH_KIOSK_TOKEN": KIOSK_TOKEN}
# Violations are reported to the page as events; the console shows them too, but only the event
# says which directive refused what.
LISTEN_CSP = """window.__csp = [];
document.addEventListener('securitypolicyviolation',
  e => window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline') + ' ' + (e.sample || '')));"""


def registered_pages(url: str) -> dict[str, str]:
    """module -> a URL of each page in ``dash.page_registry`` of the real app (templates filled in)."""
    code = ("import json, dash, app; print(json.dumps({p['module']: [p['path'], p.get('path_template')] "
            "for p in dash.page_registry.values()}))")
    env = {**os.environ, **PRODUCTION, "COCKPIT_WAREHOUSE_URL": url, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    pages = {}
    for module, (path, template) in json.loads(out.stdout.strip().splitlines()[-1]).items():
        if template == "/board/<board>":
            pages.update({f"{module}:{b}": f"/board/{b}" for b in BOARDS})
        elif template == "/orders/<order_id>":
            pages[module] = "/orders/1"  # an order of the screens dataset
        elif template == "/whistles/<whistle_id>":
            pages[module] = "/whistles/1"  # a whistle of the screens dataset
        elif template == "/departments/<code>":
            pages[module] = "/departments/urban"  # a department the dataset's whistles summon
        elif module.endswith("not_found_404"):
            pages[module] = "/no-such-page"  # what a visitor of a wrong link sees
        else:
            assert template is None, f"{module}: fill in its path template {template}"
            pages[module] = path
    return pages


@pytest.fixture(scope="module")
def production_site(tmp_path_factory):
    url = screens_warehouse(tmp_path_factory.mktemp("production"))
    pages = registered_pages(url)
    with serve_app(url, **PRODUCTION) as base:
        yield base, pages


def _watch(browser) -> Watched:  # noqa: ANN001
    w = Watched(browser)
    w.context.add_init_script(LISTEN_CSP)
    return w


def _load(w: Watched, url: str) -> list[str]:
    w.goto(url)
    return w.page.evaluate("window.__csp")


@pytest.mark.parametrize("username", ["lead", "root"])
def test_every_page_passes_the_csp_in_production(production_site, browser, username):
    base, pages = production_site
    assert {"pages.bigscreen", "pages.drill", "pages.audit"} <= set(pages)
    w = _watch(browser)
    try:
        w.login(base, username)
        session = next(c for c in w.context.cookies() if c["name"] == "cockpit_session")
        assert session["secure"] and session["httpOnly"]
        figures = 0
        for name, path in pages.items():
            violations = _load(w, base + path)
            assert violations == [], (name, violations)
            assert w.errors == [], (name, w.errors)
            assert w.outside == [], (name, w.outside)
            figures += w.page.locator(".js-plotly-plot .main-svg").count()
        assert figures >= len(pages)  # Plotly drew (and styled) its figures under the policy
    finally:
        w.close()


def test_kiosk_big_screen_passes_the_csp_in_production(production_site, browser):
    base, _ = production_site
    w = _watch(browser)
    try:
        violations = _load(w, base + f"/?kiosk=1&kiosk_token={KIOSK_TOKEN}")
        assert violations == [] and w.errors == [] and w.outside == []
        assert w.page.locator("#big-map .js-plotly-plot").count() == 1
        assert "kiosk_token" not in w.page.url
    finally:
        w.close()
