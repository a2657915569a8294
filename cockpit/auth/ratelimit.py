"""Rate limiting of failed logins, per username and per IP, stored in the database so that
every web worker sees the same counts.

A username is blocked after ``max_attempts`` failures within the window since its last successful
login; an IP after ``IP_FACTOR × max_attempts`` failures within the window (several people in the
command centre may share one address, and a success does not reset it, so one valid account
cannot be used to keep guessing others).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, delete, func, insert, select

from cockpit.warehouse.schema import login_attempt

IP_FACTOR = 4


@dataclass(frozen=True)
class Limits:
    max_attempts: int
    window: timedelta


def record_attempt(conn: Connection, username: str, ip: str, success: bool, now: datetime) -> None:
    conn.execute(insert(login_attempt).values(at=now, username=username[:64], ip=(ip or "-")[:64], success=success))


def blocked_until(conn: Connection, username: str, ip: str, limits: Limits, now: datetime) -> datetime | None:
    """When the block on ``username`` or ``ip`` lifts, or None if a login may be tried now."""
    since = now - limits.window
    last_success = conn.execute(select(func.max(login_attempt.c.at)).where(
        login_attempt.c.username == username, login_attempt.c.success == True)).scalar()  # noqa: E712
    user_since = max(since, last_success) if last_success else since
    user_failures = conn.execute(select(login_attempt.c.at).where(
        login_attempt.c.username == username, login_attempt.c.success == False,  # noqa: E712
        login_attempt.c.at > user_since).order_by(login_attempt.c.at.desc()).limit(limits.max_attempts)).scalars().all()
    ip_limit = limits.max_attempts * IP_FACTOR
    ip_failures = conn.execute(select(login_attempt.c.at).where(
        login_attempt.c.ip == (ip or "-")[:64], login_attempt.c.success == False,  # noqa: E712
        login_attempt.c.at > since).order_by(login_attempt.c.at.desc()).limit(ip_limit)).scalars().all()
    ends = []
    if len(user_failures) >= limits.max_attempts:  # lifts when the oldest of the last N leaves the window
        ends.append(user_failures[-1] + limits.window)
    if len(ip_failures) >= ip_limit:
        ends.append(ip_failures[-1] + limits.window)
    return max(ends) if ends else None


def prune(conn: Connection, now: datetime, keep: timedelta = timedelta(days=30)) -> int:
    """Delete attempts older than ``keep`` (the audit log keeps the lasting record)."""
    return conn.execute(delete(login_attempt).where(login_attempt.c.at < now - keep)).rowcount
