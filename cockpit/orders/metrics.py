"""MTTA and MTTR of work orders (SPEC §9), per board, department, village, grid or the whole scope.

Over the orders dispatched in ``[start, end)`` (a cohort, so a period's numbers do not change when a
later period's orders are handled):
- MTTA, mean time to acknowledge: from the first dispatch to the first acknowledgement, over the
  orders acknowledged so far;
- MTTR, mean time to resolve: from the first dispatch to the last reported result, over the orders
  resolved or closed so far (a reopened order counts once it is resolved again);
- late: acknowledged or resolved after its deadline, or still open past it (overdue now).
Dismissed orders are left out (nothing was to be done). Minutes, computed in SQL.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, case, func, literal, or_, select

from cockpit.orders.access import visible
from cockpit.orders.states import WORKING_STATUSES
from cockpit.scope import Scope
from cockpit.warehouse.schema import work_order
from cockpit.warehouse.sql import minutes_between

GROUPS = ("board", "department", "village", "grid", "all")
_c = work_order.c
_COLUMN = {"board": _c.board, "department": _c.department_code, "village": _c.village_code, "grid": _c.grid_code}


def response_times(conn: Connection, scope: Scope, *, start: datetime, end: datetime, now: datetime,
                   by: str = "all", township: str | None = None) -> list[dict[str, Any]]:
    """Rows of: key (the board, department, village or grid code; "all"), orders, acknowledged,
    mtta_minutes, resolved, mttr_minutes, closed, reopened, overdue (late now or late when done)."""
    if by not in GROUPS:
        raise ValueError(f"unknown grouping {by!r}; one of {', '.join(GROUPS)}")
    key = _COLUMN[by] if by != "all" else literal("all")
    resolved = _c.status.in_(("resolved", "closed"))
    late_ack = or_(_c.acknowledged_at > _c.ack_due_at, and_(_c.acknowledged_at.is_(None), _c.status == "dispatched",
                                                             _c.ack_due_at <= now))
    late_res = or_(and_(resolved, _c.resolved_at > _c.resolve_due_at),
                   and_(_c.status.in_(WORKING_STATUSES), _c.resolve_due_at <= now))
    one = literal(1)
    stmt = (select(key.label("key"), func.count().label("orders"),
                   func.count(_c.acknowledged_at).label("acknowledged"),
                   func.avg(minutes_between(_c.created_at, _c.acknowledged_at)).label("mtta_minutes"),
                   func.sum(case((resolved, one), else_=0)).label("resolved"),
                   func.avg(case((resolved, minutes_between(_c.created_at, _c.resolved_at)))).label("mttr_minutes"),
                   func.sum(case((_c.status == "closed", one), else_=0)).label("closed"),
                   func.sum(case((_c.reopen_count > 0, one), else_=0)).label("reopened"),
                   func.sum(case((or_(late_ack, late_res), one), else_=0)).label("overdue"))
            .where(visible(scope), _c.created_at >= start, _c.created_at < end, _c.status != "dismissed"))
    if township:
        stmt = stmt.where(_c.township_code == township)
    if by != "all":
        stmt = stmt.group_by(key).order_by(key)
    out = []
    for r in conn.execute(stmt).mappings():
        if not r["orders"]:
            continue
        row = dict(r)
        for k in ("orders", "acknowledged", "resolved", "closed", "reopened", "overdue"):
            row[k] = int(row[k] or 0)
        for k in ("mtta_minutes", "mttr_minutes"):
            row[k] = None if row[k] is None else round(float(row[k]), 1)
        out.append(row)
    return out
