"""Roles, what each may do, and the data scope each sees (``scope_for``).

Scope is what queries enforce in SQL (``cockpit.scope.Scope``); permissions gate actions
(managing users, acting on warnings …). ``personal_data`` allows names of people on screen;
ID and phone numbers stay masked for every role.
"""

from __future__ import annotations

from typing import Protocol

from cockpit.scope import Scope


class Account(Protocol):
    """What ``scope_for`` and ``can`` read of a user (``cockpit.auth.users.User`` has it)."""

    @property
    def username(self) -> str: ...
    @property
    def role(self) -> str: ...
    @property
    def disabled(self) -> bool: ...
    @property
    def board(self) -> str | None: ...
    @property
    def grid_codes(self) -> tuple[str, ...]: ...
    @property
    def department_code(self) -> str | None: ...


LEADER = "leader"
OPERATOR = "operator"
BOARD_HEAD = "board_head"
GRID_WORKER = "grid_worker"
DEPARTMENT_LIAISON = "department_liaison"
ADMIN = "admin"
KIOSK = "kiosk"  # not a stored role: the read-only big-screen token

ROLES: tuple[str, ...] = (LEADER, OPERATOR, BOARD_HEAD, GRID_WORKER, DEPARTMENT_LIAISON, ADMIN)  # labels: i18n "role.*"

# Actions. Screens check ``can(user, ...)`` before offering them and the server checks again.
PERMISSIONS: dict[str, frozenset[str]] = {
    LEADER: frozenset({"view", "browse", "export", "governance.view", "warning.act", "work_order.dispatch",
                       "whistle.act", "whistle.rate", "report.generate"}),
    OPERATOR: frozenset({"view", "browse", "export", "governance.view", "warning.act", "work_order.dispatch",
                         "whistle.act", "whistle.rate", "report.generate"}),
    BOARD_HEAD: frozenset({"view", "browse", "export", "report.generate"}),  # follows its warnings read-only
    GRID_WORKER: frozenset({"view", "browse", "work_order.handle"}),
    DEPARTMENT_LIAISON: frozenset({"view", "browse", "work_order.handle", "summons.act"}),
    ADMIN: frozenset({"view", "browse", "governance.view", "audit.view", "users.manage", "sources.manage",
                      "rules.manage", "responsibility.review", "report.generate"}),
    KIOSK: frozenset({"view"}),  # the big screen only
}
# "view": the big screen; "browse": board pages and the drill-down; "governance.view": source health,
# quarantine and lineage; "audit.view": the audit log; "work_order.dispatch": the township's part of a
# work order (dispatch, re-route, verify and close, reopen, dismiss); "work_order.handle": the
# assignee's part (acknowledge, arrive, resolve, return), on the orders assigned to them;
# "whistle.act": blow and cancel a whistle; "whistle.rate": verify and rate a summoned department,
# reopen, decide a contest, close; "summons.act": the summoned department's part (acknowledge, arrive,
# report, contest); "responsibility.review": the contested cases and the responsibility-list gaps.

NOTHING = Scope(areas=frozenset(), boards=frozenset(), departments=frozenset(), personal_data=False)


def scope_for(user: Account | None) -> Scope:
    """The data a user may see. ``None`` (nobody logged in) or an unknown role sees nothing."""
    if user is None or user.disabled:
        return NOTHING
    role = user.role
    if role in (LEADER, OPERATOR):
        return Scope(personal_data=True)
    if role == GRID_WORKER:  # names of the people in their own grids, nothing outside them
        return Scope(areas=frozenset(user.grid_codes), personal_data=True)
    if role == BOARD_HEAD:
        return Scope(boards=frozenset({user.board}) if user.board else frozenset(), personal_data=False)
    if role == DEPARTMENT_LIAISON:
        return Scope(departments=frozenset({user.department_code}) if user.department_code else frozenset(),
                     personal_data=False)
    if role in (ADMIN, KIOSK):  # aggregates of everything, no names
        return Scope(personal_data=False)
    return NOTHING


def can(user: Account | None, permission: str) -> bool:
    """True if ``user``'s role grants ``permission`` (see ``PERMISSIONS``)."""
    return user is not None and not user.disabled and permission in PERMISSIONS.get(user.role, frozenset())


def landing_path(user: Account | None) -> str:
    """Where a role lands after signing in without a deep link (a ``next`` other than ``/``).

    Leader: the big screen. Operator: the warning center, the triage queue of their shift. Board head:
    their board. Grid worker and department liaison: their own work orders (``/my/orders``: a grid
    worker's assigned to them, on a phone; a liaison's department's, on a laptop), where the day's
    work is. Administrator: data governance. Anyone else: the big screen.
    """
    if user is None:
        return "/"
    if user.role == OPERATOR:
        return "/warnings"
    if user.role == BOARD_HEAD and user.board:
        return f"/board/{user.board}"
    if user.role in (GRID_WORKER, DEPARTMENT_LIAISON):
        return "/my/orders"
    if user.role == ADMIN:
        return "/governance"
    return "/"
