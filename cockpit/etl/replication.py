"""How a source is read incrementally: by its replication key, or by re-reading it whole and
comparing row hashes.

The replication key is any column of the source, mapped to a warehouse field or not: the extract
reads it, the watermark advances on it, and it is part of each row's hash (a new version of a
source row is written even when no mapped value changed). A source without one is re-read whole
on every run; only the rows whose hash changed are written.

``replication_plan`` says which of the two a source gets and what the operator should know about
it (``config check`` prints it per source). A key that is a creation time (the column is mapped to
a field that records when a record was made, or its name says so) still loads new rows, but a later
change of an old row does not move it past the watermark: such updates are seen only by the daily
full reconciliation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from cockpit.config import SourceConfig

# Fields whose value is the moment a record was made (reported, submitted, registered …), per target:
# a replication key mapped to one of them does not move when the record is later changed.
CREATION_FIELDS: dict[str, frozenset[str]] = {
    "event": frozenset({"reported_at"}),
    "service_application": frozenset({"submitted_at"}),
    "enterprise": frozenset({"registered_on"}),
    "cadre_relative": frozenset({"declared_on"}),
    "inspection": frozenset({"inspected_at"}),
    "subsidy_payment": frozenset({"paid_on"}),
    "service_step": frozenset({"started_at"}),
    "person_tag": frozenset({"since"}),
    "sensor_reading": frozenset({"ts"}),
}
# Column-name fragments (lower-cased) that say "made at" rather than "changed at".
CREATION_NAME_HINTS: tuple[str, ...] = ("create", "insert", "report", "登记", "创建", "录入", "上报")
UPDATE_NAME_HINTS: tuple[str, ...] = ("update", "modif", "change", "更新", "修改", "变更")

NOTE_HASHES = "no replication key: every run re-reads the whole source and compares row hashes"
NOTE_CREATION = ("updates to old rows are missed: the key is a creation time ({column!r}), so a change to an "
                 "existing row does not move it past the watermark (only the daily full reconciliation sees it); "
                 "name a last-changed column as replication_key if the source has one")


@dataclass(frozen=True)
class ReplicationPlan:
    kind: Literal["key", "hashes"]
    column: str | None  # the replication column (kind 'key')
    note: str | None  # what the operator should know (None: nothing to warn about)
    field: str | None = None  # the warehouse field the column is mapped to, if any
    format: str | None = None  # file sources: the declared date format of the column, if any
    creation_time: bool = False  # the key is a creation time (updates to old rows are missed)

    @property
    def warning(self) -> bool:
        return self.note is not None


def replication_plan(source: SourceConfig) -> ReplicationPlan:
    """The replication plan of a source, from its configuration alone (no connection). Whether the
    column exists in the source is checked when it is read (``extract.check_columns``)."""
    column = source.replication_key
    if not column:
        return ReplicationPlan("hashes", None, NOTE_HASHES)
    fields = [f for f, c in source.columns.items() if c == column]
    fmt = replication_format(source)
    creation = is_creation_time(source, column, fields)
    note = NOTE_CREATION.format(column=column) if creation else None
    return ReplicationPlan("key", column, note, field=fields[0] if fields else None, format=fmt,
                           creation_time=creation)


def replication_format(source: SourceConfig) -> str | None:
    """The date format of a file source's replication column: ``replication_format`` if declared,
    else the format of a date field mapped to the column, else None (the extract detects it)."""
    if source.replication_format:
        return source.replication_format
    column = source.replication_key
    return next((source.formats[f] for f, c in source.columns.items() if c == column and f in source.formats), None)


def is_creation_time(source: SourceConfig, column: str, fields: list[str] | None = None) -> bool:
    """A column that records when a row was made, not when it last changed."""
    if fields is None:
        fields = [f for f, c in source.columns.items() if c == column]
    if set(fields) & CREATION_FIELDS.get(source.target, frozenset()):
        return True
    name = column.lower()
    if any(h in name for h in UPDATE_NAME_HINTS):
        return False
    return any(h in name for h in CREATION_NAME_HINTS)
