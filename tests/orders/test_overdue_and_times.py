"""Overdue escalation stepped through with the pinned clock, and MTTA / MTTR against SQL computed in
the test, per board, department and grid."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta

from sqlalchemy import Connection, select

from cockpit.orders import actions, dispatch
from cockpit.orders.metrics import response_times
from cockpit.orders.overdue import escalate_overdue
from cockpit.scope import EVERYTHING, Scope
from cockpit.warehouse.db import engine_for
from cockpit.warehouse.schema import notice, warning, work_order, work_order_log
from tests.orders import builders as ob
from tests.warnings import builders as wb

T0 = ob.T0


def at(minutes: float):  # noqa: ANN201
    return T0 + timedelta(minutes=minutes)


def level(conn: Connection, wid: int) -> str:
    return conn.execute(select(warning.c.level).where(warning.c.id == wid)).scalar()


def test_an_order_not_acknowledged_then_not_resolved_escalates_once_per_deadline(conn: Connection, people: dict) -> None:
    w = ob.warning(conn, level="yellow")  # SAN: ack 60 min, resolve 48 h
    o = dispatch.dispatch_warning(conn, w["id"], people["op"], now=T0)
    assert escalate_overdue(conn, at(59)) == 0
    assert escalate_overdue(conn, at(61)) == 1 and level(conn, w["id"]) == "orange"  # one level
    assert escalate_overdue(conn, at(120)) == 0  # once per deadline
    actions.act(conn, o["id"], "acknowledged", people["wang"], now=at(130))
    assert escalate_overdue(conn, T0 + timedelta(hours=47)) == 0
    assert escalate_overdue(conn, T0 + timedelta(hours=48, minutes=1)) == 1 and level(conn, w["id"]) == "red"
    assert escalate_overdue(conn, T0 + timedelta(hours=60)) == 0
    g = work_order_log.c
    notes = conn.execute(select(g.action, g.actor, g.note).where(g.order_id == o["id"], g.action == "overdue")
                         .order_by(g.id)).all()
    assert [(a, actor) for a, actor, _ in notes] == [("overdue", "rules"), ("overdue", "rules")]
    assert "not acknowledged by 2026-11-23 10:00" in notes[0][2] and "not resolved by 2026-11-25 09:00" in notes[1][2]
    told = conn.execute(select(notice.c.kind, notice.c.recipient).where(notice.c.kind == "overdue")
                        .order_by(notice.c.id)).all()
    assert [tuple(t) for t in told] == [("overdue", "user:wang"), ("overdue", "role:leader")] * 2


def test_a_red_warnings_order_must_be_acknowledged_in_30_minutes_and_done_orders_never_escalate(
        conn: Connection, people: dict) -> None:
    w = ob.warning(conn, level="red", rule="elderly_inactive", category="SRV-ELDERLY", board="services")
    o = dispatch.dispatch_warning(conn, w["id"], people["op"], now=T0)
    assert o["ack_due_at"] == at(30) and o["resolve_due_at"] == T0 + timedelta(hours=24)
    actions.act(conn, o["id"], "acknowledged", people["wang"], now=at(20))
    actions.act(conn, o["id"], "resolved", people["wang"], note="老人外出，已联系家属", now=at(90))
    assert escalate_overdue(conn, T0 + timedelta(days=3)) == 0


def _order(conn: Connection, people: dict, *, grid: str, category: str, board: str, ack: float | None,
           res: float | None, close: bool = True, subject: str) -> int:
    w = ob.warning(conn, grid=grid, category=category, board=board, subject=subject)
    oid = dispatch.dispatch_warning(conn, w["id"], people["op"], now=T0)["id"]
    who = people[{wb.GRID_A11: "wang", wb.GRID_A21: "li", wb.GRID_A22: "li"}[grid]]
    if ack is not None:
        actions.act(conn, oid, "acknowledged", who, now=at(ack))
    if res is not None:
        actions.act(conn, oid, "resolved", who, note="ok", now=at(res))
        if close:
            actions.act(conn, oid, "closed", people["op"], now=at(res + 30))
    return oid


def test_mtta_and_mttr_per_board_department_and_grid_equal_sql_computed_here(conn: Connection, people: dict) -> None:
    cases = [(wb.GRID_A11, "ECO-SANITATION", "economy", 10, 200), (wb.GRID_A11, "ECO-SANITATION", "economy", 30, 400),
             (wb.GRID_A21, "SAF-ORDER", "safety", 70, 600), (wb.GRID_A22, "SAF-ORDER", "safety", 20, None),
             (wb.GRID_A22, "SRV-ELDERLY", "services", None, None)]
    for i, (grid, cat, board, ack, res) in enumerate(cases):
        _order(conn, people, grid=grid, category=cat, board=board, ack=ack, res=res, subject=f"c{i}")
    now = T0 + timedelta(days=3)
    start, end = T0 - timedelta(days=1), T0 + timedelta(days=1)
    for by, column in (("board", "board"), ("department", "department_code"), ("grid", "grid_code")):
        c = work_order.c
        sql = select(c[column], c.created_at, c.acknowledged_at, c.resolved_at, c.status)
        expect: dict[str, dict] = {}
        for key, created, acked, resolved, status in conn.execute(sql):
            e = expect.setdefault(key, {"orders": 0, "ack": [], "res": []})
            e["orders"] += 1
            if acked:
                e["ack"].append((acked - created).total_seconds() / 60)
            if resolved and status in ("resolved", "closed"):
                e["res"].append((resolved - created).total_seconds() / 60)
        got = {r["key"]: r for r in response_times(conn, EVERYTHING, start=start, end=end, now=now, by=by)}
        assert set(got) == set(expect)
        for key, e in expect.items():
            r = got[key]
            assert (r["orders"], r["acknowledged"], r["resolved"]) == (e["orders"], len(e["ack"]), len(e["res"]))
            for name, values in (("mtta_minutes", e["ack"]), ("mttr_minutes", e["res"])):
                assert r[name] == (round(sum(values) / len(values), 1) if values else None)
    (total,) = response_times(conn, EVERYTHING, start=start, end=end, now=now)
    assert (total["orders"], total["mtta_minutes"], total["mttr_minutes"], total["closed"]) == (
        5, round((10 + 30 + 70 + 20) / 4, 1), round((200 + 400 + 600) / 3, 1), 3)
    # late: acknowledged after 60 min (one), and the two never resolved are past their deadlines now
    assert total["overdue"] == 3
    # a scope sees its own: a board head of safety
    (safety,) = response_times(conn, Scope(boards=frozenset({"safety"})), start=start, end=end, now=now)
    assert safety["orders"] == 2
    # the cohort: orders dispatched outside the period are not counted
    assert response_times(conn, EVERYTHING, start=end, end=end + timedelta(days=7), now=now) == []


def test_the_cli_prints_orders_their_timeline_and_the_times(sqlite_url: str, tmp_path) -> None:  # noqa: ANN001
    with engine_for(sqlite_url).begin() as c:
        wb.area_tree(c)
        people = ob.users(c)
        oid = _order(c, people, grid=wb.GRID_A11, category="ECO-SANITATION", board="economy", ack=10, res=200,
                     subject="cli")
    env = {"COCKPIT_WAREHOUSE_URL": sqlite_url, "COCKPIT_NOW": "2026-11-24 12:00", "PATH": "/usr/bin:/bin"}

    def cli(*args: str) -> object:
        out = subprocess.run([sys.executable, "-m", "cockpit", *args, "--json"], env=env, capture_output=True,
                             text=True, check=True)
        return json.loads(out.stdout)

    (listed,) = cli("orders", "list", "--status", "all")
    assert (listed["id"], listed["status"], listed["assignee"], listed["overdue"]) == (oid, "closed", "wang", False)
    shown = cli("orders", "show", str(oid))
    assert [s["action"] for s in shown["timeline"]] == [
        "opened", "dispatched", "dispatched", "acknowledged", "resolved", "order_resolved", "closed", "closed"]
    # the warning's own steps before the order's, and those following the order's steps after them
    assert [s["what"] for s in shown["timeline"]] == ["warning", "warning", "order", "order", "order", "warning",
                                                      "order", "warning"]
    stats = cli("orders", "stats", "--week", "2026-W48", "--by", "grid")
    assert stats["rows"] == [{"key": wb.GRID_A11, "orders": 1, "acknowledged": 1, "mtta_minutes": 10.0, "resolved": 1,
                              "mttr_minutes": 200.0, "closed": 1, "reopened": 0, "overdue": 0}]
    duty = cli("duty", "list")
    assert {"category": "SAF-TRAFFIC", "board": "safety", "sla_hours": 48, "lead": "police",
            "cooperating": ["urban"]} in duty


def test_the_schedulers_escalation_job_escalates_overdue_orders(sqlite_url: str, tmp_path) -> None:  # noqa: ANN001
    import threading

    from cockpit import clock
    from cockpit.config import load_config
    from cockpit.scheduler import run_escalation

    eng = engine_for(sqlite_url)
    with eng.begin() as c:
        wb.area_tree(c)
        people = ob.users(c)
        w = ob.warning(c, level="yellow")
        dispatch.dispatch_warning(c, w["id"], people["op"], now=T0)
    (tmp_path / "cockpit.toml").write_text("", encoding="utf-8")
    config = load_config(tmp_path / "cockpit.toml", env={"COCKPIT_WAREHOUSE_URL": sqlite_url})
    with clock.pinned(at(90)):
        run_escalation(config, eng, threading.Event())
        run_escalation(config, eng, threading.Event())  # once per deadline
    with eng.connect() as c:
        assert level(c, w["id"]) == "orange"
        assert c.execute(select(work_order_log.c.action).where(work_order_log.c.action == "overdue")).all() == [("overdue",)]
