"""A demo session scanned for raw personal numbers: the demo sources are loaded by the real ETL,
the app is served, and a real browser signed in as a leader (who sees names) and as the
administrator walks every page, drills to a grid, opens a person's card and triggers the
big-screen refresh. Every HTML page and every callback response is searched for the ID and
phone numbers the department sources hold; none may appear (their masked forms may).
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.screens.conftest import Watched, add_accounts, serve_app

pytestmark = [pytest.mark.slow, pytest.mark.browser]

NUMBER = re.compile(r"(?<![0-9A-Za-z])(?:\d{17}[\dXx]|1[3-9]\d{9})(?![0-9A-Za-z])")


def raw_personal_numbers(sources_dir: Path) -> set[str]:
    """Every ID-number- or mobile-shaped value anywhere in the demo department databases and ledger."""
    found: set[str] = set()
    for db in sources_dir.glob("*.db"):
        con = sqlite3.connect(db)
        try:
            for (table,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
                for row in con.execute(f'SELECT * FROM "{table}"'):
                    for v in row:
                        if isinstance(v, str):
                            found.update(m.upper() for m in NUMBER.findall(v))
        finally:
            con.close()
    for csv in sources_dir.glob("*.csv"):
        found.update(m.upper() for m in NUMBER.findall(csv.read_bytes().decode("gbk", errors="replace")))
    return found


def test_no_raw_id_or_phone_number_reaches_the_browser(demo_township, tmp_path, browser):
    from playwright.sync_api import Error as PlaywrightError

    from cockpit.etl import run_sources
    from cockpit.warehouse.db import engine_for
    from cockpit.warehouse.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'warehouse.db'}"
    upgrade(url)
    config = demo_township.config(tmp_path, url)
    run_sources(config, engine_for(url))
    add_accounts(url)
    raw = raw_personal_numbers(demo_township.sources_dir)
    assert len(raw) > 100  # the sources really hold personal numbers
    with engine_for(url).connect() as conn:
        grid = conn.execute(text("SELECT t.grid_code FROM person_tag t JOIN person p ON p.person_key = t.person_key "
                                 "WHERE t.grid_code IS NOT NULL GROUP BY t.grid_code ORDER BY COUNT(*) DESC")).scalar()
    assert grid

    bodies: list[tuple[str, str]] = []

    def keep(response) -> None:  # noqa: ANN001
        kind = response.headers.get("content-type", "")
        if response.url.startswith("http://127.0.0.1") and ("json" in kind or "html" in kind):
            try:
                bodies.append((response.url, response.text()))
            except PlaywrightError:  # a redirect has no body
                pass

    with serve_app(url, COCKPIT_APP_REFRESH_SECONDS="2") as base:
        for user, paths in (
            ("lead", ["/", "/board/party", "/board/economy", "/board/safety", "/board/services", "/drill",
                      f"/drill?village={grid[:12]}", f"/drill?village={grid[:12]}&grid={grid}", "/governance"]),
            ("root", ["/audit", "/governance"]),
        ):
            w = Watched(browser)
            w.page.on("response", keep)
            try:
                w.login(base, user)
                for path in paths:
                    w.goto(base + path)
                    if path == "/":
                        w.page.wait_for_timeout(2500)  # at least one refresh callback
                    if "grid=" in path and user == "lead":
                        w.page.locator("#care-table td").first.click()
                        w.page.wait_for_selector("#care-card-body")
                assert w.errors == [], w.errors
            finally:
                w.close()

    assert any("_dash-update-component" in u for u, _ in bodies)
    assert any("care-card" in b for _, b in bodies)  # the person card was served
    leaks = {(u, m) for u, b in bodies for m in NUMBER.findall(b) if m.upper() in raw}
    assert not leaks, sorted(leaks)[:5]
    with engine_for(url).connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM audit_log WHERE action = 'person.view' AND actor = 'lead'")).scalar() == 1
