"""A work order's state machine, as data, and ``transition``: the one path that changes an order.

Every change writes, in the caller's transaction, the order's new state, one append-only
``work_order_log`` row (actor, time, from → to, the assignment after it, the note) and one audit row,
and moves the data version so the screens see it. The log row carries the status and the assignment
after the change, so an order's current state is what its last log row says (``state_from_log``).

    dispatched ─acknowledged→ acknowledged ─arrived→ on_site ─resolved→ resolved ─closed→ closed
        │  ▲                      │    ▲                                   │
        │  └──────rerouted────────┼────┼── returned ◀──(assignee: wrong department …)
        │                         │    └──────────reopened (返工)───────────┘
        └─────────── dismissed (the township, with a reason) from any open status

Who does what (``Action.by``): the assignee (the grid worker it is assigned to, or the liaison of its
department) acknowledges, arrives, resolves and returns it; the township (operator, leader)
dispatches, re-routes, verifies and closes, reopens and dismisses; the overdue escalation is the
engine's. ``cockpit.orders.actions`` checks the person; this module checks the state.

Two people acting on one order at once: the change is conditional on the state the actor saw, so the
second gets ``OrderConflict`` instead of acting twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Mapping

from sqlalchemy import Connection, insert, select, update

from cockpit.auth.audit import audit
from cockpit.privacy import mask_text
from cockpit.warehouse.data_version import bump_data_version
from cockpit.warehouse.schema import work_order, work_order_log

ENGINE_ACTOR = "rules"  # the actor of the overdue escalation

OPEN_STATUSES: tuple[str, ...] = ("dispatched", "acknowledged", "on_site", "resolved", "returned")
ENDED_STATUSES: tuple[str, ...] = ("closed", "dismissed")
STATUSES: tuple[str, ...] = OPEN_STATUSES + ENDED_STATUSES
WORKING_STATUSES: tuple[str, ...] = ("dispatched", "acknowledged", "on_site")  # the assignee has it to do

ASSIGNEE, TOWNSHIP, ENGINE = "assignee", "township", "engine"


@dataclass(frozen=True)
class Action:
    """A kind of change: from which statuses, the status after it (None: unchanged), who does it
    (assignee, township or engine), whether a note is required, and its audit action."""

    sources: tuple[str, ...]
    target: str | None
    by: str
    note_required: bool
    audit_action: str


ACTIONS: dict[str, Action] = {
    "dispatched": Action((), "dispatched", TOWNSHIP, False, "work_order.dispatch"),
    "acknowledged": Action(("dispatched",), "acknowledged", ASSIGNEE, False, "work_order.acknowledge"),
    "arrived": Action(("acknowledged",), "on_site", ASSIGNEE, False, "work_order.arrive"),
    "resolved": Action(("acknowledged", "on_site"), "resolved", ASSIGNEE, True, "work_order.resolve"),
    "returned": Action(("dispatched", "acknowledged"), "returned", ASSIGNEE, True, "work_order.return"),
    "rerouted": Action(("dispatched", "returned"), "dispatched", TOWNSHIP, False, "work_order.reroute"),
    "closed": Action(("resolved",), "closed", TOWNSHIP, False, "work_order.close"),
    "reopened": Action(("resolved",), "acknowledged", TOWNSHIP, True, "work_order.reopen"),
    "dismissed": Action(OPEN_STATUSES, "dismissed", TOWNSHIP, True, "work_order.dismiss"),
    "overdue": Action(WORKING_STATUSES, None, ENGINE, False, "work_order.overdue"),
}


class OrderError(Exception):
    """A refused change. ``key``: the catalogue key of the message the screens show."""

    key = "order.error.refused"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class OrderNotFound(OrderError):
    key = "order.error.not_found"


class TransitionRefused(OrderError):
    key = "order.error.refused"


class OrderConflict(OrderError):
    key = "order.error.conflict"


class NoteRequired(OrderError):
    key = "order.error.note_required"


class NotAllowed(OrderError):
    """The person may not do this to this order (role, assignment or scope)."""

    key = "order.error.not_allowed"


def load(conn: Connection, order_id: int, *, lock: bool = False) -> dict:
    """The order's row. Raises ``OrderNotFound``. ``lock``: FOR UPDATE where the database has it."""
    stmt = select(work_order).where(work_order.c.id == order_id)
    if lock and conn.dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    row = conn.execute(stmt).mappings().first()
    if row is None:
        raise OrderNotFound(f"work order {order_id} does not exist")
    return dict(row)


def _log(conn: Connection, o: Mapping[str, Any], action: str, actor: str, now: datetime, *,
         from_status: str | None, note: str | None) -> int:
    return conn.execute(insert(work_order_log).values(
        order_id=o["id"], at=now, actor=mask_text(actor)[:64], action=action, from_status=from_status,
        to_status=o["status"], department_code=o["department_code"], assignee_user=o["assignee_user"],
        note=mask_text(note) if note else None,
    ).returning(work_order_log.c.id)).scalar_one()


def _audit(conn: Connection, o: Mapping[str, Any], action: str, actor: str, now: datetime, ip: str | None,
           detail: Mapping[str, Any]) -> None:
    audit(conn, actor, ACTIONS[action].audit_action, "work_order", o["id"],
          {"status": o["status"], "department": o["department_code"], "assignee": o["assignee_user"], **detail},
          ip=ip, now=now)


def create_order(conn: Connection, values: Mapping[str, Any], actor: str, now: datetime, *,
                 note: str | None = None, ip: str | None = None) -> tuple[dict, int]:
    """Insert a new order (status ``dispatched``) with its ``dispatched`` log and audit rows; returns
    its row and the log row's id. ``values``: the order's columns except id, status and the time
    stamps set here. A second order with the same ``open_key`` fails on the unique column."""
    row = {**values, "status": "dispatched", "created_at": now, "created_by": actor[:64], "updated_at": now,
           "reopen_count": 0, "return_count": 0}
    oid = conn.execute(insert(work_order).values(**row).returning(work_order.c.id)).scalar_one()
    o = {**row, "id": oid}
    log_id = _log(conn, o, "dispatched", actor, now, from_status=None, note=note)
    _audit(conn, o, "dispatched", actor, now, ip, {"warning": o.get("warning_id"), "open_key": o.get("open_key")})
    bump_data_version(conn)
    return o, log_id


def transition(conn: Connection, order_id: int, action: str, actor: str, now: datetime, *,
               seen: Mapping[str, Any] | None = None, note: str | None = None,
               columns: Mapping[str, Any] | None = None, ip: str | None = None) -> tuple[dict, int]:
    """Apply ``action`` to the order; returns its row after it and the log row's id.

    ``seen``: the order as the actor saw it (default: read now); the change only happens if its
    status and assignment are still what the actor saw, else ``OrderConflict``. ``columns``: other
    columns to set (the new assignment, time stamps …). Raises ``TransitionRefused`` if the action
    is not allowed from the order's status, ``NoteRequired`` if it needs a note and has none."""
    spec = ACTIONS.get(action)
    if spec is None or action == "dispatched":
        raise TransitionRefused(f"unknown action {action!r}")
    note = (note or "").strip() or None
    if spec.note_required and not note:
        raise NoteRequired(f"{action} needs a note")
    current = load(conn, order_id, lock=True)
    before = dict(seen) if seen is not None else current
    state = ("status", "department_code", "assignee_user")
    if any(current[k] != before.get(k) for k in state):
        raise OrderConflict(f"work order {order_id} was changed by someone else: it is now {current['status']}")
    if current["status"] not in spec.sources:
        raise TransitionRefused(f"a {current['status']} work order cannot be {action}")
    values: dict[str, Any] = dict(columns or {})
    if spec.target:
        values["status"] = spec.target
    if values.get("status") in ENDED_STATUSES:
        values.update(open_key=None, ended_at=now)
    values["updated_at"] = now
    c = work_order.c
    guard = [c.id == order_id, c.status == current["status"], c.department_code == current["department_code"],
             c.assignee_user.is_(None) if current["assignee_user"] is None else c.assignee_user == current["assignee_user"]]
    done = conn.execute(update(work_order).where(*guard).values(**values))
    if done.rowcount != 1:  # changed between our read and our write (SQLite has no row locks)
        raise OrderConflict(f"work order {order_id} was changed by someone else")
    after = {**current, **values}
    log_id = _log(conn, after, action, actor, now, from_status=current["status"], note=note)
    detail: dict[str, Any] = {"from_status": current["status"]}
    if note:
        detail["note"] = note
    _audit(conn, after, action, actor, now, ip, detail)
    bump_data_version(conn)
    return after, log_id


def state_from_log(conn: Connection, order_id: int) -> dict[str, Any] | None:
    """The order's state (status, department_code, assignee_user) as its last log row records it."""
    g = work_order_log.c
    row = conn.execute(select(g.to_status, g.department_code, g.assignee_user).where(g.order_id == order_id)
                       .order_by(g.id.desc()).limit(1)).first()
    return None if row is None else {"status": row[0], "department_code": row[1], "assignee_user": row[2]}
