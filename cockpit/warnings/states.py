"""A warning's state machine, as data, and ``transition``: the one path that changes a warning.

Every change writes, in the caller's transaction, the warning's new state, one append-only
``warning_history`` row (actor, time, from → to, the state after it) and one audit row, and moves
the data version so the screens see it. The history row carries the whole state after the change
(status, level, active, silence), so a warning's current state is what its last history row says
(``state_from_history``).

Statuses: ``new`` → ``acknowledged`` (a person took it) → ``dispatched`` (a work order was made of
it, ``cockpit.orders``) → ``resolved`` (the order's assignee reported the result) → ``closed`` (the
township verified it); a reopened order (返工) takes its warning back to ``dispatched``.
``new`` → ``cleared`` (its condition ended before anyone acted); any open status → ``dismissed`` (a
person, with a reason). ``cleared``, ``dismissed`` and ``closed`` end a warning.

Two people acting on one warning at once: the change is conditional on the state the actor saw,
so the second gets ``WarningConflict`` instead of acting twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Mapping

from sqlalchemy import Connection, insert, select, update

from cockpit.auth.audit import audit
from cockpit.privacy import mask_text
from cockpit.warehouse.data_version import bump_data_version
from cockpit.warehouse.schema import warning, warning_history

ENGINE_ACTOR = "rules"  # the actor of the rule engine's changes

OPEN_STATUSES: tuple[str, ...] = ("new", "acknowledged", "dispatched", "resolved")
ENDED_STATUSES: tuple[str, ...] = ("cleared", "dismissed", "closed")
TAKEN_STATUSES: tuple[str, ...] = ("acknowledged", "dispatched", "resolved")  # a person has it
STATUSES: tuple[str, ...] = OPEN_STATUSES + ENDED_STATUSES


@dataclass(frozen=True)
class Action:
    """A kind of change: from which statuses it may happen, the status after it (None: unchanged),
    whether a person (rather than the rule engine) does it, and its audit action."""

    sources: tuple[str, ...]
    target: str | None
    by_person: bool
    audit_action: str


ACTIONS: dict[str, Action] = {
    "opened": Action((), "new", False, "warning.open"),
    "joined": Action(OPEN_STATUSES, None, False, "warning.join"),  # new evidence of the same subject
    "level_raised": Action(OPEN_STATUSES, None, False, "warning.raise"),  # the condition got worse
    "escalated": Action(("new",), None, False, "warning.escalate"),  # not acknowledged within its SLA
    "condition_gone": Action(TAKEN_STATUSES, None, False, "warning.condition_gone"),  # holds no more; a person has it
    "condition_back": Action(TAKEN_STATUSES, None, False, "warning.condition_back"),
    "cleared": Action(("new",), "cleared", False, "warning.clear"),  # ended before anyone acted
    "silenced": Action(OPEN_STATUSES, None, False, "warning.silence"),
    "unsilenced": Action(OPEN_STATUSES, None, False, "warning.unsilence"),
    "acknowledged": Action(("new",), "acknowledged", True, "warning.acknowledge"),
    "dismissed": Action(OPEN_STATUSES, "dismissed", True, "warning.dismiss"),
    # the work order made of it (cockpit.orders) moves it on
    "dispatched": Action(("new", "acknowledged"), "dispatched", True, "warning.dispatch"),
    "order_resolved": Action(("dispatched",), "resolved", True, "warning.order_resolved"),
    "order_reopened": Action(("resolved",), "dispatched", True, "warning.order_reopened"),
    "closed": Action(("resolved",), "closed", True, "warning.close"),
    "order_overdue": Action(("dispatched",), None, False, "warning.order_overdue"),  # its order missed a deadline
}


class WarningError(Exception):
    """A refused change. ``key``: the catalogue key of the message the screens show."""

    key = "warning.error.refused"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class WarningNotFound(WarningError):
    key = "warning.error.not_found"


class TransitionRefused(WarningError):
    key = "warning.error.refused"


class WarningConflict(WarningError):
    key = "warning.error.conflict"


class ReasonRequired(WarningError):
    key = "warning.error.reason_required"


_UNSET: Any = object()
# the columns a history row copies from the warning after the change
_STATE = ("status", "level", "active", "silence_id")


def load(conn: Connection, warning_id: int, *, lock: bool = False) -> dict:
    """The warning's row. Raises ``WarningNotFound``. ``lock``: FOR UPDATE where the database has it."""
    stmt = select(warning).where(warning.c.id == warning_id)
    if lock and conn.dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    row = conn.execute(stmt).mappings().first()
    if row is None:
        raise WarningNotFound(f"warning {warning_id} does not exist")
    return dict(row)


def _history(conn: Connection, w: Mapping[str, Any], action: str, actor: str, now: datetime, *,
             from_status: str | None, from_level: str | None, evidence_added: int, note: str | None) -> None:
    conn.execute(insert(warning_history).values(
        warning_id=w["id"], at=now, actor=mask_text(actor)[:64], action=action, from_status=from_status,
        to_status=w["status"], from_level=from_level, to_level=w["level"], active=w["active"],
        silence_id=w["silence_id"], evidence_added=evidence_added, note=mask_text(note) if note else None,
    ))


def _audit(conn: Connection, w: Mapping[str, Any], action: str, actor: str, now: datetime, ip: str | None,
           detail: Mapping[str, Any]) -> None:
    audit(conn, actor, ACTIONS[action].audit_action, "warning", w["id"],
          {"rule": w["rule"], "status": w["status"], "level": w["level"], **detail}, ip=ip, now=now)


def open_warning(conn: Connection, values: Mapping[str, Any], now: datetime, *, actor: str = ENGINE_ACTOR,
                 note: str | None = None) -> dict:
    """Insert a new warning (status ``new``) with its ``opened`` history and audit rows; returns its row.
    ``values``: the warning's columns except id, status and the time stamps set here."""
    row = {**values, "status": "new", "opened_at": now, "updated_at": now,
           "last_matched_at": values.get("last_matched_at", now)}
    row.setdefault("active", True)
    row.setdefault("silence_id", None)
    wid = conn.execute(insert(warning).values(**row).returning(warning.c.id)).scalar_one()
    w = {**row, "id": wid}
    _history(conn, w, "opened", actor, now, from_status=None, from_level=None,
             evidence_added=int(values.get("evidence_count") or 0), note=note)
    _audit(conn, w, "opened", actor, now, None, {"subject": w["subject"]})
    bump_data_version(conn)
    return w


def transition(conn: Connection, warning_id: int, action: str, actor: str, now: datetime, *,
               seen: Mapping[str, Any] | None = None, level: str | None = None, active: bool | None = None,
               silence_id: Any = _UNSET, evidence_added: int = 0, note: str | None = None,
               columns: Mapping[str, Any] | None = None, ip: str | None = None) -> dict:
    """Apply ``action`` to the warning and return its row after it.

    ``seen``: the warning as the actor saw it (default: read now); the change only happens if it is
    still in that status and level, else ``WarningConflict``. ``level``/``active``/``silence_id``:
    the state after the change where the action changes it; ``columns``: other columns to set
    (evidence count, last match, due time …). Raises ``TransitionRefused`` if the action is not
    allowed from the warning's status."""
    spec = ACTIONS.get(action)
    if spec is None or action == "opened":
        raise TransitionRefused(f"unknown action {action!r}")
    current = load(conn, warning_id, lock=True)
    before = dict(seen) if seen is not None else current
    if (current["status"], current["level"], current["silence_id"]) != (before["status"], before["level"], before["silence_id"]):
        raise WarningConflict(f"warning {warning_id} was changed by someone else: it is now {current['status']}")
    if current["status"] not in spec.sources:
        raise TransitionRefused(f"a {current['status']} warning cannot be {action}")
    values: dict[str, Any] = dict(columns or {})
    if spec.target:
        values["status"] = spec.target
    if level is not None:
        values["level"] = level
    if active is not None:
        values["active"] = active
    if silence_id is not _UNSET:
        values["silence_id"] = silence_id
    if values.get("status") in ENDED_STATUSES:
        values.update(open_fingerprint=None, ended_at=now)
    values["updated_at"] = now
    guard = [warning.c.id == warning_id, warning.c.status == current["status"], warning.c.level == current["level"]]
    guard.append(warning.c.silence_id.is_(None) if current["silence_id"] is None else warning.c.silence_id == current["silence_id"])
    done = conn.execute(update(warning).where(*guard).values(**values))
    if done.rowcount != 1:  # changed between our read and our write (SQLite has no row locks)
        raise WarningConflict(f"warning {warning_id} was changed by someone else")
    after = {**current, **values}
    _history(conn, after, action, actor, now, from_status=current["status"], from_level=current["level"],
             evidence_added=evidence_added, note=note)
    detail: dict[str, Any] = {"from_status": current["status"], "from_level": current["level"]}
    if evidence_added:
        detail["evidence_added"] = evidence_added
    if note:
        detail["note"] = note
    _audit(conn, after, action, actor, now, ip, detail)
    bump_data_version(conn)
    return after


def state_from_history(conn: Connection, warning_id: int) -> dict[str, Any] | None:
    """The warning's state (status, level, active, silence_id) as its last history row records it."""
    h = warning_history.c
    row = conn.execute(select(h.to_status, h.to_level, h.active, h.silence_id).where(h.warning_id == warning_id)
                       .order_by(h.id.desc()).limit(1)).first()
    return None if row is None else dict(zip(_STATE, row))
