"""The notice list: one row per recipient of a notification, read in the app and sent by the outbox."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, update

from cockpit.privacy import mask_text
from cockpit.warehouse.schema import notice

KINDS: tuple[str, ...] = ("dispatch", "escalation", "overdue", "summons")


def enqueue(conn: Connection, *, kind: str, recipients: Iterable[str], title: str, group_key: str, now: datetime,
            body: str | None = None, link: str | None = None, order_id: int | None = None,
            warning_id: int | None = None) -> int:
    """Write one notice per recipient ("user:<name>", "department:<code>", "role:<role>") in the
    caller's transaction; returns how many. ``group_key``: notices of one key go out as one message
    (e.g. the elderly alarms of one village)."""
    if kind not in KINDS:
        raise ValueError(f"unknown notice kind {kind!r}")
    rows = [{"kind": kind, "recipient": r[:100], "group_key": group_key[:200], "order_id": order_id,
             "warning_id": warning_id, "title": mask_text(title)[:200], "body": mask_text(body) if body else None,
             "link": link, "created_at": now} for r in dict.fromkeys(recipients) if r]
    if rows:
        conn.execute(insert(notice), rows)
    return len(rows)


def recipients_of(user: Any) -> list[str]:
    """The recipients a signed-in user reads: ``user:<username>``, ``role:<role>`` and, for a
    department liaison, ``department:<code>``. Nobody (or the kiosk, which has no account): none."""
    if user is None or getattr(user, "id", None) is None:
        return []
    found = [f"user:{user.username}", f"role:{user.role}"]
    if getattr(user, "department_code", None):
        found.append(f"department:{user.department_code}")
    return found


def mark_read(conn: Connection, user: Any, now: datetime, ids: Iterable[int] | None = None) -> int:
    """Mark the user's unread notices (only ``ids`` if given) as read; returns how many. A notice
    of someone else is never touched, whatever ``ids`` says."""
    mine = recipients_of(user)
    if not mine:
        return 0
    q = update(notice).where(notice.c.recipient.in_(mine), notice.c.read_at.is_(None))
    if ids is not None:
        ids = [int(i) for i in ids]
        if not ids:
            return 0
        q = q.where(notice.c.id.in_(ids))
    return conn.execute(q.values(read_at=now)).rowcount
