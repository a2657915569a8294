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
second gets ``OrderConflict`` instead of acting twice. The machine itself is ``cockpit.workflow.Machine``,
shared with whistles and summons.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Mapping

from sqlalchemy import Connection

from cockpit.warehouse.schema import work_order, work_order_log
from cockpit.workflow import Action, Errors, Machine, WorkflowError

ENGINE_ACTOR = "rules"  # the actor of the overdue escalation

OPEN_STATUSES: tuple[str, ...] = ("dispatched", "acknowledged", "on_site", "resolved", "returned")
ENDED_STATUSES: tuple[str, ...] = ("closed", "dismissed")
STATUSES: tuple[str, ...] = OPEN_STATUSES + ENDED_STATUSES
WORKING_STATUSES: tuple[str, ...] = ("dispatched", "acknowledged", "on_site")  # the assignee has it to do

ASSIGNEE, TOWNSHIP, ENGINE = "assignee", "township", "engine"

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


class OrderError(WorkflowError):
    """A refused change. ``key``: the catalogue key of the message the screens show."""

    key = "order.error.refused"


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


MACHINE = Machine(
    noun="work order", entity="work_order", table=work_order, log=work_order_log, log_fk="order_id",
    actions=ACTIONS, ended=ENDED_STATUSES, created_by="dispatched", state=("department_code", "assignee_user"),
    open_key="open_key", errors=Errors(OrderNotFound, TransitionRefused, OrderConflict, NoteRequired),
    audit_detail=lambda o: {"status": o["status"], "department": o["department_code"], "assignee": o["assignee_user"]})


def load(conn: Connection, order_id: int, *, lock: bool = False) -> dict:
    """The order's row. Raises ``OrderNotFound``. ``lock``: FOR UPDATE where the database has it."""
    return MACHINE.load(conn, order_id, lock=lock)


def create_order(conn: Connection, values: Mapping[str, Any], actor: str, now: datetime, *,
                 note: str | None = None, ip: str | None = None) -> tuple[dict, int]:
    """Insert a new order (status ``dispatched``) with its ``dispatched`` log and audit rows; returns
    its row and the log row's id. ``values``: the order's columns except id, status and the time
    stamps set here. A second order with the same ``open_key`` fails on the unique column."""
    row = {**values, "created_at": now, "created_by": actor[:64], "updated_at": now, "reopen_count": 0,
           "return_count": 0}
    return MACHINE.create(conn, row, actor, now, note=note, ip=ip,
                          detail={"warning": row.get("warning_id"), "open_key": row.get("open_key")})


def transition(conn: Connection, order_id: int, action: str, actor: str, now: datetime, *,
               seen: Mapping[str, Any] | None = None, note: str | None = None,
               columns: Mapping[str, Any] | None = None, ip: str | None = None) -> tuple[dict, int]:
    """Apply ``action`` to the order; returns its row after it and the log row's id.

    ``seen``: the order as the actor saw it (default: read now); the change only happens if its
    status and assignment are still what the actor saw, else ``OrderConflict``. ``columns``: other
    columns to set (the new assignment, time stamps …). Raises ``TransitionRefused`` if the action
    is not allowed from the order's status, ``NoteRequired`` if it needs a note and has none."""
    return MACHINE.transition(conn, order_id, action, actor, now, seen=seen, note=note, columns=columns, ip=ip)


def state_from_log(conn: Connection, order_id: int) -> dict[str, Any] | None:
    """The order's state (status, department_code, assignee_user) as its last log row records it."""
    return MACHINE.state_from_log(conn, order_id)
