"""Blowing the whistle (街乡吹哨): the township summons several departments to a warning or a work order.

The departments are proposed from the responsibility list (the category's responsible department,
then its cooperating ones; a work order's own departments too) and the operator may change them.
Deadlines come from ``[whistle]`` (per category where configured): acknowledge within 30 minutes,
arrive within 2 h when urgent or 24 h otherwise, resolve within the category's SLA (an urgent
whistle within ``resolve_hours_urgent`` at most); the form may set its own. Each summoned department
gets a summons (its case) and a notice through the outbox. A warning or order has at most one open
whistle (``whistle.open_key``): a double click summons once.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Iterable, Mapping

from sqlalchemy import Connection, select
from sqlalchemy.exc import IntegrityError

from cockpit import clock
from cockpit.auth.roles import Account, can
from cockpit.notify import enqueue
from cockpit.orders.dispatch import DEFAULT_SLA_HOURS
from cockpit.orders.routing import LEAD, COOPERATE, is_department, responsible
from cockpit.orders import states as order_states
from cockpit.privacy import mask_text
from cockpit.warehouse.schema import category, whistle
from cockpit.warnings import states as warning_states
from cockpit.whistles.settings import whistle_settings
from cockpit.whistles.states import SUMMONS, WHISTLE, NotAllowed, SummonsConflict, WhistleRefused


def source_of(conn: Connection, *, warning_id: int | None = None, order_id: int | None = None) -> dict:
    """What a whistle is blown on: the warning's or the work order's title, board, category, place
    and departments, and the ``open_key`` that keeps one open whistle per source."""
    if (warning_id is None) == (order_id is None):
        raise WhistleRefused("blow a whistle on one warning or one work order")
    if warning_id is not None:
        w = warning_states.load(conn, int(warning_id))
        if w["status"] in warning_states.ENDED_STATUSES:
            raise WhistleRefused(f"warning {warning_id} has ended ({w['status']})")
        row, key, own = w, f"warning:{w['id']}", [w["department_code"]]
    else:
        o = order_states.load(conn, int(order_id))  # type: ignore[arg-type]
        if o["status"] in order_states.ENDED_STATUSES:
            raise WhistleRefused(f"work order {order_id} has ended ({o['status']})")
        row, key, own = o, f"order:{o['id']}", [o["department_code"], *(o["cooperating"] or "").split(",")]
    return {"open_key": key, "warning_id": warning_id, "order_id": order_id, "title": row["title"],
            "board": row["board"], "category_code": row["category_code"], "township_code": row["township_code"],
            "village_code": row["village_code"], "grid_code": row["grid_code"], "own": [d for d in own if d]}


def propose_departments(conn: Connection, source: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(department, lead | cooperate), the responsible department first: the list's departments for
    the category, then the source's own (a work order's responsible and cooperating departments)."""
    lead, cooperating = responsible(conn, source["category_code"]) if source.get("category_code") else (None, ())
    found: dict[str, str] = {}
    for code in (lead, *source.get("own", ())):
        if code and code not in found:
            found[code] = LEAD if not found else COOPERATE
    for code in cooperating:
        found.setdefault(code, COOPERATE)
    return list(found.items())


def deadlines(conn: Connection, category_code: str | None, urgent: bool, now: datetime, config: Any = None, *,
              ack_minutes: int | None = None, arrive_minutes: int | None = None,
              resolve_hours: int | None = None) -> tuple[datetime, datetime, datetime]:
    """(acknowledge by, arrive by, resolve by) for a whistle; the form's values over ``[whistle]``."""
    s = whistle_settings(config).for_category(category_code)
    ack = ack_minutes or s["ack_minutes"]
    arrive = arrive_minutes or (s["arrive_minutes_urgent"] if urgent else s["arrive_minutes"])
    hours = resolve_hours or s["resolve_hours"]
    if not hours:
        sla = conn.execute(select(category.c.sla_hours).where(category.c.code == category_code)).scalar() \
            if category_code else None
        hours = int(sla or DEFAULT_SLA_HOURS)
        if urgent:
            hours = min(hours, int(s["resolve_hours_urgent"]))  # type: ignore[arg-type]
    for name, value in (("ack_minutes", ack), ("arrive_minutes", arrive), ("resolve_hours", hours)):
        if int(value) < 1:  # type: ignore[arg-type]
            raise WhistleRefused(f"{name} must be at least 1 (got {value})")
    ack_due = now + timedelta(minutes=int(ack))  # type: ignore[arg-type]
    arrive_due = now + timedelta(minutes=int(arrive))  # type: ignore[arg-type]
    resolve_due = now + timedelta(hours=int(hours))
    if not ack_due <= arrive_due <= resolve_due:
        raise WhistleRefused("the deadlines must come in order: acknowledge, then arrive, then resolve")
    return ack_due, arrive_due, resolve_due


def notify_summons(conn: Connection, w: Mapping[str, Any], s: Mapping[str, Any], now: datetime) -> None:
    urgent = "【紧急】" if w["urgent"] else ""
    enqueue(conn, kind="summons", recipients=[f"department:{s['department_code']}"],
            title=f"{urgent}街乡吹哨 #{w['id']}：{w['title']}", group_key=f"summons|{w['id']}", now=now,
            body=f"请于 {s['ack_due_at']:%m-%d %H:%M} 前签收，{s['arrive_due_at']:%m-%d %H:%M} 前到场",
            link=f"/my/summons?id={s['id']}", warning_id=w.get("warning_id"), order_id=w.get("order_id"))


def blow_whistle(conn: Connection, user: Account | None, *, warning_id: int | None = None,
                 order_id: int | None = None, departments: Iterable[str] | None = None, urgent: bool = False,
                 ack_minutes: int | None = None, arrive_minutes: int | None = None,
                 resolve_hours: int | None = None, note: str | None = None, now: datetime | None = None,
                 ip: str | None = None, config: Any = None) -> dict:
    """Blow a whistle on a warning or a work order; returns the whistle with its ``summons`` rows.

    ``departments``: the departments to summon (default: ``propose_departments``), the first one the
    lead. Raises ``NotAllowed`` without ``whistle.act``, ``WhistleRefused`` for an unknown
    department, none, or deadlines out of order, ``SummonsConflict`` if the source has an open whistle."""
    if not can(user, "whistle.act"):
        raise NotAllowed("only the command centre (operator, leader) blows the whistle")
    actor = user.username  # type: ignore[union-attr]
    now = now or clock.now()
    source = source_of(conn, warning_id=warning_id, order_id=order_id)
    proposed = dict(propose_departments(conn, source))
    chosen = list(dict.fromkeys(d.strip() for d in (departments if departments is not None else proposed) if d and d.strip()))
    if not chosen:
        raise WhistleRefused("summon at least one department")
    for code in chosen:
        if not is_department(conn, code):
            raise WhistleRefused(f"unknown department {code!r}")
    ack_due, arrive_due, resolve_due = deadlines(conn, source["category_code"], urgent, now, config,
                                                 ack_minutes=ack_minutes, arrive_minutes=arrive_minutes,
                                                 resolve_hours=resolve_hours)
    note = (note or "").strip() or None
    values = {k: source[k] for k in ("open_key", "warning_id", "order_id", "board", "category_code", "township_code",
                                     "village_code", "grid_code")}
    values.update(title=mask_text(source["title"])[:200], urgent=bool(urgent), note=mask_text(note) if note else None,
                  created_at=now, created_by=actor[:64], updated_at=now)
    try:
        with conn.begin_nested():
            w, _ = WHISTLE.create(conn, values, actor, now, note=note, ip=ip,
                                  detail={"departments": chosen, "open_key": values["open_key"]})
    except IntegrityError:  # blown on the same source a moment ago
        existing = conn.execute(select(whistle.c.id).where(whistle.c.open_key == values["open_key"])).scalar()
        raise SummonsConflict(f"a whistle is already open on it: whistle {existing}") from None
    rows = []
    for i, code in enumerate(chosen):
        role = LEAD if i == 0 else COOPERATE
        s, _ = SUMMONS.create(conn, {
            "whistle_id": w["id"], "department_code": code, "role": role, "township_code": w["township_code"],
            "category_code": w["category_code"], "urgent": w["urgent"], "created_at": now, "ack_due_at": ack_due,
            "arrive_due_at": arrive_due, "resolve_due_at": resolve_due, "reopen_count": 0, "updated_at": now,
        }, actor, now, note=note, ip=ip)
        notify_summons(conn, w, s, now)
        rows.append(s)
    return {**w, "summons": rows}
