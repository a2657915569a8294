"""The one way a workflow record changes state: a ``Machine`` and its ``transition``.

Work orders (``cockpit.orders.states``), whistles and summons (``cockpit.whistles.states``) are
state machines described as data: which statuses an action starts from, the status after it, who
does it and whether it needs a note. ``Machine.transition`` writes, in the caller's transaction:

- the record's new state, conditional on the state the actor saw (a second person acting on the
  same record at once gets the machine's conflict error instead of acting twice);
- one append-only log row (actor, time, action, from → to, the state columns after it, the note);
- one audit row;
- the data version, so the screens see the change.

Because each log row carries the state after the change, a record's current state is what its
last log row says (``state_from_log``), which the tests check after every step.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Mapping

from sqlalchemy import Connection, Table, insert, select, update

from cockpit.auth.audit import audit
from cockpit.privacy import mask_text
from cockpit.warehouse.data_version import bump_data_version


@dataclass(frozen=True)
class Action:
    """A kind of change: from which statuses, the status after it (None: unchanged, or what the caller
    sets in ``columns``), who does it, whether a note is required, and its audit action."""

    sources: tuple[str, ...]
    target: str | None
    by: str
    note_required: bool
    audit_action: str


class WorkflowError(Exception):
    """A refused change. ``key``: the catalogue key of the message the screens show."""

    key = "workflow.error.refused"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Errors:
    """The machine's error classes (each a ``WorkflowError``): so a work order's refusal is an
    ``OrderError`` and a summons' a ``SummonsError``, with their own messages."""

    not_found: type[WorkflowError]
    refused: type[WorkflowError]
    conflict: type[WorkflowError]
    note_required: type[WorkflowError]


@dataclass(frozen=True)
class Machine:
    """A workflow record's table, its append-only log and its actions.

    ``state``: the columns a change is conditional on (besides the status) and the log copies;
    ``open_key``: a unique column that holds while the record is open and is cleared when it ends;
    ``audit_detail``: what every audit row of the record says about it."""

    noun: str  # in messages: "work order"
    entity: str  # the audit log's object type
    table: Table
    log: Table
    log_fk: str  # the log's column naming the record
    actions: Mapping[str, Action]
    ended: tuple[str, ...]
    errors: Errors
    created_by: str  # the action that creates a record
    state: tuple[str, ...] = ()
    open_key: str | None = None
    audit_detail: Callable[[Mapping[str, Any]], dict[str, Any]] = field(default=lambda row: {"status": row["status"]})

    def load(self, conn: Connection, record_id: int, *, lock: bool = False) -> dict:
        """The record's row; raises the machine's not-found error. ``lock``: FOR UPDATE where the
        database has it."""
        stmt = select(self.table).where(self.table.c.id == record_id)
        if lock and conn.dialect.name == "postgresql":
            stmt = stmt.with_for_update()
        row = conn.execute(stmt).mappings().first()
        if row is None:
            raise self.errors.not_found(f"{self.noun} {record_id} does not exist")
        return dict(row)

    def _log(self, conn: Connection, row: Mapping[str, Any], action: str, actor: str, now: datetime, *,
             from_status: str | None, note: str | None, log_values: Mapping[str, Any] | None) -> int:
        values = {self.log_fk: row["id"], "at": now, "actor": mask_text(actor)[:64], "action": action,
                  "from_status": from_status, "to_status": row["status"], **{k: row[k] for k in self.state},
                  "note": mask_text(note) if note else None, **(log_values or {})}
        return conn.execute(insert(self.log).values(**values).returning(self.log.c.id)).scalar_one()

    def _audit(self, conn: Connection, row: Mapping[str, Any], action: str, actor: str, now: datetime,
               ip: str | None, detail: Mapping[str, Any]) -> None:
        audit(conn, actor, self.actions[action].audit_action, self.entity, row["id"],
              {**self.audit_detail(row), **detail}, ip=ip, now=now)

    def create(self, conn: Connection, values: Mapping[str, Any], actor: str, now: datetime, *,
               note: str | None = None, ip: str | None = None, detail: Mapping[str, Any] | None = None,
               log_values: Mapping[str, Any] | None = None) -> tuple[dict, int]:
        """Insert a record in the status of the creating action, with its log and audit rows; returns
        the row and the log row's id. ``values``: the record's columns except id and status."""
        row = {**values, "status": self.actions[self.created_by].target}
        rid = conn.execute(insert(self.table).values(**row).returning(self.table.c.id)).scalar_one()
        row["id"] = rid
        log_id = self._log(conn, row, self.created_by, actor, now, from_status=None, note=note, log_values=log_values)
        self._audit(conn, row, self.created_by, actor, now, ip, dict(detail or {}))
        bump_data_version(conn)
        return row, log_id

    def transition(self, conn: Connection, record_id: int, action: str, actor: str, now: datetime, *,
                   seen: Mapping[str, Any] | None = None, note: str | None = None,
                   columns: Mapping[str, Any] | None = None, ip: str | None = None,
                   log_values: Mapping[str, Any] | None = None) -> tuple[dict, int]:
        """Apply ``action``; returns the row after it and the log row's id.

        ``seen``: the record as the actor saw it (default: read now); the change happens only if its
        status and state columns are still what the actor saw, else the conflict error. ``columns``:
        other columns to set (time stamps, a rating …; the status itself for an action without a
        fixed target). Raises the refused error if the action is unknown or not allowed from the
        record's status, the note error if it needs a note and has none."""
        spec = self.actions.get(action)
        if spec is None or action == self.created_by:
            raise self.errors.refused(f"unknown action {action!r}")
        note = (note or "").strip() or None
        if spec.note_required and not note:
            raise self.errors.note_required(f"{action} needs a note")
        current = self.load(conn, record_id, lock=True)
        before = dict(seen) if seen is not None else current
        watched = ("status", *self.state)
        if any(current[k] != before.get(k) for k in watched):
            raise self.errors.conflict(f"{self.noun} {record_id} was changed by someone else: it is now {current['status']}")
        if current["status"] not in spec.sources:
            raise self.errors.refused(f"a {current['status']} {self.noun} cannot be {action}")
        values: dict[str, Any] = dict(columns or {})
        if spec.target:
            values["status"] = spec.target
        if values.get("status") in self.ended:
            values["ended_at"] = now
            if self.open_key:
                values[self.open_key] = None
        values["updated_at"] = now
        c = self.table.c
        guard = [c.id == record_id]
        for k in watched:
            guard.append(c[k].is_(None) if current[k] is None else c[k] == current[k])
        done = conn.execute(update(self.table).where(*guard).values(**values))
        if done.rowcount != 1:  # changed between our read and our write (SQLite has no row locks)
            raise self.errors.conflict(f"{self.noun} {record_id} was changed by someone else")
        after = {**current, **values}
        log_id = self._log(conn, after, action, actor, now, from_status=current["status"], note=note,
                           log_values=log_values)
        detail: dict[str, Any] = {"from_status": current["status"]}
        if note:
            detail["note"] = note
        self._audit(conn, after, action, actor, now, ip, {**detail, **(log_values or {})})
        bump_data_version(conn)
        return after, log_id

    def state_from_log(self, conn: Connection, record_id: int) -> dict[str, Any] | None:
        """The record's state (status and state columns) as its last log row records it."""
        g = self.log.c
        cols = [g.to_status, *(g[k] for k in self.state)]
        row = conn.execute(select(*cols).where(g[self.log_fk] == record_id).order_by(g.id.desc()).limit(1)).first()
        return None if row is None else dict(zip(("status", *self.state), row))
