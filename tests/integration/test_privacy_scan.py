"""A demo session scanned for raw personal numbers: the demo sources are loaded by the real ETL,
the app is served, and a real browser signed in as a leader (who sees names) and as the
administrator walks every page, drills to a grid, opens a person's card, opens a warning of every rule
with its evidence, the work order made of each (on the desk, and as the department's liaison) and triggers the big-screen refresh. Every HTML page and every callback response is searched for the ID and
phone numbers the department sources hold; none may appear (their masked forms may).
"""

from __future__ import annotations

import re
import sqlite3
from datetime import datetime
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError
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



def _collector(bodies: list[tuple[str, str]]):  # noqa: ANN202 - a Playwright response handler
    """A handler keeping (url, text) of every JSON and HTML response of the served app in ``bodies``."""
    def keep(response) -> None:  # noqa: ANN001
        kind = response.headers.get("content-type", "")
        if response.url.startswith("http://127.0.0.1") and ("json" in kind or "html" in kind):
            try:
                bodies.append((response.url, response.text()))
            except PlaywrightError:  # a redirect has no body
                pass
    return keep

def test_no_raw_id_or_phone_number_reaches_the_browser(demo_township, tmp_path, browser):

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
    # warnings of every rule at the demo's now, whose pages show their evidence (people, payments, complaints)
    from cockpit.warnings.engine import run_rules

    run_rules(engine_for(url), config, now=datetime.fromisoformat(demo_township.manifest["now"]))
    with engine_for(url).connect() as conn:
        warning_ids = conn.execute(text("SELECT MIN(id) FROM warning GROUP BY rule")).scalars().all()
    assert len(warning_ids) >= 8
    # and each dispatched as a work order to its department, whose pages show the same evidence
    from cockpit.auth.users import get_user
    from cockpit.orders.dispatch import dispatch_warning

    with engine_for(url).begin() as conn:
        lead = get_user(conn, "lead")
        orders = [dispatch_warning(conn, i, lead, assignee_user=None, department_code="urban")["id"]
                  for i in warning_ids]

    bodies: list[tuple[str, str]] = []
    keep = _collector(bodies)

    with serve_app(url, COCKPIT_APP_REFRESH_SECONDS="2") as base:
        for user, paths in (
            ("lead", ["/", "/board/party", "/board/economy", "/board/safety", "/board/services", "/drill",
                      f"/drill?village={grid[:12]}", f"/drill?village={grid[:12]}&grid={grid}", "/governance",
                      "/warnings?status=all", *(f"/warnings?id={i}" for i in warning_ids),
                      "/orders", "/orders?view=list&status=all", "/orders?view=stats", *(f"/orders/{o}" for o in orders)]),
            ("liaison", ["/my/orders", *(f"/my/orders?id={o}" for o in orders)]),
            ("root", ["/audit", "/governance", "/orders?view=list&status=all"]),
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
    leaks = {(u, m) for u, b in bodies for m in NUMBER.findall(_unescaped(b)) if m.upper() in raw}
    assert not leaks, sorted(leaks)[:5]
    with engine_for(url).connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM audit_log WHERE action = 'person.view' AND actor = 'lead'")).scalar() == 1


# ---------------------------------------------------------------- a complaint that says its caller's numbers
T_PHONE, T_ID, T_LANDLINE = "19912345670", "110101199003074518", "0579-86661234"  # shapes the demo never draws
T_NEEDLES = (T_PHONE, T_ID, T_LANDLINE, "057986661234")
T_TITLE = f"手机{T_PHONE}来电反映夜间噪声"
T_CONTENT = f"我的手机号是{T_PHONE}，身份证号{T_ID}，座机{T_LANDLINE}，请回电。"
T_MASKED_TITLE = "手机199****5670来电反映夜间噪声"
T_MASKED_CONTENT = "我的手机号是199****5670，身份证号110***********4518，座机0579****1234，请回电。"


def _add_complaint(sources_dir: Path) -> None:
    """A 12345 complaint (a copy of the latest one) whose title and text hold the caller's numbers."""
    con = sqlite3.connect(sources_dir / "hotline.db")
    try:
        con.row_factory = sqlite3.Row
        row = dict(con.execute("SELECT * FROM work_order WHERE order_no IS NOT NULL ORDER BY created_at DESC").fetchone())
        row.update(id=con.execute("SELECT MAX(id) + 1 FROM work_order").fetchone()[0], order_no="RX99PRIVACY0001",
                   caller_phone=T_PHONE, title=T_TITLE, content=T_CONTENT)  # (another caller: no duplicate)
        con.execute(f"INSERT INTO work_order ({', '.join(row)}) VALUES ({', '.join('?' for _ in row)})", list(row.values()))
        con.commit()
    finally:
        con.close()


def _unescaped(body: str) -> str:
    """``body`` with JSON's \\uXXXX escapes as spaces, so a number right after one is seen whole."""
    return re.sub(r"\\u[0-9a-fA-F]{4}", " ", body)


def test_a_complaint_holding_personal_numbers_is_stored_masked_and_never_shown(demo_township, tmp_path, browser, caplog):
    import logging
    import tempfile

    from sqlalchemy import String, func, select

    from cockpit.etl import run_sources
    from cockpit.warehouse import schema as s
    from cockpit.warehouse.db import engine_for
    from cockpit.warehouse.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'warehouse.db'}"
    upgrade(url)
    config = demo_township.config(tmp_path, url, copy=True)
    sources_dir = tmp_path / "sources"
    _add_complaint(sources_dir)
    with caplog.at_level(logging.DEBUG):
        results = run_sources(config, engine_for(url))
    assert all(r.status == "success" for r in results), [(r.source, r.error) for r in results]
    add_accounts(url)
    raw = raw_personal_numbers(sources_dir) | set(T_NEEDLES)
    engine = engine_for(url)

    def warehouse_leaks() -> list[str]:
        """Every text column of every warehouse table, searched for the raw numbers of the sources."""
        found = []
        with engine.connect() as conn:
            for table in s.metadata.sorted_tables:
                for col in (c for c in table.c if isinstance(c.type, String)):
                    for v in conn.execute(select(col).where(col.is_not(None))).scalars():
                        if any(n in v for n in T_NEEDLES) or any(m.upper() in raw for m in NUMBER.findall(v)):
                            found.append(f"{table.name}.{col.name}: {v[:80]}")
        return found

    with engine.connect() as conn:
        stored = conn.execute(select(s.event.c.title, s.event.c.content).where(s.event.c.src_key == "RX99PRIVACY0001")).one()
        said = conn.execute(select(func.count()).where(s.event.c.content.like("%****%"))).scalar()
    assert tuple(stored) == (T_MASKED_TITLE, T_MASKED_CONTENT)
    assert said > 10  # the demo's own complaints say numbers too, stored masked
    assert warehouse_leaks() == []
    assert not [n for n in T_NEEDLES if n in caplog.text]

    bodies: list[tuple[str, str]] = []
    keep = _collector(bodies)

    started = tempfile.gettempdir()
    with serve_app(url) as base:
        w = Watched(browser)
        w.page.on("response", keep)
        try:
            w.page.goto(base + "/login")  # a sign-in attempt with a phone number as the name is audited
            w.page.fill("#username", T_PHONE)
            w.page.fill("#password", "not-the-password")
            w.page.click("#login-submit")
            w.page.wait_for_load_state("networkidle")
            w.login(base, "lead")
            w.goto(base + "/drill")
            with w.page.expect_download() as download:
                w.page.click("#drill-export")
            csv_text = Path(download.value.path()).read_text(encoding="utf-8-sig")
            w.close()
            w = Watched(browser)
            w.page.on("response", keep)
            w.login(base, "root")
            w.goto(base + f"/audit?actor=身份证号{T_ID}")  # a number right after Chinese text, echoed by the page
            w.goto(base + f"/audit?actor={T_PHONE}")
            assert w.page.locator("#audit-actor").input_value() == "199****5670"
        finally:
            w.close()
        port = base.rsplit(":", 1)[1]
        served_logs = [p.read_text(errors="replace") for p in Path(started).glob("cockpit-served-*.log")]
        served_log = next(t for t in served_logs if f"127.0.0.1:{port}" in t)  # (its start-up line)

    assert T_MASKED_TITLE in csv_text and not [n for n in T_NEEDLES if n in csv_text]
    assert not [m for m in NUMBER.findall(csv_text) if m.upper() in raw]
    assert any("_dash-update-component" in u for u, _ in bodies)
    assert any("110***********4518" in b for _, b in bodies)  # the echoed filter came back, masked
    leaks = {(u, n) for u, b in bodies for n in T_NEEDLES if n in b}
    leaks |= {(u, m) for u, b in bodies for m in NUMBER.findall(_unescaped(b)) if m.upper() in raw}
    assert not leaks, sorted(leaks)[:5]
    with engine.connect() as conn:
        audit_rows = conn.execute(select(s.audit_log)).all()
    assert any(r.action == "login.failure" and r.actor == "199****5670" for r in audit_rows)
    assert any(r.action == "export" for r in audit_rows)
    assert not [r for r in audit_rows if any(n in " ".join(map(str, r)) for n in T_NEEDLES)]
    assert "/audit?actor=" in served_log and not [n for n in T_NEEDLES if n in served_log]
    assert warehouse_leaks() == [], warehouse_leaks()  # the audit log and the rest, after the session
