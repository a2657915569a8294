"""Who sees which work orders, and who may do what to one. Enforced on the server: the lists and
the detail read through ``visible`` (SQL), every action through ``check_may_act``.

- Seeing: the viewer's scope (``cockpit.auth.roles.scope_for``). A grid worker sees the orders of
  their grids; a department liaison those whose responsible or cooperating department is theirs; a
  board head those of their board; the township and the admin all of them.
- Acting: the township's actions need ``work_order.dispatch`` (operator, leader). The assignee's
  actions need ``work_order.handle`` and the order: a grid worker acts on the orders assigned to
  them, a liaison on their department's orders that no grid worker holds.
"""

from __future__ import annotations

from typing import Any, Mapping

from sqlalchemy import ColumnElement, and_, false, literal, or_, true

from cockpit.auth.roles import DEPARTMENT_LIAISON, GRID_WORKER, Account, can, scope_for
from cockpit.orders.states import ACTIONS, ASSIGNEE, TOWNSHIP, NotAllowed
from cockpit.scope import Scope
from cockpit.warehouse.schema import work_order


def visible(scope: Scope) -> ColumnElement[bool]:
    """The SQL condition of the orders ``scope`` may see."""
    c = work_order.c
    parts: list[ColumnElement[bool]] = []
    if scope.areas is not None:
        if not scope.areas:
            return false()
        parts.append(or_(*(c.grid_code.startswith(a) for a in sorted(scope.areas))))
    if scope.boards is not None:
        if not scope.boards:
            return false()
        parts.append(c.board.in_(sorted(scope.boards)))
    if scope.departments is not None:
        if not scope.departments:
            return false()
        coop = literal(",") + c.cooperating + literal(",")
        parts.append(or_(c.department_code.in_(sorted(scope.departments)),
                         *(coop.contains(f",{d},") for d in sorted(scope.departments))))
    return and_(*parts) if parts else true()


def may_see(scope: Scope, order: Mapping[str, Any]) -> bool:
    """``visible`` for one order already read."""
    if scope.areas is not None and not any((order.get("grid_code") or "").startswith(a) for a in scope.areas):
        return False
    if scope.boards is not None and order.get("board") not in scope.boards:
        return False
    if scope.departments is not None:
        mine = {order.get("department_code"), *(order.get("cooperating") or "").split(",")}
        if not scope.departments & mine:
            return False
    return True


def is_assignee(user: Account, order: Mapping[str, Any]) -> bool:
    """True if the order is this person's to do: assigned to them (a grid worker), or their
    department's with no grid worker holding it (a liaison)."""
    if user.role == GRID_WORKER:
        return order.get("assignee_user") == user.username
    if user.role == DEPARTMENT_LIAISON:
        return order.get("assignee_user") is None and order.get("department_code") == user.department_code
    return False


def may_act(user: Account | None, order: Mapping[str, Any], action: str) -> bool:
    spec = ACTIONS.get(action)
    if user is None or spec is None or not may_see(scope_for(user), order):
        return False
    if spec.by == TOWNSHIP:
        return can(user, "work_order.dispatch")
    if spec.by == ASSIGNEE:
        return can(user, "work_order.handle") and is_assignee(user, order)
    return False  # the engine's


def check_may_act(user: Account | None, order: Mapping[str, Any], action: str) -> None:
    """Raise ``NotAllowed`` unless ``may_act``."""
    if not may_act(user, order, action):
        raise NotAllowed(f"{getattr(user, 'username', None) or 'nobody'} may not {action} work order {order.get('id')}")


def actions_for(user: Account | None, order: Mapping[str, Any]) -> list[str]:
    """The actions this person may take on the order now (its status allows them and they may)."""
    return [a for a, spec in ACTIONS.items() if a != "dispatched" and order.get("status") in spec.sources
            and may_act(user, order, a)]
