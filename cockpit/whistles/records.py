"""Reads of whistles and summons for the screens and the command line, scoped by
``cockpit.whistles.access``: the whistle list with each summoned department's state, one whistle
with its summons, a summons' timeline, a department's own summons, and the admin's review list
(accepted contests and the categories the responsibility list leaves without a responsible department).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, func, or_, select

from cockpit.scope import Scope
from cockpit.warehouse.schema import category, responsibility, responsibility_review, summons, summons_log, whistle, whistle_log
from cockpit.whistles.access import summons_visible, whistle_visible
from cockpit.whistles.states import SUMMONS_OPEN, WORKING

WHISTLE_CHOICES = ("open", "all", "overdue", "open_contests", "completed", "cancelled")


def late_steps(s: dict[str, Any], now: datetime) -> list[str]:
    """The deadlines a working summons has missed: ack, arrive, resolve (none once it left work)."""
    if s["status"] not in WORKING:
        return []
    return [step for step, done, due in (("ack", "acknowledged_at", "ack_due_at"), ("arrive", "arrived_at", "arrive_due_at"),
                                         ("resolve", "resolved_at", "resolve_due_at"))
            if s[done] is None and s[due] <= now]


def _overdue(now: datetime) -> Any:
    s = summons.c
    return and_(s.status.in_(WORKING), or_(and_(s.acknowledged_at.is_(None), s.ack_due_at <= now),
                                           and_(s.arrived_at.is_(None), s.arrive_due_at <= now),
                                           and_(s.resolved_at.is_(None), s.resolve_due_at <= now)))


def list_whistles(conn: Connection, scope: Scope, now: datetime, *, status: str = "open",
                  township: str | None = None, limit: int = 200) -> list[dict]:
    """Whistles newest first, each with its summons (only those ``scope`` may see) and, per summons,
    the deadlines it missed. ``status``: ``WHISTLE_CHOICES``."""
    w, s = whistle.c, summons.c
    q = select(whistle).where(whistle_visible(scope))
    if status == "open":
        q = q.where(w.status == "open")
    elif status == "overdue":
        q = q.where(w.status == "open", select(s.id).where(s.whistle_id == w.id, _overdue(now)).exists())
    elif status == "open_contests":
        q = q.where(select(s.id).where(s.whistle_id == w.id, s.status == "contested").exists())
    elif status in ("completed", "cancelled"):
        q = q.where(w.status == status)
    elif status != "all":
        raise ValueError(f"unknown whistle status {status!r}: use one of {', '.join(WHISTLE_CHOICES)}")
    if township:
        q = q.where(w.township_code == township)
    rows = [dict(r) for r in conn.execute(q.order_by(w.created_at.desc(), w.id.desc()).limit(limit)).mappings()]
    by_whistle = summons_of(conn, scope, [r["id"] for r in rows], now)
    for r in rows:
        r["summons"] = by_whistle.get(r["id"], [])
        r["overdue"] = any(x["late"] for x in r["summons"])
    return rows


def summons_of(conn: Connection, scope: Scope, whistle_ids: list[int], now: datetime) -> dict[int, list[dict]]:
    """The visible summons of the whistles, lead first, each with ``late`` (its missed deadlines)."""
    if not whistle_ids:
        return {}
    s = summons.c
    q = (select(summons).join(whistle, whistle.c.id == s.whistle_id)
         .where(s.whistle_id.in_(whistle_ids), summons_visible(scope)).order_by(s.whistle_id, s.role.desc(), s.id))
    found: dict[int, list[dict]] = {}
    for r in conn.execute(q).mappings():
        row = dict(r)
        row["late"] = late_steps(row, now)
        found.setdefault(row["whistle_id"], []).append(row)
    return found


def get_whistle(conn: Connection, scope: Scope, whistle_id: int, now: datetime) -> dict | None:
    """One whistle with its visible summons and its own log; None if it does not exist or is out of scope."""
    row = conn.execute(select(whistle).where(whistle.c.id == whistle_id, whistle_visible(scope))).mappings().first()
    if row is None:
        return None
    out = dict(row)
    out["summons"] = summons_of(conn, scope, [whistle_id], now).get(whistle_id, [])
    g = whistle_log.c
    out["log"] = [dict(r) for r in conn.execute(select(whistle_log).where(g.whistle_id == whistle_id).order_by(g.id)).mappings()]
    return out


def get_summons(conn: Connection, scope: Scope, summons_id: int, now: datetime) -> dict | None:
    """One summons with its whistle (``whistle``) and its timeline (``log``); None out of scope."""
    s = summons.c
    row = conn.execute(select(summons).join(whistle, whistle.c.id == s.whistle_id)
                       .where(s.id == summons_id, summons_visible(scope))).mappings().first()
    if row is None:
        return None
    out = dict(row)
    out["late"] = late_steps(out, now)
    out["whistle"] = dict(conn.execute(select(whistle).where(whistle.c.id == out["whistle_id"])).mappings().one())
    out["log"] = timeline(conn, summons_id)
    return out


def timeline(conn: Connection, summons_id: int) -> list[dict]:
    """The summons' log, oldest first (ids break ties of one instant)."""
    g = summons_log.c
    return [dict(r) for r in conn.execute(select(summons_log).where(g.summons_id == summons_id)
                                          .order_by(g.at, g.id)).mappings()]


def department_summons(conn: Connection, department_code: str, now: datetime, *, open_only: bool = True,
                       limit: int = 200) -> list[dict]:
    """A department's summons (its liaison's list): overdue first, then by the nearest deadline."""
    s, w = summons.c, whistle.c
    q = (select(summons, w.title, w.board, w.grid_code, w.village_code, w.urgent.label("whistle_urgent"), w.note.label("whistle_note"))
         .join(whistle, w.id == s.whistle_id).where(s.department_code == department_code))
    if open_only:
        q = q.where(s.status.in_(SUMMONS_OPEN))
    rows = [dict(r) for r in conn.execute(q.order_by(s.created_at.desc()).limit(limit)).mappings()]
    for r in rows:
        r["late"] = late_steps(r, now)
    rows.sort(key=lambda r: (not r["late"], r["status"] not in WORKING, r["ack_due_at"] if r["acknowledged_at"] is None
                             else r["arrive_due_at"] if r["arrived_at"] is None else r["resolve_due_at"]))
    return rows


def review_list(conn: Connection, *, open_only: bool = True) -> dict[str, list[dict]]:
    """The admin's list: ``contested`` (cases contested as not the department's responsibility:
    pending ones to decide, accepted ones flagged for review), ``gaps`` (categories whose list has
    no responsible department)."""
    s, w, r = summons.c, whistle.c, responsibility_review.c
    pending = [dict(x) for x in conn.execute(
        select(s.id, s.whistle_id, s.department_code, s.category_code, s.contest_reason, s.updated_at.label("at"),
               w.title).join(whistle, w.id == s.whistle_id).where(s.status == "contested").order_by(s.updated_at)).mappings()]
    q = (select(r.id, r.category_code, r.department_code, r.summons_id, r.reason, r.flagged_at, r.flagged_by,
                r.reviewed_at, r.reviewed_by, s.whistle_id, w.title)
         .outerjoin(summons, s.id == r.summons_id).outerjoin(whistle, w.id == s.whistle_id))
    if open_only:
        q = q.where(r.reviewed_at.is_(None))
    flagged = [dict(x) for x in conn.execute(q.order_by(r.flagged_at.desc(), r.id.desc())).mappings()]
    c, rs = category.c, responsibility.c
    leads = select(rs.category_code).where(rs.role == "lead")
    gaps = [dict(x) for x in conn.execute(
        select(c.code, c.board, c.name_zh, c.name_en, c.department_code,
               select(func.count()).select_from(responsibility).where(rs.category_code == c.code).scalar_subquery()
               .label("rows"))
        .where(c.code.not_in(leads)).order_by(c.board, c.code)).mappings()]
    return {"pending": pending, "flagged": flagged, "gaps": gaps}
