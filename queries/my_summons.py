"""The reads of "my summons" (``/my/summons``): a department liaison's own department's summons, open
ones overdue first (``cockpit.whistles.records.department_summons``), the recently ended ones with
their rating, and one summons' page with its whistle, deadlines, timeline, the other departments
summoned to the same whistle (their names and status only) and the actions the liaison may take now
(``cockpit.whistles.access.actions_for``).

The list is the department of the signed-in user, never one named by the request; one summons is
read through the viewer's scope (``records.get_summons``), so another department's is not found.
Not cached: a liaison acting on a summons sees its new state at once.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, func, select

from cockpit.auth.roles import Account
from cockpit.scope import Scope
from cockpit.warehouse.schema import area, category, department, summons, whistle
from cockpit.whistles import records
from cockpit.whistles.access import actions_for
from cockpit.whistles.states import SUMMONS_ENDED, WORKING
from queries._base import DB, connected

DONE_DAYS = 30  # the done tab: the summons ended in the last days
DONE_LIMIT = 100
_STEPS = (("ack", "acknowledged_at", "ack_due_at"), ("arrive", "arrived_at", "arrive_due_at"),
          ("resolve", "resolved_at", "resolve_due_at"))


def next_step(s: dict[str, Any]) -> tuple[str, datetime] | None:
    """The step the department has to do next and its deadline: ("ack" | "arrive" | "resolve", due);
    None once it left work (reported, contested, ended)."""
    if s["status"] not in WORKING:
        return None
    for step, done, due in _STEPS:
        if s[done] is None:
            return step, s[due]
    return None


def _names(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Village and grid names and the category's names on each row (in place)."""
    codes = sorted({r.get(k) for r in rows for k in ("village_code", "grid_code") if r.get(k)})
    areas = dict(conn.execute(select(area.c.code, area.c.name).where(area.c.code.in_(codes))).all()) if codes else {}
    cats = {c: (zh, en) for c, zh, en in conn.execute(select(category.c.code, category.c.name_zh, category.c.name_en))}
    for r in rows:
        r["village_name"] = areas.get(r.get("village_code") or "")
        r["grid_name"] = areas.get(r.get("grid_code") or "")
        r["category_zh"], r["category_en"] = cats.get(r.get("category_code") or "", (None, None))
        r["next"] = next_step(r)
        r["seen"] = {"status": r["status"], "department_code": r["department_code"]}


def _done(conn: Connection, department_code: str, now: datetime, limit: int) -> list[dict[str, Any]]:
    s, w = summons.c, whistle.c
    q = (select(summons, w.title, w.board, w.grid_code, w.village_code, w.urgent.label("whistle_urgent"),
                w.note.label("whistle_note"))
         .join(whistle, w.id == s.whistle_id)
         .where(s.department_code == department_code, s.status.in_(SUMMONS_ENDED),
                s.ended_at >= now - timedelta(days=DONE_DAYS))
         .order_by(s.ended_at.desc(), s.id.desc()).limit(limit))
    rows = [dict(r) for r in conn.execute(q).mappings()]
    for r in rows:
        r["late"] = []
    return rows


def _list(conn: Connection, user: Account, department_code: str, now: datetime, done: bool) -> dict[str, Any]:
    rows = _done(conn, department_code, now, DONE_LIMIT) if done else \
        records.department_summons(conn, department_code, now, open_only=True)
    _names(conn, rows)
    for r in rows:  # the row carries the whistle's place and board: what access needs of the whistle
        r["actions"] = actions_for(user, r, r)
    s = summons.c
    done_n = conn.execute(select(func.count()).select_from(summons).where(
        s.department_code == department_code, s.status.in_(SUMMONS_ENDED),
        s.ended_at >= now - timedelta(days=DONE_DAYS))).scalar_one()
    if done:
        open_rows = records.department_summons(conn, department_code, now, open_only=True)
    else:
        open_rows = rows
    return {"rows": rows, "open": len(open_rows), "late": sum(1 for r in open_rows if r["late"]), "done": int(done_n)}


def my_summons_list(db: DB, user: Account | None, now: datetime, *, done: bool = False) -> dict[str, Any]:
    """The signed-in liaison's department's summons: ``rows`` (open ones overdue first, then by the
    nearest deadline; with ``done``: those ended in the last ``DONE_DAYS`` days, the latest first),
    each with its whistle's title, place and category names, ``late`` (missed deadlines), ``next``
    (the step due and its deadline), ``actions`` (what ``user`` may do now) and ``seen``; and the counts ``open``, ``late`` and ``done``.
    Someone without a department: nothing."""
    code = getattr(user, "department_code", None)
    if user is None or not code:
        return {"rows": [], "open": 0, "late": 0, "done": 0}
    return connected(db, _list, user, code, now, done)


def _others(conn: Connection, s: dict[str, Any]) -> list[dict[str, Any]]:
    """The other departments summoned to the whistle: their names, role and status only."""
    c, d = summons.c, department.c
    q = (select(c.department_code, c.role, c.status, d.name_zh, d.name_en)
         .outerjoin(department, d.code == c.department_code)
         .where(c.whistle_id == s["whistle_id"], c.id != s["id"]).order_by(c.role.desc(), c.id))
    return [dict(r) for r in conn.execute(q).mappings()]


def _page(conn: Connection, user: Account | None, scope: Scope, summons_id: int, now: datetime) -> dict[str, Any] | None:
    s = records.get_summons(conn, scope, summons_id, now)
    if s is None or s["department_code"] != getattr(user, "department_code", None):
        return None
    w = s.pop("whistle")
    log = s.pop("log")
    s.update(title=w["title"], board=w["board"], grid_code=w["grid_code"], village_code=w["village_code"],
             whistle_urgent=w["urgent"], whistle_note=w["note"])
    _names(conn, [s])
    return {"summons": s, "whistle": w, "log": log, "others": _others(conn, s),
            "actions": actions_for(user, w, s) if user is not None else []}


def summons_page(db: DB, user: Account | None, scope: Scope, summons_id: Any, now: datetime) -> dict[str, Any] | None:
    """One summons of the liaison's own department as its page shows it, or None (it does not exist,
    it is outside ``scope``, or it is another department's): ``summons`` (its row with the whistle's
    title, note, place and category names, ``late``, ``next``, ``seen``), ``whistle``, ``log`` (its
    timeline, oldest first), ``others`` (the other summoned departments: code, names, role, status)
    and ``actions`` (what ``user`` may do now)."""
    if user is None or not isinstance(summons_id, int) or isinstance(summons_id, bool):
        return None
    return connected(db, _page, user, scope, summons_id, now)
