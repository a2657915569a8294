"""The whistle desk ``/whistles``, the blow form and a whistle's page on the real app (Flask test client,
the screens dataset with whistles blown and handled through the core): the counts and the chips
against SQL, the filters and bad URL values, what a department liaison sees, the blow form's
proposal from the responsibility list and its deadlines, the 吹哨 button of the warning and order
pages, blowing and acting through Dash's own requests; and forged requests (without the permission,
a stale page): nothing changed, refusals audited. The desk's reads also on both engines."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import Connection, select, text

from cockpit.i18n import t
from cockpit.whistles.records import WHISTLE_CHOICES
from tests.screens.test_access import Session, audit_rows, body
from tests.screens.test_warning_screens import action_outputs, node, text_of


def sql(query: str, **params):
    """``query`` on the session's warehouse; a time parameter is bound as the warehouse stores times
    (typed), so a deadline equal to the instant compares equal, not by the text of an offset."""
    from datetime import datetime

    from sqlalchemy import DateTime, bindparam

    from pages._common import engine

    q = text(query).bindparams(*(bindparam(k, type_=DateTime()) for k, v in params.items()
                                 if isinstance(v, datetime) and f":{k}" in query))
    with engine().connect() as conn:
        return conn.execute(q, params).all()


def _now():
    from cockpit import clock

    return clock.now()


def _user(name: str):
    from cockpit.auth.users import get_user
    from pages._common import engine

    with engine().connect() as conn:
        return get_user(conn, name)


def listed(response) -> set[int]:
    return {int(m) for m in re.findall(r'"ws-row-(\d+)"', body(response))}


def chips(response) -> dict[int, dict]:
    """Summons id -> the chip's props (data-status, data-department) and its text, on a list page."""
    found: dict[int, dict] = {}

    def walk(n) -> None:  # noqa: ANN001
        if isinstance(n, dict):
            props = n.get("props") if isinstance(n.get("props"), dict) else None
            m = re.fullmatch(r"ws-chip-(\d+)", str(props.get("id", ""))) if props else None
            if m:
                found[int(m.group(1))] = {**props, "text": text_of(props.get("children")),
                                          "late": json.dumps(props.get("children"), ensure_ascii=False).count("sst-late")}
            for v in n.values():
                walk(v)
        elif isinstance(n, list):
            for v in n:
                walk(v)

    walk(r_json(response))
    return found


def r_json(response):
    return response.get_json()


def has(response, component_id: str) -> bool:
    """Whether the page holds the component ``component_id``."""
    return f'"id": "{component_id}"' in json.dumps(response.get_json())


WORKING = "('summoned', 'acknowledged', 'on_site')"


def late_sql(now) -> str:  # noqa: ANN001
    return (f"status IN {WORKING} AND ((acknowledged_at IS NULL AND ack_due_at <= :n) OR "
            "(arrived_at IS NULL AND arrive_due_at <= :n) OR (resolved_at IS NULL AND resolve_due_at <= :n))")


STATUS_SQL = {
    "open": "status = 'open'",
    "all": "1 = 1",
    "overdue": f"status = 'open' AND id IN (SELECT whistle_id FROM summons WHERE {late_sql(None)})",
    "open_contests": "id IN (SELECT whistle_id FROM summons WHERE status = 'contested')",
    "completed": "status = 'completed'",
    "cancelled": "status = 'cancelled'",
}


def whistle_ids(where: str, **params) -> set[int]:
    return {i for (i,) in sql(f"SELECT id FROM whistle WHERE {where}", n=_now(), **params)}


# ---------------------------------------------------------------- whistles on the screens dataset
def _new_warning(key: str, **kw) -> int:  # noqa: ANN003
    """An open warning of its own in the dataset's grid (others' tests may blow on the dataset's warnings)."""
    from pages._common import engine
    from tests.orders import builders as ob

    with engine().begin() as conn:
        return ob.warning(conn, grid="33099900100101", now=kw.pop("now", _now()), subject=f"whistle-screens-{key}",
                          **kw)["id"]


@pytest.fixture(scope="module")
def blown(cockpit) -> dict:
    """Four whistles blown and handled through the core: ``late`` (urgent, 3 h ago, nobody answered),
    ``resolved`` (urban and police; urban acknowledged, arrived, reported its result), ``contested``
    (police contests), ``cancelled`` (on a work order, withdrawn); and ``fresh``, a warning left to blow."""
    from cockpit.whistles.actions import act, cancel_whistle
    from cockpit.whistles.blow import blow_whistle
    from pages._common import engine

    duty, urban, police = _user("duty"), _user("liaison"), _user("police")
    now = _now()
    w_late = _new_warning("late", category="ECO-NOISE", title="夜间施工噪声扰民")
    w_res = _new_warning("resolved", title="村口垃圾堆积")
    w_con = _new_warning("contested", category="SAF-FIRE", board="safety", title="消防通道堵塞")
    fresh = _new_warning("fresh", category="SRV-ELDERLY", board="services", title="独居老人多日未出门")
    (order_id,), = sql("SELECT id FROM work_order WHERE status NOT IN ('closed', 'dismissed') AND id NOT IN "
                       "(SELECT order_id FROM whistle WHERE order_id IS NOT NULL) ORDER BY id LIMIT 1")
    with engine().begin() as conn:
        late = blow_whistle(conn, duty, warning_id=w_late, urgent=True, note="联合处置", now=now - timedelta(hours=3))
        res = blow_whistle(conn, duty, warning_id=w_res, departments=["urban", "police"], now=now - timedelta(minutes=50))
        s_urban = res["summons"][0]
        act(conn, s_urban["id"], "acknowledged", urban, now=now - timedelta(minutes=45))
        act(conn, s_urban["id"], "arrived", urban, now=now - timedelta(minutes=30))
        act(conn, s_urban["id"], "resolved", urban, note="已清理", now=now - timedelta(minutes=10))
        con = blow_whistle(conn, duty, warning_id=w_con, departments=["police"], now=now - timedelta(minutes=20))
        act(conn, con["summons"][0]["id"], "contested", police, note="不属于公安职责", now=now - timedelta(minutes=5))
        can = blow_whistle(conn, duty, order_id=order_id, departments=["urban"], now=now - timedelta(hours=1))
        cancel_whistle(conn, can["id"], duty, note="重复事项", now=now - timedelta(minutes=30))
    return {"late": late["id"], "resolved": res["id"], "contested": con["id"], "cancelled": can["id"],
            "urban_summons": s_urban["id"], "police_summons": res["summons"][1]["id"], "fresh": fresh,
            "late_warning": w_late, "order": order_id}


# ---------------------------------------------------------------- the list
def test_the_counts_rows_and_chips_equal_sql(cockpit, blown):
    from queries._base import clear_cache

    clear_cache()  # other modules write rows of their own into the session's warehouse, some by hand
    s = Session(cockpit, "duty")
    first = s.page("/whistles")
    for status in WHISTLE_CHOICES:
        expected = whistle_ids(STATUS_SQL[status])
        r = first if status == "open" else s.page("/whistles", f"?status={status}")
        assert listed(r) == expected, status
        assert text_of(node(first, f"ws-count-{status}")).endswith(str(len(expected))), status
    assert blown["late"] in whistle_ids(STATUS_SQL["overdue"]) and blown["contested"] in whistle_ids(STATUS_SQL["open_contests"])
    r = s.page("/whistles", "?status=all")
    got = chips(r)
    rows = sql("SELECT id, status, department_code, role, acknowledged_at, arrived_at, resolved_at, "
               f"CASE WHEN status IN {WORKING} AND acknowledged_at IS NULL AND ack_due_at <= :n THEN 1 ELSE 0 END + "
               f"CASE WHEN status IN {WORKING} AND arrived_at IS NULL AND arrive_due_at <= :n THEN 1 ELSE 0 END + "
               f"CASE WHEN status IN {WORKING} AND resolved_at IS NULL AND resolve_due_at <= :n THEN 1 ELSE 0 END "
               "FROM summons", n=_now())
    assert set(got) == {r[0] for r in rows}
    for sid, status, dept, role, *_, late in rows:
        chip = got[sid]
        assert chip["data-status"] == status and chip["data-department"] == dept
        assert t(f"summons.status.{status}", "zh") in chip["text"] and t(f"summons.role.{role}", "zh") in chip["text"]
        assert chip["late"] == late, sid  # one red chip per missed deadline, with how late
    assert got[blown["urban_summons"]]["late"] == 0
    late_chip = next(c for sid, c in got.items() if c["late"])
    assert re.search(r"\d", late_chip["text"].split(t("summons.late.ack", "zh"))[-1])  # how late
    assert "ws-row-late" in json.dumps(node(r, f"ws-row-{blown['late']}")["props"])
    urgent = text_of(node(r, f"ws-row-{blown['late']}")["props"]["children"])
    assert t("summons.urgent", "zh") in urgent and "duty" in urgent


def test_filters_in_the_url_and_bad_values(cockpit, blown):
    s = Session(cockpit, "duty")
    (board,), = sql("SELECT board FROM whistle WHERE id = :i", i=blown["late"])
    assert listed(s.page("/whistles", f"?status=all&board={board}")) == whistle_ids("board = :b", b=board)
    (town,), = sql("SELECT township_code FROM whistle WHERE id = :i", i=blown["late"])
    assert listed(s.page("/whistles", f"?status=all&township={town}")) == whistle_ids("township_code = :t", t=town)
    assert listed(s.page("/whistles", "?status=all&township=330999999")) == set()
    r = s.page("/whistles", "?status=lost&township=%3Cscript%3E&board=nope")
    assert r.status_code == 200
    for name in ("status", "township", "board"):
        assert t("filter.bad_param", "zh", name=name) in body(r), name
    assert "<script>" not in body(r)
    assert listed(r) == whistle_ids(STATUS_SQL["open"])
    for path, search in (("/whistles/abc", ""), ("/whistles/-1", ""), ("/whistles", "?blow=nothing"),
                         ("/whistles", "?blow=warning:abc"), ("/whistles/99999999", ""), ("/whistles", "?id=x")):
        assert s.page(path, search).status_code == 200, (path, search)
    assert t("filter.bad_param", "zh", name="id") in body(s.page("/whistles/abc"))
    assert t("filter.bad_param", "zh", name="blow") in body(s.page("/whistles", "?blow=order:1;drop"))
    assert "ws-not-found" in body(s.page("/whistles/99999999"))
    assert "wb-refused" in body(s.page("/whistles", "?blow=warning:99999999"))


def test_a_department_liaison_sees_only_their_department(cockpit, blown):
    s = Session(cockpit, "liaison")  # urban
    expected = whistle_ids("id IN (SELECT whistle_id FROM summons WHERE department_code = 'urban')")
    r = s.page("/whistles", "?status=all")
    assert listed(r) == expected and blown["resolved"] in expected and blown["contested"] not in expected
    assert {c["data-department"] for c in chips(r).values()} == {"urban"}
    page = s.page(f"/whistles/{blown['resolved']}")
    assert has(page, f"ws-s-{blown['urban_summons']}")
    assert not has(page, f"ws-s-{blown['police_summons']}")  # the police's part is not theirs to see
    assert '"ws-act"' not in body(page) and '"ws-cancel"' not in body(page)  # no township actions
    assert node(page, f"ws-mine-{blown['urban_summons']}")["props"]["href"] == f"/my/summons?id={blown['urban_summons']}"
    assert "ws-not-found" in body(s.page(f"/whistles/{blown['contested']}"))
    assert t("whistle.blow.forbidden", "zh") in body(s.page("/whistles", f"?blow=warning:{blown['fresh']}"))


def test_the_whistle_page_shows_every_summons_and_its_timeline(cockpit, blown):
    r = Session(cockpit, "duty").page(f"/whistles/{blown['resolved']}")
    for (sid,) in sql("SELECT id FROM summons WHERE whistle_id = :w", w=blown["resolved"]):
        timeline = text_of(node(r, f"ws-tl-{sid}")["props"]["children"])
        for action, actor in sql("SELECT action, actor FROM summons_log WHERE summons_id = :s", s=sid):
            assert t(f"summons.action.{action}", "zh") in timeline and actor in timeline
    urban = json.dumps(node(r, f"ws-s-{blown['urban_summons']}"), ensure_ascii=False)
    for action in ("verified", "reopened"):  # the township's actions on a resolved summons
        assert f'"a": "{action}"' in urban
    assert '"a": "closed"' not in urban  # closing is for a summons still in work
    assert t("whistle.on_time", "zh") in urban
    assert node(r, "ws-source-link")["props"]["href"].startswith("/warnings?id=")
    contested = Session(cockpit, "duty").page(f"/whistles/{blown['contested']}")
    assert "不属于公安职责" in body(contested)
    assert {a for a in re.findall(r'"a": "(\w+)"', json.dumps(contested.get_json()))} >= {"contest_accepted",
                                                                                            "contest_rejected"}


# ---------------------------------------------------------------- the blow form and the buttons
def test_the_blow_form_proposes_the_responsibility_lists_departments(cockpit, blown):
    from cockpit.whistles.settings import whistle_settings
    from pages._common import config

    wid = blown["fresh"]
    (cat, own), = sql("SELECT category_code, department_code FROM warning WHERE id = :w", w=wid)
    lead = [d for (d,) in sql("SELECT department_code FROM responsibility WHERE category_code = :c AND role = 'lead'", c=cat)]
    coop = {d for (d,) in sql("SELECT department_code FROM responsibility WHERE category_code = :c AND role <> 'lead'",
                              c=cat)}
    r = Session(cockpit, "duty").page("/whistles", f"?blow=warning:{wid}")
    ticked = node(r, "wb-depts")["props"]["value"]
    assert set(ticked) == set(lead) | {own} | coop and len(ticked) == len(set(ticked))
    assert node(r, "wb-lead")["props"]["value"] == (lead[0] if lead else own) == ticked[0]
    options = {o["value"] for o in node(r, "wb-depts")["props"]["options"]}
    assert options == {c for (c,) in sql("SELECT code FROM department")}
    settings = whistle_settings(config()).for_category(cat)
    assert node(r, "wb-ack")["props"]["value"] == settings["ack_minutes"]
    assert node(r, "wb-arrive")["props"]["value"] == settings["arrive_minutes"]


def test_the_warning_and_order_pages_link_to_blowing_or_to_the_open_whistle(cockpit, blown):
    duty = Session(cockpit, "duty")
    link = node(duty.page("/warnings", f"?id={blown['fresh']}"), "ws-blow-link")
    assert link["props"]["href"] == f"/whistles?blow=warning%3A{blown['fresh']}"
    page = duty.page("/warnings", f"?id={blown['late_warning']}")
    assert not has(page, "ws-blow-link") and node(page, "ws-open-link")["props"]["href"] == f"/whistles/{blown['late']}"
    assert has(duty.page(f"/orders/{blown['order']}"), "ws-blow-link")  # its whistle was cancelled
    for username in ("safetyhead", "gridman", "liaison"):  # no whistle.act: no button
        assert '"ws-blow-link"' not in body(Session(cockpit, username).page("/warnings", f"?id={blown['fresh']}"))
    r = duty.page("/whistles", f"?blow=warning:{blown['late_warning']}")  # already open: the link to it
    assert node(r, "wb-open-link")["props"]["href"] == f"/whistles/{blown['late']}"
    (ended,), = sql("SELECT id FROM warning WHERE status IN ('cleared', 'dismissed', 'closed') ORDER BY id LIMIT 1")
    assert t("whistle.blow.ended", "zh", kind=t("whistle.kind.warning", "zh"), id=ended) in body(
        duty.page("/whistles", f"?blow=warning:{ended}"))


def _blow(s: Session, kind: str, sid, seen, departments, lead, **kw):  # noqa: ANN001, ANN202
    return s.callback(*action_outputs(s, "wb-submit"), [{"id": "wb-submit", "property": "n_clicks", "value": 1}], [
        {"id": "wb-depts", "property": "value", "value": departments},
        {"id": "wb-lead", "property": "value", "value": lead},
        {"id": "wb-urgent", "property": "value", "value": kw.get("urgent", False)},
        {"id": "wb-ack", "property": "value", "value": kw.get("ack", 30)},
        {"id": "wb-arrive", "property": "value", "value": kw.get("arrive", 1440)},
        {"id": "wb-resolve", "property": "value", "value": kw.get("resolve", 48)},
        {"id": "wb-note", "property": "value", "value": kw.get("note", "")},
        {"id": "wb-source-state", "property": "data", "value": {"kind": kind, "id": sid, "seen": seen, "lang": "zh"}}])


def test_blowing_through_the_form_and_a_second_blow_is_a_clear_conflict(cockpit, blown):
    wid = _new_warning("form")
    (status,), = sql("SELECT status FROM warning WHERE id = :w", w=wid)
    s = Session(cockpit, "duty")
    before = sql("SELECT COUNT(*) FROM whistle")[0][0]
    bad = _blow(s, "warning", wid, {"status": status}, ["urban"], "urban", ack=0)
    assert t("whistle.blow.bad_deadline", "zh") in body(bad)
    stale = _blow(s, "warning", wid, {"status": "long gone"}, ["urban"], "urban")
    assert t("summons.error.conflict", "zh") in body(stale)
    refused = _blow(s, "warning", wid, {"status": status}, ["urban"], "urban", ack=600, arrive=60)
    assert t("whistle.error.refused", "zh") in body(refused)  # the core's refusal: deadlines out of order
    assert sql("SELECT COUNT(*) FROM whistle")[0][0] == before
    r = _blow(s, "warning", wid, {"status": status}, ["police", "urban"], "urban", note="请到场", urgent=True)
    (new_id, urgent), = sql("SELECT id, urgent FROM whistle WHERE warning_id = :w", w=wid)
    assert f"/whistles/{new_id}?done=blown" in body(r) and urgent
    assert sql("SELECT department_code, role FROM summons WHERE whistle_id = :w ORDER BY id", w=new_id) == [
        ("urban", "lead"), ("police", "cooperate")]  # the chosen lead first
    again = _blow(s, "warning", wid, {"status": status}, ["urban"], "urban")
    assert t("whistle.blow.already_open", "zh") in body(again) and f"/whistles/{new_id}" in body(again)
    assert sql("SELECT COUNT(*) FROM whistle")[0][0] == before + 1


@pytest.mark.parametrize("username", ["safetyhead", "gridman", "liaison"])
def test_a_forged_blow_without_the_permission_changes_nothing_and_is_audited(cockpit, blown, username):
    wid = blown["fresh"]
    (status,), = sql("SELECT status FROM warning WHERE id = :w", w=wid)
    before, refused = sql("SELECT COUNT(*) FROM whistle"), len(audit_rows(cockpit, "whistle.refused"))
    r = _blow(Session(cockpit, username), "warning", wid, {"status": status}, ["urban"], "urban")
    assert r.status_code == 200 and t("summons.error.not_allowed", "zh") in body(r)
    assert "wb-go" not in json.dumps(r.get_json()["response"])
    assert sql("SELECT COUNT(*) FROM whistle") == before
    rows = audit_rows(cockpit, "whistle.refused")
    assert len(rows) == refused + 1 and rows[-1][0] == username
    assert json.loads(rows[-1][4]) == {"action": "blown", "reason": "permission"}


# ---------------------------------------------------------------- acting on a summons
def _act_output(s: Session) -> str:
    for dep in s.client.get("/_dash-dependencies").get_json():
        if dep["inputs"] and '"ws-act"' in dep["inputs"][0]["id"]:
            return dep["output"]
    raise AssertionError("no summons action callback")


def _act(s: Session, sid, action: str, seen, note: str = "", rating=None):  # noqa: ANN001, ANN202
    def pid(role: str, **extra) -> dict:  # noqa: ANN003
        return {"role": role, "s": sid, **extra}

    button = pid("ws-act", a=action)
    body_ = {"output": _act_output(s),
             "outputs": [{"id": pid("ws-msg"), "property": "children"}, {"id": pid("ws-go"), "property": "href"}],
             "inputs": [[{"id": button, "property": "n_clicks", "value": 1}]],
             "state": [{"id": pid("ws-note"), "property": "value", "value": note},
                       {"id": pid("ws-rating"), "property": "value", "value": rating},
                       {"id": pid("ws-seen"), "property": "data", "value": seen},
                       {"id": "ws-lang", "property": "data", "value": "zh"}],
             "changedPropIds": [json.dumps(button, sort_keys=True, separators=(",", ":")) + ".n_clicks"]}
    return s.client.post("/_dash-update-component", json=body_, headers={"X-CSRFToken": s.csrf})


def _summons_state(sid: int):
    return (sql("SELECT status, rating, updated_at FROM summons WHERE id = :s", s=sid),
            sql("SELECT COUNT(*) FROM summons_log WHERE summons_id = :s", s=sid))


@pytest.mark.parametrize("username", ["liaison", "police", "safetyhead", "gridman"])
def test_a_forged_township_action_changes_nothing(cockpit, blown, username):
    sid = blown["urban_summons"]
    before = _summons_state(sid)
    r = _act(Session(cockpit, username), sid, "verified", {"status": "resolved", "department_code": "urban"}, rating=5)
    assert r.status_code == 200
    assert t("summons.error.not_allowed", "zh") in body(r) or t("summons.error.not_found", "zh") in body(r)
    assert "ws-go" not in json.dumps(r.get_json()["response"])
    assert _summons_state(sid) == before


def test_a_stale_page_gets_the_conflict_and_a_rating_is_required(cockpit, blown):
    s = Session(cockpit, "duty")
    sid = blown["urban_summons"]
    before = _summons_state(sid)
    stale = _act(s, sid, "verified", {"status": "on_site", "department_code": "urban"}, rating=4)
    assert f"/whistles/{blown['resolved']}?error=conflict" in body(stale)
    unrated = _act(s, sid, "verified", {"status": "resolved", "department_code": "urban"})
    assert t("summons.error.rating_required", "zh") in body(unrated)
    no_note = _act(s, sid, "reopened", {"status": "resolved", "department_code": "urban"})
    assert t("summons.error.note_required", "zh") in body(no_note)
    assert _summons_state(sid) == before
    for forged in (99999999, "1 OR 1=1", True):
        assert t("summons.error.not_found", "zh") in body(_act(s, forged, "verified", {}, rating=5)), forged
    kiosk = _act(Session(cockpit, "kiosk"), sid, "verified", {"status": "resolved", "department_code": "urban"}, rating=5)
    assert kiosk.status_code == 204  # the kiosk may not even open the page: no answer
    assert _summons_state(sid) == before


def test_the_township_verifies_and_rates_a_resolved_summons(cockpit, blown):
    from cockpit.whistles.actions import act
    from cockpit.whistles.blow import blow_whistle
    from pages._common import engine

    wid = _new_warning("verify")
    with engine().begin() as conn:  # a whistle of its own: the other tests' summons stay as they are
        w = blow_whistle(conn, _user("duty"), warning_id=wid, departments=["urban"], now=_now())
        sid = w["summons"][0]["id"]
        for action in ("acknowledged", "arrived", "resolved"):
            act(conn, sid, action, _user("liaison"), note="已处理" if action == "resolved" else None, now=_now())
    s = Session(cockpit, "duty")
    r = _act(s, sid, "verified", {"status": "resolved", "department_code": "urban"}, note="处置及时", rating=5)
    assert f"/whistles/{w['id']}?done=verified" in body(r)
    assert sql("SELECT status, rating, rating_comment FROM summons WHERE id = :s", s=sid) == [("verified", 5, "处置及时")]
    assert sql("SELECT status FROM whistle WHERE id = :w", w=w["id"]) == [("completed",)]  # its only summons ended
    page = s.page(f"/whistles/{w['id']}", "?done=verified")
    assert "ws-flash" in body(page) and "5/5" in text_of(node(page, f"ws-rating-{sid}")["props"]["children"])
    again = _act(s, sid, "verified", {"status": "resolved", "department_code": "urban"}, rating=5)  # a double click
    assert f"/whistles/{w['id']}?error=conflict" in body(again)
    assert sql("SELECT COUNT(*) FROM summons_log WHERE summons_id = :s AND action = 'verified'", s=sid) == [(1,)]


# ---------------------------------------------------------------- the reads on both engines
@pytest.fixture
def conn(db_url: str):
    from cockpit.warehouse.db import engine_for
    from tests.warnings import builders as wb

    with engine_for(db_url).begin() as c:
        wb.area_tree(c)
        yield c


def test_the_desk_reads_equal_sql_on_both_engines(conn: Connection) -> None:
    from cockpit.auth.roles import scope_for
    from cockpit.scope import EVERYTHING
    from cockpit.warehouse.schema import summons, whistle
    from cockpit.whistles.actions import act
    from cockpit.whistles.blow import blow_whistle
    from queries import whistles as qwh
    from queries._base import clear_cache
    from tests.orders import builders as ob

    clear_cache()
    people = ob.users(conn)
    t0, now = ob.T0, ob.T0 + timedelta(hours=5)
    a = blow_whistle(conn, people["op"], warning_id=ob.warning(conn)["id"], departments=["urban", "police"], now=t0)
    b = blow_whistle(conn, people["op"], warning_id=ob.warning(conn, grid="33099900100102", category="SAF-FIRE",
                                                               board="safety")["id"], departments=["police"],
                     now=t0 + timedelta(hours=4, minutes=50))
    act(conn, a["summons"][0]["id"], "acknowledged", people["zhao"], now=t0 + timedelta(minutes=10))
    act(conn, b["summons"][0]["id"], "contested", people["qian"], note="不是我们", now=t0 + timedelta(hours=4, minutes=55))
    f = qwh.WhistleFilters(status="all")
    counts = qwh.whistle_counts(conn, EVERYTHING, f, now=now)
    late = conn.execute(select(summons.c.whistle_id).where(summons.c.status.in_(("summoned", "acknowledged", "on_site")),
                                                           summons.c.ack_due_at <= now, summons.c.acknowledged_at.is_(None))
                        ).scalars().all()
    assert counts == {"open": 2, "all": 2, "overdue": len(set(late)), "open_contests": 1, "completed": 0, "cancelled": 0}
    assert set(late) == {a["id"]}  # police never acknowledged whistle a
    rows = qwh.whistle_list(conn, EVERYTHING, f, now=now)
    assert [r["id"] for r in rows] == [b["id"], a["id"]]  # newest first
    assert [(x["department_code"], x["late"]) for x in rows[1]["summons"]] == [("urban", []), ("police", ["ack"])]
    safety = qwh.whistle_list(conn, EVERYTHING, qwh.WhistleFilters(status="all", board="safety"), now=now)
    assert [r["id"] for r in safety] == [b["id"]]
    mine = qwh.whistle_list(conn, scope_for(people["zhao"]), f, now=now)  # the urban liaison
    assert [r["id"] for r in mine] == [a["id"]] and [x["department_code"] for x in mine[0]["summons"]] == ["urban"]
    assert qwh.whistle_detail(conn, scope_for(people["zhao"]), b["id"], now=now) is None
    d = qwh.whistle_detail(conn, EVERYTHING, a["id"], now=now)
    assert [x["action"] for x in d["summons"][0]["log"]] == ["summoned", "acknowledged"]
    assert d["source"]["kind"] == "warning" and d["seen"] == {"status": "open"}
    assert qwh.open_whistle_of(conn, EVERYTHING, warning_id=a["warning_id"]) == a["id"]
    p = qwh.blow_proposal(conn, "warning", a["warning_id"], now=now)
    assert p["open_whistle"] == a["id"]
    n = conn.execute(select(whistle.c.id)).scalars().all()
    assert sorted(n) == sorted([a["id"], b["id"]])
    assert qwh.parse_whistle_filters({"status": "x", "board": "safety"}) == (qwh.WhistleFilters(board="safety"), ["status"])
    assert qwh.parse_blow("order:12") == ("order", 12) and qwh.parse_blow("order:-1") is None
    clear_cache()


def test_a_changed_filter_becomes_the_url(cockpit):
    s = Session(cockpit, "duty")
    output = next(d["output"] for d in s.client.get("/_dash-dependencies").get_json()
                  if d["inputs"] and '"whfilter"' in d["inputs"][0]["id"])
    ids = [{"key": k, "role": "whfilter"} for k in ("status", "township", "board")]
    board = {"id": ids[2], "property": "value"}
    r = s.client.post("/_dash-update-component", headers={"X-CSRFToken": s.csrf}, json={
        "output": output, "outputs": {"id": "wl-go", "property": "href"},
        "inputs": [[{**board, "id": i, "value": v} for i, v in zip(ids, ("all", "", "safety"))]],
        "state": [{"id": "wl-state", "property": "data", "value": {"query": {"status": "overdue"}, "lang": "en"}}],
        "changedPropIds": [json.dumps(ids[2], sort_keys=True, separators=(",", ":")) + ".value"]})
    assert r.get_json()["response"]["wl-go"]["href"] == "/whistles?status=all&board=safety&lang=en"
