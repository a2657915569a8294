"""The in-app notification list (the ``notice`` table, SPEC §9): what the signed-in user reads. A user
sees the notices addressed to ``user:<their username>``, ``role:<their role>`` and, for a department
liaison, ``department:<their department>`` — never another user's. Not cached: it changes with every
dispatch and every "mark read", not with loads."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, select

from cockpit.notify.notices import mark_read as _mark_read
from cockpit.notify.notices import recipients_of
from cockpit.warehouse.schema import notice
from queries._base import DB, records, scalar

__all__ = ["latest_notices", "mark_read", "recipients_of", "unread_count"]


def unread_count(db: DB, user: Any) -> int:
    """How many of the user's notices are unread (0 for nobody or the kiosk)."""
    mine = recipients_of(user)
    if not mine:
        return 0
    return int(scalar(db, select(func.count()).select_from(notice)
                      .where(notice.c.recipient.in_(mine), notice.c.read_at.is_(None))) or 0)


def latest_notices(db: DB, user: Any, limit: int = 50) -> list[dict[str, Any]]:
    """The user's newest notices first: id, kind, recipient, title, body, link, created_at, read_at."""
    mine = recipients_of(user)
    if not mine:
        return []
    stmt = (select(notice.c.id, notice.c.kind, notice.c.recipient, notice.c.title, notice.c.body, notice.c.link,
                   notice.c.created_at, notice.c.read_at)
            .where(notice.c.recipient.in_(mine)).order_by(notice.c.created_at.desc(), notice.c.id.desc()).limit(limit))
    return records(db, stmt)


def mark_read(engine: Engine, user: Any, now: datetime, ids: Iterable[int] | None = None) -> int:
    """Mark the user's unread notices (only ``ids`` if given) read, in a transaction of its own."""
    with engine.begin() as conn:
        return _mark_read(conn, user, now, ids)
