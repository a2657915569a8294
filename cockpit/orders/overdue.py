"""Overdue work orders (SPEC §9, rule "overdue"): an order not acknowledged by its deadline escalates
its warning one level; one not resolved by its deadline takes its warning to red. Each escalates once
per missed deadline (``ack_overdue_at``, ``resolve_overdue_at``); the order's log records it
(``overdue``), and its assignee and the leaders are told. Runs in the scheduler's escalation job
(every ``scheduler.escalation_minutes``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, and_, or_, select

from cockpit.notify import enqueue
from cockpit.orders.dispatch import group_of, recipient_of
from cockpit.orders.states import ENGINE_ACTOR, WORKING_STATUSES, OrderConflict, transition
from cockpit.warehouse.schema import work_order
from cockpit.warnings import states as warning_states
from cockpit.warnings.levels import step_up


def _raise_warning(conn: Connection, warning_id: int | None, level: str | None, now: datetime, note: str) -> None:
    if not warning_id:
        return
    w = warning_states.load(conn, warning_id, lock=True)
    new = level or step_up(w["level"])
    if w["status"] in warning_states.ACTIONS["order_overdue"].sources and new != w["level"]:
        warning_states.transition(conn, warning_id, "order_overdue", ENGINE_ACTOR, now, seen=w, level=new, note=note)


def escalate_overdue(conn: Connection, now: datetime) -> int:
    """Escalate every order past a deadline it has not escalated for; returns the escalations made."""
    c = work_order.c
    due = conn.execute(select(work_order).where(c.status.in_(WORKING_STATUSES), or_(
        and_(c.status == "dispatched", c.ack_due_at <= now, c.ack_overdue_at.is_(None)),
        and_(c.resolve_due_at <= now, c.resolve_overdue_at.is_(None)))).order_by(c.id)).mappings().all()
    done = 0
    for order in due:
        order = dict(order)
        resolve_missed = order["resolve_due_at"] <= now and order["resolve_overdue_at"] is None
        if resolve_missed:
            columns = {"resolve_overdue_at": now}
            if order["status"] == "dispatched" and order["ack_overdue_at"] is None:
                columns["ack_overdue_at"] = now  # both missed at once: one escalation, to red
            note = f"not resolved by {order['resolve_due_at']:%Y-%m-%d %H:%M}"
        else:
            columns = {"ack_overdue_at": now}
            note = f"not acknowledged by {order['ack_due_at']:%Y-%m-%d %H:%M}"
        try:
            with conn.begin_nested():
                after, _ = transition(conn, order["id"], "overdue", ENGINE_ACTOR, now, seen=order, note=note,
                                      columns=columns)
                _raise_warning(conn, order["warning_id"], "red" if resolve_missed else None, now,
                               f"work order {order['id']}: {note}")
                enqueue(conn, kind="overdue", recipients=[recipient_of(after), "role:leader"],
                        title=f"工单超时 #{after['id']}：{after['title']}", body=note,
                        group_key=group_of(after, "overdue"), now=now, link=f"/orders/{after['id']}",
                        order_id=after["id"], warning_id=after["warning_id"])
        except OrderConflict:  # someone acted on it just now: the next run looks again
            continue
        done += 1
    return done
