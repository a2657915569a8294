"""Silences: mute the warnings that match (rule, area, category) from a start to an end, without
losing them (the Alertmanager model). A muted warning is still recorded, joined and listed; it is
kept off the big screen and does not escalate. A silence expires by itself at its end: the next
rules pass unmutes what it muted (``apply_silences``), each change a history row.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Mapping

from sqlalchemy import Connection, insert, select, update

from cockpit import clock
from cockpit.auth.audit import audit
from cockpit.warehouse.schema import silence, warning
from cockpit.warnings.states import (
    OPEN_STATUSES,
    ReasonRequired,
    TransitionRefused,
    WarningError,
    transition,
)


def matches(s: Mapping[str, Any], w: Mapping[str, Any]) -> bool:
    """True if silence ``s`` matches warning ``w`` (each matcher NULL = any; the area matches itself
    and everything under it)."""
    place = w.get("grid_code") or w.get("village_code") or w.get("township_code") or ""
    return ((s["rule"] is None or s["rule"] == w["rule"])
            and (s["category_code"] is None or s["category_code"] == w.get("category_code"))
            and (s["area_code"] is None or place.startswith(s["area_code"])))


def active_silences(conn: Connection, now: datetime) -> list[dict]:
    """Silences in force at ``now``, oldest first."""
    c = silence.c
    return [dict(r) for r in conn.execute(select(silence).where(c.starts_at <= now, c.ends_at > now).order_by(c.id)).mappings()]


def apply_silences(conn: Connection, now: datetime, actor: str, *, ip: str | None = None,
                   warning_ids: list[int] | None = None) -> tuple[int, int]:
    """Mute the open warnings a silence in force matches and unmute those whose silence has ended or
    no longer matches. Returns (silenced, unsilenced)."""
    in_force = active_silences(conn, now)
    stmt = select(warning).where(warning.c.status.in_(OPEN_STATUSES))
    if warning_ids is not None:
        stmt = stmt.where(warning.c.id.in_(warning_ids))
    muted = unmuted = 0
    for w in [dict(r) for r in conn.execute(stmt).mappings()]:
        current = next((s for s in in_force if s["id"] == w["silence_id"] and matches(s, w)), None)
        wanted = current or next((s for s in in_force if matches(s, w)), None)
        wanted_id = wanted["id"] if wanted else None
        if wanted_id == w["silence_id"]:
            continue
        if wanted_id is None:
            transition(conn, w["id"], "unsilenced", actor, now, seen=w, silence_id=None, ip=ip,
                       note="静默已结束" if w["silence_id"] else None)
            unmuted += 1
        else:
            transition(conn, w["id"], "silenced", actor, now, seen=w, silence_id=wanted_id, ip=ip, note=wanted["reason"])
            muted += 1
    return muted, unmuted


def create_silence(conn: Connection, *, author: str, reason: str, ends_at: datetime, starts_at: datetime | None = None,
                   rule: str | None = None, area_code: str | None = None, category_code: str | None = None,
                   ip: str | None = None, now: datetime | None = None) -> int:
    """Record a silence and mute the open warnings it matches at once; returns its id.
    Raises ``ReasonRequired`` without a reason, ``TransitionRefused`` for an end not after its start."""
    now = now or clock.now()
    reason = (reason or "").strip()
    if not reason:
        raise ReasonRequired("a silence needs a reason")
    starts_at = starts_at or now
    if ends_at <= starts_at or ends_at <= now:
        raise TransitionRefused("a silence must end after it starts, in the future")
    sid = conn.execute(insert(silence).values(
        rule=rule or None, area_code=area_code or None, category_code=category_code or None, starts_at=starts_at,
        ends_at=ends_at, author=author[:64], reason=reason, created_at=now).returning(silence.c.id)).scalar_one()
    audit(conn, author, "silence.create", "silence", sid,
          {"rule": rule, "area_code": area_code, "category_code": category_code, "starts_at": starts_at,
           "ends_at": ends_at, "reason": reason}, ip=ip, now=now)
    apply_silences(conn, now, author, ip=ip)
    return sid


def end_silence(conn: Connection, silence_id: int, actor: str, *, ip: str | None = None, now: datetime | None = None) -> None:
    """End a silence now (its record stays) and unmute what it muted."""
    now = now or clock.now()
    row = conn.execute(select(silence).where(silence.c.id == silence_id)).mappings().first()
    if row is None:
        raise WarningError(f"silence {silence_id} does not exist")
    if row["ends_at"] > now:
        conn.execute(update(silence).where(silence.c.id == silence_id).values(ends_at=max(now, row["starts_at"])))
    audit(conn, actor, "silence.end", "silence", silence_id, {"ended_at": now, "planned_end": row["ends_at"]}, ip=ip, now=now)
    apply_silences(conn, now, actor, ip=ip)
