"""What a person does to a warning (operators and leaders, permission ``warning.act``): acknowledge
it, or dismiss it with a reason. Silences are in ``silences``. Each is one ``transition``."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Mapping

from sqlalchemy import Connection

from cockpit import clock
from cockpit.warnings.states import ReasonRequired, transition


def acknowledge(conn: Connection, warning_id: int, actor: str, *, note: str | None = None, ip: str | None = None,
                seen: Mapping[str, Any] | None = None, now: datetime | None = None) -> dict:
    """Take the warning: it stops escalating. ``seen``: the warning as the actor saw it (a conflict
    if someone else acted since)."""
    now = now or clock.now()
    return transition(conn, warning_id, "acknowledged", actor, now, seen=seen, note=(note or "").strip() or None,
                      columns={"acknowledged_at": now}, ip=ip)


def dismiss(conn: Connection, warning_id: int, actor: str, *, reason: str, ip: str | None = None,
            seen: Mapping[str, Any] | None = None, now: datetime | None = None) -> dict:
    """End the warning as not needing action, with the reason (required)."""
    reason = (reason or "").strip()
    if not reason:
        raise ReasonRequired("dismissing a warning needs a reason")
    return transition(conn, warning_id, "dismissed", actor, now or clock.now(), seen=seen, note=reason, ip=ip)
