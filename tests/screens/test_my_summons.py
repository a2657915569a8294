"""我的召集 ``/my/summons`` on the real app (Flask test client, the screens dataset with whistles blown
and answered through the core): the list holds the liaison's own department's summons and only
those, overdue first, counted by SQL; the done tab with the ratings; one summons with the other
departments, its deadlines and timeline; the actions through Dash's own requests move the state
through the core; a note-less result or a reason-less contest is refused with the catalogue message;
forged requests (another department's summons, a stale page, no permission) change nothing."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import text

from cockpit.i18n import t
from tests.screens.test_access import Session, audit_rows, body
from tests.screens.test_warning_screens import action_outputs, node, text_of

WORKING = "('summoned', 'acknowledged', 'on_site')"
OPEN = "('summoned', 'acknowledged', 'on_site', 'resolved', 'contested')"
ENDED = "('verified', 'closed', 'excused', 'cancelled')"


def sql(query: str, **params):
    from pages._common import engine

    with engine().connect() as conn:
        return conn.execute(text(query), params).all()


def _now():
    from cockpit import clock

    return clock.now()


def ts(at) -> str:  # noqa: ANN001
    """A time as the warehouse (SQLite) stores it, so that SQL compares it as the app does."""
    return at.strftime("%Y-%m-%d %H:%M:%S.%f")


def _user(name: str):
    from cockpit.auth.users import get_user
    from pages._common import engine

    with engine().connect() as conn:
        return get_user(conn, name)


def _warning(key: str, **kw) -> int:  # noqa: ANN003
    from pages._common import engine
    from tests.orders import builders as ob

    with engine().begin() as conn:
        return ob.warning(conn, grid="33099900100101", now=kw.pop("now", _now()), subject=f"my-summons-{key}", **kw)["id"]


def cards(response) -> list[int]:
    """The summons ids of the cards, in the order shown."""
    return [int(m) for m in re.findall(r'"ms-card-(\d+)"', body(response))]


def has(response, component_id: str) -> bool:
    return f'"id": "{component_id}"' in json.dumps(response.get_json())


def late_ids(department: str) -> set[int]:
    return {i for (i,) in sql(
        f"SELECT id FROM summons WHERE department_code = :d AND status IN {WORKING} AND "
        "((acknowledged_at IS NULL AND ack_due_at <= :n) OR (arrived_at IS NULL AND arrive_due_at <= :n) OR "
        "(resolved_at IS NULL AND resolve_due_at <= :n))", d=department, n=ts(_now()))}


def open_ids(department: str) -> set[int]:
    return {i for (i,) in sql(f"SELECT id FROM summons WHERE department_code = :d AND status IN {OPEN}", d=department)}


@pytest.fixture(scope="module")
def mine(cockpit) -> dict:
    """Whistles blown and answered through the core: ``late`` (urban lead and police, urgent, 3 h ago,
    nobody answered), ``fresh`` (urban only, 10 min ago), ``police`` (police only), ``rated`` (urban:
    acknowledged, arrived, resolved, verified with 4 stars an hour ago), ``contest`` (urban, fresh:
    for the contest), ``work`` (urban: for the acknowledge → arrive → result flow)."""
    from cockpit.whistles.actions import act
    from cockpit.whistles.blow import blow_whistle
    from pages._common import engine

    duty, urban = _user("duty"), _user("liaison")
    now = _now()
    ids: dict = {}
    warnings = {key: _warning(key, title=f"我的召集{key}") for key in ("late", "fresh", "police", "rated", "contest", "work")}
    with engine().begin() as conn:
        def blow(key: str, departments: list[str], minutes_ago: int, **kw) -> dict:  # noqa: ANN003
            w = warnings[key]
            return blow_whistle(conn, duty, warning_id=w, departments=departments, now=now - timedelta(minutes=minutes_ago),
                                **kw)

        late = blow("late", ["urban", "police"], 180, urgent=True, note="请城管牵头，公安配合")
        ids.update(late=late["id"], late_urban=late["summons"][0]["id"], late_police=late["summons"][1]["id"])
        fresh = blow("fresh", ["urban"], 10)
        ids["fresh"] = fresh["summons"][0]["id"]
        ids["police"] = blow("police", ["police"], 30)["summons"][0]["id"]
        rated = blow("rated", ["urban"], 300)
        sid = ids["rated"] = rated["summons"][0]["id"]
        act(conn, sid, "acknowledged", urban, now=now - timedelta(minutes=290))
        act(conn, sid, "arrived", urban, now=now - timedelta(minutes=250))
        act(conn, sid, "resolved", urban, note="已清理完毕", now=now - timedelta(minutes=120))
        act(conn, sid, "verified", duty, rating=4, note="处置及时", now=now - timedelta(minutes=60))
        ids["contest"] = blow("contest", ["urban"], 5)["summons"][0]["id"]
        ids["work"] = blow("work", ["urban"], 5)["summons"][0]["id"]
    return ids


def _press(s: Session, button: str, sid, seen, *, text_id: str | None = None, value: str | None = None,
           lang: str = "zh"):  # noqa: ANN001, ANN202
    """The callback request of ``button`` as the browser sends it (the state in the callback's order)."""
    output, outs = action_outputs(s, button)
    state = [{"id": text_id, "property": "value", "value": value}] if text_id else []
    state += [{"id": "ms-id", "property": "data", "value": sid}, {"id": "ms-seen", "property": "data", "value": seen},
              {"id": "ms-lang", "property": "data", "value": lang}]
    return s.callback(output, outs, [{"id": button, "property": "n_clicks", "value": 1}], state)


def _state(sid: int):
    return (sql("SELECT status, acknowledged_at, arrived_at, resolved_at, contest_reason, updated_at FROM summons "
                "WHERE id = :s", s=sid),
            sql("SELECT COUNT(*) FROM summons_log WHERE summons_id = :s", s=sid))


def _seen(sid: int) -> dict:
    (status, dept), = sql("SELECT status, department_code FROM summons WHERE id = :s", s=sid)
    return {"status": status, "department_code": dept}


def went_to(response) -> str | None:  # noqa: ANN001
    """The href the callback sends the page to, if any."""
    for out in (response.get_json() or {}).get("response", {}).values():
        if "href" in out:
            return out["href"]
    return None


# ---------------------------------------------------------------- the list
@pytest.mark.parametrize("username, department", [("liaison", "urban"), ("police", "police")])
def test_the_list_holds_the_departments_open_summons_and_only_those_overdue_first(cockpit, mine, username, department):
    r = Session(cockpit, username).page("/my/summons")
    shown = cards(r)
    assert set(shown) == open_ids(department) and len(shown) == len(set(shown))
    late = late_ids(department)
    assert [i in late for i in shown] == sorted((i in late for i in shown), reverse=True)  # overdue ones first
    assert text_of(node(r, "ms-count-open")) == t("ms.count_open", "zh", n=len(shown))
    if late:
        assert text_of(node(r, "ms-count-late")) == t("ms.count_late", "zh", n=len(late))
    for sid in shown:
        (status,), = sql("SELECT status FROM summons WHERE id = :s", s=sid)
        assert node(r, f"ms-chip-{sid}")["props"]["data-status"] == status
        assert "fo-card-late" in node(r, f"ms-card-{sid}")["props"]["className"] or sid not in late
    others = {i for (i,) in sql("SELECT id FROM summons WHERE department_code <> :d", d=department)}
    assert not set(shown) & others


def test_a_card_says_what_is_due_next_and_how_late(cockpit, mine):
    from pages._whistle_detail import duration

    r = Session(cockpit, "liaison").page("/my/summons")
    late = json.dumps(node(r, f"ms-card-{mine['late_urban']}"), ensure_ascii=False)
    assert t("summons.urgent", "zh") in late and "我的召集late" in late and "fo-late" in late
    (due, missed), = sql("SELECT ack_due_at, (CASE WHEN ack_due_at <= :n THEN 1 ELSE 0 END) + "
                         "(CASE WHEN arrive_due_at <= :n THEN 1 ELSE 0 END) + (CASE WHEN resolve_due_at <= :n THEN 1 "
                         "ELSE 0 END) FROM summons WHERE id = :s", s=mine["late_urban"], n=ts(_now()))
    minutes = (_now() - datetime.fromisoformat(str(due))).total_seconds() / 60
    assert t("ms.overdue.ack", "zh", d=duration(minutes, "zh")) in late  # the step due next, how late
    assert missed >= 1 and late.count("sst-late") == missed  # one red chip per missed deadline (none met)
    fresh = json.dumps(node(r, f"ms-card-{mine['fresh']}"), ensure_ascii=False)
    assert "fo-late" not in fresh and "还剩" in fresh and t("summons.action.acknowledged", "zh") in fresh
    assert node(r, f"ms-card-{mine['fresh']}")["props"]["href"] == f"/my/summons?id={mine['fresh']}&lang=zh"


def test_the_done_tab_lists_the_recently_ended_with_their_rating(cockpit, mine):
    r = Session(cockpit, "liaison").page("/my/summons", "?tab=done")
    expected = [i for (i,) in sql(f"SELECT id FROM summons WHERE department_code = 'urban' AND status IN {ENDED} "
                                  "AND ended_at >= :since ORDER BY ended_at DESC, id DESC",
                                  since=ts(_now() - timedelta(days=30)))]
    assert cards(r) == expected and mine["rated"] in expected
    assert "4/5" in text_of(node(r, f"ms-rating-{mine['rated']}")["props"]["children"])
    assert text_of(node(r, "ms-tab-done")) == t("ms.tab.done", "zh", n=len(expected))
    assert node(r, "ms-list")["props"]["data-tab"] == "done"


def test_bad_url_values_give_a_clear_message(cockpit, mine):
    s = Session(cockpit, "liaison")
    r = s.page("/my/summons", "?tab=lost")
    assert r.status_code == 200 and t("filter.bad_param", "zh", name="tab") in body(r)
    assert set(cards(r)) == open_ids("urban")
    for search in ("?id=abc", "?id=-1", "?id=99999999", "?id=1%20OR%201=1", f"?id={mine['police']}"):
        page = s.page("/my/summons", search)
        assert page.status_code == 200 and has(page, "ms-not-found"), search
        assert not has(page, "ms-ack"), search
    assert t("filter.bad_param", "zh", name="id") in body(s.page("/my/summons", "?id=abc"))


@pytest.mark.parametrize("username", ["duty", "safetyhead", "gridman", "root"])
def test_roles_without_summons_act_are_refused_the_page(cockpit, mine, username):
    r = Session(cockpit, username).page("/my/summons", f"?id={mine['fresh']}")
    assert "access-denied" in body(r) and not has(r, "ms-summons")


# ---------------------------------------------------------------- one summons
def test_one_summons_shows_its_deadlines_the_note_the_other_departments_and_the_timeline(cockpit, mine):
    sid = mine["late_urban"]
    r = Session(cockpit, "liaison").page("/my/summons", f"?id={sid}")
    assert node(r, "ms-status")["props"]["data-status"] == "summoned"
    assert "请城管牵头，公安配合" in text_of(node(r, "ms-whistle-note")["props"]["children"])
    others = sql("SELECT department_code, status FROM summons WHERE whistle_id = :w AND id <> :s",
                 w=mine["late"], s=sid)
    assert others == [("police", "summoned")]
    police = node(r, "ms-other-police")
    assert police["props"]["data-status"] == "summoned" and "公安" in text_of(police["props"]["children"])
    assert "请城管牵头" not in json.dumps(police, ensure_ascii=False)  # names and status only
    (ack_due,), = sql("SELECT ack_due_at FROM summons WHERE id = :s", s=sid)
    assert str(ack_due)[:16] in text_of(node(r, "ms-dl-ack")["props"]["children"])
    assert "超时" in text_of(node(r, "ms-dl-ack")["props"]["children"])  # missed, and by how long
    assert "超时" not in text_of(node(r, "ms-dl-resolve")["props"]["children"])
    log = text_of(node(r, "ms-log-list")["props"]["children"])
    for action, actor in sql("SELECT action, actor FROM summons_log WHERE summons_id = :s", s=sid):
        assert t(f"summons.action.{action}", "zh") in log and actor in log
    for button in ("ms-ack", "ms-contest", "ms-contest-reason"):
        assert has(r, button), button
    assert not has(r, "ms-arrive") and not has(r, "ms-resolve")  # not yet acknowledged
    assert node(r, "ms-seen")["props"]["data"] == {"status": "summoned", "department_code": "urban"}
    assert node(r, "ms-whistle-link")["props"]["href"] == f"/whistles/{mine['late']}"


def test_the_police_liaison_does_not_see_the_urban_summons(cockpit, mine):
    s = Session(cockpit, "police")
    r = s.page("/my/summons", f"?id={mine['late_urban']}")
    assert has(r, "ms-not-found") and "我的召集late" not in body(r)
    own = s.page("/my/summons", f"?id={mine['late_police']}")
    assert node(own, "ms-status")["props"]["data-status"] == "summoned" and has(own, "ms-other-urban")


# ---------------------------------------------------------------- acting
def test_acknowledge_arrive_and_report_the_result_through_the_core(cockpit, mine):
    sid, s = mine["work"], Session(cockpit, "liaison")
    r = _press(s, "ms-ack", sid, _seen(sid))
    assert went_to(r) == f"/my/summons?id={sid}&done=acknowledged&lang=zh"
    assert sql("SELECT status, acknowledged_at IS NOT NULL FROM summons WHERE id = :s", s=sid) == [("acknowledged", 1)]
    page = s.page("/my/summons", f"?id={sid}&done=acknowledged")
    assert has(page, "ms-flash") and has(page, "ms-arrive") and not has(page, "ms-ack")
    r = _press(s, "ms-arrive", sid, _seen(sid))
    assert went_to(r) == f"/my/summons?id={sid}&done=arrived&lang=zh"
    assert sql("SELECT status FROM summons WHERE id = :s", s=sid) == [("on_site",)]
    before = _state(sid)
    for empty in (None, "", "   "):  # the result needs a note: the catalogue's message, nothing changed
        r = _press(s, "ms-resolve", sid, _seen(sid), text_id="ms-note", value=empty)
        assert t("summons.error.note_required", "zh") in body(r) and went_to(r) is None
    assert _state(sid) == before
    r = _press(s, "ms-resolve", sid, _seen(sid), text_id="ms-note", value="已清运完毕")
    assert went_to(r) == f"/my/summons?id={sid}&done=resolved&lang=zh"
    assert sql("SELECT status FROM summons WHERE id = :s", s=sid) == [("resolved",)]
    assert [a for (a,) in sql("SELECT action FROM summons_log WHERE summons_id = :s ORDER BY id", s=sid)] == [
        "summoned", "acknowledged", "arrived", "resolved"]
    assert sql("SELECT note FROM summons_log WHERE summons_id = :s AND action = 'resolved'", s=sid) == [("已清运完毕",)]
    done = s.page("/my/summons", f"?id={sid}")
    assert has(done, "ms-no-actions") and not has(done, "ms-resolve")
    again = _press(s, "ms-resolve", sid, {"status": "on_site", "department_code": "urban"}, text_id="ms-note",
                   value="again")  # a double click from the old page: the conflict, nothing written
    assert went_to(again) == f"/my/summons?id={sid}&error=conflict&lang=zh"
    assert sql("SELECT COUNT(*) FROM summons_log WHERE summons_id = :s", s=sid) == [(4,)]


def test_a_contest_needs_a_reason_and_goes_to_the_township(cockpit, mine):
    sid, s = mine["contest"], Session(cockpit, "liaison")
    before = _state(sid)
    r = _press(s, "ms-contest", sid, _seen(sid), text_id="ms-contest-reason", value="")
    assert t("summons.error.note_required", "zh") in body(r) and _state(sid) == before
    r = _press(s, "ms-contest", sid, _seen(sid), text_id="ms-contest-reason", value="属于住建部门职责")
    assert went_to(r) == f"/my/summons?id={sid}&done=contested&lang=zh"
    assert sql("SELECT status, contest_reason, contest_outcome FROM summons WHERE id = :s", s=sid) == [
        ("contested", "属于住建部门职责", "pending")]
    page = s.page("/my/summons", f"?id={sid}")
    assert "属于住建部门职责" in text_of(node(page, "ms-contest-box")["props"]["children"])
    assert text_of(node(page, "ms-no-actions")) == t("ms.no_actions.contested", "zh")


# ---------------------------------------------------------------- forged requests
@pytest.mark.parametrize("button, text_id", [("ms-ack", None), ("ms-contest", "ms-contest-reason")])
def test_a_forged_callback_on_another_departments_summons_changes_nothing(cockpit, mine, button, text_id):
    sid = mine["late_urban"]  # the urban department's, still summoned
    before, logs = _state(sid), sql("SELECT COUNT(*) FROM summons_log")
    refused = len(audit_rows(cockpit, "whistle.refused"))
    r = _press(Session(cockpit, "police"), button, sid, {"status": "summoned", "department_code": "urban"},
               text_id=text_id, value="forged" if text_id else None)
    assert r.status_code == 200 and t("summons.error.not_found", "zh") in body(r) and went_to(r) is None
    assert _state(sid) == before and sql("SELECT COUNT(*) FROM summons_log") == logs
    rows = audit_rows(cockpit, "whistle.refused")
    assert len(rows) == refused + 1 and rows[-1][0] == "police" and rows[-1][3] == str(sid)
    assert json.loads(rows[-1][4])["reason"] == "scope"


def test_forged_ids_seen_and_roles_change_nothing(cockpit, mine):
    sid = mine["late_urban"]
    before, logs = _state(sid), sql("SELECT COUNT(*) FROM summons_log")
    s = Session(cockpit, "liaison")
    for forged in (99999999, "1 OR 1=1", True, None, [sid]):
        r = _press(s, "ms-ack", forged, {"status": "summoned", "department_code": "urban"})
        assert t("summons.error.not_found", "zh") in body(r) and went_to(r) is None, forged
    for seen in ({"status": "summoned"}, "summoned", {"status": "summoned", "department_code": "police"}):
        r = _press(s, "ms-ack", sid, seen)  # malformed, or not what the page showed: nothing done
        assert went_to(r) in (None, f"/my/summons?id={sid}&error=conflict&lang=zh"), seen
    r = _press(s, "ms-arrive", sid, _seen(sid))  # not acknowledged yet: the core refuses
    assert t("summons.error.refused", "zh") in body(r) and went_to(r) is None
    for username in ("duty", "root", "gridman"):  # no summons.act: no answer at all
        assert _press(Session(cockpit, username), "ms-ack", sid, _seen(sid)).status_code == 204, username
    assert _state(sid) == before and sql("SELECT COUNT(*) FROM summons_log") == logs


@pytest.mark.parametrize("username, offered", [("liaison", True), ("police", True), ("duty", False), ("root", False)])
def test_the_liaison_gets_a_nav_entry(cockpit, username, offered):
    import dash

    from cockpit.auth import can
    from pages._access import PAGE_PERMISSION
    from pages._nav import nav_groups

    user = _user(username)
    groups = nav_groups(dash.page_registry.values(), lambda page: can(user, PAGE_PERMISSION.get(page, "browse")),
                        lambda board: True)
    hrefs = {item.href for g in groups for item in g.items}
    assert ("/my/summons" in hrefs) is offered
    assert ("/review" in hrefs) is (username == "root")
