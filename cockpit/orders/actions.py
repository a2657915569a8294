"""What a person does to a work order: ``act`` checks that this person may (``cockpit.orders.access``),
then makes the one ``transition`` and what goes with it in the same transaction: the time stamps,
the photos of a result, the new assignment of a re-routed order, the warning moved on with its
order, and the notice to a new assignee.

- acknowledged / arrived / resolved (a note, photos) / returned (a reason): the assignee;
- rerouted (to another department or grid worker; new deadlines), closed (verified), reopened (返工:
  a reason; back to the assignee with a new resolution deadline), dismissed (a reason): the township.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Mapping, Sequence

from sqlalchemy import Connection

from cockpit import clock
from cockpit.auth.roles import Account
from cockpit.orders.access import check_may_act
from cockpit.orders.dispatch import PROPOSED, assignment, notify_dispatch, deadlines, order_settings
from cockpit.orders.photos import check_photos, store_photos
from cockpit.orders.routing import propose
from cockpit.orders.states import ACTIONS, TransitionRefused, load, transition
from cockpit.warnings import states as warning_states

# the warning's action that follows its order's
_WARNING_FOLLOWS = {"resolved": "order_resolved", "reopened": "order_reopened", "closed": "closed",
                    "dismissed": "dismissed"}


def _move_warning(conn: Connection, order: Mapping[str, Any], action: str, actor: str, now: datetime,
                  note: str | None, ip: str | None) -> None:
    follow = _WARNING_FOLLOWS.get(action)
    if not follow or not order.get("warning_id"):
        return
    w = warning_states.load(conn, order["warning_id"], lock=True)
    if w["status"] in warning_states.ACTIONS[follow].sources:
        warning_states.transition(conn, w["id"], follow, actor, now, seen=w, ip=ip, note=note)


def act(conn: Connection, order_id: int, action: str, user: Account | None, *, note: str | None = None,
        department_code: str | None = None, assignee_user: Any = PROPOSED, photos: Sequence[bytes] = (),
        seen: Mapping[str, Any] | None = None, now: datetime | None = None, ip: str | None = None,
        config: Any = None) -> dict:
    """Do ``action`` to the order as ``user``; returns the order after it. ``seen``: the order as
    the person saw it (a conflict if someone acted since). Raises an ``OrderError`` subclass with a
    clear message (and a catalogue key) when refused."""
    if action not in ACTIONS or ACTIONS[action].by == "engine" or action == "dispatched":
        raise TransitionRefused(f"unknown action {action!r}")
    now = now or clock.now()
    order = load(conn, order_id, lock=True)
    check_may_act(user, order, action)
    actor = user.username  # type: ignore[union-attr]
    settings = order_settings(config)
    checked = check_photos(list(photos), settings) if photos else []
    if checked and action != "resolved":
        raise TransitionRefused("photos are reported with the result")
    columns: dict[str, Any] = {}
    if action == "acknowledged":
        columns["acknowledged_at"] = order["acknowledged_at"] or now
    elif action == "arrived":
        columns["arrived_at"] = now
    elif action == "resolved":
        columns["resolved_at"] = now
    elif action == "returned":
        columns["return_count"] = (order["return_count"] or 0) + 1
    elif action == "closed":
        columns["closed_at"] = now
    elif action == "reopened":
        _, resolve_due = deadlines(conn, order["category_code"], order["level"], now, settings)
        columns.update(reopen_count=(order["reopen_count"] or 0) + 1, resolved_at=None, resolve_due_at=resolve_due,
                       resolve_overdue_at=None)
    elif action == "rerouted":
        proposal = propose(conn, category_code=order["category_code"], grid_code=order["grid_code"],
                           fallback_department=order["department_code"])
        dept, assignee = assignment(conn, proposal.department_code, proposal.assignee_user, order["grid_code"],
                                     department_code, assignee_user)
        ack_due, resolve_due = deadlines(conn, order["category_code"], order["level"], now, settings)
        coop = proposal.cooperating if dept == proposal.department_code else ()
        columns.update(department_code=dept, assignee_user=assignee, acknowledged_at=None, arrived_at=None,
                       cooperating=",".join(c for c in coop if c != dept) or None, ack_due_at=ack_due,
                       resolve_due_at=resolve_due, ack_overdue_at=None, resolve_overdue_at=None)
    after, log_id = transition(conn, order_id, action, actor, now, seen=seen or order, note=note, columns=columns, ip=ip)
    store_photos(conn, order_id, log_id, checked, actor, now)
    _move_warning(conn, after, action, actor, now, (note or "").strip() or None, ip)
    if action in ("rerouted", "reopened"):
        notify_dispatch(conn, after, now, None)
    return after
