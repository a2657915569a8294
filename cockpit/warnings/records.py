"""The warning records as the core keeps them, for the command line: warnings with filters, one
warning, its history and its evidence as lineage links (fact, source, source key). The screens read
warnings through ``queries.warnings``, scoped and joined to the evidence rows themselves."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, case, select

from cockpit.warehouse.schema import warning, warning_evidence, warning_history
from cockpit.warnings.levels import LEVELS
from cockpit.warnings.states import ENDED_STATUSES, STATUSES

STATUS_CHOICES: tuple[str, ...] = ("open", "all") + STATUSES
_SEVERITY = case({lv: i for i, lv in enumerate(LEVELS)}, value=warning.c.level, else_=-1)


def list_warnings(conn: Connection, *, status: str = "open", level: str | None = None, rule: str | None = None,
                  board: str | None = None, area: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
    """Warnings most severe first, then the newest. ``status``: open (not ended), all, or one status;
    ``area``: a township, village or grid code (the warning's place lies in it)."""
    c = warning.c
    stmt = select(warning)
    if status == "open":
        stmt = stmt.where(c.status.not_in(ENDED_STATUSES))
    elif status != "all":
        stmt = stmt.where(c.status == status)
    if level:
        stmt = stmt.where(c.level == level)
    if rule:
        stmt = stmt.where(c.rule == rule)
    if board:
        stmt = stmt.where(c.board == board)
    if area:
        column = {9: c.township_code, 12: c.village_code}.get(len(area), c.grid_code)
        stmt = stmt.where(column == area)
    stmt = stmt.order_by(_SEVERITY.desc(), c.opened_at.desc(), c.id.desc()).limit(max(0, limit))
    return [dict(r) for r in conn.execute(stmt).mappings()]


def get_warning(conn: Connection, warning_id: int) -> dict[str, Any] | None:
    row = conn.execute(select(warning).where(warning.c.id == warning_id)).mappings().first()
    return dict(row) if row else None


def history_of(conn: Connection, warning_id: int) -> list[dict[str, Any]]:
    """The warning's history, oldest first."""
    h = warning_history.c
    return [dict(r) for r in conn.execute(select(warning_history).where(h.warning_id == warning_id)
                                          .order_by(h.id)).mappings()]


def evidence_of(conn: Connection, warning_id: int) -> list[dict[str, Any]]:
    """The warning's evidence links, in the order of the rows' times."""
    e = warning_evidence.c
    return [dict(r) for r in conn.execute(select(warning_evidence).where(e.warning_id == warning_id)
                                          .order_by(e.at, e.fact, e.src_key)).mappings()]
