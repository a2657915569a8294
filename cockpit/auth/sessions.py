"""Server side of a login session. The browser holds a random session id inside Flask's signed
cookie; the database holds its SHA-256 with the login and last-seen times, so that expiry
(idle and absolute) and logout hold on every web worker and a copied cookie dies with its session.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, insert, select, update

from cockpit.warehouse.schema import user_session

TOUCH_EVERY = timedelta(seconds=60)  # last-seen is written at most this often (idle precision)


@dataclass(frozen=True)
class SessionPolicy:
    idle: timedelta
    absolute: timedelta


@dataclass(frozen=True)
class SessionRow:
    user_id: int | None
    kiosk: bool
    created_at: datetime
    last_seen_at: datetime


def _key(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def start_session(conn: Connection, user_id: int | None, *, kiosk: bool, ip: str | None, now: datetime) -> str:
    """Create a session and return its id (to put in the signed cookie)."""
    session_id = secrets.token_urlsafe(32)
    conn.execute(insert(user_session).values(id=_key(session_id), user_id=user_id, kiosk=kiosk, created_at=now,
                                             last_seen_at=now, ip=(ip or None) and ip[:64]))
    return session_id


def check_session(conn: Connection, session_id: str, policy: SessionPolicy, now: datetime) -> tuple[SessionRow | None, str]:
    """``(row, "ok")`` for a live session (its last-seen time refreshed), else ``(None, reason)`` with
    reason ``unknown``, ``ended``, ``idle`` or ``absolute``; an expired session is ended on the spot.
    Kiosk sessions have no idle or absolute limit: they live as long as the kiosk token (checked by the guard)."""
    key = _key(session_id)
    row = conn.execute(select(user_session).where(user_session.c.id == key)).first()
    if row is None:
        return None, "unknown"
    if row.ended_at is not None:
        return None, "ended"
    if not row.kiosk:
        if now - row.created_at > policy.absolute:
            reason = "absolute"
        elif now - row.last_seen_at > policy.idle:
            reason = "idle"
        else:
            reason = ""
        if reason:
            conn.execute(update(user_session).where(user_session.c.id == key).values(ended_at=now))
            return None, reason
    if now - row.last_seen_at >= TOUCH_EVERY:
        conn.execute(update(user_session).where(user_session.c.id == key).values(last_seen_at=now))
    return SessionRow(row.user_id, bool(row.kiosk), row.created_at, max(now, row.last_seen_at)), "ok"


def end_session(conn: Connection, session_id: str, now: datetime) -> None:
    conn.execute(update(user_session).where(user_session.c.id == _key(session_id), user_session.c.ended_at.is_(None))
                 .values(ended_at=now))


def end_user_sessions(conn: Connection, user_id: int, now: datetime) -> int:
    """End every open session of a user (after a password reset or disabling)."""
    return conn.execute(update(user_session).where(user_session.c.user_id == user_id, user_session.c.ended_at.is_(None))
                        .values(ended_at=now)).rowcount
