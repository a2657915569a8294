"""A work order's life through the one ``transition`` path: every change writes its log row and its
audit row; the log replays to the current state; forbidden changes are refused with a clear message;
the log is append-only in the database; two people at once: one wins; a double click dispatches once;
the warning follows its order."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import Connection, delete, func, select, text, update
from sqlalchemy.exc import DBAPIError

from cockpit.auth.users import get_user
from cockpit.orders import actions, dispatch
from cockpit.orders.states import (
    ACTIONS,
    NoteRequired,
    NotAllowed,
    OrderConflict,
    TransitionRefused,
    state_from_log,
)
from cockpit.warehouse.db import engine_for
from cockpit.warehouse.schema import audit_log, notice, warning, work_order, work_order_log
from tests.orders import builders as ob
from tests.warnings import builders as wb

T0 = ob.T0


def at(minutes: float):  # noqa: ANN201
    return T0 + timedelta(minutes=minutes)


def log(conn: Connection, oid: int) -> list[tuple]:
    g = work_order_log.c
    return [tuple(r) for r in conn.execute(select(g.action, g.actor, g.from_status, g.to_status)
                                           .where(g.order_id == oid).order_by(g.id))]


def row(conn: Connection, oid: int) -> dict:
    return dict(conn.execute(select(work_order).where(work_order.c.id == oid)).mappings().one())


def assert_replays(conn: Connection, oid: int) -> None:
    o = row(conn, oid)
    assert state_from_log(conn, oid) == {k: o[k] for k in ("status", "department_code", "assignee_user")}


def test_the_whole_loop_writes_one_log_row_and_one_audit_row_per_change(conn: Connection, people: dict) -> None:
    w = ob.warning(conn)
    o = dispatch.dispatch_warning(conn, w["id"], people["op"], note="请尽快处理", now=T0)
    oid = o["id"]
    steps = [("acknowledged", "wang", None, 10), ("arrived", "wang", None, 40),
             ("resolved", "wang", "已清理", 180), ("reopened", "op", "仍有垃圾", 200),
             ("arrived", "wang", None, 230), ("resolved", "wang", "已彻底清理", 300), ("closed", "op", None, 360)]
    for action, who, note, minutes in steps:
        actions.act(conn, oid, action, people[who], note=note, now=at(minutes))
        assert_replays(conn, oid)
    assert log(conn, oid) == [
        ("dispatched", "op", None, "dispatched"), ("acknowledged", "wang", "dispatched", "acknowledged"),
        ("arrived", "wang", "acknowledged", "on_site"), ("resolved", "wang", "on_site", "resolved"),
        ("reopened", "op", "resolved", "acknowledged"), ("arrived", "wang", "acknowledged", "on_site"),
        ("resolved", "wang", "on_site", "resolved"), ("closed", "op", "resolved", "closed")]
    audits = conn.execute(select(audit_log.c.action).where(audit_log.c.obj_type == "work_order",
                                                           audit_log.c.obj_id == str(oid)).order_by(audit_log.c.id))
    assert audits.scalars().all() == [ACTIONS[a].audit_action for a, *_ in log(conn, oid)]
    o = row(conn, oid)
    assert (o["acknowledged_at"], o["resolved_at"], o["closed_at"], o["reopen_count"], o["open_key"]) == (
        at(10), at(300), at(360), 1, None)
    # the warning followed: dispatched → resolved → dispatched (返工) → resolved → closed
    hist = conn.execute(text("SELECT action, to_status FROM warning_history WHERE warning_id = :w ORDER BY id"),
                        {"w": w["id"]}).all()
    assert [tuple(h) for h in hist] == [("opened", "new"), ("dispatched", "dispatched"),
                                        ("order_resolved", "resolved"), ("order_reopened", "dispatched"),
                                        ("order_resolved", "resolved"), ("closed", "closed")]
    assert conn.execute(select(warning.c.open_fingerprint).where(warning.c.id == w["id"])).scalar() is None


def test_forbidden_changes_are_refused_with_a_clear_message_and_change_nothing(conn: Connection, people: dict) -> None:
    o = dispatch.dispatch_warning(conn, ob.warning(conn)["id"], people["op"], now=T0)
    oid = o["id"]
    with pytest.raises(TransitionRefused, match="a dispatched work order cannot be closed"):
        actions.act(conn, oid, "closed", people["op"], now=at(1))
    with pytest.raises(TransitionRefused, match="cannot be arrived"):
        actions.act(conn, oid, "arrived", people["wang"], now=at(1))
    with pytest.raises(NoteRequired):
        actions.act(conn, oid, "returned", people["wang"], note="  ", now=at(1))
    with pytest.raises(TransitionRefused, match="unknown action"):
        actions.act(conn, oid, "overdue", people["op"], now=at(1))  # the engine's, never a person's
    # the wrong person: another grid worker, a liaison while a grid worker holds it, an operator doing
    # the assignee's part, a grid worker doing the township's, a board head, the admin
    for who, action in (("li", "acknowledged"), ("zhao", "acknowledged"), ("op", "acknowledged"),
                        ("wang", "dismissed"), ("safehead", "closed"), ("root", "acknowledged"), (None, "acknowledged")):
        with pytest.raises(NotAllowed):
            actions.act(conn, oid, action, people.get(who), note="x", now=at(1))
    assert log(conn, oid) == [("dispatched", "op", None, "dispatched")]


def test_returned_then_rerouted_to_the_right_department(conn: Connection, people: dict) -> None:
    w = ob.warning(conn, grid=wb.GRID_B11, category="SAF-STALL", board="safety")  # no grid worker: urban's
    oid = dispatch.dispatch_warning(conn, w["id"], people["op"], now=T0)["id"]
    actions.act(conn, oid, "acknowledged", people["zhao"], now=at(5))
    actions.act(conn, oid, "returned", people["zhao"], note="非本部门职责：属市场监管", now=at(30))
    with pytest.raises(TransitionRefused, match="a returned work order cannot be resolved"):
        actions.act(conn, oid, "resolved", people["zhao"], note="x", now=at(31))
    o = actions.act(conn, oid, "rerouted", people["op"], department_code="market", assignee_user=None, now=at(40))
    assert (o["status"], o["department_code"], o["return_count"], o["acknowledged_at"]) == ("dispatched", "market", 1, None)
    assert o["ack_due_at"] == at(40 + 60) and o["resolve_due_at"] == at(40) + timedelta(hours=48)
    assert_replays(conn, oid)
    recipients = conn.execute(select(notice.c.recipient).where(notice.c.order_id == oid).order_by(notice.c.id))
    assert recipients.scalars().all() == ["department:urban", "department:market"]


def test_dismissing_an_order_needs_a_reason_and_ends_its_warning(conn: Connection, people: dict) -> None:
    w = ob.warning(conn)
    oid = dispatch.dispatch_warning(conn, w["id"], people["op"], now=T0)["id"]
    with pytest.raises(NoteRequired):
        actions.act(conn, oid, "dismissed", people["op"], now=at(1))
    actions.act(conn, oid, "dismissed", people["op"], note="重复工单", now=at(2))
    assert conn.execute(select(warning.c.status).where(warning.c.id == w["id"])).scalar() == "dismissed"
    assert row(conn, oid)["ended_at"] == at(2)


def test_a_double_click_dispatches_once(conn: Connection, people: dict) -> None:
    w = ob.warning(conn)
    seen = {"status": "new", "level": "orange", "silence_id": None}
    o = dispatch.dispatch_warning(conn, w["id"], people["op"], seen=seen, now=T0)
    for user in (people["op"], people["boss"]):  # the same click again, or a second operator
        with pytest.raises(OrderConflict, match=f"already dispatched as work order {o['id']}"):
            dispatch.dispatch_warning(conn, w["id"], user, seen=seen, now=T0)
    assert conn.execute(select(func.count()).select_from(work_order)).scalar() == 1
    with pytest.raises(NotAllowed):
        dispatch.dispatch_warning(conn, ob.warning(conn, subject="other")["id"], people["wang"], now=T0)


def test_events_become_one_order_and_an_event_cannot_be_in_two_open_orders(conn: Connection, people: dict) -> None:
    ids = [wb.event(conn, reported_at=at(-60 * i), category_code="SAF-STALL", board="safety",
                    department_code="urban") for i in (1, 2)]
    o = dispatch.dispatch_events(conn, ids, people["op"], now=T0)
    assert (o["category_code"], o["department_code"], o["assignee_user"], o["open_key"]) == (
        "SAF-STALL", "urban", "wang", f"events:{ids[0]},{ids[1]}")
    with pytest.raises(OrderConflict, match=f"event {ids[0]} is already in open work order {o['id']}"):
        dispatch.dispatch_events(conn, ids[:1], people["op"], now=T0)


def test_the_log_is_append_only(db_url: str) -> None:
    eng = engine_for(db_url)
    with eng.begin() as c:
        wb.area_tree(c)
        people = ob.users(c)
        dispatch.dispatch_warning(c, ob.warning(c)["id"], people["op"], now=T0)
    for stmt in (update(work_order_log).values(actor="someone"), delete(work_order_log)):
        with pytest.raises(DBAPIError, match="append-only"):
            with eng.begin() as c:
                c.execute(stmt)
    if eng.dialect.name == "postgresql":
        with pytest.raises(DBAPIError, match="append-only"):
            with eng.begin() as c:
                c.execute(text("TRUNCATE work_order_log CASCADE"))
    with eng.connect() as c:
        assert c.execute(select(work_order_log.c.actor)).scalars().all() == ["op"]


def test_two_people_acting_at_once_one_wins_the_other_is_told(db_url: str) -> None:
    eng = engine_for(db_url)
    with eng.begin() as c:
        wb.area_tree(c)
        ob.users(c)
        op = get_user(c, "op")
        o = dispatch.dispatch_warning(c, ob.warning(c)["id"], op, now=T0)
    seen = {"status": o["status"], "department_code": o["department_code"], "assignee_user": o["assignee_user"]}
    barrier, results = threading.Barrier(2), []

    def worker(who: str, action: str, kw: dict) -> None:
        with eng.connect() as c:
            user = get_user(c, who)
            c.rollback()  # end the read, so the change below is a transaction of its own
            barrier.wait()
            try:
                with c.begin():
                    actions.act(c, o["id"], action, user, seen=seen, now=at(5), **kw)
                results.append((who, "ok"))
            except OrderConflict as exc:
                results.append((who, exc.key))

    threads = [threading.Thread(target=worker, args=("wang", "acknowledged", {})),
               threading.Thread(target=worker, args=("op", "dismissed", {"note": "重复"}))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(r[1] for r in results) == ["ok", "order.error.conflict"]
    with eng.connect() as c:
        assert len(log(c, o["id"])) == 2
        assert_replays(c, o["id"])
