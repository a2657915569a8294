"""Routing by the responsibility list (职责清单): a category's responsible department (主体责任) and its
cooperating departments (配合责任), and a grid's grid worker. Both are data the admin edits
(``set_responsibility``, ``set_grid_duty``; ``python -m cockpit duty``), seeded with defaults: the
list from ``cockpit.reference``, the grid worker from the grid worker accounts covering the grid.

``propose`` is what the operator desk offers when dispatching; the operator may change it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Iterable

from sqlalchemy import Connection, delete, insert, select, update

from cockpit.auth.audit import audit
from cockpit.orders.states import OrderError
from cockpit.warehouse.data_version import bump_data_version
from cockpit.warehouse.schema import area, category, department, grid_duty, responsibility, responsibility_review, user_account

LEAD, COOPERATE = "lead", "cooperate"


class RoutingError(OrderError):
    """A routing that names an unknown category, department, grid or user."""

    key = "order.error.routing"


@dataclass(frozen=True)
class Proposal:
    """Where an order would go: the responsible department, the cooperating ones, the grid's worker
    (None: the department's liaisons take it), and every grid worker of the grid to choose from."""

    department_code: str
    cooperating: tuple[str, ...] = ()
    assignee_user: str | None = None
    grid_workers: tuple[str, ...] = field(default_factory=tuple)


def responsible(conn: Connection, category_code: str) -> tuple[str | None, tuple[str, ...]]:
    """The category's responsible department and its cooperating departments, as the list holds them."""
    r = responsibility.c
    rows = conn.execute(select(r.department_code, r.role).where(r.category_code == category_code)
                        .order_by(r.department_code)).all()
    lead = next((d for d, role in rows if role == LEAD), None)
    if lead is None:  # a list without a lead for it: the category's own department
        lead = conn.execute(select(category.c.department_code).where(category.c.code == category_code)).scalar()
    return lead, tuple(d for d, role in rows if role == COOPERATE and d != lead)


def grid_workers(conn: Connection, grid_code: str | None) -> tuple[str, ...]:
    """The grid's workers: its duty first, then every enabled grid worker account covering the grid."""
    if not grid_code:
        return ()
    names: list[str] = []
    duty = conn.execute(select(grid_duty.c.username).where(grid_duty.c.grid_code == grid_code)).scalar()
    if duty:
        names.append(duty)
    u = user_account.c
    for name, codes in conn.execute(select(u.username, u.grid_codes).where(
            u.role == "grid_worker", u.disabled.is_(False)).order_by(u.username)):
        if name not in names and any(grid_code.startswith(g) for g in (codes or "").split(",") if g):
            names.append(name)
    return tuple(names)


def propose(conn: Connection, *, category_code: str | None, grid_code: str | None,
            fallback_department: str | None = None) -> Proposal:
    """The proposed routing of an order of ``category_code`` in ``grid_code``: the list's departments,
    and the grid's worker when the grid has one (a problem on the ground goes to its grid first)."""
    lead, cooperating = responsible(conn, category_code) if category_code else (None, ())
    lead = lead or fallback_department or "township"
    workers = grid_workers(conn, grid_code)
    return Proposal(lead, cooperating, workers[0] if workers else None, workers)


def is_department(conn: Connection, code: str) -> bool:
    return conn.execute(select(department.c.code).where(department.c.code == code)).first() is not None


def set_responsibility(conn: Connection, category_code: str, lead: str, cooperating: Iterable[str], actor: str,
                       now: datetime) -> None:
    """Replace the category's rows of the list: ``lead`` responsible, ``cooperating`` cooperating."""
    if conn.execute(select(category.c.code).where(category.c.code == category_code)).first() is None:
        raise RoutingError(f"unknown category {category_code!r}")
    coop = tuple(dict.fromkeys(d for d in cooperating if d and d != lead))
    for code in (lead, *coop):
        if not is_department(conn, code):
            raise RoutingError(f"unknown department {code!r}")
    conn.execute(delete(responsibility).where(responsibility.c.category_code == category_code))
    conn.execute(insert(responsibility), [{"category_code": category_code, "department_code": lead, "role": LEAD}]
                 + [{"category_code": category_code, "department_code": d, "role": COOPERATE} for d in coop])
    # the list was looked at for the category: its review flags (accepted contests) are dealt with
    rv = responsibility_review.c
    conn.execute(update(responsibility_review).where(rv.category_code == category_code, rv.reviewed_at.is_(None))
                 .values(reviewed_at=now, reviewed_by=actor[:64]))
    audit(conn, actor, "responsibility.set", "category", category_code, {"lead": lead, "cooperating": list(coop)}, now=now)
    bump_data_version(conn)


def set_grid_duty(conn: Connection, grid_code: str, username: str | None, actor: str, now: datetime) -> None:
    """Make ``username`` (a grid worker account) the grid's worker; ``None`` removes the duty."""
    if conn.execute(select(area.c.code).where(area.c.code == grid_code, area.c.level == "grid")).first() is None:
        raise RoutingError(f"unknown grid {grid_code!r}")
    conn.execute(delete(grid_duty).where(grid_duty.c.grid_code == grid_code))
    if username:
        u = user_account.c
        if conn.execute(select(u.id).where(u.username == username.lower(), u.role == "grid_worker")).first() is None:
            raise RoutingError(f"{username!r} is not a grid worker account")
        conn.execute(insert(grid_duty).values(grid_code=grid_code, username=username.lower(), updated_at=now,
                                              updated_by=actor[:64]))
    audit(conn, actor, "grid_duty.set", "area", grid_code, {"username": username}, now=now)
    bump_data_version(conn)


def responsibility_list(conn: Connection) -> list[dict]:
    """Every category with its responsible and cooperating departments (the admin's view and the CLI)."""
    rows: dict[str, dict] = {}
    for code, board, sla in conn.execute(select(category.c.code, category.c.board, category.c.sla_hours)
                                         .order_by(category.c.code)):
        rows[code] = {"category": code, "board": board, "sla_hours": sla, "lead": None, "cooperating": []}
    r = responsibility.c
    for cat, dep, role in conn.execute(select(r.category_code, r.department_code, r.role)
                                       .order_by(r.category_code, r.department_code)):
        if cat in rows:
            if role == LEAD:
                rows[cat]["lead"] = dep
            else:
                rows[cat]["cooperating"].append(dep)
    return list(rows.values())
