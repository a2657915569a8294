"""职责复核 ``/review`` on the real app (Flask test client, the screens dataset with contests made and
decided through the core): its three sections row for row against SQL (pending contests, the open
flags and, on the toggle, the reviewed ones, the categories without a lead department), the
已复核 button through Dash's own request, and forged requests (other roles, bad ids): nothing
changed, refusals audited."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import text

from cockpit.i18n import t
from tests.screens.test_access import Session, audit_rows, body
from tests.screens.test_warning_screens import node, text_of


def sql(query: str, **params):
    from pages._common import engine

    with engine().connect() as conn:
        return conn.execute(text(query), params).all()


def _now():
    from cockpit import clock

    return clock.now()


def _user(name: str):
    from cockpit.auth.users import get_user
    from pages._common import engine

    with engine().connect() as conn:
        return get_user(conn, name)


def row_ids(response, prefix: str) -> list[str]:
    return re.findall(rf'"{prefix}-([\w-]+)"', body(response))


@pytest.fixture(scope="module")
def contests(cockpit):
    """Three whistles: ``pending`` (the police contest, undecided), ``accepted`` and ``second`` (urban
    contests the township accepted: two review flags)."""
    from sqlalchemy import delete, insert

    from cockpit.warehouse.schema import category, responsibility
    from cockpit.whistles.actions import act
    from cockpit.whistles.blow import blow_whistle
    from pages._common import engine
    from tests.orders import builders as ob

    duty, urban, police = _user("duty"), _user("liaison"), _user("police")
    now = _now()
    with engine().begin() as conn:
        ws = {key: ob.warning(conn, grid="33099900100101", now=now, subject=f"review-{key}", title=f"复核{key}",
                              category=cat)["id"]
              for key, cat in (("pending", "SAF-FIRE"), ("accepted", "ECO-NOISE"), ("second", "ECO-SANITATION"))}
    with engine().begin() as conn:  # a category the responsibility list does not cover yet: a gap
        conn.execute(insert(category).values(code="SRV-GAPTEST", name_zh="新增类别（待定职责）",
                                             name_en="New category (no lead)", board="services",
                                             department_code="civil_affairs", sla_hours=48))
        conn.execute(insert(responsibility).values(category_code="SRV-GAPTEST", department_code="civil_affairs",
                                                   role="cooperate"))
    with engine().begin() as conn:
        pending = blow_whistle(conn, duty, warning_id=ws["pending"], departments=["police"], now=now - timedelta(hours=2))
        act(conn, pending["summons"][0]["id"], "contested", police, note="消防通道不归公安管", now=now - timedelta(hours=1))
        out = {"pending": pending["summons"][0]["id"], "pending_whistle": pending["id"]}
        for key in ("accepted", "second"):
            w = blow_whistle(conn, duty, warning_id=ws[key], departments=["urban"], now=now - timedelta(hours=3))
            sid = w["summons"][0]["id"]
            act(conn, sid, "contested", urban, note=f"不属于城管职责{key}", now=now - timedelta(hours=2))
            act(conn, sid, "contest_accepted", duty, now=now - timedelta(minutes=30))
            out[key] = sid
    out["flags"] = {sid: rid for rid, sid in sql("SELECT id, summons_id FROM responsibility_review")}
    yield out
    with engine().begin() as conn:  # the gap leaves with this module: the other screens see the reference list
        conn.execute(delete(responsibility).where(responsibility.c.category_code == "SRV-GAPTEST"))
        conn.execute(delete(category).where(category.c.code == "SRV-GAPTEST"))


def _close_output(s: Session) -> str:
    for dep in s.client.get("/_dash-dependencies").get_json():
        if dep["inputs"] and '"rv-close"' in dep["inputs"][0]["id"]:
            return dep["output"]
    raise AssertionError("no review callback")


def _close(s: Session, review_id, show_closed: bool = False):  # noqa: ANN001, ANN202
    button = {"role": "rv-close", "r": review_id}
    out = _close_output(s)
    outputs = [{"id": o.split(".")[0], "property": o.split(".")[1]} for o in out.strip(".").split("...")]
    return s.client.post("/_dash-update-component", json={
        "output": out, "outputs": outputs, "inputs": [[{"id": button, "property": "n_clicks", "value": 1}]],
        "state": [{"id": "rv-lang", "property": "data", "value": "zh"},
                  {"id": "rv-closed", "property": "data", "value": show_closed}],
        "changedPropIds": [json.dumps(button, sort_keys=True, separators=(",", ":")) + ".n_clicks"]},
        headers={"X-CSRFToken": s.csrf})


def went_to(response) -> str | None:  # noqa: ANN001
    for out in (response.get_json() or {}).get("response", {}).values():
        if "href" in out:
            return out["href"]
    return None


def flags_state():
    return sql("SELECT id, reviewed_at, reviewed_by FROM responsibility_review ORDER BY id")


# ---------------------------------------------------------------- the three sections
def test_the_sections_equal_sql(cockpit, contests):
    r = Session(cockpit, "root").page("/review")
    assert r.status_code == 200 and "access-denied" not in body(r)
    pending = sql("SELECT s.id, s.whistle_id, s.department_code, s.contest_reason FROM summons s "
                  "WHERE s.status = 'contested' ORDER BY s.updated_at")
    assert [int(i) for i in row_ids(r, "rv-contest")] == [p[0] for p in pending]
    assert contests["pending"] in [p[0] for p in pending]
    for sid, wid, dept, reason in pending:
        row = node(r, f"rv-contest-{sid}")
        assert row["props"]["data-department"] == dept and reason in text_of(row["props"]["children"])
        assert node(r, f"rv-decide-{sid}")["props"]["href"] == f"/whistles/{wid}"  # the township decides there
    open_flags = sql("SELECT r.id, r.category_code, r.department_code, r.reason, r.flagged_by, s.whistle_id "
                     "FROM responsibility_review r LEFT JOIN summons s ON s.id = r.summons_id "
                     "WHERE r.reviewed_at IS NULL ORDER BY r.flagged_at DESC, r.id DESC")
    assert [int(i) for i in row_ids(r, "rv-flag")] == [f[0] for f in open_flags] and len(open_flags) >= 2
    for rid, cat, dept, reason, by, wid in open_flags:
        cells = json.dumps(node(r, f"rv-flag-{rid}"), ensure_ascii=False)
        assert reason in cells and by in cells and (cat or "") in cells and f"/whistles/{wid}" in cells
        assert '"rv-close"' in cells
    gaps = [c for (c,) in sql("SELECT code FROM category WHERE code NOT IN "
                              "(SELECT category_code FROM responsibility WHERE role = 'lead') ORDER BY board, code")]
    assert row_ids(r, "rv-gap") == gaps and "SRV-GAPTEST" in gaps
    gap = text_of(node(r, "rv-gap-SRV-GAPTEST")["props"]["children"])
    assert "新增类别（待定职责）" in gap and gap.endswith("1")  # one list row, none of them the lead
    assert text_of(node(r, "rv-count-pending")) == t("rv.count.pending", "zh", n=len(pending))
    assert text_of(node(r, "rv-count-flagged")) == t("rv.count.flagged", "zh", n=len(open_flags))
    assert text_of(node(r, "rv-count-gaps")) == t("rv.count.gaps", "zh", n=len(gaps))


@pytest.mark.parametrize("username", ["duty", "lead", "liaison", "police", "safetyhead", "gridman"])
def test_only_the_admin_opens_the_page(cockpit, contests, username):
    r = Session(cockpit, username).page("/review")
    assert "access-denied" in body(r) and "rv-page" not in body(r)


def test_bad_url_values_give_a_clear_message(cockpit, contests):
    s = Session(cockpit, "root")
    r = s.page("/review", "?closed=yes&done=x&error=%3Cscript%3E")
    assert r.status_code == 200 and "<script>" not in body(r)
    for name in ("closed", "done", "error"):
        assert t("filter.bad_param", "zh", name=name) in body(r), name
    assert "rv-flash" not in body(r)


# ---------------------------------------------------------------- the button
def test_reviewed_closes_the_flag_and_the_toggle_shows_it(cockpit, contests):
    s = Session(cockpit, "root")
    rid = contests["flags"][contests["accepted"]]
    r = _close(s, rid)
    assert went_to(r) == "/review?lang=zh&done=reviewed"
    (at, by), = sql("SELECT reviewed_at, reviewed_by FROM responsibility_review WHERE id = :r", r=rid)
    assert at is not None and by == "root"
    assert audit_rows(cockpit, "responsibility.reviewed")[-1][3] == str(rid)
    page = s.page("/review", "?done=reviewed")
    assert "rv-flash" in body(page) and str(rid) not in row_ids(page, "rv-flag")
    everything = s.page("/review", "?closed=1")
    assert [int(i) for i in row_ids(everything, "rv-flag")] == [i for (i,) in sql(
        "SELECT id FROM responsibility_review ORDER BY flagged_at DESC, id DESC")]
    closed = node(everything, f"rv-flag-{rid}")
    assert closed["props"]["data-open"] == "0" and '"rv-close"' not in json.dumps(closed)
    assert "root" in text_of(closed["props"]["children"])
    assert node(everything, "rv-toggle-closed")["props"]["href"] == "/review?lang=zh"
    again = _close(s, rid, show_closed=True)  # a second click: told, nothing written
    assert went_to(again) == "/review?closed=1&lang=zh&error=already"
    assert sql("SELECT reviewed_at, reviewed_by FROM responsibility_review WHERE id = :r", r=rid) == [(at, by)]


@pytest.mark.parametrize("username", ["duty", "lead", "liaison", "safetyhead"])
def test_a_forged_reviewed_by_another_role_changes_nothing(cockpit, contests, username):
    rid = contests["flags"][contests["second"]]
    before, refused = flags_state(), len(audit_rows(cockpit, "whistle.refused"))
    r = _close(Session(cockpit, username), rid)
    assert r.status_code == 204  # not even the page: no answer
    assert flags_state() == before
    rows = audit_rows(cockpit, "whistle.refused")
    assert len(rows) == refused + 1 and rows[-1][0] == username and json.loads(rows[-1][4])["reason"] == "page"


def test_forged_flag_ids_change_nothing(cockpit, contests):
    s, before = Session(cockpit, "root"), flags_state()
    for forged in ("1 OR 1=1", True, None, [1]):
        r = _close(s, forged)
        assert t("rv.error.not_found", "zh") in body(r) and went_to(r) is None, forged
    assert went_to(_close(s, 99999999)) == "/review?lang=zh&error=already"
    assert flags_state() == before
