"""周例会报告 ``/reports`` on the real app (Flask test client, the session's screens warehouse): the
form's weeks, townships and languages; the archive row for row against SQL, only in the viewer's
scope; generating through Dash's own request (a real PDF, archived as the viewer with the trigger
``page``, audited); forged requests (bad week, township, language) change nothing; the download
route serves the stored bytes with an attachment name and an audit row, and refuses a role without
the page (403), another scope's report and a forged id (the same 404, audited as refused, no
download recorded) and a damaged report (500, never the bytes).

Here and not in ``tests/reports``: it needs the session's in-process app (``cockpit`` fixture).
"""

from __future__ import annotations

import hashlib
import json
import re
from urllib.parse import unquote

import pytest
from sqlalchemy import text

from cockpit import clock
from cockpit.i18n import t
from cockpit.scope import Scope
from tests.screens.dataset import TOWNSHIP
from tests.screens.test_access import Session, audit_rows, body
from tests.screens.test_warning_screens import node, text_of


def sql(query: str, **params):
    from pages._common import engine

    with engine().connect() as conn:
        return conn.execute(text(query), params).all()


def _generate_output(s: Session) -> str:
    for dep in s.client.get("/_dash-dependencies").get_json():
        if dep["inputs"] and dep["inputs"][0]["id"] == "rp-generate":
            return dep["output"]
    raise AssertionError("no generate callback")


def generate(s: Session, week, township, lang, state=None):  # noqa: ANN001, ANN201
    out = _generate_output(s)
    outputs = [{"id": o.split(".")[0], "property": o.split(".")[1]} for o in out.strip(".").split("...")]
    return s.client.post("/_dash-update-component", json={
        "output": out, "outputs": outputs, "inputs": [{"id": "rp-generate", "property": "n_clicks", "value": 1}],
        "state": [{"id": "rp-week", "property": "value", "value": week},
                  {"id": "rp-township", "property": "value", "value": township},
                  {"id": "rp-language", "property": "value", "value": lang},
                  {"id": "rp-state", "property": "data", "value": state or {"lang": "zh"}}],
        "changedPropIds": ["rp-generate.n_clicks"]}, headers={"X-CSRFToken": s.csrf})


def archive_ids(response) -> list[int]:  # noqa: ANN001
    return [int(i) for i in re.findall(r'"rp-row-(\d+)"', body(response))]


@pytest.fixture(scope="module")
def generated(cockpit):
    """The leader generates 2026-W47 (the running week of the suite's clock) on the page."""
    s = Session(cockpit, "lead")
    before = {r[0] for r in sql("SELECT id FROM report_archive")}
    r = generate(s, "2026-W47", TOWNSHIP, "zh")
    assert r.status_code == 200, body(r)[:500]
    new = [row for row in sql("SELECT id, week, township_code, lang, generated_by, trigger, scope_personal, sha256, bytes, "
                              "pages FROM report_archive ORDER BY id") if row[0] not in before]
    assert len(new) == 1, body(r)[:500]
    return {"response": r, "row": new[0]}


def test_the_form_offers_the_recent_weeks_the_viewers_townships_and_both_languages(cockpit):
    r = Session(cockpit, "lead").page("/reports")
    assert r.status_code == 200 and "access-denied" not in body(r)
    weeks = node(r, "rp-week")["props"]
    assert weeks["value"] == "2026-W46"  # the last full week before the suite's Wednesday of W47
    values = [o["value"] for o in weeks["options"]]
    assert values[:3] == ["2026-W47", "2026-W46", "2026-W45"] and len(values) == 26
    assert weeks["options"][0]["label"] == "2026-W47（11-16 至 11-22） · 进行中"
    towns = node(r, "rp-township")["props"]
    assert [o["value"] for o in towns["options"]] == [c for (c,) in sql("SELECT code FROM area WHERE level = 'township' "
                                                                          "ORDER BY code")] and towns["value"] == TOWNSHIP
    assert [o["value"] for o in node(r, "rp-language")["props"]["options"]] == ["zh", "en"]
    assert "每周一 07:30 自动生成上周各乡镇的报告" in text_of(node(r, "rp-hint"))
    bad = Session(cockpit, "lead").page("/reports", "?week=2026-W99&township=999")
    assert "week" in body(bad) and node(bad, "rp-week")["props"]["value"] == "2026-W46"


def test_generating_archives_the_report_as_the_viewer(cockpit, generated, tmp_path):
    rid, week, town, lang, by, trigger, personal, sha, size, pages = generated["row"]
    assert (week, town, lang, by, trigger, bool(personal)) == ("2026-W47", TOWNSHIP, "zh", "lead", "page", True)
    r = generated["response"]
    msg = r.get_json()["response"]["rp-result"]["children"]
    assert msg["props"]["data-report-id"] == str(rid)
    assert sha[:12] in text_of(msg) and f"{pages} 页" in text_of(msg)
    link = next(c for c in msg["props"]["children"] if isinstance(c, dict) and c["props"].get("id") == "rp-result-download")
    assert link["props"]["href"] == f"/reports/download/{rid}" and link["props"]["data-sha256"] == sha
    table = r.get_json()["response"]["rp-archive-box"]["children"]
    assert f'"rp-row-{rid}"' in json.dumps(table)
    (pdf,) = sql("SELECT pdf FROM report_archive WHERE id = :i", i=rid)[0]
    assert hashlib.sha256(bytes(pdf)).hexdigest() == sha and len(bytes(pdf)) == size
    audits = [a for a in audit_rows(cockpit, "report.archive") if a.obj_id == str(rid)]
    assert [(a.actor, a.obj_type) for a in audits] == [("lead", "report")]


def test_the_archive_lists_what_the_viewer_may_read_newest_first(cockpit, generated):
    from cockpit.reports.archive import archive_report, SCHEDULE_SCOPE
    from cockpit.reports.generate import GeneratedReport
    from pages._common import engine

    rid = generated["row"][0]
    (pdf,) = sql("SELECT pdf FROM report_archive WHERE id = :i", i=rid)[0]
    pdf = bytes(pdf)
    copy = GeneratedReport(pdf=pdf, pages=generated["row"][9], week="2026-W46", township=TOWNSHIP, lang="en",
                           title="Qingxi weekly meeting report 2026-W46", empty=False, sha256=hashlib.sha256(pdf).hexdigest())
    with engine().begin() as conn:
        with clock.pinned(clock.now().replace(minute=40)):
            safety = archive_report(conn, copy, generated_by="safetyhead", trigger="page",
                                    scope=Scope(boards=frozenset({"safety"}), personal_data=False))
        with clock.pinned(clock.now().replace(minute=45)):
            scheduled = archive_report(conn, copy, generated_by="scheduler", trigger="schedule", scope=SCHEDULE_SCOPE)
    everything = [i for (i,) in sql("SELECT id FROM report_archive ORDER BY generated_at DESC, id DESC")]
    lead = Session(cockpit, "lead").page("/reports")
    assert archive_ids(lead) == everything and {rid, safety, scheduled} <= set(everything)
    head = Session(cockpit, "safetyhead").page("/reports")
    assert archive_ids(head) == [i for (i,) in sql("SELECT id FROM report_archive WHERE scope_boards = 'safety' AND "
                                                  "scope_personal = :f ORDER BY generated_at DESC, id DESC", f=False)]
    assert safety in archive_ids(head) and rid not in archive_ids(head) and scheduled not in archive_ids(head)
    root = Session(cockpit, "root").page("/reports")  # no names: the scheduler's and the board head's, not the leader's
    assert scheduled in archive_ids(root) and safety in archive_ids(root) and rid not in archive_ids(root)
    row = json.dumps(node(lead, f"rp-row-{scheduled}"), ensure_ascii=False)
    assert t("reports.by_scheduler", "zh") in row and t("reports.trigger.schedule", "zh") in row and "英文" in row
    only = Session(cockpit, "lead").page("/reports", "?week=2026-W46")
    assert set(archive_ids(only)) == {i for (i,) in sql("SELECT id FROM report_archive WHERE week = '2026-W46'")}


@pytest.mark.parametrize("week, township, lang, key", [
    ("2026-W60", TOWNSHIP, "zh", "reports.error.week"), ("2026-W52", TOWNSHIP, "zh", "reports.error.week"),
    (None, TOWNSHIP, "zh", "reports.error.week"), ("2026-W46", "330999777", "zh", "reports.error.township"),
    ("2026-W46", ["x"], "zh", "reports.error.township"), ("2026-W46", TOWNSHIP, "fr", "reports.error.language"),
])
def test_forged_requests_generate_nothing(cockpit, week, township, lang, key):
    before = sql("SELECT count(*) FROM report_archive")[0][0]
    r = generate(Session(cockpit, "lead"), week, township, lang)
    assert r.status_code == 200 and t(key, "zh") in body(r)
    assert sql("SELECT count(*) FROM report_archive")[0][0] == before


def test_roles_without_the_page_cannot_generate(cockpit):
    before = sql("SELECT count(*) FROM report_archive")[0][0]
    for user in ("gridman", "liaison", "kiosk"):
        r = generate(Session(cockpit, user), "2026-W46", TOWNSHIP, "zh")
        assert r.status_code == 204 and not r.get_data(), user
    assert sql("SELECT count(*) FROM report_archive")[0][0] == before


# ---------------------------------------------------------------- downloads
def _downloads() -> list:
    return sql("SELECT actor, obj_id, detail FROM audit_log WHERE action = 'report.download' ORDER BY id")


def _refusals() -> list:
    return sql("SELECT actor, obj_id, detail FROM audit_log WHERE action = 'report.download.refused' ORDER BY id")


def test_a_download_serves_the_archived_bytes_and_is_audited(cockpit, generated):
    rid, sha = generated["row"][0], generated["row"][7]
    before = len(_downloads())
    r = Session(cockpit, "lead").client.get(f"/reports/download/{rid}")
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/pdf"
    assert hashlib.sha256(r.data).hexdigest() == sha and r.data.startswith(b"%PDF-")
    disposition = r.headers["Content-Disposition"]
    assert disposition.startswith(f'attachment; filename="weekly-report-2026-W47-{TOWNSHIP}-zh-{rid}.pdf"')
    assert unquote(disposition.split("filename*=UTF-8''")[1]) == "清溪镇 周例会报告 2026-W47.pdf"
    assert "no-store" in r.headers["Cache-Control"]
    got = _downloads()[before:]
    assert [(a.actor, a.obj_id, json.loads(a.detail)["sha256"]) for a in got] == [("lead", str(rid), sha)]


def test_downloads_outside_the_page_or_the_scope_are_refused_and_not_recorded(cockpit, generated):
    rid = generated["row"][0]
    downloads, refusals = len(_downloads()), len(_refusals())
    top = sql("SELECT max(id) FROM report_archive")[0][0]
    cases = [("safetyhead", rid, 404), ("root", rid, 404), ("lead", top + 1000, 404), ("gridman", rid, 403),
             ("liaison", rid, 403), ("kiosk", rid, 403)]
    for user, report_id, status in cases:
        r = Session(cockpit, user).client.get(f"/reports/download/{report_id}")
        assert r.status_code == status and b"%PDF" not in r.data, (user, report_id)
    not_an_id = Session(cockpit, "lead").client.get("/reports/download/abc")  # the app's own page (its 404 inside)
    assert not_an_id.mimetype == "text/html" and b"%PDF" not in not_an_id.data
    assert len(_downloads()) == downloads  # no download that did not happen is recorded as one
    got = _refusals()[refusals:]
    assert [(a.actor, a.obj_id, json.loads(a.detail)["reason"]) for a in got] == [
        ("safetyhead", str(rid), "not_found"), ("root", str(rid), "not_found"), ("lead", str(top + 1000), "not_found"),
        ("gridman", str(rid), "permission"), ("liaison", str(rid), "permission"), ("kiosk", str(rid), "permission")]
    anonymous = cockpit.server.test_client().get(f"/reports/download/{rid}")
    assert anonymous.status_code in (302, 401) and b"%PDF" not in anonymous.data


def test_a_damaged_report_is_never_served(cockpit, generated):
    from cockpit.reports.archive import archive_report
    from cockpit.reports.generate import GeneratedReport
    from pages._common import engine

    (pdf,) = sql("SELECT pdf FROM report_archive WHERE id = :i", i=generated["row"][0])[0]
    pdf = bytes(pdf)
    report = GeneratedReport(pdf=pdf, pages=1, week="2026-W45", township=TOWNSHIP, lang="zh", title="damaged",
                             empty=False, sha256=hashlib.sha256(pdf).hexdigest())
    with engine().begin() as conn:
        rid = archive_report(conn, report, generated_by="lead", trigger="page", scope=Scope(personal_data=True))
    trigger = sql("SELECT sql FROM sqlite_master WHERE name = 'report_archive_no_update'")[0][0]
    with engine().begin() as conn:  # bytes changed behind the application's back (and its trigger's)
        conn.execute(text("DROP TRIGGER report_archive_no_update"))
        conn.execute(text("UPDATE report_archive SET pdf = :p WHERE id = :i"), {"p": pdf[:-5] + b"XXXXX", "i": rid})
        conn.execute(text(trigger))
    downloads = len(_downloads())
    r = Session(cockpit, "lead").client.get(f"/reports/download/{rid}")
    assert r.status_code == 500 and b"%PDF" not in r.data and b"generate the week again" in r.data
    assert len(_downloads()) == downloads
    assert json.loads(_refusals()[-1].detail)["reason"] == "checksum"
