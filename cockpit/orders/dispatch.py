"""Dispatch (派单): a warning, or one or several events (响应受理), becomes a work order routed by the
responsibility list, with its deadlines, and its assignee is notified.

A warning or a set of events has at most one open order (``work_order.open_key`` is unique while the
order is open), and dispatching moves the warning on with the state the operator saw: a double
click, or two operators dispatching the same warning, makes one order and a clear refusal.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from datetime import datetime, timedelta
from typing import Any, Iterable, Mapping

from sqlalchemy import Connection, insert, select
from sqlalchemy.exc import IntegrityError

from cockpit import clock, reference
from cockpit.auth.roles import Account, can
from cockpit.config import DEFAULTS
from cockpit.notify import enqueue
from cockpit.orders.routing import RoutingError, grid_workers, is_department, propose
from cockpit.orders.states import ENDED_STATUSES, NotAllowed, OrderConflict, OrderError, create_order
from cockpit.privacy import mask_text
from cockpit.warehouse.schema import area, category, event, user_account, work_order, work_order_event
from cockpit.warnings import states as warning_states

PROPOSED: Any = object()  # "use the proposed assignee"
DEFAULT_SLA_HOURS = 72  # an order without a category


class DispatchRefused(OrderError):
    key = "order.error.dispatch_refused"


def _category_name(code: str) -> str:
    """The category's Chinese name (an event without a title is shown by it), else its code."""
    try:
        return reference.category(code).name_zh
    except KeyError:
        return code


def order_settings(config: Any = None) -> Mapping[str, Any]:
    """The ``[orders]`` settings of ``config`` (the defaults without one)."""
    return config.settings["orders"] if config is not None else DEFAULTS["orders"]


def deadlines(conn: Connection, category_code: str | None, level: str | None, now: datetime,
              settings: Mapping[str, Any]) -> tuple[datetime, datetime]:
    """(acknowledge by, resolve by): ``orders.ack_minutes`` (``ack_minutes_red`` for a red warning's
    order), and the category's SLA from the list."""
    minutes = settings["ack_minutes_red"] if level == "red" else settings["ack_minutes"]
    sla = conn.execute(select(category.c.sla_hours).where(category.c.code == category_code)).scalar() \
        if category_code else None
    return now + timedelta(minutes=int(minutes)), now + timedelta(hours=int(sla or DEFAULT_SLA_HOURS))


def recipient_of(order: Mapping[str, Any]) -> str:
    """Who is told of the order: its grid worker, else its department's liaisons."""
    return f"user:{order['assignee_user']}" if order.get("assignee_user") else f"department:{order['department_code']}"


def group_of(order: Mapping[str, Any], kind: str, rule: str | None = None) -> str:
    """Notices of one kind, rule (or category) and village go out as one message."""
    return "|".join((kind, rule or order.get("category_code") or "-", order.get("village_code") or "-"))


def assignment(conn: Connection, proposal_dept: str, proposal_user: str | None, grid: str | None,
                department_code: str | None, assignee_user: Any) -> tuple[str, str | None]:
    dept = department_code or proposal_dept
    if not is_department(conn, dept):
        raise RoutingError(f"unknown department {dept!r}")
    user = proposal_user if assignee_user is PROPOSED else (assignee_user or None)
    if user and user not in grid_workers(conn, grid) and assignee_user is not PROPOSED:
        # the operator may pick any grid worker account, but it must be one
        u = user_account.c
        if conn.execute(select(u.id).where(u.username == user, u.role == "grid_worker",
                                           u.disabled.is_(False))).first() is None:
            raise RoutingError(f"{user!r} is not an enabled grid worker account")
    return dept, user


def _check(user: Account | None) -> str:
    if not can(user, "work_order.dispatch"):
        raise NotAllowed("only the command centre (operator, leader) dispatches work orders")
    return user.username  # type: ignore[union-attr]


def _insert(conn: Connection, values: dict[str, Any], actor: str, now: datetime, note: str | None,
            ip: str | None) -> dict:
    try:
        with conn.begin_nested():
            order, _ = create_order(conn, values, actor, now, note=note, ip=ip)
    except IntegrityError:  # the same warning or events dispatched a moment ago
        existing = conn.execute(select(work_order.c.id).where(work_order.c.open_key == values["open_key"])).scalar()
        raise OrderConflict(f"already dispatched as work order {existing}") from None
    return order


def notify_dispatch(conn: Connection, order: Mapping[str, Any], now: datetime, rule: str | None) -> None:
    enqueue(conn, kind="dispatch", recipients=[recipient_of(order)], title=f"新工单 #{order['id']}：{order['title']}",
            group_key=group_of(order, "dispatch", rule), now=now, link=f"/orders/{order['id']}",
            body=f"处置时限 {order['resolve_due_at']:%m-%d %H:%M}", order_id=order["id"],
            warning_id=order.get("warning_id"))


def dispatch_warning(conn: Connection, warning_id: int, user: Account | None, *, department_code: str | None = None,
                     assignee_user: Any = PROPOSED, note: str | None = None,
                     seen: Mapping[str, Any] | None = None, now: datetime | None = None, ip: str | None = None,
                     config: Any = None) -> dict:
    """Make a work order of the warning and move the warning to ``dispatched``; returns the order.

    ``department_code``/``assignee_user``: the operator's choice (default: ``propose``; ``None`` as
    assignee: the department's liaisons). ``seen``: the warning as the operator saw it."""
    actor = _check(user)
    now = now or clock.now()
    w = warning_states.load(conn, warning_id, lock=True)
    if w["status"] not in warning_states.ACTIONS["dispatched"].sources:
        existing = conn.execute(select(work_order.c.id).where(work_order.c.open_key == f"warning:{warning_id}")).scalar()
        if existing:
            raise OrderConflict(f"already dispatched as work order {existing}")
        raise DispatchRefused(f"a {w['status']} warning cannot be dispatched")
    proposal = propose(conn, category_code=w["category_code"], grid_code=w["grid_code"],
                       fallback_department=w["department_code"])
    dept, assignee = assignment(conn, proposal.department_code, proposal.assignee_user, w["grid_code"],
                                 department_code, assignee_user)
    cooperating = proposal.cooperating if dept == proposal.department_code else ()
    ack_due, resolve_due = deadlines(conn, w["category_code"], w["level"], now, order_settings(config))
    values = {"open_key": f"warning:{warning_id}", "warning_id": warning_id, "title": w["title"], "board": w["board"],
              "category_code": w["category_code"], "department_code": dept,
              "cooperating": ",".join(c for c in cooperating if c != dept) or None, "assignee_user": assignee,
              "township_code": w["township_code"], "village_code": w["village_code"], "grid_code": w["grid_code"],
              "lon": w["lon"], "lat": w["lat"], "level": w["level"], "ack_due_at": ack_due,
              "resolve_due_at": resolve_due}
    warning_states.transition(conn, warning_id, "dispatched", actor, now, seen=seen or w, ip=ip,
                              note=(note or "").strip() or None)
    order = _insert(conn, values, actor, now, (note or "").strip() or None, ip)
    notify_dispatch(conn, order, now, w["rule"])
    return order


def dispatch_events(conn: Connection, event_ids: Iterable[int], user: Account | None, *,
                    department_code: str | None = None, assignee_user: Any = PROPOSED, note: str | None = None,
                    now: datetime | None = None, ip: str | None = None, config: Any = None) -> dict:
    """Make one work order of one or several events (响应受理): the category and place of the first,
    the most common category routing it. An event already in an open order is refused."""
    actor = _check(user)
    now = now or clock.now()
    ids = sorted({int(i) for i in event_ids})
    if not ids:
        raise DispatchRefused("no events to dispatch")
    e = event.c
    rows = [dict(r) for r in conn.execute(select(e.id, e.title, e.category_code, e.board, e.department_code, e.grid_code,
                                                 e.village_code, e.address, e.lon, e.lat).where(e.id.in_(ids))
                                          .order_by(e.id)).mappings()]
    if len(rows) != len(ids):
        missing = sorted(set(ids) - {r["id"] for r in rows})
        raise DispatchRefused(f"no such events: {missing}")
    wo, we = work_order.c, work_order_event.c
    taken = conn.execute(select(we.event_id, wo.id).join(work_order, wo.id == we.order_id)
                         .where(we.event_id.in_(ids), wo.status.not_in(ENDED_STATUSES))).first()
    if taken:
        raise OrderConflict(f"event {taken[0]} is already in open work order {taken[1]}")
    cat = Counter(r["category_code"] for r in rows).most_common(1)[0][0]
    first = next(r for r in rows if r["category_code"] == cat)
    proposal = propose(conn, category_code=cat, grid_code=first["grid_code"], fallback_department=first["department_code"])
    dept, assignee = assignment(conn, proposal.department_code, proposal.assignee_user, first["grid_code"],
                                 department_code, assignee_user)
    cooperating = proposal.cooperating if dept == proposal.department_code else ()
    township = conn.execute(select(area.c.parent_code).where(area.c.code == first["village_code"])).scalar() \
        or first["village_code"][:9]
    ack_due, resolve_due = deadlines(conn, cat, None, now, order_settings(config))
    title = (first["title"] or _category_name(cat)) + (f" 等{len(rows)}件" if len(rows) > 1 else "")
    key = "events:" + ",".join(map(str, ids))
    if len(key) > 200:  # many events: their digest (one open order per set still holds)
        key = f"events:{len(ids)}:" + hashlib.sha256(key.encode()).hexdigest()
    values = {"open_key": key, "warning_id": None, "title": mask_text(title)[:200],
              "board": first["board"], "category_code": cat, "department_code": dept,
              "cooperating": ",".join(c for c in cooperating if c != dept) or None, "assignee_user": assignee,
              "township_code": township, "village_code": first["village_code"], "grid_code": first["grid_code"],
              "address": first["address"], "lon": first["lon"], "lat": first["lat"], "level": None,
              "ack_due_at": ack_due, "resolve_due_at": resolve_due}
    order = _insert(conn, values, actor, now, (note or "").strip() or None, ip)
    conn.execute(insert(work_order_event), [{"order_id": order["id"], "event_id": i} for i in ids])
    notify_dispatch(conn, order, now, None)
    return order
