"""Work orders as the core keeps them, scoped: the lists (the desk's, a person's own), one order with
its log, photos, events and the timeline from its warning to its closing. The CLI and the screens
(through ``queries.orders``) read them here; every read takes the viewer's ``Scope``."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, case, or_, select

from cockpit.auth.roles import DEPARTMENT_LIAISON, GRID_WORKER, Account
from cockpit.orders.access import visible
from cockpit.orders.states import ENDED_STATUSES, STATUSES, WORKING_STATUSES
from cockpit.scope import Scope
from cockpit.warehouse.schema import (
    event,
    warning,
    warning_evidence,
    warning_history,
    work_order,
    work_order_event,
    work_order_log,
    work_order_photo,
)

STATUS_CHOICES: tuple[str, ...] = ("open", "all", "overdue") + STATUSES
_c = work_order.c


def overdue_clause(now: datetime):  # noqa: ANN201 - a SQL condition
    """Still to do and past a deadline: not acknowledged by its time, or not resolved by its time."""
    return and_(_c.status.in_(WORKING_STATUSES),
                or_(and_(_c.status == "dispatched", _c.ack_due_at <= now), _c.resolve_due_at <= now))


def is_overdue(order: dict[str, Any], now: datetime) -> bool:
    if order["status"] not in WORKING_STATUSES:
        return False
    return order["resolve_due_at"] <= now or (order["status"] == "dispatched" and order["ack_due_at"] <= now)


def list_orders(conn: Connection, scope: Scope, *, now: datetime, status: str = "open", board: str | None = None,
                department: str | None = None, area: str | None = None, assignee: str | None = None,
                category: str | None = None, since: datetime | None = None, until: datetime | None = None,
                limit: int = 200) -> list[dict[str, Any]]:
    """Orders in scope, overdue first, then the newest. ``status``: open (not ended), all, overdue,
    or one status; ``area``: a township, village or grid code; ``since``/``until``: dispatched in
    ``[since, until)``."""
    stmt = select(work_order).where(visible(scope))
    if status == "open":
        stmt = stmt.where(_c.status.not_in(ENDED_STATUSES))
    elif status == "overdue":
        stmt = stmt.where(overdue_clause(now))
    elif status != "all":
        stmt = stmt.where(_c.status == status)
    if board:
        stmt = stmt.where(_c.board == board)
    if department:
        stmt = stmt.where(_c.department_code == department)
    if area:
        stmt = stmt.where(_c.grid_code.startswith(area))
    if assignee:
        stmt = stmt.where(_c.assignee_user == assignee)
    if category:
        stmt = stmt.where(_c.category_code == category)
    if since:
        stmt = stmt.where(_c.created_at >= since)
    if until:
        stmt = stmt.where(_c.created_at < until)
    late = case((overdue_clause(now), 0), else_=1)
    stmt = stmt.order_by(late, _c.created_at.desc(), _c.id.desc()).limit(max(0, limit))
    return [dict(r) for r in conn.execute(stmt).mappings()]


def my_orders(conn: Connection, user: Account, scope: Scope, *, now: datetime, include_ended_hours: int = 72,
              limit: int = 100) -> list[dict[str, Any]]:
    """A grid worker's or a liaison's own orders: the open ones assigned to them, overdue first, then
    the newest; then those they finished in the last ``include_ended_hours`` (resolved, closed)."""
    if user.role == GRID_WORKER:
        mine = _c.assignee_user == user.username
    elif user.role == DEPARTMENT_LIAISON:
        mine = and_(_c.assignee_user.is_(None), _c.department_code == (user.department_code or ""))
    else:
        return []
    recent = now - timedelta(hours=include_ended_hours)
    stmt = (select(work_order).where(visible(scope), mine,
                                     or_(_c.status.not_in(ENDED_STATUSES), _c.updated_at >= recent))
            .order_by(case((overdue_clause(now), 0), (_c.status.in_(WORKING_STATUSES), 1), else_=2),
                      _c.created_at.desc(), _c.id.desc()).limit(limit))
    return [dict(r) for r in conn.execute(stmt).mappings()]


def get_order(conn: Connection, order_id: int, scope: Scope) -> dict[str, Any] | None:
    """The order if it exists and ``scope`` may see it."""
    row = conn.execute(select(work_order).where(_c.id == order_id, visible(scope))).mappings().first()
    return dict(row) if row else None


def log_of(conn: Connection, order_id: int) -> list[dict[str, Any]]:
    """The order's log, oldest first."""
    g = work_order_log.c
    return [dict(r) for r in conn.execute(select(work_order_log).where(g.order_id == order_id).order_by(g.id)).mappings()]


def photos_of(conn: Connection, order_id: int) -> list[dict[str, Any]]:
    """The photos' metadata (not their bytes), with the log row each was reported with."""
    p = work_order_photo.c
    return [dict(r) for r in conn.execute(select(p.id, p.log_id, p.content_type, p.bytes, p.width, p.height,
                                                 p.uploaded_by, p.uploaded_at).where(p.order_id == order_id)
                                          .order_by(p.id)).mappings()]


def events_of(conn: Connection, order: dict[str, Any], limit: int = 50) -> list[dict[str, Any]]:
    """The events behind the order: those it was made from, or its warning's event evidence."""
    e = event.c
    cols = (e.id, e.reported_at, e.channel, e.category_code, e.title, e.address, e.grid_code, e.reporter_masked)
    if order.get("warning_id"):
        ev = warning_evidence.c
        ids = select(ev.row_id).where(ev.warning_id == order["warning_id"], ev.fact == "event")
    else:
        ids = select(work_order_event.c.event_id).where(work_order_event.c.order_id == order["id"])
    return [dict(r) for r in conn.execute(select(*cols).where(e.id.in_(ids)).order_by(e.reported_at.desc())
                                          .limit(limit)).mappings()]


def evidence_count(conn: Connection, order: dict[str, Any]) -> int:
    if order.get("warning_id"):
        return int(conn.execute(select(warning.c.evidence_count).where(warning.c.id == order["warning_id"])).scalar() or 0)
    return len(events_of(conn, order, limit=10_000))


# a warning's entry written after (in the same transaction as) its order's entry of this action
_FOLLOWS = {"order_resolved": "resolved", "order_reopened": "reopened", "closed": "closed", "dismissed": "dismissed",
            "order_overdue": "overdue"}


def timeline(conn: Connection, order: dict[str, Any]) -> list[dict[str, Any]]:
    """From the warning to the closing: the warning's history and the order's log, merged by time.
    At the same instant, a warning's entry that follows an order's step (its result, its closing …)
    comes after that step, and any other (opened, dispatched) before. Each entry: at, what
    ("warning" | "order"), action, actor, from_status, to_status, note (and level for the warning's)."""
    warning_rows: list[dict[str, Any]] = []
    if order.get("warning_id"):
        h = warning_history.c
        warning_rows = [{**dict(r), "what": "warning"} for r in conn.execute(
            select(h.id, h.at, h.action, h.actor, h.from_status, h.to_status, h.to_level, h.note)
            .where(h.warning_id == order["warning_id"]).order_by(h.id)).mappings()]
    order_rows = [{"id": r["id"], "at": r["at"], "action": r["action"], "actor": r["actor"],
                   "from_status": r["from_status"], "to_status": r["to_status"], "to_level": None, "note": r["note"],
                   "what": "order", "department_code": r["department_code"], "assignee_user": r["assignee_user"]}
                  for r in log_of(conn, order["id"])]
    out: list[dict[str, Any]] = []
    i = j = 0
    while i < len(warning_rows) or j < len(order_rows):
        if j == len(order_rows):
            take_order = False
        elif i == len(warning_rows):
            take_order = True
        else:
            w, o = warning_rows[i], order_rows[j]
            if w["at"] != o["at"]:
                take_order = o["at"] < w["at"]
            else:
                step = _FOLLOWS.get(w["action"])
                take_order = step is not None and any(
                    r["at"] == w["at"] and r["action"] == step for r in order_rows[j:])
        if take_order:
            out.append(order_rows[j])
            j += 1
        else:
            out.append(warning_rows[i])
            i += 1
    return out
