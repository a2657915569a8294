"""Who sees which whistles and summons, and who may do what to a summons; enforced on the server.

- Seeing: the township and the admin see every whistle; a board head those of their board; a grid
  worker those in their grids; a department liaison the whistles their department is summoned to,
  and of those only their own department's summons (``summons_visible``).
- Acting: the summoned department's steps (acknowledge, arrive, report the result, contest) need
  ``summons.act`` and the summons of the liaison's own department; the township's (verify and rate,
  reopen, decide a contest, close) ``whistle.rate``; cancelling ``whistle.act``.
"""

from __future__ import annotations

from typing import Any, Mapping

from sqlalchemy import ColumnElement, and_, exists, false, or_, select, true

from cockpit.auth.roles import Account, can, scope_for
from cockpit.scope import Scope
from cockpit.warehouse.schema import summons, whistle
from cockpit.whistles.states import DEPARTMENT, SUMMONS_ACTIONS, TOWNSHIP, NotAllowed


def _place(scope: Scope) -> list[ColumnElement[bool]] | None:
    """The area and board conditions on ``whistle`` (None: nothing is visible)."""
    c = whistle.c
    parts: list[ColumnElement[bool]] = []
    if scope.areas is not None:
        if not scope.areas:
            return None
        parts.append(or_(*(c.grid_code.startswith(a) for a in sorted(scope.areas))))
    if scope.boards is not None:
        if not scope.boards:
            return None
        parts.append(c.board.in_(sorted(scope.boards)))
    return parts


def whistle_visible(scope: Scope) -> ColumnElement[bool]:
    """The SQL condition on ``whistle`` of the whistles ``scope`` may see."""
    parts = _place(scope)
    if parts is None:
        return false()
    if scope.departments is not None:
        if not scope.departments:
            return false()
        s = summons.c
        parts.append(exists(select(s.id).where(s.whistle_id == whistle.c.id,
                                               s.department_code.in_(sorted(scope.departments)))))
    return and_(*parts) if parts else true()


def summons_visible(scope: Scope) -> ColumnElement[bool]:
    """The SQL condition on ``summons`` (joined to ``whistle``) of the summons ``scope`` may see."""
    parts = _place(scope)
    if parts is None:
        return false()
    if scope.departments is not None:
        if not scope.departments:
            return false()
        parts.append(summons.c.department_code.in_(sorted(scope.departments)))
    return and_(*parts) if parts else true()


def may_see(scope: Scope, w: Mapping[str, Any], s: Mapping[str, Any] | None = None) -> bool:
    """``whistle_visible`` / ``summons_visible`` for rows already read."""
    if scope.areas is not None and not any((w.get("grid_code") or "").startswith(a) for a in scope.areas):
        return False
    if scope.boards is not None and w.get("board") not in scope.boards:
        return False
    if scope.departments is not None and s is not None and s.get("department_code") not in scope.departments:
        return False
    return True


def may_act(user: Account | None, w: Mapping[str, Any], s: Mapping[str, Any], action: str) -> bool:
    spec = SUMMONS_ACTIONS.get(action)
    if user is None or spec is None or action == "summoned" or not may_see(scope_for(user), w, s):
        return False
    if spec.by == DEPARTMENT:
        return can(user, "summons.act") and user.department_code == s.get("department_code")
    if spec.by == TOWNSHIP:
        return can(user, "whistle.act" if action == "cancelled" else "whistle.rate")
    return False  # the engine's


def check_may_act(user: Account | None, w: Mapping[str, Any], s: Mapping[str, Any], action: str) -> None:
    """Raise ``NotAllowed`` unless ``may_act``."""
    if not may_act(user, w, s, action):
        raise NotAllowed(f"{getattr(user, 'username', None) or 'nobody'} may not {action} summons {s.get('id')}")


def actions_for(user: Account | None, w: Mapping[str, Any], s: Mapping[str, Any]) -> list[str]:
    """The actions this person may take on the summons now."""
    return [a for a, spec in SUMMONS_ACTIONS.items() if a != "summoned" and s.get("status") in spec.sources
            and may_act(user, w, s, a)]
