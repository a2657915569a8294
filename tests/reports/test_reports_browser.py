"""The reports page in a real browser (headless Chromium, 1920×1080) against a served cockpit over
the screens dataset: the leader picks 2026-W47, generates it, sees the new row in the archive and
downloads it — the file is a real PDF (poppler reads its week and township) whose sha256 is the
archive's, and the download is audited; a board head asking for the leader's report and anyone
asking for a forged id get a 404, a grid worker a 403 and the access notice on the page, and none of
those is recorded as a download. No console errors, nothing fetched from outside.

Screenshots (looked at when the page changes): test-artifacts/screenshots/reports-zh.png and -en.png.
"""

from __future__ import annotations

import hashlib
import subprocess

import pytest
from sqlalchemy import text

from cockpit.warehouse.db import engine_for
from tests.screens.conftest import SCREENSHOTS, Watched, screens_warehouse, serve_app

WEEK = "2026-W47"


@pytest.fixture(scope="module")
def site(browser, tmp_path_factory):
    url = screens_warehouse(tmp_path_factory.mktemp("reports-browser"))
    with serve_app(url) as base:
        yield {"base": base, "url": url}


def sql(url: str, query: str, **params):
    with engine_for(url).connect() as conn:
        return conn.execute(text(query), params).all()


def downloads(url: str) -> list:
    return sql(url, "SELECT actor, obj_id FROM audit_log WHERE action = 'report.download' ORDER BY id")


def test_the_leader_generates_a_week_and_downloads_the_archived_pdf(browser, site, tmp_path):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    base, url = site["base"], site["url"]
    w = Watched(browser)
    w.context.close()  # a context that accepts downloads
    w.context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN", accept_downloads=True)
    w.page = w.context.new_page()
    w.page.set_default_timeout(180_000)  # generating a report takes seconds
    w.page.on("console", lambda m: w.errors.append(m.text) if m.type == "error" else None)
    w.page.on("pageerror", lambda e: w.errors.append(str(e)))
    w.page.on("request", lambda r: None if r.url.startswith(("http://127.0.0.1", "data:", "blob:")) else w.outside.append(r.url))
    page = w.page
    try:
        w.login(base, "lead")
        w.goto(base + "/reports")
        assert page.locator("#rp-archive-empty").is_visible()
        page.click("#rp-week")
        page.locator("[role=option]", has_text=WEEK).click()
        assert WEEK in page.locator("#rp-week").inner_text()
        page.click("#rp-generate")
        page.locator("#rp-result-download").wait_for()
        w.settle()
        ((rid, sha, size, by, trigger),) = sql(url, "SELECT id, sha256, bytes, generated_by, trigger FROM report_archive")
        assert (by, trigger) == ("lead", "page")
        row = page.locator(f"#rp-row-{rid}")
        assert row.is_visible() and WEEK in row.inner_text() and sha[:12] in row.inner_text() and "lead" in row.inner_text()
        assert page.locator("#rp-archive tbody tr").count() == 1
        page.screenshot(path=str(SCREENSHOTS / "reports-zh.png"))

        with page.expect_download() as got:
            page.click(f"#rp-download-{rid}")
        download = got.value
        assert download.suggested_filename == "清溪镇 周例会报告 2026-W47.pdf"
        saved = tmp_path / "report.pdf"
        download.save_as(saved)
        data = saved.read_bytes()
        assert data.startswith(b"%PDF-") and len(data) == size and hashlib.sha256(data).hexdigest() == sha
        words = subprocess.run(["pdftotext", str(saved), "-"], capture_output=True, text=True, check=True).stdout
        assert WEEK in words and "清溪镇" in words
        assert downloads(url) == [("lead", str(rid))]

        w.goto(base + "/reports?lang=en")
        assert page.locator(f"#rp-row-{rid}").is_visible() and "Page" in page.locator(f"#rp-row-{rid}").inner_text()
        page.screenshot(path=str(SCREENSHOTS / "reports-en.png"))
        assert not w.errors, w.errors
        assert not w.outside, w.outside
    finally:
        w.close()


def test_other_scopes_and_forged_ids_get_no_report_and_no_download_record(browser, site):
    base, url = site["base"], site["url"]
    rows = sql(url, "SELECT id FROM report_archive ORDER BY id")
    assert rows, "the leader's report is made by the test before"
    rid = rows[0][0]
    before = downloads(url)
    for username, report_id, status in (("safetyhead", rid, 404), ("lead", rid + 1000, 404), ("gridman", rid, 403)):
        w = Watched(browser)
        try:
            w.login(base, username)
            r = w.context.request.get(f"{base}/reports/download/{report_id}")
            assert r.status == status and not r.body().startswith(b"%PDF"), (username, report_id)
            if username == "gridman":
                w.goto(base + "/reports")
                assert w.page.locator(".access-denied").is_visible()
                assert w.page.locator("#nav-reports").count() == 0  # not offered
            if username == "safetyhead":
                w.goto(base + "/reports")
                assert w.page.locator(f"#rp-row-{rid}").count() == 0 and w.page.locator("#rp-archive-empty").is_visible()
        finally:
            w.close()
    assert downloads(url) == before
    refused = sql(url, "SELECT actor, obj_id FROM audit_log WHERE action = 'report.download.refused' ORDER BY id")
    assert refused == [("safetyhead", str(rid)), ("lead", str(rid + 1000)), ("gridman", str(rid))]
