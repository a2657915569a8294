"""The operator desk ``/orders`` and a work order's page on the real app (Flask test client, the screens
dataset's work orders): what each role sees against SQL, bad URL values, the big screen's today's
orders, the warning page's link to its order, and forged requests (out of scope, without the
permission): nothing shown, nothing changed, refusals audited."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import text

from cockpit.i18n import t
from tests.screens.test_access import Session, audit_rows, body, denied
from tests.screens.test_warning_screens import action_outputs, node, text_of


def sql(query: str, **params):
    from pages._common import engine

    with engine().connect() as conn:
        return conn.execute(text(query), params).all()


def ids(response, prefix: str) -> set[int]:
    return {int(m) for m in re.findall(rf'"{prefix}(\d+)"', body(response))}


def listed(response) -> set[int]:
    return ids(response, "od-open-")


QUEUE = "status IN ('new', 'acknowledged') AND ended_at IS NULL"


def test_the_operator_sees_the_queue_with_dispatch_buttons_and_every_order(cockpit):
    s = Session(cockpit, "duty")
    r = s.page("/orders")
    assert r.status_code == 200 and not denied(r)
    assert ids(r, "od-q-") == {i for (i,) in sql(f"SELECT id FROM warning WHERE {QUEUE}")}
    assert body(r).count('"od-open"') == len(ids(r, "od-q-"))  # one 派单 button per queued warning
    assert "od-read-only" not in body(r)
    assert listed(s.page("/orders", "?view=list")) == {i for (i,) in sql(
        "SELECT id FROM work_order WHERE status NOT IN ('closed', 'dismissed')")}
    assert listed(s.page("/orders", "?view=list&status=all")) == {i for (i,) in sql("SELECT id FROM work_order")}
    overdue = s.page("/orders", "?view=list&status=overdue")
    late = {i for (i,) in sql("SELECT id FROM work_order WHERE status IN ('dispatched', 'acknowledged', 'on_site') "
                              "AND (resolve_due_at <= :n OR (status = 'dispatched' AND ack_due_at <= :n))",
                              n=_now())}
    assert listed(overdue) == late and late
    for oid in late:  # red, with how late
        assert "od-row-late" in json.dumps(node(overdue, f"od-row-{oid}")["props"])
        assert "超时" in text_of(node(overdue, f"od-row-{oid}")["props"]["children"])
    counts = s.page("/orders")
    assert text_of(node(counts, "od-count-overdue")).endswith(str(len(late)))


def _now():
    from cockpit import clock

    return clock.now()


def test_filters_in_the_url_and_bad_values(cockpit):
    s = Session(cockpit, "duty")
    board = s.page("/orders", "?view=list&status=all&board=safety")
    assert listed(board) == {i for (i,) in sql("SELECT id FROM work_order WHERE board = 'safety'")}
    grid = sql("SELECT grid_code FROM work_order WHERE grid_code IS NOT NULL ORDER BY id")[0][0]
    assert listed(s.page("/orders", f"?view=list&status=all&grid={grid}")) == {
        i for (i,) in sql("SELECT id FROM work_order WHERE grid_code = :g", g=grid)}
    r = s.page("/orders", "?view=list&status=lost&board=nope&department=%3Cscript%3E&village=x&category=NOPE"
                          "&period=fortnight&by=person&view2=1")
    assert r.status_code == 200
    for name in ("status", "board", "department", "village", "category", "period", "by"):
        assert t("filter.bad_param", "zh", name=name) in body(r), name
    assert "<script>" not in body(r)
    assert listed(r) == {i for (i,) in sql("SELECT id FROM work_order WHERE status NOT IN ('closed', 'dismissed')")}
    assert t("filter.bad_param", "zh", name="view") in body(s.page("/orders", "?view=map"))
    for search in ("?id=abc", "?id=-1", "?id=99999999", "?id=1&done=everything"):
        assert s.page("/orders", search).status_code == 200, search
    assert "od-not-found" in body(s.page("/orders", "?id=99999999"))
    assert "od-not-found" in body(s.page("/orders/99999999"))
    assert t("filter.bad_param", "zh", name="id") in body(s.page("/orders/abc"))
    stats = s.page("/orders", "?view=stats&period=last12m&by=grid")
    assert "od-stats" in body(stats) and "od-stats-fig" in body(stats)


@pytest.mark.parametrize("username, where", [
    ("safetyhead", "board = 'safety'"),
    ("gridman", "grid_code LIKE '33099900100101%'"),
    ("liaison", "department_code = 'urban' OR ',' || COALESCE(cooperating, '') || ',' LIKE '%,urban,%'"),
])
def test_each_role_sees_its_orders_read_only(cockpit, username, where):
    s = Session(cockpit, username)
    r = s.page("/orders", "?view=list&status=all")
    assert not denied(r)
    assert listed(r) == {i for (i,) in sql(f"SELECT id FROM work_order WHERE {where}")}
    queue = s.page("/orders")
    assert "od-read-only" in body(queue) and '"od-open"' not in body(queue)  # no 派单 for them
    for (oid,) in sql(f"SELECT id FROM work_order EXCEPT SELECT id FROM work_order WHERE {where}"):
        page = s.page(f"/orders/{oid}")
        assert "od-not-found" in body(page) and "od-header" not in body(page)
    for (oid,) in sql(f"SELECT id FROM work_order WHERE {where}"):
        page = body(s.page(f"/orders/{oid}"))
        assert "od-header" in page and "oa-read-only" in page
        assert '"oa-close"' not in page and '"oa-dismiss"' not in page


def test_an_order_page_shows_header_timeline_and_the_township_actions(cockpit):
    (oid,) = sql("SELECT id FROM work_order WHERE status = 'resolved' ORDER BY id")[0]
    r = Session(cockpit, "duty").page(f"/orders/{oid}")
    page = body(r)
    assert "od-header" in page and "od-timeline" in page and "od-events" in page
    assert '"oa-close"' in page and '"oa-reopen"' in page and '"oa-dismiss"' in page
    timeline = text_of(node(r, "od-timeline")["props"]["children"])
    for (action,) in sql("SELECT action FROM work_order_log WHERE order_id = :o", o=oid):
        assert t(f"order.action.{action}", "zh") in timeline
    assert body(Session(cockpit, "duty").page("/orders", f"?id={oid}")) == page  # the same page both ways


def test_the_warning_page_links_to_its_order(cockpit):
    (wid, oid), = sql("SELECT warning_id, id FROM work_order WHERE warning_id IS NOT NULL")
    r = Session(cockpit, "duty").page("/warnings", f"?id={wid}")
    link = node(r, "wd-order-link")
    assert link["props"]["href"] == f"/orders/{oid}"


def test_the_big_screen_shows_todays_work_orders(cockpit):
    from cockpit.clock import midnight

    today = midnight(_now().date())
    rows = sql("SELECT id, status FROM work_order WHERE created_at >= :a ORDER BY created_at DESC, id DESC", a=today)
    assert rows
    r = Session(cockpit, "lead").page("/")
    assert ids(r, "big-order-") == {i for i, _ in rows}
    head = text_of(node(r, "big-orders-head")["props"]["children"])
    assert head == t("desk.big_head", "zh", n=len(rows), r=sum(s in ("resolved", "closed") for _, s in rows))
    assert node(r, f"big-order-{rows[0][0]}")["props"]["href"] == f"/orders/{rows[0][0]}"


# ---------------------------------------------------------------- forged requests
def _forge_close(s: Session, oid, seen=None):
    return s.callback(*action_outputs(s, "oa-close"), [{"id": "oa-close", "property": "n_clicks", "value": 1}],
                      [{"id": "oa-id", "property": "data", "value": oid},
                       {"id": "oa-seen", "property": "data", "value": seen or {
                           "status": "resolved", "department_code": "education", "assignee_user": None}},
                       {"id": "oa-lang", "property": "data", "value": "zh"}])


def _state(oid: int):
    return (sql("SELECT status, updated_at FROM work_order WHERE id = :o", o=oid),
            sql("SELECT COUNT(*) FROM work_order_log WHERE order_id = :o", o=oid))


@pytest.mark.parametrize("username", ["safetyhead", "gridman", "liaison"])
def test_a_forged_action_without_the_permission_changes_nothing_and_is_audited(cockpit, username):
    (oid,) = sql("SELECT id FROM work_order WHERE status = 'resolved' ORDER BY id")[0]
    before, refused = _state(oid), len(audit_rows(cockpit, "work_order.refused"))
    r = _forge_close(Session(cockpit, username), oid)
    assert r.status_code == 200 and t("desk.error.forbidden", "zh") in body(r)
    assert "oa-go" not in json.dumps(r.get_json()["response"])  # no navigation: nothing happened
    assert _state(oid) == before
    rows = audit_rows(cockpit, "work_order.refused")
    assert len(rows) == refused + 1 and rows[-1][0] == username and rows[-1][3] == str(oid)
    assert json.loads(rows[-1][4]) == {"action": "closed", "reason": "permission"}


def test_a_forged_action_on_an_order_that_is_not_there_gets_nothing(cockpit):
    s = Session(cockpit, "duty")
    for oid in (99999999, "1; DROP TABLE work_order", True):
        r = _forge_close(s, oid)
        assert t("order.error.not_found", "zh") in body(r), oid
    assert sql("SELECT COUNT(*) FROM work_order")[0][0] > 0
    r = _forge_close(Session(cockpit, "kiosk"), 1)  # the kiosk may not even open the desk: no answer
    assert r.status_code == 204


def test_a_forged_dispatch_without_the_permission_makes_no_order(cockpit):
    (wid, status, level), = sql(f"SELECT id, status, level FROM warning WHERE {QUEUE} ORDER BY id LIMIT 1")
    orders = sql("SELECT COUNT(*) FROM work_order")
    for username in ("safetyhead", "gridman", "liaison"):
        s = Session(cockpit, username)
        r = s.callback(*action_outputs(s, "od-confirm"), [{"id": "od-confirm", "property": "n_clicks", "value": 1}], [
            {"id": "od-form", "property": "data", "value": {"warning_id": wid, "seen": {
                "status": status, "level": level, "silence_id": None}}},
            {"id": "od-f-dept", "property": "value", "value": "urban"},
            {"id": "od-f-user", "property": "value", "value": ""},
            {"id": "od-f-note", "property": "value", "value": "forged"},
            {"id": "od-state", "property": "data", "value": {"query": {}, "lang": "zh"}}])
        assert r.status_code == 200 and t("desk.error.forbidden", "zh") in body(r), username
    assert sql("SELECT COUNT(*) FROM work_order") == orders
    assert sql("SELECT status FROM warning WHERE id = :w", w=wid) == [(status,)]
