"""The append-only audit log: who did what to which object, when, from where.

``audit`` writes one row in the caller's transaction, so an action and its record commit together.
The screens record their user's actions through ``web.request_audit`` (the actor and address of the request).
UPDATE and DELETE on ``audit_log`` are rejected by database triggers (migration 0003).

Actions in use: ``login.success``, ``login.failure``, ``login.blocked``, ``logout``, ``session.expired``,
``user.create|disable|enable|reset_password|change_password``, ``person.view``, ``person.list``,
``export``, and the refusals ``request.refused`` (a 403 of the guard), ``export.refused`` and
``person.view.refused`` (``cockpit.auth.refusals`` caps their floods); the workflows add ``warning.*``,
``work_order.*``, ``whistle.*``. Details, actor and object are masked (``cockpit.privacy``) as written.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any, Mapping

from sqlalchemy import Connection, insert

from cockpit.privacy import mask_text, mask_value
from cockpit.warehouse.schema import audit_log
from cockpit import clock


def _json_default(value: Any) -> str:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return str(value)


def audit(conn: Connection, actor: str, action: str, obj_type: str | None = None, obj_id: Any = None,
          detail: Mapping[str, Any] | None = None, *, ip: str | None = None, now: datetime | None = None) -> None:
    """Append one audit row. The personal numbers in ``detail`` (request parameters such as a filter),
    ``obj_id`` and ``actor`` (a sign-in attempt records the name typed) are masked before they are
    written; ``detail`` is stored as JSON."""
    # masked value by value first (a number after a newline is not found in the JSON text's "\n…"),
    # then as text (values the JSON encoder turns into strings)
    text = mask_text(json.dumps(mask_value(dict(detail or {})), ensure_ascii=False, sort_keys=True,
                                default=_json_default))
    actor = mask_text((actor or "?").replace("\x00", ""))
    obj_id = str(obj_id).replace("\x00", "") if obj_id is not None else None
    conn.execute(insert(audit_log).values(
        at=now or clock.now(), actor=actor[:64], action=action[:48],
        obj_type=obj_type[:32] if obj_type else None,
        obj_id=mask_text(obj_id)[:200] if obj_id is not None else None,
        detail=text, ip=(ip or None) and ip[:64],
    ))
