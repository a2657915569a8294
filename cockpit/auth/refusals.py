"""Audit records of refused requests (a wrong CSRF token, a kiosk trying to write, a 403 of the guard,
a blocked login), with a ceiling so that an attacker cannot flood the audit log cheaply.

Refusals are counted per action, actor and address; the first ``PER_WINDOW`` of a window are
written, the last of them saying until when further ones go unrecorded. The counting costs one
row per action, actor and address, however many requests are refused.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Mapping

from sqlalchemy import Connection

from cockpit.auth.audit import audit
from cockpit.auth.ratelimit import take

PER_WINDOW = 20
WINDOW = timedelta(minutes=10)


def audit_refusal(conn: Connection, actor: str, action: str, obj_type: str | None = None, obj_id: Any = None,
                  detail: Mapping[str, Any] | None = None, *, ip: str | None, now: datetime) -> bool:
    """``audit`` a refused request unless ``PER_WINDOW`` of the same action by the same actor from
    the same address were written in the window; True if written."""
    number, window_end = take(conn, action[:24], actor or "-", ip or "-", PER_WINDOW, WINDOW, now)
    if not number:
        return False
    detail = dict(detail or {})
    if number == PER_WINDOW:
        detail["unrecorded_until"] = window_end
    audit(conn, actor or "-", action, obj_type, obj_id, detail, ip=ip, now=now)
    return True
