"""The digital brain end to end in a real browser: complaints loaded through the ETL from a department
source, the rules run after the load, the big screen's live list, the warning's page with its
evidence, and its acknowledgement on record (history and audit log).

Also the look of the warning screens: screenshots of the warning center, a warning's page (1920 and
390 px wide) and the big screen into test-artifacts/screenshots/, with checks that nothing spills
out sideways.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert, text

from cockpit import clock
from cockpit.i18n import t
from cockpit.privacy import id_check_char
from tests.screens.conftest import SCREENSHOTS, Watched, add_accounts, serve_app
from tests.screens.dataset import area_rows

GRID = "33099900100101"
CATEGORY = "SAF-STALL"  # 占道经营
SOURCE = "hotline_test"


def id_number(n: int) -> str:
    first = f"33099919800101{n:03d}"
    return first + id_check_char(first)


def _source(db: Path) -> None:
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE complaint (no TEXT PRIMARY KEY, channel TEXT, category TEXT, grid TEXT, "
                     "reporter TEXT, title TEXT, status TEXT, reported TEXT, updated TEXT)")
    conn.close()


def _complain(db: Path, n: int, channel: str, hours_ago: float) -> None:
    at = clock.now() - timedelta(hours=hours_ago)
    with sqlite3.connect(db) as conn:
        conn.execute("INSERT INTO complaint VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                     (f"C{n}", channel, CATEGORY, GRID, id_number(n), f"市场路口占道经营投诉{n}", "reported",
                      at.isoformat(timespec="seconds"), (at + timedelta(minutes=1)).isoformat(timespec="seconds")))
    conn.close()


def _config(folder: Path, url: str, source_db: Path) -> Path:
    body = f"""[warehouse]
url = {json.dumps(url)}
[demo]
sources_dir = {json.dumps(str(folder / "sources"))}
[scheduler]
lock_file = {json.dumps(str(folder / "scheduler.lock"))}
[sources.{SOURCE}]
department = "hotline"
kind = "sql"
url = {json.dumps(f"sqlite:///{source_db}")}
table = "complaint"
target = "event"
primary_key = ["no"]
replication_key = "updated"
interval_minutes = 5
[sources.{SOURCE}.columns]
channel = "channel"
category_code = "category"
grid_code = "grid"
reporter_id = "reporter"
title = "title"
status = "status"
reported_at = "reported"
[sources.{SOURCE}.formats]
reported_at = "iso"
"""
    path = folder / "cockpit.toml"
    path.write_text(body, encoding="utf-8")
    return path


def _load(config_path: Path) -> None:
    from cockpit.config import load_config
    from cockpit.etl import run_sources
    from cockpit.warehouse.db import engine_for

    config = load_config(config_path)
    results = run_sources(config, engine_for(config.warehouse_url))
    assert all(r.status == "success" for r in results), [(r.source, r.error) for r in results]


def _rows(url: str, query: str, **params):  # noqa: ANN202
    from cockpit.warehouse.db import engine_for

    with engine_for(url).connect() as conn:
        return conn.execute(text(query), params).all()


def test_a_prominent_issue_from_three_complaints_to_its_acknowledgement(browser, tmp_path, monkeypatch):
    from cockpit.warehouse import schema as s
    from cockpit.warehouse.db import engine_for
    from cockpit.warehouse.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'warehouse.db'}"
    monkeypatch.setenv("COCKPIT_WAREHOUSE_URL", url)  # the environment overrides the file (another test may set it)
    upgrade(url)
    with engine_for(url).begin() as conn:
        conn.execute(insert(s.area), area_rows())
    add_accounts(url)
    source_db = tmp_path / "hotline.db"
    _source(source_db)
    _complain(source_db, 1, "hotline_12345", 30)
    _complain(source_db, 2, "grid_app", 20)
    config_path = _config(tmp_path, url, source_db)
    _load(config_path)
    assert _rows(url, "SELECT COUNT(*) FROM event")[0][0] == 2
    assert _rows(url, "SELECT COUNT(*) FROM warning WHERE rule = 'prominent_issue'")[0][0] == 0
    label = t("warning.level.short.orange", "zh")

    with serve_app(url, COCKPIT_CONFIG=str(config_path)) as base:
        w = Watched(browser)
        try:
            w.login(base, "lead")
            w.goto(base + "/")
            live = w.page.locator("#big-latest")
            assert "突出问题" not in live.inner_text()  # two reporters: no prominent issue yet

            _complain(source_db, 3, "hotline_12345", 2)  # the third reporter: the after-load rules pass raises it
            _load(config_path)
            (wid, level, evidence), = _rows(url, "SELECT id, level, evidence_count FROM warning "
                                                 "WHERE rule = 'prominent_issue'")
            assert (level, evidence) == ("orange", 3)

            w.page.reload()
            w.settle()
            item = w.page.locator(f"#big-warning-{wid}")
            item.wait_for()
            assert "突出问题" in item.inner_text() and label in item.inner_text()
            w.page.screenshot(path=str(SCREENSHOTS / "warning-flow-bigscreen.png"))
            item.click()
            w.page.wait_for_url(f"**/warnings?id={wid}")
            w.page.locator("#wd-ev-block-event").wait_for()
            w.settle()
            page_text = w.page.locator("#warning-page").inner_text()
            reporters = [r for (r,) in _rows(url, "SELECT reporter_masked FROM event ORDER BY reported_at")]
            assert len(reporters) == 3 and all(r and r in page_text for r in reporters)
            assert page_text.count("市场路口占道经营投诉") == 3
            assert t("warning.status.new", "zh") in w.page.locator("#wd-status").inner_text()

            w.page.fill("#wa-ack-note", "已联系城管中队")
            w.page.click("#wa-ack")
            w.page.locator("#wd-flash").wait_for()
            w.settle()
            assert t("warning.done.acknowledge", "zh") in w.page.locator("#wd-flash").inner_text()
            assert t("warning.status.acknowledged", "zh") in w.page.locator("#wd-status").inner_text()
            timeline = w.page.locator("#wd-timeline").inner_text()
            assert t("warning.action.acknowledged", "zh") in timeline and "已联系城管中队" in timeline and "lead" in timeline
            assert not w.errors and not w.outside, (w.errors, w.outside)
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            w.page.screenshot(path=str(SCREENSHOTS / "warning-flow-acknowledged.png"), full_page=True)
        finally:
            w.close()

    history = _rows(url, "SELECT actor, action, from_status, to_status, note FROM warning_history "
                         "WHERE warning_id = :w ORDER BY id", w=wid)
    assert history[0][:2] == ("rules", "opened")
    assert history[-1] == ("lead", "acknowledged", "new", "acknowledged", "已联系城管中队")
    audit = _rows(url, "SELECT actor, obj_type, obj_id FROM audit_log WHERE action = 'warning.acknowledge'")
    assert audit == [("lead", "warning", str(wid))]


# ---------------------------------------------------------------- how the screens look
_SIDEWAYS = "() => document.scrollingElement.scrollWidth - document.scrollingElement.clientWidth"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_warning_screens_fit_and_are_photographed(served, browser, lang):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    w = Watched(browser, 1920, 1080)
    try:
        w.login(served, "duty")
        w.goto(f"{served}/warnings?lang={lang}")
        w.page.locator("#wc-table").wait_for()
        assert w.page.evaluate(_SIDEWAYS) <= 0
        assert w.page.locator(".wc-row").count() >= 4
        w.page.screenshot(path=str(SCREENSHOTS / f"warnings-center-1920-{lang}.png"), full_page=True)
        w.page.click("#wc-count-orange")
        w.page.wait_for_url("**level=orange**")
        w.settle()
        assert w.page.locator(".wc-row").count() == w.page.locator(".wc-row.lv-row-orange").count() >= 1
        first = w.page.locator(".wc-row.lv-row-orange a").first
        first.click()
        w.page.locator("#wd-header").wait_for()
        w.page.locator("#wd-map .scatterlayer .trace").first.wait_for()  # drawn: the screenshot shows the map
        w.settle()
        assert w.page.evaluate(_SIDEWAYS) <= 0
        w.page.screenshot(path=str(SCREENSHOTS / f"warning-page-1920-{lang}.png"), full_page=True)
        w.page.set_viewport_size({"width": 390, "height": 844})
        w.page.wait_for_timeout(400)
        assert w.page.evaluate(_SIDEWAYS) <= 0
        w.page.screenshot(path=str(SCREENSHOTS / f"warning-page-390-{lang}.png"), full_page=True)
        w.page.set_viewport_size({"width": 1920, "height": 1080})
        w.goto(f"{served}/?lang={lang}")
        w.page.locator("#big-warning-list").wait_for()
        w.page.screenshot(path=str(SCREENSHOTS / f"warnings-bigscreen-1920-{lang}.png"))
        assert not w.errors and not w.outside, (w.errors, w.outside)
    finally:
        w.close()
