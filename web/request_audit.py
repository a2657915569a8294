"""Audit records of what the current web request's user does on the screens: ``cockpit.auth.audit``
with the actor, address and time of the request."""

from __future__ import annotations

from typing import Any, Mapping

from sqlalchemy import Connection

from cockpit.auth.audit import audit
from cockpit.auth.refusals import audit_refusal
from web.request import current_user, request_ip, request_now


def audit_request(conn: Connection, action: str, obj_type: str | None = None, obj_id: Any = None,
                  detail: Mapping[str, Any] | None = None) -> None:
    """``audit`` with the actor and IP of the current web request (for screens and callbacks)."""
    user = current_user()
    audit(conn, user.username if user else "anonymous", action, obj_type, obj_id, detail,
          ip=request_ip(), now=request_now())


def audit_person_view(conn: Connection, person_key: str, *, context: str = "") -> None:
    """Record that the current user opened a personal record (call it from the screen that shows it)."""
    audit_request(conn, "person.view", "person", person_key, {"context": context} if context else None)


def audit_export(conn: Connection, what: str, params: Mapping[str, Any] | None = None, rows: int | None = None) -> None:
    """Record an export (CSV / Excel / PDF download) by the current user: what, with which filters, how many rows."""
    detail = {"what": what, "params": dict(params or {})}
    if rows is not None:
        detail["rows"] = rows
    audit_request(conn, "export", "export", what, detail)


def audit_export_refused(conn: Connection, what: str, reason: str, params: Mapping[str, Any] | None = None) -> bool:
    """Record a refused export (no permission, or a view outside the user's page or scope) as
    ``export.refused`` with the reason; floods are capped (``cockpit.auth.refusals``). True if written."""
    user = current_user()
    return audit_refusal(conn, user.username if user else "anonymous", "export.refused", "export", what,
                         {"what": what, "reason": reason, "params": dict(params or {})},
                         ip=request_ip(), now=request_now())
