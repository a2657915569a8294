"""The audit log for the administrators' audit page: who did what, when, filtered."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pandas as pd
from sqlalchemy import select

from cockpit.scope import Scope
from cockpit.warehouse import schema as s
from queries._base import DB, frame, township_wide_clause


def audit_entries(db: DB, scope: Scope, *, actor: str | None = None, action: str | None = None,
                  obj_type: str | None = None, start: date | None = None, end: date | None = None,
                  limit: int = 500) -> pd.DataFrame:
    """Audit rows newest first: id, at, actor, action, obj_type, obj_id, detail, ip.

    ``actor`` matches the start of the user name; ``start``/``end`` are inclusive days. Not cached:
    the log changes with every login and view, not with loads.
    """
    a = s.audit_log
    w = [township_wide_clause(scope)]
    if actor:
        w.append(a.c.actor.startswith(actor, autoescape=True))
    if action:
        w.append(a.c.action == action)
    if obj_type:
        w.append(a.c.obj_type == obj_type)
    if start:
        w.append(a.c.at >= datetime.combine(start, time.min))
    if end:
        w.append(a.c.at < datetime.combine(end + timedelta(days=1), time.min))
    return frame(db, select(a.c.id, a.c.at, a.c.actor, a.c.action, a.c.obj_type, a.c.obj_id, a.c.detail, a.c.ip)
                 .where(*w).order_by(a.c.at.desc(), a.c.id.desc()).limit(limit))


def audit_actions(db: DB, scope: Scope) -> list[str]:
    """The actions present in the log (for the filter), alphabetically."""
    a = s.audit_log
    df = frame(db, select(a.c.action).where(township_wide_clause(scope)).group_by(a.c.action).order_by(a.c.action))
    return df["action"].tolist()
